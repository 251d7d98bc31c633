"""microdiff: scalar automatic differentiation, small enough to read and to check by hand.

>>> from microdiff import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad
7.0
"""

from microdiff.check import GradcheckError, gradcheck
from microdiff.composite import composite, mark_composite
from microdiff.dual import Dual, jvp
from microdiff.functional import grad, value_and_grad
from microdiff.ops import OPS, Op
from microdiff.value import Constant, Value, gradients, no_grad

__all__ = [
    "OPS",
    "Constant",
    "Dual",
    "GradcheckError",
    "Op",
    "Value",
    "composite",
    "grad",
    "gradcheck",
    "gradients",
    "jvp",
    "mark_composite",
    "no_grad",
    "value_and_grad",
]
__version__ = "0.1.0"
