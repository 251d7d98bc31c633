"""Each lesson's exercises: what kind of answer, the tolerance, and the expected answer.

The expected answers are computed here, by microdiff, only when a checker asks (never printed), so a
notebook cell holds no answer to peek at. Code exercises are judged by property tests: the learner's
function against a reference, on random inputs, with the shrunk counterexample in the verdict.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from microdiff import Dual, Value, grad, gradients, jvp
from microdiff.anatomy import backward_steps
from microdiff.engine.value import topological_order
from microdiff.lessons import labs
from microdiff.lessons.grading import reachable_nodes, smallest_failure
from microdiff.lessons.verdicts import Exercise
from microdiff.nn import MLP, Layer, Neuron, hinge_loss
from microdiff.testing import Expression, Instruction, expressions


def number(expected: Callable[[], float], tol: float = 1e-6, hint: str = "have another look") -> Exercise:
    return Exercise("number", expected, tol, hint)


def numbers(expected: Callable[[], tuple[float, ...]], tol: float = 1e-6, hint: str = "have another look") -> Exercise:
    return Exercise("numbers", expected, tol, hint)


def exact(expected: Callable[[], Any], hint: str = "have another look") -> Exercise:
    return Exercise("exact", expected, hint=hint)


def code(grader: Callable[[Any], tuple[bool, str]]) -> Exercise:
    return Exercise("code", lambda: grader)


def same_function(
    reference: Callable[..., float], strategy: st.SearchStrategy[tuple[float, ...]], tol: float = 1e-9
) -> Exercise:
    """A code exercise: the learner's function of floats agrees with ``reference`` on random arguments."""

    def grade(candidate: Callable[..., Any]) -> tuple[bool, str]:
        def problem(args: tuple[float, ...]) -> str | None:
            right = reference(*args)
            try:
                got = candidate(*args)
            except Exception as error:
                return f"at {args}: raised {type(error).__name__}: {error}"
            if got is ... or got is None:
                return "still returns the placeholder"
            got = got.data if isinstance(got, Value) else got
            if not math.isclose(got, right, rel_tol=tol, abs_tol=tol):
                where = ", ".join(repr(a) for a in args)
                return f"at ({where}) it gives {got!r}, the right value is {right!r}"
            return None

        if problem(_first(strategy)) == "still returns the placeholder":
            return False, "not written yet"
        message = smallest_failure(strategy, problem)
        return (True, "correct on every random case") if message is None else (False, message)

    return code(grade)


def _first(strategy: st.SearchStrategy[tuple[float, ...]]) -> tuple[float, ...]:
    from hypothesis import find

    return find(strategy, lambda _: True)


def ops_used(root: Value) -> set[str]:
    """The fundamental operations in the graph of ``root``."""
    return {node.op for node in reachable_nodes(root) if node.op}


def _grad_at(f: Callable[[Value], Value], x: float) -> float:
    v = Value(x)
    f(v).backward()
    return float(v.grad)


def _sigmoid_slope(z: float) -> float:
    return _grad_at(lambda v: v.sigmoid(), z)


LESSON_01 = [
    number(lambda: _grad_at(lambda a: (a - 2.0) + 1.0, 3.0)),
    number(lambda: _sigmoid_slope(2.0), hint="evaluate sigma(2) first, then sigma(2) * (1 - sigma(2))"),
    number(lambda: _grad_at(lambda x: x * (-x).exp(), 1.0), hint="two paths from x: add their contributions"),
    exact(lambda: ops_used(Value(3.0) / Value(2.0)), hint="draw(Value(3.0) / Value(2.0)) shows them"),
    same_function(_sigmoid_slope, st.tuples(st.floats(-30.0, 30.0))),
]


def _cubic(c: tuple[float, ...]) -> Callable[[float], float]:
    return lambda t: c[0] + c[1] * t + c[2] * t**2 + c[3] * t**3


def _forward_difference_exercise() -> Exercise:
    reference = same_function(
        lambda c0, c1, c2, c3, x, eps: (_cubic((c0, c1, c2, c3))(x + eps) - _cubic((c0, c1, c2, c3))(x)) / eps,
        st.tuples(*[st.floats(-3, 3)] * 5, st.floats(1e-4, 0.5)),
    )
    grade = reference.expected()

    def adapted(candidate: Callable[..., Any]) -> tuple[bool, str]:
        return grade(lambda c0, c1, c2, c3, x, eps: candidate(_cubic((c0, c1, c2, c3)), x, eps))

    return code(adapted)


