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
    Linear,
    LinearLR,
    ReLU,
    Sequential,
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


# ---------------------------------------------------------------------------------------------------
# Where PyTorch users rely on its meaning (issue 18, item 6)
# ---------------------------------------------------------------------------------------------------


def test_a_module_used_twice_lists_its_parameters_once_and_trains_as_torchs():
    random.seed(4)
    shared = Linear(3, 3)
    model = Sequential(shared, ReLU(), shared, Linear(3, 1))
    names = [name for name, _ in model.named_parameters()]
    assert len(names) == len(set(names)) == 3 * 4 + 4 and len(model.parameters()) == 16
    assert all(p.label == name for name, p in model.named_parameters())  # the first place's name
    weights = [[n.w[j].data for j in range(3)] for n in shared.neurons]
    theirs_shared, theirs_last = torch.nn.Linear(3, 3).double(), torch.nn.Linear(3, 1).double()
    with torch.no_grad():
        theirs_shared.weight.copy_(as_tensor(weights))
        theirs_shared.bias.copy_(as_tensor([n.b.data for n in shared.neurons]))
        theirs_last.weight.copy_(as_tensor([[w.data for w in model[3].neurons[0].w]]))
        theirs_last.bias.copy_(as_tensor([model[3].neurons[0].b.data]))
    theirs = torch.nn.Sequential(theirs_shared, torch.nn.ReLU(), theirs_shared, theirs_last)
    assert len(list(theirs.parameters())) == 4  # torch lists a shared module's tensors once
    optimizer, reference = SGD(model.parameters(), lr=0.1), torch.optim.SGD(theirs.parameters(), lr=0.1)
    x = [0.5, -1.0, 2.0]
    for _ in range(3):
        optimizer.zero_grad()
        reference.zero_grad()
        model(x)[0].backward()
        theirs(torch.tensor(x, dtype=torch.float64)).sum().backward()
        optimizer.step()
        reference.step()
    ours_weights = [n.w[j].data for n in shared.neurons for j in range(3)]
    assert ours_weights == pytest.approx(theirs_shared.weight.flatten().tolist(), rel=1e-12)
    assert ours_weights != [w for row in weights for w in row]  # they moved


@pytest.mark.parametrize(
    "chain",
    [
        [(LinearLR, {"start_factor": 0.1, "total_iters": 5}), (StepLR, {"step_size": 3, "gamma": 0.5})],
        [(StepLR, {"step_size": 4, "gamma": 0.3}), (LinearLR, {"start_factor": 0.5, "end_factor": 0.9})],
        [(LinearLR, {"start_factor": 0.25, "total_iters": 4}), (CosineAnnealingLR, {"T_max": 7, "eta_min": 0.01})],
        [(CosineAnnealingLR, {"T_max": 5}), (StepLR, {"step_size": 2, "gamma": 0.9})],
    ],
)
def test_two_schedulers_on_one_optimizer_chain_as_torchs(chain):
    optimizer = SGD([Value(0.0)], lr=0.1)
    reference = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    ours = [make(optimizer, **options) for make, options in chain]
    theirs = [getattr(torch.optim.lr_scheduler, make.__name__)(reference, **options) for make, options in chain]
    rates = []
    for _ in range(25):
        assert optimizer.lr == pytest.approx(reference.param_groups[0]["lr"], rel=1e-12, abs=1e-15)
        rates.append(optimizer.lr)
        reference.step()
        for scheduler in ours + theirs:
            scheduler.step()
    assert len(set(rates)) > 5  # both schedules moved the rate


@pytest.mark.parametrize(("ours_class", "theirs_class"), [(SGD, torch.optim.SGD), (Adam, torch.optim.Adam)])
def test_a_parameter_without_a_gradient_is_skipped_as_torch_skips_it(ours_class, theirs_class):
    options = {"lr": 0.1, "momentum": 0.9} if ours_class is SGD else {"lr": 0.1}
    start = [1.0, -2.0, 0.5]
    ours = [Value(x) for x in start]
    theirs = [torch.tensor([x], dtype=torch.float64, requires_grad=True) for x in start]
    optimizer, reference = ours_class(ours, **options), theirs_class(theirs, **options)
    rng = random.Random(0)
    for step in range(6):
        for i, (p, q) in enumerate(zip(ours, theirs)):
            g = None if (i + step) % 3 == 0 else rng.uniform(-1, 1)  # each parameter misses some steps
            p.grad = g
            q.grad = None if g is None else torch.tensor([g], dtype=torch.float64)
        optimizer.step()
        reference.step()
        assert [p.data for p in ours] == pytest.approx([q.item() for q in theirs], rel=1e-12, abs=1e-14)


