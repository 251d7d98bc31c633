"""The neural model of names: makemore's MLP made of scalar Values, its training, its samples, its embeddings."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from typing import TypeVar

from microdiff.engine.trace import Index
from microdiff.engine.value import Value, no_grad
from microdiff.nn.checks import number_in, positive_int
from microdiff.nn.data import Minibatches
from microdiff.nn.language_model.data import CONTEXT, Context
from microdiff.nn.layers import Embedding, Flatten, Linear, Sequential, Tanh
from microdiff.nn.losses import cross_entropy, softmax
from microdiff.nn.modules import Module
from microdiff.nn.optim import Adam
from microdiff.nn.schedules import CosineAnnealingLR
from microdiff.nn.training import Progress, optimize

# The recipe of ``python -m microdiff names``, sized so that it trains in under a minute of one core:
# each example costs about 600 scalar nodes (most of them in the 27 output neurons), a few µs each.
EMBEDDING_DIM = 4  #: numbers per character
HIDDEN = 6  #: tanh neurons
STEPS = 1200  #: training steps…
BATCH_SIZE = 16  #: …of this many examples each
LR, FINAL_LR = 0.03, 0.003  #: Adam's learning rate, falling along a cosine from the first to the second

Part = TypeVar("Part", bound=Module)


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
