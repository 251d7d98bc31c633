"""trace() and Program: the graph as a program, replayed bit for bit, with guards where a trace cannot see.

The oracle is graph mode itself: the same function run on Values and ``backward()``. A replay uses the same rules
in the same order of accumulation, so every value and gradient must be *identical* (``==``, not close) — on random
expressions (hypothesis), on an MLP's training step with captured parameters, and through embedding lookups.
"""

import math
import random
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microdiff import DisconnectedGradientWarning, GuardError, Index, Program, Value, nn, topological_order, trace
from microdiff.datasets import make_moons
from microdiff.engine.arithmetic import detached, sigmoid, tanh
from microdiff.testing import Expression, Instruction, expressions


def graph_value_and_grad(f, *args):
    """Graph mode's answer: f on fresh leaves, backward(), and each leaf's gradient."""
    leaves = [Value(a) for a in args]
    y = f(*leaves)
    y.backward()
    grads = tuple(leaf.grad for leaf in leaves)
    return y.data, grads[0] if len(grads) == 1 else grads  # (one argument: its gradient bare, as value_and_grad)


def test_the_docstrings_program_prints_as_a_learner_reads_it():
    program = trace(lambda x, y: 3 * x**2 + x * y, 2.0, 3.0)
    assert str(program) == "\n".join(
        [
            "program(x, y):",
            "  v0 = x",
            "  v1 = y",
            "  v2 = 2.0",
            "  v3 = 3.0",
            "  v4 = mul v0 v1",
            "  v5 = pow v0 v2",
            "  v6 = mul v3 v5",
            "  v7 = add v6 v4",
            "  return v7",
        ]
    )
    assert program(2.0, 3.0) == 18.0
    assert program.value_and_grad(1.0, 5.0) == (8.0, (11.0, 1.0))
    assert isinstance(program, Program)
    assert [i.op for i in program.instructions] == ["mul", "pow", "mul", "add"]
    assert "4 instructions" in repr(program)


def test_the_seeds_example_replays_to_its_gradient():
    """f(x, y) = 3x² + xy + 5y² at (2, 3) is 63 with gradient (15, 32); replayed at (1, 1): 9, (7, 11)."""
    program = trace(lambda x, y: 3 * x * x + x * y + 5 * y * y, 2.0, 3.0)
    assert program.value_and_grad(2.0, 3.0) == (63.0, (15.0, 32.0))
    assert program.value_and_grad(1.0, 1.0) == (9.0, (7.0, 11.0))


@settings(max_examples=150, deadline=None)
@given(expressions(max_inputs=3, max_steps=10), st.randoms(use_true_random=False))
def test_a_replay_is_bit_identical_to_graph_mode(expr: Expression, rng: random.Random):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DisconnectedGradientWarning)
        program = trace(expr, *expr.inputs)
        assert program.value_and_grad(*expr.inputs) == graph_value_and_grad(expr, *expr.inputs)
        # New numbers: the replay gives graph mode's answer, or says the trace does not fit them (a sigmoid that
        # changed formula) — or fails where graph mode fails, with the same error. A program holds only the steps
        # its output reads, so the graph-mode answer it must match is that of the expression without dead steps.
        moved = tuple(x + rng.uniform(-0.5, 0.5) for x in expr.inputs)
        try:
            expected = graph_value_and_grad(expr.without_dead_steps(), *moved)
        except (ArithmeticError, ValueError) as error:
            with pytest.raises((type(error), GuardError)):
                program.value_and_grad(*moved)
            return
        try:
            assert program.value_and_grad(*moved) == expected
        except GuardError as error:
            assert "sigmoid" in str(error) or ">=" in str(error)


def test_the_oracle_drops_only_the_steps_the_result_does_not_read():
    """The case CI found: x - 1/x is computed, never read, and is 0 at x = 1 (so its reciprocal fails); the
    result is -x + 1/x."""
    steps = (
        Instruction("reciprocal", (0,)),
        Instruction("sub", (0, 2)),
        Instruction("reciprocal", (3,)),
        Instruction("neg", (0,)),
        Instruction("add", (5, 2)),
    )
    expr = Expression((0.5, 0.0), steps)
    live = expr.without_dead_steps()
    assert live.steps == (Instruction("reciprocal", (0,)), Instruction("neg", (0,)), Instruction("add", (3, 2)))
    assert graph_value_and_grad(live, 0.5, 0.0) == graph_value_and_grad(expr, 0.5, 0.0) == (1.5, (-5.0, 0.0))
    with pytest.raises(ZeroDivisionError, match="reciprocal of 0.0"):
        graph_value_and_grad(expr, 1.0, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DisconnectedGradientWarning)
        assert (
            trace(expr, 0.5, 0.0).value_and_grad(1.0, 0.0) == graph_value_and_grad(live, 1.0, 0.0) == (0.0, (-2.0, 0.0))
        )


def mlp_loss(model, points, labels):
    scores = [model(list(p))[0] for p in points]
    losses = [(1 + -y * s).relu() for s, y in zip(scores, labels)]
    params = model.parameters()
    return sum(losses, Value(0.0)) * (1.0 / len(losses)) + 1e-4 * sum((p * p for p in params), Value(0.0))


