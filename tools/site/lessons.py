"""The lessons as the site serves and shows them: copies made at build time, the notebooks left as they are."""

from __future__ import annotations

from pathlib import Path

import nbformat

SETUP_CELL = (
    "# In the browser: install microdiff and the libraries the lessons use, from this site (no network needed).\n"
    "%pip install -q microdiff graphviz hypothesis altair"
)
SETUP_TAG = "browser-setup"
#: The last cell of a lesson run with its solutions: fails unless every checker of the lesson said correct.
SOLVED_CELL = "from microdiff.lessons.verdicts import all_solved\n\nprint(all_solved())"


def solved(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The worked solutions, raw cells tagged ``solution`` that Run All skips, turned into code cells in place
    (as tests/lessons/test_notebooks.py runs the lessons), still tagged ``solution``."""
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type == "raw" and "solution" in cell.metadata.get("tags", []):
            notebook.cells[i] = nbformat.v4.new_code_cell(cell.source, metadata={"tags": ["solution"]})
    return notebook


def browser_copy(path: Path, solutions: bool) -> nbformat.NotebookNode:
    """A lesson as the lite app serves it: a first cell that installs the packages in the browser and, for the
    site's check, the solutions as code cells."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(SETUP_CELL, metadata={"tags": [SETUP_TAG]}))
    if solutions:
        solved(notebook)
        notebook.cells.append(nbformat.v4.new_code_cell(SOLVED_CELL, metadata={"tags": ["solutions-check"]}))
    for cell in notebook.cells:
        cell.pop("id", None)  # nbformat gives fresh ids on writing; the original's ids stay in the repository
    return notebook
