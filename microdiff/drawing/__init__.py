"""Pictures of a graph: the steps of a backward pass, drawings with Graphviz, and the Stepper page.

* :mod:`~microdiff.drawing.backward_steps` — each step of a backward pass as data (no Graphviz needed);
* :mod:`~microdiff.drawing.draw` — a graph as a Graphviz drawing;
* :mod:`~microdiff.drawing.stepper` — a page that pages through the backward pass node by node.

The public names are imported from :mod:`microdiff` itself.
"""
