"""One picture language: the colours every drawing, plot and page of microdiff uses.

The demo's PNGs, the explorer, the Stepper, the drawings and the lessons take their colours from here,
so a learner reads them the same way everywhere: class −1 (or 0) is blue, class +1 (or 1) is red, a
third class green; data is dark ink, gradients are orange (they flow backwards), local derivatives violet.
"""

from __future__ import annotations

#: Colours of the classes, in order: class 0 (the label −1 of a binary task), class 1 (label +1), class 2…
CLASS_COLOURS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777")

#: A node's value, its gradient, and the local derivative written on an edge.
DATA_COLOUR = "#1f2937"
GRAD_COLOUR = "#c2410c"
LOCAL_COLOUR = "#7c3aed"

#: The training curves: loss and accuracy.
LOSS_COLOUR = GRAD_COLOUR
ACCURACY_COLOUR = "#2563eb"


def class_colour(label: float | int, binary: bool) -> str:
    """The colour of a class: for a binary task ``label`` is ±1 (−1 blue, +1 red), else a class index."""
    index = (1 if label > 0 else 0) if binary else int(label)
    return CLASS_COLOURS[index % len(CLASS_COLOURS)]
