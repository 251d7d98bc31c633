"""The training loop, written once: forward, loss, backward, step; repeated.

:func:`train` is what the demo runs and what a training explorer can reuse: it reports every step to
an ``on_step`` callback, which can print progress, record pictures or stop nothing at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from microdiff.engine.value import Value, no_grad
from microdiff.nn.checks import positive_int
from microdiff.nn.losses import hinge_loss
from microdiff.nn.modules import Inputs
from microdiff.nn.optim import Optimizer

#: A loss takes the batch's outputs and labels and returns one Value (see :mod:`microdiff.nn.losses`).
Loss = Callable[[Any, Sequence[Any]], Value]
#: A model maps one example's inputs to its outputs, as an :class:`~microdiff.nn.MLP` does.
Model = Callable[[Inputs], list[Value]]


@dataclass(frozen=True)
class Step:
    """What one training step saw: its number (from 1), the loss and accuracy before the update, the lr."""

    step: int
    loss: float
    accuracy: float
    lr: float


def train(
    model: Model,
    inputs: Sequence[Inputs],
    labels: Sequence[Any],
    optimizer: Optimizer,
    steps: int,
    loss: Loss = hinge_loss,
    schedule: Callable[[int], float] | None = None,
    on_step: Callable[[Step], None] | None = None,
) -> list[Step]:
    """Train ``model`` on the whole batch for ``steps`` steps of ``optimizer``; return every step's record.

    One step: run the model on every input, compute ``loss(outputs, labels)``, clear the old gradients,
    ``backward()``, and let the optimizer move the parameters. A model with one output is a binary
    classifier: the loss gets one score per example (labels ±1). With several outputs the loss gets one
    list of logits per example (labels are class indices). ``schedule(step)``, when given, sets the
    learning rate before each step (steps count from 1). ``on_step`` is called after each update.
    """
    if len(inputs) != len(labels):
        raise ValueError(f"train needs one label per input: got {len(inputs)} inputs and {len(labels)} labels")
    if not inputs:
        raise ValueError("train needs at least one example: inputs and labels are empty")
    positive_int("train", "steps", steps)
    records = []
    for step in range(1, steps + 1):
        if schedule is not None:
            optimizer.lr = schedule(step)
        outputs = [model(x) for x in inputs]
        batch_loss = loss(predictions(outputs), labels)
        optimizer.zero_grad()
        batch_loss.backward()
        optimizer.step()
        record = Step(step, batch_loss.data, accuracy(outputs, labels), optimizer.lr)
        records.append(record)
        if on_step is not None:
            on_step(record)
        del outputs, batch_loss  # free this step's graph before the next one is built
    return records


def predict(model: Model, inputs: Sequence[Inputs]) -> list[list[float]]:
    """The model's outputs as plain floats, computed without building a graph."""
    with no_grad():
        return [[out.data for out in model(x)] for x in inputs]


def evaluate_accuracy(model: Model, inputs: Sequence[Inputs], labels: Sequence[Any]) -> float:
    """The fraction of ``inputs`` the model classifies right (see :func:`accuracy`)."""
    return accuracy(predict(model, inputs), labels)


def accuracy(outputs: Sequence[Sequence[Any]], labels: Sequence[Any]) -> float:
    """The fraction of examples classified right.

    One output per example is a score: the prediction is positive when the score is > 0, and is right
    when the label is positive too (labels ±1 or 0/1). Several outputs are logits: the prediction is the
    class with the largest one.
    """
    right = 0
    for out, label in zip(outputs, labels):
        values = [_float(o) for o in out]
        if len(values) == 1:
            right += (values[0] > 0) == (label > 0)
        else:
            right += values.index(max(values)) == label
    return right / len(labels)


def predictions(outputs: list[list[Value]]) -> list[Value] | list[list[Value]]:
    """What a loss takes: one score per example from a one-output network, else each example's logits."""
    return [out[0] for out in outputs] if len(outputs[0]) == 1 else outputs


def _float(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)