def _sigmoid_parts(z: float) -> dict[str, Value]:
    v = Value(z)
    b = (-v).exp()
    a = 1 + b
    y = a.reciprocal()
    y.backward()
    return {"z": v, "b": b, "a": a}


LESSON_02 = [
    number(
        lambda: float(_sigmoid_parts(0.0)["b"].grad), hint="the reciprocal's local derivative, passed on by the add"
    ),
    number(lambda: -1.0 / _sigmoid_parts(1.0)["a"].data ** 2, hint="-1/a^2 with a = 1 + e^-1"),
    number(lambda: _grad_at(lambda x: x * x * x, 2.0), hint="three uses: add what each sends back"),
    number(lambda: (3.01**2 - 3.0**2) / 0.01, hint="expand (3 + eps)^2 - 9 and divide by eps"),
    _forward_difference_exercise(),
]


def _neuron_gradients() -> dict[str, float]:
    """The hand-backprop neuron of lesson 3: relu(w1 x1 + w2 x2 + b), squared error against 1."""
    x1, x2, w1, w2, b = Value(2.0), Value(-1.0), Value(0.5), Value(-1.5), Value(0.25)
    out = (w1 * x1 + w2 * x2 + b).relu()
    e = out - 1.0
    loss = e * e
    loss.backward()
    return {"e": e.grad, "out": out.grad, "w1": w1.grad, "w2": w2.grad, "b": b.grad}


LESSON_03 = [
    number(lambda: _neuron_gradients()["e"], hint="e is used twice by the mul: two contributions"),
    number(lambda: _neuron_gradients()["out"], hint="the add passes its upstream through"),
    number(lambda: _neuron_gradients()["out"] * 1.0, hint="is the relu active? z > 0 means local 1"),
    number(lambda: _neuron_gradients()["w1"], hint="mul sends the other factor: dL/dz times x1"),
    number(lambda: _neuron_gradients()["w2"], hint="mul sends the other factor: dL/dz times x2"),
    number(lambda: _neuron_gradients()["b"], hint="b is added: it gets dL/dz unchanged"),
]


def same_on_graphs(reference: Callable[[Value], Any]) -> Exercise:
    """A code exercise: the learner's function of a graph's output agrees with ``reference`` on random graphs."""

    def grade(candidate: Callable[[Value], Any]) -> tuple[bool, str]:
        def problem(expr: Expression) -> str | None:
            root = expr(*[Value(x) for x in expr.inputs])
            got, right = candidate(root), reference(root)
            if got is None or got is ...:
                return "not written yet"
            return None if got == right else f"for {expr.formula()} you give {got!r}, the answer is {right!r}"

        first = problem(Expression((1.0,), (Instruction("mul", (0, 0)),)))
        if first == "not written yet":
            return False, first
        message = first or smallest_failure(expressions(max_steps=6), problem)
        return (True, "correct on every random graph") if message is None else (False, message)

    return code(grade)


def _depth(root: Value) -> int:
    depths: dict[Value, int] = {}
    for node in topological_order(root):
        depths[node] = 1 + max(depths[p] for p in node.parents) if node.parents else 0
    return depths[root]


def _passes(times: int) -> float:
    x = Value(3.0)
    y = x * x
    for _ in range(times):
        y.backward()
    return float(x.grad)


LESSON_04 = [
    exact(lambda: len(topological_order(Value(1.0).tanh())), hint="draw(Value(1.0).tanh()) and count the boxes"),
    number(lambda: _passes(3), hint="each pass adds 2x to the leaf"),
    number(lambda: Value(3.0).data, hint="both edges of the mul lead to x: which one survives an overwrite?"),
    exact(lambda: "gc", hint="the module whose collect() finds reference cycles"),
    same_on_graphs(_depth),
]


def _f(x: Any, y: Any) -> Any:
    return 3 * x**2 + x * y + 5 * y**2


