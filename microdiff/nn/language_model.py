"""A character-level language model of names, built from scalar ``Value``s (makemore's MLP, after Bengio 2003).

A name is read one character at a time; the model sees the last ``context`` characters and gives a
probability to each possible next one. "." stands for the edges of a name: the context starts as
"...", and predicting "." means the name ends. So "ann" gives four examples:

    ... → a     ..a → n     .an → n     ann → .

The model: look up each context character's row of an :class:`~microdiff.nn.Embedding` (a few learned
numbers per letter), join the rows (``Flatten``), a ``Linear`` layer with ``Tanh``, and a ``Linear``
layer giving one score (logit) per character; ``cross_entropy`` turns the scores into the loss, and
``Adam`` on minibatches learns from it. :class:`Bigram` is the baseline to beat: the same prediction
from counts of which letter follows which.

>>> alphabet = make_alphabet(["ann", "bob"])
>>> alphabet
'.abno'
>>> examples(["ann"], alphabet, context=3)
([(0, 0, 0), (0, 0, 1), (0, 1, 3), (1, 3, 3)], [1, 3, 3, 0])
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from typing import TypeVar

from microdiff.engine.trace import Index
from microdiff.engine.value import Value, no_grad
from microdiff.nn import (
    Adam,
    CosineAnnealingLR,
    Embedding,
    Flatten,
    Linear,
    Minibatches,
    Module,
    Sequential,
    Tanh,
    cross_entropy,
    softmax,
)
from microdiff.nn.checks import number_in, positive_int
from microdiff.nn.training import Progress, optimize

#: The character that marks the start and the end of a name (index 0 of every alphabet).
EDGE = "."

# The recipe of ``python -m microdiff names``, sized so that it trains in under a minute of one core:
# each example costs about 600 scalar nodes (most of them in the 27 output neurons), a few µs each.
CONTEXT = 3  #: characters the model sees
EMBEDDING_DIM = 4  #: numbers per character
HIDDEN = 6  #: tanh neurons
STEPS = 1200  #: training steps…
BATCH_SIZE = 16  #: …of this many examples each
LR, FINAL_LR = 0.03, 0.003  #: Adam's learning rate, falling along a cosine from the first to the second

Context = tuple[int, ...]
Part = TypeVar("Part", bound=Module)


def make_alphabet(names: Sequence[str]) -> str:
    """ "." followed by every character that occurs in ``names``, sorted: position i is character i's index."""
    return EDGE + "".join(sorted(set("".join(names)) - {EDGE}))


def examples(names: Sequence[str], alphabet: str, context: int = CONTEXT) -> tuple[list[Context], list[int]]:
    """Every (last ``context`` characters → next character) pair in ``names``, as indices into ``alphabet``."""
    index = {ch: i for i, ch in enumerate(alphabet)}
    inputs, targets = [], []
    for name in names:
        window = (0,) * context
        for ch in [*name, EDGE]:
            inputs.append(window)
            targets.append(index[ch])
            window = (*window[1:], index[ch])
    return inputs, targets


def split(names: Sequence[str], validation: float = 0.1, seed: int = 0) -> tuple[list[str], list[str]]:
    """Shuffle ``names`` with ``seed`` and hold out a ``validation`` fraction: (training, validation).

    The model never trains on a validation name, so its loss there measures how well it generalises.
    """
    fraction = number_in("split", "validation", validation, 0.0, 1.0)
    if fraction == 1.0:
        raise ValueError("split: validation must be in [0, 1): 1.0 holds out every name and leaves none to train on")
    shuffled = list(names)
    random.Random(seed).shuffle(shuffled)
    held = round(len(shuffled) * fraction)
    return shuffled[held:], shuffled[:held]


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


def make_model(
    size: int, context: int = CONTEXT, embedding_dim: int = EMBEDDING_DIM, hidden: int = HIDDEN, seed: int = 0
) -> Sequential:
    """Embedding(size, embedding_dim) → Flatten → Linear(context·embedding_dim, hidden) → Tanh → Linear(hidden, size).

    The last layer's weights start ten times smaller than usual, so that the first predictions are
    nearly the same for every context instead of confidently wrong (see :func:`start_from_frequencies`).
    """
    rng = random.Random(seed)
    model = Sequential(
        Embedding(size, embedding_dim, rng),
        Flatten(),
        Linear(context * embedding_dim, hidden, seed=rng),
        Tanh(),
        Linear(hidden, size, seed=rng),
    )
    for p in _part(model, -1, Linear).parameters():
        p.data *= 0.1
    return model


def start_from_frequencies(model: Sequential, targets: Sequence[int]) -> None:
    """Set the output biases to the log-frequencies of the characters, so the untrained model already
    predicts how common each character is (its loss starts at the unigram model's, not at log V)."""
    output = _part(model, -1, Linear)
    counts = [1] * len(output.neurons)
    for target in targets:
        counts[target] += 1
    total = sum(counts)
    for neuron, count in zip(output.neurons, counts):
        assert neuron.b is not None  # make_model's layers have biases
        neuron.b.data = math.log(count / total)


