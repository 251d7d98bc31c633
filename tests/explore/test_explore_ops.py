"""The explorer page's derivative rules agree with microdiff's table (microdiff/engine/ops.py), NaN included.

The page replays a point's graph in JavaScript with its own copy of the table of fundamental operations (the
``<script id="ops">`` of page.html). Here a browser runs those rules on edge inputs — 0, -0, ±0.5, ±1, ±2, NaN,
±inf, for every operation and every pair of inputs — and each forward value and local derivative must equal the
Python table's: the same NaN, the same infinity, the same sign of zero, and finite numbers equal to rounding
(the two languages' exp, log and pow may differ in the last bit). Inputs outside an operation's domain, which
Python refuses with an error (log of -0.5, a negative power of 0), are left out: the page replays only graphs
that microdiff computed.
"""

import json
import math
import re
from importlib import resources

from explorer_browser import (
    bare_chromium_fixture,  # noqa: F401  (a fixture, named "bare_chromium")
    dump,
)

from microdiff.engine.ops import BUILT_IN

EDGES = ["0", "-0", "0.5", "-0.5", "1", "-1", "2", "-2", "NaN", "Infinity", "-Infinity"]

HARNESS = """<!DOCTYPE html><html><head><meta charset="utf-8">{ops}</head><body><pre id="out"></pre><script>
const text = (x) => (Object.is(x, -0) ? "-0" : String(x));
const edges = {edges}.map(Number), arity = {arity}, rows = [];
for (const [name, n] of Object.entries(arity)) {{
  const op = window.microdiffOps[name];
  const cases = n === 1 ? edges.map((a) => [a]) : edges.flatMap((a) => edges.map((b) => [a, b]));
  for (const args of cases) {{
    const out = op.forward(...args);
    rows.push([name, args.map(text), text(out), op.local(...args, out).map(text)]);
  }}
}}
document.getElementById("out").textContent = JSON.stringify(rows);
</script></body></html>"""


def page_rules():
    """The ``<script id="ops">`` element of the explorer's page, as it is shipped."""
    page = resources.files("microdiff.explore").joinpath("page.html").read_text(encoding="utf-8")
    found = re.search(r'<script id="ops">.*?</script>', page, re.S)
    assert found, 'page.html has no <script id="ops">'
    return found.group()


def same(js, python):
    """Equal as IEEE numbers: both NaN, or equal with the same sign (of zero too), finite ones to rounding."""
    if math.isnan(js) or math.isnan(python):
        return math.isnan(js) and math.isnan(python)
    if math.copysign(1.0, js) != math.copysign(1.0, python):
        return False
    return js == python or math.isclose(js, python, rel_tol=1e-15)


def test_the_pages_rules_are_pythons(bare_chromium, tmp_path):
    arity = {name: op.arity for name, op in BUILT_IN.items()}
    harness = tmp_path / "rules.html"
    harness.write_text(HARNESS.format(ops=page_rules(), edges=json.dumps(EDGES), arity=json.dumps(arity)))
    dom, _ = dump(bare_chromium, harness)
    rows = json.loads(dom.text("out"))
    assert {row[0] for row in rows} == set(BUILT_IN)  # the page has a rule for every operation of the table
    compared, disagreements = 0, []
    for name, args, out, local in rows:
        inputs = [float(a) for a in args]
        try:
            want_out = BUILT_IN[name].forward(*inputs)
            want_local = BUILT_IN[name].local(*inputs, want_out)
        except (ArithmeticError, ValueError):
            continue  # outside the operation's domain: Python refuses
        got = [float(out), *map(float, local)]
        want = [want_out, *want_local]
        if len(got) != len(want) or not all(same(g, w) for g, w in zip(got, want)):
            disagreements.append(f"{name}{tuple(args)}: page {got}, microdiff {want}")
        compared += 1
    assert not disagreements, "\n".join(disagreements)
    pairs = len(EDGES) ** 2
    assert compared > 0.6 * (3 * pairs + 5 * len(EDGES))  # most cases are inside the domains
