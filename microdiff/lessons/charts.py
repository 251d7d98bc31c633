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

Give the data as a list of dicts (``alt.Data(values=...)``): pandas has no wheel for the browser. Most of the
lessons' charts are named curves: :func:`lines` draws them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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


def lines(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    x: str = "x",
    y: str = "y",
    *,
    log_x: bool = False,
    log_y: bool = False,
    dashed: Iterable[str] = (),
    faint: Iterable[str] = (),
    dots: Iterable[str] = (),
    reverse_x: bool = False,
    rules: Iterable[float] = (),
    marks: Iterable[float] = (),
    y_domain: tuple[float, float] | None = None,
    title: str = "",
    width: int = 440,
    height: int = 240,
) -> alt.LayerChart:
    """A line chart of named curves, each given as ``(xs, ys)``: the lessons' one way to plot.

    ``dashed`` and ``faint`` name curves drawn dashed (a reference, a formula) or pale (noisy data under its
    mean, or a result another curve should lie on), ``dots`` curves whose every point is marked (the steps of
    an iteration); ``rules`` are horizontal lines at those heights, ``marks`` vertical ones; ``log_x`` and
    ``log_y`` use logarithmic axes, ``reverse_x`` runs x from right to left; ``y_domain`` fixes the vertical
    range (points outside it are left out).
    """
    dashed, faint, dots = set(dashed), set(faint), set(dots)
    points = [
        {x: a, y: b, "curve": name, "dashed": name in dashed, "faint": name in faint, "dots": name in dots}
        for name, (xs, ys) in curves.items()
        for a, b in zip(xs, ys)
        if y_domain is None or y_domain[0] <= b <= y_domain[1]
    ]
    y_scale = alt.Scale(type="log" if log_y else "linear", zero=False)
    if y_domain is not None:
        y_scale = alt.Scale(type="log" if log_y else "linear", zero=False, domain=list(y_domain))
    chart = (
        alt.Chart(alt.Data(values=points))
        .mark_line(clip=True)
        .encode(
            x=alt.X(
                f"{x}:Q", title=x, scale=alt.Scale(type="log" if log_x else "linear", zero=False, reverse=reverse_x)
            ),
            y=alt.Y(f"{y}:Q", title=y, scale=y_scale),
            color=alt.Color("curve:N", title=None, sort=list(curves), legend=alt.Legend(labelLimit=320)),
            strokeDash=alt.condition("datum.dashed", alt.value([5, 3]), alt.value([1, 0])),
            opacity=alt.condition("datum.faint", alt.value(0.4), alt.value(1.0)),
        )
    )
    layers: list[Any] = [chart]
    if dots:
        layers.append(chart.mark_point(filled=True, size=40).transform_filter("datum.dots"))
    layers += [
        alt.Chart(alt.Data(values=[{y: r}])).mark_rule(color="grey", strokeWidth=0.6).encode(y=f"{y}:Q") for r in rules
    ]
    layers += [
        alt.Chart(alt.Data(values=[{x: m}])).mark_rule(color="grey", strokeDash=[2, 2]).encode(x=f"{x}:Q")
        for m in marks
    ]
    return alt.layer(*layers).properties(width=width, height=height, title=title)
