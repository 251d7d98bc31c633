"""``python -m microdiff demo``: train a small network on two moons and draw what it learned.

The recipe is micrograd's: a 2-16-16-1 relu MLP, 100 two-moons points, the hinge loss, a little L2
weight decay, and plain SGD whose learning rate falls linearly from 1.0 towards 0.1 (1 − 0.9·k/steps at
step k + 1, micrograd's schedule). The step is traced once and replayed (``train(..., trace=True)``): the
numbers graph mode gives, to the last bit, faster. Four files go to ``--out``:

* ``decision_boundary.png`` — the plane coloured by the network's score, the boundary (score 0), the data;
* ``loss.png`` — the loss and the accuracy at each step k = 1…N, as the console prints them (both
  measured in step k, before its update);
* ``neuron_graph.png`` — the computational graph of one neuron after a backward pass (needs Graphviz's
  ``dot``; without it the DOT text goes to ``neuron_graph.dot``);
* ``explorer.html`` — the training explorer: one self-contained page to watch the run step by step
  (:mod:`microdiff.explore`).

The colours are those of :mod:`microdiff.style` (label −1 blue, +1 red). The command follows the
convention of every command (:mod:`microdiff.apps.cli`): the folder is made and checked before training,
every file is written atomically and printed, and a failure is one line on stderr.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from microdiff.apps import cli
from microdiff.datasets import Point, make_moons
from microdiff.drawing.draw import draw
from microdiff.drawing.runner import DrawingError
from microdiff.engine.value import Value
from microdiff.explore import Recorder
from microdiff.files import write_atomically
from microdiff.nn import MLP, SGD, Neuron, hinge_loss
from microdiff.nn.training import Step, evaluate_accuracy, predict, train
from microdiff.style import ACCURACY_COLOUR, LOSS_COLOUR, class_colour


def add_parser(subparsers: Any) -> None:
    """Register the ``demo`` command."""
    parser = cli.add_command(
        subparsers,
        "demo",
        run,
        help="train an MLP on two moons and write pictures",
        description="Train a 2-16-16-1 MLP on 100 two-moons points with the hinge loss and SGD, print its progress, "
        "and write decision_boundary.png, loss.png, neuron_graph.png and the training explorer explorer.html "
        "into the folder --out.",
    )
    cli.add_out(parser, "the folder for the pictures and the explorer page")
    parser.add_argument("--steps", type=int, default=50, help="training steps (default: 50)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the data and the initial weights (default: 0)")
    parser.add_argument("--quick", action="store_true", help="a few steps and coarse pictures, for tests")


def run(args: argparse.Namespace) -> int:
    """Check, train, report, draw; a failure is a :class:`~microdiff.apps.cli.CommandError` (one line)."""
    start = time.perf_counter()
    steps = 5 if args.quick else args.steps
    if steps < 1:
        raise cli.CommandError(f"--steps must be at least 1, not {steps}")
    cli.pyplot()  # before training: a missing matplotlib fails at once
    out = cli.output_folder(args.out)
    cli.make_folders({out: f"--out {args.out!r}"})  # and so does a folder that cannot be made
    points, labels = make_moons(100, noise=0.1, seed=args.seed)
    model = MLP(2, [16, 16, 1], activation="relu", seed=args.seed)
    optimizer = SGD(model.parameters(), lr=1.0, weight_decay=2e-4)
    print(f"training {model} ({len(model.parameters())} parameters) on {len(points)} two-moons points")
    recorder = Recorder(model, points, labels, loss=hinge_loss, grid=15 if args.quick else 40)  # every step

    def report(record: Step) -> None:
        recorder.on_step(record)
        if record.step == 1 or record.step % 5 == 0 or record.step == steps:
            print(
                f"step {record.step:3d}/{steps}  loss {record.loss:.4f}  accuracy {record.accuracy:6.1%}  "
                f"lr {record.lr:.3f}  ({time.perf_counter() - start:.1f} s)",
                flush=True,
            )

    schedule = lambda k: 1.0 - 0.9 * (k - 1) / steps  # noqa: E731 (the rate falls from 1.0 to 0.1)
    history = train(model, points, labels, optimizer, steps, hinge_loss, schedule, report, trace=True)
    final = evaluate_accuracy(model, points, labels)
    print(f"final accuracy {final:.1%} on the training points, after {time.perf_counter() - start:.1f} s")

    written = [
        plot_decision_boundary(model, points, labels, out / "decision_boundary.png", grid=15 if args.quick else 40),
        plot_history(history, out / "loss.png"),
        draw_neuron(model.layers[0].neurons, points, out / "neuron_graph"),
        recorder.finish(title=f"two moons: {model}").save(out / "explorer.html"),
    ]
    for path in written:
        print(f"wrote {path}")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


def plot_decision_boundary(model: MLP, points: Sequence[Point], labels: Sequence[int], path: Path, grid: int) -> Path:
    """Colour the plane by the model's score on a ``grid`` × ``grid`` mesh; draw the boundary and the data."""
    plt = cli.pyplot()
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs) - 0.5, max(xs) + 0.5, min(ys) - 0.5, max(ys) + 0.5
    gx = [x0 + (x1 - x0) * i / (grid - 1) for i in range(grid)]
    gy = [y0 + (y1 - y0) * j / (grid - 1) for j in range(grid)]
    scores = predict(model, [(x, y) for y in gy for x in gx])
    # The hinge loss stops caring once |score| passes 1, so scores past ±3 share the end colours.
    z = [[max(-3.0, min(3.0, scores[j * grid + i][0])) for i in range(grid)] for j in range(grid)]
    fig, ax = plt.subplots(figsize=(6, 5))
    # Blue below 0 and red above, the colours of the labels −1 and +1 (RdBu reversed runs blue to red).
    filled = ax.contourf(gx, gy, z, levels=[-3 + 0.5 * k for k in range(13)], cmap="RdBu_r", alpha=0.75)
    ax.contour(gx, gy, z, levels=[0.0], colors="black", linewidths=1.5)
    fig.colorbar(filled, ax=ax, label="score, clipped to ±3 (the boundary is score 0)")
    for label, marker in ((-1, "o"), (1, "s")):
        colour = class_colour(label, binary=True)
        chosen = [p for p, y in zip(points, labels) if y == label]
        ax.scatter(
            [p[0] for p in chosen],
            [p[1] for p in chosen],
            c=colour,
            marker=marker,
            edgecolors="white",
            linewidths=0.8,
            s=36,
            label=f"label {label:+d}",
        )
    ax.set(title="Decision boundary of the trained MLP", xlabel="x", ylabel="y")
    ax.legend(loc="lower left")
    return cli.save_png(fig, path)


