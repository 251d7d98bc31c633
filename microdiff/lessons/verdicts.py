"""What a judgement of an answer is: a verdict per answer, the exercise that gives them, the report of a run.

:class:`Verdict`, :class:`Exercise` and :class:`Report` (kept in :data:`REPORTS`).

These are the words that the lessons' checkers (:mod:`microdiff.lessons.checking`), the graders of a learner's
engine (:mod:`microdiff.lessons.grading`) and the quizzes (:mod:`microdiff.lessons.quiz`) share; this module
imports none of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CORRECT, CLOSE, WRONG, UNANSWERED = "correct", "close", "wrong", "unanswered"
CLOSE_TOLERANCE = 1e-2  # "close" means: the expected value rounded, right to about two significant digits


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
        if all(_close(a, e, CLOSE_TOLERANCE) and _rounds_to(a, e) for a, e in zip(answers, targets)):
            return Verdict(name, CLOSE, f"close — give more digits (the tolerance is {self.tol:g})")
        return Verdict(name, WRONG, f"{answer!r} is not it yet: {self.hint}")


def _close(a: float, b: float, tol: float) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def _rounds_to(answer: float, expected: float) -> bool:
    """Whether ``answer`` is ``expected`` rounded to the decimals the answer gives: 0.33 or 0.333 for 0.3333 (so
    more digits will do), but not 0.34, and not 3.49 for 3.5 (a different number, however near)."""
    text = repr(float(answer))
    if "e" in text or "n" in text:  # 1e-07, inf, nan: no decimals to read
        return False
    decimals = len(text.split(".")[1].rstrip("0"))
    return round(expected, decimals) == float(answer)


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


def all_solved() -> list[str]:
    """The lessons whose latest report (in :data:`REPORTS`) has every verdict correct, sorted; raise
    ``AssertionError`` listing each one that does not. A lesson's check runs its reference solutions, then this:
    what the tests do in CI, and what the site's check does in the browser."""
    latest = {report.lesson: report for report in REPORTS}
    unsolved = [f"{name}:\n{report}" for name, report in latest.items() if not report.solved]
    if unsolved:
        raise AssertionError("reference solutions that do not pass their checkers:\n" + "\n".join(unsolved))
    return sorted(latest)


def record(report: Report) -> Report:
    """Keep ``report`` in :data:`REPORTS` and return it (it prints itself in the notebook)."""
    REPORTS.append(report)
    return report