def _directional_exercise() -> Exercise:
    def grade(candidate: Callable[..., Any]) -> tuple[bool, str]:
        def problem(case: tuple[Expression, list[float]]) -> str | None:
            expr, direction = case
            got = candidate(expr, expr.inputs, direction)
            if got is None or got is ...:
                return "not written yet"
            right = jvp(expr, expr.inputs, direction)[1]
            if not math.isclose(got, right, rel_tol=1e-9, abs_tol=1e-9):
                return f"{expr.formula()} at {expr.inputs} in direction {direction}: you give {got!r}, jvp {right!r}"
            return None

        cases = expressions().flatmap(
            lambda e: st.tuples(st.just(e), st.lists(st.floats(-1, 1), min_size=len(e.inputs), max_size=len(e.inputs)))
        )
        first = problem((Expression((1.0, 2.0), (Instruction("mul", (0, 1)),)), [1.0, 0.5]))
        if first == "not written yet":
            return False, first
        message = first or smallest_failure(cases, problem)
        return (True, "agrees with jvp on every random case") if message is None else (False, message)

    return code(grade)


def _jacobian_of_F() -> tuple[float, ...]:
    rows = [grad(fi, argnums=(0, 1))(2.0, 3.0) for fi in (lambda x, y: x * y, lambda x, y: x + y, lambda x, y: x * x)]
    return tuple(float(d) for row in rows for d in row)


LESSON_05 = [
    numbers(lambda: grad(_f, argnums=(0, 1))(1.0, -1.0), hint="6x + y and x + 10y"),
    number(lambda: jvp(_f, (2.0, 3.0), (2.0, -1.0))[1], hint="the dot product of (15, 32) with the direction"),
    numbers(
        lambda: (lambda d: (d.primal, d.tangent))(Dual(3.0, 2.0) * Dual(4.0, -1.0)), hint="multiply out, drop eps^2"
    ),
    exact(lambda: (10, 1), hint="forward mode: one pass per input; reverse: one per output"),
    numbers(_jacobian_of_F, hint="row i holds the derivatives of output i"),
    _directional_exercise(),
]


def _taylor2_reference(a: float, x: float) -> float:
    tanh = lambda v: v.tanh()  # noqa: E731
    f0, f1, f2 = math.tanh(a), grad(tanh)(a), grad(grad(tanh))(a)
    return f0 + f1 * (x - a) + 0.5 * f2 * (x - a) ** 2


def _taylor2_exercise() -> Exercise:
    grade = same_function(_taylor2_reference, st.tuples(st.floats(-2, 2), st.floats(-2, 2))).expected()

    def adapted(candidate: Callable[..., Any]) -> tuple[bool, str]:
        if candidate(lambda v: v.tanh(), 0.0) is None:
            return False, "not written yet"
        return grade(lambda a, x: candidate(lambda v: v.tanh(), a)(x))

    return code(adapted)


def _newton_sqrt2(steps: int) -> float:
    x = 1.0
    for _ in range(steps):
        x = x - (x**2 - 2) / grad(lambda t: t**2 - 2)(x)
    return x


def _tanh_derivatives(k: int) -> float:
    derivative: Callable[..., Any] = lambda v: v.tanh()  # noqa: E731
    for _ in range(k):
        derivative = grad(derivative)
    return float(derivative(0.0))


def _hessian_x2y3() -> tuple[float, ...]:
    f = lambda x, y: x**2 * y**3  # noqa: E731
    return tuple(float(grad(grad(f, argnums=i), argnums=j)(1.0, 2.0)) for i in (0, 1) for j in (0, 1))


LESSON_06 = [
    number(lambda: grad(grad(grad(lambda x: x**4)))(1.0), hint="differentiate x^4 three times"),
    number(lambda: grad(grad(lambda z: z.sigmoid()))(0.0), hint="where does the slope curve peak?"),
    number(lambda: grad(grad(lambda x, y: x**2 * y**3, argnums=0), argnums=1)(1.0, 2.0), hint="d/dy of 2x y^3"),
    number(lambda: _newton_sqrt2(3), tol=1e-7, hint="three steps of x - (x^2 - 2) / (2x) from 1"),
    number(lambda: _tanh_derivatives(3) / 6, hint="the third derivative over 3!"),
    numbers(_hessian_x2y3, hint="rows (f_xx, f_xy), (f_yx, f_yy)"),
    numbers(
        lambda: (1.0 * 2.0 + 3.0 * 1.0, 2 * 3.0), hint="the naive inner tangent is x' y + x y' with both x' and y' = 1"
    ),
    _taylor2_exercise(),
]


