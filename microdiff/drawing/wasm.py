"""Drawing in the browser: Graphviz compiled to WebAssembly draws DOT text where no ``dot`` program can run.

Under Pyodide (Python in a web page, as in the lessons' JupyterLite site) there are no processes, so
:meth:`microdiff.drawing.draw.Graph.pipe` calls :func:`render` instead of ``dot``. It draws with viz.js
(npm ``@viz-js/viz``: Graphviz 16 as one ES module), which ``make site`` copies into the site at
``static/viz-js/viz.js``. The module is loaded the first time something is drawn, from the site itself,
synchronously: Pyodide can wait for JavaScript's promises inside a Python call when the browser supports
JavaScript Promise Integration (Chromium 137 and later, Firefox 139 and later), which
``pyodide.ffi.can_run_sync()`` tells.
"""

from __future__ import annotations

import json
from typing import Any

VIZ_JS = "static/viz-js/viz.js"  # where viz.js sits in the site, from its top folder
KERNEL_FOLDER = "/extensions/@jupyterlite/"  # where the site serves its kernels' workers from
FORMATS = ("svg", "dot", "xdot", "plain", "json", "canon")  # what viz.js makes; pictures only as SVG

_viz: Any = None  # viz.js's Viz instance, once loaded


class BrowserDrawingError(RuntimeError):
    """viz.js could not be loaded, or could not draw the graph: one line saying which and why."""


def render(source: str, format: str = "svg", engine: str = "dot") -> bytes:
    """The graph of DOT ``source`` drawn by viz.js in ``format`` (``"svg"``…), as UTF-8 bytes, as ``dot`` gives.

    Only under Pyodide. Raises :class:`BrowserDrawingError` for a format viz.js does not make (PNG: draw SVG),
    when viz.js cannot be loaded, or when Graphviz rejects the source.
    """
    if format not in FORMATS:
        raise BrowserDrawingError(f"in the browser graphs are drawn as {', '.join(FORMATS)}, not {format!r}: use svg")
    import js
    from pyodide.ffi import JsException, to_js

    options = to_js({"format": format, "engine": engine}, dict_converter=js.Object.fromEntries)
    try:
        return str(_viz_instance().renderString(source, options)).encode("utf-8")
    except JsException as error:
        raise BrowserDrawingError(f"viz.js could not draw the graph: {error}") from None


def viz_url(location: str) -> str:
    """viz.js's address, from the address of the worker running Python in a JupyterLite site.

    JupyterLite's Pyodide kernel runs in a worker served from ``SITE/extensions/@jupyterlite/…``.
    """
    site, found, _ = location.partition(KERNEL_FOLDER)
    if not found:
        raise BrowserDrawingError(
            f"microdiff draws in the browser with viz.js from a JupyterLite site made by `make site`; "
            f"{location} is not in one"
        )
    return f"{site}/{VIZ_JS}"


async def load() -> None:
    """Load viz.js from the site now. :func:`render` does it by itself where the browser can wait inside a
    call; elsewhere (Safari) run ``await microdiff.drawing.wasm.load()`` in a cell before drawing."""
    global _viz
    import js
    from pyodide.code import run_js
    from pyodide.ffi import JsException

    url = viz_url(str(js.location.href))
    try:
        module = await run_js(f"import({json.dumps(url)})")
        _viz = await module.instance()
    except JsException as error:
        raise BrowserDrawingError(f"could not load viz.js from {url}: {error}") from None


def _viz_instance() -> Any:
    """viz.js's ``Viz``, loaded from the site at the first call (synchronously: see the module's docstring)."""
    if _viz is None:
        from pyodide.ffi import can_run_sync, run_sync

        if not can_run_sync():
            raise BrowserDrawingError(
                "this browser cannot load viz.js in the middle of a Python call (no JavaScript Promise "
                "Integration): run `await microdiff.drawing.wasm.load()` in a cell first, or use Chromium or Firefox"
            )
        run_sync(load())
    return _viz
