"""Drawing a computational graph with Graphviz: values, operations, composite boxes and gradients.

``draw(root)`` returns a :class:`Graph` (a ``graphviz.Digraph``) that Jupyter shows inline as SVG. What
the picture shows — which nodes, in which boxes and columns, named how — is worked out by
:func:`microdiff.anatomy.anatomy`; this module writes it as DOT text. The picture reads left to right,
like the forward pass, one column per step of it:

* each **value** is a rounded box with its name (its label, or ``v1, v2…`` column by column from the
  left), its data and, in orange, its gradient: green for a leaf, blue for the result of an operation;
* each **operation** is a small circle with the op's symbol from the table in :mod:`microdiff.engine.ops`
  (``**`` for a power, as Python writes it), between its inputs and its output; a power's edges say
  which input is the ``base`` and which the ``exponent``;
* a **constant** (the 2 in ``2 * x``) is its number alone, in a dashed box: it has no gradient worth showing;
* a **composite** (sigmoid, tanh, sub, div, a neuron) is a labelled box around its fundamental parts,
  or one node of its own when collapsed;
* a **key** at the bottom says what the colours mean, under the title if there is one.

With ``edge_derivatives=True`` each edge into an operation carries its *local* derivative, computed
from the op's ``local`` rule, tied to its edge by a thin line: multiplying it by the output's gradient
(upstream) gives the gradient that flows back along the edge (downstream).

Every piece of text enters the DOT source through :mod:`microdiff.drawing.dot`, so no label can break
the drawing; and ``dot`` runs through :func:`microdiff.drawing.runner.run_dot`, under a time limit
(:attr:`Graph.timeout`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import graphviz

from microdiff import web
from microdiff.anatomy import anatomy, boxes_around, compact, local_derivatives
from microdiff.drawing.dot import NAME_LIMIT, TITLE_LIMIT, attribute_list, html_label, label_text, shortened, tooltip
from microdiff.drawing.runner import DOT_TIMEOUT, INSTALL_DOT, DotNotFound, DrawingError, run_dot
from microdiff.engine.composite import Composite
from microdiff.engine.ops import OPS
from microdiff.engine.trace import Program
from microdiff.engine.value import Constant, Value
from microdiff.files import write_atomically
from microdiff.style import DATA_COLOUR, GRAD_COLOUR, LOCAL_COLOUR

INSTALL_HINT = f"Graphviz's dot program is not installed, so this is the graph's DOT source: {INSTALL_DOT}."

# dot's network simplex (ranking and placing nodes) may run very long on graphs where a few leaves feed
# many operations: a sum of 49 products x*y took it 20 s, one of 80 over 5 minutes. Bounding its
# iterations to 3 per node brings the 49 products to 0.3–0.7 s, leaves small drawings exactly as they
# were (the README's pictures, a layer of neurons) and the demo network's at about 1 s.
BOUNDED_LAYOUT = {"nslimit": "3", "nslimit1": "3"}
FONT = "Helvetica,Arial,sans-serif"
UNKNOWN_COLOUR = "#9ca3af"  # grey: a gradient not known yet, half way through a backward pass
KEY_COLOUR = "#6b7280"  # the key's own word, "key:"
LEADER_COLOUR = "#b4b9c3"  # the thin line from an edge's words to the edge (Graphviz draws it in the font colour)
INPUT_ROLES = {"pow": ("base", "exponent")}  # ops whose inputs play different parts say which is which
STYLE = {
    "value": {"shape": "box", "style": "rounded,filled", "fillcolor": "#eef4fb", "color": "#8fa9c8"},
    "leaf": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ecf7ee", "color": "#8dbf98"},
    "highlight": {"shape": "box", "style": "rounded,filled", "fillcolor": "#fff1c2", "color": "#e8590c"},
    "constant": {
        "shape": "box",
        "style": "rounded,dashed",
        "color": "#b0b0b0",
        "fontcolor": "#555555",
        "width": "0.3",
        "height": "0.3",
        "margin": "0.04",
    },
    "op": {
        "shape": "circle",
        "style": "filled",
        "fillcolor": "#fdf6e3",
        "color": "#d4b25c",
        "margin": "0.01",
        "fontsize": "12",
    },
    "composite": {
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": "#f6f2fc",
        "color": "#b9a6dd",
        "height": "0.3",
    },
    "cluster": {  # its name at the top, in the middle (a box would otherwise take the key's place, bottom left)
        "style": "rounded,filled",
        "fillcolor": "#f6f2fc",
        "color": "#b9a6dd",
        "fontcolor": "#5b3f99",
        "labelloc": "t",
        "labeljust": "c",
    },
}
#: The key's words for each kind of box, in the order the key lists them (each only where one is drawn).
KEY = {"leaf": "leaf", "value": "result", "constant": "constant", "composite": "composite"}


class Graph(graphviz.Digraph):
    """A drawn computational graph: a ``graphviz.Digraph`` that Jupyter shows as SVG.

    ``dot`` runs under a time limit, :attr:`timeout` seconds (set it on a graph to allow more): past it,
    or if ``dot`` fails, a :class:`~microdiff.drawing.runner.DrawingError` says so in one line. Without
    Graphviz's ``dot`` program the display falls back to the DOT text and one line on how to install
    ``dot``; ``.source`` always works, since it needs no program at all. Outside Jupyter, :meth:`write`
    saves the picture.
    """

    timeout: float = DOT_TIMEOUT
    summary: str = "a drawing of a computational graph"

    def pipe(self, format: str | None = None, *, engine: str | None = None, encoding: str | None = None) -> Any:
        """The picture in ``format`` (``"svg"``, ``"png"``…) as bytes, or text when ``encoding`` is given."""
        picture = run_dot(self.source, format or self.format, engine=engine or self.engine, timeout=self.timeout)
        return picture.decode(encoding) if encoding else picture

    def render(
        self, filename: str | os.PathLike[str] | None = None, directory: str | os.PathLike[str] | None = None,
        view: bool = False, cleanup: bool = False, format: str | None = None, **unsupported: Any,
    ) -> str:  # fmt: skip
        """Write the DOT source to ``filename`` (unless ``cleanup``) and the picture beside it, as graphviz
        does (``graph.gv`` and ``graph.gv.svg``), but through :meth:`pipe`'s time limit and atomically."""
        if view or unsupported:
            raise TypeError(f"Graph.render does not support {', '.join(['view'] * view + list(unsupported))}")
        source = Path(directory or self.directory or "") / (filename or self.filename)
        fmt = format or self.format
        picture = write_atomically(f"{source}.{fmt}", self.pipe(format=fmt))
        if not cleanup:
            write_atomically(source, self.source)
        return str(picture)

    def write(self, path: str | os.PathLike[str], format: str | None = None) -> Path:
        """Write the picture to ``path`` atomically (``format`` defaults to its suffix; ``dot`` and ``gv``
        write the DOT text, which needs no Graphviz). Returns the path."""
        fmt = format or Path(path).suffix.lower().lstrip(".")
        return write_atomically(path, self.source if fmt in ("dot", "gv") else self.pipe(format=fmt))

    def __repr__(self) -> str:
        """What a plain Python shell shows: what this is, and how to see it."""
        return (
            f"<{self.summary}: Jupyter shows it as a picture; elsewhere write it to a file with "
            ".write('graph.svg') (or 'graph.png', or 'graph.dot' for the DOT text)>"
        )

    def _repr_svg_(self) -> str | None:
        try:
            return self.pipe(format="svg", encoding="utf-8")
        except DotNotFound:
            return None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
        try:
            svg = self._repr_svg_()
        except DrawingError as error:  # in a notebook: the one line, not a traceback
            return {"text/plain": str(error)}
        if svg is not None:
            return {"image/svg+xml": svg}
        return {"text/plain": f"{self.source}\n{INSTALL_HINT}", "text/html": self.html()}

    def html(self) -> str:
        """The picture as an inline ``<svg>`` element, or the DOT text and the install hint without ``dot``."""
        svg = self._repr_svg_()
        if svg is not None:
            return svg[svg.index("<svg") :]
        return f"<pre>{web.html_text(self.source)}</pre><p>{web.html_text(INSTALL_HINT)}</p>"


