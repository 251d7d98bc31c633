"""The training explorer: record a training run, then watch it in one self-contained web page.

Training a network is a loop of forward, loss, backward and update. This module watches that loop and
keeps, every ``every``-th step, what a learner wants to look at afterwards:

* the loss and the accuracy (these at *every* step, they are cheap);
* the parameters' values and gradients;
* the decision regions: the class the network predicts on a coarse grid over the plane, and how sure it is.

:meth:`Recording.save` writes all of it as **one HTML file** with inline SVG, JavaScript and CSS, no
external URL at all, so it opens from disk (``file://``) and can be mailed around. The page has a slider
and a play button over the recorded steps, the data over the regions, the loss and accuracy curves, and
the **computational graph of one data point** (drawn by :func:`microdiff.drawing.draw.draw`, a box per neuron)
with each node's data and gradient at the chosen step. Click a data point to see its graph; hover or
click a parameter to see its value and gradient through training.

How the page shows any point's graph at any step without storing thousands of graphs: the structure of
a point's graph is the same at every step, only the numbers change. So the page holds, per class, the
graph once as a drawing plus a *tape* (the nodes in topological order, each with its operation and
inputs), and replays the tape in JavaScript, forward then backward, with the recorded parameters of the
chosen step and the chosen point's coordinates. The JavaScript applies the same table of operations and
local derivatives as :mod:`microdiff.engine.ops`. (Where a composite picks a formula by sign, tanh or softplus,
the tape keeps the formula of the drawn point; the other formula is the same function, so the numbers
agree to rounding as long as no exponential overflows.)

The recorded state of step *n* is the network after *n* updates: its parameters θₙ, the loss L(θₙ), the
accuracy and the gradient ∇L(θₙ) that the next update follows. Training computes exactly these numbers,
so recording reuses them instead of computing them again::

    recorder = Recorder(model, points, labels, loss=hinge_loss, every=5)
    train(model, points, labels, optimizer, steps=100, loss=hinge_loss, on_step=recorder.on_step)
    recorder.finish(title="two moons").save("explorer.html")

or, all in one, ``record(model, points, labels, steps=100, lr=0.5).save("explorer.html")``. In Jupyter a
:class:`Recording` shows the page inline. From a shell::

    python -m microdiff explore --dataset moons --steps 100 -o explorer.html
"""

from __future__ import annotations

import argparse
import base64
import gzip
import html
import json
import math
import operator
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from microdiff.engine.reverse import gradients, topological_order
from microdiff.engine.value import Value, no_grad
from microdiff.nn import MLP, Module
from microdiff.nn.losses import cross_entropy, hinge_loss
from microdiff.nn.optim import SGD
from microdiff.nn.training import Loss, accuracy, train

#: Cells per side of the grid on which the decision regions are recorded.
GRID = 40
#: ``record`` picks ``every`` so that a run keeps at most about this many steps.
MAX_FRAMES = 100
#: How sure the network is in a grid cell, in this many levels (0: a coin toss, 7: certain).
LEVELS = 8
#: One character per grid cell: the predicted class times LEVELS plus the level (so up to 8 classes).
REGION_CODES = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#: The page's HTML, CSS and JavaScript; the recording goes into it as JSON.
TEMPLATE = "page.html"


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
    """The state of the network after ``step`` updates: what the page shows at one slider position.

    ``params`` and ``grads`` follow ``model.parameters()``; ``grads`` is ∇L(params) for the whole batch,
    the gradient the next update follows. ``regions`` holds one character per grid cell (see
    :data:`REGION_CODES`), row by row from the bottom left.
    """

    step: int
    loss: float
    accuracy: float
    params: list[float]
    grads: list[float]
    regions: str


