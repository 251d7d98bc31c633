"""Graders for the build-it track: microdiff's own checks, run against the learner's engine.

The learner writes a small ``Value`` class (lesson 3): ``data``, ``grad``, ``parents``, ``op``, the
fundamental operations, a table of local rules, a topological sort, ``backward`` and ``zero_grad``.
Each grader here builds random expressions from :func:`microdiff.testing.expressions` *through the
learner's class*, and compares what it gives with microdiff (the same expression on microdiff's
``Value``) and with central finite differences (:func:`microdiff.engine.gradcheck.numerical_gradient`).
When a property fails, hypothesis shrinks the failing case, and the verdict shows that smallest
counterexample: the formula, the point, the learner's number and the right one.

Every grader returns a :class:`~microdiff.lessons.verdicts.Report` (one verdict per part graded), kept
in :data:`~microdiff.lessons.verdicts.REPORTS` under the grader's name (``"backward"``, ``"engine"``…).
Nothing here needs the learner's engine to be built like microdiff's: only its behaviour is graded.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from microdiff import Value as MicrodiffValue
from microdiff import gradients
from microdiff.engine.gradcheck import numerical_gradient
from microdiff.engine.ops import OPS
from microdiff.lessons.verdicts import CORRECT, UNANSWERED, WRONG, Report, Verdict, record
from microdiff.testing import Expression, Instruction, expressions

#: The operations a learner's engine offers: the fundamental ones and the two derived by composition.
ENGINE_OPS = ("add", "sub", "mul", "div", "neg", "reciprocal", "exp", "log", "relu")
#: The learner's table of rules covers these (sub and div are compositions and need none).
FUNDAMENTAL = ("add", "mul", "neg", "reciprocal", "exp", "log", "relu")
EXAMPLES = 30  # random cases per property: enough to find a wrong rule, quick enough for a lesson
DEEP = 10_000  # nodes in the chain that a topological sort must handle


class NotWritten(Exception):
    """The learner's code still returns the placeholder (``...`` or ``None``)."""


def smallest_failure(strategy: st.SearchStrategy[Any], problem: Callable[[Any], str | None]) -> str | None:
    """The message for the smallest example on which ``problem`` reports something, or ``None``.

    ``problem(example)`` returns ``None`` when the property holds and a message when it fails. Hypothesis
    replays the shrunk example last, so the last message recorded belongs to the smallest failing case.
    """
    messages: list[str] = []
    missing: list[NotWritten] = []  # a placeholder met on some example: reported as such, after the search

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def holds(example: Any) -> None:
        try:
            message = problem(example)
        except NotWritten as placeholder:
            missing.append(placeholder)
            return
        if message is not None:
            messages.append(message)
            raise AssertionError(message)

    try:
        holds()
    except AssertionError:
        return messages[-1] if messages else "the property failed"
    if missing:
        raise missing[0]
    return None


def _verdict(name: str, run: Callable[[], str | None], passed: str) -> Verdict:
    """Run one graded part: ``run`` returns ``None`` (passed) or a message; placeholders count as unanswered."""
    try:
        message = run()
    except (NotWritten, NotImplementedError) as missing:
        return Verdict(name, UNANSWERED, f"not written yet ({missing})")
    except Exception as error:
        return Verdict(name, WRONG, f"raised {type(error).__name__}: {error}")
    return Verdict(name, CORRECT, passed) if message is None else Verdict(name, WRONG, message)


def _written(result: Any, what: str) -> Any:
    if result is None or result is ...:
        raise NotWritten(f"{what} returned {result!r}")
    return result


def _point(expr: Expression) -> str:
    return ", ".join(f"x{i}={x!r}" for i, x in enumerate(expr.inputs))


