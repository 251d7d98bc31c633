"""``python -m microdiff explore``: train an MLP on a 2-D dataset and write the explorer page.

The page goes to ``out/explorer_DATASET.html`` unless ``-o`` names another folder or a ``.html`` file. The
command follows the convention of every command (:mod:`microdiff.apps.cli`): every argument and the output
folder are checked before training starts, and every failure is one line on stderr naming the command, with
exit status 1: a number that is not one, or out of its range (``--lr inf``), an output that cannot be written.
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

from microdiff import datasets
from microdiff.apps import cli
from microdiff.apps.cli import CommandError
from microdiff.explore.recording import record
from microdiff.nn import MLP

#: Each dataset, with a network and a learning rate that learn it in a few hundred steps.
DATASETS: dict[str, dict[str, Any]] = {
    "moons": {"sizes": [16, 16], "lr": 0.5},
    "circles": {"sizes": [16, 16], "lr": 0.5},
    "xor": {"sizes": [8, 8], "lr": 0.5},
    "spiral": {"sizes": [16, 16], "lr": 0.5},
}
#: The ranges the command accepts: enough for any lesson, small enough to finish and to open in a browser.
MAX_STEPS, MAX_POINTS, MAX_WIDTH, MAX_LAYERS, MAX_LR = 10_000, 1_000, 64, 4, 10.0


def add_parser(subparsers: Any) -> None:
    """Register the ``explore`` command (numbers are read as text and checked by :func:`run`, so that a
    bad one is a one-line error saying its range)."""
    parser = cli.add_command(
        subparsers,
        "explore",
        run,
        help="record a training run as one self-contained web page",
        description="Train an MLP on a 2-D dataset and write the training explorer page (open it in a browser).",
    )
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="moons", help="the data (default: moons)")
    parser.add_argument("--steps", default="100", help=f"training steps, 1 to {MAX_STEPS} (default: 100)")
    parser.add_argument("--every", default=None, help="record every k-th step (default: about 100 recorded)")
    parser.add_argument("--points", default="100", help=f"data points, 10 to {MAX_POINTS} (default: 100)")
    parser.add_argument("--hidden", default=None, help="hidden layer sizes, e.g. 16,16 (default: per dataset)")
    parser.add_argument("--lr", default=None, help=f"learning rate, above 0 and at most {MAX_LR:g} (default: 0.5)")
    parser.add_argument("--seed", default="0", help="seed for the data and the weights (default: 0)")
    cli.add_out(parser, "the folder for explorer_DATASET.html, or the page's .html file")


def whole(text: str, name: str, low: int, high: int) -> int:
    """``text`` as a whole number from ``low`` to ``high``, or a :class:`CommandError` naming ``name``."""
    try:
        value = int(text)
    except ValueError:
        raise CommandError(f"{name} takes a whole number from {low} to {high}, got {text!r}") from None
    if not low <= value <= high:
        raise CommandError(f"{name} must be from {low} to {high}, got {value}")
    return value


def learning_rate(text: str) -> float:
    """``text`` as a learning rate: a finite number above 0 and at most :data:`MAX_LR`."""
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f"--lr takes a number, got {text!r}") from None
    if not (math.isfinite(value) and 0 < value <= MAX_LR):
        raise CommandError(f"--lr must be a finite number above 0 and at most {MAX_LR:g}, got {text}")
    return value


def hidden_sizes(text: str) -> list[int]:
    """``"16,16"`` as ``[16, 16]``: one to :data:`MAX_LAYERS` sizes from 1 to :data:`MAX_WIDTH`."""
    parts = text.split(",")
    if len(parts) > MAX_LAYERS:
        raise CommandError(f"--hidden takes at most {MAX_LAYERS} sizes, got {text!r}")
    try:
        sizes = [int(part) for part in parts]
    except ValueError:
        raise CommandError(f"--hidden takes sizes separated by commas, e.g. 16,16; got {text!r}") from None
    if not all(1 <= size <= MAX_WIDTH for size in sizes):
        raise CommandError(f"--hidden takes sizes from 1 to {MAX_WIDTH}, e.g. 16,16; got {text!r}")
    return sizes


def run(args: argparse.Namespace) -> int:
    """Check the arguments and the output folder, make the data, train while recording, write the page."""
    settings = DATASETS[args.dataset]
    steps = whole(args.steps, "--steps", 1, MAX_STEPS)
    points_count = whole(args.points, "--points", 10, MAX_POINTS)
    every = None if args.every is None else whole(args.every, "--every", 1, steps)
    sizes = settings["sizes"] if args.hidden is None else hidden_sizes(args.hidden)
    lr = settings["lr"] if args.lr is None else learning_rate(args.lr)
    seed = whole(args.seed, "--seed", 0, 2**32 - 1)
    out = cli.output_file("--out", args.out, f"explorer_{args.dataset}.html", [".html", ".htm"])
    if out.is_dir():
        raise CommandError(f"--out {str(out)!r} is a folder; give a file name, e.g. {str(out / 'explorer.html')!r}")
    cli.make_folders({out.parent: f"--out {args.out!r}"})
    make = getattr(datasets, f"make_{args.dataset}")  # make_moons, make_circles, make_xor, make_spiral
    points, labels = make(points_count, seed=seed)
    classes = len(set(labels))
    model = MLP(2, [*sizes, 1 if classes == 2 else classes], activation="relu", seed=seed)
    start = time.perf_counter()
    print(f"training {model} on {len(points)} {args.dataset} points for {steps} steps, recording as we go")

    def progress(step: Any) -> None:
        if step.step == 1 or step.step % max(1, steps // 10) == 0 or step.step == steps:
            print(
                f"step {step.step:4d}/{steps}  loss {step.loss:.4f}  accuracy {step.accuracy:6.1%}"
                f"  ({time.perf_counter() - start:.1f} s)",
                flush=True,
            )

    recording = record(
        model, points, labels, steps=steps, lr=lr, every=every, title=f"{args.dataset}: {model}", on_step=progress
    )
    path = recording.save(out)
    print(
        f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB, {len(recording.frames)} recorded steps); "
        f"open it in a browser"
    )
    return 0
