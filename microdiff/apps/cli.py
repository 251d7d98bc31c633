"""The one convention every ``python -m microdiff`` command follows: its arguments, where it writes, how it fails.

What works for one command works for all of them (``demo``, ``graph``, ``explore``, ``names``, and any
command added later):

* **Arguments.** ``python -m microdiff COMMAND [OPTIONS]``; ``python -m microdiff COMMAND --help`` lists a
  command's options. Every number is checked before any work starts.
* **Output.** ``-o``/``--out PATH`` says where a command writes; by default the folder ``out/``. A command
  that writes several files (``demo``, ``names``) takes a folder. A command that writes one file (``graph``,
  ``explore``) takes a folder, where the file gets its usual name (``out/graph.svg``), or that file itself: a
  path with a suffix, such as ``out/f.svg``. A path ending in ``/``, or a folder that exists, is a folder. A
  suffix that a command cannot write is refused (``demo -o pictures.png``, ``graph --steps out/s.txt``).
  Missing folders are made, and checked to accept files, before any work is done: a command that fails
  leaves nothing behind. Every file is written whole (:mod:`microdiff.files`) and printed, ``wrote PATH``.
* **Errors.** Every failure is one line on stderr, ``microdiff COMMAND: error: WHAT``, and exit status 1:
  a value out of its range, argparse's own complaints (an unknown option, ``--steps abc``), a file that cannot
  be written, a missing optional library. A command raises :class:`CommandError` with the line's text;
  :func:`main` prints it (and turns an ``OSError`` into ``cannot write PATH: WHY``).
* **Free text.** A command's one text argument (``graph``'s expression) may begin with ``-``, as people type
  it: ``graph '-x' --at x=1``, ``graph -- '-x' --at x=1`` and ``graph --at x=1 -- '-x'`` are the same
  (``--`` says that the next argument is the text, whatever it looks like).

A command is a module with ``add_parser(subparsers)``, which calls :func:`add_command`, and a
``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from microdiff.files import replacing

PROGRAM = "microdiff"
#: Where every command writes unless told otherwise (git ignores it).
DEFAULT_OUT = "out"


class CommandError(Exception):
    """A failure that a command reports as one line (the message) with exit status 1."""


class Parser(argparse.ArgumentParser):
    """argparse's parser, with its complaints as :class:`CommandError` (one line, status 1), and one positional
    argument of free text that may begin with ``-`` (see :meth:`Parser.add_text_argument`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._takes_value: dict[str, bool] = {}  # each option string: does it take a value?
        self._text: tuple[str, Callable[[str], str]] | None = None  # (metavar, hint for a second text)
        super().__init__(*args, **kwargs)

    def add_argument(self, *names: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*names, **kwargs)
        self._takes_value |= dict.fromkeys(action.option_strings, action.nargs != 0)
        return action

    def add_text_argument(self, dest: str, metavar: str, help: str, hint: Callable[[str], str]) -> None:
        """The command's one argument of free text, which may begin with ``-``; ``hint(extra)`` says what to
        do with a second one (``graph 'x**2' x=3``: "give a variable's value with --at x=3")."""
        self.add_argument(dest, metavar=metavar, help=help)
        self._text = (metavar, hint)

    def error(self, message: str) -> NoReturn:
        """argparse's complaint as a :class:`CommandError`: one line, where argparse prints its usage and exits 2."""
        raise CommandError(f"{message} (see {self.prog} --help)")

    def text_last(self, args: list[str]) -> list[str]:
        """The arguments with the free text moved behind ``--``, where argparse never takes it for an option
        (the arguments as they are for a command without free text). :func:`main` parses these.

        An argument is an option when it is one of the parser's (``--name``, ``--name=value``, an unambiguous
        prefix of a long one, ``-o`` or ``-oVALUE``), and then the next argument is its value if it takes one;
        ``--`` makes the next argument text; any other ``--name`` is an unknown option, which argparse refuses;
        anything else is text (``-x``, ``-2*x``, ``x=3``).
        """
        if self._text is None:
            return args
        options: list[str] = []
        texts: list[str] = []
        arguments = iter(args)
        for argument in arguments:
            if argument == "--":
                following = next(arguments, None)
                if following is not None:
                    texts.append(following)
                continue
            option = self._option(argument)
            if option is None:
                texts.append(argument)
                continue
            options.append(argument)
            attached = "=" in argument if argument.startswith("--") else len(argument) > 2
            if self._takes_value.get(option, False) and not attached:
                value = next(arguments, None)
                if value is not None:
                    options.append(value)
        metavar, hint = self._text
        if len(texts) > 1:
            self.error(f"one {metavar} only, not also {', '.join(map(repr, texts[1:]))}: {hint(texts[1])}")
        return [*options, "--", *texts]

    def _option(self, argument: str) -> str | None:
        """The option string ``argument`` stands for (an unknown ``--name`` stands for itself), or ``None``
        when it is text."""
        if argument[:2] == "--" and argument[2:3].isalpha():  # --name: an option (argparse refuses an unknown one)
            name = argument.partition("=")[0]
            matches = [option for option in self._takes_value if option.startswith(name) and option[:2] == "--"]
            return name if name in self._takes_value else matches[0] if len(matches) == 1 else name
        short = argument[:2]
        return short if short in self._takes_value and (len(argument) == 2 or self._takes_value[short]) else None


def add_command(subparsers: Any, name: str, run: Callable[[argparse.Namespace], int], **kwargs: Any) -> Parser:
    """A command's parser, registered under ``name`` (``help`` and ``description`` in ``kwargs``)."""
    parser: Parser = subparsers.add_parser(name, **kwargs)
    parser.set_defaults(func=run)
    return parser


def add_out(parser: argparse.ArgumentParser, writes: str) -> None:
    """The option ``-o``/``--out PATH``, default ``out/``; ``writes`` says what the command writes there."""
    parser.add_argument("-o", "--out", default=f"{DEFAULT_OUT}/", metavar="PATH", help=f"{writes} (default: out/)")


def names_a_folder(path: str) -> bool:
    """Whether an output path names a folder: one that exists, a path ending in ``/``, or a name without a
    suffix (``out``, not ``out/f.svg``)."""
    return Path(path).is_dir() or path.endswith(("/", os.sep)) or not Path(path).suffix


def output_folder(path: str) -> Path:
    """The folder a command that writes several files writes into: ``--out PATH``, which must not name a file."""
    folder = Path(path)
    if not names_a_folder(path):
        raise CommandError(
            f"--out {path!r} names a file, but this command writes several: give a folder "
            f"(end it with / if the folder's name has a dot)"
        )
    return folder


def output_file(option: str, path: str, name: str, suffixes: Iterable[str] | None = None) -> Path:
    """The file a command that writes one file writes for ``option PATH``: ``PATH/name`` when PATH is a folder
    (it exists as one, ends in ``/``, or has no suffix), else PATH itself, whose suffix must be one of
    ``suffixes`` (any, when ``None``)."""
    given = Path(path)
    if names_a_folder(path):
        return given / name
    allowed = None if suffixes is None else [suffix.lower() for suffix in suffixes]
    if allowed is not None and given.suffix.lower() not in allowed:
        raise CommandError(
            f"{option} {path!r}: give a {' or '.join(allowed)} file, or a folder (a name without a suffix, or "
            f"ending in /)"
        )
    return given


def make_folders(folders: dict[Path, str]) -> None:
    """Make the output folders that do not exist yet and check that each accepts files, or refuse in one line
    before making any. Each folder comes with what the user gave for it, such as ``--out 'pictures'``, which
    the message names. Call it before any long work (training, drawing many pictures): a mistake costs nothing.
    """
    for folder, given in folders.items():
        existing = next(path for path in (folder, *folder.parents) if path.exists())
        if not existing.is_dir():
            raise CommandError(f"{given}: {str(existing)!r} is a file, not a folder")
    for folder, given in folders.items():
        if not folder.is_dir():
            try:
                folder.mkdir(parents=True)
            except OSError as error:
                raise CommandError(f"{given}: cannot create the folder {str(folder)!r}: {error.strerror}") from None
            print(f"created the folder {folder}")
        try:
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as error:
            raise CommandError(f"{given}: cannot write into the folder {str(folder)!r}: {error.strerror}") from None


def add_training_options(parser: Parser, steps_help: str, steps: int, seeds: str, temperature: float) -> None:
    """The options of a command that trains a model and samples from it: ``--steps``, ``--seed``,
    ``--temperature``, ``--save``, ``--no-trace`` and ``--quick`` (the command sets ``model_file``, the name
    ``--save`` gives the file in a folder)."""
    parser.add_argument("--steps", type=int, default=steps, help=f"{steps_help} (default: {steps})")
    parser.add_argument("--seed", type=int, default=0, help=f"seed for {seeds}")
    parser.add_argument(
        "--temperature", type=float, default=temperature, help=f"sampling temperature (default: {temperature})"
    )
    parser.add_argument("--save", metavar="PATH", help="also save the trained parameters: a .json file, or a folder")
    parser.add_argument(
        "--no-trace",
        action="store_true",
        help="build every step's graph instead of replaying a traced program (the same numbers, slower)",
    )
    parser.add_argument("--quick", action="store_true", help="a few steps, for tests")


def before_training(args: argparse.Namespace, steps: int) -> tuple[Path, Path | None]:
    """What a command that trains checks before it starts, so that no mistake costs a training run: ``steps`` at
    least 1, ``--temperature`` in (0, 100], the folder ``--out`` and ``--save`` (a ``.json`` file, or a folder for
    ``args.model_file``) made and writable, matplotlib there. Returns the output folder and the file to save to."""
    if steps < 1:
        raise CommandError(f"--steps must be at least 1, got {steps}")
    if not 0.0 < args.temperature <= 100.0:
        raise CommandError(f"--temperature must be a number in (0, 100], got {args.temperature}")
    out = output_folder(args.out)
    save = output_file("--save", args.save, args.model_file, [".json"]) if args.save else None
    folders = {out: f"--out {args.out!r}"}
    if save is not None:
        folders.setdefault(save.parent, f"--save {args.save!r}")
    if save is not None and save.is_dir():
        raise CommandError(f"--save {str(save)!r} is a folder")
    pyplot()  # found now, not after minutes of training: a missing matplotlib
    make_folders(folders)
    return out, save


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend (files only, no window): the one place the commands import it.
    Without matplotlib, the one-line error that says how to install it."""
    try:
        import matplotlib
    except ModuleNotFoundError:
        raise CommandError("the pictures need matplotlib: pip install 'microdiff[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig: Any, path: Path, tight: bool = True) -> Path:
    """Write matplotlib's figure ``fig`` to ``path`` as a PNG, atomically, and close it (``tight``: cropped to
    what is drawn); the one place the commands save a picture."""
    with replacing(path) as temporary:
        fig.savefig(temporary, format="png", dpi=120, bbox_inches="tight" if tight else None)
    pyplot().close(fig)
    return path


def fail(command: str | None, message: str) -> int:
    """Say ``message`` in one line on stderr, ``microdiff COMMAND: error: …``; return the exit status, 1."""
    print(f"{PROGRAM}{' ' + command if command else ''}: error: {' '.join(message.split())}", file=sys.stderr)
    return 1


def cannot_write(error: OSError) -> str:
    """An ``OSError`` of writing a file as one line: the path (the user's: see :mod:`microdiff.files`) and why."""
    if error.filename is not None:
        return f"cannot write {error.filename}: {error.strerror or error}"
    return str(error)


def main(argv: Sequence[str] | None, commands: dict[str, str], description: str, epilog: str) -> int:
    """Parse ``argv`` for the command it names (each of ``commands`` is a module), run it, and report any
    failure in one line. Each command parses its own arguments, so that its options and its free text
    never meet the top level's."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in commands else None
    try:
        parser = Parser(
            prog=f"python -m {PROGRAM}",
            description=description,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        parsers: dict[str, Parser] = {}
        for name, module in commands.items():
            try:
                importlib.import_module(module).add_parser(subparsers)
            except ModuleNotFoundError as missing:
                raise CommandError(f"it needs the {missing.name} package: pip install {missing.name}") from None
            parsers[name] = subparsers.choices[name]
        if command is None:
            parser.parse_args(argv)  # --help, or the one-line error: no command, or an unknown one
            return 0
        args = parsers[command].parse_args(parsers[command].text_last(argv[1:]))
        return int(args.func(args) or 0)
    except CommandError as error:
        return fail(command, str(error))
    except OSError as error:
        return fail(command, cannot_write(error))