def _first_weight_gradient(point: list[float]) -> float:
    neuron = Neuron(2, activation="relu")
    assert neuron.b is not None  # a Neuron has a bias unless made with bias=False
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 2.0, -1.0, 0.5
    neuron(point).backward()
    return float(neuron.w[0].grad)


def _hinge_example() -> tuple[float, float]:
    s = Value(0.3)
    loss = hinge_loss([s], [1])
    loss.backward()
    return loss.data, float(s.grad)


def _logistic_at(m: float) -> tuple[float, float]:
    margin = Value(m)
    loss = (1 + (-margin).exp()).log()
    loss.backward()
    return loss.data, float(margin.grad)


def _neuron_exercise() -> Exercise:
    def reference(*numbers: float) -> float:
        n = len(numbers) // 2
        neuron = Neuron(n, activation="tanh")
        assert neuron.b is not None
        for w, value in zip(neuron.w, numbers[:n]):
            w.data = value
        neuron.b.data = numbers[-1]
        return neuron(list(numbers[n:-1])).data

    grade = same_function(reference, st.tuples(*[st.floats(-2, 2)] * 7)).expected()

    def adapted(candidate: Callable[..., Any]) -> tuple[bool, str]:
        if candidate([1.0], 0.0, [1.0]) is None:
            return False, "not written yet"
        return grade(lambda w0, w1, w2, x0, x1, x2, b: candidate([w0, w1, w2], b, [x0, x1, x2]))

    return code(adapted)


LESSON_07 = [
    exact(lambda: len(MLP(3, [4, 4, 1]).parameters()), hint="each neuron: one weight per input, plus a bias"),
    number(lambda: _first_weight_gradient([3.0, 1.0]), hint="is z positive? then d out/d w0 = x0"),
    number(lambda: _first_weight_gradient([-3.0, 1.0]), hint="is z positive this time?"),
    numbers(_hinge_example, hint="max(0, 1 - y s) and its slope in s"),
    numbers(lambda: _logistic_at(2.0), hint="log(1 + e^-2), and -e^-m / (1 + e^-m)"),
    _neuron_exercise(),
]


