"""The baseline a language model must beat: the next character's probability from counts of character pairs."""

from __future__ import annotations

import math
from collections.abc import Sequence

from microdiff.nn.checks import number_in
from microdiff.nn.language_model.data import Context


class Bigram:
    """The counting model: P(next | previous) = (count(previous, next) + smoothing) / (count(previous) + V·smoothing).

    Counting gives the probabilities that minimise the training loss of a model that sees one character
    back; ``smoothing`` (add-one by default) keeps a pair never seen in training from having
    probability 0, which would cost an infinite loss on a validation name that has it.
    """

    def __init__(self, inputs: Sequence[Context], targets: Sequence[int], size: int, smoothing: float = 1.0) -> None:
        self.smoothing = number_in("Bigram", "smoothing", smoothing, 0.0, math.inf, open_low=True)
        self.counts = [[0] * size for _ in range(size)]
        for window, target in zip(inputs, targets):
            self.counts[window[-1]][target] += 1

    def probabilities(self, previous: int) -> list[float]:
        """P(next | previous) for every next character."""
        row = self.counts[previous]
        total = sum(row) + self.smoothing * len(row)
        return [(count + self.smoothing) / total for count in row]

    def loss(self, inputs: Sequence[Context], targets: Sequence[int]) -> float:
        """The mean of −log P(target | last character): the cross-entropy the neural model is judged by."""
        tables = [self.probabilities(i) for i in range(len(self.counts))]
        return -sum(math.log(tables[w[-1]][t]) for w, t in zip(inputs, targets)) / len(targets)
