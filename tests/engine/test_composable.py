"""Derivatives that stay right when differentiation is composed, interrupted, shared or extended.

Every example here was once a silent wrong number or a crash: nested grad over a captured variable,
perturbation confusion in nested jvp, mixed modes, a graph cut by ``.data``, an interrupted pass,
threads sharing parameters, a user's own primitive, pickling a deep graph.
"""

import copy
import math
import pickle
import sys
import threading

import pytest
import sympy

from microdiff import (
    OPS,
    DisconnectedGradientWarning,
    Dual,
    Value,
    backward_steps,
    draw,
    grad,
    gradcheck,
    gradients,
    hessian,
    hvp,
    jvp,
    primitive,
    value_and_grad,
)
from microdiff.engine.arithmetic import sigmoid

# Nesting without confusion ---------------------------------------------------------------------------


def test_inner_grad_keeps_a_captured_outer_variable():
    assert grad(lambda x: grad(lambda y: x * y)(3.0))(2.0) == 1.0
    assert grad(lambda x: grad(lambda y: x * x * y * y)(2.0))(3.0) == 24.0  # d/dx 2x²y at y=2 is 8x


def test_three_levels_of_nested_grad_over_captured_variables():
    # d/dz (x y z² + x² z) = 2xyz + x²; d/dy of that = 2xz; d/dx of that = 2z, at z = 1.5
    f = lambda x, y, z: x * y * z * z + x * x * z
    assert grad(lambda x: grad(lambda y: grad(lambda z: f(x, y, z))(1.5))(0.7))(-1.2) == 3.0


def test_inner_grad_of_an_outer_variable_passed_in_differentiates_only_its_own_input():
    assert grad(lambda x: grad(lambda y: x * y)(x))(2.0) == 1.0  # inner derivative is x, whatever y is


def test_nested_jvp_has_no_perturbation_confusion():
    inner = lambda x: jvp(lambda y: x + y, (1.0,), (1.0,))[1]  # d(x + y)/dy = 1
    assert jvp(lambda x: x * inner(x), (1.0,), (1.0,)) == (1.0, 1.0)


def test_three_levels_of_nested_jvp():
    f = lambda x, y, z: x * y * z * z + x * x * z
    d_z = lambda x, y: jvp(lambda z: f(x, y, z), (1.5,), (1.0,))[1]
    d_yz = lambda x: jvp(lambda y: d_z(x, y), (0.7,), (1.0,))[1]
    assert jvp(d_yz, (-1.2,), (1.0,))[1] == 3.0


def test_reverse_over_forward():
    assert grad(lambda x: jvp(lambda y: x * y * y, (2.0,), (1.0,))[1])(3.0) == 4.0  # d/dx (2xy) at y = 2


def test_forward_over_reverse():
    assert jvp(grad(lambda x: x**3), (2.0,), (1.0,)) == (12.0, 12.0)  # (3x², 6x) at 2


X, Y = sympy.symbols("x y", real=True)
FUNCTIONS = [
    (lambda x, y: 3 * x**2 + x * y + 5 * y**2, 3 * X**2 + X * Y + 5 * Y**2, (2.0, 3.0)),
    (lambda x, y: (x * y).exp() + x**3 * y.tanh(), sympy.exp(X * Y) + X**3 * sympy.tanh(Y), (0.3, -0.8)),
    (lambda x, y: (x * x + y).log() / y.sigmoid(), sympy.log(X**2 + Y) * (1 + sympy.exp(-Y)), (1.1, 0.4)),
]


@pytest.mark.parametrize("f, formula, point", FUNCTIONS)
def test_hessian_and_hvp_match_sympy(f, formula, point):
    at = {X: point[0], Y: point[1]}
    exact = [[float(sympy.diff(formula, a, b).evalf(subs=at)) for b in (X, Y)] for a in (X, Y)]
    ours = hessian(f)(*point)
    assert len(ours) == 2 and all(row == pytest.approx(expected, rel=1e-10) for row, expected in zip(ours, exact))
    for v in [(1.0, 0.0), (0.0, 1.0), (0.5, -2.0)]:
        expected = [row[0] * v[0] + row[1] * v[1] for row in exact]
        assert hvp(f, point, v) == pytest.approx(expected, rel=1e-10)
    assert hessian(f, argnums=1)(*point) == pytest.approx(exact[1][1], rel=1e-10)


def test_the_seed_polynomials_hessian():
    assert hessian(lambda x, y: 3 * x**2 + x * y + 5 * y**2)(2.0, 3.0) == ((6.0, 1.0), (1.0, 10.0))


