"""Support for the lessons in ``notebooks/``: fair checkers, graders for the learner's own engine, and
the build-it track's reference engine.

* :mod:`microdiff.lessons.checking` — ``check(lesson, *answers)``: one verdict per exercise;
* :mod:`microdiff.lessons.verdicts` — what a judgement is (a verdict, an exercise, a report), shared by the rest;
* :mod:`microdiff.lessons.answers` — each lesson's exercises and their expected answers (out of sight);
* :mod:`microdiff.lessons.grading` — ``grade_forward``, ``grade_rules``, ``grade_backward``…: microdiff's
  gradcheck and property tests, run against a learner's ``Value`` class;
* :mod:`microdiff.lessons.tiny` — the reference engine a learner builds in lesson 3.
"""

from microdiff.lessons.checking import ask, check
from microdiff.lessons.verdicts import REPORTS

__all__ = ["REPORTS", "ask", "check"]
