"""Paging through a backward pass: one picture per step, with previous/next buttons.

A :class:`Stepper` shows in Jupyter as plain HTML with a few lines of JavaScript (no ipywidgets, so it
also works in a saved page), and exports its frames as one self-contained HTML file or as a folder of
SVG files. The first frame is the forward pass done, with only the output's gradient seeded to 1;
each further frame is one :class:`~microdiff.drawing.backward_steps.BackwardStep`.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from microdiff.drawing.backward_steps import backward_steps
from microdiff.drawing.draw import Graph, draw
from microdiff.engine.value import Value

_SCRIPT = """<script>(function () {
  var box = document.getElementById("%s"), frames = box.querySelectorAll(".frame"), i = 0;
  function show(k) {
    i = Math.max(0, Math.min(frames.length - 1, k));
    frames.forEach(function (f, j) { f.style.display = j === i ? "block" : "none"; });
    box.querySelector(".count").textContent = (i + 1) + " / " + frames.length;
  }
  box.querySelector(".prev").onclick = function () { show(i - 1); };
  box.querySelector(".next").onclick = function () { show(i + 1); };
  show(0);
})();</script>"""


class Stepper:
    """Every frame of the backward pass from ``root``; ``draw_options`` go to :func:`~microdiff.drawing.draw.draw`."""

    def __init__(self, root: Value, **draw_options: Any) -> None:
        self.steps = backward_steps(root)
        start = draw(
            root, grads={root: 1.0}, title="forward pass done; the output's gradient is seeded to 1", **draw_options
        )
        self.frames: list[Graph] = [start] + [step.draw(**draw_options) for step in self.steps]

    def html(self) -> str:
        """An HTML fragment: the buttons, every frame's SVG (only one shown at a time) and the script."""
        uid = f"microdiff-stepper-{uuid.uuid4().hex[:8]}"
        frames = "\n".join(f'<div class="frame">{frame.html()}</div>' for frame in self.frames)
        buttons = (
            '<div style="font-family: sans-serif; margin: 4px 0">'
            '<button class="prev">&#9664; previous</button> <span class="count"></span> '
            '<button class="next">next &#9654;</button></div>'
        )
        return f'<div id="{uid}">{buttons}{frames}</div>{_SCRIPT % uid}'

    def _repr_html_(self) -> str:
        return self.html()

    def save(self, path: str | Path) -> list[Path]:
        """Write the frames: ``*.html`` gives one self-contained page, any other path a folder of SVGs
        (``step_00.svg`` is the forward pass, ``step_01.svg`` the first backward step…). Returns the files."""
        path = Path(path)
        if path.suffix.lower() in (".html", ".htm"):
            page = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>backward, step by step</title>'
            path.write_text(f"{page}</head><body>\n{self.html()}\n</body></html>\n", encoding="utf-8")
            return [path]
        path.mkdir(parents=True, exist_ok=True)
        files = []
        for i, frame in enumerate(self.frames):
            files.append(path / f"step_{i:02d}.svg")
            files[-1].write_bytes(frame.pipe(format="svg"))
        return files
