"""Composite operations: naming a group of fundamental nodes as one operation, for drawings.

``x.sigmoid()`` builds four fundamental nodes (neg, exp, add, reciprocal). Marking them as one
*composite* lets a drawing put a box labelled "sigmoid" around them, or collapse the box into a single
node. Composites nest: a neuron's box can hold a tanh box.

Marking is cheap, because almost no graph is ever drawn: :func:`mark_composite` records what the
composite is — a name, its inputs, its output — in constant time, by hanging a :class:`Composite` on
the output node. Which nodes lie inside the box is worked out only when a drawing asks
(:func:`microdiff.anatomy.composite_boxes`): the operation nodes reached walking back from the output,
stopping at the inputs. (Marking each node as it was built cost a third of a training step.)

Only operation nodes are members. A leaf belongs to no composite: a neuron's weights are shared by
every call of the neuron, so they cannot belong to any one of them. A drawing places a leaf inside the
innermost box that holds all of its uses, unless the leaf is one of that box's inputs.

Use :func:`composite` as a decorator on a function (or method) whose node arguments are the
composite's inputs, or call :func:`mark_composite` after building a subgraph by hand.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Composite:
    """One use of a composite operation: its name and inputs, the composite marked on the same output
    before it (``inner``), and — once :func:`microdiff.anatomy.composite_boxes` has run — the composite
    around it (``parent``).

    A composite keeps its inputs, not its output: the output keeps the composite, and a reference back
    would make a cycle for the garbage collector in every graph.
    """

    __slots__ = ("name", "inputs", "inner", "parent")

    def __init__(self, name: str, inputs: Sequence[Any] = (), inner: Composite | None = None) -> None:
        self.name = name
        self.inputs = inputs  # the nodes it reads, as given (not copied: a layer's neurons share one list)
        self.inner = inner
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


def mark_composite(name: str, inputs: Sequence[Any], output: Any) -> Composite | None:
    """Record that the operation nodes between ``inputs`` (excluded) and ``output`` (included) form one
    composite ``name``. Constant time: the members are found when a drawing asks for them.

    Returns the new :class:`Composite`, or ``None`` when ``output`` is not an operation node (a number,
    a ``Dual``, a leaf, or a ``Value`` made under ``no_grad``).
    """
    if getattr(output, "_op", None) is None:
        return None
    box = Composite(name, inputs, output.composite)
    output.composite = box
    return box


def composite(name: str) -> Callable[[F], F]:
    """Decorator: the nodes a function builds from its node arguments form one composite ``name``.

    >>> @composite("square_plus_one")
    ... def f(x):
    ...     return x * x + 1
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            output = function(*args, **kwargs)
            if getattr(output, "_op", None) is not None:
                mark_composite(name, _inputs_of((*args, *kwargs.values())), output)
            return output

        return wrapper  # type: ignore[return-value]

    return decorate
