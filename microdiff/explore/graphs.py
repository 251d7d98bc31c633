"""One data point's graph, as the page replays and draws it: a tape, the neuron view, and drawings.

The structure of a point's loss graph is the same at every step; only the numbers change. So the page
holds, per class, the graph once as a :class:`Tape` (the nodes in topological order, each with its
operation and inputs) and replays it in JavaScript, forward then backward, with the parameters of the
chosen step and the chosen point's coordinates. (Where a composite picks a formula by sign, as tanh and
softplus do, the tape keeps the formula of the class's first point: the same function, so the numbers
agree to rounding as long as no exponential overflows.)

The page shows the graph as a learner reads a network: the **neuron view**, one :class:`Unit` per input
coordinate (``x0``, ``x1``), per neuron (``L1.n3``) and for the loss, laid out by layer. Each unit also
has a drawing of its own scalar operations, made by :func:`microdiff.drawing.draw.draw` from a fresh copy
of the unit (the neuron called on new leaves named after its inputs), which the page shows when the
unit is clicked; :attr:`Unit.members` says which tape node each drawn node is.
"""

from __future__ import annotations

import base64
import gzip
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from microdiff.drawing.runner import DotFailed, run_dot
from microdiff.engine.value import Value, topological_order
from microdiff.nn import MLP, Module, Neuron
from microdiff.nn.training import Loss, predictions

#: How a tape marks its leaves: a parameter, a coordinate of the point, a constant (see :class:`Tape`).
PARAMETER, INPUT, CONSTANT = "@p", "@x", "@c"


@dataclass
class Unit:
    """One node of the neuron view: an input coordinate, a neuron, a network output, or the loss.

    ``column`` places it (0 for the inputs, then one per layer, the loss last); ``node`` is the tape
    index of its value; ``inputs`` are the units it reads. ``drawing`` indexes the recording's drawings
    (−1: none) and ``members[i]`` is the tape index of the drawing's node ``n{i}``.
    """

    name: str
    column: int
    node: int
    inputs: list[int]
    drawing: int = -1
    members: list[int] = field(default_factory=list)


@dataclass
class Tape:
    """One data point's loss graph, flattened for the page to replay forward and backward.

    ``nodes`` are in topological order. Each is ``["@p", k]`` (parameter k), ``["@x", j]`` (the point's
    coordinate j), ``["@c", number]`` (a constant), or ``[op, i, ...]``: an operation of
    :mod:`microdiff.engine.ops` on earlier nodes. (An operation's name is a Python identifier, so it never
    begins with ``@``: a primitive named ``p`` is not a parameter.) The last node is the point's loss;
    ``outputs`` are the network's scores (logits); ``units`` the neuron view.
    """

    cls: int
    nodes: list[list[Any]]
    outputs: list[int]
    units: list[Unit] = field(default_factory=list)


#: A part of the network: its name, its value, and a function that builds it again from fresh inputs.
Part = tuple[str, Value, Callable[[list[Value]], Value] | None]


@dataclass
class PointGraph:
    """A point's loss graph with its parts named: the input leaves, each layer's outputs, the loss."""

    loss: Value
    inputs: list[Value]
    layers: list[list[Part]]

    @property
    def outputs(self) -> list[Value]:
        """The network's outputs: the last layer's values."""
        return [value for _, value, _ in self.layers[-1]]


def point_graph(model: Module, loss: Loss, point: Sequence[float], label: Any) -> PointGraph:
    """Forward one point through ``model`` and ``loss``, keeping each layer's outputs.

    The coordinates are leaves ``x0``, ``x1`` (so their gradients show too). An MLP runs layer by
    layer, each neuron known by its name; any other model is one layer of outputs ``out0``, ``out1``….
    Each part comes with a function that builds it again from fresh inputs (for its drawing).
    """
    xs = [Value(float(v), label=f"x{j}") for j, v in enumerate(point)]
    layers: list[list[Part]] = []
    if isinstance(model, MLP):
        values = xs
        for i, layer in enumerate(model.layers):
            values = layer.forward(values)
            names = [neuron.name or f"L{i + 1}.n{j}" for j, neuron in enumerate(layer.neurons)]
            layers.append([(name, v, _rebuild(n, name)) for name, v, n in zip(names, values, layer.neurons)])
    else:
        layers.append([(f"out{k}", v, None) for k, v in enumerate(model(xs))])
    outputs = [value for _, value, _ in layers[-1]]
    return PointGraph(loss(predictions([outputs]), [label]), xs, layers)


