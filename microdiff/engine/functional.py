"""Derivatives as functions: ``gradients`` of a graph, and ``grad``, ``value_and_grad``, ``hvp``, ``hessian`` of
Python functions.

``gradients(output, inputs)`` runs the engine's chain rule (:func:`~microdiff.engine.value.chain_rule`) into a
dictionary and touches no node's ``grad``.

``grad(f)`` is a new function that returns the derivative of ``f``; floats go in and floats come out.
The inputs become fresh ``Value`` nodes, ``f`` builds its graph, and one reverse pass reads off the
gradients. Because the result is again a function, it can be differentiated: ``grad(grad(f))(x)`` is
f''(x).

**Nesting.** While ``f`` runs, any ``grad`` called inside it knows that an outer differentiation is
watching, and keeps its gradients as graph nodes (``create_graph=True``) instead of floats, so the outer
pass can differentiate through them — also when the inner function only *captures* an outer variable,
as in ``grad(lambda x: grad(lambda y: x * y)(3.0))(2.0)``, which is d(x)/dx = 1. Each level
differentiates with respect to its own nodes: a ``Value`` handed to an inner ``grad`` is first copied
into a new node (``x + 0``), so the inner derivative never mixes with the outer one.

**Modes mixed.** ``grad`` of a function that calls ``jvp`` (reverse over forward) works because a dual
number may hold Values. ``jvp`` of ``grad(f)`` (forward over reverse) works too: a dual input's primal
becomes a Value node — at every depth, for a dual number of dual numbers too — and the derivative of the
dual output's primal and tangent with respect to it is a dual number again: ``grad(f)``'s value and its
directional derivative, H·v. That is :func:`hvp`. Any mix nests, to any order.

**argnums** may repeat or reorder positions, as in JAX: ``grad(f, argnums=(1, 0))`` gives (∂f/∂y, ∂f/∂x), and
``argnums=(0, 0)`` the derivative with respect to the first argument, twice.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from contextvars import ContextVar
from numbers import Real
from typing import Any

from microdiff.engine.disconnected import warn_disconnected
from microdiff.engine.forward import Dual, jvp
from microdiff.engine.value import Constant, Value, chain_rule, collector_paused, enable_grad, topological_order

_outer_levels: ContextVar[int] = ContextVar("microdiff_grad_levels", default=0)


def gradient_map(root: Value, seed: Any = 1.0, create_graph: bool = False) -> dict[Value, Any]:
    """d root / d node for every node ``root`` depends on, times ``seed``, touching no ``grad``.

    With ``create_graph=True`` the seed is made a node (so that even a gradient reached only through
    ``+`` is one), and the graph of the derivatives is recorded even inside ``no_grad``.
    """
    with collector_paused():
        order = topological_order(root)
        if create_graph and not isinstance(seed, Value):
            seed = Constant(seed)
        grads: dict[Value, Any] = {root: seed}
        with enable_grad() if create_graph else nullcontext():
            for _ in chain_rule(order, grads, create_graph):
                pass
    return grads


def gradients(output: Any, inputs: Sequence[Value], create_graph: bool = False) -> tuple[Any, ...]:
    """d output / d input for each input, computed without touching any node's ``grad``.

    With ``create_graph=True`` each gradient is a ``Value`` that can be differentiated again. An input
    that ``output`` does not depend on gets 0.0, with a
    :class:`~microdiff.engine.disconnected.DisconnectedGradientWarning` (an output that is a plain number
    depends on nothing).
    """
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(
                f"gradients: inputs[{i}] is {type(x).__name__} {x!r}, not a Value: a derivative is taken with "
                "respect to a node of the graph (pass x, not x.data)"
            )
    grads = gradient_map(output, 1.0, create_graph) if isinstance(output, Value) else {}
    missing = [i for i, x in enumerate(inputs) if x not in grads]
    if missing:
        warn_disconnected("gradients", [f"inputs[{i}]" for i in missing], output, isinstance(output, Value))
    return tuple(grads.get(x, 0.0) for x in inputs)


def _positions(argnums: int | Sequence[int]) -> tuple[int, ...]:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _holds_value(x: Any) -> bool:
    """Whether ``x`` is a Value, or a dual number holding one at any depth (an outer ``grad``'s variable)."""
    while isinstance(x, Dual):
        if _holds_value(x.tangent):
            return True
        x = x.primal
    return isinstance(x, Value)


def _variable(arg: Any, position: int) -> tuple[Any, Value]:
    """What ``f`` receives for argument ``arg``, and the node to differentiate with respect to.

    A float becomes a fresh leaf. A Value (an outer ``grad``'s variable) becomes a new node that equals
    it, so the inner derivative is taken with respect to this level's node only. A dual number (from
    ``jvp``) keeps its tangent around what its primal becomes, at every depth; the node is the innermost one.
    """
    if isinstance(arg, Dual):
        inner, node = _variable(arg.primal, position)
        return Dual(inner, arg.tangent, arg.tag), node
    if isinstance(arg, Value):
        node = arg + 0.0
        return node, node
    if isinstance(arg, Real):
        node = Value(arg)
        return node, node
    raise TypeError(f"grad: argument {position} is {type(arg).__name__} {arg!r}, not a number")


def _derivatives(out: Any, nodes: Sequence[Value], create_graph: bool) -> tuple[list[Any], set[int]]:
    """d out / d node for each node, and the positions of the nodes ``out`` depends on at all.

    ``out`` is a Value (one reverse pass), a number (it depends on nothing), or a dual number, whose
    primal and tangent are differentiated each: the derivative of a dual number is a dual number.
    """
    if isinstance(out, Value):
        grads = gradient_map(out, 1.0, create_graph)
        return [grads.get(node, 0.0) for node in nodes], {i for i, node in enumerate(nodes) if node in grads}
    if isinstance(out, Dual):
        primal, found = _derivatives(out.primal, nodes, create_graph)
        tangent, more = _derivatives(out.tangent, nodes, create_graph)
        return [Dual(p, t, out.tag) for p, t in zip(primal, tangent)], found | more
    if isinstance(out, Real):
        return [0.0] * len(nodes), set()
    raise TypeError(f"grad needs f to return a scalar Value or a number, not {type(out).__name__}")


def _floats(x: Any) -> Any:
    """``x`` with every Value replaced by its float (inside dual numbers too), for callers at the top level."""
    if isinstance(x, Value):
        return x.data
    if isinstance(x, Dual):
        return Dual(_floats(x.primal), _floats(x.tangent), x.tag)
    return float(x)


def value_and_grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., tuple[Any, Any]]:
    """A function returning ``(f(*args), derivative)``; the derivative is a tuple when argnums is.

    When ``f``'s result does not depend on an argument through microdiff's operations, its derivative
    is 0 and a :class:`~microdiff.engine.disconnected.DisconnectedGradientWarning` says so and why.

    >>> value_and_grad(lambda x, y: 3 * x**2 + x * y + 5 * y**2, argnums=(0, 1))(2.0, 3.0)
    (63.0, (15.0, 32.0))
    """
    positions = _positions(argnums)

    @functools.wraps(f)
    def value_and_derivative(*args: Any) -> tuple[Any, Any]:
        for i in positions:
            if not -len(args) <= i < len(args):
                raise IndexError(f"grad: argnums has {i}, but f was given {len(args)} arguments")
        wanted = [i % len(args) for i in positions]  # -1 is the last argument; a position may repeat
        outer = _outer_levels.get() > 0 or any(_holds_value(arg) for arg in args)
        variables, node_at = list(args), {}
        for i in dict.fromkeys(wanted):  # one variable per position, however often argnums names it
            variables[i], node_at[i] = _variable(args[i], i)
        nodes = [node_at[i] for i in wanted]
        level = _outer_levels.set(_outer_levels.get() + 1)
        try:
            with enable_grad():  # even inside no_grad: a derivative needs its graph
                out = f(*variables)
        finally:
            _outer_levels.reset(level)
        grads, connected = _derivatives(out, nodes, create_graph=outer)
        cut = list(dict.fromkeys(f"argument {i}" for k, i in enumerate(wanted) if k not in connected))
        if cut:
            warn_disconnected("grad", cut, out, isinstance(out, (Value, Dual)))
        if not outer:  # the top level: floats out
            out, grads = _floats(out), [_floats(g) for g in grads]
        return out, grads[0] if isinstance(argnums, int) else tuple(grads)

    return value_and_derivative


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The derivative of scalar ``f`` with respect to argument ``argnums`` (or a tuple of them).

    >>> grad(lambda x: x**3)(2.0)          # 3x² at 2
    12.0
    >>> grad(grad(lambda x: x**3))(2.0)    # 6x at 2
    12.0
    >>> grad(lambda x: grad(lambda y: x * y)(3.0))(2.0)   # the inner derivative is x; d(x)/dx = 1
    1.0
    """
    value_and_derivative = value_and_grad(f, argnums)

    @functools.wraps(f)
    def derivative(*args: Any) -> Any:
        return value_and_derivative(*args)[1]

    return derivative


def hvp(f: Callable[..., Any], primals: Sequence[float], tangents: Sequence[float]) -> tuple[Any, ...]:
    """The Hessian of ``f`` at ``primals`` times the vector ``tangents``: forward mode over reverse mode,
    the directional derivative of the gradient, without building the Hessian. One entry per primal.

    >>> hvp(lambda x, y: 3 * x**2 + x * y + 5 * y**2, (2.0, 3.0), (1.0, 0.0))   # the first column of [[6, 1], [1, 10]]
    (6.0, 1.0)
    """
    everything = tuple(range(len(primals)))
    return tuple(jvp(grad(f, argnums=everything), primals, tangents)[1])


def hessian(f: Callable[..., Any], argnums: int | Sequence[int] | None = None) -> Callable[..., Any]:
    """The matrix of second derivatives ∂²f/∂xᵢ∂xⱼ, one :func:`hvp` per column.

    By default with respect to every argument (a tuple of rows); with an int ``argnums``, the single
    second derivative with respect to that argument.

    >>> hessian(lambda x, y: 3 * x**2 + x * y + 5 * y**2)(2.0, 3.0)
    ((6.0, 1.0), (1.0, 10.0))
    """

    def second_derivatives(*args: Any) -> Any:
        positions = tuple(range(len(args))) if argnums is None else _positions(argnums)
        columns = []
        for j in positions:
            direction = [1.0 if i == j else 0.0 for i in range(len(args))]
            columns.append(jvp(grad(f, argnums=positions), args, direction)[1])
        rows = tuple(tuple(column[i] for column in columns) for i in range(len(positions)))
        return rows[0][0] if isinstance(argnums, int) else rows

    return second_derivatives
