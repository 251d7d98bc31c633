"""Recording a training run: every ``every``-th step's parameters, gradients and decision regions.

Steps are numbered as the training loop numbers them (:class:`microdiff.nn.training.Step`): step k, for
k = 1…N, is the k-th update. Its loss, accuracy and gradient are those computed *in* step k, from the
parameters θₖ₋₁ it starts from, before it updates them. A recorded :class:`Frame` of step k holds exactly
these: θₖ₋₁, L(θₖ₋₁), the accuracy and ∇L(θₖ₋₁). So the page's "step 40" shows the loss the console
printed for step 40. One more frame, numbered N + 1, holds the trained network θ_N ("after step N").

Training computes all of these numbers already, so recording reuses them::

    recorder = Recorder(model, points, labels, loss=hinge_loss, every=5)
    train(model, points, labels, optimizer, steps=100, loss=hinge_loss, on_step=recorder.on_step)
    recorder.finish(title="two moons").save("explorer.html")

or, all in one, ``record(model, points, labels, steps=100, lr=0.5).save("explorer.html")``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from microdiff.drawing.runner import DOT_TIMEOUT, DotNotFound, DotTimedOut
from microdiff.engine.functional import gradients
from microdiff.explore import graphs, page
from microdiff.explore.regions import GRID, LEVELS, REGION_CODES, Bounds, bounds, decision_regions, outputs_of
from microdiff.nn import SGD, Module, cross_entropy, hinge_loss
from microdiff.nn.training import Loss, accuracy, predictions, train

#: ``record`` picks ``every`` so that a run keeps at most about this many steps.
MAX_FRAMES = 100


class StepRecord(Protocol):
    """What the recorder needs from a training step (:class:`microdiff.nn.training.Step` has it)."""

    @property
    def step(self) -> int: ...
    @property
    def loss(self) -> float: ...
    @property
    def accuracy(self) -> float: ...


@dataclass
class Frame:
    """Step ``step`` as the page shows it at one slider position: the parameters it starts from, the loss
    and accuracy it computes, and ``grads``, the batch gradient its update follows (see the module's
    docstring). ``params`` and ``grads`` follow ``model.parameters()``; ``regions`` holds one character
    per grid cell (see :data:`~microdiff.explore.regions.REGION_CODES`), row by row from the bottom left.
    """

    step: int
    loss: float
    accuracy: float
    params: list[float]
    grads: list[float]
    regions: str


@dataclass
class Recording:
    """A recorded training run of ``total_steps`` steps: everything the explorer page shows."""

    title: str
    model: str
    loss: str
    inputs: list[list[float]]
    classes: list[int]
    class_names: list[str]
    param_names: list[str]
    bounds: Bounds
    grid: int
    total_steps: int = 0
    curve: list[tuple[int, float, float]] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)
    tapes: list[graphs.Tape] = field(default_factory=list)
    drawings: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def steps(self) -> list[int]:
        """The recorded steps, in order: 1, 1 + every, 1 + 2·every, … and N + 1 (the trained network)."""
        return [frame.step for frame in self.frames]

    def frame(self, step: int) -> Frame:
        """The recorded frame of step ``step`` (``KeyError`` if that step was not recorded)."""
        for frame in self.frames:
            if frame.step == step:
                return frame
        raise KeyError(f"step {step} was not recorded; the recorded steps are {self.steps}")

    def to_json(self) -> dict[str, Any]:
        """The recording as plain JSON data, the way the page reads it."""
        return {
            "title": self.title,
            "model": self.model,
            "loss": self.loss,
            "inputs": self.inputs,
            "classes": self.classes,
            "classNames": self.class_names,
            "paramNames": self.param_names,
            "bounds": list(self.bounds),
            "grid": self.grid,
            "levels": LEVELS,
            "codes": REGION_CODES,
            "totalSteps": self.total_steps,
            "curve": [list(point) for point in self.curve],
            "frames": [dataclasses.asdict(frame) for frame in self.frames],
            "tapes": [dataclasses.asdict(tape) for tape in self.tapes],
            "drawings": self.drawings,
            "note": self.note,
        }

    def to_html(self) -> str:
        """The explorer page: one self-contained HTML document (no external URL, works from ``file://``)."""
        return page.html_page(self.title, self.to_json())

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` atomically (missing folders are created) and return the path."""
        return page.save_page(path, self.to_html())

    def _repr_html_(self) -> str:
        """Jupyter shows the page inline, in an iframe that keeps its script and style apart from the notebook."""
        return page.iframe(self.to_html())


class Recorder:
    """Watches a training loop and records every ``every``-th step; pass :meth:`on_step` to ``train``.

    Recording happens in two halves, because step k computes L(θₖ₋₁) and ∇L(θₖ₋₁) *before* it updates
    θₖ₋₁ to θₖ, and reports to ``on_step`` *after* the update:

    1. when the parameters are θₖ₋₁ (at the start, or right after update k − 1), the recorder copies them
       and computes the decision regions;
    2. at step k's ``on_step`` it adds the loss, accuracy and gradients that training computed from θₖ₋₁.

    :meth:`finish` records the trained network, which training never evaluates, and builds the graphs.
    """

    def __init__(
        self,
        model: Module,
        inputs: Sequence[Sequence[float]],
        labels: Sequence[float],
        *,
        loss: Loss,
        every: int = 1,
        grid: int = GRID,
    ) -> None:
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"Recorder: every must be a whole number of at least 1, got {every!r}")
        if not isinstance(grid, int) or not 1 <= grid <= 200:
            raise ValueError(f"Recorder: grid must be a whole number from 1 to 200, got {grid!r}")
        if not inputs or len(inputs) != len(labels):
            raise ValueError(f"need one label per input and at least one input, got {len(inputs)} and {len(labels)}")
        if any(len(x) != 2 for x in inputs):
            raise ValueError("the explorer draws the plane, so every input must be a point (x, y)")
        self.model, self.loss, self.every, self.grid = model, loss, every, grid
        self.inputs = [[float(v) for v in x] for x in inputs]
        self.labels = list(labels)
        self.params = model.parameters()
        count = len(outputs_of(model, self.inputs[0]))
        self.binary = count == 1
        if self.binary:
            self.classes = [1 if label > 0 else 0 for label in labels]
            self.class_names = [f"label {_signed(v)}" for v in _binary_values(labels)]
        else:
            self.classes = [int(label) for label in labels]
            self.class_names = [f"class {k}" for k in range(count)]
        if len(self.class_names) > len(REGION_CODES) // LEVELS:
            raise ValueError(f"the explorer shows at most {len(REGION_CODES) // LEVELS} classes")
        self.bounds = bounds(self.inputs)
        self.curve: list[tuple[int, float, float]] = []
        self.frames: list[Frame] = []
        self.updates = 0  # updates done so far
        self._open: Frame | None = self._snapshot()
        self._recording: Recording | None = None

    def on_step(self, record: StepRecord) -> None:
        """Call after each update with the step's record: ``record.step`` counts steps from 1 and
        ``record.loss`` / ``record.accuracy`` are those of the parameters *before* that update."""
        if self._recording is not None:
            raise ValueError("this recorder has finished: make a new Recorder to record more training")
        if record.step != self.updates + 1:
            raise ValueError(f"steps must come in order: expected step {self.updates + 1}, got {record.step}")
        self.curve.append((record.step, float(record.loss), float(record.accuracy)))
        if self._open is not None:
            self._close(record.loss, record.accuracy, [p.grad for p in self.params])
        self.updates = record.step
        if self.updates % self.every == 0:
            self._open = self._snapshot()

    def finish(self, title: str = "") -> Recording:
        """Record the trained network (one more forward and backward pass, which leaves every ``.grad`` as
        it was) and the graphs the page draws; return the :class:`Recording` (the same one if called again)."""
        if self._recording is not None:
            return self._recording
        if self._open is None:
            self._open = self._snapshot()
        outputs = [self.model(x) for x in self.inputs]
        batch_loss = self.loss(predictions(outputs), self.labels)
        grads = [float(g) for g in gradients(batch_loss, self.params)]
        final_accuracy = accuracy(outputs, self.labels)
        self.curve.append((self.updates + 1, batch_loss.data, final_accuracy))
        self._close(batch_loss.data, final_accuracy, grads)
        names = [name for name, _ in self.model.named_parameters()]
        recording = Recording(
            title=title or "microdiff training explorer",
            model=repr(self.model),
            loss=getattr(self.loss, "__name__", "loss"),
            inputs=self.inputs,
            classes=self.classes,
            class_names=self.class_names,
            param_names=names if len(names) == len(self.params) else [f"p{k}" for k in range(len(self.params))],
            bounds=self.bounds,
            grid=self.grid,
            total_steps=self.updates,
            curve=self.curve,
            frames=self.frames,
        )
        recording.tapes, sources = graphs.class_tapes(self.model, self.loss, self.inputs, self.labels, self.classes)
        recording.drawings, recording.note = _drawings(sources)
        self._recording = recording
        return recording

    # The two halves of a recorded step ----------------------------------------------------------------

    def _snapshot(self) -> Frame:
        params = [p.data for p in self.params]
        regions = decision_regions(self.model, self.bounds, self.grid, self.binary)
        return Frame(self.updates + 1, math.nan, math.nan, params, [], regions)

    def _close(self, loss: float, accuracy: float, grads: list[Any]) -> None:
        frame = self._open
        assert frame is not None and frame.step == self.updates + 1
        frame.loss, frame.accuracy, frame.grads = float(loss), float(accuracy), [float(g) for g in grads]
        self.frames.append(frame)
        self._open = None


def _drawings(sources: list[str]) -> tuple[list[str], str]:
    """The units' drawings, and a note for the page when some or all are missing, saying why."""
    if sources and not any(sources):
        return [], "The graphviz package is missing, so the neurons cannot be expanded: pip install graphviz."
    try:
        drawings, complaints = graphs.render_drawings(sources)
    except DotNotFound:
        return (
            [],
            "Graphviz's dot program is not installed, so the neurons cannot be expanded: apt-get install graphviz.",
        )
    except DotTimedOut:
        return [], f"Graphviz's dot took more than {DOT_TIMEOUT:g} s, so the neurons cannot be expanded."
    if not complaints:
        return drawings, ""
    return drawings, (
        f"Graphviz's dot could not draw {len(complaints)} of the {len(sources)} units ({complaints[0]}), "
        "so they cannot be expanded."
    )


def record(
    model: Module,
    inputs: Sequence[Sequence[float]],
    labels: Sequence[float],
    *,
    steps: int,
    lr: float = 0.5,
    loss: Loss | None = None,
    every: int | None = None,
    grid: int = GRID,
    momentum: float = 0.0,
    title: str = "",
    on_step: Callable[[Any], None] | None = None,
) -> Recording:
    """Train ``model`` with SGD for ``steps`` full-batch steps and record the run for the explorer.

    ``loss`` defaults to the hinge loss for a network with one output (labels ±1) and cross-entropy
    for several outputs (labels 0, 1, 2…). ``every`` defaults to a value that keeps about
    :data:`MAX_FRAMES` steps. ``on_step`` also gets each step's record (to print progress).
    """
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"record: steps must be a whole number of at least 1, got {steps!r}")
    if not inputs:
        raise ValueError("record: inputs is empty; the explorer needs at least one point (x, y)")
    binary = len(outputs_of(model, inputs[0])) == 1
    loss = loss or (hinge_loss if binary else cross_entropy)
    every = every or max(1, math.ceil(steps / MAX_FRAMES))
    recorder = Recorder(model, inputs, labels, loss=loss, every=every, grid=grid)

    def watch(step: Any) -> None:
        recorder.on_step(step)
        if on_step is not None:
            on_step(step)

    train(model, inputs, labels, SGD(model.parameters(), lr=lr, momentum=momentum), steps, loss, on_step=watch)
    return recorder.finish(title)


def _binary_values(labels: Sequence[float]) -> list[float]:
    """The two labels of a binary task: the negative one (−1, or 0) and +1."""
    negative = min((v for v in labels if v <= 0), default=-1)
    return [negative, 1]


def _signed(v: float) -> str:
    """A label as a learner writes it: −1 as "-1", 1.0 as "+1", 0 as "0"."""
    return "0" if v == 0 else f"{v:+g}"
