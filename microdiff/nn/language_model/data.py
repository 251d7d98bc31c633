"""Names as data for a language model: the alphabet, the (context → next character) examples, the split.

"." stands for the edges of a name: a context starts as "...", and predicting "." means the name ends.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from microdiff.nn.checks import number_in

#: The character that marks the start and the end of a name (index 0 of every alphabet).
EDGE = "."
CONTEXT = 3  #: characters the model sees

Context = tuple[int, ...]


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
