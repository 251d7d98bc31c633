"""Reverse mode, all of it: the topological sort, the chain rule, ``backward``, ``gradients``.

1. :func:`topological_order` lists every node a result depends on, each after its inputs. It is a loop
   over an explicit stack, never recursion, so a chain of a million nodes needs no change to Python's
   recursion limit.
2. :func:`chain_rule` walks that list backwards. At each operation node it takes the node's gradient
   (*upstream*), asks the table of operations for the *local* derivatives, and hands each input
   upstream × local (*downstream*); a node used more than once adds up what each use hands it. The walk
   yields every step, so the same code fills a dictionary of gradients (:func:`gradients`), builds
   gradients that are graph nodes themselves (``create_graph=True``), and shows a learner each step
   (:func:`microdiff.backward_steps`).
3. :func:`backward` writes the gradients into each node's ``grad``; leaves add them to what they held.
   A pass that fails or is interrupted (Ctrl-C included) puts every ``grad`` back as it was. Passes
   run one at a time, under a lock: two threads that call ``backward()`` on graphs sharing parameters
   both add their gradients exactly (without the lock, one pass's zeroing wiped out the other's sum).

**The fast path.** A plain ``backward()`` on floats — every training step — runs the same chain rule
written out in :func:`_backpropagate_into_grad`: each node's ``grad`` holds its gradient (no dictionary,
no step records, no generator) and the loop over a node's inputs reads its two input slots directly.
On a training step's graph of 65,818 nodes it took 42 ms where the walk of step 2 took 162 ms
(``benchmarks/run.py``, row g, on this project's 2-core machine), so it stays;
``tests/test_engine_internals.py`` checks that both give the same gradients.
"""

from __future__ import annotations

import gc
import threading
import warnings
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from numbers import Real
from typing import Any, NamedTuple

from microdiff.engine.value import Constant, Value, enable_grad


class DisconnectedGradientWarning(UserWarning):
    """A derivative is 0 because the output does not depend on an input through microdiff's operations.

    Either the function is constant in that input, or the graph was cut: ``x.data`` (or ``float(x)``)
    is a plain number that remembers nothing of ``x``, so no gradient can flow back through it.
    """


class ChainStep(NamedTuple):
    """One step of the chain rule: at ``node``, downstream = upstream × local for each input."""

    node: Value
    upstream: Any
    inputs: tuple[Value, ...]
    local: tuple[Any, ...]
    downstream: tuple[Any, ...]


_pause_lock = threading.Lock()
_pauses = 0  # how many backward passes, in any thread, are running with the collector paused
_collector_was_enabled = False
_one_pass_at_a_time = threading.RLock()  # reentrant: a pass may run inside another (a primitive's rule)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a backward pass, and restore its state after.

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


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each listed after all of its inputs (``root`` comes last).

    Depth-first search with an explicit stack. A node is listed once all its inputs are: when it is
    first met, it goes back on the stack under a ``None`` marker, above its inputs; popping the marker
    (after every input has been listed) lists the node. The inputs are read from the node's two slots
    rather than ``parents``, which would build a tuple per node: the sort is a third of ``backward()``.
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


def gradient_map(root: Value, seed: Any = 1.0, create_graph: bool = False) -> dict[Value, Any]:
    """d root / d node for every node ``root`` depends on, times ``seed``, touching no ``grad``.

    With ``create_graph=True`` the seed is made a node (so that even a gradient reached only through
    ``+`` is one), and the graph of the derivatives is recorded even inside ``no_grad``.
    """
    with collector_paused():
        order = topological_order(root)
        if create_graph and not isinstance(seed, Value):
            seed = Constant(seed)
        grads: dict[Value, Any] = {root: seed}
        with enable_grad() if create_graph else nullcontext():
            deque(chain_rule(order, grads, create_graph), maxlen=0)  # run the walk; the steps are not kept
    return grads


