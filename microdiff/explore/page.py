"""The explorer page: the recording as JSON inside one self-contained HTML file.

``page.html`` holds the page's HTML, CSS and JavaScript; the recording goes into it as JSON. User text
(a title, a parameter's label, a neuron's name) enters the page only through :mod:`microdiff.web`:
the template is filled in one pass, the JSON cannot end its ``<script>`` element, and the page's script
sets every text with ``textContent``. The colours come from :mod:`microdiff.style`.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path
from typing import Any

from microdiff import style
from microdiff.files import write_atomically
from microdiff.web import fill_template, html_text, script_json

#: The page's HTML, CSS and JavaScript, with the placeholders {{TITLE}} and {{RECORDING}}.
TEMPLATE = "page.html"


def html_page(title: str, recording: dict[str, Any]) -> str:
    """The page for a recording (as :meth:`~microdiff.explore.recording.Recording.to_json` gives it)."""
    template = resources.files("microdiff.explore").joinpath(TEMPLATE).read_text(encoding="utf-8")
    data = {**recording, "style": colours()}
    return fill_template(template, {"TITLE": html_text(title), "RECORDING": script_json(finite(data))})


def colours() -> dict[str, Any]:
    """The palette the page draws with, from :mod:`microdiff.style`."""
    return {
        "classes": list(style.CLASS_COLOURS),
        "data": style.DATA_COLOUR,
        "grad": style.GRAD_COLOUR,
        "loss": style.LOSS_COLOUR,
        "accuracy": style.ACCURACY_COLOUR,
    }


def save_page(path: str | Path, text: str) -> Path:
    """Write a page atomically to ``path``, creating missing folders; return the path."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot write the explorer page to {str(path)!r}: it is a folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomically(path, text)


def iframe(text: str) -> str:
    """A page inside an iframe (for Jupyter), so its script and style stay apart from the notebook's."""
    page = html_text(text)
    return f'<iframe srcdoc="{page}" style="width:100%;height:1250px;border:1px solid #ddd"></iframe>'


def finite(data: Any) -> Any:
    """JSON has no NaN or infinity: write them as null (the page reads null as "not a number")."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: finite(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite(value) for value in data]
    return data
