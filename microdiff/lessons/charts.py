"""Charts in the lessons: altair, drawn without a network by JupyterLab, JupyterLite and the documentation.

altair describes a chart as a Vega-Lite *spec* (JSON) and leaves the drawing to the notebook's frontend.
JupyterLab 4, and so JupyterLite, draws a spec it receives under Vega-Lite 5's MIME type, with the Vega it
ships; but altair 6 sends its specs under Vega-Lite 6's type, which JupyterLab does not know (it shows the
text "<VegaLite 6 object>"), and altair's HTML renderer loads Vega from the internet. :func:`enable` makes
altair send the same spec under the Vega-Lite 5 type instead. Vega-Lite 5 reads the specs the lessons make
(lines, points, rectangles, log axes); a feature new in Vega-Lite 6 would not draw.

    import altair as alt
    from microdiff.lessons import charts

    charts.enable()
    points = [{"step": k, "loss": 1 / k} for k in range(1, 11)]
    alt.Chart(alt.Data(values=points)).mark_line().encode(x="step:Q", y="loss:Q")

Give the data as a list of dicts (``alt.Data(values=...)``): pandas has no wheel for the browser.
"""

from __future__ import annotations

from typing import Any

import altair as alt
from altair.utils.display import default_renderer_base

VEGA_LITE_5 = "application/vnd.vegalite.v5+json"
RENDERER = "vega-lite-5"
TEXT = "A chart (Vega-Lite): JupyterLab, JupyterLite and VS Code draw it; this frontend shows only this text."
EMBED_OPTIONS = {"renderer": "svg"}  # an <svg> element rather than a <canvas>: sharp at any zoom


def vega_lite_5(spec: dict[str, Any], **options: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """altair's renderer for JupyterLab 4: the chart's spec under the Vega-Lite 5 MIME type, and a line of text
    for frontends that draw no charts. ``options`` (e.g. ``embed_options``) go to the output's metadata."""
    return default_renderer_base(spec, VEGA_LITE_5, TEXT, **options)


def enable() -> None:
    """Show altair charts through :func:`vega_lite_5`, as SVG, from now on in this kernel."""
    alt.renderers.register(RENDERER, vega_lite_5)
    alt.renderers.enable(RENDERER, embed_options=EMBED_OPTIONS)
