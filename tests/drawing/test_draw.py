"""Drawings, read back from the SVG that Graphviz's dot writes; the backward stepper; the DOT-only fallback."""

import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from conftest import WITHOUT_GRAPHVIZ
from hypothesis import given

from microdiff import Value
from microdiff.anatomy import backward_steps
from microdiff.drawing.draw import draw
from microdiff.drawing.stepper import Stepper, draw_step
from microdiff.engine.value import Constant, topological_order
from microdiff.testing import expressions

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str | bytes) -> dict[str, tuple[list[str], tuple[float, float, float, float]]]:
    """Each node and cluster of a dot SVG: its DOT name -> (its texts, its bounding box x0, y0, x1, y1)."""
    found = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        if group.get("class") not in ("node", "cluster"):
            continue
        texts = [t.text.replace("\xa0", " ").strip() for t in group.iter(f"{SVG}text") if t.text and t.text.strip()]
        numbers = []
        for shape in group.iter():  # a node with a tooltip nests its shapes in a link
            if shape.tag == f"{SVG}ellipse":
                cx, cy, rx, ry = (float(shape.get(k)) for k in ("cx", "cy", "rx", "ry"))
                numbers += [cx - rx, cy - ry, cx + rx, cy + ry]
            elif shape.tag in (f"{SVG}path", f"{SVG}polygon"):
                numbers += [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", shape.get("d") or shape.get("points"))]
        xs, ys = numbers[0::2], numbers[1::2]
        found[group.findtext(f"{SVG}title")] = (texts, (min(xs), min(ys), max(xs), max(ys)))
    return found


def rendered(graph) -> dict:
    return parse(graph.pipe(format="svg"))


def seeds_sigmoid() -> Value:
    z = Value(0.0, label="z")
    y = z.sigmoid()
    y.label = "y"
    y.backward()
    return y


def seeds_f() -> tuple[Value, Value, Value]:
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = 3 * x**2 + x * y + 5 * y**2
    f.label = "f"
    f.backward()
    return f, x, y


def inside(inner, outer) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


@pytest.mark.needs_dot
def test_one_svg_node_per_value_and_per_operation():
    f, _, _ = seeds_f()
    order = topological_order(f)
    nodes = rendered(draw(f))
    values = [name for name in nodes if name.startswith("n")]
    ops = [name for name in nodes if name.startswith("op")]
    assert len(values) == len(order) == 13  # x, y, 6 intermediate values, f, and the constants 2, 2, 3, 5
    assert len(ops) == sum(1 for node in order if node.parents) == 7


@pytest.mark.needs_dot
def test_values_show_label_data_and_gradient_and_ops_their_symbol():
    f, _, _ = seeds_f()
    texts = [" ".join(texts) for texts, _ in rendered(draw(f)).values()]
    for expected in ("x = 2 grad 15", "y = 3 grad 32", "f = 63 grad 1", "v1 = 9 grad 5"):
        assert expected in texts
    assert sorted(t for t in texts if t in ("+", "×", "**")) == ["**", "**", "+", "+", "×", "×", "×"]  # ** as typed


@pytest.mark.needs_dot
def test_constants_are_their_number_alone():
    f, _, _ = seeds_f()
    nodes = rendered(draw(f))
    constants = [node for node in topological_order(f) if isinstance(node, Constant)]
    index = {node: i for i, node in enumerate(topological_order(f))}
    assert sorted(nodes[f"n{index[c]}"][0][0] for c in constants) == ["2", "2", "3", "5"]
    assert all(len(nodes[f"n{index[c]}"][0]) == 1 for c in constants)  # no name, no grad


@pytest.mark.needs_dot
def test_the_seeds_sigmoid_sits_in_a_box_with_its_four_operations():
    y = seeds_sigmoid()
    nodes = rendered(draw(y))
    clusters = [(texts, box) for name, (texts, box) in nodes.items() if name.startswith("cluster")]
    assert len(clusters) == 1 and clusters[0][0] == ["sigmoid"]
    box = clusters[0][1]
    ops = {texts[0]: bbox for name, (texts, bbox) in nodes.items() if name.startswith("op")}
    assert set(ops) == {"−", "exp", "+", "1/x"}
    assert all(inside(bbox, box) for bbox in ops.values())
    z = next(bbox for texts, bbox in nodes.values() if texts[0] == "z")
    assert not inside(z, box)  # the input comes from outside
    assert "z = 0 grad 0.25" in [" ".join(texts) for texts, _ in nodes.values()]


@pytest.mark.needs_dot
def test_a_neurons_weights_sit_in_its_box_and_its_inputs_outside():
    """Leaves belong to no composite; a drawing puts them in the innermost box around all their uses."""
    from microdiff.nn import Layer

    x = [Value(1.0, label="x0"), Value(-2.0, label="x1")]
    outs = Layer(2, 2, activation="relu", seed=1)(x)
    total = outs[0] + outs[1]
    total.backward()
    nodes = rendered(draw(total))
    boxes = [box for name, (texts, box) in nodes.items() if name.startswith("cluster") and texts in (["n0"], ["n1"])]
    assert len(boxes) == 2
    values = [(texts[0], bbox) for name, (texts, bbox) in nodes.items() if name.startswith("n")]
    weights = [bbox for text, bbox in values if text.split(".")[-1][0] in "wb"]
    assert len(weights) == 6  # n0.w0, n0.w1, n0.b, and the same for n1
    for bbox in weights:
        assert sum(inside(bbox, box) for box in boxes) == 1  # in exactly one neuron's box
    inputs = [bbox for text, bbox in values if text in ("x0", "x1")]
    assert len(inputs) == 2 and not any(inside(bbox, box) for bbox in inputs for box in boxes)


@pytest.mark.needs_dot
def test_nested_composites_nest_their_boxes_and_collapse_to_one_node():
    x = Value(0.5, label="x")
    out = x.tanh()  # tanh is built with a subtraction, which is a composite of its own
    out.backward()
    clusters = {texts[0]: box for name, (texts, box) in rendered(draw(out)).items() if name.startswith("cluster")}
    assert set(clusters) == {"tanh", "sub"} and inside(clusters["sub"], clusters["tanh"])
    nodes = rendered(draw(out, collapse=["sub"]))
    assert [texts for name, (texts, _) in nodes.items() if name.startswith("cluster")] == [["tanh"]]
    assert ["sub"] in [texts for name, (texts, _) in nodes.items() if name.startswith("op")]
    whole = rendered(draw(out, collapse=True))
    assert len(whole) == 3 and whole["op" + str(len(topological_order(out)) - 1)][0] == ["tanh"]  # x, tanh, out


@pytest.mark.needs_dot
def test_options_hide_gradients_annotate_edges_highlight_and_turn_top_down():
    f, x, _ = seeds_f()
    assert not any("grad" in t for texts, _ in rendered(draw(f, show_grad=False)).values() for t in texts)
    svg = ET.fromstring(draw(seeds_sigmoid(), edge_derivatives=True).pipe(format="svg"))
    edges = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "edge"]
    labels = sorted(t.text.strip() for g in edges for t in g.iter(f"{SVG}text"))
    assert labels == ["local -0.25", "local -1", "local 1", "local 1"]  # none on the constant's edge
    highlighted = draw(f, highlight=[x]).pipe(format="svg").decode()
    assert highlighted.count('fill="#fff1c2"') == 1
    ltr, ttb = rendered(draw(f)), rendered(draw(f, rankdir="TB"))
    index = {node: i for i, node in enumerate(topological_order(f))}
    x_name, f_name = f"n{index[x]}", f"n{index[f]}"
    assert ltr[f_name][1][0] > ltr[x_name][1][2]  # f right of x
    assert ttb[f_name][1][1] > ttb[x_name][1][3]  # f below x


