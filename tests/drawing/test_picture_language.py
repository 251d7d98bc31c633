"""One picture language (issue 19, "Pictures that disagree"): every drawing explains its colours in a key,
draws the power op as people type it, numbers its values from left to right as the README says, ties
each edge's words to the edge with a thin line, and says in a plain shell how to write itself; the
Stepper page shows each step's words once. Read back from the SVG that Graphviz's ``dot`` writes.
"""

import ast
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import ROOT
from hypothesis import given, settings

from microdiff import OPS, Value
from microdiff.anatomy import backward_steps
from microdiff.drawing.draw import LEADER_COLOUR, STYLE, draw
from microdiff.drawing.stepper import Stepper
from microdiff.engine.value import Constant, topological_order
from microdiff.style import GRAD_COLOUR, LOCAL_COLOUR
from microdiff.testing import expressions
from microdiff.web import html_text

SVG = "{http://www.w3.org/2000/svg}"
README = ROOT / "README.md"


def seeds_f() -> Value:
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = 3 * x**2 + x * y + 5 * y**2
    f.label = "f"
    f.backward()
    return f


def svg_of(graph) -> ET.Element:
    return ET.fromstring(graph.pipe(format="svg"))


def key_of(svg: ET.Element) -> dict[str, dict[str, str]]:
    """The key's entries, read from the graph's own label (drawn before any node): each text with its
    colour and, when it sits in a box, the box's fill, stroke and dashes."""
    graph = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "graph")
    entries, shapes = {}, []
    for element in graph:
        if element.tag == f"{SVG}path":
            shapes.append(element)
        elif element.tag == f"{SVG}text":
            box = {"colour": element.get("fill", "#000000")}
            for shape in shapes:  # a box is drawn as its fill, then its outline
                if shape.get("fill") not in (None, "none"):
                    box["fill"] = shape.get("fill")
                if shape.get("stroke") not in (None, "transparent"):
                    box["stroke"], box["dashes"] = shape.get("stroke"), shape.get("stroke-dasharray", "")
            entries[element.text.strip()] = box
            shapes = []
    return entries


def node_box(svg: ET.Element, name: str) -> dict[str, str]:
    group = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "node" and g.findtext(f"{SVG}title") == name)
    shapes = [s for s in group.iter() if s.tag in (f"{SVG}path", f"{SVG}polygon")]
    fill = next((s.get("fill") for s in shapes if s.get("fill") not in (None, "none")), None)
    outline = next(s for s in shapes if s.get("stroke") not in (None, "transparent"))
    return {"fill": fill, "stroke": outline.get("stroke"), "dashes": outline.get("stroke-dasharray", "")}


@pytest.mark.needs_dot
def test_every_drawing_has_a_key_in_the_colours_it_draws_with():
    f = seeds_f()
    svg = svg_of(draw(f))
    key = key_of(svg)
    assert list(key) == ["key:", "leaf", "result", "constant", "grad = d output / d value"]
    order = topological_order(f)
    leaf = next(i for i, n in enumerate(order) if n.label == "x")
    constant = next(i for i, n in enumerate(order) if isinstance(n, Constant))
    for word, index in (("leaf", leaf), ("result", len(order) - 1), ("constant", constant)):
        drawn = node_box(svg, f"n{index}")
        assert key[word].get("fill") == drawn["fill"] and key[word]["stroke"] == drawn["stroke"], word
        assert key[word]["dashes"] == drawn["dashes"]
    assert key["constant"]["dashes"] and not key["leaf"]["dashes"]  # constants are dashed
    assert key["leaf"]["fill"] == STYLE["leaf"]["fillcolor"]
    assert key["grad = d output / d value"]["colour"] == GRAD_COLOUR


@pytest.mark.needs_dot
def test_the_key_lists_only_what_the_drawing_shows():
    from microdiff.nn import MLP

    x = Value(0.5, label="x")
    assert list(key_of(svg_of(draw(x, show_grad=False)))) == ["key:", "leaf"]
    score = MLP(2, [2, 1], seed=0)([Value(1.0, label="x0"), Value(2.0, label="x1")])[0]
    score.backward()
    key = key_of(svg_of(draw(score, collapse=True)))
    assert list(key) == ["key:", "leaf", "result", "composite", "grad = d output / d value"]
    assert key["composite"]["fill"] == STYLE["composite"]["fillcolor"]
    step = Stepper(seeds_f()).frames[3]  # half way: some gradients are not known yet
    assert list(key_of(svg_of(step)))[-1] == "grad ? = not known yet"


@pytest.mark.needs_dot
def test_the_title_and_then_the_key_stand_under_the_picture():
    svg = svg_of(draw(seeds_f(), title="f at (2, 3)"))
    texts = [t for t in next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "graph") if t.tag == f"{SVG}text"]
    title, key = texts[0], texts[1]
    assert title.text == "f at (2, 3)" and key.text == "key:"
    assert float(title.get("x")) < float(key.get("x"))  # on one line: a line of its own would stretch the key
    nodes = [float(t.get("y")) for g in svg.iter(f"{SVG}g") if g.get("class") == "node" for t in g.iter(f"{SVG}text")]
    assert max(nodes) < min(float(title.get("y")), float(key.get("y")))  # under the picture (y grows downwards)


