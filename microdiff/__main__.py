"""``python -m microdiff COMMAND``: the package's commands.

Each command lives in its own module, which provides ``add_parser(subparsers)`` and ``run(args)``; all of
them follow one convention for arguments, output and errors (:mod:`microdiff.apps.cli`):

* ``demo``    — train an MLP on two moons and write pictures (:mod:`microdiff.apps.demo`);
* ``graph``   — draw an expression's graph with its gradients (:mod:`microdiff.apps.graph`);
* ``explore`` — record a training run as one self-contained web page (:mod:`microdiff.apps.explore`);
* ``names``   — train a character-level language model of names and sample new ones (:mod:`microdiff.apps.names`);
* ``gpt``     — train a GPT made of scalar Values on the names and draw its attention (:mod:`microdiff.apps.gpt`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from microdiff.apps import cli

COMMANDS = {
    "demo": "microdiff.apps.demo",
    "graph": "microdiff.apps.graph",
    "explore": "microdiff.apps.explore",
    "names": "microdiff.apps.names",
    "gpt": "microdiff.apps.gpt",
}
DESCRIPTION = "microdiff's commands: draw an expression's graph, train small networks and watch them learn."
EPILOG = """\
Every command writes into the folder out/ unless -o/--out says where: a folder, or, for a command that
writes one file (graph, explore), that file, such as -o out/f.svg. Every failure is one line on stderr
with exit status 1. python -m microdiff COMMAND --help lists a command's options."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command that ``argv`` names (default: the process's arguments); return the exit status."""
    return cli.main(argv, COMMANDS, DESCRIPTION, EPILOG)


if __name__ == "__main__":
    sys.exit(main())
