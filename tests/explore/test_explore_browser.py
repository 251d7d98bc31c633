"""The explorer page in a real browser: headless Chromium opens the written file (file://) and we read the DOM
its script built.

The page takes ``#step=K&point=I&node=NAME`` from the URL, so one load shows a chosen step, point and neuron.
From the rendered DOM we check that the script ran to the end (``data-ready``) without an error, that the
regions of step K are drawn, that the neuron view of point I has one box per input, neuron and loss with the
numbers microdiff computes for that point at step K, and that the expanded neuron shows its weights with
microdiff's numbers too.
"""

import os
from pathlib import Path

import pytest
from explorer_browser import (
    bare_chromium_fixture,  # noqa: F401  (a fixture, named "bare_chromium")
    browse,
    chromium_fixture,  # noqa: F401  (a fixture, named "chromium")
    load,
)

from microdiff.engine.functional import gradients
from microdiff.explore import point_graph, record
from microdiff.nn import MLP, cross_entropy, hinge_loss

POINTS = {
    True: [(-1.0, -0.5), (-0.8, 0.3), (-0.2, -1.0), (0.9, 0.4), (1.1, -0.2), (0.3, 1.0), (0.0, 0.1), (-0.5, 0.8)],
    False: [(-1.0, 0.0), (-0.8, 0.2), (1.0, 0.1), (0.9, -0.2), (0.0, 1.0), (0.1, 0.8), (-0.1, 0.9)],
}
LABELS = {True: [-1, -1, -1, 1, 1, 1, 1, -1], False: [0, 0, 1, 1, 2, 2, 2]}


def microdiff_numbers(model, loss, params, point, label):
    """microdiff's own numbers for one point's loss with parameters ``params``: each unit's (value, gradient) by
    name (inputs, neurons, loss) and each parameter's (value, gradient) by name."""
    for p, value in zip(model.parameters(), params):
        p.data = value
    graph = point_graph(model, loss, point, label)
    units = {x.label: x for x in graph.inputs}
    for layer in graph.layers:
        units.update({name: value for name, value, _ in layer})
    units["loss"] = graph.loss
    named = dict(model.named_parameters())
    grads = gradients(graph.loss, [*units.values(), *named.values()])
    nodes = [*units.values(), *named.values()]
    numbers = {name: (node.data, g) for name, node, g in zip([*units, *named], nodes, grads)}
    return {name: numbers[name] for name in units}, {name: numbers[name] for name in named}


def drawn(dom, element_class):
    """The (value, gradient) the page shows on each element of ``element_class`` with a name, by name."""
    key = "data-unit" if element_class == "unit" else "data-name"
    return {
        e[1][key]: (float(e[1]["data-value"]), float(e[1]["data-grad"]))
        for e in dom.having(key)
        if element_class in e[1].get("class", "").split() and "data-value" in e[1]
    }


def assert_close(shown, expected):
    assert set(shown) == set(expected)
    for name, (value, grad) in expected.items():
        assert shown[name] == pytest.approx((value, grad), rel=1e-9, abs=1e-12), name


