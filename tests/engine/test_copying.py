"""Copying and pickling graphs, with the same meaning as for other Python objects and without recursion:
after ``backward(create_graph=True)`` (a gradient is a graph that leads back to its node), with composite boxes,
shallow or deep, and sharing kept across the objects of one copy or one pickle."""

import copy
import pickle

import pytest

from microdiff import Value, draw
from microdiff.nn import MLP, hinge_loss

COPIES = {
    "deepcopy": copy.deepcopy,
    "pickle": lambda obj: pickle.loads(pickle.dumps(obj)),
}
BOTH = pytest.mark.parametrize("copied", list(COPIES.values()), ids=list(COPIES))


def leaves(node):
    """Every leaf ``node`` depends on."""
    found, stack = set(), [node]
    while stack:
        n = stack.pop()
        if not n.parents:
            found.add(n)
        stack.extend(n.parents)
    return found


@BOTH
def test_a_graph_after_create_graph_copies_with_its_gradient_graphs(copied):
    x = Value(2.0, label="x")
    y = x * x * x
    y.backward(create_graph=True)  # x.grad = 3x², a graph built from x itself
    for twin_y, twin_x in [copied([y, x]), copied([x, y])[::-1]]:
        assert twin_y.data == 8.0 and twin_x is not x and twin_x.label == "x"
        assert leaves(twin_y) == {twin_x}  # one graph: the copied y was built from the copied x
        gradient = twin_x.grad
        assert isinstance(gradient, Value) and gradient.data == 12.0
        assert twin_x in leaves(gradient) and x not in leaves(gradient)  # it leads to the copy, not to x
        gradient.zero_grad()
        gradient.backward()  # the copied gradient is differentiable: d(3x²)/dx = 6x = 12
        assert twin_x.grad == 12.0


@BOTH
def test_an_inner_node_whose_gradient_contains_it_copies(copied):
    x = Value(0.5)
    u = x.exp()
    y = u * u  # u.grad = 2u after create_graph: a graph that contains u itself
    y.backward(create_graph=True)
    twin_u = copied(u)
    assert twin_u.data == u.data and twin_u.grad.data == u.grad.data
    assert twin_u in twin_u.grad.parents or any(twin_u in p.parents for p in twin_u.grad.parents)


@BOTH
def test_an_mlp_after_create_graph_copies(copied):
    model = MLP(2, [4, 1], seed=0)
    loss = hinge_loss([model([0.3, -0.2])[0], model([-1.0, 0.5])[0]], [1, -1])
    loss.backward(create_graph=True)
    twin_loss, twin_params = copied([loss, model.parameters()])
    assert twin_loss.data == loss.data
    assert [p.grad.data if isinstance(p.grad, Value) else p.grad for p in twin_params] == [
        p.grad.data if isinstance(p.grad, Value) else p.grad for p in model.parameters()
    ]


@BOTH
def test_composite_boxes_are_copied_and_drawn(copied):
    z = Value(0.0, label="z")
    s = z.sigmoid()
    s.backward()
    twin = copied(s)
    assert twin.composite is not None and twin.composite.name == "sigmoid"
    (twin_z,) = [leaf for leaf in leaves(twin) if leaf.label == "z"]
    assert twin.composite.inputs[0] is twin_z and twin_z is not z
    assert "sigmoid" in draw(twin).source  # the box is drawn, as for the original
    assert draw(twin).source == draw(s).source


def test_a_shallow_copy_shares_the_inputs_as_copy_copy_does_for_any_object():
    x, w = Value(2.0, label="x"), Value(3.0, label="w")
    y = (x * w).sigmoid()
    y.label = "y"
    twin = copy.copy(y)
    assert twin is not y and twin.parents == y.parents and all(a is b for a, b in zip(twin.parents, y.parents))
    assert (twin.data, twin.grad, twin.op, twin.label, twin.composite) == (y.data, y.grad, y.op, y.label, y.composite)


def test_one_pickle_shares_every_node_its_objects_share():
    x = Value(1.0, label="x")
    h = x * 2.0
    a, b = h + 1.0, h * h
    twin_a, twin_b, twin_h = pickle.loads(pickle.dumps([a, b, h]))
    assert twin_a.parents[0] is twin_h and twin_b.parents == (twin_h, twin_h)


def test_a_primitive_must_be_defined_again_before_loading():
    from microdiff import OPS, primitive

    square = primitive("square_for_pickle", lambda a: a * a, lambda a, out: (2 * a,))
    y = square(Value(3.0))
    data = pickle.dumps(y)
    del OPS["square_for_pickle"]
    try:
        with pytest.raises(ValueError, match="define it with primitive"):
            pickle.loads(data)
    finally:
        primitive("square_for_pickle", lambda a: a * a, lambda a, out: (2 * a,))
    assert pickle.loads(data).data == 9.0
