"""The training explorer's recording and page: which steps are kept and how they are numbered, that they hold
the model's true state, that the page's tape is microdiff's own graph, that its neuron view names the network's
parts, that the page refers to nothing outside itself, and that the command refuses bad input in one line."""

import base64
import gzip
import json
import math
import re
import subprocess
import sys

import pytest

from microdiff.drawing.runner import DotNotFound, DotTimedOut
from microdiff.engine.value import Value, topological_order
from microdiff.explore import GRID, LEVELS, REGION_CODES, Recorder, Recording, graphs, point_graph, record
from microdiff.explore.regions import decision_regions, float_forward, grid_points
from microdiff.nn import MLP, SGD, cross_entropy, hinge_loss
from microdiff.nn.training import accuracy

needs_dot = pytest.mark.needs_dot  # Graphviz's dot draws the neurons

# Small hand-made data: two classes (labels ±1) and three classes (0, 1, 2), a few points each.
POINTS2 = [(-1.0, -0.5), (-0.8, 0.3), (-0.2, -1.0), (0.9, 0.4), (1.1, -0.2), (0.3, 1.0), (0.0, 0.1), (-0.5, 0.8)]
LABELS2 = [-1, -1, -1, 1, 1, 1, 1, -1]
POINTS3 = [(-1.0, 0.0), (-0.8, 0.2), (1.0, 0.1), (0.9, -0.2), (0.0, 1.0), (0.1, 0.8), (-0.1, 0.9)]
LABELS3 = [0, 0, 1, 1, 2, 2, 2]


def binary_run(steps=7, every=3, grid=6, on_step=None):
    model = MLP(2, [4, 3, 1], seed=1)
    return model, record(model, POINTS2, LABELS2, steps=steps, every=every, grid=grid, lr=0.3, on_step=on_step)


def three_class_run(steps=4, every=2, grid=5):
    model = MLP(2, [5, 3], activation="tanh", seed=2)
    return model, record(model, POINTS3, LABELS3, steps=steps, every=every, grid=grid, lr=0.3)


# Recording --------------------------------------------------------------------------------------------


def test_records_every_kth_step_and_the_trained_network():
    model, run = binary_run(steps=7, every=3, grid=6)
    assert run.steps == [1, 4, 7, 8] and run.total_steps == 7  # step 8: after step 7, the trained network
    assert [point[0] for point in run.curve] == list(range(1, 9))  # loss and accuracy at every step
    for frame in run.frames:
        assert len(frame.params) == len(frame.grads) == len(model.parameters()) == 3 * 4 + 5 * 3 + 4 * 1
        assert len(frame.regions) == 6 * 6
        assert set(frame.regions) <= set(REGION_CODES[: 2 * LEVELS])
    assert run.frame(8).params == [p.data for p in model.parameters()]
    with pytest.raises(KeyError, match="not recorded"):
        run.frame(5)


def test_step_k_is_the_consoles_step_k():
    """The loss and accuracy of the explorer's step k are those the training loop reports for its step k."""
    steps = []
    _, run = binary_run(steps=5, every=1, on_step=steps.append)
    for record_ in steps:
        assert (run.frame(record_.step).loss, run.frame(record_.step).accuracy) == (record_.loss, record_.accuracy)
        assert run.curve[record_.step - 1] == (record_.step, record_.loss, record_.accuracy)


def test_every_defaults_to_about_a_hundred_recorded_steps():
    _, run = binary_run(steps=250, every=None, grid=2)
    assert run.steps[:3] == [1, 4, 7] and run.steps[-1] == 251
    assert len(run.frames) <= 101


@pytest.mark.parametrize("steps, every", [(6, 2), (5, 1)])
def test_recorded_values_equal_the_models_at_that_step(steps, every):
    """Replay the same training by hand, checking each recorded frame against the live model: exactly equal."""
    _, run = binary_run(steps=steps, every=every, grid=5)
    model = MLP(2, [4, 3, 1], seed=1)
    optimizer = SGD(model.parameters(), lr=0.3)
    checked = 0
    for step in range(1, steps + 2):
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
            assert run.curve[step - 1] == (step, loss.data, frame.accuracy)
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
    assert recorder.finish() is first and first.steps == [1]
    with pytest.raises(ValueError, match="has finished"):
        recorder.on_step(type("Step", (), {"step": 1, "loss": 1.0, "accuracy": 0.5})())