@pytest.mark.parametrize("binary", [True, False], ids=["two classes", "three classes"])
def test_neuron_view_and_an_expanded_neuron_show_microdiffs_numbers(chromium, tmp_path, binary):
    model = MLP(2, [6, 4, 1 if binary else 3], seed=4)
    loss = hinge_loss if binary else cross_entropy
    run = record(model, POINTS[binary], LABELS[binary], steps=6, every=2, grid=10, lr=0.3, loss=loss)
    path = run.save(tmp_path / "explorer.html")
    step, point = 5, 5  # point 5 is of class +1 in the two-class data, class 2 in the three-class data
    dom = load(chromium, path, f"#step={step}&point={point}&node=L2.n1.w3", "--window-size=1280,900")
    frame = run.frame(step)
    # the step and its regions, cell by cell
    assert dom.by_id("step-label")[1]["data-step"] == str(step) and dom.text("step-label") == f"step {step} of 6"
    assert dom.by_id("cells")[1]["data-step"] == str(step)
    assert "".join(e[1]["data-code"] for e in dom.having("data-code", "rect")) == frame.regions
    # the neuron view: one box per input, per neuron and for the loss, with microdiff's numbers
    fresh = MLP(2, [6, 4, 1 if binary else 3], seed=4)
    units, params = microdiff_numbers(fresh, loss, frame.params, POINTS[binary][point], LABELS[binary][point])
    neurons = [f"L{i + 1}.n{j}" for i, size in enumerate([6, 4, 1 if binary else 3]) for j in range(size)]
    assert sorted(units) == sorted(["x0", "x1", *neurons, "loss"])
    view = dom.by_id("neurons")[1]
    assert view["data-step"] == str(step) and view["data-point"] == str(point)
    assert view["data-fits"] == "1" and float(view["data-scale"]) * 12 >= 11  # fits the panel; text 11 px or more
    assert_close(drawn(dom, "unit"), units)
    assert f"its loss is {units['loss'][0]:.4g} at step {step} of 6" in dom.text("graph-title")
    # #node=L2.n1.w3 expanded neuron L2.n1: its weights and bias, and its inputs L1.n0…, with microdiff's numbers
    assert dom.by_id("expanded-card")[1]["data-unit"] == "L2.n1"
    mine = {name: numbers for name, numbers in params.items() if name.startswith("L2.n1.")}
    shown = drawn(dom, "node")
    assert_close({name: shown[name] for name in shown if name.startswith("L2.n1.")}, mine)
    assert_close(
        {name: shown[name] for name in shown if name.startswith("L1.")},
        {f"L1.n{j}": units[f"L1.n{j}"] for j in range(6)},
    )
    assert dom.text("node-title") == "Pinned: L2.n1.w3: a parameter"
    assert "value through training" in dom.text("node-info")


def test_page_opens_without_a_hash_on_the_hardest_point(chromium, tmp_path):
    """With no #step=…, the page opens at step 1 with the point the trained network gets most wrong."""
    model = MLP(2, [4, 1], seed=0)
    run = record(model, POINTS[True], LABELS[True], steps=3, every=1, grid=4, lr=0.3)
    dom = load(chromium, run.save(tmp_path / "explorer.html"))
    losses = [hinge_loss([model(x)[0]], [y]).data for x, y in zip(POINTS[True], LABELS[True])]
    assert dom.by_id("step-label")[1]["data-step"] == "1"
    assert f"point #{losses.index(max(losses))} " in dom.text("graph-title")
    assert dom.by_id("expanded-card")[1].get("hidden") is not None  # nothing expanded yet


@pytest.mark.parametrize(
    "hash",
    ["#node=abc&point=1.5&step=zz&zoom=-3&node=12", "#%E0%A4%A&&==&step&point=-1&node=%3Cimg%3E&zoom=1e999"],
)
def test_page_ignores_what_it_cannot_use_in_the_hash(chromium, tmp_path, hash):
    model = MLP(2, [4, 1], seed=0)
    run = record(model, POINTS[True], LABELS[True], steps=2, every=1, grid=4, lr=0.3)
    dom = load(chromium, run.save(tmp_path / "explorer.html"), hash)  # load checks: ready, no error
    assert dom.by_id("step-label")[1]["data-step"] == "1"


def test_play_runs_through_the_steps_and_stops_at_the_trained_network(chromium, tmp_path):
    """#play presses play on load; the browser's virtual time lets it run to the end, which stops it."""
    model = MLP(2, [4, 1], seed=0)
    run = record(model, POINTS[True], LABELS[True], steps=4, every=1, grid=4, lr=0.3)
    dom = load(chromium, run.save(tmp_path / "explorer.html"), "#step=1&point=2&play")
    assert dom.by_id("step-label")[1]["data-step"] == "5" and dom.text("step-label") == "after step 4 (trained)"
    assert dom.by_id("cells")[1]["data-step"] == "5"
    assert "play" in dom.text("play") and "pause" not in dom.text("play")


