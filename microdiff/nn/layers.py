"""Building blocks to write a network the PyTorch way: ``Sequential`` of ``Linear``, activations, ``Embedding``.

>>> model = Sequential(Linear(2, 16), ReLU(), Linear(16, 1))
>>> [name for name, _ in model.named_parameters()][:3]
['L1.n0.w0', 'L1.n0.w1', 'L1.n0.b']

The same network as ``MLP(2, [16, 1])``, with the same parameter names, written as a list of steps, so
that any step can be swapped (a ``Tanh`` for the ``ReLU``) or added (an ``Embedding`` in front). Every
part still works on lists of scalar ``Value``s: a "tensor" here is a list (of lists).

Names in a ``Sequential`` follow the drawings: layers of neurons (``Linear``, ``Layer``) are ``L1``,
``L2``… in order, embeddings ``E1``, ``E2``… (entry ``E1.r5.d1`` is row 5, dimension 1), and any other
module with parameters ``M`` and its position from 1 (``M3``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from numbers import Integral
from typing import Any

from microdiff.engine.trace import Index
from microdiff.engine.value import Value
from microdiff.nn.checks import describe, positive_int
from microdiff.nn.modules import Layer, Module, Seed, rng_from


class Linear(Layer):
    """y = W·x + b: ``out_features`` neurons without activation, as ``torch.nn.Linear``.

    Weights start uniform in ±1/√in_features (PyTorch's range, so that a sum over many inputs starts
    neither huge nor tiny); biases start at 0, and ``bias=False`` leaves them out (y = W·x), as a
    transformer's projections do. Each neuron is still drawn as one box (``L1.n3``).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, seed: Seed = 0) -> None:
        positive_int("Linear", "in_features", in_features)
        super().__init__(in_features, out_features, "linear", seed, scale=1.0 / math.sqrt(in_features), bias=bias)

    def __repr__(self) -> str:
        return f"Linear({self.nin}, {len(self.neurons)}{'' if self.neurons[0].b is not None else ', bias=False'})"


class Elementwise(Module):
    """An activation applied to every number of a list (or to one ``Value``), by the name of its ``Value``
    method; it has no parameters."""

    function = "relu"

    def __call__(self, x: Any) -> Any:
        if isinstance(x, Value):
            return getattr(x, self.function)()
        if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
            raise TypeError(f"{type(self).__name__} expects a Value or a list of them, got {describe(x)}")
        return [self(xi) for xi in x]

    def shape(self) -> list[int]:
        return []

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(Elementwise):
    """max(x, 0) on every number: ``torch.nn.ReLU``."""

    function = "relu"


class Tanh(Elementwise):
    """tanh x on every number: ``torch.nn.Tanh``."""

    function = "tanh"


class Sigmoid(Elementwise):
    """σ(x) = 1 / (1 + e⁻ˣ) on every number: ``torch.nn.Sigmoid``."""

    function = "sigmoid"


