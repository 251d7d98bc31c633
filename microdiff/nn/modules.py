"""A tiny neural-network library made of scalar ``Value``s: neurons, layers, a multilayer perceptron.

A neuron computes act(w·x + b): one multiplication and one addition per input, then an activation. A
layer is a list of neurons that read the same inputs; an MLP is a chain of layers. Every weight is a
``Value`` leaf, so after ``loss.backward()`` each one holds d loss / d weight, and an optimizer
(:class:`~microdiff.nn.optim.SGD`) moves it downhill. Losses live in :mod:`microdiff.nn.losses`, the optimizer
in :mod:`microdiff.nn.optim`; import them all from :mod:`microdiff.nn`.

>>> model = MLP(2, [4, 1], seed=0)
>>> score = model([0.5, -1.0])[0]
>>> score.backward()
>>> len(model.parameters())       # 4 neurons × (2 weights + bias), then 4 weights + bias
17
>>> model.layers[-1].neurons[0].b.grad   # the score is linear in the last bias: d score / d b = 1
1.0
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from microdiff.engine.composite import mark_composite
from microdiff.engine.value import Constant, Value

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

#: Saved parameter files say what they are, so that loading can refuse anything else.
FILE_FORMAT = "microdiff.nn parameters"


class Module:
    """Anything with parameters: gives them out, clears their gradients, saves and loads them."""

    def __call__(self, x: Inputs) -> Any:
        """The module's output for one example's inputs ``x`` (a ``Value`` for a neuron, else a list)."""
        raise NotImplementedError

    def parameters(self) -> list[Value]:
        """Every trainable ``Value`` of this module, in a fixed order."""
        return [p for _, p in self.named_parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every trainable ``Value`` with its dotted name, in a fixed order: ``("L1.n3.w0", w)`` is weight 0
        of neuron 3 of the first layer. Each parameter's ``label`` is its name, so drawings and the
        training explorer show the same names."""
        return []

    def shape(self) -> list[int]:
        """The sizes that decide how many parameters there are (an MLP's layer sizes)."""
        return [len(self.parameters())]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 before the next ``backward()`` (leaves accumulate)."""
        for p in self.parameters():
            p.grad = 0.0

    def save(self, path: str | Path) -> None:
        """Write the parameters to a JSON file, with the model's kind and shape so a mismatch shows on loading."""
        values = [p.data for p in self.parameters()]
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"cannot save {type(self).__name__}: some parameters are not finite (training diverged?)")
        record = {"format": FILE_FORMAT, "model": type(self).__name__, "shape": self.shape(), "parameters": values}
        Path(path).write_text(json.dumps(record) + "\n")

    def load(self, path: str | Path) -> None:
        """Read parameters written by :meth:`save`.

        Everything is checked before anything is changed: a file that is not valid JSON, not a microdiff
        parameter file, or made for another kind or shape of model raises ``ValueError`` and leaves this
        model as it was.
        """
        try:
            record = json.loads(Path(path).read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not a parameter file, the JSON is corrupt ({error})") from None
        if not isinstance(record, dict) or record.get("format") != FILE_FORMAT:
            raise ValueError(f'{path}: not a microdiff parameter file (no "format": {FILE_FORMAT!r})')
        mine, theirs = (type(self).__name__, self.shape()), (record.get("model"), record.get("shape"))
        if theirs != mine:
            raise ValueError(
                f"{path}: holds parameters for {theirs[0]} of shape {theirs[1]}, "
                f"but this model is {mine[0]} of shape {mine[1]}"
            )
        params, values = self.parameters(), record.get("parameters")
        if not isinstance(values, list) or len(values) != len(params):
            count = len(values) if isinstance(values, list) else "no list of"
            raise ValueError(f"{path}: holds {count} parameters, this model has {len(params)}")
        bad = [v for v in values if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)]
        if bad:
            raise ValueError(f"{path}: parameters must be finite numbers, found {bad[0]!r}")
        for p, v in zip(params, values):
            p.data = float(v)


class Neuron(Module):
    """act(w·x + b): ``nin`` weights and a bias, then an activation ("relu", "tanh", "sigmoid", "linear").

    Weights start uniform in [-1, 1] (micrograd's choice, which suits networks this small) and the bias
    at 0. ``seed`` is an int, or a ``random.Random`` shared by a whole network.
    Each call's operations are marked as one composite named after the neuron (``L1.n3`` in a network,
    "neuron" alone), so a drawing shows one box per neuron; its inputs stay outside the box, and its
    weights and bias (leaves shared by every call, so marked with none) are drawn inside it, the box
    that holds all their uses.
    """

    def __init__(self, nin: int, activation: Activation = "relu", seed: Seed = 0) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}: choose one of {', '.join(ACTIVATIONS)}")
        rng = _random(seed)
        self.w = [Value(rng.uniform(-1.0, 1.0)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = activation
        self.name = ""
        self.rename("")

    def rename(self, name: str) -> None:
        """Call this neuron ``name`` (``L1.n3``, as its network does): its weights become ``L1.n3.w0``…
        and ``L1.n3.b``, and its box in drawings is labelled ``L1.n3`` (``neuron`` when unnamed)."""
        self.name = name
        for label, p in self.named_parameters():
            p.label = label

    def __call__(self, x: Inputs) -> Value:
        return self.forward(_as_nodes(x, len(self.w), "Neuron"))

    def forward(self, xs: list[Value]) -> Value:
        """The neuron on inputs already checked and made ``Value``s (what :class:`Layer` passes it)."""
        total = self.b
        for w, xi in zip(self.w, xs):
            total = total + w * xi
        out = ACTIVATIONS[self.activation](total)
        mark_composite(self.name or "neuron", xs, out)
        return out

    def named_parameters(self) -> list[tuple[str, Value]]:
        prefix = f"{self.name}." if self.name else ""
        return [*((f"{prefix}w{i}", w) for i, w in enumerate(self.w)), (f"{prefix}b", self.b)]

    def shape(self) -> list[int]:
        return [len(self.w)]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs; its output is the list of their outputs."""

    def __init__(self, nin: int, nout: int, activation: Activation = "relu", seed: Seed = 0) -> None:
        rng = _random(seed)
        self.neurons = [Neuron(nin, activation, rng) for _ in range(nout)]
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
        if not nouts:
            raise ValueError("MLP needs at least one layer size in nouts, e.g. MLP(2, [16, 16, 1])")
        rng = _random(seed)
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], "linear" if i == last else activation, rng) for i in range(len(nouts))
        ]
        for i, layer in enumerate(self.layers):
            layer.rename(f"L{i + 1}")  # layers count from 1: the inputs x0, x1… are layer 0
        self.activation = activation

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


def _random(seed: Seed) -> random.Random:
    return seed if isinstance(seed, random.Random) else random.Random(seed)


def _as_nodes(x: Inputs, expected: int, who: str) -> list[Value]:
    """Check the input length and turn plain numbers into constants, once, so neurons share them."""
    if len(x) != expected:
        raise ValueError(f"{who} expects {expected} inputs, got {len(x)}")
    return [xi if isinstance(xi, Value) else Constant(xi) for xi in x]
