"""The table of fundamental operations: what each one computes, and its local derivatives.

Everything else in microdiff (subtraction, division, sigmoid, tanh, a neuron, a loss) is composed of
the eight operations below, so this file is the whole of the calculus the engine knows. It plays the
part of PyTorch's ``derivatives.yaml``: one place that says every derivative.

Each operation is an :class:`Op` with two functions:

* ``forward(a, b)`` computes the output from the input floats, and raises a clear error outside the
  operation's domain (``log`` of -1.0 names ``log`` and -1.0, never a bare "math domain error");
* ``local(a, b, out)`` returns the local derivatives d out / d a, d out / d b: one per input.

One ``local`` rule serves every use of the engine:

* reverse mode (``backward``) calls it with the floats of a node's inputs and output, and multiplies
  each local derivative by the upstream gradient (the chain rule);
* reverse mode with ``create_graph=True`` calls the *same* function with ``Value`` nodes, so the
  derivatives are graph nodes themselves and can be differentiated again;
* forward mode (``Dual``) multiplies the input tangents by the same local derivatives.

So a rule is written with operators that floats and nodes share (``+``, ``*``, ``**``) and the helpers
below for the rest. More operations can be added with :func:`microdiff.primitive`; they join
:data:`OPS`, the table every part of microdiff looks operations up in by name.

**Overflow.** A result that overflows to ±∞ from finite inputs is refused, for every operation alike:
``x * x`` at 1e200 raises ``OverflowError: mul(1e+200, 1e+200) overflows a float``, as ``exp(1000)`` does.
Gradients of float backward passes follow IEEE arithmetic instead: a slope may be infinite (√x at 0).
"""

from __future__ import annotations

import inspect
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Op:
    """A fundamental operation: its name, its symbol in drawings, its value and its local derivatives."""

    name: str
    symbol: str
    forward: Callable[..., float]
    local: Callable[..., tuple[Any, ...]]

    @property
    def arity(self) -> int:
        """How many inputs the operation takes (one or two): its local rule takes them and the output."""
        return required_arguments(self.local) - 1

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


def required_arguments(function: Callable[..., Any]) -> int:
    """How many positional arguments ``function`` must be given."""
    parameters = inspect.signature(function).parameters.values()
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty for p in parameters)


# ---------------------------------------------------------------------------------------------------
# Helpers that let a rule read the same for floats and for nodes (Values, Duals).
# ---------------------------------------------------------------------------------------------------


def real(x: Any) -> float:
    """The plain float a number or a node stands for (a node's ``data``, a dual number's primal)."""
    return x if isinstance(x, float) else x._real()


def log_of(x: Any) -> Any:
    """ln x, for a float or a node."""
    return math.log(x) if isinstance(x, float) else x.log()


def reciprocal_of(x: Any) -> Any:
    """1/x, for a float (IEEE: 1/5e-324 is ∞) or a node."""
    return 1.0 / x if isinstance(x, float) else x.reciprocal()


def _float_power(a: float, b: float) -> float:
    """aᵇ on floats for a derivative rule, following IEEE where Python raises: an overflow is ±∞."""
    try:
        return a**b
    except OverflowError:
        negative = a < 0.0 and b.is_integer() and b % 2.0 == 1.0
        return -math.inf if negative else math.inf


def refuse_overflow(op: Op, out: float, *inputs: float) -> None:
    """Raise ``OverflowError`` naming ``op`` when ``out`` is ±∞ although every input is finite."""
    if math.isinf(out) and all(math.isfinite(x) for x in inputs):
        at = ", ".join(repr(x) for x in inputs)
        raise OverflowError(f"{op.name}({at}) overflows a float (its result is beyond ±1.8e308)")


# ---------------------------------------------------------------------------------------------------
# Forward functions that need a guard: each names the operation and the value it refuses.
# ---------------------------------------------------------------------------------------------------


def _reciprocal(a: float) -> float:
    if a == 0.0:
        raise ZeroDivisionError(f"reciprocal of {a!r} is undefined: 1/x has no value at x = 0")
    return 1.0 / a


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        raise OverflowError(f"exp({a!r}) overflows a float: exp(x) is too large past x = 709.78") from None


