"""The build-it track's reference engine: the small ``Value`` a learner writes in lessons 3 and 4.

It is the solution the lessons' graders are run against in CI, and the engine the break-it labs (lesson
9) break on purpose. It is deliberately plain: a node keeps its number, its gradient, its inputs and
the *name* of the operation that made it; each operation's local derivatives live in one table,
:data:`RULES`; :func:`backward` walks a topological order backwards and applies upstream × local.

>>> x = Value(3.0)
>>> y = x * x + x.sin()
>>> backward(y)
>>> round(x.grad, 6)   # 2x + cos x at 3
5.010008
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

#: d out / d input for each fundamental operation, as a function of the input numbers and the output.
RULES: dict[str, Callable[..., tuple[float, ...]]] = {
    "add": lambda a, b, out: (1.0, 1.0),
    "mul": lambda a, b, out: (b, a),
    "neg": lambda a, out: (-1.0,),
    "reciprocal": lambda a, out: (-1.0 / a**2,),
    "exp": lambda a, out: (out,),
    "log": lambda a, out: (1.0 / a,),
    "relu": lambda a, out: (1.0 if a > 0 else 0.0,),
    "sin": lambda a, out: (math.cos(a),),
}


class Value:
    """A number that remembers how it was made: ``data``, ``grad``, ``parents`` and ``op``."""

    def __init__(self, data: float, parents: tuple[Value, ...] = (), op: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents
        self.op = op

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # fundamental operations: each computes its number and records its inputs and its name
    def __add__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), "add")

    def __mul__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), "mul")

    def __neg__(self) -> Value:
        return Value(-self.data, (self,), "neg")

    def reciprocal(self) -> Value:
        return Value(1.0 / self.data, (self,), "reciprocal")

    def exp(self) -> Value:
        return Value(math.exp(self.data), (self,), "exp")

    def log(self) -> Value:
        return Value(math.log(self.data), (self,), "log")

    def relu(self) -> Value:
        return Value(max(self.data, 0.0), (self,), "relu")

    def sin(self) -> Value:
        return Value(math.sin(self.data), (self,), "sin")

    # derived operations: compositions of the fundamental ones, so they need no rule of their own
    def __sub__(self, other: Any) -> Value:
        return self + (-other)

    def __truediv__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return self * other.reciprocal()

    def __radd__(self, other: Any) -> Value:
        return self + other

    def __rmul__(self, other: Any) -> Value:
        return self * other

    def __rsub__(self, other: Any) -> Value:
        return -self + other

    def __rtruediv__(self, other: Any) -> Value:
        return self.reciprocal() * other

    def __pow__(self, n: int) -> Value:
        """``x ** n`` for a whole number n ≥ 1, as n − 1 multiplications."""
        out = self
        for _ in range(int(n) - 1):
            out = out * self
        return out

    def tanh(self) -> Value:
        """tanh x = (e^{2x} − 1) / (e^{2x} + 1)."""
        e = (2 * self).exp()
        return (e - 1) / (e + 1)

    def backward(self) -> None:
        backward(self)

    def zero_grad(self) -> None:
        zero_grad(self)


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each after its inputs; an explicit stack, so any depth works."""
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents)
    return order


def backward(root: Value, rules: dict[str, Callable[..., tuple[float, ...]]] = RULES) -> None:
    """Fill in d root / d node on every node: seed 1, then upstream × local, added up, output first.

    Inner nodes start each pass at 0; leaves keep what earlier passes left (they accumulate). ``rules``
    is the table of local derivatives (lesson 9 passes a broken one).
    """
    order = topological_order(root)
    for node in order:
        if node.parents:
            node.grad = 0.0
    root.grad = 1.0 if root.parents else root.grad + 1.0
    for node in reversed(order):
        if not node.parents:
            continue
        local = rules[node.op](*[parent.data for parent in node.parents], node.data)
        for parent, derivative in zip(node.parents, local):
            parent.grad += node.grad * derivative


def zero_grad(root: Value) -> None:
    """Set every gradient in the graph of ``root`` back to 0."""
    for node in topological_order(root):
        node.grad = 0.0
