"""The training explorer's recording and page: which steps are kept, that they hold the model's true state, that
the page's tape replays to microdiff's own numbers, and that the page refers to nothing outside itself."""

import base64
import gzip
import json
import math
import re
import shutil

import pytest

from microdiff.engine.ops import OPS
from microdiff.engine.value import Value
from microdiff.explore import (
    GRID,
    LEVELS,
    REGION_CODES,
    Recorder,
    Recording,
    _float_forward,
    decision_regions,
    grid_points,
    point_graph,
    record,
)
from microdiff.nn import MLP
from microdiff.nn.losses import cross_entropy, hinge_loss
from microdiff.nn.optim import SGD
from microdiff.nn.training import accuracy

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot draws the graphs")

# Small hand-made data: two classes (labels ±1) and three classes (0, 1, 2), a few points each.
POINTS2 = [(-1.0, -0.5), (-0.8, 0.3), (-0.2, -1.0), (0.9, 0.4), (1.1, -0.2), (0.3, 1.0), (0.0, 0.1), (-0.5, 0.8)]
LABELS2 = [-1, -1, -1, 1, 1, 1, 1, -1]
POINTS3 = [(-1.0, 0.0), (-0.8, 0.2), (1.0, 0.1), (0.9, -0.2), (0.0, 1.0), (0.1, 0.8), (-0.1, 0.9)]
LABELS3 = [0, 0, 1, 1, 2, 2, 2]


def binary_run(steps=7, every=3, grid=6):
    model = MLP(2, [4, 3, 1], seed=1)
    return model, record(model, POINTS2, LABELS2, steps=steps, every=every, grid=grid, lr=0.3)


def three_class_run(steps=4, every=2, grid=5):
    model = MLP(2, [5, 3], activation="tanh", seed=2)
    return model, record(model, POINTS3, LABELS3, steps=steps, every=every, grid=grid, lr=0.3)


# Recording --------------------------------------------------------------------------------------------


def test_records_every_kth_step_and_the_last():
    model, run = binary_run(steps=7, every=3, grid=6)
    assert run.steps == [0, 3, 6, 7]
    assert [point[0] for point in run.curve] == list(range(8))  # loss and accuracy at every step
    for frame in run.frames:
        assert len(frame.params) == len(frame.grads) == len(model.parameters()) == 3 * 4 + 5 * 3 + 4 * 1
        assert len(frame.regions) == 6 * 6
        assert set(frame.regions) <= set(REGION_CODES[: 2 * LEVELS])
    assert run.frame(7).params == [p.data for p in model.parameters()]  # the last frame: the trained model
    with pytest.raises(KeyError, match="not recorded"):
        run.frame(4)


def test_every_defaults_to_about_a_hundred_recorded_steps():
    _, run = binary_run(steps=250, every=None, grid=2)
    assert run.steps[:3] == [0, 3, 6] and run.steps[-1] == 250
    assert len(run.frames) <= 100


@pytest.mark.parametrize("steps, every", [(6, 2), (5, 1)])
def test_recorded_values_equal_the_models_at_that_step(steps, every):
    """Replay the same training by hand, checking each recorded frame against the live model: exactly equal."""
    _, run = binary_run(steps=steps, every=every, grid=5)
    model = MLP(2, [4, 3, 1], seed=1)
    optimizer = SGD(model.parameters(), lr=0.3)
    checked = 0
    for step in range(steps + 1):
        outputs = [model(x) for x in POINTS2]
        loss = hinge_loss([out[0] for out in outputs], LABELS2)
        optimizer.zero_grad()
        loss.backward()
        if step in run.steps:
            frame = run.frame(step)
            assert frame.params == [p.data for p in model.parameters()]
            assert frame.grads == [p.grad for p in model.parameters()]
            assert frame.loss == loss.data
            assert frame.accuracy == accuracy(outputs, LABELS2)
            assert frame.regions == decision_regions(model, run.bounds, run.grid, binary=True)
            assert run.curve[step] == (step, loss.data, frame.accuracy)
            checked += 1
        optimizer.step()
    assert checked == len(run.frames)