@pytest.mark.needs_dot
def test_digits_and_automatic_names():
    out = Value(1.0) / 3.0
    out.backward()
    texts = [" ".join(t) for t, _ in rendered(draw(out, digits=2)).values()]
    assert {"v1 = 1 grad 0.33", "v2 = 0.33 grad 1", "v3 = 0.33 grad 1"} <= set(texts)  # numbered left to right


@pytest.mark.needs_dot
def test_jupyter_shows_svg_with_dot():
    bundle = draw(seeds_sigmoid())._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"] and "<svg" in bundle["image/svg+xml"]


def test_without_dot_the_display_is_the_dot_source_and_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no dot anywhere
    graph = draw(seeds_sigmoid())
    assert graph._repr_svg_() is None
    bundle = graph._repr_mimebundle_()
    assert "image/svg+xml" not in bundle
    assert bundle["text/plain"].startswith(graph.source) and "digraph" in graph.source
    assert "apt-get install graphviz" in bundle["text/plain"] and "brew install graphviz" in bundle["text/plain"]
    assert "<pre>" in bundle["text/html"] and "pip cannot install it" in bundle["text/html"]
    assert "<pre>" in Stepper(seeds_sigmoid()).html()


def test_steps_of_the_seeds_sigmoid_in_reverse_topological_order_with_their_words():
    y = seeds_sigmoid()
    steps = backward_steps(y)
    assert [step.node for step in steps] == [n for n in reversed(topological_order(y)) if n.parents]
    assert [step.node.op for step in steps] == ["reciprocal", "add", "exp", "neg"]
    assert [step.upstream for step in steps] == [1.0, -0.25, -0.25, -0.25]
    assert str(steps[-1]) == "step 4: v1 = neg(z): upstream -0.25; to z: -0.25 × local -1 = downstream 0.25"
    assert steps[0].known == {y: 1.0} | {steps[1].node: -0.25}


