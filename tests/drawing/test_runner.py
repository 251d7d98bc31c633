"""The one dot runner (microdiff/drawing/runner.py): drawings, the Stepper, the explorer and the demo run
Graphviz's ``dot`` through it, with one time limit and the same one-line errors; under Pyodide it hands
the drawing to Graphviz in WebAssembly instead.

The failures are made with a ``dot`` of our own, first on the PATH, so no test here needs the real one
except where marked.
"""

import sys
import types
from pathlib import Path

import pytest

from microdiff import Value
from microdiff.drawing import runner
from microdiff.drawing.draw import draw
from microdiff.drawing.runner import DotFailed, DotNotFound, DotTimedOut, DrawingError, run_dot
from microdiff.drawing.stepper import Stepper
from microdiff.explore import graphs

SOURCE = "digraph { a -> b }"


def fake_dot(folder: Path, script: str) -> str:
    """A PATH whose first ``dot`` runs ``script`` (a shell script's body)."""
    program = folder / "dot"
    program.write_text(f"#!/bin/sh\n{script}\n")
    program.chmod(0o755)
    return f"{folder}:/usr/bin:/bin"


def one_line(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text and text
    return text


def small_graph() -> Value:
    x = Value(2.0, label="x")
    y = x * x + 3 * x
    y.backward()
    return y


def test_without_dot_every_caller_says_so_in_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no dot anywhere
    with pytest.raises(DotNotFound) as missing:
        run_dot(SOURCE)
    assert "apt-get install graphviz" in one_line(missing.value) and "brew install graphviz" in str(missing.value)
    with pytest.raises(DotNotFound):
        draw(small_graph()).pipe(format="svg")
    with pytest.raises(DotNotFound):
        graphs.render_drawings([SOURCE])
    assert draw(small_graph())._repr_svg_() is None  # Jupyter falls back to the DOT text


def test_a_failing_dot_is_one_line_and_keeps_its_own_words_apart(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", fake_dot(tmp_path, "echo 'Error: syntax error in line 1' >&2; exit 3"))
    with pytest.raises(DotFailed) as failed:
        run_dot(SOURCE, "png")
    assert one_line(failed.value) == "dot could not draw the graph (it stopped with exit status 3)"
    assert failed.value.said == "Error: syntax error in line 1"
    drawings, complaints = graphs.render_drawings([SOURCE, SOURCE])  # the explorer: each drawing alone, then
    assert drawings == ["", ""] and complaints == ["Error: syntax error in line 1"] * 2


def test_a_slow_dot_is_stopped_at_the_time_limit(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", fake_dot(tmp_path, "exec sleep 30"))
    with pytest.raises(DotTimedOut) as slow:
        run_dot(SOURCE, timeout=0.2)
    assert one_line(slow.value).startswith("dot did not finish drawing the graph within 0.2 s")
    assert isinstance(slow.value, DrawingError) and runner.DOT_TIMEOUT == 60


def test_under_pyodide_graphviz_in_webassembly_draws(monkeypatch):
    """In the browser no program runs: the runner calls ``microdiff.drawing.wasm.render`` (the site's
    viz.js), and its failures are one-line DrawingErrors too."""
    calls = []

    class BrowserDrawingError(RuntimeError):
        pass

    def render(source, format="svg", engine="dot"):
        calls.append((source, format, engine))
        if "boom" in source:
            raise BrowserDrawingError("viz.js could not draw the graph: syntax error")
        return b"<svg>drawn</svg>"

    wasm = types.ModuleType("microdiff.drawing.wasm")
    wasm.render, wasm.BrowserDrawingError = render, BrowserDrawingError
    monkeypatch.setitem(sys.modules, "microdiff.drawing.wasm", wasm)
    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setenv("PATH", "")  # no dot is run: there is none
    graph = draw(small_graph())
    assert graph.pipe(format="svg", encoding="utf-8") == "<svg>drawn</svg>"
    assert calls == [(graph.source, "svg", "dot")]
    assert "<svg>drawn</svg>" in Stepper(small_graph()).html()
    with pytest.raises(DrawingError, match="^viz.js could not draw the graph: syntax error$"):
        run_dot("boom")


@pytest.mark.needs_dot
def test_the_real_dot_draws_through_the_runner():
    assert run_dot(SOURCE).startswith(b"<?xml") and run_dot(SOURCE, "png").startswith(b"\x89PNG")
    two = run_dot(f"{SOURCE}\n{SOURCE}").decode()
    assert two.count("<svg") == 2  # several graphs, one after another: the explorer's one run