def test_steps_must_come_in_order():
    recorder = Recorder(MLP(2, [3, 1]), POINTS2, LABELS2, loss=hinge_loss)
    with pytest.raises(ValueError, match="expected step 1, got 2"):
        recorder.on_step(type("Step", (), {"step": 2, "loss": 1.0, "accuracy": 0.5})())
    with pytest.raises(ValueError, match="every must be a whole number of at least 1"):
        Recorder(MLP(2, [3, 1]), POINTS2, LABELS2, loss=hinge_loss, every=0)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_float_forward_is_the_model(activation):
    """The regions use a fast float version of the MLP; it must compute what the Value version computes."""
    model = MLP(2, [5, 4, 3], activation=activation, seed=3)
    forward = float_forward(model)
    for point in grid_points((-2.0, 2.0, -1.5, 1.5), 4):
        assert forward(point) == pytest.approx([out.data for out in model(point)], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_float_forward_gives_the_values_numbers_to_the_last_bit(activation):
    """Its activations are the engine's own (OPERATIONS and the table of fundamental operations), and each sum
    is added in the Neuron's order, so the floats are exactly those the Value nodes hold."""
    from microdiff.engine.arithmetic import OPERATIONS
    from microdiff.explore.regions import float_activation

    assert activation == "linear" or float_activation(activation)(0.7) == OPERATIONS[activation](0.7)
    model = MLP(2, [5, 4, 3], activation=activation, seed=3)
    forward = float_forward(model)
    for point in grid_points((-3.0, 3.0, -2.5, 2.5), 6):
        assert forward(point) == [out.data for out in model(point)]


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
    assert run.steps == [1, 3, 5]
    assert run.class_names == ["class 0", "class 1", "class 2"]
    assert len(run.frames[0].params) == len(model.parameters())
    assert set("".join(f.regions for f in run.frames)) <= set(REGION_CODES[: 3 * LEVELS])
    assert sorted(t.cls for t in run.tapes) == [0, 1, 2]


def test_labels_may_be_floats():
    run = record(MLP(2, [3, 1], seed=0), POINTS2, [float(v) for v in LABELS2], steps=2, grid=2)
    assert run.class_names == ["label -1", "label +1"] and run.classes == [int(v > 0) for v in LABELS2]


def test_parameters_are_named_after_the_network():
    model, run = binary_run(steps=1, every=1, grid=2)
    assert run.param_names == [name for name, _ in model.named_parameters()]
    assert run.param_names[:3] == ["L1.n0.w0", "L1.n0.w1", "L1.n0.b"]


# The tape: the page's way of replaying any point's graph at any step ----------------------------------


@pytest.mark.parametrize("three", [False, True])
def test_the_tape_is_microdiffs_graph(three):
    """Node for node, the tape is the graph microdiff builds for the class's first point: the same operation on
    the same inputs, each leaf the right parameter, coordinate or constant. (The browser tests check that the
    page's replay of it gives microdiff's numbers.)"""
    model, run = three_class_run() if three else binary_run()
    points, labels = (POINTS3, LABELS3) if three else (POINTS2, LABELS2)
    loss = cross_entropy if three else hinge_loss
    for tape in run.tapes:
        first = run.classes.index(tape.cls)
        graph = point_graph(model, loss, points[first], labels[first])
        order = topological_order(graph.loss)
        index = {id(node): i for i, node in enumerate(order)}
        params = {id(p): k for k, p in enumerate(model.parameters())}
        assert len(tape.nodes) == len(order)
        for node, entry in zip(order, tape.nodes):
            if node.parents:
                assert entry == [node.op, *(index[id(p)] for p in node.parents)]
            elif id(node) in params:
                assert entry == ["@p", params[id(node)]]
            elif node in graph.inputs:
                assert entry == ["@x", graph.inputs.index(node)]
            else:
                assert entry == ["@c", node.data]
        assert tape.outputs == [index[id(v)] for v in graph.outputs]


def test_the_neuron_view_has_one_unit_per_input_neuron_and_loss():
    model, run = binary_run()
    tape = run.tapes[0]
    names = [neuron.name for layer in model.layers for neuron in layer.neurons]
    assert [u.name for u in tape.units] == ["x0", "x1", *names, "loss"]
    assert [u.column for u in tape.units] == [0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 4]
    assert tape.units[-1].node == len(tape.nodes) - 1 and tape.units[0].inputs == []
    assert tape.units[6].inputs == [2, 3, 4, 5]  # L2.n0 reads every neuron of layer 1
    assert [tape.nodes[u.node] for u in tape.units[:2]] == [["@x", 0], ["@x", 1]]


def test_an_expanded_neuron_holds_its_weights():
    """A unit's drawing numbers its nodes n0, n1…; ``members`` maps each to the tape: among them are exactly the
    neuron's own parameters, and its output is the unit's node."""
    model, run = binary_run()
    tape = run.tapes[0]
    for unit in tape.units[2:-1]:
        params = {tape.nodes[i][1] for i in unit.members if tape.nodes[i][0] == "@p"}
        assert [run.param_names[k] for k in sorted(params)] == [
            name for name in run.param_names if name.startswith(unit.name + ".")
        ]
        assert unit.node in unit.members and unit.drawing >= 0


def test_units_of_the_same_structure_share_a_drawing():
    _, run = binary_run()
    assert [u.drawing for u in run.tapes[0].units] == [u.drawing for u in run.tapes[1].units]
    assert len(run.drawings) == len({u.drawing for u in run.tapes[0].units if u.drawing >= 0}) or not run.drawings


def test_a_neurons_parts_are_named_in_its_drawing():
    model = MLP(2, [2, 1], seed=0)
    graph = point_graph(model, hinge_loss, (0.5, -0.5), 1)
    name, _, rebuild = graph.layers[0][1]
    out = rebuild([Value(0.5, label="x0"), Value(-0.5, label="x1")])
    labels = {node.label for node in topological_order(out)}
    assert {"L1.n1", "z", "sum0", "w0·x0", "w1·x1", "L1.n1.w0", "L1.n1.b"} <= labels and name == "L1.n1"


# The page -------------------------------------------------------------------------------------------


def page_parts(page):
    """The page's recording (as the script reads it) and its drawings, unpacked."""
    found = re.search(r'<script type="application/json" id="recording">(.*?)</script>', page, re.S)
    assert found, "the page holds its recording as JSON"
    data = json.loads(found.group(1))
    svgs = [gzip.decompress(base64.b64decode(d)).decode() for d in data["drawings"] if d]
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
    assert data["style"]["classes"][:2] == ["#2563eb", "#dc2626"]  # class -1 blue, +1 red, from microdiff.style
    assert len(svgs) == len(run.drawings) and not data["note"]


@pytest.mark.parametrize(
    "failure, says",
    [
        (DotNotFound("Graphviz's dot program is not installed"), "is not installed"),
        (DotTimedOut("dot did not finish drawing the graph within 60 s"), "took more than"),
    ],
)
def test_page_without_drawings_says_why(monkeypatch, failure, says):
    def fail(sources):
        raise failure

    monkeypatch.setattr(graphs, "render_drawings", fail)
    _, run = binary_run(steps=2, every=1, grid=3)
    data, svgs = page_parts(run.to_html())
    assert svgs == [] and says in data["note"] and len(data["tapes"]) == 2
    assert ("apt-get install graphviz" in data["note"]) == isinstance(failure, DotNotFound)


@needs_dot
def test_a_drawing_dot_refuses_is_left_out_and_the_others_stay(monkeypatch):
    """When dot refuses one drawing, that unit cannot be expanded; the note quotes dot, and says nothing of
    installing it (it is installed)."""
    render = graphs.render_drawings
    monkeypatch.setattr(graphs, "render_drawings", lambda sources: render(["digraph {", *sources[1:]]))
    _, run = binary_run(steps=1, every=1, grid=2)
    assert run.drawings[0] == "" and all(run.drawings[1:])
    assert "could not draw 1 of" in run.note and "install" not in run.note


def test_json_has_no_nan_and_no_early_script_end():
    _, run = binary_run(steps=1, every=1, grid=2)
    run.frames[0].loss = math.nan
    run.title = "a </script> in a title {{RECORDING}}"
    page = run.to_html()
    data, _ = page_parts(page)
    assert data["frames"][0]["loss"] is None
    assert data["title"] == run.title
    assert "<title>a &lt;/script&gt; in a title {{RECORDING}}</title>" in page
    assert page.count('id="recording"') == 1


def test_notebook_shows_the_page_in_an_iframe():
    _, run = binary_run(steps=1, every=1, grid=2)
    shown = run._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and "&lt;!DOCTYPE html&gt;" in shown and "<script" not in shown


def test_recording_is_a_dataclass_of_plain_data():
    _, run = binary_run(steps=1, every=1, grid=GRID // 10)
    assert isinstance(run, Recording)
    json.dumps(run.to_json())  # everything in it is plain JSON data


def test_save_is_atomic_and_refuses_a_folder(tmp_path, monkeypatch):
    _, run = binary_run(steps=1, every=1, grid=2)
    path = run.save(tmp_path / "explorer.html")
    before = path.read_text()
    monkeypatch.setattr(Recording, "to_html", lambda self: (_ for _ in ()).throw(RuntimeError("half way")))
    with pytest.raises(RuntimeError):
        run.save(path)
    assert path.read_text() == before and [p.name for p in tmp_path.iterdir()] == ["explorer.html"]
    monkeypatch.undo()
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        run.save(tmp_path)


def test_labels_are_checked():
    with pytest.raises(ValueError, match="one label per input"):
        Recorder(MLP(2, [3, 1]), POINTS2, LABELS2[:-1], loss=hinge_loss)
    with pytest.raises(ValueError, match="must be a point"):
        Recorder(MLP(3, [3, 1]), [(1.0, 2.0, 3.0)], [1], loss=hinge_loss)


def test_point_graph_has_named_leaves_and_layers():
    model = MLP(2, [3, 1], seed=0)
    graph = point_graph(model, hinge_loss, (0.5, -0.5), 1)
    assert [x.label for x in graph.inputs] == ["x0", "x1"]
    assert [[name for name, _, _ in layer] for layer in graph.layers] == [["L1.n0", "L1.n1", "L1.n2"], ["L2.n0"]]
    assert graph.loss.data == hinge_loss([graph.outputs[0]], [1]).data


# The command -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset, classes", [("xor", 2), ("spiral", 3)])
def test_explore_command_writes_the_page(tmp_path, capsys, dataset, classes):
    from microdiff.__main__ import main

    out = tmp_path / "new" / "explorer.html"
    args = ["explore", "--dataset", dataset, "--steps", "3", "--points", "30", "--hidden", "4", "-o", str(out)]
    assert main(args) == 0
    data, _ = page_parts(out.read_text())
    assert len(data["classNames"]) == classes and [f["step"] for f in data["frames"]] == [1, 2, 3, 4]
    printed = capsys.readouterr().out
    assert "step    1/3  loss" in printed and f"wrote {out}" in printed


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--steps", "0"], "--steps must be from 1 to 10000"),
        (["--steps", "abc"], "--steps takes a whole number"),
        (["--steps", "1e9"], "--steps takes a whole number"),
        (["--points", "0"], "--points must be from 10 to 1000"),
        (["--dataset", "spiral", "--points", "2"], "--points must be from 10"),
        (["--every", "-1"], "--every must be from 1"),
        (["--lr", "0"], "--lr must be a finite number above 0"),
        (["--lr", "inf"], "--lr must be a finite number"),
        (["--lr", "nan"], "--lr must be a finite number"),
        (["--lr", "fast"], "--lr takes a number"),
        (["--hidden", "16,"], "--hidden takes sizes"),
        (["--hidden", "0"], "--hidden takes sizes from 1 to 64"),
        (["--hidden", "1,1,1,1,1"], "--hidden takes at most 4 sizes"),
        (["--seed", "-1"], "--seed must be from 0"),
    ],
)
def test_the_command_refuses_bad_arguments_in_one_line(arguments, message, tmp_path, capsys):
    from microdiff.__main__ import main

    assert main(["explore", *arguments, "-o", str(tmp_path / "page.html")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("microdiff explore: error: ") and message in err
    assert err.count("\n") == 1 and not (tmp_path / "page.html").exists()


def test_the_command_refuses_an_output_it_cannot_write(tmp_path, capsys):
    """A page's path under a file, a suffix that is not a page's: one line, before training. A folder is where
    the page goes, under its usual name (the convention of every command)."""
    from microdiff.__main__ import main

    (tmp_path / "file").write_text("not a folder")
    for out, message in [(tmp_path / "file" / "page.html", "is a file, not a folder"), (tmp_path / "p.txt", ".html")]:
        assert main(["explore", "--steps", "1", "-o", str(out)]) == 1
        printed = capsys.readouterr()
        assert printed.err.startswith(f"microdiff explore: error: --out {str(out)!r}") and message in printed.err
        assert printed.out == ""
    assert main(["explore", "--steps", "1", "--points", "10", "-o", str(tmp_path)]) == 0
    assert (tmp_path / "explorer_moons.html").read_text().startswith("<!DOCTYPE html>")


def test_the_command_fails_in_one_line_with_status_1(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "microdiff", "explore", "--lr", "inf", "-o", str(tmp_path / "x.html")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("microdiff explore: error: --lr")


def test_without_the_graphviz_package_the_page_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "microdiff.drawing.draw", None)  # importing it now raises ImportError
    _, run = binary_run(steps=1, every=1, grid=2)
    assert run.drawings == [] and "pip install graphviz" in run.note and len(run.tapes) == 2
