"""The operators a number type gets from the table of fundamental operations, and the operations composed of them.

``Value`` (reverse mode) and ``Dual`` (forward mode) share :class:`Arithmetic`: each says only how to apply one
fundamental :class:`~microdiff.engine.ops.Op` to itself (``_apply``) and how to turn a plain number into one of
its kind (``_lift``). Everything here is then written once for both:

* the fundamental operations, one line each, pointing into the table;
* the derived operations — :func:`subtract`, :func:`divide`, :func:`sigmoid`, :func:`tanh` — composed only of
  fundamental ones, so that a drawn graph shows the same decomposition a student would do by hand:
  ``a - b`` is ``a + (-b)`` and ``a / b`` is ``a · (1/b)``.

Each derived operation is one function that takes plain floats as readily as nodes, and computes on floats
exactly the numbers its nodes would hold (the same formula, the same rounding). :data:`OPERATIONS` lists every
operation by name, for the tools that apply one by name: the property-test strategies, the graph command,
the lessons' graders, the explorer's float forward pass.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from contextvars import ContextVar
from numbers import Real
from typing import Any, TypeVar

from microdiff.engine.composite import composite
from microdiff.engine.ops import ADD, BUILT_IN, EXP, LOG, MUL, NEG, POW, RECIPROCAL, RELU, Op, real, refuse_overflow

Number = TypeVar("Number", bound="Arithmetic")


class Arithmetic:
    """Operators shared by ``Value`` and ``Dual``; subclasses provide ``_apply``, ``_lift`` and ``_real``.

    Comparisons (``<``, ``<=``, ``>``, ``>=``) compare the numbers and give a ``bool``, and ``bool(x)`` is
    ``x != 0``, as in PyTorch: ``if loss:`` asks whether the loss is not zero.
    """

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

    def __bool__(self) -> bool:
        return self._real() != 0.0

    def _detached(self, function: Callable[..., float], operands: tuple[Any, ...]) -> Any:
        """A constant of this kind, ``function`` of the operands' numbers (see :func:`detached`)."""
        return self._lift(function(*[real(x) for x in operands]))

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

    # Derived operations: composed of fundamental ones (the functions below) ---------------------------

    def __sub__(self: Number, other: Any) -> Number:
        """a - b = a + (-b)."""
        other = self._lift(other)
        return NotImplemented if other is NotImplemented else subtract(self, other)

    def __rsub__(self: Number, other: Any) -> Number:
        other = self._lift(other)
        return NotImplemented if other is NotImplemented else subtract(other, self)

    def __truediv__(self: Number, other: Any) -> Number:
        """a / b = a · (1/b)."""
        other = self._lift(other)
        return NotImplemented if other is NotImplemented else divide(self, other)

    def __rtruediv__(self: Number, other: Any) -> Number:
        other = self._lift(other)
        return NotImplemented if other is NotImplemented else divide(other, self)

    def sigmoid(self: Number) -> Number:
        """σ(x) = 1 / (1 + e⁻ˣ), with derivative σ(x)·(1 − σ(x)); σ'(0) = 0.25 (see :func:`sigmoid`)."""
        return sigmoid(self)

    def tanh(self: Number) -> Number:
        """tanh x, with derivative 1 − tanh² x (see :func:`tanh`)."""
        return tanh(self)


# ---------------------------------------------------------------------------------------------------
# The fundamental operations as functions of floats or nodes: a float computes what a node would hold.
# ---------------------------------------------------------------------------------------------------


def _fundamental(op: Op, on_nodes: Callable[..., Any]) -> Callable[..., Any]:
    """``op`` as a function: on plain numbers its forward function from the table (refusing an overflow, as
    a node does); when an operand is a node, ``on_nodes`` (the operator), which builds the graph."""

    def on_floats(*operands: Any) -> Any:
        floats = [float(x) for x in operands]
        out = op.forward(*floats)
        if out - out != 0.0:  # ±inf or NaN
            refuse_overflow(op, out, *floats)
        return out

    def unary(a: Any) -> Any:
        return on_nodes(a) if isinstance(a, Arithmetic) else on_floats(a)

    def binary(a: Any, b: Any) -> Any:
        return on_nodes(a, b) if isinstance(a, Arithmetic) or isinstance(b, Arithmetic) else on_floats(a, b)

    apply = unary if op.arity == 1 else binary
    apply.__name__ = apply.__qualname__ = op.name
    apply.__doc__ = f"The fundamental operation {op.name} on floats or nodes."
    return apply


