"""One whole training run of micrograd's demo workload, as a user meets it: ``train.py ENGINE STEPS``.

ENGINE is ``microdiff`` (its public API: ``microdiff.nn.MLP``), ``microdiff-trace`` (the same model and step, traced
once with ``microdiff.trace`` and replayed), ``micrograd`` (0.1.0's ``micrograd.nn.MLP``) or ``floor``
(``floor.py``). Each but the traced one builds the same graph every step — a 2-16-16-1 relu network on 100
two-moons points, hinge loss plus 1e-4·L2 (65,818 nodes) — and takes an SGD step, in a fresh interpreter
with Python's garbage collector left as it is. ``run.py`` times these processes side by side.
"""

from __future__ import annotations

import math
import random
import sys
from typing import Any

SIZES = [2, 16, 16, 1]


def two_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """Two interleaved half circles (sklearn's make_moons), labels -1 and 1."""
    rng = random.Random(seed)
    points, labels = [], []
    for i in range(n):
        t = math.pi * (i // 2) / (n // 2 - 1)
        if i % 2 == 0:
            x, y, label = math.cos(t), math.sin(t), -1.0
        else:
            x, y, label = 1.0 - math.cos(t), 0.5 - math.sin(t), 1.0
        points.append([x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)])
        labels.append(label)
    return points, labels


def weights(seed: int = 1337) -> list[list[list[float]]]:
    """Per layer, per neuron, its weights: uniform in [-1, 1] as micrograd draws them (biases start at 0)."""
    rng = random.Random(seed)
    return [[[rng.uniform(-1.0, 1.0) for _ in range(nin)] for _ in range(nout)] for nin, nout in zip(SIZES, SIZES[1:])]


def engine(name: str) -> tuple[Any, Any, list[Any]]:
    """``(Scalar, model, parameters)`` for an engine, with the weights of :func:`weights`."""
    if name in ("microdiff", "microdiff-trace"):
        from microdiff import Value, nn

        model = nn.MLP(SIZES[0], SIZES[1:])
        scalar: Any = Value
    elif name == "micrograd":
        from micrograd import nn as mg
        from micrograd.engine import Value as scalar

        model = mg.MLP(SIZES[0], SIZES[1:])
    elif name == "floor":
        from floor import MLP
        from floor import Scalar as scalar

        model = MLP(weights())
    else:
        raise SystemExit(f"train.py: unknown engine {name!r}: microdiff, micrograd or floor")
    params = model.parameters()
    if name != "floor":  # the same starting point everywhere
        flat = [w for layer in weights() for neuron in layer for w in (*neuron, 0.0)]
        for p, w in zip(params, flat):
            p.data = w
    return scalar, model, params


def loss_of(model: Any, params: list[Any], scalar: Any, points: list[Any], labels: list[float]) -> Any:
    """The demo's loss: the mean hinge loss of the scores, plus 1e-4 times the sum of the squared parameters."""
    scores = []
    for x0, x1 in points:
        out = model([scalar(x0), scalar(x1)] if isinstance(x0, float) else [x0, x1])
        scores.append(out[0] if isinstance(out, list) else out)  # micrograd returns a lone output bare
    losses = [(1 + -y * s).relu() for s, y in zip(scores, labels)]
    return sum(losses, scalar(0.0)) * (1.0 / len(losses)) + 1e-4 * sum((p * p for p in params), scalar(0.0))


def traced_main(steps: int) -> None:
    """The same run with the step traced once (the points are the program's inputs) and replayed."""
    from microdiff import trace

    scalar, model, params = engine("microdiff")
    points, labels = two_moons()
    program = trace(lambda points: loss_of(model, params, scalar, points, labels), points)
    for k in range(steps):
        for p in params:
            p.grad = 0.0
        loss = program.backward(points)
        lr = 1.0 - 0.9 * k / 100
        for p in params:
            p.data -= lr * p.grad
    print(f"microdiff-trace: {steps} steps, last loss {loss:.6f}")


def main() -> None:
    name, steps = sys.argv[1], int(sys.argv[2])
    if name == "microdiff-trace":
        return traced_main(steps)
    scalar, model, params = engine(name)
    points, labels = two_moons()
    for k in range(steps):
        scores = []
        for x0, x1 in points:
            out = model([scalar(x0), scalar(x1)])
            scores.append(out[0] if isinstance(out, list) else out)  # micrograd returns a lone output bare
        losses = [(1 + -y * s).relu() for s, y in zip(scores, labels)]
        loss = sum(losses, scalar(0.0)) * (1.0 / len(losses)) + 1e-4 * sum((p * p for p in params), scalar(0.0))
        for p in params:
            p.grad = 0.0
        loss.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in params:
            p.data -= lr * p.grad
    accuracy = sum((s.data > 0) == (y > 0) for s, y in zip(scores, labels)) / len(labels)
    print(f"{name}: {steps} steps, last loss {loss.data:.6f}, accuracy {accuracy:.2f}")


if __name__ == "__main__":
    main()
