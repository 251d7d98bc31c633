"""The anatomy of a graph: what a picture of it shows, as data (no Graphviz needed).

A drawing, the Stepper and the backward steps all speak of a graph in the same terms, worked out here
once; the renderers in :mod:`microdiff.drawing` only turn them into DOT text, pictures and pages.

* **Numbers**: :func:`compact` writes one in a few significant digits (``0.25``, ``63``, ``1.5e-07``).
* **Composite boxes**: :func:`composite_boxes` finds the members of every composite (sigmoid, tanh, a
  neuron) marked in the graph, :func:`boxes_around` lists the boxes around a box, and :func:`placement`
  says in which box each node sits, leaves included.
* **Columns and names**: :func:`columns` gives each node its column, counted from the left;
  :func:`node_names` names each node: its label, else ``v`` and a count taken column by column, so that
  ``v1, v2…`` read from left to right (else, a constant, its number).
* **The drawn graph**: :func:`anatomy` puts these together for one picture, with some composites
  collapsed into one node each (an :class:`Anatomy`).
* **The chain rule as data**: :func:`local_derivatives` gives d node / d input from the op's rule, and
  :func:`backward_steps` records each step of the engine's backward pass (:class:`BackwardStep`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from microdiff.engine.composite import Composite
from microdiff.engine.ops import OPS
from microdiff.engine.value import Constant, Value, chain_rule, topological_order

#: Up to this many unlabelled nodes, one count runs through the graph (v1 … v99); beyond it, each counts
#: within the innermost composite around it whose name is unique (``L1.n3.v2``), so no name is v641.
GLOBAL_COUNT_LIMIT = 99


def compact(x: Any, digits: int = 4) -> str:
    """A number in at most ``digits`` significant digits: 0.25, 63, 1.5e-07 (a ``Value`` shows its data)."""
    x = float(getattr(x, "data", x))
    return f"{x + 0.0:.{digits}g}"  # + 0.0 turns -0.0 into 0.0


# Composite boxes ------------------------------------------------------------------------------------


def composite_boxes(order: Sequence[Value]) -> dict[Value, Composite]:
    """The innermost composite around each operation node of ``order`` (a topological order of a graph).

    Also sets each composite's ``parent``: the smallest composite around its output. A box's members
    are the operation nodes reached walking back from its output without passing its inputs; boxes nest,
    so the innermost box of a node is the smallest box that holds it.
    """
    boxes: list[tuple[Composite, Value]] = []
    for node in order:
        box = node.composite
        while box is not None:  # the latest mark first: when two boxes share an output, it is the outer one
            boxes.append((box, node))
            box = box.inner
    members = {box: _members(box, output) for box, output in boxes}
    innermost: dict[Value, Composite] = {}
    for box, output in sorted(boxes, key=lambda item: len(members[item[0]]), reverse=True):  # outer boxes first
        box.parent = innermost.get(output)
        for node in members[box]:
            innermost[node] = box
    return innermost


def _members(box: Composite, output: Value) -> set[Value]:
    """The operation nodes of ``box``: from its output back to (not including) its inputs."""
    inputs = set(box.inputs)
    found: set[Value] = set()
    stack = [output]
    while stack:
        node = stack.pop()
        if node in inputs or node in found or not node.parents:
            continue
        found.add(node)
        stack.extend(node.parents)
    return found


def boxes_around(box: Composite | None) -> list[Composite]:
    """A composite and the composites around it, innermost first."""
    chain = []
    while box is not None:
        chain.append(box)
        box = box.parent
    return chain


def placement(order: Sequence[Value]) -> dict[Value, Composite | None]:
    """The innermost box each node of ``order`` sits in (``None``: outside every box).

    An operation's node sits in its own composite. A leaf (a weight, a constant) belongs to none, so it
    sits in the innermost box around all of its uses — a neuron's weights inside the neuron, the 1 of a
    sigmoid inside the sigmoid — except that it stays outside a box whose input it is.
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


# Columns and names ------------------------------------------------------------------------------------


def _parents(node: Value) -> Sequence[Value]:
    return node.parents


def columns(order: Sequence[Value], inputs: Callable[[Value], Sequence[Value]] = _parents) -> dict[Value, int]:
    """The column of each node of ``order`` (inputs first), counted from 0 at the left of a drawing.

    An operation's output stands one column right of its rightmost input: its column is the length of
    the longest path to it from a leaf. A leaf stands one column left of its first use (the leftmost).
    ``inputs`` gives each node's inputs as drawn (a collapsed composite's output is fed by the
    composite's inputs); by default its ``parents``.
    """
    column: dict[Value, int] = {}
    uses: dict[Value, list[Value]] = {}
    for node in order:
        feeds = inputs(node)
        column[node] = max((column[i] + 1 for i in feeds), default=0)
        for i in feeds:
            uses.setdefault(i, []).append(node)
    for node in order:
        if not inputs(node) and node in uses:
            column[node] = min(column[user] for user in uses[node]) - 1
    return column


