"""The operators a number type gets from the table of fundamental operations.

``Value`` (reverse mode) and ``Dual`` (forward mode) share this class: each says only how to apply one
fundamental :class:`~microdiff.engine.ops.Op` to itself (``_apply``) and how to turn a plain number into one of
its kind (``_lift``). Everything here is then written once for both:

* the fundamental operations, one line each, pointing into the table;
* the derived operations, composed only of fundamental ones, so that a drawn graph shows the same
  decomposition a student would do by hand: ``a - b`` is ``a + (-b)`` and ``a / b`` is ``a · (1/b)``.
"""

from __future__ import annotations

from numbers import Real
from typing import Any, TypeVar

from microdiff.engine.composite import composite
from microdiff.engine.ops import ADD, EXP, LOG, MUL, NEG, POW, RECIPROCAL, RELU, Op

Number = TypeVar("Number", bound="Arithmetic")


class Arithmetic:
    """Operators shared by ``Value`` and ``Dual``; subclasses provide ``_apply``, ``_lift`` and ``_real``.
    Comparisons (``<``, ``<=``, ``>``, ``>=``) compare the numbers and give a ``bool``."""

    __slots__ = ()

    # What a subclass provides ------------------------------------------------------------------------

    def _apply(self: Number, op: Op, other: Number | None = None, out: Any = None) -> Number:
        """The result of the fundamental ``op`` applied to ``self`` (and ``other``, for an op of two inputs).

        ``out``, when given, is the result's value, taken as it is instead of computed: how a rule makes a
        node whose value is a limit (the infinite slope of √x at 0) and that can still be differentiated.
        """
        raise NotImplementedError

    def _lift(self: Number, x: Any) -> Number:
        """``x`` as a node of this kind; ``NotImplemented`` when ``x`` is not a number (so Python
        raises its usual ``TypeError: unsupported operand type(s)``)."""
        raise NotImplementedError

    def _real(self) -> float:
        """The plain float this number stands for."""
        raise NotImplementedError

    # Fundamental operations: one entry of the table each ----------------------------------------------

    def __add__(self: Number, other: Any) -> Number:
        if other.__class__ is not self.__class__:  # a plain number (or a constant): lift it first
            other = self._lift(other)
            if other is NotImplemented:
                return NotImplemented
        return self._apply(ADD, other)

    def __mul__(self: Number, other: Any) -> Number:
        if other.__class__ is not self.__class__:  # (checked inline: + and × are most of every graph)
            other = self._lift(other)
            if other is NotImplemented:
                return NotImplemented
        return self._apply(MUL, other)

    def __pow__(self: Number, exponent: Any) -> Number:
        """``self ** exponent``, the exponent a number or a node: d/db aᵇ = aᵇ·ln a."""
        exponent = self._lift(exponent)
        return NotImplemented if exponent is NotImplemented else self._apply(POW, exponent)

    def __neg__(self: Number) -> Number:
        return self._apply(NEG)

    def reciprocal(self: Number) -> Number:
        """1/x, with derivative -1/x²."""
        return self._apply(RECIPROCAL)

    def exp(self: Number) -> Number:
        """eˣ, its own derivative."""
        return self._apply(EXP)

    def log(self: Number) -> Number:
        """The natural logarithm ln x (x > 0), with derivative 1/x."""
        return self._apply(LOG)

    def relu(self: Number) -> Number:
        """max(x, 0), with derivative 1 for x > 0 and 0 otherwise (0 at the kink)."""
        return self._apply(RELU)

    # Comparisons: of the numbers, giving a bool (``==`` stays identity: nodes live in sets) ------------

    def _compared(self, other: Any) -> float | None:
        """``other`` as a float to compare with, or ``None`` when it is not a number."""
        if isinstance(other, Arithmetic):
            return other._real()
        if isinstance(other, Real):
            return float(other)
        return None

    def __lt__(self, other: Any) -> bool:
        x = self._compared(other)
        return NotImplemented if x is None else self._real() < x

    def __le__(self, other: Any) -> bool:
        x = self._compared(other)
        return NotImplemented if x is None else self._real() <= x

    def __gt__(self, other: Any) -> bool:
        x = self._compared(other)
        return NotImplemented if x is None else self._real() > x

    def __ge__(self, other: Any) -> bool:
        x = self._compared(other)
        return NotImplemented if x is None else self._real() >= x

    # Reflected forms: a plain number on the left, as in ``2 * x`` or ``2 ** x`` ----------------------

    def __radd__(self: Number, other: Any) -> Number:
        other = self._lift(other)
        return NotImplemented if other is NotImplemented else other._apply(ADD, self)

    def __rmul__(self: Number, other: Any) -> Number:
        other = self._lift(other)
        return NotImplemented if other is NotImplemented else other._apply(MUL, self)

    def __rpow__(self: Number, base: Any) -> Number:
        base = self._lift(base)
        return NotImplemented if base is NotImplemented else base._apply(POW, self)

    # Derived operations: composed of fundamental ones -----------------------------------------------

    @composite("sub")
    def _subtract(self: Number, other: Number) -> Number:
        return self + (-other)

    @composite("div")
    def _divide(self: Number, other: Number) -> Number:
        return self * other.reciprocal()

    def __sub__(self: Number, other: Any) -> Number:
        """a - b = a + (-b)."""
        other = self._lift(other)
        return NotImplemented if other is NotImplemented else self._subtract(other)

    def __rsub__(self: Number, other: Any) -> Number:
        other = self._lift(other)
        return NotImplemented if other is NotImplemented else other._subtract(self)

    def __truediv__(self: Number, other: Any) -> Number:
        """a / b = a · (1/b)."""
        other = self._lift(other)
        return NotImplemented if other is NotImplemented else self._divide(other)

    def __rtruediv__(self: Number, other: Any) -> Number:
        other = self._lift(other)
        return NotImplemented if other is NotImplemented else other._divide(self)

    @composite("sigmoid")
    def sigmoid(self: Number) -> Number:
        """σ(x) = 1 / (1 + e⁻ˣ), with derivative σ(x)·(1 − σ(x)); σ'(0) = 0.25.

        For x < 0 the same value is written eˣ / (1 + eˣ), so that no exponential ever overflows:
        sigmoid(-1000) is 0.0 with a finite gradient.
        """
        if self._real() >= 0.0:
            return (1.0 + (-self).exp()).reciprocal()
        e = self.exp()
        return e * (1.0 + e).reciprocal()

    @composite("tanh")
    def tanh(self: Number) -> Number:
        """tanh x = (1 − e⁻²ˣ) / (1 + e⁻²ˣ), with derivative 1 − tanh² x.

        For x < 0 it is written (e²ˣ − 1) / (e²ˣ + 1) instead, so that no exponential ever overflows.
        """
        if self._real() >= 0.0:
            e = (-2.0 * self).exp()
            return (1.0 - e) * (1.0 + e).reciprocal()
        e = (2.0 * self).exp()
        return (e - 1.0) * (e + 1.0).reciprocal()
