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

The package, one job per module:

* :mod:`~microdiff.nn.language_model.data` — ``make_alphabet``, ``examples``, ``split``;
* :mod:`~microdiff.nn.language_model.bigram` — :class:`Bigram`, the counting baseline;
* :mod:`~microdiff.nn.language_model.mlp` — ``make_model``, ``start_from_frequencies``, ``train``, ``evaluate``,
  ``sample``, ``embeddings``;
* :mod:`~microdiff.nn.language_model.plane` — ``plane``, points seen along their two main directions.
"""

from microdiff.nn.language_model.bigram import Bigram
from microdiff.nn.language_model.data import CONTEXT, EDGE, Context, examples, make_alphabet, split
from microdiff.nn.language_model.mlp import (
    BATCH_SIZE,
    EMBEDDING_DIM,
    FINAL_LR,
    HIDDEN,
    LR,
    STEPS,
    embeddings,
    evaluate,
    make_model,
    sample,
    start_from_frequencies,
    train,
)
from microdiff.nn.language_model.plane import plane

__all__ = [
    "BATCH_SIZE",
    "CONTEXT",
    "EDGE",
    "EMBEDDING_DIM",
    "FINAL_LR",
    "HIDDEN",
    "LR",
    "STEPS",
    "Bigram",
    "Context",
    "embeddings",
    "evaluate",
    "examples",
    "make_alphabet",
    "make_model",
    "plane",
    "sample",
    "split",
    "start_from_frequencies",
    "train",
]