def _sigmoid_float(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def _softplus_exercise(low: float, high: float) -> Exercise:
    """Values and slopes of the learner's softplus (a function of a Value) at random points."""

    def grade(candidate: Callable[[Value], Any]) -> tuple[bool, str]:
        def problem(point: tuple[float]) -> str | None:
            (x,) = point
            v = Value(x)
            out = candidate(v)
            if out is None or out is ...:
                return "not written yet"
            out.backward()
            value = max(x, 0.0) + math.log1p(math.exp(-abs(x)))
            if not math.isclose(out.data, value, rel_tol=1e-9, abs_tol=1e-12):
                return f"softplus({x!r}) = {out.data!r}, should be {value!r}"
            if not math.isclose(v.grad, _sigmoid_float(x), rel_tol=1e-9, abs_tol=1e-12):
                return f"the slope at {x!r} is {v.grad!r}, should be sigmoid({x!r}) = {_sigmoid_float(x)!r}"
            return None

        first = problem((0.5,))
        if first == "not written yet":
            return False, first
        message = first or smallest_failure(st.tuples(st.floats(low, high)), _guarded(problem))
        return (True, f"values and slopes right on [{low:g}, {high:g}]") if message is None else (False, message)

    return code(grade)


def _guarded(problem: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    def guarded(case: Any) -> str | None:
        try:
            return problem(case)
        except Exception as error:
            return f"at {case}: raised {type(error).__name__}: {error}"

    return guarded


def _length_exercise() -> Exercise:
    def grade(candidate: Callable[[Value, Value], Any]) -> tuple[bool, str]:
        def problem(point: tuple[float, float]) -> str | None:
            x, y = Value(point[0]), Value(point[1])
            out = candidate(x, y)
            if out is None or out is ...:
                return "not written yet"
            out.backward()
            r = math.hypot(*point)
            if not math.isclose(out.data, r, rel_tol=1e-9):
                return f"at {point} the length is {r!r}, yours gives {out.data!r}"
            if not (
                math.isclose(x.grad, point[0] / r, rel_tol=1e-9, abs_tol=1e-12)
                and math.isclose(y.grad, point[1] / r, rel_tol=1e-9, abs_tol=1e-12)
            ):
                return f"at {point} the gradient is {(point[0] / r, point[1] / r)}, yours gives {(x.grad, y.grad)}"
            return None

        first = problem((3.0, 4.0))
        if first == "not written yet":
            return False, first
        points = st.tuples(st.floats(-5, 5), st.floats(-5, 5)).filter(lambda p: math.hypot(*p) > 0.1)
        message = first or smallest_failure(points, _guarded(problem))
        return (True, "value and gradient right at every random point") if message is None else (False, message)

    return code(grade)


def _first_wrong_step() -> int:
    z = Value(0.0)
    y = (1 + (-z).exp()).reciprocal()
    return next(step.number for step in backward_steps(y) if step.node.op == "exp")


def _without_zero_grad(steps: int, lr: float = 0.1, gradient: float = 2.0) -> float:
    w, accumulated = 0.0, 0.0
    for _ in range(steps):
        accumulated += gradient
        w -= lr * accumulated
    return w


LESSON_09 = [
    exact(lambda: labs.ANSWERS["flipped_sign"], hint="grade_rules(mystery) names it"),
    number(lambda: Value(3.0).data, hint="two contributions of x arrive; which one survives an overwrite?"),
    exact(_first_wrong_step, hint="the first row of the table where the two engines part, and its step"),
    number(lambda: _without_zero_grad(3), hint="the gradient used at step k is 2k"),
    numbers(lambda: (3.0, 6.0), hint="the engine sees w times the constant 3"),
    number(lambda: 1 / 3, tol=1e-3, hint="|1 - 6 lr| must stay below 1"),
]


def _jacobian_reference(F: Callable[..., list[Value]], point: tuple[float, ...]) -> list[list[float]]:
    rows = []
    for i in range(len(F(*[Value(p) for p in point]))):
        inputs = [Value(p) for p in point]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an output may ignore an input: its entry is simply 0
            rows.append([float(g) for g in gradients(F(*inputs)[i], inputs)])
    return rows


def _jacobian_exercise() -> Exercise:
    def grade(candidate: Callable[..., Any]) -> tuple[bool, str]:
        def problem(expr: Expression) -> str | None:
            F = lambda *xs: [expr(*xs), expr(*xs) * xs[0], xs[-1] + xs[0]]  # noqa: E731
            got = candidate(F, expr.inputs)
            if got is None or got is ...:
                return "not written yet"
            right = _jacobian_reference(F, expr.inputs)
            shape_ok = len(got) == len(right) and all(len(g) == len(r) for g, r in zip(got, right))
            if not shape_ok or not all(
                math.isclose(float(a), b, rel_tol=1e-9, abs_tol=1e-9) for g, r in zip(got, right) for a, b in zip(g, r)
            ):
                return (
                    f"for F = ({expr.formula()}, its product with x0, x_last + x0) at {expr.inputs}: {got} != {right}"
                )
            return None

        first = problem(Expression((1.0, 2.0), (Instruction("mul", (0, 1)),)))
        if first == "not written yet":
            return False, first
        message = first or smallest_failure(expressions(max_steps=5), _guarded(problem))
        return (True, "correct on every random function") if message is None else (False, message)

    return code(grade)


def _G_jacobian() -> tuple[float, ...]:
    return tuple(v for row in _jacobian_reference(lambda x, y: [x * x * y, x + 3 * y], (1.0, 2.0)) for v in row)


def _F_vjp() -> tuple[float, ...]:
    rows = _jacobian_reference(lambda x, y, z: [x * y + z, x * z.exp() - y], (2.0, 3.0, 0.0))
    return tuple(rows[0][j] + rows[1][j] for j in range(3))


LESSON_10 = [
    numbers(_G_jacobian, hint="row i holds the partial derivatives of output i"),
    numbers(_F_vjp, hint="u^T J with u = (1, 1) adds up the rows"),
    numbers(lambda: (1.0 * 1 + 0.0 * 0 + 3.0 * 2, 2.0 * 1 + (-1.0) * 0 + 1.0 * 2), hint="column j of W, dotted with u"),
    exact(lambda: (1000, 10), hint="forward: a pass per input; reverse: a pass per output"),
    _jacobian_exercise(),
]


def _layer_operations() -> int:
    outputs = Layer(3, 2, activation="linear")([Value(0.5), Value(-1.0), Value(2.0)])
    return len({id(node) for out in outputs for node in reachable_nodes(out) if node.op})


LESSON_11 = [
    exact(lambda: "MulBackward0", hint="the operation's name, capitalised, then Backward0"),
    exact(lambda: "retain_grad", hint="it keeps (retains) the gradient"),
    number(lambda: 1.0 - (1 / math.sqrt(2)) ** 2, hint="1 - o^2"),
    exact(_layer_operations, hint="count the muls and the adds of each neuron"),
]


def _bigram_start_with_a() -> float:
    """P(a | .) in lesson 12's bigram model: add-one smoothed counts of first letters of the training names."""
    from microdiff.datasets import load_names
    from microdiff.nn import language_model as lm

    names = load_names()
    alphabet = lm.make_alphabet(names)
    inputs, targets = lm.examples(lm.split(names, seed=0)[0], alphabet)
    return lm.Bigram(inputs, targets, len(alphabet)).probabilities(0)[alphabet.index("a")]


def _model_parameters() -> int:
    from microdiff.nn import language_model as lm

    return len(lm.make_model(27, context=3, embedding_dim=4, hidden=6).parameters())


def _softmax_at(temperature: float, logits: tuple[float, ...]) -> tuple[float, ...]:
    from microdiff.nn import softmax

    return tuple(p.data for p in softmax([Value(v / temperature) for v in logits]))


LESSON_12 = [
    number(_bigram_start_with_a, hint="row 0 of bigram.counts, each count plus one, over the row's total plus 27"),
    number(lambda: math.log(27), hint="-log of 1/27"),
    exact(_model_parameters, hint="the table's 27 rows, then each neuron's weights and bias"),
    numbers(lambda: _softmax_at(0.5, (1.0, 2.0, 3.0)), hint="divide the logits by T first, then softmax"),
]


def reference_attend(q: list[Any], keys: list[list[Any]], values: list[list[Any]]) -> list[Any]:
    """One attention head at one position: softmax(q·kₛ / √d) over the positions s, then Σₛ wₛ·vₛ."""
    from microdiff.nn import softmax

    d = len(q)
    scores = [sum((qi * ki for qi, ki in zip(q, k)), Value(0.0)) * (1.0 / math.sqrt(d)) for k in keys]
    weights = softmax(scores)
    return [sum((w * v[j] for w, v in zip(weights, values)), Value(0.0)) for j in range(len(values[0]))]


def _attention_exercise() -> Exercise:
    """Lesson 13's head, written by the learner: its outputs, and the gradient that flows back to the query."""
    case = st.integers(1, 3).flatmap(
        lambda d: st.integers(1, 4).flatmap(
            lambda t: st.tuples(
                st.lists(st.floats(-2, 2), min_size=d, max_size=d),
                st.lists(st.lists(st.floats(-2, 2), min_size=d, max_size=d), min_size=t, max_size=t),
                st.lists(st.lists(st.floats(-2, 2), min_size=d, max_size=d), min_size=t, max_size=t),
            )
        )
    )

    def run(attend: Callable[..., Any], numbers: Any) -> tuple[list[float], list[float]] | str:
        q = [Value(x) for x in numbers[0]]
        keys = [[Value(x) for x in k] for k in numbers[1]]
        values = [[Value(x) for x in v] for v in numbers[2]]
        out = attend(q, keys, values)
        if out is None or out is ...:
            return "not written yet"
        if (
            not isinstance(out, (list, tuple))
            or len(out) != len(values[0])
            or not all(isinstance(o, Value) for o in out)
        ):
            return f"give a list of {len(values[0])} Values (one per dimension of the values), got {out!r:.60}"
        total = sum((o * (j + 1) for j, o in enumerate(out)), Value(0.0))
        total.backward()
        return [o.data for o in out], [qi.grad for qi in q]

    def grade(attend: Callable[..., Any]) -> tuple[bool, str]:
        def problem(numbers: Any) -> str | None:
            got, right = run(attend, numbers), run(reference_attend, numbers)
            if isinstance(got, str):
                return got
            assert not isinstance(right, str)
            for what, mine, theirs in (("output", got[0], right[0]), ("gradient of the query", got[1], right[1])):
                if not all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) for a, b in zip(mine, theirs)):
                    return (
                        f"q={numbers[0]}, keys={numbers[1]}, values={numbers[2]}: your {what} is {mine}, not {theirs}"
                    )
            return None

        first = problem(([1.0, 0.0], [[1.0, 1.0], [0.0, 2.0]], [[1.0, 0.0], [0.0, 1.0]]))
        if first == "not written yet":
            return False, first
        message = smallest_failure(case, problem) or first  # the smallest failing case hypothesis finds
        return (
            (True, "the same outputs and query gradients on every random case") if message is None else (False, message)
        )

    return code(grade)