# No silent zero --------------------------------------------------------------------------------------


def test_cutting_the_graph_with_data_warns_and_says_why():
    with pytest.warns(DisconnectedGradientWarning, match=r"\.data"):
        assert grad(lambda x: x.data**2)(3.0) == 0.0
    with pytest.warns(DisconnectedGradientWarning):
        assert value_and_grad(lambda x: Value(x.data) ** 2)(3.0) == (9.0, 0.0)
    x = Value(3.0)
    with pytest.warns(DisconnectedGradientWarning):
        assert gradients(Value(x.data) * 2, [x]) == (0.0,)


def test_a_connected_zero_gradient_does_not_warn(recwarn):
    assert grad(lambda x: x.relu())(-1.0) == 0.0  # depends on x; its slope happens to be 0
    assert not [w for w in recwarn if w.category is DisconnectedGradientWarning]


def test_gradients_with_respect_to_a_plain_number_is_a_type_error():
    x = Value(2.0)
    with pytest.raises(TypeError, match=r"inputs\[0\] is float 2\.0, not a Value"):
        gradients(x * x, [x.data])


# Derivatives at the edges stay differentiable -------------------------------------------------------


def test_second_derivative_of_sqrt_at_zero_is_minus_infinity():
    assert grad(lambda x: x**0.5)(0.0) == math.inf
    assert grad(grad(lambda x: x**0.5))(0.0) == -math.inf
    assert grad(grad(lambda x: x**1.5))(0.0) == math.inf


# Passes that never lose data --------------------------------------------------------------------------


def interrupt_in_backward(a, out):
    raise KeyboardInterrupt


interrupting = primitive("interrupting", lambda a: a, interrupt_in_backward)


def test_ctrl_c_in_a_pass_rolls_back():
    x, w = Value(2.0), Value(-1.0)
    y = interrupting(x * w) + x * x
    x.grad, w.grad = 5.0, 7.0
    inner = [y, *y.parents]
    for node in inner:
        node.grad = 0.25
    with pytest.raises(KeyboardInterrupt):
        y.backward()
    assert (x.grad, w.grad) == (5.0, 7.0)
    assert [node.grad for node in inner] == [0.25, 0.25, 0.25]


def test_a_grad_that_is_not_a_number_is_a_clear_error_and_changes_nothing():
    x, w = Value(2.0, label="x"), Value(3.0, label="w")
    y = x * w
    w.grad = 1.5
    x.grad = None
    with pytest.raises(TypeError, match=r"leaf 'x' has grad None"):
        y.backward()
    assert (x.grad, w.grad, y.grad) == (None, 1.5, 0.0)


