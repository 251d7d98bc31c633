"""Checking arguments where they enter: a wrong one is refused at once, with a message that names the
function, the argument, what was expected and what came instead.

A NaN learning rate or a layer of -1 neurons does not fail where it is given; it fails (or silently
does nothing) many steps later, far from the mistake. These checks keep the error next to its cause.
"""

from __future__ import annotations

import math
from numbers import Integral, Real


def positive_int(who: str, name: str, value: object) -> int:
    """``value`` as an int ≥ 1, else ``ValueError``: ``MLP: nouts[0] must be a positive int, got -1``."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{who}: {name} must be a positive int, got {value!r}")
    return int(value)


def number_in(who: str, name: str, value: object, low: float, high: float, *, open_low: bool = False) -> float:
    """``value`` as a finite float in [low, high] (or (low, high] when ``open_low``), else ``ValueError``.

    >>> number_in("SGD", "momentum", 0.9, 0.0, 1.0)
    0.9
    """
    interval = f"{'(' if open_low else '['}{low}, {high}]"
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise ValueError(f"{who}: {name} must be a finite number in {interval}, got {value!r}")
    number = float(value)
    if not (low < number if open_low else low <= number) or number > high:
        raise ValueError(f"{who}: {name} must be in {interval}, got {value!r}")
    return number


def describe(value: object) -> str:
    """A short description of a value for an error message: its repr (cut to 40 characters) and type."""
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{text} (a {type(value).__name__})"


def finite_float(where: str, value: object) -> float:
    """``value`` (an int or float, not a bool) as a finite float, else ``ValueError`` starting with ``where``.

    An int too large for a float (a 400-digit number) is refused here too, not with a bare ``OverflowError``.
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{where} must be a finite number, found {describe(value)}")
    try:
        number = float(value)
    except OverflowError:
        digits = int(abs(int(value)).bit_length() * math.log10(2)) + 1  # type: ignore[call-overload]
        raise ValueError(f"{where} must be a finite number, found a {digits}-digit int") from None
    if not math.isfinite(number):
        raise ValueError(f"{where} must be a finite number, found {number!r}")
    return number
