"""Each operation's value and derivatives at points checked by hand, and the seeds' worked examples."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microdiff import OPS, Value, gradients
from microdiff.engine.arithmetic import OPERATIONS
from microdiff.engine.ops import BUILT_IN, required_arguments


def derivative(build, *xs):
    """Value and gradient of ``build`` at the floats ``xs``, via backward()."""
    variables = [Value(x) for x in xs]
    out = build(*variables)
    out.backward()
    return out.data, tuple(v.grad for v in variables)


# (expression, inputs, value, gradient), each worked out on paper.
HAND_CHECKED = [
    ("a + b", lambda a, b: a + b, (2.0, 5.0), 7.0, (1.0, 1.0)),
    ("-a", lambda a: -a, (3.0,), -3.0, (-1.0,)),
    ("a * b", lambda a, b: a * b, (2.0, 5.0), 10.0, (5.0, 2.0)),
    ("1/a", lambda a: a.reciprocal(), (4.0,), 0.25, (-1 / 16,)),
    ("exp a", lambda a: a.exp(), (1.0,), math.e, (math.e,)),
    ("log a", lambda a: a.log(), (2.0,), math.log(2), (0.5,)),
    ("a ** 3", lambda a: a**3, (2.0,), 8.0, (12.0,)),
    ("a ** 0.5", lambda a: a**0.5, (4.0,), 2.0, (0.25,)),
    ("(-2) ** 3", lambda a: a**3, (-2.0,), -8.0, (12.0,)),
    ("x ** y", lambda x, y: x**y, (2.0, 3.0), 8.0, (12.0, 8 * math.log(2))),
    ("relu +", lambda a: a.relu(), (1.5,), 1.5, (1.0,)),
    ("relu -", lambda a: a.relu(), (-1.5,), 0.0, (0.0,)),
    ("relu at 0", lambda a: a.relu(), (0.0,), 0.0, (0.0,)),
    ("a - b", lambda a, b: a - b, (3.0, 2.0), 1.0, (1.0, -1.0)),
    ("a / b", lambda a, b: a / b, (3.0, 2.0), 1.5, (0.5, -0.75)),
    ("2 - a", lambda a: 2 - a, (5.0,), -3.0, (-1.0,)),
    ("2 / a", lambda a: 2 / a, (4.0,), 0.5, (-0.125,)),
    ("2 ** a", lambda a: 2**a, (3.0,), 8.0, (8 * math.log(2),)),
    ("3 * a", lambda a: 3 * a, (5.0,), 15.0, (3.0,)),
    ("1 + a", lambda a: 1 + a, (5.0,), 6.0, (1.0,)),
    ("sigmoid 0", lambda a: a.sigmoid(), (0.0,), 0.5, (0.25,)),
    ("sigmoid 2", lambda a: a.sigmoid(), (2.0,), 1 / (1 + math.exp(-2)), (math.exp(-2) / (1 + math.exp(-2)) ** 2,)),
    ("sigmoid -2", lambda a: a.sigmoid(), (-2.0,), 1 / (1 + math.exp(2)), (math.exp(-2) / (1 + math.exp(-2)) ** 2,)),
    ("tanh 0", lambda a: a.tanh(), (0.0,), 0.0, (1.0,)),
    ("tanh 0.5", lambda a: a.tanh(), (0.5,), math.tanh(0.5), (1 - math.tanh(0.5) ** 2,)),
    ("tanh -0.5", lambda a: a.tanh(), (-0.5,), math.tanh(-0.5), (1 - math.tanh(0.5) ** 2,)),
]


@pytest.mark.parametrize("name, build, xs, value, grads", HAND_CHECKED, ids=[case[0] for case in HAND_CHECKED])
def test_value_and_derivative_at_hand_checked_points(name, build, xs, value, grads):
    got_value, got_grads = derivative(build, *xs)
    assert got_value == pytest.approx(value, rel=1e-12)
    assert got_grads == pytest.approx(grads, rel=1e-12)


def test_the_table_holds_exactly_the_fundamental_operations():
    assert set(BUILT_IN) == {"add", "neg", "mul", "reciprocal", "exp", "log", "pow", "relu"}
    assert set(BUILT_IN) <= set(OPS)  # OPS also holds the operations added with primitive()


def test_derived_operations_are_built_from_fundamental_ones():
    a, b = Value(3.0), Value(2.0)
    assert (a - b).op == "add" and (a - b).parents[1].op == "neg"
    assert (a / b).op == "mul" and (a / b).parents[1].op == "reciprocal"
    every_op = set()
    stack = [Value(0.3).sigmoid(), Value(0.3).tanh(), Value(-0.3).sigmoid(), Value(-0.3).tanh()]
    while stack:
        node = stack.pop()
        every_op.add(node.op)
        stack.extend(node.parents)
    assert every_op <= set(OPS) | {""}


# --- The seeds' worked examples -------------------------------------------------------------------


def test_seed_three_minus_two_plus_one():
    a, b, c = Value(3.0, "a"), Value(2.0, "b"), Value(1.0, "c")
    out = (a - b) + c
    out.backward()
    assert out.data == 2.0
    assert (a.grad, b.grad, c.grad) == (1.0, -1.0, 1.0)


def test_seed_sigmoid_slope_at_zero_by_sigmoid():
    z = Value(0.0)
    s = z.sigmoid()
    s.backward()
    assert (s.data, z.grad) == (0.5, 0.25)


def test_seed_sigmoid_slope_at_zero_by_its_fundamental_parts():
    """σ(z) = 1 / (1 + exp(-z)), built one fundamental node at a time as the seed derives it by hand."""
    z = Value(0.0)
    n = -z  # neg:        local -1
    e = n.exp()  # exp:   local e^n = 1
    d = e + 1  # add:     local 1
    s = d.reciprocal()  # reciprocal: local -1/d² = -0.25
    s.backward()
    assert s.data == 0.5
    assert (d.grad, e.grad, n.grad, z.grad) == (-0.25, -0.25, -0.25, 0.25)


def test_seed_multivariate_chain_rule_w1x_plus_w2x():
    """x feeds two paths; its gradient is the sum over both: d/dx (w1·x + w2·x) = w1 + w2."""
    w1, w2, x = Value(2.0), Value(3.0), Value(4.0)
    out = w1 * x + w2 * x
    out.backward()
    assert out.data == 20.0
    assert (x.grad, w1.grad, w2.grad) == (5.0, 4.0, 4.0)


def test_seed_polynomial_3x2_xy_5y2():
    x, y = Value(2.0), Value(3.0)
    f = 3 * x**2 + x * y + 5 * y**2
    f.backward()
    assert f.data == 63.0
    assert (x.grad, y.grad) == (15.0, 32.0)


def test_seed_power_in_both_operands():
    """x^y: ∂/∂x = y·x^(y−1), ∂/∂y = x^y·ln x."""
    x, y = Value(3.0), Value(2.0)
    assert gradients(x**y, [x, y]) == pytest.approx((6.0, 9.0 * math.log(3.0)), rel=1e-15)


def test_power_of_zero_has_slope_zero_in_the_exponent():
    x, y = Value(0.0), Value(2.0)
    assert gradients(x**y, [x, y]) == (0.0, 0.0)


def test_power_of_negative_base_has_no_slope_in_the_exponent():
    x, y = Value(-2.0), Value(3.0)
    dx, dy = gradients(x**y, [x, y])
    assert dx == 12.0 and math.isnan(dy)


@given(st.sampled_from(sorted(OPERATIONS)), st.lists(st.floats(-50.0, 50.0), min_size=2, max_size=2))
def test_every_operation_computes_on_floats_exactly_what_its_node_holds(name, pair):
    """OPERATIONS takes plain floats as readily as nodes, and gives the same number to the last bit (or the
    same error): the explorer's float forward pass and the property tests rely on it."""
    function = OPERATIONS[name]
    floats = pair[: required_arguments(function)]
    try:
        expected = function(*[Value(x) for x in floats]).data
    except (ArithmeticError, ValueError) as error:
        with pytest.raises(type(error)):
            function(*floats)
        return
    got = function(*floats)
    assert type(got) is float and (got == expected or math.isnan(got) and math.isnan(expected))


def test_the_operations_table_starts_with_the_fundamental_ones_and_adds_the_composed_ones():
    assert list(OPERATIONS)[: len(BUILT_IN)] == list(BUILT_IN)
    assert set(OPERATIONS) - set(BUILT_IN) == {"sub", "div", "sigmoid", "tanh"}
    assert OPERATIONS["sigmoid"](0.0) == 0.5 and OPERATIONS["sigmoid"](-1000.0) == 0.0