@pytest.mark.needs_dot
def test_a_step_draws_its_node_highlighted_and_only_the_gradients_known_so_far():
    f, x, y = seeds_f()
    steps = backward_steps(f)
    step = next(step for step in steps if x in step.node.parents)  # x is used twice: its gradient waits
    svg = draw_step(step).pipe(format="svg").decode()
    texts = [" ".join(t) for t, _ in parse(svg).values()]
    name, data, upstream = step.names[step.node], step.node.data, step.upstream
    assert "x = 2 grad ?" in texts and f"{name} = {data:g} grad {upstream:g}" in texts and "f = 63 grad 1" in texts
    assert svg.count('fill="#fff1c2"') == 1 and str(step) in svg.replace("&#45;", "-")


@given(expressions())
def test_downstream_contributions_add_up_to_the_gradients_backward_leaves(expr):
    inputs = [Value(x) for x in expr.inputs]
    out = expr(*inputs)
    steps = backward_steps(out)
    out.backward()
    sums: dict = {}
    for step in steps:
        assert step.upstream == step.node.grad
        for c in step.contributions:
            sums[c.input] = sums[c.input] + c.downstream if c.input in sums else c.downstream
            assert same(c.downstream, step.upstream * c.local)
    for node in topological_order(out)[:-1]:
        assert same(sums[node], node.grad)
    final = steps[-1].known if steps else {out: 1.0}
    assert all(same(final[node], node.grad) for node in topological_order(out))


def same(a: float, b: float) -> bool:
    """Equal, counting nan as equal to nan (d/db of a negative base to a constant power b is nan)."""
    return a == b or (math.isnan(a) and math.isnan(b))


@pytest.mark.needs_dot
def test_the_stepper_pages_through_every_frame_and_exports_them(tmp_path):
    stepper = Stepper(seeds_sigmoid())
    page = stepper.html()
    assert len(stepper.frames) == 5 and page.count('<div class="frame">') == 5 and page.count("<svg") == 5
    assert 'class="prev"' in page and 'class="next"' in page and "<script>" in page
    (html_file,) = stepper.save(tmp_path / "steps.html")
    text = html_file.read_text()
    assert text.startswith("<!DOCTYPE html>") and "src=" not in text and "href=" not in text
    files = stepper.save(tmp_path / "frames")
    assert [f.name for f in files] == [f"step_{i:02d}.svg" for i in range(5)]
    texts = [" ".join(t) for t, _ in parse(files[0].read_bytes()).values()]
    assert "y = 0.5 grad 1" in texts and "z = 0 grad ?" in texts


