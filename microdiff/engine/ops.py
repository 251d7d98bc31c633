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
"""

from __future__ import annotations

import math
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

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


# Two helpers let a rule read the same for floats and for Values (create_graph=True).
def _log_of(x: Any) -> Any:
    return math.log(x) if isinstance(x, float) else x.log()


def _number(x: Any) -> float:
    return x if isinstance(x, float) else x.data


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
        raise OverflowError(f"pow: {a!r} ** {b!r} overflows a float") from None


def _pow_base_slope(a: Any, b: Any) -> Any:
    """d(a^b)/da = b·a^(b−1), which at a = 0 divides by 0 when b < 1: there the slope is 0 for b = 0
    (a⁰ = 1 for every a) and +∞ for 0 < b < 1 (as for √a at 0)."""
    if _number(a) == 0.0 and _number(b) < 1.0:
        return 0.0 if _number(b) == 0.0 else math.inf
    return b * a ** (b - 1.0)


def _pow_exponent_slope(a: Any, out: Any) -> Any:
    """d(a^b)/db = a^b · ln a, which exists for a > 0; for a = 0 the power is 0 for every b > 0."""
    base = _number(a)
    if base > 0.0:
        return out * _log_of(a)
    return 0.0 if base == 0.0 else math.nan  # a < 0: a^b is real only at integer b, so no slope in b


# ---------------------------------------------------------------------------------------------------
# The table. Read each line as: name, symbol, forward(inputs), local(inputs, out) = derivatives.
# ---------------------------------------------------------------------------------------------------

#: a + b;  d/da = 1,  d/db = 1
ADD = Op("add", "+", lambda a, b: a + b, lambda a, b, out: (1.0, 1.0))

#: -a;  d/da = -1
NEG = Op("neg", "−", lambda a: -a, lambda a, out: (-1.0,))

#: a · b;  d/da = b,  d/db = a
MUL = Op("mul", "×", lambda a, b: a * b, lambda a, b, out: (b, a))

#: 1/a;  d/da = -1/a² = -out²
RECIPROCAL = Op("reciprocal", "1/x", _reciprocal, lambda a, out: (-(out * out),))

#: eᵃ;  d/da = eᵃ = out
EXP = Op("exp", "exp", _exp, lambda a, out: (out,))

#: ln a;  d/da = 1/a
LOG = Op("log", "log", _log, lambda a, out: (a**-1.0,))

#: aᵇ;  d/da = b·aᵇ⁻¹,  d/db = aᵇ·ln a
POW = Op("pow", "^", _pow, lambda a, b, out: (_pow_base_slope(a, b), _pow_exponent_slope(a, out)))

#: max(a, 0) (NaN stays NaN);  d/da = 1 for a > 0, else 0 (0 at the kink, by convention)
RELU = Op("relu", "relu", lambda a: 0.0 if a <= 0.0 else a, lambda a, out: (1.0 if _number(a) > 0.0 else 0.0,))

#: Every fundamental operation, by name.
OPS: dict[str, Op] = {op.name: op for op in (ADD, NEG, MUL, RECIPROCAL, EXP, LOG, POW, RELU)}