add = _fundamental(ADD, operator.add)
neg = _fundamental(NEG, operator.neg)
mul = _fundamental(MUL, operator.mul)
power = _fundamental(POW, operator.pow)
reciprocal = _fundamental(RECIPROCAL, Arithmetic.reciprocal)
exp = _fundamental(EXP, Arithmetic.exp)
log = _fundamental(LOG, Arithmetic.log)
relu = _fundamental(RELU, Arithmetic.relu)


# ---------------------------------------------------------------------------------------------------
# Derived operations, composed of fundamental ones; each is one composite box in a drawing.
# ---------------------------------------------------------------------------------------------------


@composite("sub")
def subtract(a: Any, b: Any) -> Any:
    """a − b = a + (−b)."""
    return add(a, neg(b))


@composite("div")
def divide(a: Any, b: Any) -> Any:
    """a / b = a · (1/b)."""
    return mul(a, reciprocal(b))


@composite("sigmoid")
def sigmoid(x: Any) -> Any:
    """σ(x) = 1 / (1 + e⁻ˣ), with derivative σ(x)·(1 − σ(x)); σ'(0) = 0.25.

    For x < 0 the same value is written eˣ / (1 + eˣ), so that no exponential ever overflows:
    sigmoid(-1000) is 0.0 with a finite gradient. (Unlike :func:`tanh`, sigmoid keeps the two textbook
    formulas and chooses between them: its picture stays the one a learner draws by hand, and a trace guards
    the choice.)
    """
    if x >= 0.0:  # (asked of x itself, so that a trace sees the choice and guards it)
        return reciprocal(add(1.0, exp(neg(x))))
    e = exp(x)
    return mul(e, reciprocal(add(1.0, e)))


@composite("tanh")
def tanh(x: Any) -> Any:
    """tanh x = s · (1 − e⁻²ˢˣ) / (1 + e⁻²ˢˣ), with s = ±1 the sign of x; its derivative is 1 − tanh² x.

    tanh is odd (tanh(−x) = −tanh x), so the formula may work with s·x = |x| ≥ 0: then no exponential ever
    overflows. s is a constant taken from the data (:func:`sign_of`), so the same graph serves every sign — and
    a trace replays it for any x. (For x ≥ 0 this is (1 − e⁻²ˣ) / (1 + e⁻²ˣ); for x < 0, (e²ˣ − 1) / (e²ˣ + 1),
    to the last bit.)
    """
    s = sign_of(x)
    e = exp(mul(-2.0, mul(s, x)))
    return mul(s, mul(subtract(1.0, e), reciprocal(add(1.0, e))))


def _sign(x: float) -> float:
    """+1.0 for x ≥ 0, −1.0 otherwise."""
    return 1.0 if x >= 0.0 else -1.0


def sign_of(x: Any) -> Any:
    """The sign of x (+1 for x ≥ 0, else −1) as a constant with no gradient: ``detached(sign, x)``."""
    return detached(_sign, x)


def detached(function: Callable[..., float], *operands: Any) -> Any:
    """A constant computed from the operands' numbers by ``function`` (of floats), through which no gradient
    flows — what PyTorch's ``.detach()`` gives. ``detached(max, *logits)`` is the largest logit, a number the
    graph treats as given: for a shift that changes nothing mathematically (softmax's), or a choice of formula
    made for precision (tanh's sign). A trace (:mod:`microdiff.engine.trace`) records it as an instruction and
    recomputes it from the current numbers at every replay, so it never goes stale.
    """
    carrier = next((x for x in operands if isinstance(x, Arithmetic)), None)
    if carrier is None:
        return float(function(*[float(x) for x in operands]))
    out = carrier._detached(function, operands)
    listener = detached_listener.get()
    if listener is not None:
        listener(out, function, operands)
    return out


#: Who is told of every constant :func:`detached` makes in this context: a trace being recorded, or no one.
detached_listener: ContextVar[Callable[[Any, Callable[..., float], tuple[Any, ...]], None] | None] = ContextVar(
    "microdiff_detached_listener", default=None
)


#: Every operation a ``Value`` or a ``Dual`` knows, by name, as a function of its operands (floats or nodes):
#: the eight fundamental ones of the table, then the four composed of them.
OPERATIONS: dict[str, Callable[..., Any]] = {
    "add": add,
    "neg": neg,
    "mul": mul,
    "reciprocal": reciprocal,
    "exp": exp,
    "log": log,
    "pow": power,
    "relu": relu,
    "sub": subtract,
    "div": divide,
    "sigmoid": sigmoid,
    "tanh": tanh,
}
assert list(OPERATIONS)[: len(BUILT_IN)] == list(BUILT_IN), "OPERATIONS starts with the table, in its order"