def test_a_training_step_replayed_reads_and_writes_the_captured_parameters_bit_for_bit():
    rng = random.Random(3)
    points = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(12)]
    labels = [1.0 if x * y > 0 else -1.0 for x, y in points]
    random.seed(7)
    traced, plain = nn.MLP(2, [8, 8, 1]), nn.MLP(2, [8, 8, 1])
    for p, q in zip(traced.parameters(), plain.parameters()):
        q.data = p.data
    program = trace(lambda pts: mlp_loss(traced, pts, labels), points)
    captured = [p for _, p in program.captured]
    assert all(any(p is q for q in captured) for q in traced.parameters())  # (and the Value(0.0)s made inside)
    for step in range(4):
        for model in (traced, plain):
            model.zero_grad()
        replayed = program.backward(points)
        loss = mlp_loss(plain, [[Value(a), Value(b)] for a, b in points], labels)
        loss.backward()
        assert replayed == loss.data, step
        assert [p.grad for p in traced.parameters()] == [p.grad for p in plain.parameters()]
        for model in (traced, plain):
            for p in model.parameters():
                p.data -= 0.1 * p.grad


def test_backward_accumulates_as_graph_mode_does():
    w = Value(0.5, label="w")
    program = trace(lambda x: w * x * x, 3.0)
    program.backward(3.0)
    program.backward(2.0)
    assert w.grad == 9.0 + 4.0


def test_a_branch_on_a_traced_number_is_a_guard_and_a_replay_that_would_go_the_other_way_refuses():
    def f(x):
        return x * 2 if x > 0 else -x

    program = trace(f, 1.0)
    assert "guard: v0 > 0.0 was True" in str(program)
    assert program(5.0) == 10.0
    with pytest.raises(GuardError, match=r"f: the trace decided x > 0\.0 was True \(at test_trace\.py:\d+\)"):
        program(-1.0)


def test_reading_data_is_a_guard_on_that_exact_number():
    program = trace(lambda x: x * x.data, 3.0)
    assert program(3.0) == 9.0
    with pytest.raises(GuardError, match=r"\.data read as 3\.0"):
        program(4.0)


def test_max_of_traced_numbers_is_guarded_by_its_comparisons():
    program = trace(lambda a, b: max(a, b) * 2, 1.0, 2.0)
    assert program(1.5, 3.0) == 6.0
    with pytest.raises(GuardError):
        program(3.0, 1.0)


def test_relu_and_tanh_need_no_guard_and_sigmoid_has_one():
    relu = trace(lambda x: x.relu(), 1.0)
    assert relu.guards == [] and relu(-2.0) == 0.0
    hyperbolic = trace(lambda x: tanh(x), 0.7)
    assert hyperbolic.guards == []
    assert hyperbolic.value_and_grad(-0.7) == graph_value_and_grad(tanh, -0.7)
    logistic = trace(lambda x: sigmoid(x), 0.7)
    assert len(logistic.guards) == 1
    assert logistic.value_and_grad(0.2) == graph_value_and_grad(sigmoid, 0.2)
    with pytest.raises(GuardError, match="sigmoid"):
        logistic(-0.2)


def test_a_detached_shift_is_recomputed_at_every_replay():
    """Softmax's subtracted maximum is taken from the data: frozen it would still be right (shift-invariance),
    but it would overflow where the logits grow; the program recomputes it."""

    def log_softmax_first(a, b, c):
        m = detached(max, a, b, c)
        shifted = [v - m for v in (a, b, c)]
        return shifted[0] - sum((v.exp() for v in shifted), Value(0.0)).log()

    program = trace(log_softmax_first, 1.0, 2.0, 3.0)
    assert program.guards == []
    assert any(i.op == "max" for i in program.instructions)
    for point in [(1.0, 2.0, 3.0), (800.0, 799.0, 3.0)]:
        assert program.value_and_grad(*point) == graph_value_and_grad(log_softmax_first, *point)


def test_embedding_rows_and_targets_are_inputs_and_shared_rows_add_up_bit_for_bit():
    table = [[Value(random.Random(k).uniform(-1, 1)) for _ in range(3)] for k in range(5)]

    def f(i, j, target):
        row_i, row_j = i.lookup(table), j.lookup(table)
        logits = [a * b + a for a, b in zip(row_i, row_j)]
        return -sum((z * t for z, t in zip(logits, target.one_hot(3))), Value(0.0))

    program = trace(f, Index(1), Index(2), Index(0))
    for i, j, t in [(1, 2, 0), (3, 3, 2), (4, 0, 1), (3, 3, 1)]:
        for row in table:
            for p in row:
                p.grad = 0.0
        out = program.backward(Index(i), Index(j), Index(t))
        replayed = [p.grad for row in table for p in row]
        for row in table:
            for p in row:
                p.grad = 0.0
        y = f(Index(i), Index(j), Index(t))
        y.backward()
        assert out == y.data
        assert replayed == [p.grad for row in table for p in row], (i, j, t)


