"""grad, value_and_grad, nesting for higher derivatives, forward mode with Dual and jvp, gradcheck."""

import math

import pytest

from microdiff import DisconnectedGradientWarning, Dual, GradcheckError, Value, grad, gradcheck, jvp, value_and_grad


def f(x, y):
    return 3 * x**2 + x * y + 5 * y**2


def test_grad_of_the_seed_polynomial():
    assert grad(f)(2.0, 3.0) == 15.0
    assert grad(f, argnums=1)(2.0, 3.0) == 32.0
    assert grad(f, argnums=(0, 1))(2.0, 3.0) == (15.0, 32.0)


def test_value_and_grad_returns_floats():
    value, (dx, dy) = value_and_grad(f, argnums=(0, 1))(2.0, 3.0)
    assert (value, dx, dy) == (63.0, 15.0, 32.0)
    assert all(type(v) is float for v in (value, dx, dy))


def test_nested_grad_gives_higher_derivatives():
    cube = lambda x: x**3  # noqa: E731
    assert grad(cube)(2.0) == 12.0
    assert grad(grad(cube))(2.0) == 12.0
    assert grad(grad(grad(cube)))(2.0) == 6.0
    assert grad(grad(grad(grad(cube))))(2.0) == 0.0


def test_second_derivatives_of_exp_log_sigmoid_tanh():
    x = 0.7
    assert grad(grad(lambda v: v.exp()))(x) == pytest.approx(math.exp(x), rel=1e-14)
    assert grad(grad(lambda v: v.log()))(x) == pytest.approx(-1 / x**2, rel=1e-14)
    s = 1 / (1 + math.exp(-x))
    assert grad(grad(lambda v: v.sigmoid()))(x) == pytest.approx(s * (1 - s) * (1 - 2 * s), rel=1e-12)
    t = math.tanh(x)
    assert grad(grad(lambda v: v.tanh()))(x) == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)


def test_mixed_second_derivatives():
    # ∂²f/∂x∂y = 1, ∂²f/∂y² = 10
    assert grad(lambda x, y: grad(f, argnums=0)(x, y), argnums=1)(2.0, 3.0) == 1.0
    assert grad(grad(f, argnums=1), argnums=1)(2.0, 3.0) == 10.0


def test_nested_grad_keeps_inner_and_outer_variables_apart():
    """d/dx [ d/dy (x·y) at y = x ] = d/dx x = 1, not 2 (the classic 'perturbation confusion')."""
    assert grad(lambda x: grad(lambda y: x * y)(x))(2.0) == 1.0


def test_grad_of_a_constant_function_is_zero_and_says_why():
    with pytest.warns(DisconnectedGradientWarning, match="plain float"):
        assert grad(lambda x: 5.0)(1.0) == 0.0
    with pytest.warns(DisconnectedGradientWarning, match="does not depend on argument 0"):
        assert grad(grad(lambda x: x + 1))(1.0) == 0.0


def test_grad_refuses_a_non_scalar_result():
    with pytest.raises(TypeError, match="scalar"):
        grad(lambda x: [x])(1.0)


def test_dual_numbers_carry_the_derivative():
    x = Dual(3.0, 1.0)
    y = x * x + 2 * x
    assert (y.primal, y.tangent) == (15.0, 8.0)


def test_jvp_gives_directional_derivatives_of_the_seed_polynomial():
    assert jvp(f, (2.0, 3.0), (1.0, 0.0)) == (63.0, 15.0)
    assert jvp(f, (2.0, 3.0), (0.0, 1.0)) == (63.0, 32.0)
    assert jvp(f, (2.0, 3.0), (1.0, 1.0)) == (63.0, 47.0)


def test_jvp_checks_its_arguments():
    with pytest.raises(ValueError, match="one tangent per primal"):
        jvp(f, (2.0, 3.0), (1.0,))
    with pytest.raises(TypeError, match="Dual needs an int or a float"):
        Dual("x")


def test_forward_mode_derived_operations():
    for x in (-2.0, 0.0, 1.5):
        s = 1 / (1 + math.exp(-x))
        assert jvp(lambda v: v.sigmoid(), (x,), (1.0,)) == pytest.approx((s, s * (1 - s)), rel=1e-14)
        assert jvp(lambda v: v.tanh(), (x,), (1.0,)) == pytest.approx((math.tanh(x), 1 - math.tanh(x) ** 2), rel=1e-12)
        assert jvp(lambda v: 2 / (v - 3.0), (x,), (1.0,)) == pytest.approx((2 / (x - 3), -2 / (x - 3) ** 2), rel=1e-14)


def test_gradcheck_passes_a_correct_gradient():
    assert gradcheck(f, [2.0, 3.0]) is True
    assert gradcheck(lambda x: (x * x).log().tanh(), [Value(0.8)]) is True


def test_gradcheck_reports_a_wrong_derivative_as_a_table():
    """A made-up operation with a wrong local derivative: the check must catch it and say where."""
    from microdiff.engine.ops import Op
    from microdiff.engine.value import Value as V

    wrong_square = Op("square", "²", lambda a: a * a, lambda a, out: (a,))  # should be 2a

    def square(x: V) -> V:
        return x._apply(wrong_square)

    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: square(x) + y, [3.0, 1.0])
    table = str(caught.value)
    assert "analytic" in table and "numeric" in table and "difference" in table
    row_x = next(line for line in table.splitlines() if line.strip().startswith("x0"))
    assert "3" in row_x and "6" in row_x and row_x.endswith("<-")
    row_y = next(line for line in table.splitlines() if line.strip().startswith("x1"))
    assert not row_y.endswith("<-")


def test_gradcheck_fails_when_a_gradient_is_not_a_number():
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: x + float("nan"), [1.0])


def test_an_overflow_in_the_function_is_an_error_naming_the_operation():
    with pytest.raises(OverflowError, match=r"mul\(1e\+200, 1e\+200\) overflows"):
        gradcheck(lambda x: (x * 1e200) * (x * 1e200), [1.0])


def test_relu_keeps_nan():
    assert math.isnan(Value(math.nan).relu().data)
