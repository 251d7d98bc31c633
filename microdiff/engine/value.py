"""``Value``: one scalar node of a computational graph, and reverse mode — the walk back over its graph.

A ``Value`` holds a number (``data``), the gradient of some output with respect to it (``grad``), and how it
was made: the fundamental operation (``op``) and its inputs (``parents``). Building an expression out of Values
records the graph; ``backward()`` walks it in reverse:

1. :func:`topological_order` lists every node the output depends on, each after its inputs. It is a loop over
   an explicit stack, never recursion, so a chain of a million nodes needs no change to Python's recursion limit.
2. The chain rule walks that list backwards. At each operation node it takes the node's gradient (*upstream*),
   asks the table of operations for the *local* derivatives, and hands each input upstream × local
   (*downstream*); a node used more than once adds up what each use hands it. :func:`chain_rule` yields every
   step, so the same walk gives gradients that are graph nodes themselves (``create_graph=True``), the
   functional API's gradients (:mod:`microdiff.engine.functional`) and a learner's step-by-step view.
3. ``backward()`` writes the gradients into each node's ``grad``. Leaves *accumulate*, as PyTorch's do: the pass
   finishes each leaf's whole gradient first, then adds it to what the leaf held, once — so two passes over
   the same graph leave exactly twice the gradient of one. A pass that fails or is interrupted (Ctrl-C
   included) puts every ``grad`` back as it was, and passes run one at a time, under a lock, so threads that
   share parameters add their gradients exactly.

A node stores no closure and points to no function of its own: its operation is an entry of the table in
:mod:`microdiff.engine.ops`, shared by every node. So a node is small (``__slots__``), and a graph makes no
reference cycles for the garbage collector to chase. Its inputs sit in two slots of their own (``parents``
builds the tuple when asked): a tuple per node would be a second object for the collector to track, and,
measured, that cost about a quarter of a training step.

**The fast path.** A plain ``backward()`` on floats — every training step — runs the chain rule of
:func:`chain_rule` written out in :func:`_backpropagate_into_grad`: each node's ``grad`` holds its gradient (no
dictionary, no step records, no generator) and the loop reads a node's two input slots directly. On a training
step's graph of 65,818 nodes it took 42 ms where the general walk took 162 ms (``benchmarks/run.py``), so it
stays; a test checks that both give the same gradients, bit for bit.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from numbers import Real
from typing import Any, NamedTuple

from microdiff.engine import copying
from microdiff.engine.arithmetic import Arithmetic
from microdiff.engine.composite import Composite
from microdiff.engine.ops import Op, refuse_overflow

# ---------------------------------------------------------------------------------------------------
# Recording the graph, or not: no_grad and enable_grad.
# ---------------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------------
# The node.
# ---------------------------------------------------------------------------------------------------


class Value(Arithmetic):
    """A scalar in a computational graph.

    >>> x = Value(2.0, label="x")
    >>> y = x * x + 3 * x
    >>> y.backward()
    >>> y.data, x.grad
    (10.0, 7.0)

    Comparisons (``<``, ``<=``, ``>``, ``>=``) compare ``data`` and give a ``bool``, so ``if x > 0:`` and
    ``max(values, key=…)`` work; ``bool(x)`` is ``x.data != 0``. ``==`` and ``hash`` stay those of the object:
    nodes live in sets and dicts, and two nodes holding the same number are still two nodes.
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
    def op(self) -> str:
        """The name of the operation that made this node: ``"mul"``, ``"exp"``…; ``""`` for a leaf.

        The operation itself, with its symbol and its rules, is ``OPS[node.op]`` (:mod:`microdiff.engine.ops`).
        """
        return self._op.name if self._op is not None else ""

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
        node = _Node.__new__(_Node)  # skips __init__'s checks: data comes from an operation, so it is a float
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
        seed = _seed(gradient, create_graph)
        with _one_pass_at_a_time, collector_paused():
            order = topological_order(self)
            earlier = [node.grad for node in order]
            try:
                if create_graph:
                    grads: dict[Value, Any] = {self: seed}
                    with enable_grad():  # the gradients' graph is recorded even inside no_grad
                        for _ in chain_rule(order, grads, create_graph=True):
                            pass
                    for node in order:
                        node.grad = grads[node]
                    for node, before in zip(order, earlier):  # each leaf adds this pass's whole gradient, once
                        if node._op is None and not (before.__class__ is float and before == 0.0):
                            node.grad = _accumulated(node, before, node.grad)
                else:
                    _backpropagate_into_grad(order, earlier, seed)
            except BaseException:
                for node, before in zip(order, earlier):
                    node.grad = before  # a failed or interrupted pass leaves every gradient as it was
                raise

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 on every node of this graph (no order is needed, so no sort)."""
        with collector_paused():
            seen: set[Value] = set()
            stack = [self]
            while stack:
                node = stack.pop()
                if node in seen:
                    continue
                seen.add(node)
                node.grad = 0.0
                if node._first is not None:
                    stack.append(node._first)
                    if node._second is not None:
                        stack.append(node._second)

    # Copying and pickling: the whole graph, without recursion (see engine.copying) --------------------

    def __copy__(self) -> Value:
        """A new node like this one, with the same inputs (shared, as a shallow copy shares): ``copy.copy``."""
        return copying.shallow_copy(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        """A copy of this node and of everything it reaches (inputs, gradient graphs, composite marks)."""
        return copying.deep_copy(self, memo)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle this node as a place in a flat description of its whole graph (see ``engine.copying``)."""
        return copying.reduce(self)