class Embedding(Module):
    """A table of ``num_embeddings`` rows of ``embedding_dim`` parameters, looked up by index.

    ``emb(5)`` is row 5 (a list of Values); ``emb([1, 0, 5])`` is a list of three rows; ``emb(Index(5))`` is row 5
    too, and in a traced function (:func:`microdiff.trace`) the row is picked again at every replay. The lookup is
    not an operation: the row's Values themselves go into the graph, so only rows that were used get a
    gradient. Entries start from a standard normal, as ``torch.nn.Embedding``'s.

    >>> emb = Embedding(27, 2)
    >>> [p.label for p in emb(1)]
    ['r1.d0', 'r1.d1']
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, seed: Seed = 0) -> None:
        positive_int("Embedding", "num_embeddings", num_embeddings)
        positive_int("Embedding", "embedding_dim", embedding_dim)
        rng = rng_from(seed)
        self.weight = [[Value(rng.gauss(0.0, 1.0)) for _ in range(embedding_dim)] for _ in range(num_embeddings)]
        self.name = ""
        self.rename("")

    def __call__(self, x: Any) -> Any:
        if isinstance(x, Integral) and not isinstance(x, bool):
            return self._row(x)
        if isinstance(x, Index):  # a traced program's lookup: the row is chosen again at every replay
            self._row(x.value)
            return x.lookup(self.weight)
        if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
            raise TypeError(f"Embedding expects an index or a list of indices (ints), got {describe(x)}")
        return [self(i) if isinstance(i, Index) else self._row(i) for i in x]

    def _row(self, index: Any) -> list[Value]:
        if isinstance(index, bool) or not isinstance(index, Integral) or not 0 <= int(index) < len(self.weight):
            raise IndexError(f"Embedding: index must be an int in [0, {len(self.weight)}), got {describe(index)}")
        return list(self.weight[index])  # a new list of the same Values: changing it leaves the table alone

    def named_parameters(self) -> list[tuple[str, Value]]:
        prefix = f"{self.name}." if self.name else ""
        return [(f"{prefix}r{i}.d{j}", p) for i, row in enumerate(self.weight) for j, p in enumerate(row)]

    def shape(self) -> list[int]:
        return [len(self.weight), len(self.weight[0])]

    def __repr__(self) -> str:
        return f"Embedding({len(self.weight)}, {len(self.weight[0])})"


class Flatten(Module):
    """A list of lists made one list, row after row: what follows an ``Embedding`` of several indices."""

    def __call__(self, x: Any) -> list[Any]:
        if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
            raise TypeError(f"Flatten expects a list of lists, got {describe(x)}")
        return [item for row in x for item in (row if isinstance(row, (list, tuple)) else [row])]

    def shape(self) -> list[int]:
        return []

    def __repr__(self) -> str:
        return "Flatten()"


class Sequential(Module):
    """Modules applied one after the other, each to the output of the one before: ``torch.nn.Sequential``.

    ``model[0]`` is the first module, ``len(model)`` how many there are. See the module docstring for
    how parameters are named.
    """

    def __init__(self, *modules: Module) -> None:
        if not modules:
            raise ValueError("Sequential needs at least one module, e.g. Sequential(Linear(2, 1))")
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: argument {i} must be a Module, got {describe(module)}")
        self.modules = list(modules)
        self.rename("")

    def rename(self, name: str) -> None:
        """Name the parts (``L1``, ``E1``, ``M3``…; after ``name.`` when given)."""
        prefix = f"{name}." if name else ""
        counts = {"L": 0, "E": 0}
        named: set[int] = set()  # a module used twice keeps the name of its first place
        for position, module in enumerate(self.modules, start=1):
            if id(module) in named:
                continue
            named.add(id(module))
            kind = "L" if isinstance(module, Layer) else "E" if isinstance(module, Embedding) else ""
            if kind:
                counts[kind] += 1
                module.rename(f"{prefix}{kind}{counts[kind]}")
            elif module.named_parameters():
                module.rename(f"{prefix}M{position}")

    def __call__(self, x: Any) -> Any:
        for module in self.modules:
            x = module(x)
        return x

    def __getitem__(self, index: int) -> Module:
        return self.modules[index]

    def __len__(self) -> int:
        return len(self.modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.modules)

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Each parameter once, with the name of its first place, as PyTorch lists them: a module used twice
        (``Sequential(lin, ReLU(), lin)``) shares its weights, and an optimizer must move them once a step."""
        listed: dict[int, tuple[str, Value]] = {}
        for module in self.modules:
            for name, p in module.named_parameters():
                listed.setdefault(id(p), (name, p))
        return list(listed.values())

    def shape(self) -> list[int]:
        """The sizes of every part with parameters, one after the other (``[2, 16, 16, 1]`` for two Linears);
        a module used twice counts once."""
        parts = {id(module): module for module in self.modules if module.named_parameters()}
        return [size for module in parts.values() for size in module.shape()]

    def __repr__(self) -> str:
        lines = "".join(f"\n  ({i}): {module!r}" for i, module in enumerate(self.modules))
        return f"Sequential({lines}\n)"
