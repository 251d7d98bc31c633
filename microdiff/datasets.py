"""Small 2-D datasets for classification, generated in pure Python from a seed.

Each function returns a :class:`Dataset`: ``points``, a list of (x, y) pairs, and ``labels``, one per
point, in a shuffled order. The same seed always gives the same data.

Labels follow microdiff's convention (see :mod:`microdiff.nn.losses`): the binary sets (moons, circles,
XOR) label their two classes **-1 and +1**, the sign a classifier's score should have; the three-class
spiral labels its classes 0, 1, 2. ``noise`` is the standard deviation of Gaussian jitter added to
every coordinate.

>>> points, labels = make_moons(100, noise=0.1, seed=0)
>>> len(points), sorted(set(labels))
(100, [-1, 1])

One dataset is not generated but shipped with the package: :func:`load_names`, five thousand first names
for the character-level language model (:mod:`microdiff.nn.language_model`).
"""

from __future__ import annotations

import math
import random
from importlib import resources
from typing import NamedTuple

Point = tuple[float, float]


class Dataset(NamedTuple):
    """Points and their labels; unpacks as ``points, labels = make_moons(...)``."""

    points: list[Point]
    labels: list[int]


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles: the upper one (label -1) and the lower one shifted right (label +1).

    No straight line separates them, so a classifier needs a hidden layer to bend its boundary.
    """
    rng = random.Random(seed)
    data = []
    for i in range(n):
        t = math.pi * _spread(i // 2, (n + 1 - i % 2) // 2)
        if i % 2 == 0:
            data.append(((math.cos(t), math.sin(t)), -1))
        else:
            data.append(((1.0 - math.cos(t), 0.5 - math.sin(t)), 1))
    return _finish(data, noise, rng)


def make_circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> Dataset:
    """A circle of radius 1 (label -1) around a circle of radius ``factor`` (label +1)."""
    rng = random.Random(seed)
    data = []
    for i in range(n):
        t = 2.0 * math.pi * _spread(i // 2, (n + 1 - i % 2) // 2, closed=False)
        radius, label = (1.0, -1) if i % 2 == 0 else (factor, 1)
        data.append(((radius * math.cos(t), radius * math.sin(t)), label))
    return _finish(data, noise, rng)


def make_xor(n: int = 100, noise: float = 0.2, seed: int = 0) -> Dataset:
    """Four clusters at the corners (±1, ±1): label +1 where x and y have the same sign, -1 elsewhere.

    Exclusive or, the classic problem a single neuron cannot solve.
    """
    rng = random.Random(seed)
    corners = [(1.0, 1.0), (-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0)]
    data = [(corners[i % 4], 1 if i % 4 < 2 else -1) for i in range(n)]
    return _finish(data, noise, rng)


def make_spiral(n: int = 90, classes: int = 3, turns: float = 0.5, noise: float = 0.05, seed: int = 0) -> Dataset:
    """``classes`` arms of a spiral winding out from the centre, one class per arm (labels 0, 1, 2…).

    Each arm turns ``turns`` times around the centre from radius 0 to 1; more turns make a harder problem.
    """
    rng = random.Random(seed)
    data = []
    for i in range(n):
        label = i % classes
        r = _spread(i // classes, (n - label + classes - 1) // classes)
        t = 2.0 * math.pi * (label / classes + turns * r)
        data.append(((r * math.cos(t), r * math.sin(t)), label))
    return _finish(data, noise, rng)


def load_names() -> list[str]:
    """The 5,163 first names shipped in ``microdiff/data/names.txt``: lowercase a–z, sorted, one each.

    They are the US Census Bureau's frequently occurring first names of the 1990 census (male and
    female lists merged), which are in the public domain; the file's header says so.

    >>> names = load_names()
    >>> len(names), names[:3]
    (5163, ['aaron', 'abbey', 'abbie'])
    """
    text = (resources.files("microdiff") / "data" / "names.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def _spread(i: int, count: int, closed: bool = True) -> float:
    """The i-th of ``count`` evenly spaced numbers in [0, 1] (or [0, 1) when not ``closed``)."""
    if count <= 1:
        return 0.0
    return i / (count - 1) if closed else i / count


def _finish(data: list[tuple[Point, int]], noise: float, rng: random.Random) -> Dataset:
    """Add Gaussian noise to every coordinate and shuffle the examples."""
    rng.shuffle(data)
    points = [(x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)) for (x, y), _ in data]
    return Dataset(points, [label for _, label in data])
