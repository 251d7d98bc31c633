"""The renderers: a graph's anatomy (:mod:`microdiff.anatomy`) as DOT text, pictures and pages.

* :mod:`~microdiff.drawing.dot` — the one place where text enters DOT, escaped;
* :mod:`~microdiff.drawing.runner` — the one place where Graphviz's ``dot`` runs, under a time limit;
* :mod:`~microdiff.drawing.draw` — a graph as a Graphviz drawing (``draw``);
* :mod:`~microdiff.drawing.stepper` — a page that pages through the backward pass node by node.

The public names are imported from :mod:`microdiff` itself.
"""
