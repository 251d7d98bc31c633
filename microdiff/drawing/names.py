"""How a graph's parts are written in words: numbers, node names and local derivatives (no Graphviz needed).

The drawing, the backward steps and the Stepper all speak of a graph the same way, so they share these:

* :func:`compact` writes a number in a few significant digits (``0.25``, ``63``, ``1.5e-07``);
* :func:`node_names` names each node: its label, else ``v`` and a count, else (a constant) its number;
* :func:`local_derivatives` gives d node / d input for each input, from the op's rule in the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from microdiff.engine.value import Constant, Value


def compact(x: Any, digits: int = 4) -> str:
    """A number in at most ``digits`` significant digits: 0.25, 63, 1.5e-07 (a ``Value`` shows its data)."""
    x = float(getattr(x, "data", x))
    return f"{x + 0.0:.{digits}g}"  # + 0.0 turns -0.0 into 0.0


def node_names(order: Iterable[Value]) -> dict[Value, str]:
    """Each node's name: its label, else ``v`` and a count (``v3``); a constant is named by its number.

    ``order`` is topological (inputs first); it may leave out nodes a drawing hides (inside collapsed
    composites), so that the count stays short. The count runs left to right in the drawing: by the
    length of the longest path from a leaf. A label that is not a string is shown as ``str(label)``.
    """
    depth: dict[Value, int] = {}
    for node in order:
        depth[node] = max((depth.get(parent, 0) + 1 for parent in node.parents), default=0)
    unlabelled = sorted(
        (node for node in depth if not node.label and not isinstance(node, Constant)), key=depth.__getitem__
    )
    names = {node: f"v{i}" for i, node in enumerate(unlabelled, start=1)}
    return {node: str(node.label) if node.label else names.get(node) or compact(node.data) for node in depth}


def local_derivatives(node: Value) -> tuple[float, ...]:
    """d node / d input for each of ``node``'s inputs, from its op's ``local`` rule on floats."""
    return tuple(node.operation.local(*[parent.data for parent in node.parents], node.data))  # type: ignore[union-attr]
