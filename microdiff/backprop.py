"""Reverse mode: the topological sort and the chain rule, for any graph of nodes.

A node here is anything with ``parents`` (its inputs), ``data`` and ``_op`` (an entry of the table in
:mod:`microdiff.ops`, or ``None`` for a leaf). Both functions are loops over explicit stacks and lists,
never recursion, so a chain of a million nodes needs no change to Python's recursion limit.
"""

from __future__ import annotations

from typing import Any


def topological_order(root: Any) -> list[Any]:
    """Every node ``root`` depends on, each listed after all of its parents (``root`` comes last).

    Depth-first search with an explicit stack: a node is listed once all its parents are, which is
    when we meet it the second time on the stack ("expanded").
    """
    order: list[Any] = []
    visited: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in node.parents:
            if id(parent) not in visited:
                stack.append((parent, False))
    return order


def backpropagate(order: list[Any], create_graph: bool = False) -> dict[Any, Any]:
    """The gradient of the last node of ``order`` with respect to every node in it.

    Walking ``order`` backwards, each node's gradient is complete before it is used (all the nodes
    that use it come later in ``order``). For each input of the node, the chain rule gives

        downstream = upstream × local,

    and a node used more than once adds up the contributions from each use.

    With ``create_graph=True`` the local derivatives are computed from the nodes themselves instead
    of their floats, so every gradient is a graph node that can be differentiated again.
    """
    root = order[-1]
    grads: dict[Any, Any] = {root: 1.0}
    for node in reversed(order):
        op = node._op
        if op is None:
            continue
        upstream = grads[node]
        inputs = node.parents if create_graph else [parent.data for parent in node.parents]
        out = node if create_graph else node.data
        try:
            local = op.local(*inputs, out)
        except ArithmeticError as error:  # e.g. the slope of x ** 0.5 at x = 0 is infinite
            at = ", ".join(repr(parent.data) for parent in node.parents)
            raise type(error)(f"backward through {op.name}({at}): {error}") from error
        for parent, derivative in zip(node.parents, local):
            contribution = upstream * derivative
            grads[parent] = grads[parent] + contribution if parent in grads else contribution
    return grads
