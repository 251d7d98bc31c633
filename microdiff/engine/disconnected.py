"""The one rule for a derivative that is 0 because nothing connects the output to the input.

Reverse mode (``grad``, ``gradients``) and forward mode (``jvp``) both meet it: the function is constant in
that input, or the graph was cut — ``x.data`` (or ``float(x)``, or a dual number's ``.primal``) is a plain
number that remembers nothing of ``x``, so no derivative can flow through it. Either way the answer is 0,
and a :class:`DisconnectedGradientWarning` says so and why, in the same words in both modes.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from numbers import Real
from typing import Any


class DisconnectedGradientWarning(UserWarning):
    """A derivative is 0 because the output does not depend on an input through microdiff's operations.

    Either the function is constant in that input, or the graph was cut: ``x.data`` (or ``float(x)``)
    is a plain number that remembers nothing of ``x``, so no gradient can flow back through it.
    """


def warn_disconnected(who: str, names: Sequence[str], output: Any, traced: bool) -> None:
    """Warn that the derivative of ``output`` with respect to ``names`` is 0 because nothing connects them.

    ``traced`` says whether ``output`` is a number of the mode that can carry a derivative (a ``Value`` in
    reverse mode, a dual number of this ``jvp`` in forward mode) that just does not depend on those inputs.
    """
    listed = ", ".join(names)
    if traced:
        what = f"the output does not depend on {listed}"
    elif isinstance(output, Real):
        what = f"the output is a plain {type(output).__name__}, which remembers nothing of the inputs"
    else:
        what = f"the output, a {type(output).__name__}, carries no derivative of this call"
    warnings.warn(
        f"{who}: the derivative with respect to {listed} is 0 because {what}. If that is not right, the graph "
        "was cut: x.data (or float(x), or a dual number's .primal) is a plain number that remembers nothing of "
        "x, so no derivative flows through it; compute with x itself.",
        DisconnectedGradientWarning,
        stacklevel=3,
    )