def _rebuild(neuron: Neuron, name: str) -> Callable[[list[Value]], Value]:
    """A function that calls ``neuron`` on fresh inputs and names the parts of what it builds: each
    product of a weight and an input ``w0·x0``, each running sum ``sum0``, ``sum1``…, the full sum
    ``z`` and the output after the neuron (``L1.n3``)."""

    def build(inputs: list[Value]) -> Value:
        out = neuron.forward(inputs)
        weights = {id(w): k for k, w in enumerate(neuron.w)}
        order = topological_order(out)
        products = set()
        for node in order:
            weight = next((weights[id(p)] for p in node.parents if id(p) in weights), None)
            if node.op == "mul" and weight is not None:
                source = next(p for p in node.parents if id(p) not in weights)
                node.label = f"w{weight}·{source.label}" if source.label else f"w{weight}·x"
                products.add(id(node))
        sums = [n for n in order if n.op == "add" and any(id(p) in products for p in n.parents)]
        for k, node in enumerate(sums):
            node.label = "z" if k == len(sums) - 1 else f"sum{k}"
        out.label = name
        return out

    return build


def make_tape(root: Value, params: Sequence[Value], inputs: Sequence[Value]) -> tuple[list[list[Any]], dict[int, int]]:
    """Flatten the graph of ``root`` into the page's tape (see :class:`Tape`); also return each node's
    tape index, by ``id``."""
    order = topological_order(root)
    index = {id(node): i for i, node in enumerate(order)}
    param_index = {id(p): k for k, p in enumerate(params)}
    input_index = {id(x): j for j, x in enumerate(inputs)}
    nodes: list[list[Any]] = []
    for node in order:
        if node.parents:
            nodes.append([node.op, *(index[id(parent)] for parent in node.parents)])
        elif id(node) in param_index:
            nodes.append([PARAMETER, param_index[id(node)]])
        elif id(node) in input_index:
            nodes.append([INPUT, input_index[id(node)]])
        else:  # a constant, such as the 1 of the hinge loss
            nodes.append([CONSTANT, node.data])
    return nodes, index


def class_tapes(
    model: Module, loss: Loss, inputs: Sequence[Sequence[float]], labels: Sequence[Any], classes: Sequence[int]
) -> tuple[list[Tape], list[str]]:
    """One tape per class present in the data, from its first point, with its neuron view; and the DOT
    source of every unit's drawing (units of the same structure share one)."""
    params = model.parameters()
    tapes: list[Tape] = []
    sources: dict[str, str] = {}  # each distinct structure (see _shape) and its DOT source
    for cls in sorted(set(classes)):
        first = classes.index(cls)
        graph = point_graph(model, loss, inputs[first], labels[first])
        nodes, index = make_tape(graph.loss, params, graph.inputs)
        missing = [name for name, value, _ in graph.layers[-1] if id(value) not in index]
        if missing:
            raise ValueError(f"the loss does not depend on the network's outputs {missing}")
        tape = Tape(cls, nodes, [index[id(v)] for v in graph.outputs])
        tape.units = _units(graph, index, loss, labels[first], sources)
        tapes.append(tape)
    return tapes, list(sources.values())


def _units(graph: PointGraph, index: dict[int, int], loss: Loss, label: Any, sources: dict[str, str]) -> list[Unit]:
    """The neuron view of one point's graph: inputs, each layer's units, the loss; each with its drawing."""
    units = [Unit(str(x.label), 0, index[id(x)], []) for x in graph.inputs]
    values = list(graph.inputs)  # the Value each unit stands for

    def loss_of(outputs: list[Value]) -> Value:
        out = loss(predictions([outputs]), [label])
        out.label = "loss"
        return out

    columns: list[list[Part]] = [*graph.layers, [("loss", graph.loss, loss_of)]]
    previous = list(range(len(units)))
    for c, column in enumerate(columns, start=1):
        current = []
        for name, value, rebuild in column:
            unit = Unit(name, c, index[id(value)], previous)
            if rebuild is not None:
                inputs = [values[k] for k in previous]
                fresh_inputs = [Value(v.data, label=units[k].name) for v, k in zip(inputs, previous)]
                fresh = rebuild(fresh_inputs)
                shape = _shape(fresh)
                if shape not in sources:
                    sources[shape] = _drawing_source(fresh)
                unit.drawing = list(sources).index(shape)
                unit.members = [index[id(m)] for m in _matching(fresh, value, fresh_inputs, inputs)]
            current.append(len(units))
            units.append(unit)
            values.append(value)
        previous = current
    return units


