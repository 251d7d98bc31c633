"""``python -m microdiff names``: train a character-level language model of names and sample new ones.

The data are the 5,163 first names shipped with microdiff (:func:`microdiff.datasets.load_names`), a
tenth held out for validation. The command prints the bigram baseline's validation loss (from counts),
trains the neural model (:mod:`microdiff.nn.language_model`, its step traced once and replayed unless
``--no-trace``) with a progress line, prints its validation
loss and ten sampled names, and writes two pictures into the folder ``--out``:

* ``names_loss.png`` — the minibatch loss at each step, its running mean, and both validation losses;
* ``names_embeddings.png`` — where each letter's learned embedding lies, seen flat (vowels in red).

``--save PATH`` also saves the trained parameters (:meth:`~microdiff.nn.Module.save`): to a ``.json`` file, or
into a folder as ``names_model.json``. The command follows the convention of every command
(:mod:`microdiff.apps.cli`): every argument and output folder is checked before training starts, and a
failure is one line on stderr.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from microdiff.apps import cli
from microdiff.datasets import load_names
from microdiff.nn import Progress
from microdiff.nn import language_model as lm
from microdiff.style import CLASS_COLOURS, DATA_COLOUR, LOSS_COLOUR

VOWELS = set("aeiouy")


def add_parser(subparsers: Any) -> None:
    """Register the ``names`` command."""
    parser = cli.add_command(
        subparsers,
        "names",
        run,
        help="train a character-level language model of names and sample new ones",
        description="Train a makemore-style language model made of scalar Values on 5,163 first names, compare it "
        "with the bigram model on held-out names, sample new names, and write names_loss.png and "
        "names_embeddings.png into the folder --out.",
    )
    cli.add_out(parser, "the folder for the pictures")
    cli.add_training_options(parser, "training steps", lm.STEPS, "the split, the weights and the batches", 1.0)
    parser.set_defaults(model_file="names_model.json")


def run(args: argparse.Namespace) -> int:
    """Check, count, train, compare, sample, plot; a failure is a :class:`~microdiff.apps.cli.CommandError`."""
    start = time.perf_counter()
    steps = 20 if args.quick else args.steps
    out, save = cli.before_training(args, steps)

    names = load_names()
    training, validation = lm.split(names, seed=args.seed)
    alphabet = lm.make_alphabet(names)
    x_train, y_train = lm.examples(training, alphabet)
    x_val, y_val = lm.examples(validation, alphabet)
    bigram = lm.Bigram(x_train, y_train, len(alphabet)).loss(x_val, y_val)
    print(f"{len(training)} names to train on ({len(x_train)} examples), {len(validation)} held out")
    print(f"bigram model (counts, add-one smoothing): validation loss {bigram:.4f}")

    model = lm.make_model(len(alphabet), seed=args.seed)
    lm.start_from_frequencies(model, y_train)
    print(f"training {len(model.parameters())} parameters: {' → '.join(map(repr, model))}")

    def progress(p: Progress) -> None:
        if p.step == 1 or p.step % max(1, p.steps // 10) == 0 or p.step == p.steps:
            seconds = time.perf_counter() - start
            print(
                f"step {p.step:5d}/{p.steps}  minibatch loss {p.loss:.4f}  lr {p.lr:.4f}  ({seconds:.1f} s)", flush=True
            )

    losses = lm.train(model, x_train, y_train, steps, seed=args.seed, on_step=progress, trace=not args.no_trace)
    loss = lm.evaluate(model, x_val, y_val)
    verdict = "below" if loss < bigram else "NOT below"
    print(f"neural model: validation loss {loss:.4f}, {verdict} the bigram model's {bigram:.4f}")

    rng = random.Random(args.seed)
    known = set(names)
    samples = [lm.sample(model, alphabet, rng, temperature=args.temperature) for _ in range(10)]
    marked = [f"{s}*" if s in known else s for s in samples]
    print(f"ten new names (temperature {args.temperature:g}; * = in the data): {', '.join(marked)}")

    if save is not None:
        model.save(save)
        print(f"saved the parameters to {save}")
    written = [
        plot_losses(losses, bigram, loss, out / "names_loss.png"),
        plot_embeddings(lm.embeddings(model), alphabet, out / "names_embeddings.png"),
    ]
    print(f"wrote {', '.join(map(str, written))} ({time.perf_counter() - start:.1f} s in all)")
    return 0


def plot_losses(losses: Sequence[float], bigram: float, validation: float, path: Path) -> Path:
    """Each step's minibatch loss, its running mean over 50 steps, and the two validation losses."""
    plt = cli.pyplot()
    steps = range(1, len(losses) + 1)
    window = [losses[max(0, k - 49) : k + 1] for k in range(len(losses))]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(steps, losses, color=LOSS_COLOUR, alpha=0.25, linewidth=0.8, label="minibatch loss")
    ax.plot(steps, [sum(w) / len(w) for w in window], color=LOSS_COLOUR, label="running mean (50 steps)")
    ax.axhline(bigram, color=CLASS_COLOURS[0], linestyle="--", label=f"bigram, validation ({bigram:.3f})")
    ax.scatter([len(losses)], [validation], color=DATA_COLOUR, zorder=3, label=f"model, validation ({validation:.3f})")
    ax.set(title="Learning to predict the next letter", xlabel="step", ylabel="cross-entropy (nats)")
    ax.grid(alpha=0.3)
    ax.legend()
    return cli.save_png(fig, path)


def plot_embeddings(rows: Sequence[Sequence[float]], alphabet: str, path: Path) -> Path:
    """Each character where its embedding lies, seen flat (:func:`~microdiff.nn.language_model.plane`):
    vowels red, consonants blue, "." black."""
    plt = cli.pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    for (x, y), ch in zip(lm.plane(rows), alphabet):
        colour = DATA_COLOUR if ch == lm.EDGE else CLASS_COLOURS[1] if ch in VOWELS else CLASS_COLOURS[0]
        ax.scatter(x, y, s=320, color=colour, alpha=0.85)
        ax.text(x, y, ch, ha="center", va="center", color="white", fontsize=11, fontweight="bold")
    flat = "" if len(rows[0]) <= 2 else f" ({len(rows[0])}-D, seen along its two main directions)"
    ax.set(title=f"Learned letter embeddings{flat}\nvowels and y in red", xlabel="direction 1", ylabel="direction 2")
    ax.grid(alpha=0.3)
    return cli.save_png(fig, path)