def draw(
    root: Value | Program,
    *,
    show_grad: bool = True,
    edge_derivatives: bool = False,
    highlight: Iterable[Value] = (),
    rankdir: str = "LR",
    collapse: bool | Iterable[str] = (),
    digits: int = 4,
    grads: Mapping[Value, Any] | None = None,
    title: str = "",
) -> Graph:
    """Draw the graph that ``root`` was computed from (for a traced :class:`~microdiff.engine.trace.Program`, the
    graph its instructions build on the traced example: :meth:`Program.graph`).

    ``show_grad`` shows each value's gradient; ``edge_derivatives`` writes each input's local
    derivative on its edge; ``highlight`` marks some values; ``rankdir="TB"`` draws top to bottom;
    ``collapse`` names composites to draw as one node (``True``: all of them); ``digits`` is the
    number of significant digits. ``grads`` shows these gradients instead of each node's ``.grad``
    (a value missing from it shows ``grad ?``): the backward stepper uses it to draw a pass half done.
    Labels, composite names and the title may hold any text: long ones are shortened, with the whole
    text in a tooltip.
    """
    if isinstance(root, Program):  # a traced program: drawn as the graph its instructions make
        title = title or f"{root.name}: {len(root.instructions)} instructions"
        root = root.graph()
    if not isinstance(root, Value):
        raise TypeError(f"draw needs a Value or a traced Program, not {type(root).__name__}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw: rankdir must be LR, TB, RL or BT, not {rankdir!r}")
    shape = anatomy(root, collapse)
    index = {node: i for i, node in enumerate(shape.order)}
    marked = set(highlight)
    boxes = _Boxes()
    edges: list[str] = []
    kinds: set[str] = set()  # the kinds of box drawn, for the key
    unknown = False  # whether some gradient shows "?"
    for node in shape.drawn:
        box = boxes.at(shape.box[node])
        name = f"n{index[node]}"
        kind = "constant" if isinstance(node, Constant) else "value" if node.parents else "leaf"
        kinds.add(kind)
        if kind == "constant":
            box.append(_line(name, label=compact(node.data, digits), **STYLE["constant"]))
            continue
        grad = node.grad if grads is None else grads.get(node)
        unknown = unknown or grad is None
        full = tooltip(shape.names[node], NAME_LIMIT)
        label = _value_label(shape.names[node], node, grad, show_grad, digits)
        style = STYLE["highlight" if node in marked else kind]
        box.append(_line(name, label=label, **style, **({"tooltip": full} if full else {})))
        if kind == "leaf":
            continue
        collapsed = shape.collapsed.get(node)
        op_name = f"op{index[node]}"
        if collapsed:
            kinds.add("composite")
            symbol, full = shortened(collapsed.name, NAME_LIMIT), tooltip(collapsed.name, NAME_LIMIT)
            box.append(_line(op_name, label=symbol, **STYLE["composite"], **({"tooltip": full} if full else {})))
        else:
            symbol = shortened(OPS[node.op].symbol, NAME_LIMIT)
            box.append(_line(op_name, label=symbol, **STYLE["op"], width="0.3" if len(symbol) < 3 else "0.45"))
        edges.append(f"{op_name} -> {name}")
        locals_ = local_derivatives(node) if edge_derivatives and not collapsed else ()
        roles = INPUT_ROLES.get(node.op, ()) if not collapsed else ()
        for i, parent in enumerate(shape.inputs[node]):
            words = [roles[i]] if i < len(roles) else []
            if i < len(locals_) and not isinstance(parent, Constant):
                words.append(f"local {compact(locals_[i], digits)}")
            edge = f"n{index[parent]} -> {op_name}"
            edges.append(f"{edge} {_edge_label(', '.join(words))}" if words else edge)
    layout = {"rankdir": rankdir, "fontname": FONT, "nodesep": "0.25", "ranksep": "0.35", "newrank": "true"}
    edge_style = {"color": "#6b7280", "arrowsize": "0.6", "fontname": FONT, "fontsize": "9"}
    head = [
        "graph " + attribute_list(layout | BOUNDED_LAYOUT),
        "node " + attribute_list({"fontname": FONT, "fontsize": "11", "fontcolor": DATA_COLOUR}),
        "edge " + attribute_list(edge_style | {"fontcolor": LEADER_COLOUR}),
        "graph " + attribute_list(_caption(title, kinds, show_grad, unknown)),
    ]
    body = head + boxes.lines() + edges + _columns(shape.drawn, shape.column, index)
    graph = Graph(name="computational_graph", body=[f"\t{line}\n" for line in body])
    operations = sum(1 for node in shape.drawn if node.parents)
    of = shortened(shape.names[root], NAME_LIMIT)
    graph.summary = f"drawing of {of} ({len(shape.drawn)} values, {operations} operations)"
    return graph


