"""Property tests on random expression graphs: reverse mode against three independent oracles.

* central finite differences (no calculus at all);
* forward mode (the same rules, applied in the other direction);
* sympy's symbolic derivatives, first and second order, to 1e-9 relative.
"""

import math

import sympy
from hypothesis import given

from microdiff import Value, gradcheck, gradients, jvp
from microdiff.testing import METHODS, Expression, Step, _allowed, expressions

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


def close(ours: float, exact: float) -> bool:
    return math.isclose(ours, exact, rel_tol=1e-9, abs_tol=1e-9)


def reverse_gradient(expr: Expression) -> tuple[float, ...]:
    variables = [Value(x) for x in expr.inputs]
    return tuple(float(g) for g in gradients(expr(*variables), variables))


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
def test_reverse_mode_matches_forward_mode(expr):
    reverse = reverse_gradient(expr)
    for i, slope in enumerate(reverse):
        unit = [0.0] * len(expr.inputs)
        unit[i] = 1.0
        value, forward = jvp(expr, expr.inputs, unit)
        assert math.isclose(forward, slope, rel_tol=1e-12, abs_tol=1e-12), (i, forward, slope)


@given(expressions(max_steps=6))
def test_value_and_gradient_match_sympy(expr):
    symbols, formula, point = symbolic(expr)
    assert close(expr(*[Value(x) for x in expr.inputs]).data, exact(formula, point))
    for symbol, slope in zip(symbols, reverse_gradient(expr)):
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
        return _allowed(Step("pow", (0,), exponent=exponent), base, exponent)

    assert power(0.0, 0.0) and power(0.0, 1.0) and power(0.0, 2.0)
    assert not power(0.0, -1.0) and not power(0.0, -2.0) and not power(0.05, -2.0) and not power(1e-9, 1.0)
