"""The lessons in notebooks/: each runs top to bottom, shows a picture, and is stored without outputs;
and every exercise's reference solution passes its checker.

A lesson's worked solutions are *raw* cells tagged ``solution``: Jupyter's Run All skips them, so a
learner never sees "correct" printed under an unanswered exercise. Here they become code cells and run in
place, just before the check cells, and a last cell confirms that every checker and grader of the lesson
(recorded in ``microdiff.lessons.REPORTS``) ended with every verdict correct.

Every lesson is executed with nbclient in a fresh ``python3`` kernel. jupyter_client starts a kernelspec
whose command is ``python`` with the interpreter running the tests (``sys.executable``), so the lessons
see the same environment, and microdiff, as the tests do; ``test_kernel_is_this_python`` checks that.
Each lesson is executed once per session (a cached fixture), so the total time can be reported too. The
kernel works in a temporary folder, so whatever a lesson's tools write (hypothesis keeps a cache in
``.hypothesis``) stays out of the repository.
"""

from __future__ import annotations

import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = ROOT / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))

CELL_TIMEOUT = 120  # seconds for any one cell
# A drawing (SVG), an image, or a chart (altair's Vega-Lite spec, which JupyterLab and the site draw as SVG).
PICTURES = ("image/svg+xml", "image/png", "application/vnd.vegalite.v5+json")
PORTABLE_METADATA = {"kernelspec", "language_info", "microdiff"}  # ("microdiff": what the site check must know)


def _execute(notebook: nbformat.NotebookNode, workdir: Path) -> float:
    """Run every cell in a fresh kernel working in ``workdir``; raise on any error; return the seconds."""
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        startup_timeout=60,
        resources={"metadata": {"path": str(workdir)}},
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


SOLVED = "from microdiff.lessons.verdicts import all_solved\n\nprint(all_solved())"


def with_solutions(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The lesson with its raw solution cells turned into code, and a last cell checking every checker."""
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type == "raw" and "solution" in cell.metadata.get("tags", []):
            notebook.cells[i] = nbformat.v4.new_code_cell(cell.source)
    notebook.cells.append(nbformat.v4.new_code_cell(SOLVED))
    return notebook


class Lessons:
    """Executes each lesson at most once per session and remembers the result and the time it took."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.done: dict[str, tuple[nbformat.NotebookNode, float]] = {}

    def run(self, path: Path) -> tuple[nbformat.NotebookNode, float]:
        if path.name not in self.done:
            notebook = with_solutions(nbformat.read(path, as_version=4))
            self.done[path.name] = (notebook, _execute(notebook, self.workdir))
        return self.done[path.name]


@pytest.fixture(scope="session")
def lessons(tmp_path_factory: pytest.TempPathFactory) -> Lessons:
    return Lessons(tmp_path_factory.mktemp("lessons"))


def test_lessons_are_numbered_in_order() -> None:
    numbers = [int(path.name[:2]) for path in LESSONS]
    assert len(numbers) >= 6, f"expected at least six lessons in {NOTEBOOKS}, found {[p.name for p in LESSONS]}"
    assert numbers == list(range(1, len(numbers) + 1)), f"lessons must be numbered 01, 02, ...: {numbers}"


def test_kernel_is_this_python(tmp_path: Path) -> None:
    """The lessons' kernel is the interpreter running the tests, and it imports this checkout's microdiff."""
    cell = nbformat.v4.new_code_cell("import sys, microdiff\nprint(sys.executable)\nprint(microdiff.__file__)")
    notebook = nbformat.v4.new_notebook(cells=[cell])
    _execute(notebook, tmp_path)
    executable, package = notebook.cells[0].outputs[0]["text"].split()
    assert Path(executable).resolve() == Path(sys.executable).resolve()
    assert Path(package).resolve().is_relative_to(ROOT)


@pytest.mark.needs_dot  # every lesson draws graphs; without dot they still run, in test_all_lessons_run below
@pytest.mark.parametrize("path", LESSONS, ids=[path.stem for path in LESSONS])
def test_lesson_runs_shows_a_picture_and_its_solutions_pass(lessons: Lessons, path: Path) -> None:
    notebook, _ = lessons.run(path)  # a failing cell, or a solution its checker rejects, raises here
    kinds = {kind for cell in notebook.cells for output in cell.get("outputs", []) for kind in output.get("data", {})}
    assert kinds & set(PICTURES), f"{path.name} shows no picture (no {' or '.join(PICTURES)} output)"


@pytest.mark.parametrize("path", LESSONS, ids=[path.stem for path in LESSONS])
def test_run_all_prints_no_solution(path: Path) -> None:
    """Under Run All no solution is checked: a cell tagged solution is raw, or a code cell that sets names quietly."""
    notebook = nbformat.read(path, as_version=4)
    for number, cell in enumerate(notebook.cells):
        if "solution" in cell.metadata.get("tags", []) and cell.cell_type == "code":
            assert "check(" not in cell.source and "print(" not in cell.source, (
                f"{path.name} cell {number}: a solution cell that runs under Run All must not check or print"
            )


class LessonTimes(UserWarning):
    """How long the lessons took: reported in the warnings summary, never asserted (the machine may be busy)."""


def test_all_lessons_run(lessons: Lessons) -> None:
    """Every lesson runs; the seconds each took appear in pytest's warnings summary (the lessons aim at 3 minutes
    together on a 2-core machine, a figure for people to read, not a test that fails when the machine is busy)."""
    times = {path.stem[:2]: lessons.run(path)[1] for path in LESSONS}
    report = ", ".join(f"{number}: {seconds:.0f} s" for number, seconds in times.items())
    warnings.warn(LessonTimes(f"the lessons ran in {sum(times.values()):.0f} s together ({report})"), stacklevel=1)
    assert len(times) == len(LESSONS)


def _stored_versions(path: Path) -> list[tuple[str, str]]:
    """The notebook as it is on disk and, when git tracks it, as it is committed."""
    versions = [("working tree", path.read_text(encoding="utf-8"))]
    relative = path.relative_to(ROOT).as_posix()
    try:
        committed = subprocess.run(
            ["git", "show", f"HEAD:{relative}"], cwd=ROOT, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:  # no git: the working tree is all there is
        return versions
    if committed.returncode == 0:
        versions.append(("HEAD", committed.stdout))
    return versions


@pytest.mark.parametrize("path", LESSONS, ids=[path.stem for path in LESSONS])
def test_lesson_is_stored_without_outputs(path: Path) -> None:
    for where, text in _stored_versions(path):
        notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
        nbformat.validate(notebook)
        assert notebook.nbformat == 4, f"{path.name} ({where}) is not nbformat 4"
        assert notebook.metadata.get("kernelspec", {}).get("name") == "python3", f"{path.name} ({where}): kernelspec"
        extra = set(notebook.metadata) - PORTABLE_METADATA
        assert not extra, f"{path.name} ({where}) carries machine-specific metadata: {sorted(extra)}"
        for number, cell in enumerate(notebook.cells):
            if cell.cell_type == "raw":
                extra = set(cell.metadata) - {"jupyter", "tags"}
                assert not extra, f"{path.name} ({where}) cell {number} carries metadata {sorted(extra)}"
            if cell.cell_type != "code":
                continue
            assert cell.outputs == [], f"{path.name} ({where}) cell {number} has stored outputs"
            assert cell.execution_count is None, f"{path.name} ({where}) cell {number} has an execution count"
            extra = set(cell.metadata) - {"jupyter", "tags"}
            assert not extra, f"{path.name} ({where}) cell {number} carries metadata {sorted(extra)}"
