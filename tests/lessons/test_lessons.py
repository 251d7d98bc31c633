"""microdiff.lessons: the checkers and graders the notebooks use must be fair, and must catch real bugs.

The notebooks' own test (test_notebooks.py) runs every reference solution through its checker; here the
checkers and graders are tested directly: a right answer passes, a near miss is "close", every exercise is
reported, and each planted bug of lesson 9 is caught with a useful counterexample.
"""

from __future__ import annotations

import math

import pytest

pytest.importorskip("hypothesis")

from microdiff import Value  # noqa: E402
from microdiff.lessons import check, labs, tiny  # noqa: E402
from microdiff.lessons.answers import EXERCISES  # noqa: E402
from microdiff.lessons.grading import (  # noqa: E402
    grade_accumulation,
    grade_backward,
    grade_engine,
    grade_forward,
    grade_rules,
    grade_topological_order,
)
from microdiff.lessons.quiz import StepperQuiz  # noqa: E402
from microdiff.lessons.verdicts import CLOSE, CORRECT, UNANSWERED, WRONG, Exercise  # noqa: E402


def statuses(report) -> list[str]:
    return [verdict.status for verdict in report.verdicts]


def test_every_exercise_is_reported_even_when_others_fail() -> None:
    sigma2 = 1 / (1 + math.exp(-2))
    report = check("01", 2.0, ..., "zero", {"mul", "reciprocal"}, lambda z: ...)
    assert statuses(report) == [WRONG, UNANSWERED, WRONG, CORRECT, UNANSWERED]
    assert not report.solved
    report = check("01", 1.0, sigma2 * (1 - sigma2), 0.0, {"mul", "reciprocal"}, lambda z: z)
    assert statuses(report)[:4] == [CORRECT] * 4


def test_a_rounded_answer_is_close_not_wrong() -> None:
    """Lesson 2's -0.5344 was rejected outright; now it is "close", with the tolerance stated."""
    verdict = check("02", ..., -0.5344, ..., ..., ...).verdicts[1]
    assert verdict.status == CLOSE and "1e-06" in verdict.message


def test_a_code_exercise_shows_the_smallest_counterexample() -> None:
    wrong_slope = lambda z: math.exp(-z) / (1 + math.exp(-z))  # noqa: E731  (sigma, not its slope)
    verdict = check("01", ..., ..., ..., ..., wrong_slope).verdicts[4]
    assert verdict.status == WRONG and "0.0" in verdict.message  # shrunk to z = 0, where sigma = 0.5, slope 0.25


def test_the_length_exercise_checks_the_value_too() -> None:
    """Lesson 8's exercise 3 passed 0.6x + 0.8y; now the value is checked as well as the gradient."""
    assert statuses(check("08-3", lambda x, y: 0.6 * x + 0.8 * y)) == [WRONG]
    assert statuses(check("08-3", lambda x, y: (x * x + y * y) ** 0.5)) == [CORRECT]


def test_every_lesson_has_exercises_with_a_kind() -> None:
    for lesson, exercises in EXERCISES.items():
        assert exercises, lesson
        assert all(exercise.kind in ("number", "numbers", "exact", "code") for exercise in exercises), lesson


def test_the_reference_engine_passes_every_grader() -> None:
    report = grade_engine(tiny.Value, tiny.topological_order, tiny.RULES, tiny.zero_grad)
    assert report.solved, str(report)


def test_a_flipped_sign_is_named() -> None:
    report = grade_rules(labs.flipped_sign())
    wrong = [v.exercise for v in report.verdicts if v.status == WRONG]
    assert wrong == [f"rule for {labs.ANSWERS['flipped_sign']}"]


def backward_without_reset(root: tiny.Value, add: bool) -> None:
    """The reference engine's chain rule, wrong in the ways a learner's can be: no node's grad is reset first,
    and with ``add=False`` each contribution overwrites the last instead of adding to it."""
    order = tiny.topological_order(root)
    root.grad = 1.0
    for node in reversed(order):
        if node.parents:
            local = tiny.RULES[node.op](*[p.data for p in node.parents], node.data)
            for parent, derivative in zip(node.parents, local):
                parent.grad = (parent.grad if add else 0.0) + node.grad * derivative


def test_overwriting_instead_of_adding_is_shrunk_to_a_repeated_variable() -> None:
    def overwrite(root: tiny.Value) -> None:
        backward_without_reset(root, add=False)

    (verdict,) = grade_backward(tiny.Value, backward=overwrite).verdicts
    assert verdict.status == WRONG
    assert "(x0 + x0)" in verdict.message or "(x0 * x0)" in verdict.message, verdict.message


def test_a_recursive_sort_fails_only_the_deep_chain() -> None:
    def recursive(root):
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for parent in node.parents:
                    visit(parent)
                order.append(node)

        visit(root)
        return order

    assert statuses(grade_topological_order(recursive, tiny.Value)) == [CORRECT, WRONG]


def test_an_unfinished_class_is_not_written_yet() -> None:
    class Unfinished(tiny.Value):
        def exp(self):
            return None

    assert statuses(grade_forward(Unfinished)) == [UNANSWERED]


def test_the_stepper_quiz_judges_each_step() -> None:
    z = Value(0.0)
    y = (1 + (-z).exp()).reciprocal()
    quiz = StepperQuiz(y)
    assert "step 4" in quiz.questions() and "-0.25" not in quiz.questions()  # nothing revealed
    result = quiz.check({1: -0.25, 2: -0.25, 3: 0.25, 4: ...})
    assert statuses(result.report) == [CORRECT, CORRECT, WRONG, UNANSWERED]
    assert result.reached is not None and result.reached.number == 2


def test_check_names_a_wrong_lesson_or_count() -> None:
    with pytest.raises(ValueError, match="no lesson '99'"):
        check("99", 1.0)
    with pytest.raises(TypeError, match="lesson 01 has 5 exercises, got 1"):
        check("01", 1.0)


@pytest.mark.parametrize(
    ("answer", "status"),
    [(0.33, CLOSE), (0.333, CLOSE), (0.34, WRONG), (0.3, WRONG), (1 / 3, CORRECT), (0.3333333, CORRECT)],
)
def test_close_means_the_expected_value_rounded(answer, status) -> None:
    """0.33 for 1/3 is close (give more digits); 0.34 is another number, however near, and so is 3.49 for 3.5."""
    exercise = Exercise("number", lambda: 1 / 3, 1e-6)
    assert exercise.judge("x", answer).status == status
    assert Exercise("number", lambda: 3.5, 1e-6).judge("x", 3.49).status == WRONG


def test_a_backward_that_never_resets_inner_nodes_is_caught_by_a_second_pass() -> None:
    """micrograd's first backward: every node's grad keeps what the last pass left, so a second pass over
    x*x + x at 3 gives the leaf 20, not 7 + 7. One pass, or two over a graph with no inner node, cannot see it."""

    def micrograd_style(root: tiny.Value) -> None:
        backward_without_reset(root, add=True)

    report = grade_accumulation(tiny.Value, backward=micrograd_style)
    assert statuses(report) == [CORRECT, CORRECT, WRONG]
    assert "you have 20.0" in report.verdicts[2].message
    assert grade_accumulation(tiny.Value).solved
