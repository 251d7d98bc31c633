"""Decision regions: which class the network predicts over the plane, and how sure it is.

The page colours a ``grid`` × ``grid`` mesh over the data by the predicted class, deeper where the
network is surer. Each recorded step needs ``grid``² forward passes, so the network runs here on plain
floats (:func:`float_forward`), not on ``Value`` nodes that would build a graph nobody differentiates. The
floats are exactly those the Value nodes would hold: the same sums in the same order, and the activations
of the engine's own table (:data:`microdiff.engine.arithmetic.OPERATIONS`), which take floats as readily.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

from microdiff.engine.arithmetic import OPERATIONS
from microdiff.engine.ops import BUILT_IN
from microdiff.engine.value import Value, no_grad
from microdiff.nn import MLP, Module

#: Cells per side of the grid on which the decision regions are recorded.
GRID = 40
#: How sure the network is in a grid cell, in this many levels (0: a coin toss, 7: certain).
LEVELS = 8
#: One character per grid cell: the predicted class times LEVELS plus the level (so up to 8 classes).
REGION_CODES = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

Bounds = tuple[float, float, float, float]


def bounds(inputs: Sequence[Sequence[float]]) -> Bounds:
    """The data's bounding box (x0, x1, y0, y1) with a margin of a tenth of its size on each side (at least 0.1)."""
    xs, ys = [x for x, _ in inputs], [y for _, y in inputs]
    mx, my = max(0.1, (max(xs) - min(xs)) / 10), max(0.1, (max(ys) - min(ys)) / 10)
    return (min(xs) - mx, max(xs) + mx, min(ys) - my, max(ys) + my)


def grid_points(box: Bounds, grid: int) -> list[tuple[float, float]]:
    """The centres of the ``grid`` × ``grid`` cells over ``box`` (x0, x1, y0, y1), row by row from the bottom."""
    x0, x1, y0, y1 = box
    dx, dy = (x1 - x0) / grid, (y1 - y0) / grid
    return [(x0 + (i + 0.5) * dx, y0 + (j + 0.5) * dy) for j in range(grid) for i in range(grid)]


def decision_regions(model: Module, box: Bounds, grid: int, binary: bool) -> str:
    """The predicted class and its confidence level in each grid cell, one character per cell.

    A binary network predicts the positive class where its score s > 0, with confidence tanh(|s|/2)
    (which is 2·sigmoid(|s|) − 1). A network with K outputs predicts the class of its largest logit,
    with confidence (p − 1/K)/(1 − 1/K) where p is that class's softmax probability.
    """
    forward = float_forward(model)
    codes = []
    for point in grid_points(box, grid):
        scores = forward(point)
        if binary:
            cls, confidence = int(scores[0] > 0), math.tanh(abs(scores[0]) / 2)
        else:
            top = max(scores)
            cls = scores.index(top)
            p = 1.0 / sum(math.exp(s - top) for s in scores)
            confidence = (p - 1 / len(scores)) / (1 - 1 / len(scores))
        level = min(LEVELS - 1, int(confidence * LEVELS)) if math.isfinite(confidence) else 0
        codes.append(REGION_CODES[cls * LEVELS + level])
    return "".join(codes)


def float_activation(name: str) -> Callable[[float], float]:
    """The activation ``name`` of :mod:`microdiff.nn` on plain floats, from the engine's tables: a fundamental
    operation's float function (relu), a derived operation, which takes floats (sigmoid, tanh), or, for
    "linear", the number itself. (A fundamental operation's own float function skips the float-or-node
    check of its entry in OPERATIONS, which cost the regions of a relu network twice their time.)"""
    if name == "linear":
        return float
    return BUILT_IN[name].forward if name in BUILT_IN else OPERATIONS[name]


def float_forward(model: Module) -> Callable[[Sequence[float]], list[float]]:
    """The model as a function of plain floats: an MLP computed with floats, which is some fifty times
    faster than building Values, and gives the same numbers to the last bit. Any other model runs as
    itself under ``no_grad``."""
    neurons = [n for layer in model.layers for n in layer.neurons] if isinstance(model, MLP) else []
    if not neurons or any(n.activation != "linear" and n.activation not in OPERATIONS for n in neurons):
        return lambda x: [out.data for out in outputs_of(model, x)]
    assert isinstance(model, MLP)
    layers = [
        [
            ([w.data for w in n.w], 0.0 if n.b is None else n.b.data, float_activation(n.activation))
            for n in layer.neurons
        ]
        for layer in model.layers
    ]

    def forward(x: Sequence[float]) -> list[float]:
        values = list(x)
        for layer in layers:  # b + w0·x0 + w1·x1 + …, added in the order a Neuron adds
            values = [act(functools.reduce(operator.add, map(operator.mul, ws, values), b)) for ws, b, act in layer]
        return values

    return forward


def outputs_of(model: Module, x: Sequence[Any]) -> list[Value]:
    """The model's outputs for one input, without building a graph."""
    with no_grad():
        return list(model(x))