def test_a_replay_checks_its_arguments():
    program = trace(lambda xs: xs[0] * xs[1], [1.0, 2.0])
    with pytest.raises(ValueError, match="shaped"):
        program([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="numbers, Index"):
        trace(lambda x: x, "seven")
    with pytest.raises(TypeError, match="must return numbers"):
        trace(lambda x: "no", 1.0)


def test_an_overflow_in_a_replay_names_the_operation_as_graph_mode_does():
    program = trace(lambda x: (x * x).exp() * 0.0 + x, 1.0)
    with pytest.raises(OverflowError, match=r"exp\(900\.0\)"):
        program(30.0)
    assert program(2.0) == 2.0


def test_an_error_inside_a_rule_names_the_operation():
    program = trace(lambda x: x.log(), 2.0)
    with pytest.raises(ValueError, match="log"):
        program(-1.0)


def test_an_unused_input_warns_that_its_gradient_is_cut_in_a_replay_too():
    program = trace(lambda x, y: x * 2.0, 1.0, 2.0)
    with pytest.warns(DisconnectedGradientWarning, match="y"):
        assert program.value_and_grad(1.0, 2.0) == (2.0, (2.0, 0.0))


def test_the_fused_add_of_a_product_keeps_the_bits_and_the_products_read_elsewhere():
    """A product read twice (or returned) is not fused away; an add of a product gives the same bits as two steps."""
    program = trace(lambda x, y: (x * y + 1.0, x * y), 0.1, 0.7)
    assert program(0.1, 0.7) == (0.1 * 0.7 + 1.0, 0.1 * 0.7)
    shared = trace(lambda x, y: (lambda p: p + x + p)(x * y), 0.3, 0.9)
    assert shared.value_and_grad(0.3, 0.9) == graph_value_and_grad(lambda x, y: (lambda p: p + x + p)(x * y), 0.3, 0.9)
    assert math.isfinite(shared(1e3, 1e3))


def test_a_program_turns_back_into_its_graph_and_draws():
    from microdiff import draw

    program = trace(lambda x, y: 3 * x**2 + x * y, 2.0, 3.0)
    root = program.graph()
    assert root.data == 18.0 and root.op == "add" and root.label == "v7"
    x, y = sorted((leaf for leaf in topological_order(root) if leaf.label in ("x", "y")), key=lambda v: v.label)
    assert (x.grad, y.grad) == program.value_and_grad(2.0, 3.0)[1] == (15.0, 2.0)
    assert program.graph(1.0, 5.0).data == 8.0
    source = draw(program).source
    assert "program&#58; 4 instructions" in source
    assert all(f"<b>v{slot}</b>" in source for slot in (4, 5, 6, 7))  # the listing's names
    assert "<b>x</b>" in source and "<b>y</b>" in source


def test_train_with_trace_gives_graph_modes_records_and_weights_bit_for_bit():
    points, labels = make_moons(40, seed=2)
    runs = []
    for traced in (False, True):
        model = nn.MLP(2, [8, 8, 1], seed=4)
        optimizer = nn.SGD(model.parameters(), lr=0.2, momentum=0.9)
        records = nn.train(model, points, labels, optimizer, 6, trace=traced)
        runs.append((records, [p.data for p in model.parameters()]))
    assert runs[0] == runs[1]
    assert runs[0][0][0].loss != runs[0][0][-1].loss  # it trained


def test_optimize_traces_again_where_a_guard_refuses_and_keeps_graph_modes_numbers():
    """The branch on w·x flips as w moves: the replay that would go the other way is refused and traced again."""
    runs = []
    for traced in (False, True):
        w = Value(0.3, label="w")
        optimizer = nn.SGD([w], lr=0.5)

        def loss_of(x, w=w):
            z = w * x
            return z * z if z > 0.1 else -z * 3.0

        losses = nn.optimize(loss_of, iter([1.0] * 6), optimizer, 6, trace=traced)
        runs.append((losses, w.data))
    assert runs[0] == runs[1] == ([0.09, -0.0, 2.25, -0.0, 2.25, -0.0], 1.5)  # w: 0.3, 0, 1.5, 0, 1.5…: both branches


def test_optimize_keeps_a_bounded_number_of_programs(monkeypatch):
    """Batches of ever new shapes: only the newest MAX_PROGRAMS programs are kept, so a shape seen long ago is
    traced again (with 3 kept, lengths 1, 2, 3, 4 push out length 1; then 1 pushes out 2; 3 and 4 stay)."""
    from microdiff.nn import training

    monkeypatch.setattr(training, "MAX_PROGRAMS", 3)
    traced = []
    real = training.trace_function
    monkeypatch.setattr(training, "trace_function", lambda f, *args: traced.append(len(args[0])) or real(f, *args))
    w = Value(0.5)
    lengths = [1, 2, 3, 4, 1, 3, 4]
    batches = ([1.0] * n for n in lengths)
    losses = nn.optimize(lambda xs: sum((w * x for x in xs), Value(0.0)), batches, nn.SGD([w], lr=0.0), 7, trace=True)
    assert losses == [0.5 * n for n in lengths]
    assert traced == [1, 2, 3, 4, 1]  # 1 again (pushed out by 4); 3 and 4 replayed from the programs kept
