"""Copying and pickling a graph — ``copy.copy``, ``copy.deepcopy``, ``pickle`` — without recursion.

A graph is a web of objects. Each node points to its inputs; a composite mark (a sigmoid's box) points to its
input nodes; and after ``backward(create_graph=True)`` a node's ``grad`` is a node too, whose own graph may lead
back to the node (the gradient of x·x·x is 3·x·x, built from x). Python's ``copy`` and ``pickle`` would follow
these pointers by recursion, one level per node, and a chain of a million nodes is far deeper than Python's
recursion limit — and a gradient that leads back to its node would send them round in a circle.

So a graph is copied as a flat **description**: every node it reaches (through inputs, gradients and marks),
each listed after its inputs, as a row of plain data in which every other node is a row number. Reading the
rows off the graph is a loop, and so is building new nodes from them: first the nodes, then their gradients
and marks, which may point anywhere.

Sharing is kept as for any other Python objects. ``copy.deepcopy([y, x])`` gives back one graph in which the
copied x is the leaf the copied y was built from: a description stops at nodes the ``memo`` already holds
copies of, and points to those copies. ``pickle.dumps([y, x])`` does the same, with a twist: pickle asks each
object for its recipe separately (``__reduce__``), so the first node it asks about describes its whole graph,
and while that description is being written (while the pickler holds it), every node in it answers "I am row
*k* of that description" — see :func:`reduce`. ``copy.copy(y)`` is a shallow copy: a new node with the same
data, the same inputs and the same mark.
"""

from __future__ import annotations

import weakref
from typing import Any

from microdiff.engine.composite import Composite
from microdiff.engine.ops import OPS

# A row describes one node: (class, data, label, op name or "", first input, second input). An input, a
# gradient or a composite input is a *reference*: an int (a row of the same description), or a node that is
# not described here (one that the memo or another description already holds).
Row = tuple[Any, ...]


def _is_node(x: Any) -> bool:
    """Whether ``x`` is a graph node (a ``Value``, or a subclass): something with input slots."""
    return hasattr(x, "_first")


class Description:
    """The nodes a graph reaches, in an order where inputs come first, and their rows.

    ``outside(node)`` tells whether a node is held elsewhere (then it is referred to, not described).
    """

    __slots__ = ("nodes", "index", "rows", "wiring", "__weakref__")

    def __init__(self, start: Any, outside: Any) -> None:
        self.nodes = _reached(start, outside)
        self.index = {node: i for i, node in enumerate(self.nodes)}  # nodes hash by identity
        ref = self._reference
        self.rows: list[Row] = [(type(n), n.data, n.label, n.op, ref(n._first), ref(n._second)) for n in self.nodes]
        # After every node exists: each node's gradient (a reference, or a plain value) and its composite marks,
        # outermost first, as (name, references of its inputs).
        self.wiring: list[tuple[Any, Any, tuple[tuple[str, tuple[Any, ...]], ...]]] = [
            (ref(n.grad) if _is_node(n.grad) else None, None if _is_node(n.grad) else n.grad, _marks(n, ref))
            for n in self.nodes
        ]

    def __reduce__(self) -> tuple[Any, ...]:
        return _reduce_description(self)

    def _reference(self, node: Any) -> Any:
        if node is None:
            return None
        i = self.index.get(node)
        return node if i is None else i

    def build(self, resolve: Any) -> list[Any]:
        """New nodes from the rows; ``resolve(reference)`` gives the node a reference to a node held elsewhere means."""
        nodes: list[Any] = []

        def node_of(ref: Any) -> Any:
            if ref is None:
                return None
            return nodes[ref] if isinstance(ref, int) else resolve(ref)

        for kind, data, label, op, first, second in self.rows:
            node = kind.__new__(kind)
            node.data, node.grad = data, 0.0
            if op and op not in OPS:
                raise ValueError(f"cannot rebuild a graph with the operation {op!r}: define it with primitive() first")
            node._op = OPS[op] if op else None
            node._first, node._second = node_of(first), node_of(second)
            if label:
                node.label = label
            nodes.append(node)
        for node, (grad_ref, grad_value, marks) in zip(nodes, self.wiring):
            node.grad = node_of(grad_ref) if grad_ref is not None else grad_value
            inner = None
            for name, inputs in reversed(marks):  # innermost first, so each mark can point to the one inside it
                inner = Composite(name, [node_of(ref) for ref in inputs], inner)
            if inner is not None:
                node.composite = inner
        return nodes


