"""Composite operations: naming a group of fundamental nodes as one operation, for drawings.

``x.sigmoid()`` builds four fundamental nodes (neg, exp, add, reciprocal). Marking them as one
*composite* lets a drawing put a box labelled "sigmoid" around them, or collapse the box into a single
node. Marking happens after the composite is built, by walking back from its output to its inputs, so
it costs nothing in the engine's hot path. Composites nest: a neuron's box can hold a tanh box.

Only operation nodes are marked. A leaf belongs to no composite: a neuron's weights are shared by every
call of the neuron, so they cannot belong to any one of them. A drawing places a leaf inside the
innermost box that holds all of its uses, unless the leaf is one of that box's inputs.

Use :func:`composite` as a decorator on a function (or method) whose ``Value`` arguments are the
composite's inputs, or call :func:`mark_composite` after building a subgraph by hand.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Composite:
    """One use of a composite operation: its name, its inputs, and the composite it sits inside (if any)."""

    __slots__ = ("name", "inputs", "parent")

    def __init__(self, name: str, inputs: Iterable[Any] = ()) -> None:
        self.name = name
        self.inputs = frozenset(id(node) for node in inputs)  # ids: a box keeps no node alive
        self.parent: Composite | None = None

    def __repr__(self) -> str:
        return f"Composite({self.name!r})"


def _inputs_of(args: Iterable[Any]) -> list[Any]:
    """The graph nodes among ``args``, looking one level into lists and tuples (a neuron's inputs)."""
    found: list[Any] = []
    for arg in args:
        items = arg if isinstance(arg, (list, tuple)) else (arg,)
        found.extend(item for item in items if hasattr(item, "parents"))
    return found


def mark_composite(name: str, inputs: Iterable[Any], output: Any) -> Composite | None:
    """Mark every operation node between ``inputs`` (excluded) and ``output`` (included) as one composite.

    Nodes already in an inner composite stay there, and that composite is put inside this one. Leaves
    are passed by (see the module's docstring).
    Returns the new :class:`Composite`, or ``None`` when ``output`` is not a graph node with parents
    (a number, a ``Dual``, or a ``Value`` made under ``no_grad``).
    """
    if not getattr(output, "parents", None):
        return None
    box = Composite(name, inputs)
    seen: set[int] = set()
    stack = [output]
    while stack:
        node = stack.pop()
        if id(node) in box.inputs or id(node) in seen or not node.parents:
            continue
        seen.add(id(node))
        if node.composite is None:
            node.composite = box
        else:
            outermost = node.composite
            while outermost.parent is not None and outermost.parent is not box:
                outermost = outermost.parent
            if outermost is not box and outermost.parent is None:
                outermost.parent = box
        stack.extend(node.parents)
    return box


def composite(name: str) -> Callable[[F], F]:
    """Decorator: the nodes a function builds from its ``Value`` arguments form one composite ``name``.

    >>> @composite("square_plus_one")
    ... def f(x):
    ...     return x * x + 1
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            output = function(*args, **kwargs)
            mark_composite(name, _inputs_of((*args, *kwargs.values())), output)
            return output

        return wrapper  # type: ignore[return-value]

    return decorate