def test_the_power_is_drawn_as_python_writes_it():
    assert OPS["pow"].symbol == "**"
    assert isinstance(ast.parse(f"a {OPS['pow'].symbol} b", mode="eval").body.op, ast.Pow)
    assert '[label="**"' in draw(Value(2.0, label="a") ** 3).source


def centres(svg: ET.Element) -> dict[str, float]:
    """The x of each value box's centre, by the name it shows (its first text)."""
    found = {}
    for group in svg.iter(f"{SVG}g"):
        if group.get("class") != "node" or not (group.findtext(f"{SVG}title") or "").startswith("n"):
            continue
        name = next(t.text for t in group.iter(f"{SVG}text") if t.text and t.text.strip())
        xs = [float(n) for s in group.iter(f"{SVG}path") for n in re.findall(r"(-?\d+(?:\.\d+)?),", s.get("d"))]
        found[name.strip()] = (min(xs) + max(xs)) / 2
    return found


def assert_numbered_left_to_right(root: Value) -> None:
    """v1, v2… stand column by column from left to right: each one's centre is no left of the one before,
    and values of one column (by the anatomy) share their centre."""
    x = centres(svg_of(draw(root)))
    numbered = sorted((name for name in x if re.fullmatch(r"v\d+", name)), key=lambda name: int(name[1:]))
    for before, after in zip(numbered, numbered[1:]):
        assert x[before] <= x[after] + 0.5, (before, x[before], after, x[after])


@pytest.mark.needs_dot
def test_values_are_numbered_from_left_to_right_as_the_readme_says():
    f = seeds_f()
    x = centres(svg_of(draw(f)))
    assert x["v1"] == pytest.approx(x["v2"], abs=0.5) == pytest.approx(x["v3"], abs=0.5)  # one column
    assert x["v4"] == pytest.approx(x["v5"], abs=0.5) and x["v3"] < x["v4"] < x["v6"] < x["f"]
    assert_numbered_left_to_right(f)
    from microdiff.nn import Layer

    layer = Layer(2, 2, activation="relu", seed=1)([Value(1.0, label="x0"), Value(-2.0, label="x1")])
    total = layer[0] + layer[1]
    assert_numbered_left_to_right(total)
    readme = " ".join(README.read_text().split())
    assert "unlabelled values are `v1`, `v2`… column by column from left to right" in readme


@pytest.mark.needs_dot
@settings(max_examples=25, deadline=None)
@given(expressions())
def test_random_graphs_are_numbered_from_left_to_right(expr):
    out = expr(*[Value(x) for x in expr.inputs])
    if isinstance(out, Value):
        assert_numbered_left_to_right(out)


@pytest.mark.needs_dot
def test_edge_words_are_violet_and_tied_to_their_edge_by_a_thin_grey_line():
    graph = draw(seeds_f(), edge_derivatives=True)
    svg = svg_of(graph)
    edges = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "edge" and g.find(f"{SVG}text") is not None]
    assert len(edges) == graph.source.count('decorate="true"') == 12  # all but the edges of the 3 and the 5
    for edge in edges:
        assert {t.get("fill") for t in edge.iter(f"{SVG}text")} == {LOCAL_COLOUR}
        (leader,) = edge.iter(f"{SVG}polyline")  # Graphviz's decorate: the words' underline, then to the edge
        assert leader.get("stroke") == LEADER_COLOUR != LOCAL_COLOUR
        assert not [
            s
            for s in edge.iter()
            if s.get("stroke") == LOCAL_COLOUR or s.get("fill") == LOCAL_COLOUR and s.tag != f"{SVG}text"
        ]  # fmt: skip  (no violet shape: no purple wedge)


def test_a_plain_shell_is_told_how_to_write_the_picture():
    text = repr(draw(seeds_f()))
    assert "object at 0x" not in text and ".write('graph.svg')" in text and "Jupyter" in text
    assert text.startswith("<drawing of f (13 values, 7 operations)")


@pytest.mark.needs_dot
def test_the_stepper_page_says_each_step_once_and_saved_frames_keep_their_words(tmp_path):
    f = seeds_f()
    stepper = Stepper(f)
    page = stepper.page()
    for step in backward_steps(f):
        assert page.count(f"step {step.number}: ") == 1  # in its caption only, not also as the picture's title
        assert html_text(str(step)) in page
    assert "<h1>" in page and "<style>" in page and ".md-stepper button" in page  # a styled page
    files = stepper.save(tmp_path / "frames")
    for k, file in enumerate(files):
        words = "Step 0:" if k == 0 else f"step {k}:"
        assert words in file.read_text()  # a lone SVG has no page around it: its words are its title