def _marks(node: Any, ref: Any) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """The composite marks on ``node``, outermost first, with their inputs as references."""
    marks = []
    box = node.composite
    while box is not None:
        marks.append((box.name, tuple(ref(x) for x in box.inputs if _is_node(x))))
        box = box.inner
    return tuple(marks)


def _reached(start: Any, outside: Any) -> list[Any]:
    """Every node reached from ``start`` through inputs, gradients and composite inputs, except those
    ``outside`` says are held elsewhere; each listed after its inputs (depth-first, an explicit stack)."""
    order: list[Any] = []
    listed: set[Any] = set()
    roots = [start]
    while roots:
        stack: list[Any] = [roots.pop()]
        while stack:
            node = stack.pop()
            if node is None:  # a marker: the node under it has all its inputs listed
                node = stack.pop()
                order.append(node)
                if _is_node(node.grad):
                    roots.append(node.grad)
                box = node.composite
                while box is not None:
                    roots.extend(x for x in box.inputs if _is_node(x))
                    box = box.inner
                continue
            if node in listed or outside(node):
                continue
            listed.add(node)
            stack.append(node)
            stack.append(None)
            stack.extend(x for x in (node._first, node._second) if x is not None and x not in listed)
    return order


# ---------------------------------------------------------------------------------------------------
# copy.copy and copy.deepcopy
# ---------------------------------------------------------------------------------------------------


def shallow_copy(node: Any) -> Any:
    """A new node with the same data, gradient, operation, inputs, label and mark as ``node``."""
    kind = type(node)
    twin = object.__new__(kind)
    twin.data, twin.grad = node.data, node.grad
    twin._op, twin._first, twin._second = node._op, node._first, node._second
    if node.label:
        twin.label = node.label
    if node.composite is not None:
        twin.composite = node.composite
    return twin


def deep_copy(node: Any, memo: dict[int, Any]) -> Any:
    """``copy.deepcopy(node, memo)``: new nodes for everything ``node`` reaches that ``memo`` holds no copy of yet."""
    if id(node) in memo:
        return memo[id(node)]
    description = Description(node, lambda n: id(n) in memo)
    for original, twin in zip(description.nodes, description.build(lambda n: memo[id(n)])):
        memo[id(original)] = twin
    return memo[id(node)]


# ---------------------------------------------------------------------------------------------------
# pickle
# ---------------------------------------------------------------------------------------------------

# The descriptions being pickled, by the id of each node they hold. The pickler keeps a description alive
# while it writes (it remembers every object it has written), and each entry disappears with it.
_being_pickled: weakref.WeakValueDictionary[int, Description] = weakref.WeakValueDictionary()


def reduce(node: Any) -> tuple[Any, ...]:
    """``node.__reduce__()``: row *k* of a description of its graph.

    A node already in a description that is being pickled points into it; any other node makes a new
    description, which stops at the nodes of the others, so one ``pickle.dumps`` call shares every node
    its objects share.
    """
    description = _being_pickled.get(id(node))
    if description is None:
        description = Description(node, lambda n: id(n) in _being_pickled)
        for described in description.nodes:
            _being_pickled[id(described)] = description
    return _node_of, (description, description.index[node])


def _portable(ref: Any) -> Any:
    """A reference as pickle can write it: a row number, or (the description holding the node, its row)."""
    if ref is None or isinstance(ref, int):
        return ref
    holder = _being_pickled[id(ref)]
    return holder, holder.index[ref]


def _reduce_description(description: Description) -> tuple[Any, ...]:
    rows = [(*row[:4], _portable(row[4]), _portable(row[5])) for row in description.rows]
    wiring = [
        (_portable(grad), value, tuple((name, tuple(map(_portable, inputs))) for name, inputs in marks))
        for grad, value, marks in description.wiring
    ]
    return _unpickled, (rows, wiring)


def _unpickled(rows: list[Row], wiring: list[Any]) -> Description:
    """A pickled description with its nodes rebuilt (a reference into another one resolves to its node)."""
    description = Description.__new__(Description)
    description.rows, description.wiring = rows, wiring
    description.nodes = description.build(lambda ref: ref[0].nodes[ref[1]])
    description.index = {}
    return description


def _node_of(description: Description, row: int) -> Any:
    return description.nodes[row]
