"""Reverse mode against PyTorch (float64) on random mixed expressions, first and second order.

PyTorch is an optional oracle: without it these tests skip, except in CI, which installs it and sets
MICRODIFF_REQUIRE_TORCH=1 so that a missing torch fails instead of skipping.
"""

import math

import pytest
from conftest import require
from hypothesis import given

from microdiff import Value, grad, gradients
from microdiff.testing import METHODS, expressions

torch = require("torch")
pytestmark = pytest.mark.filterwarnings("ignore::microdiff.DisconnectedGradientWarning")  # unused inputs

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
    out.backward()
    assert [v.grad for v in variables] == pytest.approx(ours, rel=1e-12, abs=1e-300)  # backward's own pass
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


#: Every point where a local rule returns a special value rather than its formula: powers at base 0
#: (slopes 0 or ±∞ by their one-sided limits) and relu's kink, with the same function in both libraries.
EDGES = [
    ("x ** 0.5 at 0", lambda x: x**0.5, 0.0),
    ("x ** 1.5 at 0", lambda x: x**1.5, 0.0),
    ("x ** 2.5 at 0", lambda x: x**2.5, 0.0),
    ("x ** 0 at 0", lambda x: x**0.0, 0.0),
    ("x ** 1 at 0", lambda x: x**1.0, 0.0),
    ("x ** 2 at 0", lambda x: x**2.0, 0.0),
    ("x ** 3 at 0", lambda x: x**3.0, 0.0),
    ("relu at 0", lambda x: x.relu(), 0.0),
    ("relu at 1", lambda x: x.relu(), 1.0),
    ("relu at -1", lambda x: x.relu(), -1.0),
    ("relu(x) ** 2 at 0", lambda x: x.relu() ** 2.0, 0.0),
    ("x * relu(x) at 0", lambda x: x * x.relu(), 0.0),
]


def same(ours: float, theirs: float) -> bool:
    """Equal as IEEE numbers: the same infinity, both NaN, or close."""
    if math.isnan(theirs) or math.isinf(theirs):
        return (math.isnan(ours) and math.isnan(theirs)) or ours == theirs
    return math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("name, f, x0", EDGES, ids=[edge[0] for edge in EDGES])
def test_first_and_second_derivatives_at_the_edges_match_torch(name, f, x0):
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    (first,) = torch.autograd.grad(f(x), x, create_graph=True)
    second = torch.autograd.grad(first, x)[0].item() if first.requires_grad else 0.0
    assert same(grad(f)(x0), first.item()), (grad(f)(x0), first.item())
    assert same(grad(grad(f))(x0), second), (grad(grad(f))(x0), second)


@pytest.mark.parametrize("x0", [0.5, 2.0])
def test_zero_to_a_variable_power_is_flat_where_torch_says_nan(x0):
    """0ˣ is 0 for every x > 0, so all its derivatives are 0. PyTorch agrees on the first, but its second
    derivative is NaN (0ˣ·ln 0 differentiated again meets ln 0 = −∞): the one edge where microdiff differs."""
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    (first,) = torch.autograd.grad(0.0**x, x, create_graph=True)
    assert first.item() == 0.0 and math.isnan(torch.autograd.grad(first, x)[0].item())
    assert grad(lambda x: 0.0**x)(x0) == 0.0 and grad(grad(lambda x: 0.0**x))(x0) == 0.0
