"""Forward mode: dual numbers.

A dual number a + a'ε carries a value (the *primal* a) and a derivative (the *tangent* a') together,
with the rule ε² = 0. Then f(a + a'ε) = f(a) + f'(a)·a'ε: evaluating f on a dual number computes the
derivative alongside the value, in the same single forward pass, with no graph at all.

``Dual`` uses the same table of fundamental operations as ``Value``: the tangent of an output is the
sum over inputs of (local derivative × input tangent). One forward pass gives the derivative along one
direction; reverse mode gives the derivatives for every input at once. Comparing the two is the
lesson of forward against reverse mode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any

from microdiff.engine.arithmetic import Arithmetic
from microdiff.engine.ops import Op


class Dual(Arithmetic):
    """A dual number ``primal + tangent·ε``.

    >>> x = Dual(3.0, 1.0)          # seed: dx/dx = 1
    >>> y = x * x
    >>> y.primal, y.tangent         # 9 and dy/dx = 2x = 6
    (9.0, 6.0)
    """

    __slots__ = ("primal", "tangent")

    def __init__(self, primal: float | Real, tangent: float | Real = 0.0) -> None:
        for name, number in (("primal", primal), ("tangent", tangent)):
            if not isinstance(number, (int, float, Real)):
                raise TypeError(f"Dual needs an int or a float as {name}, not {type(number).__name__}: {number!r}")
        self.primal = float(primal)
        self.tangent = float(tangent)

    def __repr__(self) -> str:
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"

    def _apply(self, op: Op, other: Dual | None = None) -> Dual:
        inputs = (self,) if other is None else (self, other)
        primals = [number.primal for number in inputs]
        out = op.forward(*primals)
        local = op.local(*primals, out)
        # An input with tangent 0 (a constant) contributes nothing, so its local derivative is skipped
        # rather than multiplied by 0: it may be NaN, as d(aᵇ)/db for a < 0 in x ** 2 at x = -1.
        tangent = sum(derivative * number.tangent for derivative, number in zip(local, inputs) if number.tangent)
        return Dual(out, tangent)

    def _lift(self, x: Any) -> Any:
        if isinstance(x, Dual):
            return x
        if isinstance(x, (int, float, Real)):  # Real admits numpy's float32, Fraction…
            return Dual(x)
        return NotImplemented

    def _real(self) -> float:
        return self.primal


def jvp(f: Callable[..., Any], primals: Sequence[float], tangents: Sequence[float]) -> tuple[float, float]:
    """``(f(primals), ∇f(primals) · tangents)``: the value and the directional derivative, by one forward pass.

    >>> jvp(lambda x, y: 3 * x**2 + x * y + 5 * y**2, (2.0, 3.0), (1.0, 0.0))  # ∂f/∂x at (2, 3)
    (63.0, 15.0)
    """
    if len(primals) != len(tangents):
        raise ValueError(f"jvp needs one tangent per primal, got {len(primals)} primals and {len(tangents)} tangents")
    out = f(*[Dual(p, t) for p, t in zip(primals, tangents)])
    if isinstance(out, Dual):
        return out.primal, out.tangent
    if isinstance(out, (int, float)):
        return float(out), 0.0  # f ignored its inputs
    raise TypeError(f"jvp needs f to return a number, not {type(out).__name__}")
