"""Fair checkers for the lessons' exercises: one line per exercise, every exercise reported.

An exercise says what kind of answer it wants and how close counts as correct; the expected value is
computed here, when the answer is checked, and never printed. :func:`check` compares a lesson's answers
with its exercises (defined in :mod:`microdiff.lessons.answers`) and prints one verdict per exercise:

* ``not answered yet`` while the answer is still ``...``;
* ``correct`` within the stated tolerance;
* ``close — give more digits`` when it agrees to about two digits but not to the tolerance;
* ``not it yet`` with a hint otherwise; a code exercise shows the shrunk counterexample instead.

A wrong answer never stops the others from being checked (no ``assert``), and every report is kept in
:data:`~microdiff.lessons.verdicts.REPORTS`, so a test can confirm that a lesson's reference solutions pass.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from microdiff import DisconnectedGradientWarning
from microdiff.lessons.answers import EXERCISES
from microdiff.lessons.verdicts import WRONG, Exercise, Report, Verdict, record


def check(lesson: str, *answers: Any) -> Report:
    """Judge ``answers`` (in exercise order) against the exercises of ``lesson``, e.g. ``check("01", a1, a2)``."""
    if lesson not in EXERCISES:
        raise ValueError(f"check: no lesson {lesson!r}; the lessons with exercises are {', '.join(EXERCISES)}")
    exercises: Sequence[Exercise] = EXERCISES[lesson]
    if len(answers) != len(exercises):
        raise TypeError(f"check: lesson {lesson} has {len(exercises)} exercises, got {len(answers)} answers")
    report = Report(lesson)
    for number, (exercise, answer) in enumerate(zip(exercises, answers), start=1):
        try:
            with warnings.catch_warnings():  # a random case may ignore an input: its zero gradient is no news
                warnings.simplefilter("ignore", DisconnectedGradientWarning)
                report.verdicts.append(exercise.judge(f"Exercise {number}", answer))
        except Exception as error:  # the learner's code raised: report it, and go on with the others
            report.verdicts.append(Verdict(f"Exercise {number}", WRONG, f"raised {type(error).__name__}: {error}"))
    return record(report)


def ask(name: str, answer: Any, expected: float, tol: float = 1e-6) -> Verdict:
    """Judge one number typed in a quiz (the Stepper quiz of lesson 2, the hand backprop of lesson 3)."""
    return Exercise("number", lambda: expected, tol).judge(name, answer)