def _shape(out: Value) -> str:
    """The structure of a graph: each node's operation, label and inputs, not its numbers. Units of the
    same shape share one drawing; the page writes each unit's own numbers into it."""
    order = topological_order(out)
    position = {id(node): i for i, node in enumerate(order)}
    return repr([(node.op, node.label, [position[id(p)] for p in node.parents]) for node in order])


def _drawing_source(out: Value) -> str:
    """The DOT source of ``draw(out)``, or ``""`` without the graphviz package (an optional dependency)."""
    try:
        from microdiff.drawing.draw import draw
    except ImportError:
        return ""
    return str(draw(out).source)


def _matching(fresh: Value, main: Value, fresh_inputs: list[Value], main_inputs: list[Value]) -> list[Value]:
    """The node of the main graph that each node of the fresh copy stands for, in the fresh copy's
    topological order (the order in which its drawing numbers its nodes ``n0``, ``n1``…).

    The two graphs are made by the same code from the same numbers, so walking back from both outputs
    in step pairs up their nodes; a fresh input stands for the matching main input.
    """
    partner: dict[int, Value] = {id(f): m for f, m in zip(fresh_inputs, main_inputs)}
    stack = [(fresh, main)]
    while stack:
        f, m = stack.pop()
        if id(f) in partner:
            continue
        partner[id(f)] = m
        if len(f.parents) != len(m.parents) or f.op != m.op:
            raise ValueError(f"the drawing of {main.label or 'a unit'} does not match the graph ({f.op} vs {m.op})")
        stack.extend(zip(f.parents, m.parents))
    return [partner[id(node)] for node in topological_order(fresh)]


def render_drawings(sources: Sequence[str]) -> tuple[list[str], list[str]]:
    """Each DOT source as SVG, trimmed for inline use and gzip-compressed in base64; and dot's complaints.

    All of them go to one run of Graphviz's ``dot`` (which lays out each graph of its input in turn),
    some three times faster than one run per drawing. If ``dot`` refuses that input, each drawing gets a
    run of its own, and one that fails is ``""`` (its unit cannot be expanded) with the first line of
    ``dot``'s message among the complaints. The page inflates the drawings with the browser's
    ``DecompressionStream``. An empty source (no graphviz package) gives no drawing. Raises
    :class:`~microdiff.drawing.runner.DotNotFound` without ``dot`` and
    :class:`~microdiff.drawing.runner.DotTimedOut` past its time limit.
    """
    if not any(sources):
        return ["" for _ in sources], []
    try:
        svgs = _dot(list(sources))
    except DotFailed:
        svgs, complaints = [], []
        for source in sources:
            try:
                svgs.extend(_dot([source]))
            except DotFailed as error:
                svgs.append("")
                complaints.append(error.said or str(error))
        return [_pack(svg) if svg else "" for svg in svgs], complaints
    return [_pack(svg) for svg in svgs], []


def _dot(sources: list[str]) -> list[str]:
    """Run ``dot`` once on every source (through the one runner); return one SVG document per source."""
    if not sources:
        return []
    output = run_dot("\n".join(sources), "svg").decode("utf-8")
    svgs = [part[part.index("<svg") :] for part in output.split("<?xml")[1:]]
    if len(svgs) != len(sources):
        raise DotFailed(f"dot drew {len(svgs)} graphs for {len(sources)} sources")
    return svgs


def _pack(svg: str) -> str:
    svg = svg[: svg.rindex("</svg>") + len("</svg>")]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)  # HTML gives inline <svg> its namespace anyway
    svg = re.sub(r'\s*font-family="[^"]*"', "", svg)  # the page's CSS sets the font once
    svg = re.sub(r">\s+<", "><", svg)
    return base64.b64encode(gzip.compress(svg.encode("utf-8"), mtime=0)).decode("ascii")