@pytest.mark.needs_dot
@pytest.mark.parametrize("grad", [2.5, Value(2.5)])
def test_gradients_that_are_values_show_their_number(grad):
    x = Value(1.0, label="x")
    x.grad = grad
    assert "x = 1 grad 2.5" in [" ".join(t) for t, _ in rendered(draw(x)).values()]


def edge_labels(graph) -> dict[str, str]:
    """Each edge of a dot SVG (``n0->op2``) and the text written on it."""
    svg = ET.fromstring(graph.pipe(format="svg"))
    edges = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "edge"]
    return {g.findtext(f"{SVG}title"): " ".join(t.text.strip() for t in g.iter(f"{SVG}text")) for g in edges}


@pytest.mark.needs_dot
def test_a_power_says_which_input_is_the_base_and_which_the_exponent():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    p = a**b
    p.backward()
    order = topological_order(p)
    name = {node: f"n{i}" for i, node in enumerate(order)}
    op = f"op{order.index(p)}"
    assert edge_labels(draw(p))[f"{name[a]}->{op}"] == "base"
    assert edge_labels(draw(p))[f"{name[b]}->{op}"] == "exponent"
    with_locals = edge_labels(draw(p, edge_derivatives=True))
    assert with_locals[f"{name[a]}->{op}"] == "base, local 12"  # d a^b / da = b·a^(b−1) = 12
    assert with_locals[f"{name[b]}->{op}"] == "exponent, local 5.545"  # d a^b / db = a^b·ln a


@pytest.mark.needs_dot
def test_each_local_derivative_is_written_on_its_own_edge_and_tied_to_it():
    """In the demo's neuron, x0's edge carries d(w0·x0)/dx0 = w0, and w0's carries x0: each label is its
    own edge's (``decorate`` draws a line from the label to that edge)."""
    w0, x0 = Value(0.25, label="L1.n0.w0"), Value(2.0, label="x0")
    out = (w0 * x0).relu()
    out.backward()
    graph = draw(out, edge_derivatives=True)
    order = topological_order(out)
    op = f"op{order.index(out.parents[0])}"
    labels = edge_labels(graph)
    assert labels[f"n{order.index(x0)}->{op}"] == "local 0.25" and labels[f"n{order.index(w0)}->{op}"] == "local 2"
    assert 'decorate="true"' in graph.source


@pytest.mark.needs_dot
def test_spaces_around_the_equals_sign_are_non_breaking_so_every_viewer_keeps_them():
    """SVG viewers (browsers, rsvg-convert) drop a space that starts a text element: "z= 0"."""
    svg = draw(seeds_sigmoid()).pipe(format="svg", encoding="utf-8")
    texts = re.findall(r">([^<>]*)</text>", svg)
    assert "\xa0=\xa00" in texts and not any(t.startswith(" ") for t in texts)


@pytest.mark.needs_dot
def test_a_label_that_is_not_a_string_is_shown_as_its_str():
    x = Value(1.0, label=5)  # type: ignore[arg-type]
    assert "5 = 1 grad 0" in [" ".join(t) for t, _ in rendered(draw(x)).values()]


def test_dot_runs_under_a_time_limit_and_fails_in_one_line(monkeypatch, tmp_path):
    from microdiff.drawing.draw import Graph
    from microdiff.drawing.runner import DrawingError

    (tmp_path / "dot").write_text("#!/bin/sh\nexec sleep 30\n")
    (tmp_path / "dot").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    monkeypatch.setattr(Graph, "timeout", 0.2)
    graph = draw(seeds_sigmoid())
    for call in (lambda: graph.pipe(format="svg"), lambda: graph.render(tmp_path / "g.gv"), graph._repr_svg_):
        with pytest.raises(DrawingError, match=r"^dot did not finish drawing the graph within 0.2 s \(Graph.timeout\)"):
            call()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dot"]  # nothing half written
    bundle = graph._repr_mimebundle_()  # Jupyter shows the one line, not a traceback
    assert list(bundle) == ["text/plain"] and bundle["text/plain"].startswith("dot did not finish")