def test_a_gradient_that_is_not_a_number_is_refused_before_any_parameter_moves():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    a.grad, b.grad = 0.5, "oops"
    with pytest.raises(TypeError, match=r"SGD\.step: the gradient of 'b' is 'oops' \(a str\), not a number"):
        SGD([a, b], lr=0.1).step()
    assert a.data == 1.0


@pytest.mark.parametrize(
    ("probabilities", "targets"),
    [
        ([0.0], [1.0]),  # a saturated sigmoid, confidently wrong: torch's slope -1e12, not the cut-off log's 0
        ([1.0], [0.0]),
        ([1e-13, 1.0 - 1e-13], [1.0, 0.25]),
        ([0.0, 1.0, 0.3, 5e-45], [0.5, 0.5, 0.5, 0.0]),
        ([1e-300, 0.999999], [1.0, 1.0]),
    ],
)
def test_binary_cross_entropy_at_the_clamp_has_torchs_value_and_gradient(probabilities, targets):
    ours = [Value(p) for p in probabilities]
    tensor = as_tensor(probabilities)
    compare(binary_cross_entropy(ours, targets), ours, F.binary_cross_entropy(tensor, as_tensor(targets)), tensor)
    assert all(p.grad != 0.0 for p, t in zip(ours, targets) if p.data != t)  # a wrong prediction is always pulled


def test_the_logits_loss_keeps_the_digits_of_its_tails():
    """softplus(−40) = e⁻⁴⁰ and softplus(−36) = e⁻³⁶ to the last digit (mpmath at 50 digits). PyTorch's own value
    here is 1.1598e-16: it loses e⁻⁴⁰ (its −log σ(s) form rounds 40 + e⁻⁴⁰ to 40); microdiff's is exact."""
    mpmath = pytest.importorskip("mpmath")
    scores = [Value(-40.0), Value(36.0)]
    loss = binary_cross_entropy_with_logits(scores, [0, 1])
    loss.backward()
    with mpmath.workdps(50):
        exact = (mpmath.log1p(mpmath.exp(-40)) + mpmath.log1p(mpmath.exp(-36))) / 2
        slopes = [float(1 / (1 + mpmath.exp(40)) / 2), float(-1 / (1 + mpmath.exp(36)) / 2)]
    assert loss.data == pytest.approx(float(exact), rel=1e-15)
    assert loss.data == pytest.approx(1.1810e-16, rel=1e-4)
    assert [s.grad for s in scores] == pytest.approx(slopes, rel=1e-14)


@pytest.mark.parametrize("seed", range(4))
def test_the_logits_loss_is_exact_to_1e_12_for_every_size_of_score(seed):
    """Scores from 1e-3 to 700 in size, both signs, both targets and soft ones: the loss of each example against
    log(1 + eˢ) − t·s and its gradient against σ(s) − t, computed by mpmath with 400 digits (enough that nothing
    cancels in the reference: e⁻⁷⁰⁰ is 1e-304)."""
    mpmath = pytest.importorskip("mpmath")
    rng = random.Random(seed)
    with mpmath.workdps(400):
        for _ in range(60):
            s = rng.choice([-1, 1]) * 10 ** rng.uniform(-3, math.log10(700))
            t = rng.choice([0.0, 1.0, rng.random()])
            score = Value(s)
            loss = binary_cross_entropy_with_logits([score], [t])
            loss.backward()
            exact = mpmath.log1p(mpmath.exp(s)) - t * mpmath.mpf(s)
            slope = 1 / (1 + mpmath.exp(-s)) - t
            assert loss.data == pytest.approx(float(exact), rel=1e-12, abs=1e-300), (s, t)
            assert score.grad == pytest.approx(float(slope), rel=1e-12, abs=1e-300), (s, t)