class Constant(Value):
    """A plain number used in an expression, as the 2 in ``2 * x``: a leaf that is never a variable.

    Drawings show a constant as its number alone, without a gradient.
    """

    __slots__ = ()


#: The class of the nodes operations make: ``Value``, or — while a trace is being recorded — the tracing kind
#: of :mod:`microdiff.engine.trace`, which notes every decision made on its numbers (see :func:`making`).
_Node: type[Value] = Value


@contextmanager
def making(kind: type[Value]) -> Iterator[None]:
    """Within this block, operations make nodes of ``kind`` (a subclass of ``Value`` with the same slots)."""
    global _Node
    before, _Node = _Node, kind
    try:
        yield
    finally:
        _Node = before


# ---------------------------------------------------------------------------------------------------
# Reverse mode: the sort, the chain rule, the pass.
# ---------------------------------------------------------------------------------------------------


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each listed after all of its inputs (``root`` comes last).

    Depth-first search with an explicit stack. A node is listed once all its inputs are: when it is
    first met, it goes back on the stack under a ``None`` marker, and its inputs are pushed on top of
    the marker; popping the marker (after every input has been listed) lists the node. The inputs are
    read from the node's two slots rather than ``parents``, which would build a tuple per node: the sort
    is a third of ``backward()``.
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())  # type: ignore[arg-type]
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append(node)
        stack.append(None)
        first = node._first
        if first is not None:
            if first not in visited:
                stack.append(first)
            second = node._second
            if second is not None and second not in visited:
                stack.append(second)
    return order


class ChainStep(NamedTuple):
    """One step of the chain rule: at ``node``, downstream = upstream × local for each input."""

    node: Value
    upstream: Any
    inputs: tuple[Value, ...]
    local: tuple[Any, ...]
    downstream: tuple[Any, ...]


def chain_rule(order: Sequence[Value], grads: dict[Value, Any], create_graph: bool = False) -> Iterator[ChainStep]:
    """The chain rule over ``order`` backwards, yielding each operation node's step.

    ``grads`` holds the gradient of the last node of ``order`` (the seed) and is filled in as the walk
    goes: when a node is reached, every node that uses it comes later in ``order``, so its gradient is
    complete. With ``create_graph=True`` the local derivatives are computed from the nodes themselves
    instead of their floats, so every gradient is a graph node that can be differentiated again.
    """
    for node in reversed(order):
        op = node._op
        if op is None:
            continue
        upstream = grads[node]
        inputs = node.parents
        try:
            if create_graph:
                local = op.local(*inputs, node)
            else:
                local = op.local(*[parent.data for parent in inputs], node.data)
        except ArithmeticError as error:
            raise _naming(error, node) from error
        downstream = tuple(upstream * derivative for derivative in local)
        for parent, contribution in zip(inputs, downstream):
            grads[parent] = grads[parent] + contribution if parent in grads else contribution
        yield ChainStep(node, upstream, inputs, tuple(local), downstream)


