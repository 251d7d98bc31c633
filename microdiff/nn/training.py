"""The training loop, written once: forward, loss, backward, step; repeated.

:func:`optimize` is the loop itself, for any model and any data: each step takes the next batch, builds
its loss, clears the old gradients, runs ``backward()`` and moves the parameters. Every model here trains
with it: :func:`train` (a classifier on its whole batch, what the demo runs), the names model
(:mod:`~microdiff.nn.language_model`, on minibatches) and the GPT (:mod:`~microdiff.nn.gpt`, a name a step).
Each reports every step to an ``on_step`` callback, which can print progress or record pictures.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from microdiff.engine.trace import GuardError, Program, shape_of
from microdiff.engine.trace import trace as trace_function
from microdiff.engine.value import Value, collector_paused, no_grad
from microdiff.nn.checks import positive_int
from microdiff.nn.losses import hinge_loss
from microdiff.nn.modules import Inputs
from microdiff.nn.optim import Optimizer

#: A loss takes the batch's outputs and labels and returns one Value (see :mod:`microdiff.nn.losses`).
Loss = Callable[[Any, Sequence[Any]], Value]
#: A model maps one example's inputs to its outputs, as an :class:`~microdiff.nn.MLP` does.
Model = Callable[[Inputs], list[Value]]
Batch = TypeVar("Batch")
#: How many traced programs :func:`optimize` keeps at once, one per shape of batch (a GPT on names needs 16).
MAX_PROGRAMS = 32


@dataclass(frozen=True)
class Progress:
    """One step of :func:`optimize`: its number (from 1), how many there are, its loss (before the update), the lr,
    and the other numbers ``loss_of`` returned after the loss (a classifier's scores), as floats."""

    step: int
    steps: int
    loss: float
    lr: float
    outputs: tuple[float, ...] = ()


def optimize(
    loss_of: Callable[[Batch], Any],
    batches: Iterable[Batch],
    optimizer: Optimizer,
    steps: int,
    schedule: Callable[[int], float] | None = None,
    on_step: Callable[[Progress], None] | None = None,
    trace: bool = False,
) -> list[float]:
    """Take ``steps`` steps, one per batch of ``batches`` (which must not run out first); return the losses.

    One step: set the learning rate to ``schedule(step)`` when a schedule is given (steps count from 1),
    clear the old gradients, build ``loss_of(batch)``, ``backward()``, ``optimizer.step()``, then report
    a :class:`Progress` to ``on_step``. ``loss_of`` returns the loss, or a tuple of the loss and other numbers
    to report. A graph holds no reference cycles, so Python's cycle collector is paused while it is built and
    differentiated: it would walk every node for nothing.

    With ``trace=True`` the step is not built again each time: ``loss_of`` is traced once for each shape of
    batch (:func:`microdiff.trace`; a batch is numbers, :class:`~microdiff.engine.trace.Index` objects or
    lists of them), and each step replays that program on the batch, reading the parameters' current numbers
    and adding their gradients, bit for bit what graph mode gives. A program a guard refuses is traced again.
    At most :data:`MAX_PROGRAMS` programs are kept (the oldest goes first), so batches of ever new shapes cannot
    fill the memory.
    """
    positive_int("optimize", "steps", steps)
    losses: list[float] = []
    programs: dict[Any, Program] = {}
    for step, batch in zip(range(1, steps + 1), batches):
        if schedule is not None:
            optimizer.lr = schedule(step)
        optimizer.zero_grad()
        outputs = _replayed(loss_of, batch, programs) if trace else _built(loss_of, batch)
        optimizer.step()
        losses.append(outputs[0])
        if on_step is not None:
            on_step(Progress(step, steps, outputs[0], optimizer.lr, outputs[1:]))
    if len(losses) < steps:
        raise ValueError(f"optimize: the batches ran out after {len(losses)} of {steps} steps")
    return losses


def _built(loss_of: Callable[[Batch], Any], batch: Batch) -> tuple[float, ...]:
    """Graph mode: build the step's graph, ``backward()`` from its loss, and give its numbers as floats."""
    with collector_paused():
        out = loss_of(batch)
        loss, *rest = out if isinstance(out, tuple) else (out,)
        loss.backward()
    return tuple(_float(x) for x in (loss, *rest))


def _replayed(loss_of: Callable[[Batch], Any], batch: Batch, programs: dict[Any, Program]) -> tuple[float, ...]:
    """The step replayed: one program per shape of batch, traced the first time (and again when a guard says
    the numbers would decide otherwise); its ``backward`` adds the gradients as graph mode's would."""
    key = shape_of(batch)
    program = programs.get(key)
    if program is not None:
        try:
            out = program.backward(batch)
            return out if isinstance(out, tuple) else (out,)
        except GuardError:  # raised before any gradient is added
            pass
    if key not in programs and len(programs) >= MAX_PROGRAMS:
        del programs[next(iter(programs))]  # the program traced first
    program = programs[key] = trace_function(loss_of, batch)
    out = program.backward(batch)
    return out if isinstance(out, tuple) else (out,)


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
    trace: bool = False,
) -> list[Step]:
    """Train ``model`` on the whole batch for ``steps`` steps of ``optimizer``; return every step's record.

    One step: run the model on every input, compute ``loss(outputs, labels)``, clear the old gradients,
    ``backward()``, and let the optimizer move the parameters. A model with one output is a binary
    classifier: the loss gets one score per example (labels ±1). With several outputs the loss gets one
    list of logits per example (labels are class indices). ``schedule(step)``, when given, sets the
    learning rate before each step (steps count from 1). ``on_step`` is called after each update.
    With ``trace=True`` the step is traced once and replayed (see :func:`optimize`): the same numbers, faster.
    """
    if len(inputs) != len(labels):
        raise ValueError(f"train needs one label per input: got {len(inputs)} inputs and {len(labels)} labels")
    if not inputs:
        raise ValueError("train needs at least one example: inputs and labels are empty")
    positive_int("train", "steps", steps)
    records: list[Step] = []

    def loss_of(xs: Sequence[Inputs]) -> tuple[Value, ...]:
        """The loss, then every output (the step's accuracy is read from them)."""
        outputs = [model(x) for x in xs]
        return (loss(predictions(outputs), labels), *(o for out in outputs for o in out))

    def report(progress: Progress) -> None:
        width = len(progress.outputs) // len(labels)  # outputs per example
        outputs = [progress.outputs[i : i + width] for i in range(0, len(progress.outputs), width)]
        records.append(Step(progress.step, progress.loss, accuracy(outputs, labels), progress.lr))
        if on_step is not None:
            on_step(records[-1])

    optimize(loss_of, itertools.repeat(inputs), optimizer, steps, schedule, report, trace)
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
