"""Optimizers, schedules and minibatches by hand, and their arguments checked where they enter."""

import math

import pytest

from microdiff import Value
from microdiff.datasets import make_xor
from microdiff.nn import (
    MLP,
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    LinearLR,
    Minibatches,
    StepLR,
    train,
)


def test_sgd_dampening_and_nesterov_by_hand():
    w = Value(1.0)
    optimizer = SGD([w], lr=0.1, momentum=0.5, dampening=0.5)
    w.grad = 2.0
    optimizer.step()  # the first step's buffer is the gradient itself: b = 2
    assert w.data == pytest.approx(0.8)
    optimizer.step()  # b = 0.5·2 + 0.5·2 = 2
    assert w.data == pytest.approx(0.6)
    v = Value(1.0)
    nesterov = SGD([v], lr=0.1, momentum=0.5, nesterov=True)
    v.grad = 2.0
    nesterov.step()  # g + momentum·b = 2 + 1
    assert v.data == pytest.approx(0.7)


def test_adam_first_step_is_lr_times_the_sign_and_adamw_decays_apart():
    a, b = Value(3.0), Value(-3.0)
    a.grad, b.grad = 123.0, -1e-3
    Adam([a, b], lr=0.1).step()
    assert a.data == pytest.approx(2.9) and b.data == pytest.approx(-2.9)
    w = Value(2.0)
    w.grad = 0.0
    AdamW([w], lr=0.1, weight_decay=0.5).step()  # only the decay: 2 · (1 − 0.05)
    assert w.data == pytest.approx(1.9)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: SGD(p, lr=math.nan), r"SGD: lr must be a finite number in \[0.0, 1000000.0\], got nan"),
        (lambda p: SGD(p, lr=-0.1), r"SGD: lr must be in \[0.0, 1000000.0\], got -0.1"),
        (lambda p: SGD(p, lr=math.inf), "SGD: lr must be a finite number"),
        (lambda p: SGD(p, lr="0.1"), "SGD: lr must be a finite number"),
        (lambda p: SGD(p, lr=0.1, momentum=1.5), r"SGD: momentum must be in \[0.0, 1.0\], got 1.5"),
        (lambda p: SGD(p, lr=0.1, momentum=math.nan), "SGD: momentum must be a finite number"),
        (lambda p: SGD(p, lr=0.1, nesterov=True), "nesterov needs momentum > 0"),
        (lambda p: SGD([], lr=0.1), "SGD: params is empty"),
        (lambda p: Adam(p, betas=(0.9, 1.0)), r"Adam: betas\[1\] must be in \[0, 1\), got 1.0"),
        (lambda p: Adam(p, betas=0.9), "Adam: betas must be a pair"),
        (lambda p: AdamW(p, eps=-1.0), "AdamW: eps must be in"),
    ],
)
def test_optimizer_arguments_are_checked(make, message):
    with pytest.raises(ValueError, match=message):
        make([Value(1.0)])


def test_params_must_be_values():
    with pytest.raises(TypeError, match=r"SGD: params\[0\] must be a Value, got 1.0 \(a float\)"):
        SGD([1.0], lr=0.1)


def test_schedules_closed_forms():
    def rates(make, n=6):
        optimizer = SGD([Value(0.0)], lr=1.0)
        scheduler = make(optimizer)
        seen = []
        for _ in range(n):
            seen.append(optimizer.lr)
            scheduler.step()
        return seen

    assert rates(lambda o: StepLR(o, step_size=2, gamma=0.1)) == pytest.approx([1, 1, 0.1, 0.1, 0.01, 0.01])
    assert rates(lambda o: LinearLR(o, 0.5, 1.0, 4)) == pytest.approx([0.5, 0.625, 0.75, 0.875, 1.0, 1.0])
    cosine = rates(lambda o: CosineAnnealingLR(o, T_max=4, eta_min=0.2), n=5)
    assert cosine == pytest.approx(
        [1.0, 0.2 + 0.8 * (1 + math.cos(math.pi / 4)) / 2, 0.6, 0.2 + 0.8 * (1 - math.cos(math.pi / 4)) / 2, 0.2]
    )
    with pytest.raises(ValueError, match="StepLR: step_size must be a positive int, got 0"):
        StepLR(SGD([Value(0.0)], lr=1.0), step_size=0)
    with pytest.raises(TypeError, match="optimizer must be SGD, Adam or AdamW"):
        StepLR("sgd", step_size=1)


def test_a_schedule_drives_train():
    points, labels = make_xor(8, seed=0)
    model = MLP(2, [3, 1], seed=0)
    optimizer = SGD(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, 2, 0.5)
    history = train(model, points, labels, optimizer, 4, schedule=lambda k: scheduler.lr_at(k - 1))
    assert [r.lr for r in history] == [1.0, 1.0, 0.5, 0.5]  # train's steps count from 1, a scheduler's from 0


def test_minibatches_visit_every_example_once_per_epoch_reproducibly():
    inputs, labels = list(range(10)), [x * 10 for x in range(10)]
    batches = Minibatches(inputs, labels, batch_size=4, seed=3)
    first, second = list(batches), list(batches)
    assert len(batches) == 3 and [len(x) for x, _ in first] == [4, 4, 2]
    assert sorted(x for xs, _ in first for x in xs) == inputs
    assert all(y == 10 * x for xs, ys in first for x, y in zip(xs, ys))
    assert first != second  # a new order each epoch…
    assert list(Minibatches(inputs, labels, 4, seed=3)) == first  # …the same run from the same seed
    assert [len(x) for x, _ in Minibatches(inputs, labels, 4, drop_last=True)] == [4, 4]
    assert [x for xs, _ in Minibatches(inputs, labels, 4, shuffle=False) for x in xs] == inputs


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Minibatches([1, 2], [1], 1), "one label per input"),
        (lambda: Minibatches([], [], 1), "at least one example"),
        (lambda: Minibatches([1], [1], 0), "batch_size must be a positive int, got 0"),
    ],
)
def test_minibatch_arguments_are_checked(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("inputs", "labels", "steps", "message"),
    [
        ([], [], 5, "train needs at least one example"),
        ([[0.0, 1.0]], [1, -1], 5, "one label per input: got 1 inputs and 2 labels"),
        ([[0.0, 1.0]], [1], 0, "train: steps must be a positive int, got 0"),
    ],
)
def test_train_refuses_empty_data_and_bad_steps(inputs, labels, steps, message):
    model = MLP(2, [1])
    with pytest.raises(ValueError, match=message):
        train(model, inputs, labels, SGD(model.parameters(), lr=0.1), steps)
