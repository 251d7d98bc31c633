"""Reverse mode against PyTorch (float64) on random mixed expressions, first and second order.

PyTorch is an optional oracle: without it these tests skip, except in CI, which installs it and sets
MICRODIFF_REQUIRE_TORCH=1 so that a missing torch fails instead of skipping.
"""

import math

from conftest import require
from hypothesis import given

from microdiff import Value, gradients
from microdiff.testing import METHODS, expressions

torch = require("torch")

TORCH = {
    **METHODS,  # the operators are the same; the functions are torch's
    "reciprocal": torch.reciprocal,
    "exp": torch.exp,
    "log": torch.log,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
}


def torch_gradients(expr, create_graph=False):
    xs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in expr.inputs]
    out = expr.evaluate(*xs, functions=TORCH)
    return xs, out, torch.autograd.grad(out, xs, allow_unused=True, create_graph=create_graph)


def test_the_seed_polynomial_against_torch():
    x, y = Value(2.0), Value(3.0)
    ours = gradients(3 * x**2 + x * y + 5 * y**2, [x, y])
    tx, ty = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (2.0, 3.0))
    theirs = torch.autograd.grad(3 * tx**2 + tx * ty + 5 * ty**2, [tx, ty])
    assert ours == tuple(t.item() for t in theirs) == (15.0, 32.0)


@given(expressions(ops=("add", "sub", "mul", "div", "pow", "exp", "log", "tanh", "sigmoid", "relu", "neg")))
def test_gradients_match_torch(expr):
    variables = [Value(x) for x in expr.inputs]
    out = expr(*variables)
    ours = gradients(out, variables)
    _, torch_out, theirs = torch_gradients(expr)
    assert math.isclose(out.data, torch_out.item(), rel_tol=1e-9, abs_tol=1e-12)
    for mine, reference in zip(ours, theirs):
        expected = 0.0 if reference is None else reference.item()
        assert math.isclose(mine, expected, rel_tol=1e-9, abs_tol=1e-12), (mine, expected)


@given(expressions(max_inputs=2, max_steps=5))
def test_second_derivatives_match_torch(expr):
    variables = [Value(x) for x in expr.inputs]
    first = gradients(expr(*variables), variables, create_graph=True)
    xs, _, torch_first = torch_gradients(expr, create_graph=True)
    for mine, reference in zip(first, torch_first):
        row = gradients(mine, variables) if isinstance(mine, Value) else [0.0] * len(variables)
        if reference is None or not reference.requires_grad:  # torch: the first derivative is a constant
            assert all(ours == 0.0 for ours in row), row
            continue
        torch_row = torch.autograd.grad(reference, xs, allow_unused=True, retain_graph=True)
        for ours, theirs in zip(row, torch_row):
            expected = 0.0 if theirs is None else theirs.item()
            assert math.isclose(float(ours), expected, rel_tol=1e-9, abs_tol=1e-9), (ours, expected)
