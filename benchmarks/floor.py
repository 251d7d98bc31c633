"""A floor for microdiff's speed: the smallest careful scalar engine that builds the same graph.

Not part of microdiff and not for teaching — a measuring stick. It does only what micrograd's demo needs
(+, ·, relu, backward) the fastest way pure Python allows: ``__slots__``, the two inputs in slots of their
own (a tuple would be a second object per node for the garbage collector), an int tag for the operation,
an iterative topological sort, and a backward pass that switches on the tag with the chain rule written
inline (no table of rules, no function call per node). microdiff pays for its
table, its checks and its drawings; the ratio of the two is what that costs.
"""

from __future__ import annotations

from typing import Any

LEAF, ADD, MUL, RELU = range(4)


class Scalar:
    __slots__ = ("data", "grad", "a", "b", "tag")

    def __init__(self, data: float, a: Scalar | None = None, b: Scalar | None = None, tag: int = LEAF) -> None:
        self.data = data
        self.grad = 0.0
        self.a = a
        self.b = b
        self.tag = tag

    def __add__(self, other: Any) -> Scalar:
        if other.__class__ is not Scalar:
            other = Scalar(float(other))
        return Scalar(self.data + other.data, self, other, ADD)

    __radd__ = __add__

    def __mul__(self, other: Any) -> Scalar:
        if other.__class__ is not Scalar:
            other = Scalar(float(other))
        return Scalar(self.data * other.data, self, other, MUL)

    __rmul__ = __mul__

    def relu(self) -> Scalar:
        return Scalar(self.data if self.data > 0.0 else 0.0, self, None, RELU)

    def backward(self) -> None:
        order: list[Scalar] = []
        seen: set[Scalar] = set()
        stack: list[Scalar | None] = [self]
        while stack:
            node = stack.pop()
            if node is None:
                order.append(stack.pop())  # type: ignore[arg-type]
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append(node)
            stack.append(None)
            if node.a is not None and node.a not in seen:
                stack.append(node.a)
            if node.b is not None and node.b not in seen:
                stack.append(node.b)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            tag, g, a, b = node.tag, node.grad, node.a, node.b
            if tag == ADD:
                a.grad += g  # type: ignore[union-attr]
                b.grad += g  # type: ignore[union-attr]
            elif tag == MUL:
                a.grad += b.data * g  # type: ignore[union-attr]
                b.grad += a.data * g  # type: ignore[union-attr]
            elif tag == RELU and node.data > 0.0:
                a.grad += g  # type: ignore[union-attr]


class Neuron:
    def __init__(self, weights: list[float]) -> None:
        self.w = [Scalar(w) for w in weights]
        self.b = Scalar(0.0)

    def __call__(self, x: list[Scalar], relu: bool) -> Scalar:
        total = self.b
        for w, xi in zip(self.w, x):
            total = total + w * xi
        return total.relu() if relu else total


class MLP:
    """Layers of neurons, relu on all but the last, as micrograd's demo network."""

    def __init__(self, weights: list[list[list[float]]]) -> None:
        self.layers = [[Neuron(w) for w in layer] for layer in weights]

    def __call__(self, x: list[Scalar]) -> list[Scalar]:
        for i, layer in enumerate(self.layers):
            x = [neuron(x, i < len(self.layers) - 1) for neuron in layer]
        return x

    def parameters(self) -> list[Scalar]:
        return [p for layer in self.layers for n in layer for p in (*n.w, n.b)]
