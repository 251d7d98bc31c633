"""Reverse mode: the topological sort and the chain rule, for any graph of nodes.

A node here is anything with ``parents`` (its inputs), ``data`` and ``_op`` (an entry of the table in
:mod:`microdiff.engine.ops`, or ``None`` for a leaf); the fast path reads a ``Value``'s two input slots.
Every function is a loop over explicit stacks and lists, never recursion, so a chain of a million
nodes needs no change to Python's recursion limit.

:func:`backpropagate` is the chain rule as the lesson states it, for any use (floats, or Values with
``create_graph=True``); :func:`backpropagate_into_grad` is the same walk for the common case, a plain
``backward()`` on floats, with cheaper bookkeeping. Both take every derivative from the one table.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_pause_lock = threading.Lock()
_pauses = 0  # how many backward passes, in any thread, are running with the collector paused
_collector_was_enabled = False


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


def topological_order(root: Any) -> list[Any]:
    """Every node ``root`` depends on, each listed after all of its parents (``root`` comes last).

    Depth-first search with an explicit stack: a node is listed once all its parents are, which is
    when we meet it the second time on the stack ("expanded").
    """
    order: list[Any] = []
    visited: set[Any] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for parent in node.parents:
            if parent not in visited:
                stack.append((parent, False))
    return order


def backpropagate(order: list[Any], create_graph: bool = False, seed: Any = 1.0) -> dict[Any, Any]:
    """The gradient of the last node of ``order`` (whose own gradient is ``seed``) with respect to every node.

    Walking ``order`` backwards, each node's gradient is complete before it is used (all the nodes
    that use it come later in ``order``). For each input of the node, the chain rule gives

        downstream = upstream × local,

    and a node used more than once adds up the contributions from each use.

    With ``create_graph=True`` the local derivatives are computed from the nodes themselves instead
    of their floats, so every gradient is a graph node that can be differentiated again (given a node
    as ``seed``, even where every local derivative on the way is a plain number, as through ``+``).
    """
    grads: dict[Any, Any] = {order[-1]: seed}
    for node in reversed(order):
        op = node._op
        if op is None:
            continue
        upstream = grads[node]
        inputs = node.parents if create_graph else [parent.data for parent in node.parents]
        out = node if create_graph else node.data
        try:
            local = op.local(*inputs, out)
        except ArithmeticError as error:
            raise _naming(error, node) from error
        for parent, derivative in zip(node.parents, local):
            contribution = upstream * derivative
            grads[parent] = grads[parent] + contribution if parent in grads else contribution
    return grads


def backpropagate_into_grad(order: list[Any]) -> None:
    """:func:`backpropagate` on floats, written straight into each node's ``grad``: ``backward()``'s fast path.

    The same walk and the same chain rule, with the local derivatives from the same table; only the
    bookkeeping is cheaper. Each node's ``grad`` holds its gradient (no dictionary), and the loop over
    a node's inputs is written out, reading a ``Value``'s two input slots directly, since every
    fundamental operation has two inputs or one.
    """
    for node in order:
        node.grad = 0.0
    order[-1].grad = 1.0
    for node in reversed(order):
        op = node._op
        if op is None:
            continue
        upstream = node.grad
        a, b = node._first, node._second
        try:
            if b is None:
                (da,) = op.local(a.data, node.data)
                a.grad += upstream * da
            else:
                da, db = op.local(a.data, b.data, node.data)
                a.grad += upstream * da
                b.grad += upstream * db
        except ArithmeticError as error:
            raise _naming(error, node) from error


def _naming(error: ArithmeticError, node: Any) -> ArithmeticError:
    """A local derivative that cannot be computed (x ** 0.01 at the smallest float overflows), naming the node."""
    at = ", ".join(repr(parent.data) for parent in node.parents)
    return type(error)(f"backward through {node._op.name}({at}): {error}")