def plot_history(history: Sequence[Step], path: Path) -> Path:
    """The loss and the accuracy at each step k = 1…N, side by side: as the console prints them, each
    measured in step k before its update, so step 1 shows the untrained network."""
    plt = cli.pyplot()
    steps = [record.step for record in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    left.plot(steps, [record.loss for record in history], color=LOSS_COLOUR, marker=".")
    left.set(title="Hinge loss", xlabel="step (before its update)", ylabel="loss", ylim=(0, None))
    right.plot(steps, [100 * record.accuracy for record in history], color=ACCURACY_COLOUR, marker=".")
    right.set(title="Training accuracy", xlabel="step (before its update)", ylabel="accuracy (%)", ylim=(0, 101))
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.set_xlim(0.5, max(steps) + 0.5)
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    return cli.save_png(fig, path, tight=False)


def draw_neuron(neurons: Sequence[Neuron], points: Sequence[Point], stem: Path) -> Path:
    """Draw one first-layer neuron on one data point, after backward: d output / d each weight.

    The neuron is the first one active somewhere (relu passes its sum on, so the gradients are not 0), the
    point the one where its output is largest.
    """
    neuron = next((n for n in neurons if any(n(p).data > 0.0 for p in points)), neurons[0])
    point = max(points, key=lambda p: neuron(p).data)
    x = [Value(coordinate, label=f"x{i}") for i, coordinate in enumerate(point)]
    out = neuron(x)
    out.label = "out"
    neuron.zero_grad()  # the weights still hold the last training step's gradients
    out.backward()
    graph = draw(out, edge_derivatives=True, title="One neuron, relu(w0·x0 + w1·x1 + b), after out.backward()")
    try:
        return graph.write(stem.with_suffix(".png"))
    except DrawingError as error:  # dot missing, failing or too slow: the one line says which
        print(f"note: {error}; wrote the DOT text instead")
        return write_atomically(stem.with_suffix(".dot"), graph.source)