def train(
    model: Sequential,
    inputs: Sequence[Context],
    targets: Sequence[int],
    steps: int,
    batch_size: int = BATCH_SIZE,
    lr: float = LR,
    final_lr: float = FINAL_LR,
    seed: int = 0,
    on_step: Callable[[Progress], None] | None = None,
    trace: bool = True,
) -> list[float]:
    """Adam on seeded minibatches for ``steps`` steps, the rate falling along a cosine from ``lr`` to
    ``final_lr``; return the minibatch losses. The same seed gives the same run, number for number.

    The letters enter as :class:`~microdiff.engine.trace.Index` objects, so every minibatch has the same graph:
    with ``trace`` (the default) it is traced once and replayed at every step; ``trace=False`` builds it each
    time and gives the same numbers to the last bit."""
    positive_int("language_model.train", "steps", steps)
    optimizer = Adam(model.parameters(), lr=lr)
    cosine = CosineAnnealingLR(optimizer, T_max=steps, eta_min=final_lr)
    batches = Minibatches(inputs, targets, batch_size, seed=seed, drop_last=True)
    if not len(batches):
        raise ValueError(f"language_model.train: {len(inputs)} examples make no full batch of {batch_size}")

    def loss_of(batch: tuple[list[list[Index]], list[Index]]) -> Value:
        return cross_entropy([model(x) for x in batch[0]], batch[1])

    endless = (  # epoch after epoch, each reshuffled
        ([[Index(i) for i in x] for x in xs], [Index(y) for y in ys])
        for xs, ys in itertools.chain.from_iterable(itertools.repeat(batches))
    )
    schedule = lambda k: cosine.lr_at(k - 1)  # noqa: E731
    return optimize(loss_of, endless, optimizer, steps, schedule, on_step, trace)


def evaluate(model: Sequential, inputs: Sequence[Context], targets: Sequence[int]) -> float:
    """The model's mean cross-entropy on these examples, computed without building a graph."""
    with no_grad():
        return cross_entropy([model(list(x)) for x in inputs], list(targets)).data


def sample(
    model: Sequential,
    alphabet: str,
    rng: random.Random,
    context: int = CONTEXT,
    temperature: float = 1.0,
    max_length: int = 30,
) -> str:
    """A new name, one character at a time, each drawn from softmax(logits / temperature).

    A temperature below 1 sharpens the distribution towards the likeliest characters (safe, common
    names); above 1 it flattens it (stranger ones); the limit 0 always takes the likeliest character.
    """
    temperature = number_in("sample", "temperature", temperature, 0.0, 100.0, open_low=True)
    window, name = [0] * context, list[str]()
    with no_grad():
        while len(name) < max_length:
            logits = model(window)
            probabilities = [p.data for p in softmax([logit * (1.0 / temperature) for logit in logits])]
            index = rng.choices(range(len(alphabet)), weights=probabilities)[0]
            if index == 0:
                break
            name.append(alphabet[index])
            window = [*window[1:], index]
    return "".join(name)


def embeddings(model: Sequential) -> list[list[float]]:
    """Each character's learned embedding row, as floats (the first module of the model)."""
    return [[p.data for p in row] for row in _part(model, 0, Embedding).weight]


def _part(model: Sequential, index: int, kind: type[Part]) -> Part:
    """``model[index]``, checked to be a ``kind`` (the model's first part is its Embedding, its last a Linear)."""
    part = model[index]
    if not isinstance(part, kind):
        raise TypeError(f"expected a model made by make_model, whose part {index} is a {kind.__name__}; got {part!r}")
    return part


def plane(rows: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    """Points in d dimensions seen flat: their coordinates along the two directions in which they spread
    most (the first two principal components), found by power iteration. Two-dimensional rows come back
    as they are, only centred."""
    d = len(rows[0])
    mean = [sum(row[j] for row in rows) / len(rows) for j in range(d)]
    centred = [[x - m for x, m in zip(row, mean)] for row in rows]
    if d <= 2:
        return [(row[0], row[1] if d == 2 else 0.0) for row in centred]
    directions: list[list[float]] = []
    start = random.Random(0)  # a start in no special direction, so no direction is missed
    for _ in range(2):
        v = [start.gauss(0.0, 1.0) for _ in range(d)]
        for _ in range(200):  # v ← C·v, with the directions found before taken out
            scores = [sum(x * y for x, y in zip(row, v)) for row in centred]
            v = [sum(s * row[j] for s, row in zip(scores, centred)) for j in range(d)]
            for u in directions:
                overlap = sum(a * b for a, b in zip(u, v))
                v = [a - overlap * b for a, b in zip(v, u)]
            norm = math.sqrt(sum(x * x for x in v)) or 1.0
            v = [x / norm for x in v]
        directions.append(v)
    return [
        (sum(x * y for x, y in zip(row, directions[0])), sum(x * y for x, y in zip(row, directions[1])))
        for row in centred
    ]
