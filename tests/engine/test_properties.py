"""Property tests on random expression graphs: reverse mode against three independent oracles.

* central finite differences (no calculus at all);
* forward mode (the same rules, applied in the other direction);
* sympy's symbolic derivatives, first and second order, to 1e-9 relative.

Each oracle checks both ways of asking for a gradient: ``gradients()`` and ``backward()`` (whose float
pass is written separately, for speed). Nested differentiation — ``grad`` inside ``grad`` and ``jvp``
inside ``jvp``, the inner function capturing the outer variable — must give sympy's mixed partials.
A random expression need not use every input, so the warning for a derivative that is 0 because an
input is unused is silenced here (its own tests are in test_composable.py).
"""

import math

import pytest
import sympy
from hypothesis import given

from microdiff import Value, grad, gradcheck, gradients, jvp
from microdiff.engine.gradcheck import numerical_gradient
from microdiff.testing import METHODS, Expression, Instruction, _allowed, expressions

SYMPY = {
    **METHODS,  # the operators are the same; the functions are sympy's
    "pow": lambda a, b: a ** sympy.nsimplify(b) if isinstance(b, float) else a**b,
    "reciprocal": lambda a: 1 / a,
    "exp": sympy.exp,
    "log": sympy.log,
    "relu": lambda a: sympy.Max(a, 0),
    "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)),
    "tanh": sympy.tanh,
}


pytestmark = pytest.mark.filterwarnings("ignore::microdiff.DisconnectedGradientWarning")
BOTH_WAYS = pytest.mark.parametrize("way", ["gradients", "backward"])


def close(ours: float, exact: float) -> bool:
    return math.isclose(ours, exact, rel_tol=1e-9, abs_tol=1e-9)


def reverse_gradient(expr: Expression, way: str = "gradients") -> tuple[float, ...]:
    """The gradient of ``expr`` at its point by one reverse pass, asked for with ``gradients()`` or ``backward()``."""
    variables = [Value(x) for x in expr.inputs]
    out = expr(*variables)
    if way == "gradients":
        return tuple(float(g) for g in gradients(out, variables))
    out.backward()
    return tuple(v.grad for v in variables)


def symbolic(expr: Expression):
    symbols = sympy.symbols(f"x0:{len(expr.inputs)}", real=True)
    point = {s: sympy.Float(x, 30) for s, x in zip(symbols, expr.inputs)}
    return symbols, expr.evaluate(*symbols, functions=SYMPY), point


def exact(sympy_expr, point) -> float:
    return float(sympy_expr.evalf(30, subs=point))


@given(expressions())
def test_reverse_mode_matches_central_differences(expr):
    assert gradcheck(expr, expr.inputs)


@given(expressions())
def test_backward_matches_central_differences(expr):
    ours = reverse_gradient(expr, "backward")
    for slope, estimate in zip(ours, numerical_gradient(expr, expr.inputs)):
        assert abs(slope - estimate) <= 1e-5 + 1e-3 * abs(estimate), (slope, estimate)


@BOTH_WAYS
@given(expr=expressions())
def test_reverse_mode_matches_forward_mode(expr, way):
    reverse = reverse_gradient(expr, way)
    for i, slope in enumerate(reverse):
        unit = [0.0] * len(expr.inputs)
        unit[i] = 1.0
        value, forward = jvp(expr, expr.inputs, unit)
        assert math.isclose(forward, slope, rel_tol=1e-12, abs_tol=1e-12), (i, forward, slope)


@BOTH_WAYS
@given(expr=expressions(max_steps=6))
def test_value_and_gradient_match_sympy(expr, way):
    symbols, formula, point = symbolic(expr)
    assert close(expr(*[Value(x) for x in expr.inputs]).data, exact(formula, point))
    for symbol, slope in zip(symbols, reverse_gradient(expr, way)):
        assert close(slope, exact(sympy.diff(formula, symbol), point)), (symbol, slope)


@given(expressions(max_inputs=2, max_steps=5))
def test_second_derivatives_match_sympy(expr):
    symbols, formula, point = symbolic(expr)
    variables = [Value(x) for x in expr.inputs]
    first = gradients(expr(*variables), variables, create_graph=True)
    for i, gradient_i in enumerate(first):
        row = gradients(gradient_i, variables) if isinstance(gradient_i, Value) else [0.0] * len(variables)
        for j, second in enumerate(row):
            expected = exact(sympy.diff(formula, symbols[i], symbols[j]), point)
            assert close(float(second), expected), (i, j, second, expected)


def test_the_strategy_keeps_powers_of_zero_inside_their_domain():
    def power(base: float, exponent: float) -> bool:
        return _allowed(Instruction("pow", (0,), exponent=exponent), base, exponent)

    assert power(0.0, 0.0) and power(0.0, 1.0) and power(0.0, 2.0)
    assert not power(0.0, -1.0) and not power(0.0, -2.0) and not power(0.05, -2.0) and not power(1e-9, 1.0)


TWO_INPUTS = expressions(max_inputs=2, max_steps=5).filter(lambda expr: len(expr.inputs) == 2)


@given(TWO_INPUTS)
def test_nested_grad_over_a_captured_variable_is_the_mixed_partial(expr):
    """d/dx of (d/dy f(x, y)), the inner function capturing x from the outer one."""
    x0, y0 = expr.inputs
    ours = grad(lambda x: grad(lambda y: expr(x, y))(y0))(x0)
    symbols, formula, point = symbolic(expr)
    assert close(ours, exact(sympy.diff(formula, symbols[1], symbols[0]), point))


@given(TWO_INPUTS)
def test_nested_jvp_over_a_captured_variable_is_the_mixed_partial(expr):
    x0, y0 = expr.inputs
    _, ours = jvp(lambda x: jvp(lambda y: expr(x, y), (y0,), (1.0,))[1], (x0,), (1.0,))
    symbols, formula, point = symbolic(expr)
    assert close(ours, exact(sympy.diff(formula, symbols[1], symbols[0]), point))


@given(TWO_INPUTS)
def test_reverse_over_forward_and_forward_over_reverse_are_the_mixed_partial(expr):
    x0, y0 = expr.inputs
    reverse_over_forward = grad(lambda x: jvp(lambda y: expr(x, y), (y0,), (1.0,))[1])(x0)
    _, forward_over_reverse = jvp(lambda x: grad(lambda y: expr(x, y))(y0), (x0,), (1.0,))
    symbols, formula, point = symbolic(expr)
    expected = exact(sympy.diff(formula, symbols[1], symbols[0]), point)
    assert close(reverse_over_forward, expected) and close(forward_over_reverse, expected)
