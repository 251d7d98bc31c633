"""The explorer page in a real browser: headless Chromium opens the written file (file://) and we read the DOM
its script built.

The page takes ``#step=K&point=I`` from the URL, so one load shows a chosen step and point. From the rendered
DOM we check that the script ran to the end (``data-ready``), that it logged no error (the page writes every
``error`` and unhandled rejection into ``#errors``), that the regions of step K are drawn, and that the graph
of point I shows, node for node, the numbers microdiff computes for that point at step K.

Chromium is optional on a laptop (the tests skip without it) but required in CI: with
``MICRODIFF_REQUIRE_CHROMIUM=1`` a missing browser fails the tests instead. Set ``MICRODIFF_CHROMIUM`` to use
another binary than ``/usr/bin/chromium``.
"""

import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from microdiff.engine.reverse import gradients, topological_order
from microdiff.explore import point_graph, record
from microdiff.nn import MLP
from microdiff.nn.losses import cross_entropy, hinge_loss

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
    "--virtual-time-budget=5000",
]


def find_chromium():
    path = os.environ.get("MICRODIFF_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).exists() else None


@pytest.fixture(scope="module")
def chromium():
    path = find_chromium()
    required = os.environ.get("MICRODIFF_REQUIRE_CHROMIUM") == "1"
    if path is None:
        message = "Chromium is missing: apt-get install chromium (or set MICRODIFF_CHROMIUM)"
        if required:
            pytest.fail(f"MICRODIFF_REQUIRE_CHROMIUM=1 but {message}")
        pytest.skip(message)
    if shutil.which("dot") is None:
        if required:
            pytest.fail("MICRODIFF_REQUIRE_CHROMIUM=1 but Graphviz's dot is missing, so the page has no graph")
        pytest.skip("the page's graph needs Graphviz's dot")
    return path


def browse(chromium, url, *extra):
    """Run headless Chromium on ``url`` with a fresh profile; return its stdout and stderr."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", *extra, url],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


class Dom(HTMLParser):
    """The elements of a dumped page that the tests look at: each with its attributes and its text."""

    def __init__(self, text):
        super().__init__()
        self.elements = []  # (tag, attrs, texts) in document order
        self.open = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        element = (tag, dict(attrs), [])
        self.elements.append(element)
        self.open.append(element)

    def handle_endtag(self, tag):
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), []))

    def handle_data(self, data):
        for element in self.open:
            element[2].append(data)

    def by_id(self, ident):
        found = [e for e in self.elements if e[1].get("id") == ident]
        assert found, f"no element #{ident} in the page"
        return found[0]

    def text(self, ident):
        return "".join(self.by_id(ident)[2])


def load(chromium, path, hash=""):
    out, err = browse(chromium, f"{path.as_uri()}{hash}", "--dump-dom")
    dom = Dom(out)
    body = next(e for e in dom.elements if e[0] == "body")
    assert dom.text("errors") == "", f"the page logged errors: {dom.text('errors')}"
    assert "Uncaught" not in err, err[-2000:]
    assert body[1].get("data-ready") == "1", "the page's script did not finish"
    return dom


def expected_numbers(model, loss, run, step, point, binary):
    """microdiff's own numbers for one point's graph with the parameters recorded at ``step``, by node of the
    page's tape: every node when the graph has the same structure for every point of a class (relu and the
    hinge loss); otherwise (cross-entropy shifts the logits by their max, a constant of the drawn point) the
    parameters, the coordinates and the loss, which are the same function however it is written."""
    for p, value in zip(model.parameters(), run.frame(step).params):
        p.data = value
    root, _, xs = point_graph(model, loss, POINTS[binary][point], LABELS[binary][point], binary)
    order = topological_order(root)
    tape = next(t for t in run.tapes if t.cls == run.classes[point]).nodes
    if binary:
        return dict(enumerate(zip([n.data for n in order], gradients(root, order))))
    leaves = {"p": model.parameters(), "x": xs}
    wanted = {i: leaves[node[0]][node[1]] for i, node in enumerate(tape) if node[0] in leaves}
    numbers = dict(zip(wanted, zip([n.data for n in wanted.values()], gradients(root, list(wanted.values())))))
    numbers[len(tape) - 1] = (root.data, 1.0)
    return numbers


def check_page(dom, run, model, loss, step, point, binary):
    frame = run.frame(step)
    assert dom.by_id("step-label")[1]["data-step"] == str(step)
    # the regions of that step, cell by cell
    assert dom.by_id("cells")[1]["data-step"] == str(step)
    codes = [e[1]["data-code"] for e in dom.elements if e[0] == "rect" and "data-code" in e[1]]
    assert "".join(codes) == frame.regions
    # the graph of that point at that step: shown, and its drawn values carry microdiff's data and grad
    holders = [e for e in dom.elements if e[1].get("class") == "drawing" and "hidden" not in e[1]]
    assert len(holders) == 1 and holders[0][1]["data-step"] == str(step)
    assert holders[0][1]["data-point"] == str(point)
    drawn = {int(e[1]["data-node"]): e[1] for e in dom.elements if e[0] == "g" and "data-value" in e[1]}
    expected = expected_numbers(model, loss, run, step, point, binary)
    assert len(drawn) > 20 and len(set(expected) & set(drawn)) >= len(model.parameters())
    for i, (data, grad) in expected.items():
        if i in drawn:
            assert float(drawn[i]["data-value"]) == pytest.approx(data, rel=1e-9, abs=1e-12)
            assert float(drawn[i]["data-grad"]) == pytest.approx(grad, rel=1e-9, abs=1e-12)
    loss_value = expected[max(expected)][0]
    assert f"its loss is {loss_value:.4g} at step {step}" in dom.text("graph-title")


POINTS = {
    True: [(-1.0, -0.5), (-0.8, 0.3), (-0.2, -1.0), (0.9, 0.4), (1.1, -0.2), (0.3, 1.0), (0.0, 0.1), (-0.5, 0.8)],
    False: [(-1.0, 0.0), (-0.8, 0.2), (1.0, 0.1), (0.9, -0.2), (0.0, 1.0), (0.1, 0.8), (-0.1, 0.9)],
}
LABELS = {True: [-1, -1, -1, 1, 1, 1, 1, -1], False: [0, 0, 1, 1, 2, 2, 2]}


@pytest.mark.parametrize("binary", [True, False], ids=["two classes", "three classes"])
def test_page_renders_the_chosen_step_and_point(chromium, tmp_path, binary):
    model = MLP(2, [6, 4, 1 if binary else 3], seed=4)
    loss = hinge_loss if binary else cross_entropy
    run = record(model, POINTS[binary], LABELS[binary], steps=6, every=2, grid=10, lr=0.3, loss=loss)
    path = run.save(tmp_path / "explorer.html")
    step, point = 4, 5  # point 5 is of class +1 in the two-class data, class 2 in the three-class data
    tape = next(t for t in run.tapes if t.cls == run.classes[point]).nodes
    node = next(i for i, n in enumerate(tape) if n == ["p", 7])  # pin parameter 7: its history shows
    dom = load(chromium, path, f"#step={step}&point={point}&node={node}")
    fresh = MLP(2, [6, 4, 1 if binary else 3], seed=4)
    check_page(dom, run, fresh, loss, step, point, binary)
    assert dom.by_id("node-info")[1]["data-node"] == str(node)
    assert dom.text("node-title") == f"Pinned node: {run.param_names[7]}"
    assert "value through training" in dom.text("node-info")


def test_page_opens_without_a_hash_on_the_hardest_point(chromium, tmp_path):
    """With no #step=…, the page opens at step 0 with the point the trained network gets most wrong."""
    model = MLP(2, [4, 1], seed=0)
    run = record(model, POINTS[True], LABELS[True], steps=3, every=1, grid=4, lr=0.3)
    dom = load(chromium, run.save(tmp_path / "explorer.html"))
    losses = [hinge_loss([model(x)[0]], [y]).data for x, y in zip(POINTS[True], LABELS[True])]
    assert dom.by_id("step-label")[1]["data-step"] == "0"
    assert f"point #{losses.index(max(losses))} " in dom.text("graph-title")


def test_screenshot(chromium, tmp_path):
    """A screenshot is taken (and kept in MICRODIFF_SCREENSHOTS, if set, for a person to look at)."""
    model = MLP(2, [4, 1], seed=0)
    run = record(model, POINTS[True], LABELS[True], steps=3, every=1, grid=8)
    path = run.save(tmp_path / "explorer.html")
    folder = Path(os.environ.get("MICRODIFF_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / "explorer_step2.png"
    browse(chromium, f"{path.as_uri()}#step=2&point=1", f"--screenshot={shot}", "--window-size=1300,1400")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_play_runs_through_the_steps_and_stops_at_the_last(chromium, tmp_path):
    """#play presses play on load; the browser's virtual time lets it run to the end, which stops it."""
    model = MLP(2, [4, 1], seed=0)
    run = record(model, POINTS[True], LABELS[True], steps=4, every=1, grid=4, lr=0.3)
    dom = load(chromium, run.save(tmp_path / "explorer.html"), "#step=0&point=2&play")
    assert dom.by_id("step-label")[1]["data-step"] == "4"
    assert dom.by_id("cells")[1]["data-step"] == "4"
    assert "play" in dom.text("play") and "pause" not in dom.text("play")
