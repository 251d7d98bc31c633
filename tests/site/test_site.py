"""The lessons in the browser, as far as CPython can check them: drawing dispatches to viz.js under Pyodide,
charts reach JupyterLab as Vega-Lite 5, the site's copies of the lessons, and the browser check's verdicts.

The browser itself is tested by ``make site-check`` (tools/site/run_lessons.py), which runs every lesson in
headless Chromium; these tests need neither a browser nor a built site.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest
from conftest import ROOT

from microdiff import Value, draw
from microdiff.drawing import wasm
from microdiff.drawing.draw import DrawingError

TOOLS = ROOT / "tools" / "site"


def _tool(name: str):
    """A module of tools/site (they are scripts, not a package)."""
    sys.path.insert(0, str(TOOLS))
    try:
        spec = importlib.util.spec_from_file_location(f"site_{name}", TOOLS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        return module
    finally:
        sys.path.remove(str(TOOLS))


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """Python as under Pyodide, with viz.js stood in for by a recorder: no process may be started."""
    calls: list[tuple[str, str, str]] = []

    def render(source: str, format: str = "svg", engine: str = "dot") -> bytes:
        calls.append((source, format, engine))
        return b'<svg xmlns="http://www.w3.org/2000/svg"><text>drawn</text></svg>'

    def no_processes(*args: object, **kwargs: object) -> None:
        raise OSError(138, "emscripten does not support processes")

    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setattr(wasm, "render", render)
    monkeypatch.setattr("subprocess.run", no_processes)
    return calls


def _graph():
    x = Value(2.0, label="x")
    y = x * x + 3 * x
    y.backward()
    return draw(y)


def test_under_pyodide_pipe_draws_with_viz_js_not_dot(browser: list[tuple[str, str, str]]) -> None:
    graph = _graph()
    assert graph.pipe(format="svg", encoding="utf-8").endswith("<text>drawn</text></svg>")
    assert browser == [(graph.source, "svg", "dot")]
    assert graph._repr_mimebundle_() == {"image/svg+xml": graph.pipe(format="svg", encoding="utf-8")}
    assert graph.html().startswith("<svg")


def test_under_pyodide_a_viz_js_failure_is_one_line_in_the_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(source: str, format: str = "svg", engine: str = "dot") -> bytes:
        raise wasm.BrowserDrawingError("could not load viz.js from http://site/static/viz-js/viz.js: 404")

    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setattr(wasm, "render", fails)
    graph = _graph()
    with pytest.raises(DrawingError, match="could not load viz.js"):
        graph.pipe(format="svg")
    line = "could not load viz.js from http://site/static/viz-js/viz.js: 404"
    assert graph._repr_mimebundle_() == {"text/plain": line}


def test_viz_js_draws_svg_and_says_so_for_png() -> None:
    with pytest.raises(wasm.BrowserDrawingError, match="not 'png': use svg"):
        wasm.render("digraph { a -> b }", "png")


def test_viz_js_is_found_in_the_site_that_runs_the_kernel() -> None:
    worker = "https://school.example/microdiff/lite/extensions/@jupyterlite/pyodide-kernel-extension/static/w.js"
    assert wasm.viz_url(worker) == "https://school.example/microdiff/lite/static/viz-js/viz.js"
    with pytest.raises(wasm.BrowserDrawingError, match="not in one"):
        wasm.viz_url("https://example.org/some/page.html")


# ------------------------------------------------------------------------------------------------ charts
alt = pytest.importorskip("altair")


@pytest.fixture
def charts():
    from microdiff.lessons import charts

    before = alt.renderers.active
    charts.enable()
    yield charts
    alt.renderers.enable(before)


def _chart():
    points = [{"step": k, "loss": 1 / k} for k in range(1, 11)]
    log = alt.Scale(type="log")
    return alt.Chart(alt.Data(values=points)).mark_line().encode(x="step:Q", y=alt.Y("loss:Q", scale=log))


def test_charts_reach_jupyterlab_as_vega_lite_5_drawn_as_svg(charts) -> None:
    chart = _chart()
    bundle, metadata = chart._repr_mimebundle_()
    assert set(bundle) == {charts.VEGA_LITE_5, "text/plain"}  # not v6, which JupyterLab 4 does not draw
    assert bundle[charts.VEGA_LITE_5] == chart.to_dict()
    assert metadata == {charts.VEGA_LITE_5: {"embed_options": {"renderer": "svg"}}}


def test_vega_lite_5_draws_the_specs_altair_6_makes(charts) -> None:
    """JupyterLab 4.6 draws with Vega-Lite 5.14; vl-convert carries that version too (and renders the docs)."""
    vl_convert = pytest.importorskip("vl_convert")
    spec = _chart()._repr_mimebundle_()[0][charts.VEGA_LITE_5]
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
    svg = vl_convert.vegalite_to_svg(spec, vl_version="5.14")
    assert "<svg" in svg and 'class="mark-line' in svg and ">step<" in svg and ">loss<" in svg


# ---------------------------------------------------------------------------------- the site's lessons
nbformat = pytest.importorskip("nbformat")


def test_site_copies_install_the_packages_first_and_leave_the_lesson_alone() -> None:
    lessons = _tool("lessons")
    path = ROOT / "notebooks" / "02_backpropagation_node_by_node.ipynb"
    before = path.read_bytes()
    original = nbformat.read(path, as_version=4)
    learner = lessons.browser_copy(path, solutions=False)
    checked = lessons.browser_copy(path, solutions=True)
    assert path.read_bytes() == before
    for copy in (learner, checked):
        assert copy.cells[0].cell_type == "code" and "%pip install" in copy.cells[0].source
        assert all(name in copy.cells[0].source for name in ("microdiff", "graphviz", "hypothesis", "altair"))
    assert len(learner.cells) == len(original.cells) + 1
    assert len(checked.cells) == len(original.cells) + 2  # and a last cell that fails unless every checker passed
    assert checked.cells[-1].source == lessons.SOLVED_CELL and "all_solved()" in lessons.SOLVED_CELL
    solutions = [c.source for c in original.cells if "solution" in c.metadata.get("tags", [])]
    assert solutions, "lesson 02 has worked solutions"
    assert [c.source for c in learner.cells if c.cell_type == "raw"] == solutions  # still raw: Run All skips them
    assert [c.source for c in checked.cells if c.cell_type == "raw"] == []
    assert [c.source for c in checked.cells[1:] if "solution" in c.metadata.get("tags", [])] == solutions
    assert all(c.cell_type == "code" for c in checked.cells if "solution" in c.metadata.get("tags", []))


# ------------------------------------------------------------------------------ the browser check's verdicts
def _cell(**changes: object) -> dict[str, object]:
    cell: dict[str, object] = {"errors": [], "timedOut": False, "outputs": [], "svgOutputs": 0, "svgImages": 0}
    return cell | {"chartOutputs": 0, "charts": 0} | changes


def test_the_browser_check_passes_a_cell_that_drew_and_charted() -> None:
    run = _tool("run_lessons")
    outputs = [{"kinds": ["image/svg+xml"], "text": ""}, {"kinds": [run.VEGA_LITE_5], "text": "A chart"}]
    assert run.problems(_cell(outputs=outputs, svgOutputs=1, svgImages=1, chartOutputs=1, charts=1)) == []


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (_cell(errors=["NameError: name 'x' is not defined"]), "error NameError"),
        (_cell(timedOut=True), "did not finish"),
        (_cell(outputs=[{"kinds": ["text/html"], "text": "digraph {}\nGraphviz's dot program is not installed"}]),
         "drawing not drawn"),
        (_cell(outputs=[{"kinds": [], "text": "could not load viz.js from http://…: 404"}]), "drawing not drawn"),
        (_cell(svgOutputs=2, svgImages=1), "2 SVG outputs, 1 in the page"),
        (_cell(outputs=[{"kinds": ["application/vnd.vegalite.v6+json"], "text": "<VegaLite 6 object>"}]),
         "a chart the lab cannot draw"),
        (_cell(outputs=[{"kinds": [], "text": "<VegaLite 6 object>\n\nIf you see this"}]), "chart shown as text"),
        (_cell(chartOutputs=1, charts=0), "1 charts, 0 drawn by Vega"),
    ],
)  # fmt: skip
def test_the_browser_check_fails_what_a_learner_would_see_broken(cell: dict[str, object], expected: str) -> None:
    found = _tool("run_lessons").problems(cell)
    assert len(found) == 1 and expected in found[0], found


def test_the_browser_check_counts_any_other_host_as_outside() -> None:
    run = _tool("run_lessons")
    assert not run.outside("http://127.0.0.1:8000/lab/index.html")
    assert not run.outside("data:image/svg+xml,<svg/>") and not run.outside("blob:http://127.0.0.1:1/x")
    assert run.outside("https://cdn.jsdelivr.net/pyodide/v0.28/full/pyodide.js") and run.outside("http://localhost:1/")
    assert run.outside("wss://example.org/socket")