def gradients(output: Any, inputs: Sequence[Value], create_graph: bool = False) -> tuple[Any, ...]:
    """d output / d input for each input, computed without touching any node's ``grad``.

    With ``create_graph=True`` each gradient is a ``Value`` that can be differentiated again. An input
    that ``output`` does not depend on gets 0.0, with a :class:`DisconnectedGradientWarning` (an output
    that is a plain number depends on nothing).
    """
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(
                f"gradients: inputs[{i}] is {type(x).__name__} {x!r}, not a Value: a derivative is taken with "
                "respect to a node of the graph (pass x, not x.data)"
            )
    grads = gradient_map(output, 1.0, create_graph) if isinstance(output, Value) else {}
    missing = [i for i, x in enumerate(inputs) if x not in grads]
    if missing:
        warn_disconnected("gradients", output, [f"inputs[{i}]" for i in missing])
    return tuple(grads.get(x, 0.0) for x in inputs)


def warn_disconnected(who: str, output: Any, names: Sequence[str]) -> None:
    """Warn that the derivative of ``output`` with respect to ``names`` is 0 because nothing connects them."""
    what = (
        f"the output is a plain {type(output).__name__}, not a Value"
        if not isinstance(output, Value)
        else "the output does not depend on " + ", ".join(names)
    )
    warnings.warn(
        f"{who}: the derivative with respect to {', '.join(names)} is 0 because {what}. If that is not "
        "right, the graph was cut: x.data (or float(x)) is a plain number that remembers nothing of x, "
        "so no gradient flows back through it; compute with x itself.",
        DisconnectedGradientWarning,
        stacklevel=3,
    )


def backward(root: Value, gradient: Any = None, create_graph: bool = False) -> None:
    """``root.backward()``: fill in every node's ``grad`` with gradient × d root / d node; leaves add to theirs."""
    seed = _seed(gradient, create_graph)
    with _one_pass_at_a_time, collector_paused():
        order = topological_order(root)
        earlier = [node.grad for node in order]
        try:
            if create_graph:
                grads = gradient_map(root, seed, create_graph=True)
                for node, grad in zip(order, earlier):
                    node.grad = grads[node] if node._op is not None else _accumulated(node, grad, grads[node])
            else:
                _backpropagate_into_grad(order, seed)
        except BaseException as error:
            for node, grad in zip(order, earlier):
                node.grad = grad  # a failed or interrupted pass leaves every gradient as it was
            if isinstance(error, TypeError):  # a leaf whose grad is not a number (x.grad = None)?
                for node, grad in zip(order, earlier):
                    if node._op is None:
                        _accumulated(node, grad, 0.0)
            raise


def zero_grad(root: Value) -> None:
    """Set ``grad`` to 0 on every node ``root`` depends on (no order is needed, so no sort)."""
    with collector_paused():
        seen: set[Value] = set()
        stack = [root]
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


def _backpropagate_into_grad(order: list[Value], seed: float) -> None:
    """The chain rule of :func:`chain_rule` on floats, written straight into each node's ``grad``.

    The same walk and the same rule, with the local derivatives from the same table; only the
    bookkeeping is cheaper (see the module's docstring for what that buys).
    """
    for node in order:
        if node._op is not None:
            node.grad = 0.0  # a leaf keeps what earlier passes left, and adds this pass's gradient to it
    root = order[-1]
    root.grad = seed if root._op is not None else root.grad + seed
    for node in reversed(order):
        op = node._op
        if op is None:
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
    """What a leaf holds after a pass: ``earlier + gradient``, or a clear error when ``earlier`` is not a
    number (``x.grad = None``)."""
    if not isinstance(earlier, (Real, Value)):
        name = repr(leaf.label) if leaf.label else repr(leaf)
        raise TypeError(
            f"backward: the leaf {name} has grad {earlier!r} ({type(earlier).__name__}), not a number; "
            "set it to 0.0 (zero_grad) before backward()"
        )
    return gradient if isinstance(earlier, float) and earlier == 0.0 else earlier + gradient


def _naming(error: ArithmeticError, node: Value) -> ArithmeticError:
    """A local derivative that cannot be computed, naming the node and its inputs."""
    at = ", ".join(repr(parent.data) for parent in node.parents)
    return type(error)(f"backward through {node.op}({at}): {error}")