def _rmsnorm_first() -> float:
    from microdiff.nn import RMSNorm

    return RMSNorm(3, elementwise_affine=False)([Value(3.0), Value(-4.0), Value(0.0)])[0].data


def _small_gpt_parameters() -> int:
    from microdiff.nn import GPT

    return len(GPT(27, n_embd=8, n_head=2, n_layer=2, block_size=8).parameters())


LESSON_13 = [
    _attention_exercise(),
    number(lambda: math.exp(2) / (math.exp(2) + 2), hint="e^2 over e^2 + e^0 + e^0"),
    number(_rmsnorm_first, hint="3 divided by the square root of (9 + 16 + 0)/3 + 1e-5"),
    exact(_small_gpt_parameters, hint="two tables, the output projection, and per layer 4·d² + 2·4d²"),
]


def reference_run(program: Any, *args: float) -> float:
    """Lesson 14's replay, written out: fill the slots, run each instruction from the table, read the output."""
    from microdiff import OPS

    v = program.slots(*args)
    for instruction in program.instructions:
        v[instruction.out] = OPS[instruction.op].forward(*(v[i] for i in instruction.inputs))
    return v[program.outputs[0]]


def _replay_exercise() -> Exercise:
    """The learner's replay loop against the program's own, bit for bit, on random expressions."""
    from microdiff import trace

    ops = ("add", "sub", "mul", "div", "neg", "exp", "relu")  # no formula chosen by a sign: no detached constants

    def grade(run: Callable[..., Any]) -> tuple[bool, str]:
        def problem(expr: Expression) -> str | None:
            program = trace(expr, *expr.inputs)
            moved = tuple(x + 0.25 for x in expr.inputs)
            try:
                got = run(program, *moved)
            except ArithmeticError:
                return None  # the expression leaves its domain at the moved point: nothing to compare
            if got is None or got is ...:
                return "not written yet"
            try:
                right = program(*moved)
            except ArithmeticError:
                return None
            if got != right:
                return f"{expr.formula()} at {moved}: your replay gives {got!r}, the program {right!r}"
            return None

        first = problem(Expression((2.0, 3.0), (Instruction("mul", (0, 1)),)))
        if first == "not written yet":
            return False, first
        message = smallest_failure(expressions(max_steps=6, ops=ops), problem) or first
        if message is None:
            return True, "bit for bit the program's value on every random expression"
        return False, message

    return code(grade)


def _instruction_count() -> int:
    from microdiff import trace

    return len(trace(lambda x, y: 3 * x * x + x * y + 5 * y * y, 2.0, 3.0).instructions)


LESSON_14 = [
    exact(_instruction_count, hint="one instruction per *, + in the formula: count them, or len(program.instructions)"),
    _replay_exercise(),
    exact(lambda: "GuardError", hint="call it and read the first word of the error: its class's name"),
    number(lambda: 3.0, hint="trace again at -3.0 (or compute -x yourself)"),
]

EXERCISES: dict[str, list[Exercise]] = {
    "14": LESSON_14,
    "13": LESSON_13,
    "12": LESSON_12,
    "11": LESSON_11,
    "10": LESSON_10,
    "09": LESSON_09,
    "08-1": [_softplus_exercise(-30.0, 30.0)],
    "08-2": [_softplus_exercise(-1000.0, 1000.0)],
    "08-3": [_length_exercise()],
    "07": LESSON_07,
    "06": LESSON_06,
    "05": LESSON_05,
    "04": LESSON_04,
    "03": LESSON_03,
    "01": LESSON_01,
    "02": LESSON_02,
}