def _catching(problem: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    """The same property, with an exception in the learner's code reported as a failure of this example."""

    def guarded(example: Any) -> str | None:
        try:
            return problem(example)
        except NotWritten:
            raise
        except NotImplementedError as missing:  # the skeleton's placeholder
            raise NotWritten(str(missing)) from missing
        except (TypeError, AttributeError) as error:
            if "NoneType" in str(error):  # an operation still returns None, its body is `...`
                raise NotWritten("an operation returned None") from error
            return f"{example!r}: your code raised {type(error).__name__}: {error}"
        except Exception as error:
            return f"{example!r}: your code raised {type(error).__name__}: {error}"

    return guarded


def _search_or_missing(
    strategy: st.SearchStrategy[Any], problem: Callable[[Any], str | None], probe: Any
) -> str | None:
    """Probe once (a placeholder stops here, reported as not written), then search for a counterexample."""
    guarded = _catching(problem)
    message = guarded(probe)
    return message if message is not None else smallest_failure(strategy, guarded)


def _reference_gradients(expr: Expression) -> tuple[float, ...]:
    """microdiff's gradient of ``expr`` at its point; an input the expression ignores quietly gets 0."""
    variables = [MicrodiffValue(x) for x in expr.inputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a random expression may not use every input: that is no bug here
        return tuple(float(g) for g in gradients(expr(*variables), variables))


def _slopes(function: Callable[..., float], point: Sequence[float]) -> list[float]:
    """Central differences of a function of floats (microdiff's ``numerical_gradient`` wants Values)."""
    return numerical_gradient(lambda *vs: MicrodiffValue(function(*[v.data for v in vs])), point)


def _agree(a: float, b: float, tol: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def _probe_expression() -> Expression:
    """A small expression that uses every operation of the engine once: the first case every grader tries."""
    steps = (
        Instruction("mul", (0, 1)),  # x0*x1 = 1
        Instruction("add", (2, 0)),  # 3
        Instruction("log", (3,)),
        Instruction("exp", (4,)),  # 3
        Instruction("reciprocal", (5,)),
        Instruction("neg", (6,)),
        Instruction("relu", (7,)),  # 0 (negative input)
        Instruction("sub", (8, 2)),
        Instruction("div", (9, 1)),
        Instruction("relu", (3,)),
        Instruction("add", (10, 11)),
    )
    return Expression((2.0, 0.5), steps)


PROBE = _probe_expression()


def _learner_output(cls: type, expr: Expression) -> tuple[list[Any], Any]:
    leaves = [cls(x) for x in expr.inputs]
    out = _written(expr(*leaves), "an operation")
    _written(getattr(out, "data", None), "data")
    return leaves, out


def grade_forward(cls: type) -> Report:
    """Every operation computes the right number: random expressions, your ``data`` against microdiff's."""

    def problem(expr: Expression) -> str | None:
        _, out = _learner_output(cls, expr)
        right = expr(*[MicrodiffValue(x) for x in expr.inputs]).data
        if not _agree(out.data, right):
            return f"{expr.formula()} at {_point(expr)}: your data {out.data!r}, microdiff's {right!r}"
        return None

    strategy = expressions(ops=ENGINE_OPS)
    name = "forward values"
    return record(Report("forward", [_verdict(name, lambda: _search_or_missing(strategy, problem, PROBE), _passed())]))


def _passed() -> str:
    return f"held on {EXAMPLES} random expressions"


def _forward_of(name: str) -> Callable[..., float]:
    return OPS[name].forward if name in OPS else getattr(math, name)


def _domain(name: str) -> st.SearchStrategy[float]:
    """Points where ``name`` is smooth and finite differences are accurate (as in microdiff.testing)."""
    if name == "log":
        return st.floats(0.05, 5.0)
    if name == "reciprocal":
        return st.floats(-5.0, 5.0).filter(lambda a: abs(a) > 0.1)
    if name == "relu":
        return st.floats(-5.0, 5.0).filter(lambda a: abs(a) > 0.05)
    return st.floats(-5.0, 5.0)


def grade_rules(rules: dict[str, Callable[..., Any]], names: Iterable[str] = FUNDAMENTAL) -> Report:
    """Each local rule against central finite differences of its operation (gradcheck, one op at a time)."""
    report = Report("rules")
    for name in names:
        forward = _forward_of(name)
        arity = 2 if name in ("add", "mul") else 1

        def problem(
            point: tuple[float, ...], name: str = name, forward: Callable[..., float] = forward, arity: int = arity
        ) -> str | None:
            rule = rules.get(name)
            if rule is None:
                raise NotWritten(f"no rule for {name!r} in the table")
            out = forward(*point)
            local = _written(rule(*point, out), f"the rule for {name}")
            numeric = _slopes(forward, point)
            if len(local) != arity:
                return f"{name} has {arity} input(s), so its rule returns {arity} number(s), not {len(local)}"
            for i, (a, n) in enumerate(zip(local, numeric)):
                if not abs(a - n) <= 1e-5 + 1e-3 * abs(n):
                    where = ", ".join(repr(p) for p in point)
                    return f"{name}({where}): your d out/d input{i} = {a!r}, finite differences say {n:.8g}"
            return None

        strategy = st.tuples(*[_domain(name)] * arity)
        probe = (1.5, -0.5)[:arity]
        report.verdicts.append(_verdict(f"rule for {name}", _searching(strategy, problem, probe), "correct"))
    return record(report)


def _searching(
    strategy: st.SearchStrategy[Any], problem: Callable[[Any], str | None], probe: Any
) -> Callable[[], str | None]:
    return lambda: _search_or_missing(strategy, problem, probe)


def reachable_nodes(root: Any) -> list[Any]:
    """Every node reachable from ``root`` through ``parents`` (our own walk, to judge the learner's)."""
    found: dict[int, Any] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) not in found:
            found[id(node)] = node
            stack.extend(_written(node.parents, "parents"))
    return list(found.values())


def grade_topological_order(topological_order: Callable[[Any], list[Any]], cls: type) -> Report:
    """Your sort lists every node once, each after its inputs, the output last; also on a deep chain."""

    def problem(expr: Expression) -> str | None:
        _, out = _learner_output(cls, expr)
        order = _written(topological_order(out), "topological_order")
        position = {id(node): i for i, node in enumerate(order)}
        expected = reachable_nodes(out)
        if len(order) != len(position):
            return f"{expr.formula()}: a node appears more than once in your order"
        if set(position) != {id(node) for node in expected}:
            return f"{expr.formula()}: your order has {len(order)} nodes, the graph has {len(expected)}"
        for node in order:
            for parent in node.parents:
                if position[id(parent)] > position[id(node)]:
                    return f"{expr.formula()}: a node comes before its input {parent!r}"
        if order[-1] is not out:
            return f"{expr.formula()}: the output should come last"
        return None

    def deep() -> str | None:
        node = cls(0.0)
        for _ in range(DEEP):
            node = node + 1.0
        try:
            order = _written(topological_order(node), "topological_order")
        except NotImplementedError as missing:
            raise NotWritten(str(missing)) from missing
        except RecursionError:
            return (
                f"RecursionError on a chain {DEEP:,} deep (Python's limit is {sys.getrecursionlimit():,} calls):"
                " keep the to-do list in a list of your own instead of on the call stack"
            )
        return None if len(order) == 2 * DEEP + 1 else f"{len(order)} nodes in a chain of {2 * DEEP + 1}"

    strategy = expressions(ops=ENGINE_OPS)
    return record(
        Report(
            "topological order",
            [
                _verdict("topological order", lambda: _search_or_missing(strategy, problem, PROBE), _passed()),
                _verdict(f"a chain {DEEP:,} deep", deep, "sorted without running out of stack"),
            ],
        )
    )


def _backward(cls: type, backward: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    return backward if backward is not None else (lambda root: root.backward())


def grade_backward(cls: type, backward: Callable[[Any], Any] | None = None) -> Report:
    """Your gradients on random expressions: against microdiff's, and against finite differences.

    ``backward(root)`` is your function; by default ``root.backward()`` is called.
    """
    run = _backward(cls, backward)

    def problem(expr: Expression) -> str | None:
        leaves, out = _learner_output(cls, expr)
        run(out)
        yours = [_written(leaf.grad, "grad") for leaf in leaves]
        right = _reference_gradients(expr)
        numeric = numerical_gradient(expr, expr.inputs)
        for i, (a, r, n) in enumerate(zip(yours, right, numeric)):
            if not _agree(a, r) or not abs(a - n) <= 1e-5 + 1e-3 * abs(n):
                return (
                    f"{expr.formula()} at {_point(expr)}: your d out/d x{i} = {a!r}; microdiff {r!r}, "
                    f"finite differences {n:.8g}"
                )
        return None

    strategy = expressions(ops=ENGINE_OPS)
    verdict = _verdict("backward", lambda: _search_or_missing(strategy, problem, PROBE), _passed())
    return record(Report("backward", [verdict]))


def grade_accumulation(cls: type, backward: Callable[[Any], Any] | None = None) -> Report:
    """A value used twice adds both contributions; a second pass adds to the leaves' gradients."""
    run = _backward(cls, backward)

    def twice_in_one_pass() -> str | None:
        x = cls(3.0)
        run(x * x + x)
        return None if _agree(_written(x.grad, "grad"), 7.0) else f"d(x*x + x)/dx at 3 is 7, you have {x.grad!r}"

    def two_passes() -> str | None:
        x = cls(3.0)
        y = x * x
        run(y)
        run(y)
        return (
            None
            if _agree(x.grad, 12.0)
            else f"after two passes over x*x at 3 the leaf holds 6 + 6, you have {x.grad!r}"
        )

    def inner_nodes_start_afresh() -> str | None:
        x = cls(3.0)
        y = x * x + x  # x*x is an inner node: a second pass must not add to what the first left in it
        run(y)
        run(y)
        if _agree(x.grad, 14.0):
            return None
        return (
            f"after two passes over x*x + x at 3 the leaf holds 7 + 7 = 14, you have {x.grad!r}: each pass must start "
            "every node that is not a leaf from 0 (only leaves accumulate)"
        )

    return record(
        Report(
            "accumulation",
            [
                _verdict("uses add up", twice_in_one_pass, "x*x + x at 3 gives 7"),
                _verdict("passes accumulate", two_passes, "two passes give the leaf 12"),
                _verdict("inner nodes start afresh", inner_nodes_start_afresh, "two passes over x*x + x give 14"),
            ],
        )
    )


def grade_zero_grad(cls: type, zero_grad: Callable[[Any], Any], backward: Callable[[Any], Any] | None = None) -> Report:
    """After ``zero_grad(root)`` every gradient in the graph is 0, and a new pass starts afresh."""
    run = _backward(cls, backward)

    def problem(expr: Expression) -> str | None:
        leaves, out = _learner_output(cls, expr)
        run(out)
        zero_grad(out)
        left = [node for node in reachable_nodes(out) if node.grad != 0.0]
        if left:
            return f"{expr.formula()}: {len(left)} node(s) still have a gradient after zero_grad, e.g. {left[0]!r}"
        run(out)
        right = _reference_gradients(expr)
        for i, (leaf, r) in enumerate(zip(leaves, right)):
            if not _agree(leaf.grad, r):
                where = f"{expr.formula()} at {_point(expr)}"
                return f"{where}: after zero_grad and a new pass, x{i} has {leaf.grad!r}, not {r!r}"
        return None

    strategy = expressions(ops=ENGINE_OPS)
    return record(
        Report("zero_grad", [_verdict("zero_grad", lambda: _search_or_missing(strategy, problem, PROBE), _passed())])
    )


def grade_new_op(cls: type, name: str = "sin", backward: Callable[[Any], Any] | None = None) -> Report:
    """A new operation (a method ``name`` of your class, e.g. ``sin``): its values, its slope, and its
    composition with random expressions, against ``math`` and finite differences."""
    run = _backward(cls, backward)
    function = getattr(math, name)

    def alone(x: float) -> str | None:
        leaf = cls(x)
        method = getattr(leaf, name, None)
        if method is None:
            raise NotWritten(f"your Value has no method {name}")
        out = _written(method(), name)
        run(out)
        slope = _slopes(function, [x])[0]
        if not _agree(out.data, function(x)):
            return f"{name}({x!r}): your data {out.data!r}, math.{name} gives {function(x)!r}"
        if not abs(leaf.grad - slope) <= 1e-5 + 1e-3 * abs(slope):
            return f"{name}({x!r}): your slope {leaf.grad!r}, finite differences {slope:.8g}"
        return None

    def composed(expr: Expression) -> str | None:
        leaves = [cls(x) for x in expr.inputs]
        out = getattr(expr(*leaves), name)()
        run(out)
        numeric = _slopes(lambda *xs: function(expr.evaluate(*xs, functions=_FLOAT_METHODS)), expr.inputs)
        for i, (leaf, n) in enumerate(zip(leaves, numeric)):
            if not abs(leaf.grad - n) <= 1e-5 + 1e-3 * abs(n):
                where = f"{name}({expr.formula()}) at {_point(expr)}"
                return f"{where}: your d/dx{i} = {leaf.grad!r}, finite differences {n:.8g}"
        return None

    return record(
        Report(
            name,
            [
                _verdict(f"{name} alone", lambda: _search_or_missing(st.floats(-6.0, 6.0), alone, 0.5), "matches math"),
                _verdict(
                    f"{name} of random expressions",
                    lambda: _search_or_missing(expressions(ops=ENGINE_OPS), _catching(composed), PROBE),
                    _passed(),
                ),
            ],
        )
    )


def _float_method(name: str) -> Callable[..., float]:
    if name == "sub":
        return lambda a, b: a - b
    if name == "div":
        return lambda a, b: a / b
    forward = OPS[name].forward
    return lambda *xs: forward(*xs)


_FLOAT_METHODS = {name: _float_method(name) for name in ENGINE_OPS}


def grade_engine(
    cls: type, topological_order: Callable[[Any], list[Any]], rules: dict[str, Any], zero_grad: Callable[[Any], Any]
) -> Report:
    """Every grader at once, one verdict per part: the whole build-it track."""
    parts = [
        grade_forward(cls),
        grade_rules(rules),
        grade_topological_order(topological_order, cls),
        grade_backward(cls),
        grade_accumulation(cls),
        grade_zero_grad(cls, zero_grad),
    ]
    if hasattr(cls, "sin"):
        parts.append(grade_new_op(cls))
    return record(Report("engine", [verdict for part in parts for verdict in part.verdicts]))
