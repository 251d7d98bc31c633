"""``Value``: one scalar node of a computational graph, and ``no_grad``.

A ``Value`` holds a number (``data``), the gradient of some output with respect to it (``grad``), and
how it was made: the fundamental operation (``op``) and its inputs (``parents``). Building an
expression out of Values records the graph; ``backward()`` walks it in reverse to fill in ``grad``
(the walk itself lives in :mod:`microdiff.engine.reverse`).

A node stores no closure and points to no function of its own: its operation is an entry of the table
in :mod:`microdiff.engine.ops`, shared by every node. So a node is small (``__slots__``), and a graph
makes no reference cycles for the garbage collector to chase. Its inputs sit in two slots of their own
(``parents`` builds the tuple when asked): a tuple per node would be a second object for the
collector to track, and measured, that cost about a quarter of a training step.

Comparisons (``<``, ``<=``, ``>``, ``>=``) compare ``data`` and give a ``bool``, so ``if x > 0:`` and
``max(values, key=…)`` work. ``==`` and ``hash`` stay those of the object: nodes live in sets and dicts,
and two nodes holding the same number are still two nodes.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from numbers import Real
from typing import Any

from microdiff.engine.arithmetic import Arithmetic
from microdiff.engine.composite import Composite
from microdiff.engine.ops import OPS, Op, refuse_overflow

_recording: ContextVar[bool] = ContextVar("microdiff_recording", default=True)
# How many no_grad or enable_grad blocks are open, in any thread. While there are none (nearly always),
# every operation records its node without asking the context variable, which costs a tenth of an op.
_blocks_open = 0
_blocks_lock = threading.Lock()


@contextmanager
def _recording_set(on: bool) -> Iterator[None]:
    global _blocks_open
    token = _recording.set(on)
    with _blocks_lock:
        _blocks_open += 1
    try:
        yield
    finally:
        with _blocks_lock:
            _blocks_open -= 1
        _recording.reset(token)


def no_grad() -> AbstractContextManager[None]:
    """Within this block, operations build no graph: their results have no parents.

    Use it for work that needs values only (evaluating a model, an optimizer's update). The flag is a
    context variable, so one thread's ``no_grad`` leaves another thread's graph building alone.
    """
    return _recording_set(False)


def enable_grad() -> AbstractContextManager[None]:
    """Within this block, operations build a graph again, even inside ``no_grad``.

    ``grad``, ``value_and_grad`` and ``gradcheck`` use it: a derivative needs its graph, wherever it is asked for.
    """
    return _recording_set(True)


class Value(Arithmetic):
    """A scalar in a computational graph.

    >>> x = Value(2.0, label="x")
    >>> y = x * x + 3 * x
    >>> y.backward()
    >>> y.data, x.grad
    (10.0, 7.0)
    """

    # The label and the composite mark are left unset until given (their properties read them as "" and
    # None): most nodes of a training graph never get either, and a slot not written costs nothing.
    __slots__ = ("data", "grad", "_op", "_first", "_second", "_label", "_composite")

    data: float
    grad: Any  # a float; a Value after backward(create_graph=True)

    def __init__(self, data: float | Real, label: Any = "") -> None:
        if data.__class__ is not float and not isinstance(data, Real):  # Real: int, bool, float32, Fraction…
            raise TypeError(f"Value needs an int or a float, not {type(data).__name__}: {data!r}")
        try:
            self.data = float(data)
        except OverflowError:
            raise OverflowError(f"Value({data!r:.40}…) is too large for a float (beyond ±1.8e308)") from None
        self.grad = 0.0
        self._op: Op | None = None
        self._first: Value | None = None
        self._second: Value | None = None
        if label.__class__ is not str or label:  # (an empty label is left unset: it reads as "")
            self.label = label

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the operation that made this node: two, one, or ``()`` for a leaf."""
        first, second = self._first, self._second
        if first is None:
            return ()
        return (first,) if second is None else (first, second)

    @property
    def label(self) -> str:
        """The node's name in drawings (``""`` when it has none). Anything given is kept as a string."""
        try:
            return self._label
        except AttributeError:
            return ""

    @label.setter
    def label(self, text: Any) -> None:
        self._label = text if isinstance(text, str) else "" if text is None else str(text)

    @property
    def composite(self) -> Composite | None:
        """The composite (sigmoid, a neuron…) whose output this node is, if any (see ``engine.composite``)."""
        try:
            return self._composite
        except AttributeError:
            return None

    @composite.setter
    def composite(self, box: Composite | None) -> None:
        self._composite = box

    @property
    def op(self) -> str:
        """The name of the operation that made this node: ``"mul"``, ``"exp"``…; ``""`` for a leaf."""
        return self._op.name if self._op is not None else ""

    @property
    def operation(self) -> Op | None:
        """The :class:`~microdiff.engine.ops.Op` that made this node (its symbol, its rules); ``None`` for a leaf."""
        return self._op

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # Building the graph -------------------------------------------------------------------------------

    def _apply(self, op: Op, other: Value | None = None, out: float | None = None) -> Value:
        if out is None:  # the usual case: compute the value, refusing an overflow of finite inputs
            if other is None:
                out = op.forward(self.data)
                if out - out != 0.0:  # ±inf or NaN
                    refuse_overflow(op, out, self.data)
            else:
                out = op.forward(self.data, other.data)
                if out - out != 0.0:
                    refuse_overflow(op, out, self.data, other.data)
        node = Value.__new__(Value)  # skips __init__'s checks: data comes from an operation, so it is a float
        node.data = out
        node.grad = 0.0
        if not _blocks_open or _recording.get():
            node._op, node._first, node._second = op, self, other
        else:
            node._op = node._first = node._second = None
        return node

    def _lift(self, x: Any) -> Any:
        if isinstance(x, Value):
            return x
        if x.__class__ is float or isinstance(x, Real):  # (a float is checked first: the ABC check is slow)
            return Constant(x)
        return NotImplemented

    def _real(self) -> float:
        return self.data

    # Differentiating it -------------------------------------------------------------------------------

    def backward(self, gradient: Any = None, create_graph: bool = False) -> None:
        """Fill in ``grad`` on every node of this graph: d self / d node, times ``gradient`` (default 1).

        The chain rule runs from this node back to the leaves in reverse topological order. Leaves
        *accumulate*: a second ``backward()`` adds to their ``grad`` (call ``zero_grad`` in between to
        start afresh). Inner nodes show this pass's gradient. With ``create_graph=True`` the gradients
        are Values themselves, built from the graph, so they can be differentiated again.
        ``gradient`` seeds the pass, as in PyTorch: ``y.backward(gradient=g)`` gives every node
        g · d y / d node. A pass that fails, or is interrupted, leaves every ``grad`` as it was.
        """
        from microdiff.engine.reverse import backward  # reverse mode builds on Value: imported when used

        backward(self, gradient, create_graph)

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 on every node of this graph."""
        from microdiff.engine.reverse import zero_grad

        zero_grad(self)

    # Copying and pickling, without recursion ----------------------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle a node with the graph behind it as a flat list, so a chain of a million nodes pickles
        without recursion. Operations are stored by name (a ``primitive`` must be defined again before
        loading); leaves are pickled as themselves, so parameters shared by several pickled nodes stay shared.
        """
        if self._op is None:
            return _leaf, (type(self), self.data, self.grad, self.label)
        return _rebuild, (_flatten(self),)

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        """A copy of this node and of the graph behind it, made without recursion; shared nodes stay shared."""
        from microdiff.engine.reverse import topological_order

        for node in topological_order(self):
            if id(node) in memo:
                continue
            twin = Value.__new__(type(node))
            twin.data, twin.label = node.data, node.label
            twin.grad = copy.deepcopy(node.grad, memo)
            twin._op = node._op
            twin._first = None if node._first is None else memo[id(node._first)]
            twin._second = None if node._second is None else memo[id(node._second)]
            memo[id(node)] = twin
        copied: Value = memo[id(self)]
        return copied


class Constant(Value):
    """A plain number used in an expression, as the 2 in ``2 * x``: a leaf that is never a variable.

    Drawings show a constant as its number alone, without a gradient.
    """

    __slots__ = ()


def _flatten(root: Value) -> list[tuple[Any, ...]]:
    """The graph behind ``root`` in topological order: a leaf as itself, an operation as
    (op name, index of first input, index of second input or -1, data, grad, label)."""
    from microdiff.engine.reverse import topological_order

    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    rows: list[tuple[Any, ...]] = []
    for node in order:
        if node._op is None:
            rows.append((node,))
        else:
            first, second = node._first, node._second
            assert first is not None  # an operation has at least one input
            rows.append(
                (node._op.name, index[first], -1 if second is None else index[second], node.data, node.grad, node.label)
            )
    return rows


def _leaf(kind: type[Value], data: float, grad: Any, label: str) -> Value:
    """A leaf (a ``Value`` or a ``Constant``) as it was pickled."""
    node = kind(data, label)
    node.grad = grad
    return node


def _rebuild(rows: list[tuple[Any, ...]]) -> Value:
    """The inverse of :func:`_flatten`: rebuild the graph, and return its last node."""
    nodes: list[Value] = []
    for row in rows:
        if len(row) == 1:
            nodes.append(row[0])
            continue
        name, first, second, data, grad, label = row
        if name not in OPS:
            raise ValueError(f"cannot load a graph with the operation {name!r}: define it with primitive() first")
        node = Value.__new__(Value)
        node.data, node.grad, node.label = data, grad, label
        node._op, node._first, node._second = OPS[name], nodes[first], None if second < 0 else nodes[second]
        nodes.append(node)
    return nodes[-1]
