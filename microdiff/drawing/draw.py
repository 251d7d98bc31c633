"""Drawing a computational graph with Graphviz: values, operations, composite boxes and gradients.

``draw(root)`` walks the graph that ``root`` was computed from and returns a :class:`Graph` (a
``graphviz.Digraph``) that Jupyter shows inline as SVG. The picture reads left to right, like the
forward pass:

* each **value** is a rounded box with its name (its label, or ``v3`` for the fourth node in
  topological order), its data and, in orange, its gradient;
* each **operation** is a small circle with the op's symbol from the table in :mod:`microdiff.engine.ops`,
  between its inputs and its output;
* a **constant** (the 2 in ``2 * x``) is its number alone: it has no gradient worth showing;
* a **composite** (sigmoid, tanh, sub, div, a neuron) is a labelled box around its fundamental parts,
  or one node of its own when collapsed.

With ``edge_derivatives=True`` each edge into an operation carries its *local* derivative, computed
from the op's ``local`` rule: multiplying it by the output's gradient (upstream) gives the gradient
that flows back along the edge (downstream).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import graphviz

from microdiff.engine.composite import Composite, composite_boxes
from microdiff.engine.reverse import topological_order
from microdiff.engine.value import Constant, Value

INSTALL_HINT = (
    "Graphviz's dot program is not installed, so this is the graph's DOT source: install it with "
    "`apt-get install graphviz` (Debian/Ubuntu) or `brew install graphviz` (macOS); pip cannot install it."
)

FONT = "Helvetica,Arial,sans-serif"
GRAD_COLOUR = "#c2410c"  # orange: gradients flow backwards, so they get a colour of their own
LOCAL_COLOUR = "#7c3aed"  # violet: local derivatives on the edges
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


class Graph(graphviz.Digraph):
    """A drawn computational graph: a ``graphviz.Digraph`` that Jupyter shows as SVG.

    Without Graphviz's ``dot`` program the display falls back to the DOT text and one line on how to
    install ``dot``; ``.source`` always works, since it needs no program at all.
    """

    def _repr_svg_(self) -> str | None:
        try:
            return self.pipe(format="svg", encoding="utf-8")
        except graphviz.ExecutableNotFound:
            return None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
        svg = self._repr_svg_()
        if svg is not None:
            return {"image/svg+xml": svg}
        return {"text/plain": f"{self.source}\n{INSTALL_HINT}", "text/html": self.html()}

    def html(self) -> str:
        """The picture as an inline ``<svg>`` element, or the DOT text and the install hint without ``dot``."""
        svg = self._repr_svg_()
        if svg is not None:
            return svg[svg.index("<svg") :]
        return f"<pre>{html.escape(self.source)}</pre><p>{html.escape(INSTALL_HINT)}</p>"


def compact(x: Any, digits: int = 4) -> str:
    """A number in at most ``digits`` significant digits: 0.25, 63, 1.5e-07 (a ``Value`` shows its data)."""
    x = float(getattr(x, "data", x))
    return f"{x + 0.0:.{digits}g}"  # + 0.0 turns -0.0 into 0.0


def node_names(order: Iterable[Value]) -> dict[Value, str]:
    """Each node's name: its label, else ``v`` and a count (``v3``); a constant is named by its number.

    The count runs left to right in the drawing: by the length of the longest path from a leaf.
    """
    depth: dict[Value, int] = {}
    for node in order:
        depth[node] = max((depth[parent] + 1 for parent in node.parents), default=0)
    unlabelled = sorted(
        (node for node in depth if not node.label and not isinstance(node, Constant)), key=depth.__getitem__
    )
    names = {node: f"v{i}" for i, node in enumerate(unlabelled, start=1)}
    return {node: node.label or names.get(node) or compact(node.data) for node in depth}


def local_derivatives(node: Value) -> tuple[float, ...]:
    """d node / d input for each of ``node``'s inputs, from its op's ``local`` rule on floats."""
    return tuple(node.operation.local(*[parent.data for parent in node.parents], node.data))  # type: ignore[union-attr]


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
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw needs a Value, not {type(root).__name__}")
    order = topological_order(root)
    names = node_names(order)
    index = {node: i for i, node in enumerate(order)}
    marked = set(highlight)
    shown = _Collapsed(order, collapse, _placement(order))
    graph = Graph(
        name="computational_graph",
        graph_attr={"rankdir": rankdir, "fontname": FONT, "nodesep": "0.25", "ranksep": "0.35"},
    )
    graph.attr("node", fontname=FONT, fontsize="11")
    graph.attr("edge", color="#6b7280", arrowsize="0.6", fontname=FONT, fontsize="9", fontcolor=LOCAL_COLOUR)
    if title:
        graph.attr(label=title, labelloc="t", fontsize="12")
    boxes = _Boxes(graph)
    edges: list[tuple[str, str, dict[str, str]]] = []
    for node in order:
        if shown.hidden(node):
            continue
        box = boxes.at(shown.outer_composite(node))
        name = f"n{index[node]}"
        if isinstance(node, Constant):
            box.node(name, compact(node.data, digits), **STYLE["constant"])
            continue
        grad = node.grad if grads is None else grads.get(node)
        style = STYLE["highlight" if node in marked else "leaf" if not node.parents else "value"]
        box.node(name, _value_label(names[node], node, grad, show_grad, digits), **style)
        if not node.parents:
            continue
        collapsed = shown.collapsed_at(node)
        op_name = f"op{index[node]}"
        symbol = collapsed.name if collapsed else node.operation.symbol  # type: ignore[union-attr]
        if collapsed:
            box.node(op_name, symbol, **STYLE["composite"])
        else:
            box.node(op_name, symbol, **STYLE["op"], width="0.3" if len(symbol) < 3 else "0.45")
        edges.append((op_name, name, {}))
        inputs = shown.inputs(node)
        locals_ = local_derivatives(node) if edge_derivatives and not collapsed else ()
        for i, parent in enumerate(inputs):
            label = compact(locals_[i], digits) if i < len(locals_) and not isinstance(parent, Constant) else ""
            edges.append((f"n{index[parent]}", op_name, {"label": f" local {label} "} if label else {}))
    boxes.close()
    for tail, head, attrs in edges:
        graph.edge(tail, head, **attrs)
    return graph


def _value_label(name: str, node: Value, grad: Any, show_grad: bool, digits: int) -> str:
    """A value's HTML-like label: "name = data", and below it the gradient (orange; a grey "?" if not known yet)."""
    rows = f"<tr><td><b>{html.escape(name)}</b> = {compact(node.data, digits)}</td></tr>"
    if show_grad:
        text, colour = ("grad ?", "#9ca3af") if grad is None else (f"grad {compact(grad, digits)}", GRAD_COLOUR)
        rows += f'<tr><td><font color="{colour}" point-size="10">{text}</font></td></tr>'
    return f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{rows}</table>>'


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
            for box in _chain(where[node]):
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
        chains = [_chain(box) for box in uses[node]]
        box = next((box for box in chains[0] if all(box in chain for chain in chains[1:])), None)
        while box is not None and id(node) in box.inputs:
            box = box.parent
        where[node] = box
    return where


def _chain(box: Composite | None) -> list[Composite]:
    """A composite and the composites around it, innermost first."""
    chain = []
    while box is not None:
        chain.append(box)
        box = box.parent
    return chain


class _Boxes:
    """The labelled clusters (``subgraph cluster_*``) drawn around composites, nested like them."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.clusters: dict[Composite, graphviz.Digraph] = {}

    def at(self, box: Composite | None) -> graphviz.Digraph:
        """Where to put a node that sits inside ``box`` (the whole graph for ``None``)."""
        if box is None:
            return self.graph
        for outer in _chain(box):
            if outer not in self.clusters:
                cluster = graphviz.Digraph(name=f"cluster_{len(self.clusters)}")
                cluster.attr(label=outer.name, fontsize="11", fontname=FONT, margin="10", **STYLE["cluster"])
                self.clusters[outer] = cluster
        return self.clusters[box]

    def close(self) -> None:
        """Put every cluster into the one around it, innermost first, and the outermost into the graph."""
        for box in sorted(self.clusters, key=lambda b: len(_chain(b)), reverse=True):
            outer = self.clusters[box.parent] if box.parent is not None else self.graph
            outer.subgraph(self.clusters[box])