def test_finish_leaves_the_models_gradients_alone():
    model = MLP(2, [3, 1], seed=0)
    recorder = Recorder(model, POINTS2, LABELS2, loss=hinge_loss)
    for p in model.parameters():
        p.grad = 0.5
    recorder.finish()
    assert all(p.grad == 0.5 for p in model.parameters())


def test_finish_twice_gives_the_same_recording_and_ends_recording():
    model = MLP(2, [3, 1], seed=0)
    recorder = Recorder(model, POINTS2, LABELS2, loss=hinge_loss)
    first = recorder.finish()
    assert recorder.finish() is first and first.steps == [0]
    with pytest.raises(ValueError, match="has finished"):
        recorder.on_step(type("Step", (), {"step": 1, "loss": 1.0, "accuracy": 0.5})())


def test_steps_must_come_in_order():
    recorder = Recorder(MLP(2, [3, 1]), POINTS2, LABELS2, loss=hinge_loss)
    with pytest.raises(ValueError, match="expected step 1, got 2"):
        recorder.on_step(type("Step", (), {"step": 2, "loss": 1.0, "accuracy": 0.5})())
    with pytest.raises(ValueError, match="every must be at least 1"):
        Recorder(MLP(2, [3, 1]), POINTS2, LABELS2, loss=hinge_loss, every=0)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_float_forward_is_the_model(activation):
    """The regions use a fast float version of the MLP; it must compute what the Value version computes."""
    model = MLP(2, [5, 4, 3], activation=activation, seed=3)
    forward = _float_forward(model)
    for point in grid_points((-2.0, 2.0, -1.5, 1.5), 4):
        assert forward(point) == pytest.approx([out.data for out in model(point)], rel=1e-12, abs=1e-12)


