"""Drawing a computational graph with Graphviz: values, operations, composite boxes and gradients.

``draw(root)`` walks the graph that ``root`` was computed from and returns a :class:`Graph` (a
``graphviz.Digraph``) that Jupyter shows inline as SVG. The picture reads left to right, like the
forward pass:

* each **value** is a rounded box with its name (its label, or ``v3`` for the third unlabelled node
  from the left), its data and, in orange, its gradient;
* each **operation** is a small circle with the op's symbol from the table in :mod:`microdiff.engine.ops`,
  between its inputs and its output; a power's edges say which input is the ``base`` and which the
  ``exponent``;
* a **constant** (the 2 in ``2 * x``) is its number alone: it has no gradient worth showing;
* a **composite** (sigmoid, tanh, sub, div, a neuron) is a labelled box around its fundamental parts,
  or one node of its own when collapsed.

With ``edge_derivatives=True`` each edge into an operation carries its *local* derivative, computed
from the op's ``local`` rule: multiplying it by the output's gradient (upstream) gives the gradient
that flows back along the edge (downstream).

Every piece of text enters the DOT source through :mod:`microdiff.drawing.dot`, so no label can break
the drawing; and ``dot`` itself runs under a time limit (:attr:`Graph.timeout`).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import graphviz

from microdiff import web
from microdiff.drawing.dot import NAME_LIMIT, TITLE_LIMIT, attribute_list, html_label, label_text, shortened, tooltip
from microdiff.drawing.names import boxes_around, compact, local_derivatives, node_names
from microdiff.engine.composite import Composite, composite_boxes
from microdiff.engine.ops import OPS
from microdiff.engine.value import Constant, Value, topological_order
from microdiff.files import write_atomically
from microdiff.style import DATA_COLOUR, GRAD_COLOUR, LOCAL_COLOUR

INSTALL_HINT = (
    "Graphviz's dot program is not installed, so this is the graph's DOT source: install it with "
    "`apt-get install graphviz` (Debian/Ubuntu) or `brew install graphviz` (macOS); pip cannot install it."
)

DOT_TIMEOUT = 60.0  # seconds; a 1,000-node network takes dot about 1 s
# dot's network simplex (ranking and placing nodes) may run very long on graphs where a few leaves feed
# many operations: a sum of 49 products x*y took it 20 s, one of 80 over 5 minutes. Bounding its
# iterations to 3 per node brings the 49 products to 0.3–0.7 s, leaves small drawings exactly as they
# were (the README's pictures, a layer of neurons) and the demo network's at about 1 s.
BOUNDED_LAYOUT = {"nslimit": "3", "nslimit1": "3"}
FONT = "Helvetica,Arial,sans-serif"
UNKNOWN_COLOUR = "#9ca3af"  # grey: a gradient not known yet, half way through a backward pass
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
    "cluster": {"style": "rounded,filled", "fillcolor": "#f6f2fc", "color": "#b9a6dd", "fontcolor": "#5b3f99"},
}


class DrawingError(RuntimeError):
    """``dot`` failed on a drawing, or did not finish in time: one line, without ``dot``'s own output."""


