"""microdiff: scalar automatic differentiation, small enough to read and to check by hand.

>>> from microdiff import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad
7.0
"""

import importlib
from typing import TYPE_CHECKING, Any

from microdiff.anatomy import backward_steps  # the steps as data: no graphviz needed
from microdiff.engine.composite import composite, mark_composite
from microdiff.engine.disconnected import DisconnectedGradientWarning
from microdiff.engine.forward import Dual, jvp
from microdiff.engine.functional import grad, gradients, hessian, hvp, value_and_grad
from microdiff.engine.gradcheck import GradcheckError, gradcheck
from microdiff.engine.ops import OPS, Op
from microdiff.engine.primitive import primitive
from microdiff.engine.trace import GuardError, Index, Program, trace
from microdiff.engine.value import Constant, Value, enable_grad, no_grad, topological_order

if TYPE_CHECKING:  # (for type checkers: at run time they come from __getattr__ below)
    from microdiff.drawing.draw import draw
    from microdiff.drawing.stepper import Stepper

#: How to get the graphviz package, for a message where it is missing.
GRAPHVIZ_HINT = "pip install graphviz (microdiff depends on it; Graphviz's dot program is installed apart)"
#: The names imported only when first used: drawing imports graphviz, and ``import microdiff`` should not.
_DRAWING = {"draw": "microdiff.drawing.draw", "Stepper": "microdiff.drawing.stepper"}


def __getattr__(name: str) -> Any:
    """``microdiff.draw`` and ``microdiff.Stepper``, imported from the drawing package when first asked for."""
    if name in _DRAWING:
        try:
            module = importlib.import_module(_DRAWING[name])
        except ModuleNotFoundError as missing:  # graphviz is a dependency, but an environment may lack it
            if missing.name != "graphviz":
                raise
            raise ModuleNotFoundError(f"{name} needs the graphviz package: {GRAPHVIZ_HINT}", name="graphviz") from None
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "backward_steps",
    "composite",
    "Constant",
    "DisconnectedGradientWarning",
    "draw",
    "Dual",
    "enable_grad",
    "grad",
    "gradcheck",
    "GradcheckError",
    "GuardError",
    "gradients",
    "hessian",
    "hvp",
    "Index",
    "jvp",
    "mark_composite",
    "no_grad",
    "Op",
    "OPS",
    "primitive",
    "Program",
    "topological_order",
    "Stepper",
    "trace",
    "Value",
    "value_and_grad",
]
__version__ = "0.1.0"