def node_names(order: Sequence[Value], column: dict[Value, int] | None = None) -> dict[Value, str]:
    """Each node's name: its label, else ``v`` and a count (``v3``); a constant is named by its number.

    ``order`` is a topological order of a graph (inputs first), or the nodes a drawing shows with their
    ``column``: it leaves out the nodes inside collapsed composites, so that the count stays short. The
    count runs column by column from the left, as the drawing places the nodes (:func:`columns`), and
    within a column leaves come first, then results in the order they were computed. In a
    graph of more than :data:`GLOBAL_COUNT_LIMIT` unlabelled nodes (a network's loss), a node inside a
    uniquely named composite (the neuron ``L1.n3``) is counted within it and named after it:
    ``L1.n3.v2``. A label that is not a string is shown as ``str(label)``.
    """
    column = columns(order) if column is None else column
    unlabelled = [n for n in order if not n.label and not isinstance(n, Constant)]
    unlabelled.sort(key=lambda n: (column[n], bool(n.parents)))  # in a column, leaves first (then as computed)
    where = _unique_boxes(order) if len(unlabelled) > GLOBAL_COUNT_LIMIT else {}
    counts: Counter[Composite | None] = Counter()
    names = {}
    for node in unlabelled:
        box = where.get(node)
        counts[box] += 1
        names[node] = f"v{counts[box]}" if box is None else f"{box.name}.v{counts[box]}"
    return {node: str(node.label) if node.label else names.get(node) or compact(node.data) for node in order}


def _unique_boxes(order: Sequence[Value]) -> dict[Value, Composite]:
    """For each operation node, the innermost composite around it whose name no other composite has."""
    innermost = composite_boxes(order)
    chains = {box: boxes_around(box) for box in set(innermost.values())}
    named = Counter(box.name for box in {outer for chain in chains.values() for outer in chain})
    unique = {box: next((b for b in chain if named[b.name] == 1), None) for box, chain in chains.items()}
    return {node: unique[box] for node, box in innermost.items() if unique[box] is not None}  # type: ignore[misc]


# The drawn graph ----------------------------------------------------------------------------------------


@dataclass(eq=False)
class Anatomy:
    """What one picture of a graph shows.

    ``order`` holds every node of the graph, inputs first (a drawing names node ``order[i]`` ``n{i}``);
    ``drawn`` the nodes drawn, in the same order: a collapsed composite hides all of its nodes but its
    output, which it feeds itself (``collapsed`` maps that output to its composite). For each node
    drawn: ``inputs`` (the nodes drawn feeding its operation), ``box`` (the innermost box drawn around
    it), ``column`` and ``names``.
    """

    order: list[Value]
    drawn: list[Value]
    inputs: dict[Value, list[Value]]
    box: dict[Value, Composite | None]
    collapsed: dict[Value, Composite]
    column: dict[Value, int]
    names: dict[Value, str]


def anatomy(root: Value, collapse: bool | Iterable[str] = ()) -> Anatomy:
    """The anatomy of the picture of ``root``'s graph, with the composites named in ``collapse`` (all of
    them for ``True``) each drawn as one node.

    A collapsed composite is its output's operation: it is fed by what its members read from outside
    the box. Its output is named after it when no other collapsed composite drawn has its name (a
    neuron's value ``L1.n3``); the other unlabelled nodes count ``v1, v2…`` column by column.
    """
    order = topological_order(root)
    where = placement(order)
    chosen = None if collapse is True else set(collapse or ())
    owner: dict[Value, Composite] = {}  # node -> the outermost collapsed composite around it
    output: dict[Composite, Value] = {}  # a composite's last node in topological order is its output
    for node in order:
        around = [box for box in boxes_around(where[node]) if chosen is None or box.name in chosen]
        if around:
            owner[node] = around[-1]
            output[around[-1]] = node
    collapsed = {node: box for box, node in output.items()}
    drawn = [node for node in order if node not in owner or node in collapsed]
    shown = {node: output[owner[node]] if node in owner else node for node in order}  # the node drawn for it
    inputs: dict[Value, list[Value]] = {}
    for node in drawn:
        box = collapsed.get(node)
        if box is None:
            inputs[node] = [shown[parent] for parent in node.parents]
        else:
            members = [n for n in order if owner.get(n) is box]
            outside = [parent for member in members for parent in member.parents if owner.get(parent) is not box]
            inputs[node] = list(dict.fromkeys(shown[parent] for parent in outside))
    column = columns(drawn, inputs.__getitem__)
    boxes = [box.name for box in collapsed.values()]
    named = {node: box.name for node, box in collapsed.items() if not node.label and boxes.count(box.name) == 1}
    names = node_names([node for node in drawn if node not in named], column) | named
    box_drawn = {node: collapsed[node].parent if node in collapsed else where[node] for node in drawn}
    return Anatomy(order, drawn, inputs, box_drawn, collapsed, column, names)