def _line(name: str, **attributes: Any) -> str:
    """A node statement: ``name [attribute="value" …]`` (``name`` is microdiff's own, e.g. ``n3``)."""
    return f"{name} {attribute_list(attributes)}"


def _value_label(name: str, node: Value, grad: Any, show_grad: bool, digits: int) -> str:
    """A value's HTML-like label: "name = data", and below it the gradient (orange; a grey "?" if not known yet).

    The spaces around "=" are non-breaking: SVG viewers drop a space at the start of a text element.
    """
    name, data = label_text(shortened(name, NAME_LIMIT)), label_text(compact(node.data, digits))
    rows = f"<tr><td><b>{name}</b>&#160;=&#160;{data}</td></tr>"
    if show_grad:
        text, colour = ("grad ?", UNKNOWN_COLOUR) if grad is None else (f"grad {compact(grad, digits)}", GRAD_COLOUR)
        rows += f'<tr><td><font color="{colour}" point-size="10">{label_text(text)}</font></td></tr>'
    return html_label(f'<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{rows}</table>')


def _edge_label(words: str) -> str:
    """The attributes of an edge that carries ``words`` (a local derivative, an input's role): the words
    in violet, tied to their own edge by a thin grey line (``decorate``; its colour is the edge's
    ``fontcolor``, :data:`LEADER_COLOUR`)."""
    label = html_label(f'<font color="{LOCAL_COLOUR}">{label_text(words)}</font>')
    return attribute_list({"label": label, "decorate": "true"})