def test_regions_say_class_and_confidence():
    model = MLP(2, [1], seed=0)  # a linear score w0·x + w1·y + b
    w0, w1, b = model.parameters()
    w0.data, w1.data, b.data = 10.0, 0.0, 0.0  # positive (class 1) right of x = 0, sure far from it
    codes = decision_regions(model, (-1.0, 1.0, -1.0, 1.0), 4, binary=True)
    row = [REGION_CODES.index(c) for c in codes[:4]]
    assert [code // LEVELS for code in row] == [0, 0, 1, 1]
    sure, less_sure = LEVELS - 1, int(math.tanh(2.5 / 2) * LEVELS)  # cell centres at x = ±0.75 and ±0.25
    assert [code % LEVELS for code in row] == [sure, less_sure, less_sure, sure]


def test_three_classes():
    model, run = three_class_run(steps=4, every=2, grid=5)
    assert run.steps == [0, 2, 4]
    assert run.class_names == ["class 0", "class 1", "class 2"]
    assert len(run.frames[0].params) == len(model.parameters())
    assert set("".join(f.regions for f in run.frames)) <= set(REGION_CODES[: 3 * LEVELS])
    assert sorted(t.cls for t in run.tapes) == [0, 1, 2]


# The tape: the page's way of drawing any point's graph at any step -----------------------------------


def replay(nodes, params, point):
    """What the page's JavaScript does, in Python: forward through the tape, then backward from the last node."""
    data, grad = [], [0.0] * len(nodes)
    for node in nodes:
        kind = node[0]
        if kind in OPS:
            data.append(OPS[kind].forward(*[data[j] for j in node[1:]]))
        else:
            data.append({"p": params, "x": point}[kind][node[1]] if kind != "c" else node[1])
    grad[-1] = 1.0
    for i in reversed(range(len(nodes))):
        if nodes[i][0] in OPS:
            local = OPS[nodes[i][0]].local(*[data[j] for j in nodes[i][1:]], data[i])
            for j, d in zip(nodes[i][1:], local):
                grad[j] += grad[i] * d
    return data, grad


def graph_numbers(model, loss, point, label, binary):
    """Every node's data and gradient in microdiff's own graph of one point's loss, and the gradients of the
    loss with respect to the parameters and to the point's coordinates."""
    from microdiff.engine.reverse import gradients, topological_order

    root, _, xs = point_graph(model, loss, point, label, binary)
    order = topological_order(root)
    leaves = gradients(root, [*model.parameters(), *xs])
    return [n.data for n in order], list(gradients(root, order)), list(leaves)


def leaf_gradients(nodes, grad, count):
    """From a replay: the gradients of the parameters (in order) and then of the point's two coordinates."""
    by_param = {node[1]: grad[i] for i, node in enumerate(nodes) if node[0] == "p"}
    by_input = {node[1]: grad[i] for i, node in enumerate(nodes) if node[0] == "x"}
    return [by_param.get(k, 0.0) for k in range(count)] + [by_input.get(j, 0.0) for j in range(2)]


@pytest.mark.parametrize("three", [False, True])
def test_tape_replays_to_microdiffs_numbers_for_every_point_and_step(three):
    """The page replays one tape per class for every point and step. A relu network's graph has the same
    structure for every point, so every node matches; tanh picks its formula by sign, so there the loss
    and the gradients of the parameters and coordinates match (the same function, written two ways)."""
    model, run = three_class_run() if three else binary_run()
    points, labels = (POINTS3, LABELS3) if three else (POINTS2, LABELS2)
    loss = cross_entropy if three else hinge_loss
    tapes = {t.cls: t for t in run.tapes}
    count = len(model.parameters())
    for frame in run.frames:
        for p, value in zip(model.parameters(), frame.params):
            p.data = value
        for point, label, cls in zip(points, labels, run.classes):
            data, grad = replay(tapes[cls].nodes, frame.params, point)
            want_data, want_grad, want_leaves = graph_numbers(model, loss, point, label, binary=not three)
            assert data[-1] == pytest.approx(want_data[-1], rel=1e-9, abs=1e-12)
            assert leaf_gradients(tapes[cls].nodes, grad, count) == pytest.approx(want_leaves, rel=1e-9, abs=1e-12)
            if not three:
                assert data == pytest.approx(want_data, rel=1e-9, abs=1e-12)
                assert grad == pytest.approx(want_grad, rel=1e-9, abs=1e-12)


def test_tape_marks_parameters_inputs_and_outputs():
    model, run = binary_run()
    tape = run.tapes[0]
    params = sorted(node[1] for node in tape.nodes if node[0] == "p")
    assert params == list(range(len(model.parameters())))
    assert sorted(node[1] for node in tape.nodes if node[0] == "x") == [0, 1]
    assert len(tape.outputs) == 1 and tape.nodes[tape.outputs[0]][0] == "add"  # the output neuron's sum


# The page -------------------------------------------------------------------------------------------


def page_parts(page):
    """The page's recording (as the script reads it) and its drawings, unpacked."""
    found = re.search(r'<script type="application/json" id="recording">(.*?)</script>', page, re.S)
    assert found, "the page holds its recording as JSON"
    data = json.loads(found.group(1))
    svgs = [gzip.decompress(base64.b64decode(d)).decode() for d in data["drawings"]]
    return data, svgs


def assert_self_contained(text):
    assert "http:" not in text and "https:" not in text
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(\w+:)?//""", text, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(\w+:)?//", text)


@needs_dot
@pytest.mark.parametrize("three", [False, True])
def test_page_is_self_contained(tmp_path, three):
    _, run = three_class_run() if three else binary_run()
    path = run.save(tmp_path / "sub" / "explorer.html")
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>") and "{{" not in page
    data, svgs = page_parts(page)
    assert_self_contained(page)
    for svg in svgs:
        assert svg.startswith("<svg") and 'class="node"' in svg
        assert_self_contained(svg)
    assert len(data["frames"]) == len(run.frames) and data["grid"] == run.grid
    # two classes differ only in a constant (the label ±1), so they share one drawing; three do not
    assert (len(data["tapes"]), len(svgs)) == ((3, 3) if three else (2, 1))


def test_page_without_graphs_still_works(tmp_path, monkeypatch):
    import microdiff.explore as explore

    def no_dot(root):
        raise RuntimeError("dot is missing")

    monkeypatch.setattr(explore, "_packed_drawing", no_dot)
    _, run = binary_run(steps=2, every=1, grid=3)
    data, svgs = page_parts(run.to_html())
    assert svgs == [] and "dot is missing" in data["note"] and len(data["tapes"]) == 2


def test_json_has_no_nan_and_no_early_script_end():
    _, run = binary_run(steps=1, every=1, grid=2)
    run.frames[0].loss = math.nan
    run.title = "a </script> in a title"
    page = run.to_html()
    data, _ = page_parts(page)
    assert data["frames"][0]["loss"] is None
    assert data["title"] == "a </script> in a title"
    assert "<title>a &lt;/script&gt; in a title</title>" in page


def test_notebook_shows_the_page_in_an_iframe():
    _, run = binary_run(steps=1, every=1, grid=2)
    shown = run._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and "&lt;!DOCTYPE html&gt;" in shown and "<script" not in shown


def test_recording_is_a_dataclass_of_plain_data():
    _, run = binary_run(steps=1, every=1, grid=GRID // 10)
    assert isinstance(run, Recording)
    json.dumps(run.to_json())  # everything in it is plain JSON data


# The command -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset, classes", [("xor", 2), ("spiral", 3)])
def test_explore_command_writes_the_page(tmp_path, capsys, dataset, classes):
    from microdiff.__main__ import main

    out = tmp_path / "explorer.html"
    args = ["explore", "--dataset", dataset, "--steps", "3", "--points", "30", "--hidden", "4", "-o", str(out)]
    assert main(args) == 0
    data, _ = page_parts(out.read_text())
    assert len(data["classNames"]) == classes and [f["step"] for f in data["frames"]] == [0, 1, 2, 3]
    assert "wrote" in capsys.readouterr().out


def test_labels_are_checked():
    with pytest.raises(ValueError, match="one label per input"):
        Recorder(MLP(2, [3, 1]), POINTS2, LABELS2[:-1], loss=hinge_loss)
    with pytest.raises(ValueError, match="must be a point"):
        Recorder(MLP(3, [3, 1]), [(1.0, 2.0, 3.0)], [1], loss=hinge_loss)


def test_values_are_leaves_so_the_point_gets_a_gradient():
    model = MLP(2, [3, 1], seed=0)
    root, outputs, xs = point_graph(model, hinge_loss, (0.5, -0.5), 1, binary=True)
    assert all(isinstance(x, Value) and x.label == f"x{j}" for j, x in enumerate(xs))
    assert root.data == hinge_loss([outputs[0]], [1]).data


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--steps", "0"], "--steps must be at least 1"),
        (["--points", "0"], "--points must be at least 10"),
        (["--dataset", "spiral", "--points", "2"], "--points must be at least 10"),
        (["--every", "-1"], "--every must be at least 1"),
        (["--lr", "0"], "--lr must be greater than 0"),
        (["--hidden", "16,"], "--hidden takes sizes"),
        (["--hidden", "0"], "--hidden takes sizes"),
    ],
)
def test_the_command_refuses_bad_arguments_in_one_line(arguments, message, tmp_path):
    from microdiff.__main__ import main

    with pytest.raises(SystemExit) as stopped:
        main(["explore", *arguments, "-o", str(tmp_path / "page.html")])
    assert str(stopped.value).startswith("microdiff explore: error: ") and message in str(stopped.value)
    assert not (tmp_path / "page.html").exists()