def _backpropagate_into_grad(order: list[Value], earlier: list[Any], seed: float) -> None:
    """The chain rule of :func:`chain_rule` on floats, written straight into each node's ``grad``: the same
    walk and the same rule from the same table; only the bookkeeping is cheaper (see the module docstring).

    Every ``grad`` starts from 0, the leaves' too. The walk reaches a leaf only after every node that reads
    it (they all come after it in ``order``), so the leaf's gradient for this pass is whole by then: only
    then is what it held before (``earlier``) added to it, once, as PyTorch's AccumulateGrad does."""
    for node in order:
        node.grad = 0.0
    order[-1].grad = seed
    for node, before in zip(reversed(order), reversed(earlier)):
        op = node._op
        if op is None:
            if before.__class__ is not float or before != 0.0:
                node.grad = _accumulated(node, before, node.grad)
            continue
        upstream = node.grad
        a, b = node._first, node._second
        try:
            if b is None:
                (da,) = op.local(a.data, node.data)  # type: ignore[union-attr]
                a.grad += upstream * da  # type: ignore[union-attr]
            else:
                da, db = op.local(a.data, b.data, node.data)  # type: ignore[union-attr]
                a.grad += upstream * da  # type: ignore[union-attr]
                b.grad += upstream * db
        except ArithmeticError as error:
            raise _naming(error, node) from error


_pause_lock = threading.Lock()
_pauses = 0  # how many passes, in any thread, are running with the collector paused
_collector_was_enabled = False
_one_pass_at_a_time = threading.RLock()  # reentrant: a pass may run inside another (a primitive's rule)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a pass over a graph, and restore its state after.

    A graph has no reference cycles, so the collector finds nothing in it; but a pass over a big graph
    allocates enough to trigger collections, and each one walks every node. Threads may overlap: the
    first pass to start records whether the collector was on, the last one to end restores that.
    """
    global _pauses, _collector_was_enabled
    with _pause_lock:
        if _pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _collector_was_enabled:
                gc.enable()


def _seed(gradient: Any, create_graph: bool) -> Any:
    """The gradient a pass starts from: 1 by default, else ``gradient`` (a number, or a Value)."""
    if gradient is None:
        return Constant(1.0) if create_graph else 1.0
    if isinstance(gradient, Value):
        return gradient if create_graph else gradient.data
    if isinstance(gradient, Real) and not isinstance(gradient, bool):
        return Constant(gradient) if create_graph else float(gradient)
    raise TypeError(f"backward: gradient must be a number or a Value, not {type(gradient).__name__}: {gradient!r}")


def _accumulated(leaf: Value, earlier: Any, gradient: Any) -> Any:
    """What a leaf holds after a pass, ``earlier + gradient``; a clear error when ``earlier`` is not a number
    (``x.grad = None``)."""
    if not isinstance(earlier, (Real, Value)):
        name = repr(leaf.label) if leaf.label else repr(leaf)
        raise TypeError(
            f"backward: the leaf {name} has grad {earlier!r} ({type(earlier).__name__}), not a number; "
            "set it to 0.0 (zero_grad) before backward()"
        )
    return earlier + gradient


def _naming(error: ArithmeticError, node: Value) -> ArithmeticError:
    """A local derivative that cannot be computed, naming the node and its inputs."""
    at = ", ".join(repr(parent.data) for parent in node.parents)
    return type(error)(f"backward through {node.op}({at}): {error}")
