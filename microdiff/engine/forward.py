"""Forward mode: dual numbers.

A dual number a + a'ε carries a value (the *primal* a) and a derivative (the *tangent* a') together,
with the rule ε² = 0. Then f(a + a'ε) = f(a) + f'(a)·a'ε: evaluating f on a dual number computes the
derivative alongside the value, in the same single forward pass, with no graph at all.

``Dual`` uses the same table of fundamental operations as ``Value``: the tangent of an output is the
sum over inputs of (local derivative × input tangent). One forward pass gives the derivative along one
direction; reverse mode gives the derivatives for every input at once. Comparing the two is the
lesson of forward against reverse mode.

**Nesting.** ``jvp`` inside ``jvp`` needs care: in ``jvp(lambda x: x * jvp(lambda y: x + y, …)[1], …)``
the inner derivative is d(x + y)/dy = 1, but a naive dual number cannot tell x's ε from y's and
answers 2 — *perturbation confusion* (Siskind and Pearlmutter, 2005). So each ``jvp`` call draws a fresh
``tag`` for its ε, and a dual number of one tag treats every other number as a constant. When two dual
numbers of different tags meet, the one made later (the inner ``jvp``, higher tag) is on the outside
and the other sits in its primal, so each ``jvp`` reads off only its own tangent. A primal or tangent
may itself be a ``Dual`` (forward over forward) or a ``Value`` (reverse over forward: ``grad`` of a
function that calls ``jvp``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any

from microdiff.engine.arithmetic import Arithmetic
from microdiff.engine.disconnected import warn_disconnected
from microdiff.engine.ops import Op, real, refuse_overflow

_tags = itertools.count(1)  # tag 0 is for dual numbers made by hand; each jvp call takes the next one


def fresh_tag() -> int:
    """A tag no dual number has yet: one per ``jvp`` call, so nested calls keep their tangents apart."""
    return next(_tags)


class Dual(Arithmetic):
    """A dual number ``primal + tangent·ε``, its ε tagged ``tag``.

    >>> x = Dual(3.0, 1.0)          # seed: dx/dx = 1
    >>> y = x * x
    >>> y.primal, y.tangent         # 9 and dy/dx = 2x = 6
    (9.0, 6.0)
    """

    __slots__ = ("primal", "tangent", "tag")

    def __init__(self, primal: Any, tangent: Any = 0.0, tag: int = 0) -> None:
        self.primal = _component(primal, "primal")
        self.tangent = _component(tangent, "tangent")
        self.tag = tag

    def __repr__(self) -> str:
        tag = f", tag={self.tag}" if self.tag else ""
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r}{tag})"

    def _apply(self, op: Op, other: Dual | None = None, out: Any = None) -> Dual:
        if other is not None and other.tag != self.tag:
            if other.tag > self.tag:  # the later perturbation is on the outside; self is constant there
                return Dual(self, 0.0, other.tag)._apply(op, other, out)
            other = Dual(other, 0.0, self.tag)
        inputs = (self,) if other is None else (self, other)
        primals = [number.primal for number in inputs]
        if out is None:
            out = _evaluate(op, primals)
        local = op.local(*primals, out)
        tangent: Any = 0.0
        for derivative, number in zip(local, inputs):
            # An input with tangent 0 (a constant) contributes nothing, so its local derivative is skipped
            # rather than multiplied by 0: it may be NaN, as d(aᵇ)/db for a < 0 in x ** 2 at x = -1.
            if not (isinstance(number.tangent, float) and number.tangent == 0.0):
                term = derivative * number.tangent
                tangent = term if isinstance(tangent, float) and tangent == 0.0 else tangent + term
        result = Dual.__new__(Dual)
        result.primal, result.tangent, result.tag = out, tangent, self.tag
        return result

    def _lift(self, x: Any) -> Any:
        if isinstance(x, Dual):
            return x
        if isinstance(x, Real) or hasattr(x, "_real"):  # a number, or a Value: a constant at this level
            return Dual(x, 0.0, self.tag)
        return NotImplemented

    def _real(self) -> float:
        return real(self.primal)


def _component(x: Any, name: str) -> Any:
    if isinstance(x, Real):
        return float(x)
    if hasattr(x, "_real"):  # a Value or a Dual, when modes are nested
        return x
    raise TypeError(f"Dual needs an int or a float as {name}, not {type(x).__name__}: {x!r}")


def _evaluate(op: Op, primals: list[Any]) -> Any:
    """``op`` on the primals: on floats by its forward function; on nodes (nested modes) by the node's own
    operation, after lifting the other input to the node's kind (a ``Dual`` of the highest tag wins)."""
    if all(isinstance(p, float) for p in primals):
        out = op.forward(*primals)
        if out - out != 0.0:  # ±inf or NaN: an overflow of finite inputs is refused, as for Values
            refuse_overflow(op, out, *primals)
        return out
    nodes = [p for p in primals if not isinstance(p, float)]
    duals = [p for p in nodes if isinstance(p, Dual)]
    carrier = max(duals, key=lambda d: d.tag) if duals else nodes[0]
    lifted = [carrier._lift(p) for p in primals]
    return lifted[0]._apply(op, *lifted[1:])


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """``(f(primals), ∇f(primals) · tangents)``: the value and the directional derivative, by one forward pass.

    ``f`` returns a number, or a tuple of them (then both results are tuples). Floats come out at the
    top level; inside another differentiation the results are nodes that it can differentiate.

    >>> jvp(lambda x, y: 3 * x**2 + x * y + 5 * y**2, (2.0, 3.0), (1.0, 0.0))  # ∂f/∂x at (2, 3)
    (63.0, 15.0)
    """
    if len(primals) != len(tangents):
        raise ValueError(f"jvp needs one tangent per primal, got {len(primals)} primals and {len(tangents)} tangents")
    tag = fresh_tag()
    out = f(*[Dual(p, t, tag) for p, t in zip(primals, tangents)])
    items = list(out) if isinstance(out, (tuple, list)) else [out]
    pairs = [_split(item, tag) for item in items]
    cut = [item for item in items if not (isinstance(item, Dual) and item.tag == tag)]
    if cut:  # the same rule as grad's: a derivative of 0 because nothing connects it to the inputs is said
        warn_disconnected("jvp", ["the inputs"], cut[0], traced=False)
    if isinstance(out, (tuple, list)):
        return tuple(p for p, _ in pairs), tuple(t for _, t in pairs)
    return pairs[0]


def _split(out: Any, tag: int) -> tuple[Any, Any]:
    """The primal and the tangent of ``out`` for the ε tagged ``tag`` (0 if ``out`` does not depend on it)."""
    if isinstance(out, Dual) and out.tag == tag:
        primal, tangent = out.primal, out.tangent
    elif isinstance(out, Real) or hasattr(out, "_real"):
        primal, tangent = out, 0.0  # f ignored its inputs, or returned a number of another level
    else:
        raise TypeError(f"jvp needs f to return a number (or a tuple of them), not {type(out).__name__}")
    return _plain(primal), _plain(tangent)


def _plain(x: Any) -> Any:
    return float(x) if isinstance(x, Real) else x
