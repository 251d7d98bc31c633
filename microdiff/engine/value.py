"""``Value``: one scalar node of a computational graph, and ``no_grad``.

A ``Value`` holds a number (``data``), the gradient of some output with respect to it (``grad``), and
how it was made: the fundamental operation (``op``) and its inputs (``parents``). Building an
expression out of Values records the graph; ``backward()`` walks it in reverse to fill in ``grad``.

A node stores no closure and points to no function of its own: its operation is an entry of the table
in :mod:`microdiff.engine.ops`, shared by every node. So a node is small (``__slots__``), and a graph makes
no reference cycles for the garbage collector to chase. Its inputs sit in two slots of their own
(``parents`` builds the tuple when asked): a tuple per node would be a second object for the
collector to track, and measured, that cost about a quarter of a training step.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from numbers import Real
from typing import Any

from microdiff.engine.arithmetic import Arithmetic
from microdiff.engine.composite import Composite
from microdiff.engine.ops import Op
from microdiff.engine.reverse import backpropagate, backpropagate_into_grad, collector_paused, topological_order

_recording: ContextVar[bool] = ContextVar("microdiff_recording", default=True)


@contextmanager
def _recording_set(on: bool) -> Iterator[None]:
    token = _recording.set(on)
    try:
        yield
    finally:
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

    __slots__ = ("data", "grad", "_op", "_first", "_second", "label", "composite")

    data: float
    grad: Any  # a float; a Value after backward(create_graph=True)
    label: str
    composite: Composite | None

    def __init__(self, data: float | Real, label: str = "") -> None:
        if not isinstance(data, (int, float, Real)):
            raise TypeError(f"Value needs an int or a float, not {type(data).__name__}: {data!r}")
        self.data = float(data)
        self.grad = 0.0
        self._op: Op | None = None
        self._first: Value | None = None
        self._second: Value | None = None
        self.label = label
        self.composite = None

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the operation that made this node: two, one, or ``()`` for a leaf."""
        first, second = self._first, self._second
        if first is None:
            return ()
        return (first,) if second is None else (first, second)

    @property
    def op(self) -> str:
        """The name of the operation that made this node: ``"mul"``, ``"exp"``…; ``""`` for a leaf."""
        return self._op.name if self._op is not None else ""

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # Building the graph -------------------------------------------------------------------------------

    def _apply(self, op: Op, other: Value | None = None) -> Value:
        out = Value.__new__(Value)  # skips __init__'s checks: data comes from an operation, so it is a float
        out.data = op.forward(self.data) if other is None else op.forward(self.data, other.data)
        out.grad = 0.0
        if _recording.get():
            out._op, out._first, out._second = op, self, other
        else:
            out._op = out._first = out._second = None
        out.label = ""
        out.composite = None
        return out

    def _lift(self, x: Any) -> Any:
        if isinstance(x, Value):
            return x
        if isinstance(x, (int, float, Real)):  # Real admits numpy's float32, Fraction…
            return Constant(x)
        return NotImplemented

    def _real(self) -> float:
        return self.data

    # Differentiating it -------------------------------------------------------------------------------

    def backward(self, create_graph: bool = False) -> None:
        """Fill in ``grad`` on every node of this graph: d self / d node.

        The chain rule runs from this node back to the leaves in reverse topological order. Leaves
        *accumulate*: a second ``backward()`` adds to their ``grad`` (call ``zero_grad`` in between to
        start afresh). Inner nodes show this pass's gradient. With ``create_graph=True`` the gradients
        are Values themselves, built from the graph, so they can be differentiated again.
        """
        with collector_paused():
            order = topological_order(self)
            earlier = [node.grad for node in order]
            try:
                if create_graph:  # the gradients are Values, built by the general chain rule
                    grads = _gradients_as_values(order)
                    for node in order:
                        node.grad = grads[node]
                else:  # floats: the fast path writes this pass's gradient straight into each grad
                    backpropagate_into_grad(order)
            except ArithmeticError:
                for node, grad in zip(order, earlier):
                    node.grad = grad  # a failed pass leaves every gradient as it was
                raise
            for node, grad in zip(order, earlier):
                if node._op is None and not _is_zero(grad):
                    node.grad = grad + node.grad  # a leaf keeps what earlier passes left

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 on every node of this graph."""
        for node in topological_order(self):
            node.grad = 0.0


def _is_zero(grad: Any) -> bool:
    return isinstance(grad, float) and grad == 0.0


class Constant(Value):
    """A plain number used in an expression, as the 2 in ``2 * x``: a leaf that is never a variable.

    Drawings show a constant as its number alone, without a gradient.
    """

    __slots__ = ()


def gradients(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> tuple[Any, ...]:
    """d output / d input for each input, computed without touching any node's ``grad``.

    An input that ``output`` does not depend on gets 0.0. With ``create_graph=True`` each gradient is a
    ``Value`` that can be differentiated again.
    """
    with collector_paused():
        order = topological_order(output)
        grads = _gradients_as_values(order) if create_graph else backpropagate(order)
    return tuple(grads.get(node, 0.0) for node in inputs)


def _gradients_as_values(order: list[Value]) -> dict[Value, Value]:
    """The chain rule with ``create_graph=True``: every gradient a ``Value`` that can be differentiated again.

    The seed is a node too, so that even a gradient reached only through ``+`` is one, and the graph of
    the derivatives is recorded even when the caller is inside ``no_grad``.
    """
    with enable_grad():
        return backpropagate(order, create_graph=True, seed=Constant(1.0))
