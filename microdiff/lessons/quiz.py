"""The Stepper as a quiz: the learner types each step's downstream gradient before it is shown.

``StepperQuiz(root)`` lists the steps of the backward pass from ``root`` (via
:func:`~microdiff.anatomy.backward_steps`) as questions: at step k, node ``h = op(x, …)``
with the numbers of the forward pass, what does it send back to each input? ``quiz.check(answers)``
judges every answer (one verdict per step, all reported) and draws the pass as far as the answers are
right: the picture of the last step answered correctly, with only the gradients known by then.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from microdiff import Constant, Value
from microdiff.anatomy import BackwardStep, backward_steps, compact
from microdiff.drawing.stepper import draw_step
from microdiff.lessons.verdicts import CORRECT, Exercise, Report, Verdict, record


class StepperQuiz:
    """Questions for each step of the backward pass from ``root``; ``tol`` is the tolerance of every answer."""

    def __init__(self, root: Value, tol: float = 1e-3) -> None:
        self.root = root
        self.tol = tol
        self.steps = backward_steps(root)

    def _inputs(self, step: BackwardStep) -> list[Value]:
        return [c.input for c in step.contributions if not isinstance(c.input, Constant)]

    def questions(self) -> str:
        """One line per step: the node, its inputs' numbers, and what to work out (nothing is revealed)."""
        names = self.steps[0].names if self.steps else {}
        lines = [
            f"The output {names.get(self.root, 'output')} starts with gradient 1. For each step, type the downstream:"
        ]
        for step in self.steps:
            inputs = ", ".join(f"{names[p]} = {compact(p.data, 4)}" for p in step.node.parents)
            wanted = " and ".join(names[p] for p in self._inputs(step))
            lines.append(
                f"  step {step.number}: {names[step.node]} = {step.node.op}({inputs}) = {compact(step.node.data, 4)}"
                f"  ->  what reaches {wanted}?"
            )
        return "\n".join(lines)

    def check(self, answers: Mapping[int, Any]) -> QuizResult:
        """Judge ``answers`` ({step number: downstream, or a tuple of them for a step with two inputs})."""
        report = Report("stepper quiz")
        for step in self.steps:
            expected = tuple(c.downstream for c in step.contributions if not isinstance(c.input, Constant))
            answer = answers.get(step.number, ...)
            kind, target = ("numbers", expected) if len(expected) > 1 else ("number", expected[0])
            verdict = Exercise(kind, _constant(target), self.tol, hint="upstream × local").judge(
                f"step {step.number}", answer
            )
            if verdict.status == CORRECT:
                verdict = Verdict(verdict.exercise, CORRECT, f"correct — {step.describe()}")
            report.verdicts.append(verdict)
        reached = 0
        for verdict in report.verdicts:
            if verdict.status != CORRECT:
                break
            reached += 1
        return QuizResult(record(report), self.steps[reached - 1] if reached else None)


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


class QuizResult:
    """The verdicts, and the picture of the pass as far as the answers were right (Jupyter shows both)."""

    def __init__(self, report: Report, reached: BackwardStep | None) -> None:
        self.report = report
        self.reached = reached

    def __str__(self) -> str:
        return str(self.report)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from microdiff.web import html_text

        text = f"<pre>{html_text(str(self.report))}</pre>"
        if self.reached is None:
            return text + "<p>Answer step 1 correctly to see the pass begin.</p>"
        return text + draw_step(self.reached).html()
