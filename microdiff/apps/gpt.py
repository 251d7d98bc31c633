"""``python -m microdiff gpt``: train a GPT made of scalar Values on first names, and sample new ones.

The model is microgpt's (:class:`microdiff.nn.GPT`: 1 layer, 16 dimensions, 4 heads, block size 16, 4,192
parameters) and so is its training: one name per step, Adam with lr 0.01 and betas (0.85, 0.99), the rate
falling linearly to 0 over the run. Each step replays a traced program (one per length of name, see
:func:`microdiff.trace`), bit for bit what building the graph gives; ``--no-trace`` builds it instead.

The names are the 5,163 shipped with microdiff, a tenth held out, the same split as ``python -m microdiff
names``. The command prints a progress line (step, loss, rate, time left), then the held-out loss of the GPT
next to the bigram model's and the names MLP's (the one shipped in ``microdiff/data/names_model.json``, made by
``names --save``), on the same held-out names, and ten sampled names. It writes two pictures into ``--out``:

* ``gpt_loss.png`` — each step's loss, its running mean, and the three held-out losses;
* ``gpt_attention.png`` — each head's attention over a sampled name: row t shows how much position t
  looks at each position s ≤ t.

``--save PATH`` saves the trained parameters (a ``.json`` file, or a folder for ``gpt_model.json``). Every
argument is checked before training, and every failure is one line (:mod:`microdiff.apps.cli`).
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from microdiff.apps import cli
from microdiff.datasets import load_names
from microdiff.engine.trace import Index
from microdiff.engine.value import no_grad
from microdiff.nn import GPT, Adam, LinearLR, Progress, optimize
from microdiff.nn import language_model as lm
from microdiff.nn.gpt import sample
from microdiff.style import CLASS_COLOURS, DATA_COLOUR, LOSS_COLOUR

STEPS = 1000
HELD_OUT = 200  # held-out names the three models are compared on (the GPT reads ~70 ms a name without a graph)
NAMES_MODEL = Path(__file__).resolve().parents[1] / "data" / "names_model.json"


def add_parser(subparsers: Any) -> None:
    """Register the ``gpt`` command."""
    parser = cli.add_command(
        subparsers,
        "gpt",
        run,
        help="train a GPT made of scalar Values on first names and sample new ones",
        description="Train microgpt's model (4,192 parameters) on the shipped first names, one name a step, "
        "compare it with the bigram model and the names MLP on held-out names, sample new names, and write "
        "gpt_loss.png and gpt_attention.png into the folder --out.",
    )
    cli.add_out(parser, "the folder for the pictures")
    cli.add_training_options(parser, "training steps, one name each", STEPS, "the weights and the order of names", 0.5)
    parser.set_defaults(model_file="gpt_model.json")


def tokens(name: str, alphabet: str) -> list[int]:
    """A name as token ids between two boundary tokens (id 0, ``.``): ``"ada"`` → ``[0, 1, 4, 1, 0]``."""
    return [0, *(alphabet.index(ch) for ch in name), 0]


def indices(name: str, alphabet: str) -> list[Index]:
    """The name's tokens as :class:`~microdiff.Index` objects, which a traced program reads at every replay (the
    same graph in both modes, so traced and untraced runs give the same numbers to the last bit)."""
    return [Index(token) for token in tokens(name, alphabet)]


def held_out_loss(model: GPT, sequences: Sequence[list[int]]) -> float:
    """The mean cross-entropy per predicted token over ``sequences``, computed without building a graph."""
    total, count = 0.0, 0
    with no_grad():
        for sequence in sequences:
            n = min(model.block_size, len(sequence) - 1)
            total += model.loss(sequence).data * n
            count += n
    return total / count


def run(args: argparse.Namespace) -> int:
    """Check, train, compare, sample, plot; a failure is a :class:`~microdiff.apps.cli.CommandError`."""
    start = time.perf_counter()
    steps = 8 if args.quick else args.steps
    out, save = cli.before_training(args, steps)

    names = load_names()
    alphabet = lm.make_alphabet(names)
    training, validation = lm.split(names, seed=0)  # the names command's split, so the losses compare
    validation = validation[: 8 if args.quick else HELD_OUT]
    order = list(training)
    random.Random(args.seed).shuffle(order)
    model = GPT(len(alphabet), seed=args.seed)
    print(f"{len(training)} names to train on, one a step; {len(validation)} held out to compare on")
    print(f"training {len(model.parameters())} parameters: {model}")

    optimizer = Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
    decay = LinearLR(optimizer, start_factor=1.0, end_factor=0.0, total_iters=steps)

    def progress(p: Progress) -> None:
        if p.step == 1 or p.step % max(1, p.steps // 20) == 0 or p.step == p.steps:
            seconds = time.perf_counter() - start
            left = seconds / p.step * (p.steps - p.step)
            print(f"step {p.step:5d}/{p.steps}  loss {p.loss:.4f}  lr {p.lr:.5f}  ({seconds:.0f} s, {left:.0f} s left)")

    sequences = (indices(name, alphabet) for name in itertools.cycle(order))
    schedule = lambda k: decay.lr_at(k - 1)  # noqa: E731 (0.01 · (1 − (k − 1) / steps): microgpt's linear decay)
    losses = optimize(model.loss, sequences, optimizer, steps, schedule, progress, trace=not args.no_trace)

    held = [tokens(name, alphabet) for name in validation]
    gpt_loss = held_out_loss(model, held)
    x_train, y_train = lm.examples(training, alphabet)
    x_val, y_val = lm.examples(validation, alphabet)
    bigram = lm.Bigram(x_train, y_train, len(alphabet)).loss(x_val, y_val)
    mlp = lm.make_model(len(alphabet))
    mlp.load(NAMES_MODEL)
    mlp_loss = lm.evaluate(mlp, x_val, y_val)
    print(f"held-out loss per letter: GPT {gpt_loss:.4f}, names MLP {mlp_loss:.4f}, bigram {bigram:.4f}")

    rng = random.Random(args.seed)
    samples = ["".join(alphabet[t] for t in sample(model, rng, args.temperature)) for _ in range(10)]
    known = set(names)
    shown = [f"{s}*" if s in known else s for s in samples]
    print(f"ten new names (temperature {args.temperature:g}; * = in the data): {', '.join(shown)}")

    if save is not None:
        model.save(save)
        print(f"saved the parameters to {save}")
    picked = max(samples, key=len) or "a"
    written = [
        plot_losses(losses, {"GPT": gpt_loss, "names MLP": mlp_loss, "bigram": bigram}, out / "gpt_loss.png"),
        plot_attention(model.attention_map(tokens(picked, alphabet)[:-1])[0], picked, out / "gpt_attention.png"),
    ]
    print(f"wrote {', '.join(map(str, written))} ({time.perf_counter() - start:.0f} s in all)")
    return 0


def plot_losses(losses: Sequence[float], held_out: dict[str, float], path: Path) -> Path:
    """Each step's loss (one name), its running mean over 50 steps, and each model's held-out loss."""
    plt = cli.pyplot()
    steps = range(1, len(losses) + 1)
    window = [losses[max(0, k - 49) : k + 1] for k in range(len(losses))]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(steps, losses, color=LOSS_COLOUR, alpha=0.2, linewidth=0.8, label="loss of the step's name")
    ax.plot(steps, [sum(w) / len(w) for w in window], color=LOSS_COLOUR, label="running mean (50 steps)")
    colours = [DATA_COLOUR, CLASS_COLOURS[1], CLASS_COLOURS[0]]
    for (model, loss), colour in zip(held_out.items(), colours):
        ax.axhline(loss, color=colour, linestyle="--", label=f"{model}, held out ({loss:.3f})")
    ax.set(title="A GPT on scalars learning names", xlabel="step", ylabel="cross-entropy per letter (nats)")
    ax.grid(alpha=0.3)
    ax.legend()
    return cli.save_png(fig, path)


def plot_attention(rows: list[list[list[float]]], name: str, path: Path) -> Path:
    """One heatmap per head: row t, column s is how much position t attends to position s (0 for s > t)."""
    plt = cli.pyplot()
    labels = [".", *name]
    n = len(rows[0])
    fig, axes = plt.subplots(1, len(rows), figsize=(3.2 * len(rows), 3.4), squeeze=False)
    for head, (ax, weights) in enumerate(zip(axes[0], rows)):
        grid = [row + [0.0] * (n - len(row)) for row in weights]
        ax.imshow(grid, cmap="Blues", vmin=0.0, vmax=1.0)
        ax.set_xticks(range(n), labels[:n])
        ax.set_yticks(range(n), labels[:n])
        ax.set(title=f"head {head}", xlabel="attends to", ylabel="position" if head == 0 else "")
    fig.suptitle(f"Attention over “{name}” (row: the position predicting the next letter)")
    return cli.save_png(fig, path)
