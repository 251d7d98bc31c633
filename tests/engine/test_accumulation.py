"""Leaves accumulate exactly, as PyTorch's AccumulateGrad does: each pass finishes a leaf's whole gradient, then
adds it to what the leaf held, once — so two passes leave exactly twice the gradient of one, bit for bit."""

import random

import pytest

from microdiff import Value
from microdiff.engine.value import _backpropagate_into_grad, chain_rule, topological_order


def chain(seed, steps=50):
    """y = y·a + b, 50 times, with random a and b: each leaf is used many times, so its gradient is a long sum."""
    rng = random.Random(seed)
    x = Value(rng.uniform(-2, 2), label="x")
    a, b = Value(rng.uniform(0.5, 1.5), label="a"), Value(rng.uniform(-1, 1), label="b")
    y = x
    for _ in range(steps):
        y = y * a + b
    return y, (x, a, b)


@pytest.mark.parametrize("seed", range(20))
def test_two_passes_leave_exactly_twice_the_gradient_of_one(seed):
    y, leaves = chain(seed)
    y.backward()
    once = [leaf.grad for leaf in leaves]
    y.backward()
    assert [leaf.grad for leaf in leaves] == [2 * g for g in once]  # exact: no rounding between the two
    y.backward()
    assert [leaf.grad for leaf in leaves] == [2 * g + g for g in once]


@pytest.mark.parametrize("seed", range(5))
def test_a_pass_adds_the_same_number_to_any_earlier_gradient(seed):
    """The earlier gradient is added once, after the pass: 1000.0 + g, not 1000.0 + g₁ + g₂ + … term by term."""
    y, leaves = chain(seed)
    y.backward()
    once = [leaf.grad for leaf in leaves]
    for leaf in leaves:
        leaf.grad = 1000.0
    y.backward()
    assert [leaf.grad for leaf in leaves] == [1000.0 + g for g in once]


@pytest.mark.parametrize("seed", range(5))
def test_the_fast_path_and_the_chain_rule_walk_give_the_same_bits(seed):
    y, leaves = chain(seed)
    order = topological_order(y)
    grads = {y: 1.0}
    for _ in chain_rule(order, grads):
        pass
    _backpropagate_into_grad(order, [0.0] * len(order), 1.0)
    assert all(node.grad == grads[node] for node in order)
    y.zero_grad()
    y.backward()
    assert [leaf.grad for leaf in leaves] == [grads[leaf] for leaf in leaves]


def test_create_graph_accumulates_the_same_way():
    x = Value(1.5)
    y = x * x * x
    y.backward(create_graph=True)
    first = x.grad
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 2 * first.data
    assert x.grad.parents == (first, x.grad.parents[1])  # earlier + this pass's gradient, one addition
