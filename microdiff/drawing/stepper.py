"""Paging through a backward pass: one picture per step, a counter, a caption, and previous/next.

A :class:`Stepper` shows in Jupyter as plain HTML with a few lines of JavaScript (no ipywidgets, so it
also works in a saved page), and exports its frames as one self-contained HTML file or as a folder of
SVG files. Frame 0 is the forward pass done, with only the output's gradient seeded to 1; frame k is
backward step k (:class:`~microdiff.drawing.backward_steps.BackwardStep`), so the counter "step k of N"
and the picture's title "step k: …" always agree. The caption says when a node's gradient adds up
what several uses of it send back: the chain rule sums over paths.

The pictures fit the window's width (untick "fit" for their full size, and scroll); the arrow keys
← and → page through them, Home and End jump to the first and the last.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from microdiff.drawing.backward_steps import BackwardStep, backward_steps
from microdiff.drawing.draw import Graph, draw
from microdiff.drawing.names import compact
from microdiff.engine.value import Constant, Value
from microdiff.files import write_atomically
from microdiff.style import GRAD_COLOUR
from microdiff.web import html_text, script_json

_STYLE = f"""<style>
.md-stepper {{ font-family: Helvetica, Arial, sans-serif; outline: none; }}
.md-stepper .bar {{ margin: 4px 0; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }}
.md-stepper .count {{ font-weight: bold; min-width: 9em; text-align: center; }}
.md-stepper .caption {{ margin: 4px 0 8px; line-height: 1.4; }}
.md-stepper .caption .sum {{ color: {GRAD_COLOUR}; }}
.md-stepper .frames {{ overflow: auto; }}
.md-stepper.fit .frame svg {{ max-width: 100%; height: auto; }}
</style>"""

_SCRIPT = """<script>(function () {
  var box = document.getElementById(%s), frames = box.querySelectorAll(".frame"), i = 0;
  var captions = box.querySelectorAll(".caption"), last = frames.length - 1;
  function show(k) {
    i = Math.max(0, Math.min(last, k));
    frames.forEach(function (f, j) { f.hidden = j !== i; });
    captions.forEach(function (c, j) { c.hidden = j !== i; });
    box.querySelector(".count").textContent = "step " + i + " of " + last;
    box.querySelector(".prev").disabled = i === 0;
    box.querySelector(".next").disabled = i === last;
  }
  function key(e) {
    var to = {ArrowLeft: i - 1, ArrowRight: i + 1, Home: 0, End: last}[e.key];
    if (to === undefined || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    show(to);
  }
  box.querySelector(".prev").onclick = function () { show(i - 1); };
  box.querySelector(".next").onclick = function () { show(i + 1); };
  box.querySelector(".fit-box").onchange = function (e) { box.classList.toggle("fit", e.target.checked); };
  (%s ? document : box).addEventListener("keydown", key);
  show(0);
})();</script>"""


class Stepper:
    """Every frame of the backward pass from ``root``; ``draw_options`` go to :func:`~microdiff.drawing.draw.draw`."""

    def __init__(self, root: Value, **draw_options: Any) -> None:
        self.steps = backward_steps(root)
        start = draw(
            root, grads={root: 1.0}, title="step 0: the forward pass is done; the output's gradient is seeded to 1",
            **draw_options,
        )  # fmt: skip
        self.frames: list[Graph] = [start] + [step.draw(**draw_options) for step in self.steps]
        sent: dict[Value, list[tuple[int, float]]] = {}  # node -> (step, downstream) for each use of it
        for step in self.steps:
            for c in step.contributions:
                sent.setdefault(c.input, []).append((step.number, c.downstream))
        self.captions: list[str] = [_START] + [_caption(step, sent) for step in self.steps]

    def html(self, keys_on_page: bool = False) -> str:
        """An HTML fragment: the counter and buttons, every frame's SVG and caption (one shown at a time),
        and the script. The arrow keys work when the stepper has the focus (click it), or anywhere on
        the page with ``keys_on_page``."""
        uid = f"microdiff-stepper-{uuid.uuid4().hex[:8]}"
        frames = "\n".join(f'<div class="frame">{frame.html()}</div>' for frame in self.frames)
        captions = "".join(f'<div class="caption">{caption}</div>' for caption in self.captions)
        bar = (
            '<div class="bar"><button class="prev" type="button">&#9664; previous</button>'
            '<span class="count"></span><button class="next" type="button">next &#9654;</button>'
            '<label><input class="fit-box" type="checkbox" checked> fit to the window</label>'
            '<span style="color:#6b7280">keys: &#8592; &#8594; Home End</span></div>'
        )
        content = f'{bar}{captions}<div class="frames">{frames}</div>'
        box = f'<div id="{uid}" class="md-stepper fit" tabindex="0">{content}</div>'
        return _STYLE + box + _SCRIPT % (script_json(uid), "true" if keys_on_page else "false")

    def _repr_html_(self) -> str:
        return self.html()

    def page(self) -> str:
        """A whole self-contained HTML page holding the stepper (no file or network needed to show it)."""
        head = '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>backward, step by step</title>'
        return f"{head}</head><body>\n{self.html(keys_on_page=True)}\n</body></html>\n"

    def contents(self, path: str | Path) -> dict[Path, str | bytes]:
        """What :meth:`save` writes, drawn but not yet written: each file's path and its content."""
        path = Path(path)
        if path.suffix.lower() in (".html", ".htm"):
            return {path: self.page()}
        return {path / f"step_{i:02d}.svg": frame.pipe(format="svg") for i, frame in enumerate(self.frames)}

    def save(self, path: str | Path) -> list[Path]:
        """Write the frames: ``*.html`` gives one self-contained page, any other path a folder of SVGs
        (``step_00.svg`` is the forward pass, ``step_01.svg`` the first backward step…). Every frame is
        drawn before any file is written, and each file is written atomically. Returns the files."""
        files = self.contents(path)
        for folder in {file.parent for file in files}:
            folder.mkdir(parents=True, exist_ok=True)
        return [write_atomically(file, content) for file, content in files.items()]


_START = (
    "Step 0: the forward pass is done, so every value is known. "
    "The backward pass starts at the output, whose gradient is 1."
)


def _caption(step: BackwardStep, sent: dict[Value, list[tuple[int, float]]]) -> str:
    """The step in words, and, for an input used more than once, how its gradient adds up the paths (HTML).

    ``sent`` holds, for each node, the step and the downstream gradient of every use of it.
    """
    lines = [html_text(step.describe())]
    for node in dict.fromkeys(step.node.parents):
        parts = sent[node]
        if isinstance(node, Constant) or len(parts) < 2:
            continue
        name, done = step.names[node], [d for number, d in parts if number <= step.number]
        words = f"{name} is used {len(parts)} times, so its gradient adds up what each path sends back"
        if step.completed.get(node, (0, 0.0))[0] == step.number:
            words += f": {' + '.join(compact(d) for d in done)} = {compact(step.completed[node][1])}"
        else:
            words += f" ({len(done)} of {len(parts)} so far)"
        lines.append(f'<span class="sum">{html_text(words)}</span>')
    return "<br>".join(lines)
