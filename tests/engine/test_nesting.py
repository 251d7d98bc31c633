"""Every mix of the differentiation functions, nested to order 4, against sympy: never a silent wrong number.

``grad``, ``value_and_grad``, ``jvp``, ``hvp`` and ``hessian`` each turn a function into its derivative, and the
result is again a function, so they stack: ``jvp`` of ``grad`` of ``hvp`` of f is a fourth derivative. Each level
may take the function's arguments as they are or capture them (``lambda t: f(x, t)``), may name its argument
positions in any order or twice, and may meet dual numbers of dual numbers and Values inside dual numbers. The
property test below draws random expressions and random stacks of levels and compares each result with sympy's
symbolic derivative; the examples after it are the ones that once gave 0.0.
"""

import itertools
import math
import warnings

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from test_properties import SYMPY

from microdiff import DisconnectedGradientWarning, grad, hessian, hvp, jvp, value_and_grad
from microdiff.engine.arithmetic import OPERATIONS, exp
from microdiff.testing import expressions

# A level: (what it is, the order it adds) → a function that makes the derivative of ``f``, a function of n
# arguments returning a number, with respect to the variables it draws.


def unit(n, k):
    return tuple(1.0 if i == k else 0.0 for i in range(n))


def captured(f, n, k, inner):
    """``inner`` applied to f as a function of argument k alone, the others captured from the call."""

    def derivative(*xs):
        return inner(lambda t: f(*xs[:k], t, *xs[k + 1 :]), xs[k])

    return derivative


def level(draw, n):
    """One level of differentiation: the function that wraps f, and the variables it differentiates by."""
    kind = draw(
        st.sampled_from(
            ["grad", "grad-tuple", "value_and_grad", "jvp", "grad-captured", "jvp-captured", "hvp", "hessian"]
        )
    )
    k, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
    if kind == "grad":
        return (lambda f: lambda *xs: grad(f, argnums=k)(*xs)), [k]
    if kind == "grad-tuple":  # positions repeated and reordered, as JAX allows; one entry is read
        order = (j, k, j, k)
        return (lambda f: lambda *xs: grad(f, argnums=order)(*xs)[1]), [k]
    if kind == "value_and_grad":
        return (lambda f: lambda *xs: value_and_grad(f, argnums=k)(*xs)[1]), [k]
    if kind == "jvp":
        return (lambda f: lambda *xs: jvp(f, xs, unit(n, k))[1]), [k]
    if kind == "grad-captured":
        return (lambda f: captured(f, n, k, lambda g, t: grad(g)(t))), [k]
    if kind == "jvp-captured":
        return (lambda f: captured(f, n, k, lambda g, t: jvp(g, (t,), (1.0,))[1])), [k]
    if kind == "hvp":  # (H·e_k)_j = ∂²f/∂x_j∂x_k
        return (lambda f: lambda *xs: hvp(f, xs, unit(n, k))[j]), [k, j]
    return (lambda f: lambda *xs: hessian(f)(*xs)[j][k]), [k, j]  # hessian


@st.composite
def stacks(draw):
    """A random expression, and a random stack of levels adding up to order 1 to 4."""
    expr = draw(expressions(max_inputs=2, max_steps=4))
    n = len(expr.inputs)
    target = draw(st.sampled_from([1, 2, 3, 4, 4]))  # the order to reach (4 most often: the deepest mixes)
    levels, order = [], 0
    while order < target:
        wrap, by = level(draw, n)
        if order + len(by) <= target:
            levels.append((wrap, by))
            order += len(by)
    return expr, levels


# A random expression of four steps is often a low polynomial whose third and fourth derivatives are 0, which
# would hide a wrong 0.0; times e^(0.7·x0 − 0.4·x1) no derivative vanishes.
WEIGHTS = (0.7, -0.4)


def rich(expr):
    """``expr`` times an exponential of its inputs, as a function of floats, Values or dual numbers."""

    def g(*xs):
        exponent = xs[0] * WEIGHTS[0]
        for x, w in zip(xs[1:], WEIGHTS[1:]):
            exponent = exponent + x * w
        return expr.evaluate(*xs, functions=OPERATIONS) * exp(exponent)  # (the engine's functions take floats too)

    return g


