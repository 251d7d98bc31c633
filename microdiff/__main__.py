"""``python -m microdiff COMMAND``: the package's commands.

Each command lives in its own module, which provides ``add_parser(subparsers)`` and sets ``func``:

* ``demo``    — train an MLP on two moons and write pictures (:mod:`microdiff.apps.demo`);
* ``graph``   — draw an expression's graph with its gradients (:mod:`microdiff.apps.graph`);
* ``explore`` — record a training run as one self-contained web page (:mod:`microdiff.explore`);
* ``names``   — train a character-level language model of names and sample new ones (:mod:`microdiff.apps.names`).
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "demo": "microdiff.apps.demo",
    "graph": "microdiff.apps.graph",
    "explore": "microdiff.explore",
    "names": "microdiff.apps.names",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m microdiff", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    try:
        for module in COMMANDS.values():
            importlib.import_module(module).add_parser(subparsers)
    except ModuleNotFoundError as missing:  # drawing and plotting are optional extras
        raise SystemExit(f"python -m microdiff needs {missing.name}: pip install {missing.name}") from None
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
