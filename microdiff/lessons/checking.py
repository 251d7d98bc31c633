"""Fair checkers for the lessons' exercises: one line per exercise, every exercise reported.

An exercise says what kind of answer it wants and how close counts as correct; the expected value is
computed here, when the answer is checked, and never printed. :func:`check` compares a lesson's answers
with its exercises (defined in :mod:`microdiff.lessons.answers`) and prints one verdict per exercise:

* ``not answered yet`` while the answer is still ``...``;
* ``correct`` within the stated tolerance;
* ``close — give more digits`` when it agrees to about two digits but not to the tolerance;
* ``not it yet`` with a hint otherwise; a code exercise shows the shrunk counterexample instead.

A wrong answer never stops the others from being checked (no ``assert``), and every report is kept in
:data:`REPORTS`, so a test can confirm that a lesson's reference solutions pass.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from microdiff import DisconnectedGradientWarning

CORRECT, CLOSE, WRONG, UNANSWERED = "correct", "close", "wrong", "unanswered"
CLOSE_TOLERANCE = 1e-2  # "close" means: right to about two significant digits


@dataclass(frozen=True)
class Verdict:
    """What the checker says about one answer."""

    exercise: str
    status: str  # one of CORRECT, CLOSE, WRONG, UNANSWERED
    message: str

    def __str__(self) -> str:
        mark = {CORRECT: "✓", CLOSE: "≈", WRONG: "✗", UNANSWERED: "·"}[self.status]
        return f"{mark} {self.exercise}: {self.message}"


@dataclass(frozen=True)
class Exercise:
    """One exercise: the answer it expects (computed on demand) and how an answer is judged.

    ``kind`` is ``"number"`` (a float within ``tol``, relative or absolute), ``"numbers"`` (a tuple of
    them), ``"exact"`` (compared with ``==``: an int, a set, a string) or ``"code"`` (``expected`` is a
    grader: a function of the answer returning ``(ok, message)``, typically a property test).
    """

    kind: str
    expected: Callable[[], Any]
    tol: float = 1e-6
    hint: str = "have another look"

    def judge(self, name: str, answer: Any) -> Verdict:
        if answer is ...:
            return Verdict(name, UNANSWERED, "not answered yet")
        if self.kind == "code":
            ok, message = self.expected()(answer)
            status = CORRECT if ok else UNANSWERED if message.startswith("not written yet") else WRONG
            return Verdict(name, status, message)
        expected = self.expected()
        if self.kind == "exact":
            if answer == expected:
                return Verdict(name, CORRECT, "correct")
            return Verdict(name, WRONG, f"{answer!r} is not it yet: {self.hint}")
        answers, targets = (answer, expected) if self.kind == "numbers" else ((answer,), (expected,))
        if not isinstance(answers, (tuple, list)) or len(answers) != len(targets):
            return Verdict(name, WRONG, f"give {len(targets)} numbers as a tuple, like {_shape(len(targets))}")
        if not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in answers):
            return Verdict(name, WRONG, f"{answer!r} should be made of numbers (int or float)")
        if all(_close(a, e, self.tol) for a, e in zip(answers, targets)):
            return Verdict(name, CORRECT, f"correct (tolerance {self.tol:g})")
        if all(_close(a, e, CLOSE_TOLERANCE) for a, e in zip(answers, targets)):
            return Verdict(name, CLOSE, f"close — give more digits (the tolerance is {self.tol:g})")
        return Verdict(name, WRONG, f"{answer!r} is not it yet: {self.hint}")


def _close(a: float, b: float, tol: float) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def _shape(n: int) -> str:
    return "(" + ", ".join(f"a{i}" for i in range(1, n + 1)) + ")"


@dataclass
class Report:
    """The verdicts of one run of a checker, printed one per line."""

    lesson: str
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def solved(self) -> bool:
        return bool(self.verdicts) and all(v.status == CORRECT for v in self.verdicts)

    def __str__(self) -> str:
        done = sum(v.status == CORRECT for v in self.verdicts)
        lines = [str(v) for v in self.verdicts]
        return "\n".join(lines + [f"{done} of {len(self.verdicts)} correct"])

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


#: Every report made in this session, the latest last (read by the tests of the lessons).
REPORTS: list[Report] = []


def record(report: Report) -> Report:
    """Keep ``report`` in :data:`REPORTS` and return it (it prints itself in the notebook)."""
    REPORTS.append(report)
    return report


def check(lesson: str, *answers: Any) -> Report:
    """Judge ``answers`` (in exercise order) against the exercises of ``lesson``, e.g. ``check("01", a1, a2)``."""
    from microdiff.lessons.answers import EXERCISES

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