@dataclass
class Tape:
    """One data point's loss graph, flattened for the page to replay forward and backward.

    ``nodes`` are in topological order, as :func:`~microdiff.drawing.draw.draw` numbers them (the drawing's node
    ``n12`` is ``nodes[12]``). Each is ``["p", k]`` (parameter k), ``["x", j]`` (the point's coordinate
    j), ``["c", number]`` (a constant), or ``[op, i, ...]``: an operation of :mod:`microdiff.engine.ops` on
    earlier nodes. The last node is the point's loss; ``outputs`` are the network's scores (logits).
    ``drawing`` indexes :attr:`Recording.drawings`; classes whose graphs differ only in constants share one.
    """

    cls: int
    nodes: list[list[Any]]
    outputs: list[int]
    drawing: int


@dataclass
class Recording:
    """A recorded training run: everything the explorer page shows. ``save`` writes the page."""

    title: str
    model: str
    loss: str
    inputs: list[list[float]]
    classes: list[int]
    class_names: list[str]
    param_names: list[str]
    bounds: tuple[float, float, float, float]
    grid: int
    curve: list[tuple[int, float, float]] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)
    tapes: list[Tape] = field(default_factory=list)
    drawings: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def steps(self) -> list[int]:
        """The recorded steps, in order: 0, every, 2·every, … and the last."""
        return [frame.step for frame in self.frames]

    def frame(self, step: int) -> Frame:
        """The recorded state after ``step`` updates (``KeyError`` if that step was not recorded)."""
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
            "curve": [list(point) for point in self.curve],
            "frames": [
                {
                    "step": f.step,
                    "loss": f.loss,
                    "accuracy": f.accuracy,
                    "params": f.params,
                    "grads": f.grads,
                    "regions": f.regions,
                }
                for f in self.frames
            ],
            "tapes": [{"cls": t.cls, "nodes": t.nodes, "outputs": t.outputs, "drawing": t.drawing} for t in self.tapes],
            "drawings": self.drawings,
            "note": self.note,
        }

    def to_html(self) -> str:
        """The explorer page: one self-contained HTML document (no external URL, works from ``file://``)."""
        template = resources.files("microdiff.explore").joinpath(TEMPLATE).read_text(encoding="utf-8")
        data = json.dumps(_finite(self.to_json()), separators=(",", ":"))
        data = data.replace("</", "<\\/")  # a "</script>" inside a string must not end the script element
        return template.replace("{{TITLE}}", html.escape(self.title)).replace("{{RECORDING}}", data)

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (folders are created) and return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_html(), encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        """Jupyter shows the page inline, in an iframe that keeps its script and style apart from the notebook."""
        page = html.escape(self.to_html(), quote=True)
        return f'<iframe srcdoc="{page}" style="width:100%;height:1150px;border:1px solid #ddd"></iframe>'


