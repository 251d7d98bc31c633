"""Backward, step by step: the chain rule at one node at a time.

``backward()`` fills in every gradient at once. :func:`backward_steps` replays the same pass slowly,
without touching any ``grad``: it visits the operation nodes in reverse topological order (the output
first), and at each node ``h`` with inputs ``x``:

* the **upstream** gradient dL/dh is complete, since every node that uses ``h`` came before;
* the op's ``local`` rule gives the **local** derivative dh/dx for each input;
* the chain rule sends **downstream** = upstream × local back to each input, and an input used more
  than once adds up what each use sends.

Each step can draw itself: the current node highlighted and only the gradients known so far filled in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from microdiff.drawing.names import compact, node_names
from microdiff.engine.value import Constant, Value, chain_rule, topological_order

if TYPE_CHECKING:  # drawing needs graphviz; the steps themselves do not
    from microdiff.drawing.draw import Graph


@dataclass(frozen=True, eq=False)
class Contribution:
    """What a step sends back along one edge: ``downstream = upstream × local``."""

    input: Value
    local: float
    downstream: float


@dataclass(frozen=True, eq=False)
class BackwardStep:
    """One node's turn in the backward pass: its upstream gradient and what it sends to each input."""

    number: int  # 1 for the output's step, counting on towards the leaves
    node: Value
    upstream: float
    contributions: tuple[Contribution, ...]
    root: Value = field(repr=False)
    names: dict[Value, str] = field(repr=False)  # shared by all the steps of one pass
    completed: dict[Value, tuple[int, float]] = field(repr=False)  # node -> (step that completes it, gradient)

    @property
    def known(self) -> dict[Value, float]:
        """The gradients complete once this step is done (a node's is, once every use of it is done)."""
        return {node: grad for node, (step, grad) in self.completed.items() if step <= self.number}

    def describe(self, digits: int = 4) -> str:
        """The step in words, e.g. ``v3 = exp(v2): upstream 0.25; to v2: 0.25 × local 1 = downstream 0.25``."""
        names = self.names
        inputs = ", ".join(names[parent] for parent in self.node.parents)
        sends = "; ".join(
            f"to {names[c.input]}: {compact(self.upstream, digits)} × local {compact(c.local, digits)}"
            f" = downstream {compact(c.downstream, digits)}"
            for c in self.contributions
            if not isinstance(c.input, Constant)  # a constant's gradient is computed, but worth no words
        )
        return (
            f"step {self.number}: {names[self.node]} = {self.node.op}({inputs}): "
            f"upstream {compact(self.upstream, digits)}; {sends}"
        )

    def __str__(self) -> str:
        return self.describe()

    def draw(self, **options: Any) -> Graph:
        """This step's picture: its node highlighted, the gradients known so far, its words as the title."""
        from microdiff.drawing.draw import draw  # imported here: graphviz is optional

        title = self.describe(options.get("digits", 4))
        return draw(self.root, grads=self.known, highlight=[self.node], title=title, **options)


def backward_steps(root: Value) -> list[BackwardStep]:
    """The backward pass from ``root``, one :class:`BackwardStep` per operation node, output first.

    The steps are those of the engine's own chain rule (:func:`~microdiff.engine.value.chain_rule`),
    recorded instead of run through: the downstream contributions sent to a node add up to the
    gradient ``backward()`` gives it.
    """
    order = topological_order(root)
    names = node_names(order)
    uses = {node: 0 for node in order}  # how many operation nodes use each node
    for node in order:
        for parent in set(node.parents):
            uses[parent] += 1
    grads: dict[Value, Any] = {root: 1.0}
    completed: dict[Value, tuple[int, float]] = {root: (0, 1.0)}
    steps: list[BackwardStep] = []
    for step in chain_rule(order, grads):
        number = len(steps) + 1
        contributions = tuple(map(Contribution, step.inputs, step.local, step.downstream))
        for parent in set(step.inputs):
            uses[parent] -= 1
            if uses[parent] == 0:
                completed[parent] = (number, grads[parent])
        steps.append(BackwardStep(number, step.node, step.upstream, contributions, root, names, completed))
    return steps
