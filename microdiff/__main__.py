"""``python -m microdiff COMMAND``: the package's commands.

Each command lives in its own module, which provides ``add_parser(subparsers)`` and sets ``func``:

* ``demo``    — train an MLP on two moons and write pictures (:mod:`microdiff.demo`);
* ``graph``   — draw an expression's graph with its gradients (:mod:`microdiff.graph_command`);
* ``explore`` — record a training run as one self-contained web page (:mod:`microdiff.explore`).
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ("demo", "graph", "explore")
MODULES = {"demo": "microdiff.demo", "graph": "microdiff.graph_command", "explore": "microdiff.explore"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m microdiff", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(MODULES[name])
        except ModuleNotFoundError as error:
            if error.name != MODULES[name]:
                raise
            continue  # a command still being written
        module.add_parser(subparsers)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
