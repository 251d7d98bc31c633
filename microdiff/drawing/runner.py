"""The one place where microdiff runs Graphviz's ``dot``: DOT text in, a picture out, under a time limit.

Drawings (:class:`~microdiff.drawing.draw.Graph`), the Stepper, the explorer and the demo all draw
through :func:`run_dot`, so they fail alike, in one line each:

* :class:`DotNotFound` — the ``dot`` program is not installed (pip cannot install it);
* :class:`DotFailed` — ``dot`` stopped with an error (what it said is kept in ``said``, not shown);
* :class:`DotTimedOut` — ``dot`` did not finish within the time limit, and was stopped.

All three are :class:`DrawingError`\\ s. ``dot`` can take minutes on a modest graph where a few values
feed many operations, hence the limit (:data:`DOT_TIMEOUT`, or ``Graph.timeout`` for a drawing).

In a browser, under Pyodide, no program can run: there Graphviz compiled to WebAssembly draws instead
(:func:`microdiff.drawing.wasm.render`), and its failures are :class:`DrawingError`\\ s too.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

DOT_TIMEOUT = 60.0  # seconds; a 1,000-node network takes dot about 2 s

INSTALL_DOT = "apt-get install graphviz (Debian, Ubuntu) or brew install graphviz (macOS); pip cannot install it"


class DrawingError(RuntimeError):
    """Graphviz could not make the picture: one line saying why, without ``dot``'s own output."""


class DotNotFound(DrawingError):
    """Graphviz's ``dot`` program is not installed."""


class DotFailed(DrawingError):
    """``dot`` stopped with an error; ``said`` is the first line of what it wrote (its own words)."""

    def __init__(self, message: str, said: str = "") -> None:
        super().__init__(message)
        self.said = said


class DotTimedOut(DrawingError):
    """``dot`` did not finish within its time limit, and was stopped."""


def run_dot(source: str, format: str = "svg", *, engine: str = "dot", timeout: float = DOT_TIMEOUT) -> bytes:
    """The picture of the DOT ``source`` in ``format`` (``"svg"``, ``"png"``…), as ``dot -T<format>`` writes it.

    ``source`` may hold several graphs: ``dot`` draws each in turn (as SVG, one document after another).
    Raises :class:`DotNotFound`, :class:`DotFailed` or :class:`DotTimedOut`, each with a one-line message.
    """
    if sys.platform == "emscripten":  # in the browser (Pyodide) no program runs: Graphviz in WebAssembly draws
        wasm = importlib.import_module("microdiff.drawing.wasm")
        try:
            picture: bytes = wasm.render(source, format, engine)
        except wasm.BrowserDrawingError as error:
            raise DrawingError(str(error)) from None
        return picture
    try:
        done = subprocess.run(
            [engine, f"-T{format}"], input=source.encode("utf-8"), capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise DotNotFound(f"Graphviz's {engine} program is not installed: {INSTALL_DOT}") from None
    except subprocess.TimeoutExpired:
        raise DotTimedOut(
            f"{engine} did not finish drawing the graph within {timeout:g} s (Graph.timeout): "
            "draw a smaller graph, or collapse its composites"
        ) from None
    except OSError as error:  # found, but it cannot be run (not executable, say)
        raise DotFailed(f"{engine} could not be started: {error.strerror or error}") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().split("\n")[0][:200]
        raise DotFailed(f"{engine} could not draw the graph (it stopped with exit status {done.returncode})", said)
    return done.stdout