def sympy_derivative(expr, variables):
    symbols = sympy.symbols(f"x0:{len(expr.inputs)}", real=True)
    formula = expr.evaluate(*symbols, functions=SYMPY) * sympy.exp(sum(w * s for w, s in zip(WEIGHTS, symbols)))
    point = {s: sympy.Float(x, 40) for s, x in zip(symbols, expr.inputs)}
    return float(sympy.diff(formula, *[symbols[i] for i in variables]).evalf(40, subs=point))


def agrees(ours, exact):
    return math.isclose(ours, exact, rel_tol=1e-8, abs_tol=1e-8)


@pytest.mark.filterwarnings("ignore::microdiff.DisconnectedGradientWarning")  # a random expression may ignore an input
@settings(max_examples=60, deadline=None)
@given(stacks())
def test_every_mix_up_to_order_four_matches_sympy(case):
    expr, levels = case
    f, variables = rich(expr), []
    for wrap, by in levels:
        f = wrap(f)
        variables = by + variables  # the outer level differentiates last
    ours = f(*expr.inputs)
    assert isinstance(ours, float), type(ours)
    exact = sympy_derivative(expr, variables)
    assert agrees(ours, exact), (expr, [by for _, by in levels], ours, exact)


# The examples that gave a silent 0.0 -------------------------------------------------------------------------


def f(x):
    return x**5 * (x / 2).exp()


X = sympy.Symbol("x")
F = X**5 * sympy.exp(X / 2)


def derivative_of_f(order):
    return float(sympy.diff(F, X, order).subs(X, 1.3))


def one_level(kind, g):
    return grad(g) if kind == "grad" else lambda t: jvp(g, (t,), (1.0,))[1]


def test_third_derivative_by_forward_over_forward_over_reverse_and_no_false_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the warning once said "output is a plain Dual": no warning at all now
        ours = jvp(lambda t: jvp(grad(f), (t,), (1.0,))[1], (1.3,), (1.0,))[1]
    assert agrees(ours, derivative_of_f(3)) and round(ours, 3) == 341.894


@pytest.mark.parametrize("kinds", list(itertools.product(["grad", "jvp"], repeat=4)), ids="-".join)
def test_all_sixteen_four_level_mixes_give_the_fourth_derivative(kinds):
    g = f
    for kind in kinds:
        g = one_level(kind, g)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = g(1.3)
    assert agrees(ours, derivative_of_f(4)) and round(ours, 2) == 827.67


def test_jvp_of_hvp_is_the_third_derivative_along_two_directions():
    def h(x, y):
        return x**3 * y**2 + (x * y).exp()

    a, b = sympy.symbols("a b")
    H = a**3 * b**2 + sympy.exp(a * b)
    at = {a: 0.3, b: 0.7}
    ours = jvp(lambda p, q: hvp(h, (p, q), (1.0, 0.0)), (0.3, 0.7), (1.0, -2.0))
    # hvp along (1, 0) is the first column of the Hessian; jvp of it along (1, -2) differentiates once more.
    column = [sympy.diff(H, a, a), sympy.diff(H, a, b)]
    expected_value = tuple(float(c.subs(at)) for c in column)
    expected_tangent = tuple(float((sympy.diff(c, a) - 2 * sympy.diff(c, b)).subs(at)) for c in column)
    assert all(agrees(o, e) for o, e in zip(ours[0], expected_value))
    assert all(agrees(o, e) for o, e in zip(ours[1], expected_tangent))


def test_repeated_and_reordered_argnums_give_each_named_derivative_as_jax_does():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DisconnectedGradientWarning)
        assert grad(lambda x, y: x * y, argnums=(0, 0))(2.0, 3.0) == (3.0, 3.0)
        assert grad(lambda x, y: x * y, argnums=(1, 0))(2.0, 3.0) == (2.0, 3.0)
        assert grad(lambda x, y: x * y, argnums=(-1, 0, -1))(2.0, 3.0) == (2.0, 3.0, 2.0)
        assert value_and_grad(lambda x, y: x * x * y, argnums=(0, 1, 0))(2.0, 3.0) == (12.0, (12.0, 4.0, 12.0))
        assert hessian(lambda x, y: x * x * y, argnums=(0, 0))(2.0, 3.0) == ((6.0, 6.0), (6.0, 6.0))


def test_a_function_that_ignores_one_of_repeated_positions_warns_once_for_it():
    with pytest.warns(DisconnectedGradientWarning, match="argument 1") as caught:
        assert grad(lambda x, y: x * x, argnums=(1, 1, 0))(2.0, 3.0) == (0.0, 0.0, 4.0)
    assert len(caught) == 1
