"""Hostile text in an explorer page: whatever a title, a neuron's name or a parameter's label holds, the page is
still ready, shows that text as text, and runs no script of anyone else's.

Each page gets many hostile strings at once (one browser run per page): the title, every neuron's name (which
becomes its parameters' names, its box in the drawings and its name in the neuron view) and every bias's label.
The fixed cases are those of the issue on hostile input; hypothesis adds random text. Per run this tries
``len(FIXED)`` fixed strings and ``EXAMPLES`` × ``STRINGS`` random ones (3 × 18 = 54).
"""

import pytest
from explorer_browser import (
    chromium_fixture,  # noqa: F401  (a fixture, named "chromium")
    load,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microdiff.explore import record
from microdiff.nn import MLP

#: A payload marks the page's root element when it runs: the test looks for that mark in the DOM.
RUN = "document.documentElement.setAttribute('data-pwned','1')"
FIXED = [
    "{{RECORDING}}",
    "{{TITLE}}",
    f"<img src=x onerror={RUN}>",
    f'"><img src=x onerror="{RUN}">',
    "<!--<script>",
    f"</script><script>{RUN}</script>",
    "\u2028\u2029 line separators",
    "a & b < c > d ' \"",
    "]; evil [label=pwn",
    "tab\there, new\nline",
    f"<svg onload={RUN}>",
    "000000\U00051280\U00100f39\U0010c6ec\xa0",  # cut to 11 UTF-16 units, half a pair crashed Chromium (hypothesis)
]
EXAMPLES, STRINGS = 3, 18
POINTS = [(-1.0, -0.5), (-0.8, 0.3), (-0.2, -1.0), (0.9, 0.4), (1.1, -0.2), (0.3, 1.0), (0.0, 0.1), (-0.5, 0.8)]
LABELS = [-1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0, -1.0]  # floats: record accepts them as train does


def hostile_page(strings, path):
    """A recording whose title, neuron names and bias labels are ``strings`` (cycled); return the title."""
    model = MLP(2, [8, 8, 1], seed=0)
    neurons = [neuron for layer in model.layers for neuron in layer.neurons]
    for k, neuron in enumerate(neurons):
        neuron.rename(strings[(k + 1) % len(strings)])
        neuron.b.label = strings[(k + 2) % len(strings)]
    title = strings[0]
    record(model, POINTS, LABELS, steps=2, every=1, grid=4, lr=0.1, title=title).save(path)
    return title


def assert_safe(dom):
    """The page is ready with no error (``load`` checks), nothing injected ran, and no element was injected."""
    assert not dom.having("data-pwned"), "an injected script ran"
    injected = [e for e in dom.elements if e[0] in ("img", "iframe", "object", "embed")]
    assert not injected, f"injected elements: {injected[:3]}"
    assert not [e for e in dom.elements if any(a.startswith("on") for a in e[1])], "an element has an on… handler"
    scripts = [e for e in dom.elements if e[0] == "script"]
    assert len(scripts) == 4  # ours: the error box, the rules, the recording, the page


def test_the_issues_hostile_strings(chromium, tmp_path):
    title = hostile_page(FIXED, tmp_path / "explorer.html")
    dom = load(chromium, tmp_path / "explorer.html", "#node=%3Cimg%20src%3Dx%3E")
    assert_safe(dom)
    assert dom.text("title") == title  # the title shows as the text it is
    names = {e[1]["data-unit"] for e in dom.having("data-unit")}
    assert set(FIXED[1:]) & names  # and the neurons' names as theirs


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(strings=st.lists(st.text(max_size=40) | st.sampled_from(FIXED), min_size=STRINGS, max_size=STRINGS))
def test_random_hostile_strings(chromium, tmp_path, strings):
    path = tmp_path / "random.html"
    hostile_page(strings, path)
    assert_safe(load(chromium, path))


@pytest.mark.parametrize("label", [-1.0, 1.0])
def test_float_labels_name_their_classes(label):
    run = record(MLP(2, [3, 1], seed=0), POINTS, LABELS, steps=1, grid=2)
    assert run.class_names == ["label -1", "label +1"] and run.classes[POINTS.index((0.9, 0.4))] == 1