@pytest.mark.needs_dot
def test_render_and_write_go_through_the_timeout_and_write_whole_files(tmp_path):
    graph = draw(seeds_sigmoid())
    assert graph.render(tmp_path / "g.gv", format="svg") == str(tmp_path / "g.gv.svg")
    assert (tmp_path / "g.gv").read_text() == graph.source and b"<svg" in (tmp_path / "g.gv.svg").read_bytes()
    assert graph.write(tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    assert graph.write(tmp_path / "g.dot").read_text() == graph.source
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "g.gv", "g.gv.svg", "g.png"]  # no leftovers


def test_backward_steps_need_no_graphviz():
    """Only drawing needs graphviz: without it, ``microdiff`` still imports and gives the steps."""
    code = (
        WITHOUT_GRAPHVIZ + "from microdiff import Value, backward_steps\n"
        "x = Value(3.0, label='x')\n"
        "print(backward_steps(x * x)[0])\n"
        "try:\n    from microdiff import draw\nexcept ModuleNotFoundError as e:\n    print(e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "step 1: v1 = mul(x, x): upstream 1; to x: 1 × local 3 = downstream 3; to x: 1 × local 3 = downstream 3",
        "draw needs the graphviz package: pip install graphviz "
        "(microdiff depends on it; Graphviz's dot program is installed apart)",
    ]


def test_the_stepper_has_one_counter_and_says_when_a_gradient_adds_up_paths():
    f, _, _ = seeds_f()
    stepper = Stepper(f)
    assert len(stepper.frames) == len(stepper.captions) == len(stepper.steps) + 1 == 8
    assert stepper.captions[0].startswith("Step 0: the forward pass is done")
    for k, (frame, caption) in enumerate(zip(stepper.frames[1:], stepper.captions[1:]), start=1):
        assert caption.startswith(f"step {k}: ") and f"step {k}: " not in frame.source  # said once: in the caption
    x_done = next(c for c in stepper.captions if "x is used 2 times" in c and "=" in c.split("x is used")[1])
    assert "x is used 2 times, so its gradient adds up what each path sends back: 12 + 3 = 15" in x_done
    assert any("(1 of 2 so far)" in c for c in stepper.captions)
    page = stepper.html()
    assert '"step " + i + " of " + last' in page  # the counter: "step 0 of 7" … "step 7 of 7"
    assert "ArrowLeft" in page and "ArrowRight" in page and 'tabindex="0"' in page
    assert "width: 100%" in page and "max-height: var(--room" in page and "overflow: auto" in page  # fits, or scrolls


def test_stepper_captions_escape_labels():
    x = Value(1.0, label="<script>alert(1)</script>")
    y = x * x
    page = Stepper(y).page()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.needs_dot
def test_the_neuron_view_names_each_neurons_value_after_the_neuron():
    from microdiff.nn import MLP

    x = [Value(1.0, label="x0"), Value(2.0, label="x1")]
    score = MLP(2, [2, 1], seed=0)(x)[0]
    score.backward()
    texts = [t[0] for t, _ in rendered(draw(score, collapse=True)).values()]
    assert sorted(t for t in texts if t.startswith("L")) == ["L1.n0", "L1.n0", "L1.n1", "L1.n1", "L2.n0", "L2.n0"]
    assert not any(re.fullmatch(r"v\d+", t) for t in texts)  # a box and a value per neuron, no v641


def test_a_big_networks_inner_nodes_are_counted_within_their_neuron():
    """No v641: past 99 unlabelled nodes, a node is named after the neuron around it (``L1.n3.v2``)."""
    from microdiff.anatomy import node_names
    from microdiff.nn import MLP

    x = [Value(1.0, label="x0"), Value(2.0, label="x1")]
    score = MLP(2, [16, 16, 1], seed=0)(x)[0]
    names = node_names(topological_order(score))
    assert len(set(names.values())) == len(names)  # every name is unique
    inner = [name for node, name in names.items() if not node.label and not isinstance(node, Constant)]
    assert len(inner) > 99 and all(re.fullmatch(r"L[123]\.n\d+\.v\d\d?", name) for name in inner)
    assert set(node_names(topological_order(seeds_sigmoid())).values()) >= {"v1", "v2", "v3"}  # small graphs: v1, v2…
