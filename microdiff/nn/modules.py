"""A tiny neural-network library made of scalar ``Value``s: neurons, layers, a multilayer perceptron.

A neuron computes act(w·x + b): one multiplication and one addition per input, then an activation. A
layer is a list of neurons that read the same inputs; an MLP is a chain of layers. Every weight is a
``Value`` leaf, so after ``loss.backward()`` each one holds d loss / d weight, and an optimizer
(:class:`~microdiff.nn.optim.SGD`) moves it downhill. Losses live in :mod:`microdiff.nn.losses`, the optimizer
in :mod:`microdiff.nn.optim`, the PyTorch-style parts (``Sequential``, ``Linear``, ``Embedding``…) in
:mod:`microdiff.nn.layers`; import them all from :mod:`microdiff.nn`.

>>> model = MLP(2, [4, 1], seed=0)
>>> score = model([0.5, -1.0])[0]
>>> score.backward()
>>> len(model.parameters())       # 4 neurons × (2 weights + bias), then 4 weights + bias
17
>>> model.layers[-1].neurons[0].b.grad   # the score is linear in the last bias: d score / d b = 1
1.0
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from numbers import Real
from pathlib import Path
from typing import Any, Literal

from microdiff.engine.composite import mark_composite
from microdiff.engine.value import Constant, Value
from microdiff.nn import saving
from microdiff.nn.checks import describe, finite_float, positive_int

Activation = Literal["relu", "tanh", "sigmoid", "linear"]
Seed = int | random.Random
Inputs = Sequence[float | Value]

#: What each activation does to a neuron's sum w·x + b.
ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": lambda total: total,
}


class Module:
    """Anything with parameters: gives them out by name, clears their gradients, saves and loads them."""

    def __call__(self, x: Any, *context: Any) -> Any:
        """The module's output for one example's inputs ``x`` (a ``Value`` for a neuron, else a list). A part
        that reads earlier positions too (attention) takes them as ``context``: the keys and values so far."""
        raise NotImplementedError

    def parameters(self) -> list[Value]:
        """Every trainable ``Value`` of this module, in a fixed order."""
        return [p for _, p in self.named_parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every trainable ``Value`` with its dotted name, in a fixed order: ``("L1.n3.w0", w)`` is weight 0
        of neuron 3 of the first layer. Each parameter's ``label`` is its name, so drawings and the
        training explorer show the same names."""
        return []

    def rename(self, name: str) -> None:
        """Call this module ``name`` (``L1.n3``, as its network does): every parameter's name, and its ``label``
        in drawings, then starts with ``name.``. A container overrides this to name its parts in turn."""
        self.name = name
        for label, p in self.named_parameters():
            p.label = label

    def shape(self) -> list[int]:
        """The sizes that decide how many parameters there are (an MLP's layer sizes)."""
        return [len(self.parameters())]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 before the next ``backward()`` (leaves accumulate)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """Every parameter's value by name, as ``torch.nn.Module.state_dict`` (plain floats, a copy).

        >>> Neuron(2).state_dict()
        {'w0': 0.6888437030500962, 'w1': 0.515908805880605, 'b': 0.0}
        """
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, float]) -> None:
        """Set the parameters from ``state`` (as :meth:`state_dict` gives): the same names, finite numbers.

        Everything is checked before anything changes: missing or unexpected names, or a value that is
        not a finite number, raise ``ValueError`` and leave the module as it was.
        """
        who = f"{type(self).__name__}.load_state_dict"
        named = self.named_parameters()
        mine = [name for name, _ in named]
        missing = [name for name in mine if name not in state]
        unexpected = [name for name in state if name not in set(mine)]
        if missing or unexpected:
            raise ValueError(f"{who}: state does not match: missing {missing[:5]}, unexpected {unexpected[:5]}")
        values = [finite_float(f"{who}: state[{name!r}]", state[name]) for name in mine]
        for (_, p), value in zip(named, values):
            p.data = value

    def save(self, path: str | Path) -> None:
        """Write the parameters to a JSON file, atomically (a failure never destroys the file that was
        there), with the model's kind and shape so that a mismatch shows on loading."""
        saving.save(self, path)

    def load(self, path: str | Path) -> None:
        """Read parameters written by :meth:`save`.

        Everything is checked before anything is changed: a file that is not UTF-8 JSON, not a microdiff
        parameter file, made for another kind or shape of model, or holding anything but finite numbers
        raises ``ValueError`` naming the file, what is wrong and where, and leaves this model as it was.
        """
        values = saving.read(self, path)
        for p, value in zip(self.parameters(), values):
            p.data = value


