"""The planted bugs of lesson 9, kept out of the notebook so that finding them is the exercise.

Each mystery is a copy of the reference engine's table of rules (:data:`microdiff.lessons.tiny.RULES`)
with one rule broken the way rules break in practice: a sign flipped, or the input used where the output
belongs. :data:`ANSWERS` names the broken operation of each, for the checker.
"""

from __future__ import annotations

from collections.abc import Callable

from microdiff.lessons.tiny import RULES

Rules = dict[str, Callable[..., tuple[float, ...]]]


def flipped_sign() -> Rules:
    """One rule's derivative has the wrong sign."""
    rules = dict(RULES)
    rules["reciprocal"] = lambda a, out: (1.0 / a**2,)
    return rules


def input_for_output() -> Rules:
    """One rule reads its input where it should read its output."""
    rules = dict(RULES)
    rules["exp"] = lambda a, out: (a,)
    return rules


#: The operation broken in each mystery table.
ANSWERS = {"flipped_sign": "reciprocal", "input_for_output": "exp"}