def _log(a: float) -> float:
    if a <= 0.0:
        raise ValueError(f"log of {a!r} is undefined: log needs an input greater than 0")
    return math.log(a)


def _pow(a: float, b: float) -> float:
    if a < 0.0 and not b.is_integer():
        raise ValueError(f"pow: ({a!r}) ** {b!r} is not a real number (a negative base needs an integer exponent)")
    if a == 0.0 and b < 0.0:
        raise ZeroDivisionError(f"pow: {a!r} ** {b!r} is undefined (a negative power of 0 divides by 0)")
    try:
        return a**b
    except OverflowError:
        raise OverflowError(f"pow({a!r}, {b!r}) overflows a float (its result is beyond ±1.8e308)") from None


# ---------------------------------------------------------------------------------------------------
# The two slopes of a power, which need care at base 0.
# ---------------------------------------------------------------------------------------------------


def _pow_base_slope(a: Any, b: Any) -> Any:
    """d(aᵇ)/da = b·aᵇ⁻¹.

    At a = 0 with b < 1 the power aᵇ⁻¹ divides by 0, and the slope is its one-sided limit: 0 for b = 0
    (a⁰ = 1 for every a), ±∞ otherwise (+∞ for √a). On nodes the infinite slope stays a node of the
    power aᵇ⁻¹ (with value ∞), so that it can be differentiated again: d²√a/da² at 0 is −∞, as in PyTorch.
    """
    if real(a) == 0.0 and real(b) < 1.0:
        if real(b) == 0.0:
            return 0.0
        if isinstance(a, float):
            return b * math.inf
        return b * a._apply(POW, a._lift(b - 1.0), math.inf)
    if isinstance(a, float):
        return b * _float_power(a, b - 1.0)
    return b * a ** (b - 1.0)


def _pow_exponent_slope(a: Any, out: Any) -> Any:
    """d(aᵇ)/db = aᵇ·ln a, which exists for a > 0; for a = 0 the power is 0 for every b > 0."""
    base = real(a)
    if base > 0.0:
        return out * log_of(a)
    return 0.0 if base == 0.0 else math.nan  # a < 0: aᵇ is real only at integer b, so no slope in b


# ---------------------------------------------------------------------------------------------------
# The table. Read each line as: name, symbol, forward(inputs), local(inputs, out) = derivatives.
# ---------------------------------------------------------------------------------------------------

# (The forward functions of add, neg and mul are Python's own operator.add, .neg and .mul: the same
# a + b, -a and a · b, without the cost of calling a Python function on every node built.)

#: a + b;  d/da = 1,  d/db = 1
ADD = Op("add", "+", operator.add, lambda a, b, out: (1.0, 1.0))

#: -a;  d/da = -1
NEG = Op("neg", "−", operator.neg, lambda a, out: (-1.0,))

#: a · b;  d/da = b,  d/db = a
MUL = Op("mul", "×", operator.mul, lambda a, b, out: (b, a))

#: 1/a;  d/da = -1/a² = -out²
RECIPROCAL = Op("reciprocal", "1/x", _reciprocal, lambda a, out: (-(out * out),))

#: eᵃ;  d/da = eᵃ = out
EXP = Op("exp", "exp", _exp, lambda a, out: (out,))

#: ln a;  d/da = 1/a
LOG = Op("log", "log", _log, lambda a, out: (reciprocal_of(a),))

#: aᵇ;  d/da = b·aᵇ⁻¹,  d/db = aᵇ·ln a
POW = Op("pow", "**", _pow, lambda a, b, out: (_pow_base_slope(a, b), _pow_exponent_slope(a, out)))

#: max(a, 0) (NaN stays NaN);  d/da = 1 for a > 0, else 0 (0 at the kink, by convention)
RELU = Op("relu", "relu", lambda a: 0.0 if a <= 0.0 else a, lambda a, out: (1.0 if real(a) > 0.0 else 0.0,))

#: The eight fundamental operations, by name.
BUILT_IN: dict[str, Op] = {op.name: op for op in (ADD, NEG, MUL, RECIPROCAL, EXP, LOG, POW, RELU)}

#: Every operation the engine knows, by name: the built-in ones and those added with ``primitive``.
OPS: dict[str, Op] = dict(BUILT_IN)