class Recorder:
    """Watches a training loop and records every ``every``-th step; pass :meth:`on_step` to ``train``.

    Recording happens in two halves, because a training step computes L(θₙ) and ∇L(θₙ) *before* it
    updates θₙ to θₙ₊₁, and reports to ``on_step`` *after* the update:

    1. when the parameters are θₙ (at the start, or right after update n), the recorder copies them and
       computes the decision regions;
    2. at the next ``on_step`` it adds the loss, accuracy and gradients that training computed from θₙ.

    :meth:`finish` completes the last state, which training never evaluates, and builds the graphs.
    """

    def __init__(
        self,
        model: Module,
        inputs: Sequence[Sequence[float]],
        labels: Sequence[int],
        *,
        loss: Loss,
        every: int = 1,
        grid: int = GRID,
    ) -> None:
        if every < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        if not inputs or len(inputs) != len(labels):
            raise ValueError(f"need one label per input and at least one input, got {len(inputs)} and {len(labels)}")
        if any(len(x) != 2 for x in inputs):
            raise ValueError("the explorer draws the plane, so every input must be a point (x, y)")
        self.model, self.loss, self.every, self.grid = model, loss, every, grid
        self.inputs = [[float(v) for v in x] for x in inputs]
        self.labels = list(labels)
        self.params = model.parameters()
        self.binary = len(_outputs(model, self.inputs[0])) == 1
        if self.binary:
            self.classes = [1 if label > 0 else 0 for label in labels]
            self.class_names = [f"label {v:+d}" if v else "label 0" for v in _binary_values(labels)]
        else:
            self.classes = [int(label) for label in labels]
            count = len(_outputs(model, self.inputs[0]))
            self.class_names = [f"class {k}" for k in range(count)]
        if len(self.class_names) > len(REGION_CODES) // LEVELS:
            raise ValueError(f"the explorer shows at most {len(REGION_CODES) // LEVELS} classes")
        self.bounds = _bounds(self.inputs)
        self.curve: list[tuple[int, float, float]] = []
        self.frames: list[Frame] = []
        self.step = 0  # updates done so far
        self._open: Frame | None = self._snapshot()
        self._recording: Recording | None = None

    def on_step(self, record: StepRecord) -> None:
        """Call after each update with the step's record: ``record.step`` counts updates from 1 and
        ``record.loss`` / ``record.accuracy`` are those of the parameters *before* that update."""
        if self._recording is not None:
            raise ValueError("this recorder has finished: make a new Recorder to record more training")
        if record.step != self.step + 1:
            raise ValueError(f"steps must come in order: expected step {self.step + 1}, got {record.step}")
        self.curve.append((self.step, float(record.loss), float(record.accuracy)))
        if self._open is not None:
            self._close(record.loss, record.accuracy, [p.grad for p in self.params])
        self.step = record.step
        if self.step % self.every == 0:
            self._open = self._snapshot()

    def finish(self, title: str = "") -> Recording:
        """Record the final state (one more forward and backward pass, which leaves every ``.grad`` as
        it was) and the graphs the page draws; return the :class:`Recording` (the same one if called again)."""
        if self._recording is not None:
            return self._recording
        if self._open is None:
            self._open = self._snapshot()
        outputs = [self.model(x) for x in self.inputs]
        batch_loss = self.loss(_for_loss(outputs, self.binary), self.labels)
        grads = [float(g) for g in gradients(batch_loss, self.params)]
        final_accuracy = accuracy(outputs, self.labels)
        self.curve.append((self.step, batch_loss.data, final_accuracy))
        self._close(batch_loss.data, final_accuracy, grads)
        recording = Recording(
            title=title or "microdiff training explorer",
            model=repr(self.model),
            loss=getattr(self.loss, "__name__", "loss"),
            inputs=self.inputs,
            classes=self.classes,
            class_names=self.class_names,
            param_names=_parameter_names(self.model),
            bounds=self.bounds,
            grid=self.grid,
            curve=self.curve,
            frames=self.frames,
        )
        _add_graphs(recording, self.model, self.loss, self.inputs, self.labels, self.classes, self.binary)
        self._recording = recording
        return recording

    # The two halves of a recorded step ----------------------------------------------------------------

    def _snapshot(self) -> Frame:
        params = [p.data for p in self.params]
        regions = decision_regions(self.model, self.bounds, self.grid, self.binary)
        return Frame(self.step, math.nan, math.nan, params, [], regions)

    def _close(self, loss: float, accuracy: float, grads: list[Any]) -> None:
        frame = self._open
        assert frame is not None and frame.step == self.step
        frame.loss, frame.accuracy, frame.grads = float(loss), float(accuracy), [float(g) for g in grads]
        self.frames.append(frame)
        self._open = None