class Neuron(Module):
    """act(w·x + b): ``nin`` weights and a bias, then an activation ("relu", "tanh", "sigmoid", "linear").

    Weights start uniform in [-scale, scale], by default [-1, 1] (micrograd's choice, which suits networks
    this small), and the bias at 0. ``seed`` is an int, or a ``random.Random`` shared by a whole network.
    Each call's operations are marked as one composite named after the neuron (``L1.n3`` in a network,
    "neuron" alone), so a drawing shows one box per neuron; its inputs stay outside the box, and its
    weights and bias (leaves shared by every call, so marked with none) are drawn inside it, the box
    that holds all their uses.
    """

    def __init__(
        self, nin: int, activation: Activation = "relu", seed: Seed = 0, scale: float = 1.0, bias: bool = True
    ) -> None:
        positive_int("Neuron", "nin", nin)
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}: choose one of {', '.join(ACTIVATIONS)}")
        rng = rng_from(seed)
        self.w = [Value(rng.uniform(-scale, scale)) for _ in range(nin)]
        self.b: Value | None = Value(0.0) if bias else None
        self.activation = activation
        self.name = ""
        self.rename("")

    def __call__(self, x: Inputs) -> Value:
        return self.forward(_as_nodes(x, len(self.w), "Neuron"))

    def forward(self, xs: list[Value]) -> Value:
        """The neuron on inputs already checked and made ``Value``s (what :class:`Layer` passes it)."""
        total = self.w[0] * xs[0] if self.b is None else self.b + self.w[0] * xs[0]
        for w, xi in zip(self.w[1:], xs[1:]):
            total = total + w * xi
        out = ACTIVATIONS[self.activation](total)
        mark_composite(self.name or "neuron", xs, out)
        return out

    def named_parameters(self) -> list[tuple[str, Value]]:
        prefix = f"{self.name}." if self.name else ""
        weights = [(f"{prefix}w{i}", w) for i, w in enumerate(self.w)]
        return weights if self.b is None else [*weights, (f"{prefix}b", self.b)]

    def shape(self) -> list[int]:
        return [len(self.w)]

    def __repr__(self) -> str:
        bias = "" if self.b is not None else ", bias=False"
        return f"Neuron({len(self.w)}, activation={self.activation!r}{bias})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs; its output is the list of their outputs."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: Activation = "relu",
        seed: Seed = 0,
        scale: float = 1.0,
        bias: bool = True,
    ) -> None:
        positive_int(type(self).__name__, "nin", nin)
        positive_int(type(self).__name__, "nout", nout)
        rng = rng_from(seed)
        self.neurons = [Neuron(nin, activation, rng, scale, bias) for _ in range(nout)]
        self.nin = nin
        self.name = ""
        self.rename("")

    def rename(self, name: str) -> None:
        """Call this layer ``name`` (``L1``): its neurons become ``L1.n0``, ``L1.n1``…"""
        self.name = name
        prefix = f"{name}." if name else ""
        for j, neuron in enumerate(self.neurons):
            neuron.rename(f"{prefix}n{j}")

    def __call__(self, x: Inputs) -> list[Value]:
        return self.forward(_as_nodes(x, self.nin, "Layer"))

    def forward(self, xs: list[Value]) -> list[Value]:
        """The layer on inputs already checked and made ``Value``s: every neuron reads the same list."""
        return [neuron.forward(xs) for neuron in self.neurons]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [item for neuron in self.neurons for item in neuron.named_parameters()]

    def shape(self) -> list[int]:
        return [self.nin, len(self.neurons)]

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {len(self.neurons)}, activation={self.neurons[0].activation!r})"


class MLP(Module):
    """A multilayer perceptron: layers of sizes ``nouts`` after ``nin`` inputs.

    Hidden layers use ``activation``; the last layer is linear, so its outputs are free scores (logits)
    for a loss to judge. The output is always a list, one ``Value`` per output neuron.

    >>> MLP(2, [16, 16, 1])
    MLP(2, [16, 16, 1], activation='relu')
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: Activation = "relu", seed: Seed = 0) -> None:
        positive_int("MLP", "nin", nin)
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP needs a list of layer sizes in nouts, e.g. MLP(2, [16, 16, 1]); got {nouts!r}")
        for i, size in enumerate(nouts):
            positive_int("MLP", f"nouts[{i}]", size)
        rng = rng_from(seed)
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], "linear" if i == last else activation, rng) for i in range(len(nouts))
        ]
        self.activation = activation
        self.rename("")

    def rename(self, name: str) -> None:
        """Name the layers ``L1``, ``L2``… (after ``name.`` when given): layers count from 1, because the
        inputs x0, x1… are layer 0."""
        prefix = f"{name}." if name else ""
        for i, layer in enumerate(self.layers):
            layer.rename(f"{prefix}L{i + 1}")

    def __call__(self, x: Inputs) -> list[Value]:
        out = _as_nodes(x, self.layers[0].nin, "MLP")
        for layer in self.layers:
            out = layer.forward(out)
        return out

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [item for layer in self.layers for item in layer.named_parameters()]

    def shape(self) -> list[int]:
        return [self.layers[0].nin, *(len(layer.neurons) for layer in self.layers)]

    def __repr__(self) -> str:
        nin, *nouts = self.shape()
        return f"MLP({nin}, {nouts}, activation={self.activation!r})"


def rng_from(seed: Seed) -> random.Random:
    """A random source from a seed (an int), or the ``random.Random`` given, so that parts share one."""
    return seed if isinstance(seed, random.Random) else random.Random(seed)


def _as_nodes(x: Inputs, expected: int, who: str) -> list[Value]:
    """Check the inputs and turn plain numbers into constants, once, so that neurons share them."""
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(f"{who} expects a list of {expected} numbers or Values, got {describe(x)}")
    if len(x) != expected:
        raise ValueError(f"{who} expects {expected} inputs, got {len(x)}")
    nodes = []
    for i, xi in enumerate(x):
        if isinstance(xi, Value):
            nodes.append(xi)
        elif isinstance(xi, Real) and not isinstance(xi, bool):
            nodes.append(Constant(xi))
        else:
            raise TypeError(f"{who}: input {i} must be a number or a Value, got {describe(xi)}")
    return nodes