# The chain rule as data -----------------------------------------------------------------------------------


def local_derivatives(node: Value) -> tuple[float, ...]:
    """d node / d input for each of ``node``'s inputs, from its op's ``local`` rule on floats."""
    return tuple(OPS[node.op].local(*[parent.data for parent in node.parents], node.data))


@dataclass(frozen=True, eq=False)
class Contribution:
    """What a step sends back along one edge: ``downstream = upstream × local``."""

    input: Value
    local: float
    downstream: float


@dataclass(frozen=True, eq=False)
class BackwardStep:
    """One node's turn in the backward pass: its upstream gradient and what it sends to each input.

    ``backward()`` fills in every gradient at once; the steps replay the same pass slowly, one operation
    node ``h`` at a time, output first. At ``h`` the **upstream** gradient dL/dh is complete, since every
    node that uses ``h`` came before; the op's ``local`` rule gives the **local** derivative dh/dx for
    each input ``x``; and the chain rule sends **downstream** = upstream × local back to each input (an
    input used more than once adds up what each use sends).
    """

    number: int  # 1 for the output's step, counting on towards the leaves
    node: Value
    upstream: float
    contributions: tuple[Contribution, ...]
    root: Value = field(repr=False)
    names: dict[Value, str] = field(repr=False)  # shared by all the steps of one pass
    completed: dict[Value, tuple[int, float]] = field(repr=False)  # node -> (step that completes it, gradient)

    @property
    def known(self) -> dict[Value, float]:
        """The gradients complete once this step is done (a node's is, once every use of it is done)."""
        return {node: grad for node, (step, grad) in self.completed.items() if step <= self.number}

    def describe(self, digits: int = 4) -> str:
        """The step in words, e.g. ``v3 = exp(v2): upstream 0.25; to v2: 0.25 × local 1 = downstream 0.25``."""
        names = self.names
        inputs = ", ".join(names[parent] for parent in self.node.parents)
        sends = "; ".join(
            f"to {names[c.input]}: {compact(self.upstream, digits)} × local {compact(c.local, digits)}"
            f" = downstream {compact(c.downstream, digits)}"
            for c in self.contributions
            if not isinstance(c.input, Constant)  # a constant's gradient is computed, but worth no words
        )
        return (
            f"step {self.number}: {names[self.node]} = {self.node.op}({inputs}): "
            f"upstream {compact(self.upstream, digits)}; {sends}"
        )

    def __str__(self) -> str:
        return self.describe()


def backward_steps(root: Value) -> list[BackwardStep]:
    """The backward pass from ``root``, one :class:`BackwardStep` per operation node, output first.

    The steps are those of the engine's own chain rule (:func:`~microdiff.engine.value.chain_rule`),
    recorded instead of run through, without touching any ``grad``: the downstream contributions sent to
    a node add up to the gradient ``backward()`` gives it. (To draw a step, see
    :func:`microdiff.drawing.stepper.draw_step`.)
    """
    order = topological_order(root)
    names = node_names(order)
    uses = {node: 0 for node in order}  # how many operation nodes use each node
    for node in order:
        for parent in set(node.parents):
            uses[parent] += 1
    grads: dict[Value, Any] = {root: 1.0}
    completed: dict[Value, tuple[int, float]] = {root: (0, 1.0)}
    steps: list[BackwardStep] = []
    for step in chain_rule(order, grads):
        number = len(steps) + 1
        contributions = tuple(map(Contribution, step.inputs, step.local, step.downstream))
        for parent in set(step.inputs):
            uses[parent] -= 1
            if uses[parent] == 0:
                completed[parent] = (number, grads[parent])
        steps.append(BackwardStep(number, step.node, step.upstream, contributions, root, names, completed))
    return steps
