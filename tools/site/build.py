"""Build the static site: the lessons in JupyterLite (the browser runs Python) and the documentation.

    python tools/site/build.py                  # site/: docs at the top, the lessons live in site/lite/
    python tools/site/build.py --check OUT      # OUT/: the lite app only, lessons with their solutions as code

Everything comes from PyPI and npm, at the versions pinned here and in ``tools/site/package-lock.json``, and
is copied into the site, so that nothing is fetched from anywhere else when a learner opens it:

* **Pyodide** (npm ``pyodide``: CPython compiled to WebAssembly) — the runtime only. Its lock file names 356
  packages it does not ship; the kernel needs 16 of them, which come from PyPI as pure-Python wheels. The lock
  is cut down to those, with their file names and sha256 rewritten (Pyodide's own builds differ byte for byte).
* **The lessons' packages** as wheels served by JupyterLite's *piplite* index: microdiff built from this
  checkout, graphviz, hypothesis, altair and their pure-Python dependencies. Two of altair's dependencies are
  compiled on PyPI: markupsafe is built from its source with ``CC=false`` (its setup then falls back to pure
  Python), and jsonschema is kept at 4.17.3, whose pyrsistent has a pure wheel (later versions need rpds-py).
* **Graphviz in WebAssembly** (npm ``@viz-js/viz``), which :mod:`microdiff.drawing.wasm` loads to draw.

Each lesson's site copy starts with a cell that installs those packages from the site. The documentation is
Sphinx (myst-nb for the lessons, autodoc for the API) built with ``-W --keep-going -n`` (a warning or an
unresolved reference fails it), and every internal link and picture of the built site is then checked.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import documentation  # tools/site/documentation.py
import nbformat
from lessons import browser_copy  # tools/site/lessons.py

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NOTEBOOKS = ROOT / "notebooks"
FIXTURES = ROOT / "tests" / "site" / "fixtures"
CACHE = ROOT / "build" / "site-cache"
PYTHON = sys.executable

# The wheels the lessons install in the browser (pure Python, for any Python 3): exact versions, so that a
# build today and one next year serve the same code. altair 6 needs Python >= 3.9; 5.5 fails on Pyodide's 3.14.
LESSON_WHEELS = [
    "altair==6.3.0",
    "attrs==26.1.0",
    "comm==0.2.3",
    "graphviz==0.21",
    "hypothesis==6.155.7",  # the newest release with a pure-Python wheel
    "jinja2==3.1.6",
    "jsonschema==4.17.3",  # the last one without rpds-py (compiled, no WebAssembly wheel on PyPI)
    "narwhals==2.29.0",
    "pyrsistent==0.20.0",
    "sortedcontainers==2.4.0",
    "typing-extensions==4.16.0",
]
BUILT_FROM_SOURCE = ["markupsafe==3.0.3"]  # compiled on PyPI; CC=false makes its setup build the pure fallback
# What Pyodide itself needs to start a kernel, at the versions its lock file names (with their dependencies).
KERNEL_PACKAGES = ["micropip", "ipython", "jedi", "packaging"]
PURE = ["--only-binary=:all:", "--platform", "any", "--implementation", "py", "--abi", "none"]

LITE = "lite"  # the lite app's folder inside the site
LESSONS_FOLDER = "lessons"  # the lessons' folder inside the lite app's files


def run(command: list[str], **options: object) -> None:
    """Run ``command``, echoing it; stop the build in one line if it fails."""
    print("+", " ".join(str(part) for part in command), flush=True)
    done = subprocess.run(command, check=False, **options)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise SystemExit(
            f"build: {command[0]} {command[1] if len(command) > 1 else ''} failed (exit status {done.returncode})"
        )


def npm_packages() -> Path:
    """node_modules with the pinned Pyodide and viz.js (``npm ci``: exactly the lock file's tarballs)."""
    folder = CACHE / "npm"
    lock = HERE / "package-lock.json"
    stamp = folder / "node_modules" / ".installed-from"
    if not stamp.exists() or stamp.read_text() != lock.read_text():
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(HERE / name, folder / name)
        run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder)
        stamp.write_text(lock.read_text())
    return folder / "node_modules"


def downloaded(requirements: list[str], folder: Path, python_version: str) -> list[Path]:
    """Pure-Python wheels of exactly ``requirements`` (no dependencies: the lists here are complete)."""
    folder.mkdir(parents=True, exist_ok=True)
    missing = [req for req in requirements if not _wheel_for(req, folder)]
    if missing:
        run([PYTHON, "-m", "pip", "download", "-q", "--no-deps", *PURE, "--python-version", python_version,
             "-d", str(folder), *missing])  # fmt: skip
    return [_wheel_for(req, folder) or Path() for req in requirements]


def _wheel_for(requirement: str, folder: Path) -> Path | None:
    name, version = requirement.split("==")
    stem = re.sub(r"[-_.]+", "_", name).lower()
    return next((p for p in folder.glob("*.whl") if p.name.lower().startswith(f"{stem}-{version}-")), None)


def built_from_source(requirements: list[str], folder: Path) -> list[Path]:
    """Pure wheels built from sdists whose C speed-ups are optional, with the C compiler made to fail."""
    folder.mkdir(parents=True, exist_ok=True)
    missing = [req for req in requirements if not _wheel_for(req, folder)]
    if missing:
        run([PYTHON, "-m", "pip", "wheel", "-q", "--no-deps", "--no-binary=:all:", "-w", str(folder), *missing],
            env=os.environ | {"CC": "false"})  # fmt: skip
    wheels = [_wheel_for(req, folder) or Path() for req in requirements]
    for wheel in wheels:
        if not wheel.name.endswith("-none-any.whl"):
            raise SystemExit(f"build: {wheel.name} is not a pure-Python wheel")
    return wheels


