"""microdiff.nn against torch (float64): every optimizer's steps, every schedule's rates, every loss's value
and gradients. Without torch these tests skip, except in CI (MICRODIFF_REQUIRE_TORCH=1), where they fail."""

import math
import random

import pytest
from conftest import require

from microdiff import Value
from microdiff.nn import (
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    LinearLR,
    StepLR,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    mse_loss,
)

torch = require("torch")
F = torch.nn.functional

STEPS = 200


def replay(ours_class, theirs_class, seed, **options):
    """Run both optimizers for STEPS steps on the same random gradients; return both parameter lists."""
    rng = random.Random(seed)
    start = [rng.uniform(-2, 2) for _ in range(5)]
    ours = [Value(x) for x in start]
    theirs = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer, reference = ours_class(ours, **options), theirs_class([theirs], **options)
    for _ in range(STEPS):
        grads = [rng.gauss(0, 1) * 10 ** rng.uniform(-3, 1) for _ in start]
        for p, g in zip(ours, grads):
            p.grad = g
        theirs.grad = torch.tensor(grads, dtype=torch.float64)
        optimizer.step()
        reference.step()
    return [p.data for p in ours], theirs.detach().tolist()


@pytest.mark.parametrize(
    "options",
    [
        {"lr": 0.1},
        {"lr": 0.05, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01},
        {"lr": 0.02, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1},
        {},
    ],
)
def test_sgd_matches_torch(options):
    ours, theirs = replay(SGD, torch.optim.SGD, 1, **options)
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    ("ours_class", "theirs_class", "options"),
    [
        (Adam, torch.optim.Adam, {}),
        (Adam, torch.optim.Adam, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
        (Adam, torch.optim.Adam, {"lr": 0.01, "amsgrad": True}),
        (Adam, torch.optim.Adam, {"lr": 0.01, "betas": (0.3, 0.9)}),
        (AdamW, torch.optim.AdamW, {}),
        (AdamW, torch.optim.AdamW, {"lr": 0.03, "weight_decay": 0.5, "amsgrad": True}),
    ],
)
def test_adam_and_adamw_match_torch(ours_class, theirs_class, options):
    ours, theirs = replay(ours_class, theirs_class, 2, **options)
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    ("ours_class", "theirs_class", "options"),
    [
        (StepLR, torch.optim.lr_scheduler.StepLR, {"step_size": 7, "gamma": 0.5}),
        (LinearLR, torch.optim.lr_scheduler.LinearLR, {}),
        (LinearLR, torch.optim.lr_scheduler.LinearLR, {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 30}),
        (CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR, {"T_max": 40, "eta_min": 0.001}),
    ],
)
def test_schedules_match_torch(ours_class, theirs_class, options):
    optimizer = SGD([Value(0.0)], lr=0.1)
    reference = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    ours, theirs = ours_class(optimizer, **options), theirs_class(reference, **options)
    for _ in range(60):
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=1e-15)
        reference.step()
        ours.step()
        theirs.step()


def batch(rng, n, classes=1):
    if classes == 1:
        return [Value(rng.uniform(-4, 4)) for _ in range(n)]
    return [[Value(rng.uniform(-4, 4)) for _ in range(classes)] for _ in range(n)]


def compare(ours_loss, leaves, theirs_loss, tensor):
    ours_loss.backward()
    theirs_loss.backward()
    assert ours_loss.data == pytest.approx(theirs_loss.item(), rel=1e-12, abs=1e-14)
    assert [p.grad for p in leaves] == pytest.approx(tensor.grad.flatten().tolist(), rel=1e-10, abs=1e-14)


def as_tensor(values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("seed", range(5))
def test_regression_and_binary_losses_match_torch(seed):
    rng = random.Random(seed)
    n = rng.randrange(1, 9)
    targets = [rng.uniform(-3, 3) for _ in range(n)]
    scores = batch(rng, n)
    t = as_tensor([s.data for s in scores])
    compare(mse_loss(scores, targets), scores, F.mse_loss(t, torch.tensor(targets, dtype=torch.float64)), t)

    labels = [rng.choice([-1, 1]) for _ in range(n)]
    scores = batch(rng, n)
    t = as_tensor([s.data for s in scores])
    compare(hinge_loss(scores, labels), scores, torch.relu(1 - torch.tensor(labels) * t).mean(), t)

    probabilities = [rng.random() for _ in range(n)]  # soft targets
    scores = batch(rng, n)
    t = as_tensor([s.data for s in scores])
    target = torch.tensor(probabilities, dtype=torch.float64)
    compare(
        binary_cross_entropy_with_logits(scores, probabilities),
        scores,
        F.binary_cross_entropy_with_logits(t, target),
        t,
    )

    inputs = [Value(rng.uniform(0.01, 0.99)) for _ in range(n)]
    t = as_tensor([p.data for p in inputs])
    for targets in (probabilities, [rng.choice([0, 1]) for _ in range(n)]):
        for p in inputs:
            p.grad = 0.0
        t.grad = None
        target = torch.tensor(targets, dtype=torch.float64)
        compare(binary_cross_entropy(inputs, targets), inputs, F.binary_cross_entropy(t, target), t)


def test_binary_cross_entropy_clamps_its_log_at_minus_100_as_torch():
    probabilities = [Value(0.0), Value(1.0), Value(1e-50)]
    ours = binary_cross_entropy(probabilities, [1, 1, 1]).data
    theirs = F.binary_cross_entropy(
        torch.tensor([0.0, 1.0, 1e-50], dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    )
    assert ours == pytest.approx(theirs.item(), rel=1e-12)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.5])
@pytest.mark.parametrize("kind", ["indices", "probabilities"])
def test_cross_entropy_matches_torch(seed, smoothing, kind):
    rng = random.Random(seed)
    n, classes = rng.randrange(1, 7), rng.randrange(2, 6)
    logits = batch(rng, n, classes)
    if kind == "indices":
        targets = [rng.randrange(classes) for _ in range(n)]
        target_tensor = torch.tensor(targets)
    else:
        rows = [[rng.random() ** 2 for _ in range(classes)] for _ in range(n)]
        targets = [[x / sum(row) for x in row] for row in rows]
        target_tensor = torch.tensor(targets, dtype=torch.float64)
    t = as_tensor([[v.data for v in row] for row in logits])
    theirs = F.cross_entropy(t, target_tensor, label_smoothing=smoothing)
    ours = cross_entropy(logits, targets, label_smoothing=smoothing)
    compare(ours, [v for row in logits for v in row], theirs, t)
    assert math.isfinite(ours.data)
