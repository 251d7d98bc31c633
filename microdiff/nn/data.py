"""Minibatches: training on a few examples per step instead of all of them.

A step on 32 random examples costs 32 examples' work, not the whole dataset's, and its gradient points
roughly the same way; many cheap, slightly noisy steps beat a few exact ones. ``Minibatches`` plays the
part of PyTorch's ``DataLoader(..., batch_size, shuffle=True)``: each pass over it (an epoch) visits
every example once, in a fresh order drawn from its seed, so a whole run is reproducible.

>>> batches = Minibatches([[0], [1], [2], [3], [4]], ["a", "b", "c", "d", "e"], batch_size=2, seed=0)
>>> len(batches)
3
>>> [labels for _, labels in batches]
[['c', 'b'], ['a', 'e'], ['d']]
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar

from microdiff.nn.checks import positive_int

X = TypeVar("X")
Y = TypeVar("Y")


class Minibatches(Generic[X, Y]):
    """Batches of ``batch_size`` (inputs, labels) pairs; iterate once per epoch.

    ``shuffle=False`` keeps the data's order; ``drop_last=True`` leaves out a last, smaller batch.
    """

    def __init__(
        self,
        inputs: Sequence[X],
        labels: Sequence[Y],
        batch_size: int,
        seed: int = 0,
        shuffle: bool = True,
        drop_last: bool = False,
    ) -> None:
        if len(inputs) != len(labels):
            raise ValueError(f"Minibatches needs one label per input: got {len(inputs)} inputs, {len(labels)} labels")
        if not inputs:
            raise ValueError("Minibatches needs at least one example, got none")
        self.inputs, self.labels = inputs, labels
        self.batch_size = positive_int("Minibatches", "batch_size", batch_size)
        self.shuffle, self.drop_last = shuffle, drop_last
        self.rng = random.Random(seed)

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        full, rest = divmod(len(self.inputs), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self) -> Iterator[tuple[list[X], list[Y]]]:
        order = list(range(len(self.inputs)))
        if self.shuffle:
            self.rng.shuffle(order)
        for start in range(0, self.batch_size * len(self), self.batch_size):
            chosen = order[start : start + self.batch_size]
            yield [self.inputs[i] for i in chosen], [self.labels[i] for i in chosen]