def test_screenshot(chromium, tmp_path):
    """A screenshot is taken (and kept in MICRODIFF_SCREENSHOTS, if set, for a person to look at)."""
    model = MLP(2, [4, 1], seed=0)
    run = record(model, POINTS[True], LABELS[True], steps=3, every=1, grid=8)
    path = run.save(tmp_path / "explorer.html")
    folder = Path(os.environ.get("MICRODIFF_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / "explorer_step2.png"
    browse(chromium, f"{path.as_uri()}#step=2&point=1&node=L1.n2", f"--screenshot={shot}", "--window-size=1300,1400")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_faded_boxes_are_where_the_gradient_stops_as_the_page_says(chromium, tmp_path):
    """ "Faded boxes are where the gradient stops: their gradient is 0, or they are a relu that is off": at step 1
    a relu neuron that is off (value 0) with a gradient that is not 0 is faded, and every box is faded exactly
    when the sentence says (the hidden neurons are relus; the inputs and the output pass on any gradient)."""
    model = MLP(2, [6, 4, 1], seed=4)
    run = record(model, POINTS[True], LABELS[True], steps=2, every=1, grid=4, lr=0.3)
    fresh = MLP(2, [6, 4, 1], seed=4)
    off_with_gradient = None
    for point in range(len(POINTS[True])):
        units, _ = microdiff_numbers(fresh, hinge_loss, run.frame(1).params, POINTS[True][point], LABELS[True][point])
        off = [name for name, (value, grad) in units.items() if name.startswith(("L1.", "L2.")) and value == 0 != grad]
        if off:
            off_with_gradient = (point, off[0])
            break
    assert off_with_gradient, "no relu that is off with a gradient: choose other data"
    point, name = off_with_gradient
    dom = load(chromium, run.save(tmp_path / "explorer.html"), f"#step=1&point={point}")
    assert "Faded boxes are where the gradient stops" in dom.text("graph-card")
    boxes = {e[1]["data-unit"]: e[1] for e in dom.having("data-unit") if "unit" in e[1].get("class", "").split()}
    assert "faded" in boxes[name]["class"].split()  # the case: value 0, gradient −0.84, not faded
    for unit, attributes in boxes.items():
        value, grad = float(attributes["data-value"]), float(attributes["data-grad"])
        relu = unit.startswith(("L1.", "L2."))
        if unit != "loss":
            assert ("faded" in attributes["class"].split()) == (grad == 0 or (relu and value == 0)), unit


def test_a_model_with_operations_named_like_javascripts_own_properties_becomes_ready(bare_chromium, tmp_path):
    """Primitives named constructor, toString, __proto__, valueOf, hasOwnProperty (every object's properties in
    JavaScript) and p (a tape's parameter, once): the page is ready, says it cannot replay them, and shows nan."""
    from microdiff import Value, primitive
    from microdiff.engine.ops import OPS
    from microdiff.nn import Module

    names = ["constructor", "toString", "__proto__", "valueOf", "hasOwnProperty", "p"]

    class Strange(Module):
        """One output: the sum of each primitive applied to a weight times a coordinate."""

        def __init__(self):
            self.w = [Value(0.2 * (k + 1)) for k in range(len(names))]
            self.ops = [primitive(name, lambda a: a, lambda a, out: (1.0,)) for name in names]

        def named_parameters(self):
            return [(f"w{k}", w) for k, w in enumerate(self.w)]

        def __call__(self, x):
            out = self.ops[0](self.w[0] * x[0])
            for k in range(1, len(names)):
                out = out + self.ops[k](self.w[k] * x[k % 2])
            return [out]

    try:
        run = record(Strange(), POINTS[True], LABELS[True], steps=2, every=1, grid=3, lr=0.1)
        dom = load(bare_chromium, run.save(tmp_path / "explorer.html"))  # load checks: ready, no error
    finally:
        for name in names:
            OPS.pop(name, None)
    note = dom.text("note")
    assert "cannot replay the operations" in note and all(name in note for name in names)
    assert dom.by_id("step-label")[1]["data-step"] == "1"
