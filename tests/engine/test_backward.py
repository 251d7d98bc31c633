"""The semantics of backward(): every node's gradient, exact accumulation, deep graphs, no_grad."""

import math
import sys
import threading

import pytest

from microdiff import DisconnectedGradientWarning, Value, grad, gradients, no_grad
from microdiff.engine.value import topological_order


def test_every_node_shows_its_gradient():
    x, y = Value(2.0), Value(-3.0)
    product = x * y
    out = product + x
    out.backward()
    assert (out.grad, product.grad, x.grad, y.grad) == (1.0, 1.0, -2.0, 2.0)


def test_node_used_twice_accumulates():
    x = Value(3.0)
    out = x * x
    out.backward()
    assert x.grad == 6.0


def test_second_backward_doubles_leaves_and_keeps_inner_nodes_at_this_pass():
    x, y = Value(2.0), Value(5.0)
    inner = x * y
    out = inner * inner  # x²y²
    out.backward()
    first = (x.grad, y.grad, inner.grad, out.grad)
    out.backward()
    assert (x.grad, y.grad) == (2 * first[0], 2 * first[1])
    assert (inner.grad, out.grad) == (first[2], first[3])  # not a stale sum


def test_zero_grad_resets_the_graph():
    x = Value(2.0)
    out = x * 3
    out.backward()
    out.zero_grad()
    assert (x.grad, out.grad) == (0.0, 0.0)
    out.backward()
    assert x.grad == 3.0


def test_backward_on_a_leaf_gives_it_gradient_one():
    x = Value(4.0)
    x.backward()
    assert x.grad == 1.0


def test_topological_order_puts_parents_first_and_each_node_once():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert len(order) == len({id(n) for n in order}) == 5  # a, b, c, d, e: each once
    position = {id(node): i for i, node in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]
    assert order[-1] is e


def test_a_million_node_chain_without_touching_the_recursion_limit():
    limit = sys.getrecursionlimit()
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0  # each step: one add node (and one constant leaf)
    y.backward()
    assert y.data == 1_000_001.0
    assert x.grad == 1.0
    assert sys.getrecursionlimit() == limit


def test_no_grad_builds_no_graph():
    x = Value(2.0)
    with no_grad():
        y = x * x + 1
    assert y.parents == () and y.op == "" and y.data == 5.0
    z = x * x  # recording is back on after the block
    assert z.parents == (x, x)


def test_no_grad_is_restored_after_an_exception():
    x = Value(2.0)
    with pytest.raises(ZeroDivisionError), no_grad():
        (x - 2.0).reciprocal()
    assert (x * x).parents == (x, x)


def test_no_grad_in_one_thread_leaves_another_thread_recording():
    entered, release = threading.Event(), threading.Event()
    released: list[bool] = []

    def hold_no_grad():
        with no_grad():
            entered.set()
            released.append(release.wait(5))

    thread = threading.Thread(target=hold_no_grad)
    thread.start()
    assert entered.wait(5), "the other thread never got inside its block"
    try:
        x = Value(1.0)
        assert (x * x).parents == (x, x)
    finally:
        release.set()
        thread.join(5)
    assert not thread.is_alive() and released == [True], "the other thread was not released in time"


def test_gradients_leaves_grad_alone():
    x, y = Value(2.0), Value(3.0)
    out = 3 * x**2 + x * y + 5 * y**2
    assert gradients(out, [x, y]) == (15.0, 32.0)
    assert (x.grad, y.grad, out.grad) == (0.0, 0.0, 0.0)


def test_gradients_of_an_unused_input_is_zero_with_a_warning():
    x, unused = Value(2.0), Value(7.0)
    with pytest.warns(DisconnectedGradientWarning, match=r"inputs\[1\]"):
        assert gradients(x * x, [x, unused]) == (4.0, 0.0)


def test_create_graph_gives_differentiable_gradients():
    x = Value(3.0)
    y = x**3
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 27.0  # 3x²
    (second,) = gradients(x.grad, [x])
    assert second == 18.0  # 6x


def test_slopes_follow_ieee_where_they_overflow():
    x = Value(5e-324)  # the smallest float: x ** 0.01 exists, its slope 0.01 · x ** -0.99 is beyond 1.8e308
    (x**0.01).backward()
    assert x.grad == math.inf
    y = Value(5e-324)
    y.log().backward()  # 1/x: beyond the largest float, so inf (not an errno tuple)
    assert y.grad == math.inf


@pytest.mark.parametrize(
    "build, x, slope",
    [
        (lambda x: x**0, 0.0, 0.0),  # a⁰ = 1 everywhere
        (lambda x: x**1, 0.0, 1.0),
        (lambda x: x**2, 0.0, 0.0),
        (lambda x: x**0.5, 0.0, math.inf),  # √x rises vertically at 0
        (lambda x: 0.0**x, 0.5, 0.0),  # 0ˣ = 0 for every x > 0
        (lambda x: 0.0**x, 0.0, 0.0),
    ],
)
def test_powers_at_base_zero_have_their_one_sided_slopes(build, x, slope):
    variable = Value(x)
    build(variable).backward()
    assert variable.grad == slope


def test_create_graph_gradients_are_values_even_through_addition_only():
    x = Value(2.0)
    (x + 3).backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 1.0
    x.grad.backward()  # a constant: its own derivative with respect to x is 0
    assert x.grad.data == 1.0


def test_higher_derivatives_at_zero():
    assert grad(grad(lambda x: x**1))(0.0) == 0.0
    assert grad(grad(grad(lambda x: x**2)))(0.0) == 0.0
    assert grad(grad(grad(lambda x: x**3)))(0.0) == 6.0


def test_grad_and_create_graph_work_inside_no_grad():
    x = Value(3.0)
    y = x * x
    with no_grad():
        assert grad(lambda x: x * x)(3.0) == 6.0
        assert grad(grad(lambda x: x**3))(2.0) == 12.0
        (slope,) = gradients(y, [x], create_graph=True)
    assert slope.data == 6.0 and gradients(slope, [x]) == (2.0,)  # the derivative's graph was recorded
