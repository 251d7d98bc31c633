"""How a graph's parts are written in words: numbers, node names and local derivatives (no Graphviz needed).

The drawing, the backward steps and the Stepper all speak of a graph the same way, so they share these:

* :func:`compact` writes a number in a few significant digits (``0.25``, ``63``, ``1.5e-07``);
* :func:`node_names` names each node: its label, else ``v`` and a count (in a big graph, a count within
  the network part around it: ``L1.n3.v2``), else (a constant) its number;
* :func:`boxes_around` lists a composite and the composites around it;
* :func:`local_derivatives` gives d node / d input for each input, from the op's rule in the table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from microdiff.engine.composite import Composite, composite_boxes
from microdiff.engine.ops import OPS
from microdiff.engine.value import Constant, Value

#: Up to this many unlabelled nodes, one count runs through the graph (v1 … v99); beyond it, each counts
#: within the innermost composite around it whose name is unique (``L1.n3.v2``), so no name is v641.
GLOBAL_COUNT_LIMIT = 99


def compact(x: Any, digits: int = 4) -> str:
    """A number in at most ``digits`` significant digits: 0.25, 63, 1.5e-07 (a ``Value`` shows its data)."""
    x = float(getattr(x, "data", x))
    return f"{x + 0.0:.{digits}g}"  # + 0.0 turns -0.0 into 0.0


def node_names(order: Iterable[Value]) -> dict[Value, str]:
    """Each node's name: its label, else ``v`` and a count (``v3``); a constant is named by its number.

    ``order`` is topological (inputs first); it may leave out nodes a drawing hides (inside collapsed
    composites), so that the count stays short. The count runs left to right in the drawing: by the
    length of the longest path from a leaf. In a graph of more than :data:`GLOBAL_COUNT_LIMIT`
    unlabelled nodes (a network's loss), a node inside a uniquely named composite (the neuron ``L1.n3``)
    is counted within it and named after it: ``L1.n3.v2``. A label that is not a string is shown as
    ``str(label)``.
    """
    depth: dict[Value, int] = {}
    for node in order:
        depth[node] = max((depth.get(parent, 0) + 1 for parent in node.parents), default=0)
    unlabelled = sorted(
        (node for node in depth if not node.label and not isinstance(node, Constant)), key=depth.__getitem__
    )
    where = _unique_boxes(list(depth)) if len(unlabelled) > GLOBAL_COUNT_LIMIT else {}
    counts: Counter[Composite | None] = Counter()
    names = {}
    for node in unlabelled:
        box = where.get(node)
        counts[box] += 1
        names[node] = f"v{counts[box]}" if box is None else f"{box.name}.v{counts[box]}"
    return {node: str(node.label) if node.label else names.get(node) or compact(node.data) for node in depth}


def _unique_boxes(order: list[Value]) -> dict[Value, Composite]:
    """For each operation node, the innermost composite around it whose name no other composite has."""
    innermost = composite_boxes(order)
    chains = {box: boxes_around(box) for box in set(innermost.values())}
    named = Counter(box.name for box in {outer for chain in chains.values() for outer in chain})
    unique = {box: next((b for b in chain if named[b.name] == 1), None) for box, chain in chains.items()}
    return {node: unique[box] for node, box in innermost.items() if unique[box] is not None}  # type: ignore[misc]


def boxes_around(box: Composite | None) -> list[Composite]:
    """A composite and the composites around it, innermost first."""
    chain = []
    while box is not None:
        chain.append(box)
        box = box.parent
    return chain


def local_derivatives(node: Value) -> tuple[float, ...]:
    """d node / d input for each of ``node``'s inputs, from its op's ``local`` rule on floats."""
    return tuple(OPS[node.op].local(*[parent.data for parent in node.parents], node.data))
