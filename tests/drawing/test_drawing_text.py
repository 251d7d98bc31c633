"""Any text a user gives — labels, composite names, titles — draws safely: no injected nodes, no dot failures.

The unit tests pin what :mod:`microdiff.drawing.dot` writes; the drawing tests run the real ``dot`` on the
cases issue 11 lists; the property test draws 50 random strings per run (hypothesis ``text()``, three
at a time: a label, a composite name and a title) and checks every picture's nodes, edges and texts.
"""

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microdiff import Value, mark_composite
from microdiff.drawing.dot import (
    NAME_LIMIT,
    TITLE_LIMIT,
    TOOLTIP_LIMIT,
    Html,
    attribute_list,
    html_label,
    label_text,
    quoted,
    shortened,
    tooltip,
    visible,
)
from microdiff.drawing.draw import draw
from microdiff.engine.value import topological_order

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
INJECTION = '<x>];evil[label="pwn"];a[label=<y>'
HOSTILE = [INJECTION, "]", "]]", "\t", "\x00\x01\x1b\x7f\x85\u2028", "a" * 16384, "\\", "\\N\\G\\n", '"', "\ud800",
           "<b>bold</b>", "&amp;", "é😀" * 3000, "]]>", "<!--", "{{TITLE}}", ""]  # fmt: skip


def test_visible_shows_control_characters_and_replaces_what_no_file_can_hold():
    assert visible("a\tb\nc\x00\x7f") == "a␉b␊c␀␡"
    assert visible("\x85\u2028") == "\\x85\\u2028"
    assert visible("\ud800\ufffe") == "\ufffd\ufffd"
    assert visible(5) == "5" and visible("plain é 😀") == "plain é 😀"


def test_long_text_is_shortened_for_display_and_kept_whole_in_a_tooltip():
    assert shortened("abcdef", 4) == "abc…" and shortened("abcd", 4) == "abcd"
    assert tooltip("abcd", 4) == "" and tooltip("abcdef", 4) == "abcdef"
    assert len(tooltip("x" * 20000, 40)) == TOOLTIP_LIMIT


def test_quoting_is_graphvizs_own_and_html_text_is_all_references():
    assert quoted('say "hi" \\N') == '"say \\"hi\\" \\\\N"'
    assert label_text("a <b>&]\\") == "a &#60;b&#62;&#38;&#93;&#92;&#92;"
    assert attribute_list({"label": INJECTION, "shape": "box"}) == (
        '[label="<x>];evil[label=\\"pwn\\"];a[label=<y>" shape="box"]'
    )
    assert attribute_list({"label": html_label("<b>x</b>")}) == "[label=<<b>x</b>>]"
    assert attribute_list({"label": shortened(Html("<x>"), 40)}) == '[label="<x>"]'  # only html_label makes Html


def picture(label: object, name: str, title: str) -> tuple[str, ET.Element]:
    """``label * 2`` marked as a composite ``name``, drawn with ``title`` by the real dot: the DOT name
    of the leaf ``label`` and the SVG."""
    x = Value(1.5, label=label)  # type: ignore[arg-type]  # a non-string label is drawn as str(label)
    y = x * 2
    mark_composite(name, [x], y)
    y.backward()
    leaf = f"n{topological_order(y).index(x)}"
    return leaf, ET.fromstring(draw(y, edge_derivatives=True, title=title).pipe(format="svg"))


def check(leaf_name: str, svg: ET.Element, label: object, name: str, title: str) -> None:
    """The drawing has exactly its own parts, and shows each text as given (visible, maybe shortened)."""
    groups = {kind: [g for g in svg.iter(f"{SVG}g") if g.get("class") == kind] for kind in ("node", "edge", "cluster")}
    assert sorted(g.findtext(f"{SVG}title") for g in groups["node"]) == ["n0", "n1", "n2", "op2"]
    assert sorted(g.findtext(f"{SVG}title") for g in groups["edge"]) == [
        "n0->op2",
        "n1->op2",
        "op2->n2",
    ]
    assert len(groups["cluster"]) == 1

    def texts(group: ET.Element) -> list[str]:
        return [t.text or "" for t in group.iter(f"{SVG}text")]

    leaf = next(g for g in groups["node"] if g.findtext(f"{SVG}title") == leaf_name)
    shown = str(label) if label not in ("", None) else "v1"
    assert texts(leaf) == [shortened(shown, NAME_LIMIT), "\xa0=\xa01.5", "grad 2"]
    assert [t for t in texts(groups["cluster"][0]) if t] == ([shortened(name, NAME_LIMIT)] if name else [])
    if title:
        assert next(svg.iter(f"{SVG}text")).text == shortened(title, TITLE_LIMIT)  # the title comes first
    links = [a.get(f"{XLINK}title") for a in leaf.iter(f"{SVG}a")]
    assert links == ([tooltip(shown, NAME_LIMIT)] if tooltip(shown, NAME_LIMIT) else [])


@pytest.mark.needs_dot
@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:12]))
def test_hostile_labels_names_and_titles_draw_as_text(text):
    leaf, svg = picture(text, text, text)
    check(leaf, svg, text, text, text)


@pytest.mark.needs_dot
def test_the_injected_composite_name_adds_no_node():
    leaf, svg = picture("x", INJECTION, "")
    check(leaf, svg, "x", INJECTION, "")
    assert not [g for g in svg.iter(f"{SVG}g") if g.findtext(f"{SVG}title") in ("evil", "a")]


@pytest.mark.needs_dot
@pytest.mark.parametrize("label", [5, 2.5, None, ("tuple",)])
def test_a_label_that_is_not_a_string_is_drawn_as_its_str(label):
    leaf, svg = picture(label, "box", "")
    check(leaf, svg, label, "box", "")


@pytest.mark.needs_dot
def test_a_16_kb_label_is_shortened_with_the_full_text_in_a_tooltip():
    leaf, svg = picture("é" * 16384, "box", "")
    node = next(g for g in svg.iter(f"{SVG}g") if g.findtext(f"{SVG}title") == leaf)
    assert next(node.iter(f"{SVG}text")).text == "é" * (NAME_LIMIT - 1) + "…"
    assert next(node.iter(f"{SVG}a")).get(f"{XLINK}title") == "é" * (TOOLTIP_LIMIT - 1) + "…"


@pytest.mark.needs_dot
def test_markup_in_a_label_is_shown_as_text_not_read_as_markup():
    label, name = "<b>bold</b> & <i>", "<font color='red'>box</font>"
    leaf, svg = picture(label, name, "")
    check(leaf, svg, label, name, "")  # the texts are the characters given, not bold, italic or red ones
    assert "red" not in {t.get("fill") for t in svg.iter(f"{SVG}text")}


@pytest.mark.needs_dot
@settings(max_examples=50)
@given(st.text(max_size=60), st.text(max_size=60), st.text(max_size=200))
def test_random_text_never_breaks_a_drawing_nor_adds_to_it(label, name, title):
    leaf, svg = picture(label, name, title)
    check(leaf, svg, label, name, title)
