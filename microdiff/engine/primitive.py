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

    The contract is checked wherever the operation is used, in every mode: ``forward`` must return a real
    number (an int is made a float; a complex number or ``None`` is refused), ``local`` one slope per input
    (numbers, on floats), and any error raised inside either names the primitive and the inputs it was given.
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
    op = Op(name, symbol or name, _checked_forward(name, forward), _checked_local(name, local, arity))
    OPS[name] = op

    def apply(*args: Any) -> Any:
        if len(args) != arity:
            raise TypeError(f"{name} takes {arity} input(s), got {len(args)}")
        nodes = [x for x in args if isinstance(x, Arithmetic)]
        if not nodes:
            floats = [_float(x, name) for x in args]
            out = op.forward(*floats)
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


def _checked_forward(name: str, forward: Callable[..., Any]) -> Callable[..., float]:
    """``forward``, with its result checked to be a real number (made a float) and its errors named."""

    def checked_forward(*inputs: float) -> float:
        try:
            out = forward(*inputs)
        except Exception as error:
            raise _failure(error, name, "forward", inputs) from error
        if out.__class__ is float:
            return out
        if isinstance(out, Real) and not isinstance(out, bool):
            return float(out)
        raise TypeError(
            f"primitive {name}: forward{_shown(inputs)} returned {type(out).__name__} {out!r:.60}, not a real number"
        )

    return checked_forward


def _checked_local(name: str, local: Callable[..., Any], arity: int) -> Callable[..., tuple[Any, ...]]:
    """``local``, with one slope per input checked (numbers when it is given floats) and its errors named."""

    def checked_local(*args: Any) -> tuple[Any, ...]:
        try:
            slopes = local(*args)
        except Exception as error:
            raise _failure(error, name, "local", args) from error
        if not isinstance(slopes, (tuple, list)) or len(slopes) != arity:
            raise TypeError(
                f"primitive {name}: local{_shown(args)} must return a tuple of {arity} slope(s), one per input, "
                f"not {slopes!r:.60}"
            )
        if all(x.__class__ is float for x in args):  # a plain backward pass: every slope is a number
            bad = [s for s in slopes if not isinstance(s, Real) or isinstance(s, bool)]
            if bad:
                raise TypeError(
                    f"primitive {name}: local{_shown(args)} returned the slope {bad[0]!r:.60} "
                    f"({type(bad[0]).__name__}), not a real number"
                )
            return tuple(float(s) for s in slopes)
        return tuple(slopes)

    return checked_local


def _shown(args: tuple[Any, ...]) -> str:
    """Arguments as a message shows them: ``(0.3, 0.55)``, a node by its kind and number: ``(Value(0.3), …)``."""
    return "(" + ", ".join(repr(x) if isinstance(x, Real) else f"{type(x).__name__}({x._real()!r})" for x in args) + ")"


def _failure(error: Exception, name: str, part: str, args: tuple[Any, ...]) -> Exception:
    """The ``error`` raised in a primitive's ``forward`` or ``local``, of the same kind, saying which and where."""
    hint = ""
    if isinstance(error, TypeError) and not all(isinstance(x, Real) for x in args):
        hint = (
            "; local is called with Values (create_graph) and dual numbers (forward mode) too: write it with "
            "operators and microdiff.engine.arithmetic's exp, log, sigmoid, tanh, which take any of them"
        )
    message = f"primitive {name}: {part}{_shown(args)} raised {type(error).__name__}: {error}{hint}"
    try:
        return type(error)(message)
    except Exception:  # an exception type that wants other arguments
        return RuntimeError(message)


def _arity(function: Callable[..., Any], what: str) -> int:
    try:
        return required_arguments(function)
    except (TypeError, ValueError):
        raise TypeError(f"primitive: {what} must be a function, not {function!r}") from None


def _float(x: Any, name: str) -> float:
    if not isinstance(x, Real):
        raise TypeError(f"{name} needs numbers, Values or dual numbers, not {type(x).__name__}: {x!r}")
    return float(x)
