"""microdiff: scalar automatic differentiation, small enough to read and to check by hand.

>>> from microdiff import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad
7.0
"""

from microdiff.drawing.backward_steps import backward_steps  # the steps as data: no graphviz needed
from microdiff.engine.composite import composite, mark_composite
from microdiff.engine.forward import Dual, jvp
from microdiff.engine.functional import grad, hessian, hvp, value_and_grad
from microdiff.engine.gradcheck import GradcheckError, gradcheck
from microdiff.engine.ops import OPS, Op
from microdiff.engine.primitive import primitive
from microdiff.engine.reverse import DisconnectedGradientWarning, gradients
from microdiff.engine.value import Constant, Value, enable_grad, no_grad

try:  # drawing needs the optional graphviz package (pip install 'microdiff[viz]')
    from microdiff.drawing.draw import draw
    from microdiff.drawing.stepper import Stepper
except ModuleNotFoundError as missing:
    if missing.name != "graphviz":
        raise

    def draw(*args: object, **kwargs: object) -> None:  # type: ignore[misc]
        """Stands in for drawing when the graphviz package is missing, and says how to get it."""
        raise ModuleNotFoundError("drawing needs the graphviz package: pip install 'microdiff[viz]'", name="graphviz")

    Stepper = draw  # type: ignore[assignment,misc]

__all__ = [
    "OPS",
    "Constant",
    "DisconnectedGradientWarning",
    "DisconnectedGradientWarning",
    "Dual",
    "GradcheckError",
    "Op",
    "Stepper",
    "Value",
    "backward_steps",
    "composite",
    "draw",
    "enable_grad",
    "grad",
    "hessian",
    "hvp",
    "hessian",
    "hvp",
    "gradcheck",
    "gradients",
    "jvp",
    "mark_composite",
    "no_grad",
    "primitive",
    "primitive",
    "value_and_grad",
]
__version__ = "0.1.0"
