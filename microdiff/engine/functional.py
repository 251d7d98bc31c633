"""Derivatives of Python functions: ``grad`` and ``value_and_grad``.

``grad(f)`` is a new function that returns the derivative of ``f``; floats go in and floats come out.
The inputs become fresh ``Value`` leaves, ``f`` builds its graph, and one reverse pass reads off the
gradients. Because the result is again a function, it can be differentiated: ``grad(grad(f))(x)`` is
f''(x). When the inner ``grad`` is handed Values by an outer one, it keeps its gradients as graph
nodes (``create_graph=True``), so the outer pass can differentiate through them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from microdiff.engine.value import Value, enable_grad, gradients


def _positions(argnums: int | Sequence[int]) -> tuple[int, ...]:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _variable(arg: Any) -> Value:
    """A fresh leaf for a float; for a Value (an outer grad's variable), a new node that equals it.

    The new node keeps the inner derivative apart from the outer variable: in
    ``grad(lambda x: grad(lambda y: x * y)(x))`` the inner derivative is x, whatever y stands for.
    """
    if isinstance(arg, Value):
        return arg + 0.0
    return Value(arg)


def value_and_grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., tuple[Any, Any]]:
    """A function returning ``(f(*args), derivative)``; the derivative is a tuple when argnums is.

    >>> value_and_grad(lambda x, y: 3 * x**2 + x * y + 5 * y**2, argnums=(0, 1))(2.0, 3.0)
    (63.0, (15.0, 32.0))
    """
    positions = _positions(argnums)

    @functools.wraps(f)
    def value_and_derivative(*args: Any) -> tuple[Any, Any]:
        nested = any(isinstance(arg, Value) for arg in args)
        variables = list(args)
        with enable_grad():  # even inside no_grad: a derivative needs its graph
            for i in positions:
                variables[i] = _variable(args[i])
            out = f(*variables)
        if isinstance(out, Value):
            grads = gradients(out, [variables[i] for i in positions], create_graph=nested)
        elif isinstance(out, (int, float)):
            grads = tuple(0.0 for _ in positions)  # f ignored its inputs
        else:
            raise TypeError(f"grad needs f to return a scalar Value or a number, not {type(out).__name__}")
        if not nested:
            out = out.data if isinstance(out, Value) else float(out)
            grads = tuple(g.data if isinstance(g, Value) else float(g) for g in grads)
        return out, grads[0] if isinstance(argnums, int) else grads

    return value_and_derivative


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The derivative of scalar ``f`` with respect to argument ``argnums`` (or a tuple of them).

    >>> grad(lambda x: x**3)(2.0)          # 3x² at 2
    12.0
    >>> grad(grad(lambda x: x**3))(2.0)    # 6x at 2
    12.0
    """
    value_and_derivative = value_and_grad(f, argnums)

    @functools.wraps(f)
    def derivative(*args: Any) -> Any:
        return value_and_derivative(*args)[1]

    return derivative