def test_threads_sharing_parameters_accumulate_exactly():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to make any race show
    try:
        for _ in range(3):
            params = [Value(0.5) for _ in range(4)]

            def work(params=params):
                for _ in range(30):
                    total = params[0] * 0.0
                    for _ in range(25):
                        for p in params:
                            total = total + p * 1.0
                    total.backward()  # each pass adds 25 to every parameter's grad

            threads = [threading.Thread(target=work) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert [p.grad for p in params] == [4 * 30 * 25.0] * 4
    finally:
        sys.setswitchinterval(old)


# User-defined primitives -------------------------------------------------------------------------------


def stable_softplus(a):
    return math.log1p(math.exp(-abs(a))) + max(a, 0.0)


softplus = primitive("softplus", stable_softplus, lambda a, out: (sigmoid(a),), symbol="sp")


def test_a_primitive_works_in_backward_and_create_graph():
    x = Value(0.3)
    y = softplus(x)
    assert y.op == "softplus" and y.data == pytest.approx(math.log(1 + math.exp(0.3)), rel=1e-15)
    y.backward()
    assert x.grad == pytest.approx(sigmoid(0.3), rel=1e-15)
    s = sigmoid(0.3)
    assert grad(grad(softplus))(0.3) == pytest.approx(s * (1 - s), rel=1e-12)


def test_a_primitive_works_in_forward_mode_hvp_and_gradcheck():
    s = sigmoid(0.3)
    assert jvp(softplus, (0.3,), (1.0,)) == pytest.approx((stable_softplus(0.3), s), rel=1e-15)
    assert hvp(lambda x: softplus(x * x), (0.3,), (1.0,))[0] == pytest.approx(
        float(sympy.diff(sympy.log(1 + sympy.exp(X**2)), X, 2).evalf(subs={X: 0.3})), rel=1e-10
    )
    assert gradcheck(lambda x, y: softplus(x * y) + softplus(-x), [0.3, -1.7])
    assert isinstance(softplus(Dual(0.3, 1.0)), Dual) and softplus(2.0) == stable_softplus(2.0)


def test_a_primitive_is_drawn_with_its_symbol_and_stepped_through():
    x = Value(0.3, label="x")
    y = softplus(x) * 2
    y.backward()
    source = draw(y, edge_derivatives=True).source
    assert ">sp<" in source or '"sp"' in source or "label=sp" in source
    steps = backward_steps(y)
    assert [step.node.op for step in steps] == ["mul", "softplus"]


def test_a_primitive_pickles_by_name():
    x = Value(0.3)
    y = softplus(x) * x
    copy_of_y = pickle.loads(pickle.dumps(y))
    assert copy_of_y.op == "mul" and copy_of_y.parents[0].op == "softplus" and copy_of_y.data == y.data
    copy_of_y.backward()
    y.backward()
    assert copy_of_y.parents[1].grad == x.grad


def test_a_primitive_refuses_bad_definitions():
    with pytest.raises(ValueError, match="built-in"):
        primitive("exp", math.exp, lambda a, out: (out,))
    with pytest.raises(ValueError, match="one or two inputs"):
        primitive("three", lambda a, b, c: a, lambda a, b, c, out: (1.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="local must take"):
        primitive("short", math.sin, lambda a: (1.0,))
    assert "softplus" in OPS


# What PyTorch users reach for ----------------------------------------------------------------------------


def test_backward_with_a_gradient_seeds_the_pass():
    x = Value(3.0)
    y = x * x
    y.backward(gradient=0.5)
    assert (y.grad, x.grad) == (0.5, 3.0)
    z = Value(2.0)
    (z**3).backward(gradient=Value(2.0), create_graph=True)
    assert isinstance(z.grad, Value) and z.grad.data == 24.0
    with pytest.raises(TypeError, match="gradient must be a number"):
        y.backward(gradient="1")


def test_comparisons_compare_data_and_equality_stays_identity():
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= 1 and b > a and b <= 2 and not a > 5
    assert max([a, b, Value(-3.0)], key=lambda v: v.data) is b and sorted([b, a]) == [a, b]
    assert a != Value(1.0) and len({a, Value(1.0)}) == 2
    if Value(0.5) > 0:
        pass
    else:  # pragma: no cover
        pytest.fail("0.5 > 0")
    with pytest.raises(TypeError):
        _ = a < "1"


def deep_chain(n):
    x = Value(1.0, label="x")
    y = x
    for _ in range(n):
        y = y * 1.0000001 + 0.0
    return x, y


def test_deepcopy_and_pickle_of_a_deep_graph_need_no_recursion():
    x, y = deep_chain(100_000)  # 200,000 nodes: far past the recursion limit
    for copied_y, copied_x in [
        copy.deepcopy([y, x]),
        pickle.loads(pickle.dumps([y, x])),
    ]:
        assert copied_y.data == y.data and copied_x is not x and copied_x.label == "x"
        copied_y.backward()
        node = copied_y
        while node.parents:
            node = node.parents[0]
        assert node is copied_x  # the copied graph ends at the copied leaf: sharing kept
        assert copied_x.grad == pytest.approx(1.0000001**100_000, rel=1e-9)


# Overflow and construction -------------------------------------------------------------------------------


def test_every_operation_refuses_an_overflow_from_finite_inputs():
    big = Value(1e200)
    for build, name in [
        (lambda: big * big, r"mul\(1e\+200, 1e\+200\)"),
        (lambda: Value(1.7e308) + Value(1.7e308), r"add"),
        (lambda: big**2, r"pow\(1e\+200, 2\.0\)"),
        (lambda: Value(1000.0).exp(), r"exp\(1000\.0\)"),
        (lambda: Value(1e-320).reciprocal(), r"reciprocal\(1e-320\)"),
        (lambda: Dual(1e200, 1.0) * Dual(1e200, 0.0), r"mul"),
    ]:
        with pytest.raises(OverflowError, match=name):
            build()
    assert math.isinf((Value(math.inf) * 2).data)  # an infinite input is not an overflow


def test_value_names_itself_for_a_huge_int_and_labels_become_strings():
    with pytest.raises(OverflowError, match=r"Value\(1000"):
        Value(10**400)
    assert Value(1.0, label=5).label == "5" and Value(1.0, label=None).label == ""
