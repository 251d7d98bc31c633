"""Hypothesis strategies for property tests of derivatives.

``expressions()`` draws a random expression graph together with a point to evaluate it at, built so that
every operation stays inside its domain and away from its kinks: ``log`` only of values above 0.05,
``reciprocal`` and division only by values at least 0.1 from 0, ``relu`` only of values at least 0.05
from 0, a non-integer power only of a positive base, and no intermediate value above 1e4. At such
points finite differences are accurate, so a learner can check a new operation against them::

    from hypothesis import given
    from microdiff import gradcheck
    from microdiff.testing import expressions

    @given(expressions())
    def test_reverse_mode_matches_finite_differences(expr):
        assert gradcheck(expr, expr.inputs)

An :class:`Expression` is a straight-line program: each step applies one operation to earlier results.
It can be evaluated on anything with microdiff's operators (``Value``, ``Dual``) or, given a table of
functions, on something else entirely, such as sympy symbols.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from microdiff.engine.arithmetic import OPERATIONS
from microdiff.engine.ops import required_arguments

#: Python's operator for each operation that has one; every other operation is written as the method of its name.
PYTHON_OPERATORS: dict[str, Callable[..., Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "neg": operator.neg,
}
#: How each operation is written, as a function of its operands (Value, Dual, or anything alike: sympy
#: symbols, torch tensors): every operation of the engine, by name.
METHODS: dict[str, Callable[..., Any]] = {
    name: PYTHON_OPERATORS.get(name, operator.methodcaller(name)) for name in OPERATIONS
}

UNARY = tuple(name for name, function in OPERATIONS.items() if required_arguments(function) == 1)
BINARY = tuple(name for name, function in OPERATIONS.items() if required_arguments(function) == 2)
EXPONENTS = (2.0, 3.0, 1.0, 0.0, -1.0, 0.5, 1.5, -2.0)
LIMIT = 1e4


def _allowed(step: Instruction, a: float, b: float | None = None) -> bool:
    """Whether ``step`` applied to ``a`` (and ``b``) stays well inside its operation's domain."""
    name = step.op
    if name == "log":
        return a > 0.05
    if name == "reciprocal":
        return abs(a) > 0.1
    if name == "relu":
        return abs(a) > 0.05
    if name == "exp":
        return a < 8.0
    if name == "div":
        return b is not None and abs(b) > 0.1
    if name == "pow":
        assert b is not None
        if step.exponent is not None and b.is_integer():
            if abs(a) > 0.1 or b >= 2.0:
                return True
            return a == 0.0 and b >= 0.0  # 0⁰ and 0¹ are fine; near 0, x⁰ and x¹ have huge higher derivatives
        return a > 0.1 and abs(b) < 4.0  # a variable exponent is never exactly an integer
    return True


def _value_of(op: str, operands: list[float]) -> float:
    """The float that ``op`` gives on ``operands``, computed by microdiff itself (no graph kept)."""
    return OPERATIONS[op](*operands)


@dataclass(frozen=True)
class Instruction:
    """One operation of an expression: ``op`` applied to earlier results (or a constant exponent)."""

    op: str
    operands: tuple[int, ...]
    exponent: float | None = None  # for "pow" by a constant


@dataclass(frozen=True)
class Expression:
    """A random expression over ``len(inputs)`` variables, and the point ``inputs`` to evaluate it at.

    Call it like a function: ``expr(*values)`` returns the last step's result.
    """

    inputs: tuple[float, ...]
    steps: tuple[Instruction, ...]

    def evaluate(self, *args: Any, functions: dict[str, Callable[..., Any]] | None = None) -> Any:
        """The expression's value on ``args``, with ``functions`` (default :data:`METHODS`: Python's operators and
        methods, so any class with them will do) for the ops. ``functions=OPERATIONS`` (the engine's own, of
        :mod:`microdiff.engine.arithmetic`) takes plain floats too."""
        table = METHODS if functions is None else functions
        results = list(args)
        for step in self.steps:
            operands = [results[i] for i in step.operands]
            if step.exponent is not None:
                operands.append(step.exponent)
            results.append(table[step.op](*operands))
        return results[-1]

    def __call__(self, *args: Any) -> Any:
        return self.evaluate(*args)

    def without_dead_steps(self) -> "Expression":
        """The same expression without the steps its result never reads — what :func:`microdiff.trace` keeps.

        Graph mode computes every step as it goes, so a dead step that fails (a reciprocal of 0) fails the whole
        call; a traced program never runs it. Evaluated on the same numbers, the two expressions agree.
        """
        n = len(self.inputs)
        read = {n + len(self.steps) - 1}
        for index in range(n + len(self.steps) - 1, n - 1, -1):
            if index in read:
                read.update(self.steps[index - n].operands)
        kept = [i for i in range(n, n + len(self.steps)) if i in read]
        renumber = {i: i for i in range(n)} | {old: n + new for new, old in enumerate(kept)}
        steps = tuple(
            Instruction(
                self.steps[i - n].op, tuple(renumber[j] for j in self.steps[i - n].operands), self.steps[i - n].exponent
            )
            for i in kept
        )
        return Expression(self.inputs, steps)

    def formula(self) -> str:
        """The expression written out, with variables x0, x1, …"""
        names = [f"x{i}" for i in range(len(self.inputs))]
        for step in self.steps:
            operands = [names[i] for i in step.operands]
            if step.exponent is not None:
                operands.append(repr(step.exponent))
            symbol = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}.get(step.op)
            names.append(f"({f' {symbol} '.join(operands)})" if symbol else f"{step.op}({operands[0]})")
        return names[-1]

    def __repr__(self) -> str:
        point = ", ".join(f"x{i}={x!r}" for i, x in enumerate(self.inputs))
        return f"Expression({self.formula()} at {point})"


@st.composite
def expressions(
    draw: st.DrawFn,
    max_inputs: int = 3,
    max_steps: int = 8,
    ops: tuple[str, ...] = UNARY + BINARY,
    low: float = -3.0,
    high: float = 3.0,
) -> Expression:
    """A random :class:`Expression` with 1 to ``max_inputs`` variables drawn from [low, high].

    Each step picks an operation from ``ops`` and earlier results as operands; a choice that would leave
    the operation's safe domain (see :func:`_allowed`) or exceed 1e4 is replaced by addition.
    """
    inputs = tuple(draw(st.lists(st.floats(low, high), min_size=1, max_size=max_inputs)))
    values = list(inputs)
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(ops))
        a = draw(st.integers(0, len(values) - 1))
        if op in UNARY:
            step = Instruction(op, (a,))
        elif op == "pow" and draw(st.booleans()):
            step = Instruction(op, (a,), exponent=draw(st.sampled_from(EXPONENTS)))
        else:
            step = Instruction(op, (a, draw(st.integers(0, len(values) - 1))))
        operands = [values[i] for i in step.operands] + ([step.exponent] if step.exponent is not None else [])
        result = _value_of(op, operands) if _allowed(step, *operands) else None
        if result is None or not abs(result) < LIMIT:
            step = Instruction("add", (a, len(values) - 1))
            result = values[a] + values[-1]
        steps.append(step)
        values.append(result)
    return Expression(inputs, tuple(steps))
