"""Adding a fundamental operation of your own: ``primitive(name, forward, local)``.

An operation added here becomes an entry of the same table as ``add`` or ``exp``
(:data:`microdiff.engine.ops.OPS`), so it works everywhere they do: ``backward`` and ``create_graph``,
dual numbers, ``grad``, ``jvp`` and ``hvp``, ``gradcheck``, drawings (with its own symbol), the
Stepper, and pickles (which store it by name: define it again before loading one).

Its ``local`` rule is called with floats in a plain backward pass, and with Values (``create_graph``)
or dual numbers (forward mode) otherwise, so write it with operators they all share (``+``, ``*``,
``/``, ``**``) and the functions of :mod:`microdiff.engine.arithmetic` (``exp``, ``log``, ``sigmoid``,
``tanh``…), which accept any of them.

>>> import math
>>> from microdiff.engine.arithmetic import sigmoid
>>> softplus = primitive(
...     "softplus",
...     forward=lambda a: math.log1p(math.exp(-abs(a))) + max(a, 0.0),   # log(1 + eᵃ), without overflow
...     local=lambda a, out: (sigmoid(a),),                                 # d/da log(1 + eᵃ) = σ(a)
... )
>>> from microdiff import Value
>>> x = Value(0.0)
>>> y = softplus(x)
>>> y.backward()
>>> round(y.data, 6), x.grad
(0.693147, 0.5)
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from typing import Any

from microdiff.engine.arithmetic import Arithmetic
from microdiff.engine.ops import BUILT_IN, OPS, Op, refuse_overflow, required_arguments


def primitive(
    name: str, forward: Callable[..., float], local: Callable[..., tuple[Any, ...]], symbol: str | None = None
) -> Callable[..., Any]:
    """Add the fundamental operation ``name`` of one or two inputs, and return the function that applies it.

    ``forward(a)`` or ``forward(a, b)`` computes the result from floats; ``local(a, out)`` or
    ``local(a, b, out)`` returns a tuple with one local derivative per input. ``symbol`` is what drawings
    show (the name by default). The returned function takes numbers, Values or dual numbers; on plain
    numbers it gives a float. Defining the same name again replaces the earlier definition (handy when a
    notebook cell runs twice); the eight built-in names cannot be replaced.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"primitive: name must be a Python identifier such as 'softplus', not {name!r}")
    if name in BUILT_IN:
        raise ValueError(f"primitive: {name!r} is a built-in operation and cannot be redefined")
    arity = _arity(forward, "forward")
    if arity not in (1, 2):
        raise ValueError(f"primitive {name!r}: forward must take one or two inputs, not {arity}")
    if _arity(local, "local") != arity + 1:
        raise ValueError(f"primitive {name!r}: local must take the {arity} input(s) and the output: local(a, out)")
    op = Op(name, symbol or name, forward, local)
    OPS[name] = op

    def apply(*args: Any) -> Any:
        if len(args) != arity:
            raise TypeError(f"{name} takes {arity} input(s), got {len(args)}")
        nodes = [x for x in args if isinstance(x, Arithmetic)]
        if not nodes:
            floats = [_float(x, name) for x in args]
            out = forward(*floats)
            refuse_overflow(op, out, *floats)
            return out
        carrier = max(nodes, key=lambda node: getattr(node, "tag", -1))  # a dual number over a Value
        lifted = [carrier._lift(x) for x in args]
        if any(x is NotImplemented for x in lifted):
            raise TypeError(f"{name} needs numbers, Values or dual numbers, got {[type(x).__name__ for x in args]}")
        return lifted[0]._apply(op, *lifted[1:])

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"The fundamental operation {name!r}, added with microdiff.primitive."
    return apply


def _arity(function: Callable[..., Any], what: str) -> int:
    try:
        return required_arguments(function)
    except (TypeError, ValueError):
        raise TypeError(f"primitive: {what} must be a function, not {function!r}") from None


def _float(x: Any, name: str) -> float:
    if not isinstance(x, Real):
        raise TypeError(f"{name} needs numbers, Values or dual numbers, not {type(x).__name__}: {x!r}")
    return float(x)