def _caption(title: str, kinds: set[str], show_grad: bool, unknown: bool) -> dict[str, Any]:
    """The graph's label, at the bottom left: the title (if any), then the key to the picture's colours.

    The key shows each kind of box drawn — a leaf, a result, a constant, a collapsed composite — in the
    style it is drawn in, and the gradient's colour (and the grey "?" of one not known yet)."""
    cells = [_key_cell("key:", KEY_COLOUR)]
    for kind, words in KEY.items():
        if kind in kinds:
            style = STYLE[kind]
            box = f'border="1" style="{style["style"].replace(",filled", "")}" color="{style["color"]}"'
            fill = f' bgcolor="{style["fillcolor"]}"' if "fillcolor" in style else ""
            cells.append(_key_cell(words, style.get("fontcolor", DATA_COLOUR), box + fill))
    if show_grad:
        cells.append(_key_cell("grad = d output / d value", GRAD_COLOUR))
        if unknown:
            cells.append(_key_cell("grad ? = not known yet", UNKNOWN_COLOUR))
    if title:  # on the key's line, before it: a line of its own would share its width out among the key's boxes
        text = label_text(shortened(title, TITLE_LIMIT))
        cells[:0] = [f'<td align="left"><font point-size="12">{text}</font></td>', '<td width="12"></td>']
    label = html_label(f'<table border="0" cellspacing="3" cellpadding="2"><tr>{"".join(cells)}</tr></table>')
    full = tooltip(title, TITLE_LIMIT)
    return {"label": label, "labelloc": "b", "labeljust": "l", **({"tooltip": full} if full else {})}


def _key_cell(words: str, colour: str, box: str = "") -> str:
    """One cell of the key: ``words`` in ``colour``, in a box drawn as ``box`` says (none by default)."""
    return f'<td {box}><font point-size="9" color="{colour}">{label_text(words)}</font></td>'


def _columns(drawn: list[Value], column: dict[Value, int], index: dict[Value, int]) -> list[str]:
    """``{rank=same; …}`` for each column of values: dot then draws them in the columns the names count by."""
    same: dict[int, list[str]] = {}
    for node in drawn:
        same.setdefault(column[node], []).append(f"n{index[node]}")
    return ["{rank=same; " + "; ".join(names) + "}" for names in same.values() if len(names) > 1]


class _Boxes:
    """The labelled clusters (``subgraph cluster_*``) drawn around composites, nested like them."""

    def __init__(self) -> None:
        self.top: list[str] = []
        self.clusters: dict[Composite, list[str]] = {}

    def at(self, box: Composite | None) -> list[str]:
        """Where to put a node that sits inside ``box`` (the whole graph for ``None``)."""
        if box is None:
            return self.top
        for outer in boxes_around(box):
            if outer not in self.clusters:
                full = tooltip(outer.name, NAME_LIMIT)
                attributes = {"label": shortened(outer.name, NAME_LIMIT), "fontsize": "11", "fontname": FONT}
                attributes |= {"margin": "10", **STYLE["cluster"], **({"tooltip": full} if full else {})}
                self.clusters[outer] = [f"graph {attribute_list(attributes)}"]
        return self.clusters[box]

    def lines(self) -> list[str]:
        """The statements of the whole graph: each cluster inside the one around it, innermost first."""
        numbers = {box: i for i, box in enumerate(self.clusters)}
        for box in sorted(self.clusters, key=lambda b: len(boxes_around(b)), reverse=True):
            outer = self.clusters[box.parent] if box.parent is not None else self.top
            outer.extend([f"subgraph cluster_{numbers[box]} {{", *self.clusters[box], "}"])
        return self.top
