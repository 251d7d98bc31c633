"""Points in many dimensions seen flat, along the two directions in which they spread most."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence


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
