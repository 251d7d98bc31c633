"""Paging through a backward pass: one picture per step, a counter, a caption, and previous/next.

A :class:`Stepper` shows in Jupyter as plain HTML with a few lines of JavaScript (no ipywidgets, so it
also works in a saved page), and exports its frames as one self-contained HTML file or as a folder of
SVG files. Frame 0 is the forward pass done, with only the output's gradient seeded to 1; frame k is
backward step k (:class:`~microdiff.anatomy.BackwardStep`), so the counter "step k of N" and the
caption "step k: …" always agree. The caption is the step's one text on the page (a saved SVG, with no
page around it, carries it as its title), and it says when a node's gradient adds up what several
uses of it send back: the chain rule sums over paths.

The pictures fit the window, growing or shrinking to its width, and to its height for a tall one
(untick "fit" for their natural size, and scroll); the arrow keys ← and → page through them, Home and
End jump to the first and the last.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from microdiff.anatomy import BackwardStep, backward_steps, compact
from microdiff.drawing.draw import STYLE, Graph, draw
from microdiff.engine.value import Constant, Value
from microdiff.files import write_atomically
from microdiff.style import DATA_COLOUR, GRAD_COLOUR
from microdiff.web import html_text, script_json

_NOW = STYLE["highlight"]  # the colours of the node whose step it is

_STYLE = f"""<style>
.md-stepper {{ font-family: Helvetica, Arial, sans-serif; color: {DATA_COLOUR}; outline: none; }}
.md-stepper:focus-visible {{ box-shadow: 0 0 0 2px #93c5fd; border-radius: 8px; }}
.md-stepper .bar {{ margin: 4px 0 8px; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }}
.md-stepper button {{ font: inherit; font-size: 0.95em; padding: 4px 12px; border: 1px solid #cbd5e1;
  border-radius: 6px; background: #f8fafc; color: inherit; cursor: pointer; }}
.md-stepper button:hover:not(:disabled) {{ background: #e2e8f0; }}
.md-stepper button:disabled {{ color: #9ca3af; cursor: default; }}
.md-stepper .count {{ font-weight: bold; min-width: 8em; text-align: center; }}
.md-stepper .hint {{ color: #6b7280; font-size: 0.85em; }}
.md-stepper .now {{ display: inline-block; width: 0.9em; height: 0.9em; vertical-align: -0.1em; border-radius: 3px;
  background: {_NOW["fillcolor"]}; border: 1px solid {_NOW["color"]}; }}
.md-stepper .caption {{ margin: 0 0 8px; padding: 6px 10px; line-height: 1.45; background: #f8fafc;
  border-left: 3px solid {_NOW["color"]}; border-radius: 0 6px 6px 0; }}
.md-stepper .caption .sum {{ color: {GRAD_COLOUR}; }}
.md-stepper .frames {{ overflow: auto; border: 1px solid #e5e7eb; border-radius: 8px; background: white; }}
.md-stepper .frame svg {{ display: block; margin: 0 auto; }}
.md-stepper.fit .frame svg {{ width: 100%; height: auto; max-height: var(--room, 80vh); }}
</style>"""

_PAGE_STYLE = """<style>
body { margin: 24px auto; padding: 0 24px; max-width: 1400px; background: #ffffff; }
h1 { font: bold 1.3em Helvetica, Arial, sans-serif; color: #1f2937; margin: 0 0 4px; }
</style>"""

_SCRIPT = """<script>(function () {
  var box = document.getElementById(%s), frames = box.querySelectorAll(".frame"), i = 0, onPage = %s;
  var captions = box.querySelectorAll(".caption"), last = frames.length - 1;
  function fit() {  // the picture's height, at most what the window has below the bar and the caption
    var top = box.querySelector(".frames").getBoundingClientRect().top;
    var above = top - (onPage ? -window.scrollY : box.getBoundingClientRect().top);
    box.style.setProperty("--room", Math.max(200, window.innerHeight - above - 24) + "px");
  }
  function show(k) {
    i = Math.max(0, Math.min(last, k));
    frames.forEach(function (f, j) { f.hidden = j !== i; });
    captions.forEach(function (c, j) { c.hidden = j !== i; });
    box.querySelector(".count").textContent = "step " + i + " of " + last;
    box.querySelector(".prev").disabled = i === 0;
    box.querySelector(".next").disabled = i === last;
    fit();
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
  (onPage ? document : box).addEventListener("keydown", key);
  window.addEventListener("resize", fit);
  show(0);
})();</script>"""

_START = (
    "Step 0: the forward pass is done, so every value is known. "
    "The backward pass starts at the output, whose gradient is 1."
)


def draw_step(step: BackwardStep, **draw_options: Any) -> Graph:
    """The picture of ``step``: its node highlighted, only the gradients known once it is done, and the
    step in words as the title (``title=""`` for none); ``draw_options`` go to :func:`~microdiff.drawing.draw.draw`."""
    options = {"title": step.describe(draw_options.get("digits", 4))} | draw_options
    return draw(step.root, grads=step.known, highlight=[step.node], **options)


class Stepper:
    """Every frame of the backward pass from ``root``; ``draw_options`` go to :func:`~microdiff.drawing.draw.draw`.

    ``frames`` are the pictures and ``captions`` their words (HTML), one of each per step and one for
    the start.
    """

    def __init__(self, root: Value, **draw_options: Any) -> None:
        self.root = root
        self.options = draw_options
        self.steps = backward_steps(root)
        self.frames: list[Graph] = [self._frame(k, titled=False) for k in range(len(self.steps) + 1)]
        sent: dict[Value, list[tuple[int, float]]] = {}  # node -> (step, downstream) for each use of it
        for step in self.steps:
            for c in step.contributions:
                sent.setdefault(c.input, []).append((step.number, c.downstream))
        self.captions: list[str] = [html_text(_START)] + [_caption(step, sent) for step in self.steps]

    def _frame(self, k: int, titled: bool) -> Graph:
        """Frame ``k``'s picture; ``titled``: with its words as the title, for a file with no page around it."""
        if k == 0:
            return draw(self.root, grads={self.root: 1.0}, title=_START if titled else "", **self.options)
        step = self.steps[k - 1]
        return draw_step(step, **self.options) if titled else draw_step(step, title="", **self.options)

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
            '<span class="hint">keys: &#8592; &#8594; Home End &#183; <span class="now"></span> '
            "the node whose step it is</span></div>"
        )
        content = f'{bar}{captions}<div class="frames">{frames}</div>'
        box = f'<div id="{uid}" class="md-stepper fit" tabindex="0">{content}</div>'
        return _STYLE + box + _SCRIPT % (script_json(uid), "true" if keys_on_page else "false")

    def _repr_html_(self) -> str:
        return self.html()

    def page(self) -> str:
        """A whole self-contained HTML page holding the stepper (no file or network needed to show it)."""
        head = '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>backward, step by step</title>'
        of = f": {html_text(self.steps[0].names[self.root])}" if self.steps else ""
        heading = f"<h1>Backward, step by step{of}</h1>"
        return f"{head}{_PAGE_STYLE}</head><body>\n{heading}\n{self.html(keys_on_page=True)}\n</body></html>\n"

    def contents(self, path: str | Path) -> dict[Path, str | bytes]:
        """What :meth:`save` writes, drawn but not yet written: each file's path and its content."""
        path = Path(path)
        if path.suffix.lower() in (".html", ".htm"):
            return {path: self.page()}
        frames = (self._frame(k, titled=True) for k in range(len(self.frames)))
        return {path / f"step_{k:02d}.svg": frame.pipe(format="svg") for k, frame in enumerate(frames)}

    def save(self, path: str | Path) -> list[Path]:
        """Write the frames: ``*.html`` gives one self-contained page, any other path a folder of SVGs
        (``step_00.svg`` is the forward pass, ``step_01.svg`` the first backward step…, each with its
        words as its title). Every frame is drawn before any file is written, and each file is written
        atomically. Returns the files."""
        files = self.contents(path)
        for folder in {file.parent for file in files}:
            folder.mkdir(parents=True, exist_ok=True)
        return [write_atomically(file, content) for file, content in files.items()]


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