class Graph(graphviz.Digraph):
    """A drawn computational graph: a ``graphviz.Digraph`` that Jupyter shows as SVG.

    ``dot`` runs under a time limit, :attr:`timeout` seconds (set it on a graph to allow more): past it,
    or if ``dot`` fails, :class:`DrawingError` says so in one line. Without Graphviz's ``dot`` program the
    display falls back to the DOT text and one line on how to install ``dot``; ``.source`` always works,
    since it needs no program at all.
    """

    timeout: float = DOT_TIMEOUT

    def pipe(self, format: str | None = None, *, engine: str | None = None, encoding: str | None = None) -> Any:
        """The picture in ``format`` (``"svg"``, ``"png"``…) as bytes, or text when ``encoding`` is given."""
        command = [engine or self.engine, f"-T{format or self.format}"]
        try:
            done = subprocess.run(
                command, input=self.source.encode("utf-8"), capture_output=True, timeout=self.timeout, check=False
            )
        except FileNotFoundError:
            raise graphviz.ExecutableNotFound(command) from None
        except subprocess.TimeoutExpired:
            raise DrawingError(
                f"dot did not finish drawing the graph within {self.timeout:g} s (Graph.timeout): "
                "draw a smaller graph, or collapse its composites"
            ) from None
        if done.returncode != 0:
            raise DrawingError(f"dot could not draw the graph (it stopped with exit status {done.returncode})")
        return done.stdout.decode(encoding) if encoding else done.stdout

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

    def _repr_svg_(self) -> str | None:
        try:
            return self.pipe(format="svg", encoding="utf-8")
        except graphviz.ExecutableNotFound:
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
    root: Value,
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
    """Draw the graph that ``root`` was computed from.

    ``show_grad`` shows each value's gradient; ``edge_derivatives`` writes each input's local
    derivative on its edge; ``highlight`` marks some values; ``rankdir="TB"`` draws top to bottom;
    ``collapse`` names composites to draw as one node (``True``: all of them); ``digits`` is the
    number of significant digits. ``grads`` shows these gradients instead of each node's ``.grad``
    (a value missing from it shows ``grad ?``): the backward stepper uses it to draw a pass half done.
    Labels, composite names and the title may hold any text: long ones are shortened, with the whole
    text in a tooltip.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw needs a Value, not {type(root).__name__}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw: rankdir must be LR, TB, RL or BT, not {rankdir!r}")
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    marked = set(highlight)
    shown = _Collapsed(order, collapse, _placement(order))
    names = _names(order, shown)
    boxes = _Boxes()
    edges: list[str] = []
    for node in order:
        if shown.hidden(node):
            continue
        box = boxes.at(shown.outer_composite(node))
        name = f"n{index[node]}"
        if isinstance(node, Constant):
            box.append(_line(name, label=compact(node.data, digits), **STYLE["constant"]))
            continue
        grad = node.grad if grads is None else grads.get(node)
        style = STYLE["highlight" if node in marked else "leaf" if not node.parents else "value"]
        full = tooltip(names[node], NAME_LIMIT)
        label = _value_label(names[node], node, grad, show_grad, digits)
        box.append(_line(name, label=label, **style, **({"tooltip": full} if full else {})))
        if not node.parents:
            continue
        collapsed = shown.collapsed_at(node)
        op_name = f"op{index[node]}"
        if collapsed:
            symbol, full = shortened(collapsed.name, NAME_LIMIT), tooltip(collapsed.name, NAME_LIMIT)
            box.append(_line(op_name, label=symbol, **STYLE["composite"], **({"tooltip": full} if full else {})))
        else:
            symbol = shortened(OPS[node.op].symbol, NAME_LIMIT)
            box.append(_line(op_name, label=symbol, **STYLE["op"], width="0.3" if len(symbol) < 3 else "0.45"))
        edges.append(f"{op_name} -> {name}")
        locals_ = local_derivatives(node) if edge_derivatives and not collapsed else ()
        roles = INPUT_ROLES.get(node.op, ()) if not collapsed else ()
        for i, parent in enumerate(shown.inputs(node)):
            words = [roles[i]] if i < len(roles) else []
            if i < len(locals_) and not isinstance(parent, Constant):
                words.append(f"local {compact(locals_[i], digits)}")
            attrs = {"label": f" {', '.join(words)} ", "decorate": "true"} if words else {}
            edges.append(f"n{index[parent]} -> {op_name}" + (f" {attribute_list(attrs)}" if attrs else ""))
    layout = {"rankdir": rankdir, "fontname": FONT, "nodesep": "0.25", "ranksep": "0.35"} | BOUNDED_LAYOUT
    head = [
        "graph " + attribute_list(layout),
        "node " + attribute_list({"fontname": FONT, "fontsize": "11", "fontcolor": DATA_COLOUR}),
        "edge "
        + attribute_list(
            {"color": "#6b7280", "arrowsize": "0.6", "fontname": FONT, "fontsize": "9", "fontcolor": LOCAL_COLOUR}
        ),
    ]
    if title:
        full = tooltip(title, TITLE_LIMIT)
        shown_title = {"label": shortened(title, TITLE_LIMIT), "labelloc": "t", "fontsize": "12"}
        head.append("graph " + attribute_list(shown_title | ({"tooltip": full} if full else {})))
    body = head + boxes.lines() + edges
    return Graph(name="computational_graph", body=[f"\t{line}\n" for line in body])


def _names(order: list[Value], shown: _Collapsed) -> dict[Value, str]:
    """The names drawn: an unlabelled output of a collapsed composite takes the composite's name when no
    other drawn composite has it (a neuron ``L1.n3``); the other unlabelled nodes drawn count v1, v2…"""
    drawn = [node for node in order if not shown.hidden(node)]
    boxes = [box.name for box in map(shown.collapsed_at, drawn) if box is not None]
    outputs: dict[Value, str] = {}
    for node in drawn:
        box = shown.collapsed_at(node)
        if box is not None and not node.label and boxes.count(box.name) == 1:
            outputs[node] = box.name
    return node_names(node for node in drawn if node not in outputs) | outputs


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


class _Collapsed:
    """Which composites are drawn as one node, and what that hides.

    A node inside a collapsed composite is hidden, except the composite's output, which is drawn with
    one operation node named after the composite, fed by the composite's inputs from outside.
    """

    def __init__(
        self, order: list[Value], collapse: bool | Iterable[str], where: dict[Value, Composite | None]
    ) -> None:
        names = None if collapse is True else set(collapse or ())
        self.where = where
        self.owner: dict[Value, Composite] = {}  # node -> the outermost collapsed composite around it
        self.output: dict[Composite, Value] = {}  # its last node in topological order is its output
        for node in order:
            outermost = None
            for box in boxes_around(where[node]):
                if names is None or box.name in names:
                    outermost = box
            if outermost is not None:
                self.owner[node] = outermost
                self.output[outermost] = node

    def collapsed_at(self, node: Value) -> Composite | None:
        """The collapsed composite whose output ``node`` is, if any."""
        box = self.owner.get(node)
        return box if box is not None and self.output[box] is node else None

    def hidden(self, node: Value) -> bool:
        return node in self.owner and self.collapsed_at(node) is None

    def shown_as(self, node: Value) -> Value:
        """The node drawn in place of ``node``: itself, or the output of the collapsed box hiding it."""
        return self.output[self.owner[node]] if self.hidden(node) else node

    def outer_composite(self, node: Value) -> Composite | None:
        """The innermost box drawn around ``node``: outside its collapsed composite, if it has one."""
        collapsed = self.collapsed_at(node)
        return collapsed.parent if collapsed else self.where[node]

    def inputs(self, node: Value) -> list[Value]:
        """The nodes drawn as ``node``'s inputs: its parents, or a collapsed composite's inputs."""
        box = self.collapsed_at(node)
        if box is None:
            return [self.shown_as(parent) for parent in node.parents]
        members = [n for n, owner in self.owner.items() if owner is box]
        outside = [parent for member in members for parent in member.parents if self.owner.get(parent) is not box]
        return list(dict.fromkeys(self.shown_as(parent) for parent in outside))


def _placement(order: list[Value]) -> dict[Value, Composite | None]:
    """The innermost box each node is drawn in.

    An operation's node sits in its own composite. A leaf (a weight, a constant) belongs to none, so it
    is drawn in the innermost box around all of its uses — a neuron's weights inside the neuron, the 1 of
    a sigmoid inside the sigmoid — except that it stays outside a box whose input it is.
    """
    box_of = composite_boxes(order)
    uses: dict[Value, list[Composite | None]] = {}
    for node in order:
        for parent in node.parents:
            uses.setdefault(parent, []).append(box_of.get(node))
    where: dict[Value, Composite | None] = {}
    for node in order:
        if node.parents or node not in uses:
            where[node] = box_of.get(node)
            continue
        chains = [boxes_around(box) for box in uses[node]]
        box = next((box for box in chains[0] if all(box in chain for chain in chains[1:])), None)
        while box is not None and node in box.inputs:
            box = box.parent
        where[node] = box
    return where


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