def record(
    model: Module,
    inputs: Sequence[Sequence[float]],
    labels: Sequence[int],
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
    binary = len(_outputs(model, inputs[0])) == 1
    loss = loss or (hinge_loss if binary else cross_entropy)
    every = every or max(1, math.ceil(steps / MAX_FRAMES))
    recorder = Recorder(model, inputs, labels, loss=loss, every=every, grid=grid)

    def watch(step: Any) -> None:
        recorder.on_step(step)
        if on_step is not None:
            on_step(step)

    train(model, inputs, labels, SGD(model.parameters(), lr=lr, momentum=momentum), steps, loss, on_step=watch)
    return recorder.finish(title)


# ---------------------------------------------------------------------------------------------------
# Decision regions
# ---------------------------------------------------------------------------------------------------


def grid_points(bounds: tuple[float, float, float, float], grid: int) -> list[tuple[float, float]]:
    """The centres of the ``grid`` × ``grid`` cells over ``bounds`` (x0, x1, y0, y1), row by row from the bottom."""
    x0, x1, y0, y1 = bounds
    dx, dy = (x1 - x0) / grid, (y1 - y0) / grid
    return [(x0 + (i + 0.5) * dx, y0 + (j + 0.5) * dy) for j in range(grid) for i in range(grid)]


def decision_regions(model: Module, bounds: tuple[float, float, float, float], grid: int, binary: bool) -> str:
    """The predicted class and its confidence level in each grid cell, one character per cell.

    A binary network predicts the positive class where its score s > 0, with confidence tanh(|s|/2)
    (which is 2·sigmoid(|s|) − 1). A network with K outputs predicts the class of its largest logit,
    with confidence (p − 1/K)/(1 − 1/K) where p is that class's softmax probability.
    """
    forward = _float_forward(model)
    codes = []
    for point in grid_points(bounds, grid):
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


#: Each activation of :mod:`microdiff.nn` on plain floats: the same function as the Value version.
FLOAT_ACTIVATIONS: dict[str, Callable[[float], float]] = {
    "relu": lambda t: t if t > 0.0 else 0.0,
    "tanh": math.tanh,
    "sigmoid": lambda t: 1.0 / (1.0 + math.exp(-t)) if t >= 0 else math.exp(t) / (1.0 + math.exp(t)),
    "linear": lambda t: t,
}


def _float_forward(model: Module) -> Callable[[Sequence[float]], list[float]]:
    """The model as a function of plain floats: an MLP computed with floats, which is some fifty times
    faster than building Values (the regions need thousands of forward passes per recorded step).
    Any other model runs as itself under ``no_grad``."""
    if not isinstance(model, MLP) or any(
        n.activation not in FLOAT_ACTIVATIONS for layer in model.layers for n in layer.neurons
    ):
        return lambda x: [out.data for out in _outputs(model, x)]
    layers = [
        [([w.data for w in n.w], n.b.data, FLOAT_ACTIVATIONS[n.activation]) for n in layer.neurons]
        for layer in model.layers
    ]

    def forward(x: Sequence[float]) -> list[float]:
        values = list(x)
        for layer in layers:
            values = [act(b + sum(map(operator.mul, ws, values))) for ws, b, act in layer]
        return values

    return forward


# ---------------------------------------------------------------------------------------------------
# One point's graph: the tape the page replays, and its drawing
# ---------------------------------------------------------------------------------------------------


def point_graph(
    model: Module, loss: Loss, point: Sequence[float], label: int, binary: bool
) -> tuple[Value, list[Value], list[Value]]:
    """Forward one point through ``model`` and its loss: return the loss, the network's outputs, and the
    two input leaves (``x0``, ``x1``, Values so that their gradients show too)."""
    xs = [Value(float(v), label=f"x{j}") for j, v in enumerate(point)]
    outputs = model(xs)
    return loss(_for_loss([outputs], binary), [label]), outputs, xs


def make_tape(
    root: Value, params: Sequence[Value], inputs: Sequence[Value], outputs: Sequence[Value]
) -> list[list[Any]]:
    """Flatten the graph of ``root`` into the page's tape (see :class:`Tape`)."""
    order = topological_order(root)
    index = {id(node): i for i, node in enumerate(order)}
    param_index = {id(p): k for k, p in enumerate(params)}
    input_index = {id(x): j for j, x in enumerate(inputs)}
    nodes: list[list[Any]] = []
    for node in order:
        if node.parents:
            nodes.append([node.op, *(index[id(parent)] for parent in node.parents)])
        elif id(node) in param_index:
            nodes.append(["p", param_index[id(node)]])
        elif id(node) in input_index:
            nodes.append(["x", input_index[id(node)]])
        else:  # a constant, such as the 1 of the hinge loss
            nodes.append(["c", node.data])
    missing = [o for o in outputs if id(o) not in index]
    if missing:
        raise ValueError("the loss does not depend on every output of the network")
    return nodes


def _add_graphs(
    recording: Recording,
    model: Module,
    loss: Loss,
    inputs: list[list[float]],
    labels: list[int],
    classes: list[int],
    binary: bool,
) -> None:
    """One tape per class present in the data, from its first point; one drawing per distinct structure."""
    params = model.parameters()
    shapes: dict[str, int] = {}
    drawn: list[Value] = []
    for cls in sorted(set(classes)):
        first = classes.index(cls)
        root, outputs, xs = point_graph(model, loss, inputs[first], labels[first], binary)
        nodes = make_tape(root, params, xs, outputs)
        order = topological_order(root)
        index = {id(node): i for i, node in enumerate(order)}
        shape = json.dumps([node if node[0] != "c" else ["c"] for node in nodes])  # the structure, not constants
        if shape not in shapes:
            shapes[shape] = len(drawn)
            drawn.append(root)
        recording.tapes.append(Tape(cls, nodes, [index[id(o)] for o in outputs], shapes[shape]))
    try:
        recording.drawings = [_packed_drawing(root) for root in drawn]
    except Exception as error:  # no graphviz package, or no dot program: the page explains, the rest works
        recording.drawings = []
        recording.note = f"The graph could not be drawn: {error}. Install Graphviz's dot (apt-get install graphviz)."


def _packed_drawing(root: Value) -> str:
    """``draw(root)`` as SVG, trimmed for inline use and gzip-compressed in base64.

    The page inflates it with the browser's ``DecompressionStream``: a 2-16-16-1 network's graph has
    some 1,600 nodes, about 1.4 MB of SVG, but only about 0.2 MB compressed.
    """
    from microdiff.drawing.draw import draw  # imported here: graphviz is an optional dependency

    grads = dict(zip(topological_order(root), gradients(root, topological_order(root))))
    svg = draw(root, grads=grads).pipe(format="svg", encoding="utf-8")
    svg = svg[svg.index("<svg") :]  # drop the XML declaration and DOCTYPE (with its DTD's URL)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)  # HTML gives inline <svg> its namespace anyway
    svg = re.sub(r'\s*font-family="[^"]*"', "", svg)  # the page's CSS sets the font once
    svg = re.sub(r">\s+<", "><", svg)
    return base64.b64encode(gzip.compress(svg.encode("utf-8"), mtime=0)).decode("ascii")


# ---------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------


def _outputs(model: Module, x: Sequence[Any]) -> list[Value]:
    with no_grad():
        return model(x)


def _for_loss(outputs: list[list[Value]], binary: bool) -> Any:
    """A binary network's loss takes one score per example; a multi-class one takes the list of logits."""
    return [out[0] for out in outputs] if binary else outputs


def _binary_values(labels: Sequence[int]) -> list[int]:
    negative = min((v for v in labels if v <= 0), default=-1)
    return [negative, 1]


def _bounds(inputs: list[list[float]]) -> tuple[float, float, float, float]:
    """The data's bounding box with a margin of a tenth of its size on each side (at least 0.1)."""
    xs, ys = [x for x, _ in inputs], [y for _, y in inputs]
    mx, my = max(0.1, (max(xs) - min(xs)) / 10), max(0.1, (max(ys) - min(ys)) / 10)
    return (min(xs) - mx, max(xs) + mx, min(ys) - my, max(ys) + my)


def _parameter_names(model: Module) -> list[str]:
    """ "layer 2, neuron 5: w3" for an MLP's parameters; otherwise "p7 (label)"."""
    if isinstance(model, MLP):
        return [
            f"layer {i + 1}, neuron {j + 1}: {p.label}"
            for i, layer in enumerate(model.layers)
            for j, neuron in enumerate(layer.neurons)
            for p in neuron.parameters()
        ]
    return [f"p{k}" + (f" ({p.label})" if p.label else "") for k, p in enumerate(model.parameters())]


def _finite(data: Any) -> Any:
    """JSON has no NaN or infinity: write them as null (the page reads null as "not a number")."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(value) for value in data]
    return data


# ---------------------------------------------------------------------------------------------------
# The command: python -m microdiff explore
# ---------------------------------------------------------------------------------------------------

#: Each dataset, with a network and a learning rate that learn it in a few hundred steps.
DATASETS: dict[str, dict[str, Any]] = {
    "moons": {"sizes": [16, 16], "lr": 0.5},
    "circles": {"sizes": [16, 16], "lr": 0.5},
    "xor": {"sizes": [8, 8], "lr": 0.5},
    "spiral": {"sizes": [16, 16], "lr": 0.5},
}


def add_parser(subparsers: Any) -> None:
    """Register the ``explore`` command."""
    parser = subparsers.add_parser(
        "explore",
        help="record a training run as one self-contained web page",
        description="Train an MLP on a 2-D dataset and write the training explorer page (open it in a browser).",
    )
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="moons", help="the data (default: moons)")
    parser.add_argument("--steps", type=int, default=100, help="training steps (default: 100)")
    parser.add_argument("--every", type=int, default=None, help="record every k-th step (default: ~100 recorded)")
    parser.add_argument("--points", type=int, default=100, help="number of data points (default: 100)")
    parser.add_argument("--hidden", default=None, help="hidden layer sizes, e.g. 16,16 (default: per dataset)")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (default: per dataset)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the data and the weights (default: 0)")
    parser.add_argument("-o", "--out", default="explorer.html", help="the page to write (default: explorer.html)")
    parser.set_defaults(func=run)


def _hidden_sizes(text: str) -> list[int] | None:
    """``"16,16"`` as ``[16, 16]``; ``None`` when it is not a list of whole numbers of at least 1."""
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        return None
    return sizes if all(size >= 1 for size in sizes) else None


def run(args: argparse.Namespace) -> int:
    """Make the data, train while recording, write the page."""
    from microdiff import datasets

    settings = DATASETS[args.dataset]
    sizes = _hidden_sizes(args.hidden) if args.hidden else settings["sizes"]
    for bad, message in [
        (args.steps < 1, "--steps must be at least 1"),
        (args.points < 10, "--points must be at least 10"),
        (args.every is not None and args.every < 1, "--every must be at least 1"),
        (args.lr is not None and not args.lr > 0, "--lr must be greater than 0"),
        (sizes is None, f"--hidden takes sizes of at least 1 separated by commas, e.g. 16,16; got {args.hidden!r}"),
    ]:
        if bad:
            raise SystemExit(f"microdiff explore: error: {message}")
    assert sizes is not None
    make = getattr(datasets, f"make_{args.dataset}")  # make_moons, make_circles, make_xor, make_spiral
    points, labels = make(args.points, seed=args.seed)
    classes = len(set(labels))
    model = MLP(2, [*sizes, 1 if classes == 2 else classes], activation="relu", seed=args.seed)
    start = time.perf_counter()
    print(f"training {model} on {len(points)} {args.dataset} points for {args.steps} steps, recording as we go")

    def progress(step: Any) -> None:
        if step.step % max(1, args.steps // 10) == 0 or step.step == args.steps:
            print(
                f"step {step.step:4d}  loss {step.loss:.4f}  accuracy {step.accuracy:6.1%}"
                f"  ({time.perf_counter() - start:.1f} s)",
                flush=True,
            )

    recording = record(
        model,
        points,
        labels,
        steps=args.steps,
        lr=settings["lr"] if args.lr is None else args.lr,
        every=args.every,
        title=f"{args.dataset}: {model}",
        on_step=progress,
    )
    path = recording.save(args.out)
    print(
        f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB, {len(recording.frames)} recorded steps); "
        f"open it in a browser"
    )
    return 0