def microdiff_wheel(folder: Path) -> Path:
    """A wheel of this checkout's microdiff, built fresh."""
    shutil.rmtree(folder, ignore_errors=True)
    run([PYTHON, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(folder), str(ROOT)])
    return next(folder.glob("microdiff-*.whl"))


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyodide_runtime(node_modules: Path, target: Path) -> str:
    """Pyodide's runtime in ``target`` with the kernel's wheels, and a lock file that names only those.
    Returns Pyodide's Python version, e.g. ``"3.14"``."""
    shutil.copytree(node_modules / "pyodide", target)
    lock = json.loads((target / "pyodide-lock.json").read_text(encoding="utf-8"))
    packages = lock["packages"]
    by_name = {_normal(name): name for name in packages}
    needed: set[str] = set()
    todo = list(KERNEL_PACKAGES)
    while todo:
        name = by_name[_normal(todo.pop())]
        if name not in needed:
            needed.add(name)
            todo.extend(packages[name]["depends"])
    python = ".".join(lock["info"]["python"].split(".")[:2])
    pins = [f"{name}=={packages[name]['version']}" for name in sorted(needed)]
    for name, wheel in zip(sorted(needed), downloaded(pins, CACHE / "kernel-wheels", python)):
        shutil.copy(wheel, target / wheel.name)
        packages[name] |= {"file_name": wheel.name, "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest()}
    lock["packages"] = {name: packages[name] for name in sorted(needed)}
    (target / "pyodide-lock.json").write_text(json.dumps(lock, indent=1), encoding="utf-8")
    return python


def pages(target: Path) -> list[Path]:
    """The explorer and a Stepper page, made by microdiff's own commands."""
    target.mkdir(parents=True, exist_ok=True)
    run([PYTHON, "-m", "microdiff", "explore", "--steps", "60", "-o", str(target / "explorer.html")])
    run([PYTHON, "-m", "microdiff", "graph", "3*x**2 + x*y + 5*y**2", "--at", "x=2", "--at", "y=3",
         "-o", str(target / "f.svg"), "--steps", str(target / "stepper.html")])  # fmt: skip
    return [target / "explorer.html", target / "stepper.html"]


def lite_app(out: Path, lessons: Iterable[Path], solutions: bool) -> None:
    """Build the JupyterLite app into ``out`` from a fresh folder of its inputs."""
    node_modules = npm_packages()
    work = CACHE / "lite-input"
    shutil.rmtree(work, ignore_errors=True)
    (work / "files" / LESSONS_FOLDER).mkdir(parents=True)
    python = pyodide_runtime(node_modules, work / "static" / "pyodide")
    wheels = work / "pypi"
    wheels.mkdir()
    cached = CACHE / "wheels"
    for wheel in [
        *downloaded(LESSON_WHEELS, cached, python),
        *built_from_source(BUILT_FROM_SOURCE, cached),
        microdiff_wheel(CACHE / "microdiff-wheel"),
    ]:
        shutil.copy(wheel, wheels / wheel.name)
    for path in lessons:
        nbformat.write(browser_copy(path, solutions), work / "files" / LESSONS_FOLDER / path.name)
    config = {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "microdiff lessons",
            "exposeAppInBrowser": True,  # window.jupyterapp: the site's check drives the lessons through it
            "litePluginSettings": {
                "@jupyterlite/pyodide-kernel-extension:kernel": {"disablePyPIFallback": True},
            },
        },
    }
    (work / "jupyter-lite.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    jupyter = Path(PYTHON).with_name("jupyter")
    run([str(jupyter), "lite", "build", "--no-sourcemaps", "--output-dir",
         str(out.resolve())], cwd=work)  # fmt: skip
    viz = out / "static" / "viz-js"  # where microdiff.drawing.wasm looks (the lite build copies only Pyodide)
    viz.mkdir()
    shutil.copy(node_modules / "@viz-js" / "viz" / "dist" / "viz.js", viz / "viz.js")
    settings = json.loads((out / "jupyter-lite.json").read_text(encoding="utf-8"))["jupyter-config-data"]
    url = settings["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"].get("pyodideUrl", "")
    if not url.startswith("./"):
        raise SystemExit(f"build: the lite app would load Pyodide from {url or 'its default CDN'}, not the site")


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site", help="the site's folder (default: site/)")
    parser.add_argument(
        "--check", action="store_true", help="build only the lite app, the lessons with their solutions as code "
        "cells and the fixtures of tests/site/fixtures, for tools/site/run_lessons.py",
    )  # fmt: skip
    args = parser.parse_args(argv)
    start = time.perf_counter()
    lessons = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    shutil.rmtree(args.out, ignore_errors=True)
    if args.check:
        lite_app(args.out, [*lessons, *sorted(FIXTURES.glob("*.ipynb"))], solutions=True)
    else:
        mathjax = npm_packages() / "mathjax" / "es5" / "tex-svg-full.js"
        documentation.build(args.out, lessons, live=f"../{LITE}/lab/index.html?path={LESSONS_FOLDER}/", mathjax=mathjax)
        pages(args.out / "pages")
        lite_app(args.out / LITE, lessons, solutions=False)
        documentation.check_links(args.out)
        (args.out / ".nojekyll").touch()  # GitHub Pages would otherwise hide the _static/ and _images/ folders
    print(f"built {args.out} in {time.perf_counter() - start:.0f} s: {folder_size(args.out) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
