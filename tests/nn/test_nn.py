"""microdiff.nn: the network learns, its gradients match PyTorch and finite differences, files round-trip,
and every loss matches hand-computed values, also at scores far too large for a naive formula."""

import json
import math
import random

import pytest
from conftest import require

from microdiff import Value, no_grad
from microdiff.anatomy import composite_boxes
from microdiff.datasets import make_circles, make_moons, make_spiral, make_xor
from microdiff.engine.value import topological_order
from microdiff.nn import (
    MLP,
    SGD,
    Layer,
    Neuron,
    binary_cross_entropy_with_logits,
    cross_entropy,
    evaluate_accuracy,
    hinge_loss,
    mse_loss,
    softmax,
    train,
)


def snapshot(model):
    return [p.data for p in model.parameters()]


# --- Learning ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "sizes", "loss", "steps", "target"),
    [
        ("xor", make_xor(40, noise=0.2, seed=0), [8, 1], hinge_loss, 30, 1.0),
        ("circles", make_circles(60, noise=0.05, seed=0), [8, 8, 1], hinge_loss, 60, 0.98),
        ("moons", make_moons(60, noise=0.1, seed=0), [8, 8, 1], hinge_loss, 60, 0.95),
        ("moons-bce", make_moons(60, noise=0.1, seed=0), [8, 8, 1], binary_cross_entropy_with_logits, 60, 0.95),
        ("spiral", make_spiral(90, seed=0), [16, 3], cross_entropy, 100, 0.9),
    ],
)
def test_mlp_learns(name, data, sizes, loss, steps, target):
    points, labels = data
    model = MLP(2, sizes, seed=0)
    history = train(model, points, labels, SGD(model.parameters(), lr=0.5, momentum=0.9), steps, loss)
    assert history[-1].loss < history[0].loss
    assert evaluate_accuracy(model, points, labels) >= target


def test_train_reports_every_step_and_follows_the_schedule():
    points, labels = make_xor(8, seed=0)
    model = MLP(2, [3, 1], seed=0)
    seen = []
    history = train(
        model, points, labels, SGD(model.parameters(), lr=1.0), 4, schedule=lambda k: 0.1 * k, on_step=seen.append
    )
    assert seen == history
    assert [r.step for r in history] == [1, 2, 3, 4]
    assert [r.lr for r in history] == pytest.approx([0.1, 0.2, 0.3, 0.4])


# --- Gradients against PyTorch and finite differences ---------------------------------------------------


def torch_forward(torch, model, x):
    """The same MLP written with PyTorch tensors (float64), copying microdiff's weights."""
    activations = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}
    weights = []
    h = x
    for i, layer in enumerate(model.layers):
        w = torch.tensor([[p.data for p in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        weights.append((w, b))
        h = h @ w.T + b
        if i < len(model.layers) - 1:
            h = activations[model.activation](h)
    return h, weights


@pytest.mark.parametrize(
    ("activation", "loss", "classes"),
    [("relu", "hinge", 1), ("tanh", "mse", 1), ("sigmoid", "bce", 1), ("relu", "cross_entropy", 3)],
)
def test_gradients_match_pytorch(activation, loss, classes):
    torch = require("torch")
    functional = torch.nn.functional
    rng = random.Random(7)
    points = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(12)]
    labels = [rng.randrange(classes) if classes > 1 else rng.choice([-1, 1]) for _ in points]
    model = MLP(3, [5, 4, classes], activation=activation, seed=11)

    outputs = [model(x) for x in points]
    scores = [out[0] for out in outputs]
    ours = {
        "hinge": lambda: hinge_loss(scores, labels),
        "mse": lambda: mse_loss(scores, labels),
        "bce": lambda: binary_cross_entropy_with_logits(scores, labels),
        "cross_entropy": lambda: cross_entropy(outputs, labels),
    }[loss]()
    ours.backward()

    logits, weights = torch_forward(torch, model, torch.tensor(points, dtype=torch.float64))
    y = torch.tensor(labels, dtype=torch.float64)
    theirs = {
        "hinge": lambda: torch.relu(1 - y * logits[:, 0]).mean(),
        "mse": lambda: ((logits[:, 0] - y) ** 2).mean(),
        "bce": lambda: functional.binary_cross_entropy_with_logits(logits[:, 0], (y + 1) / 2),
        "cross_entropy": lambda: functional.cross_entropy(logits, torch.tensor(labels)),
    }[loss]()
    theirs.backward()

    assert ours.data == pytest.approx(theirs.item(), rel=1e-12)
    expected = [g for w, b in weights for row, bias in zip(w.grad.tolist(), b.grad.tolist()) for g in [*row, bias]]
    assert [p.grad for p in model.parameters()] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_gradients_match_finite_differences():
    points, labels = make_moons(6, noise=0.2, seed=3)
    model = MLP(2, [3, 2, 1], activation="tanh", seed=2)

    def loss() -> Value:
        return mse_loss([model(x)[0] for x in points], labels)

    loss().backward()
    eps = 1e-6
    for p in model.parameters():
        original = p.data
        with no_grad():
            p.data = original + eps
            up = loss().data
            p.data = original - eps
            down = loss().data
        p.data = original
        assert p.grad == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-8)


# --- Modules -----------------------------------------------------------------------------------------------


def test_neuron_computes_its_activation_of_w_dot_x_plus_b():
    neuron = Neuron(2, activation="tanh")
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 0.5, -1.0, 0.25
    assert neuron([2.0, 1.0]).data == pytest.approx(math.tanh(0.5 * 2.0 - 1.0 * 1.0 + 0.25))


def test_last_layer_is_linear_and_hidden_layers_use_the_activation():
    model = MLP(2, [4, 3, 1], activation="tanh")
    assert [layer.neurons[0].activation for layer in model.layers] == ["tanh", "tanh", "linear"]
    assert len(model.parameters()) == 4 * 3 + 3 * 5 + 1 * 4


def test_same_seed_same_weights_and_a_shared_random_gives_different_neurons():
    assert snapshot(MLP(2, [3, 1], seed=5)) == snapshot(MLP(2, [3, 1], seed=5))
    assert snapshot(MLP(2, [3, 1], seed=5)) != snapshot(MLP(2, [3, 1], seed=6))
    rng = random.Random(0)
    assert snapshot(Neuron(3, seed=rng)) != snapshot(Neuron(3, seed=rng))


@pytest.mark.parametrize("module", [Neuron(3), Layer(3, 2), MLP(3, [2, 1])])
def test_wrong_input_length_names_expected_and_got(module):
    with pytest.raises(ValueError, match="expects 3 inputs, got 2"):
        module([1.0, 2.0])


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="unknown activation 'softsign'"):
        Neuron(2, activation="softsign")


def test_each_neuron_call_is_one_composite_box_and_marks_no_leaf():
    neuron = Neuron(2, activation="sigmoid")
    x = [Value(1.0), Value(2.0)]
    out = neuron(x)
    assert [out.composite.name, out.composite.inner.name] == ["neuron", "sigmoid"]  # both end at out
    boxes = composite_boxes(topological_order(out))
    assert boxes[out].name == "sigmoid" and boxes[out].parent.name == "neuron"
    assert all(p not in boxes for p in [*x, *neuron.parameters()])


def test_zero_grad_clears_every_parameter():
    model = MLP(2, [3, 1])
    model([1.0, -1.0])[0].backward()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# --- Saving and loading ------------------------------------------------------------------------------------


def test_save_then_load_gives_identical_outputs(tmp_path):
    trained, fresh = MLP(2, [4, 4, 1], seed=1), MLP(2, [4, 4, 1], seed=2)
    path = tmp_path / "model.json"
    trained.save(path)
    fresh.load(path)
    for x in [[0.3, -1.7], [2.0, 0.1]]:
        assert fresh(x)[0].data == trained(x)[0].data


def saved_file(shape, parameters):
    """The text of a parameter file for an MLP of this shape."""
    return json.dumps({"format": "microdiff.nn parameters", "model": "MLP", "shape": shape, "parameters": parameters})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "corrupt"),
        ('["a list"]', "not a microdiff parameter file"),
        (saved_file([2, 3, 1], []), r"MLP of shape \[2, 3, 1\], but this model is MLP of shape \[2, 4, 1\]"),
        (saved_file([2, 4, 1], [1.0]), "holds 1 parameters, this model has 17"),
        (saved_file([2, 4, 1], ["x"] * 17), "must be a finite number"),
    ],
)
def test_a_mismatched_or_corrupt_file_is_refused_and_the_model_unchanged(tmp_path, content, message):
    model = MLP(2, [4, 1], seed=0)
    before = snapshot(model)
    path = tmp_path / "model.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        model.load(path)
    assert snapshot(model) == before


def test_a_file_for_another_kind_of_module_is_refused(tmp_path):
    Layer(2, 1).save(tmp_path / "layer.json")
    with pytest.raises(ValueError, match="Layer of shape"):
        MLP(2, [1]).load(tmp_path / "layer.json")


# --- Losses ---------------------------------------------------------------------------------------------------


def values(*numbers):
    return [Value(x) for x in numbers]


def test_mse_and_hinge_hand_values():
    assert mse_loss(values(1.0, 3.0), [0.0, 1.0]).data == 2.5
    scores = values(2.0, -0.5, 0.5)
    loss = hinge_loss(scores, [1, 1, -1])  # (0 + 1.5 + 1.5) / 3
    loss.backward()
    assert loss.data == 1.0
    assert [s.grad for s in scores] == pytest.approx([0.0, -1 / 3, 1 / 3])


def test_hinge_refuses_labels_other_than_plus_minus_one():
    with pytest.raises(ValueError, match="-1 or \\+1"):
        hinge_loss(values(1.0), [0])


@pytest.mark.parametrize(
    ("score", "target", "loss", "grad"),
    [
        (0.0, 1, math.log(2), -0.5),
        (0.0, -1, math.log(2), 0.5),
        (2.0, 1, math.log1p(math.exp(-2.0)), 1 / (1 + math.exp(-2.0)) - 1),
        (1000.0, 1, 0.0, 0.0),
        (1000.0, -1, 1000.0, 1.0),
        (-1000.0, 1, 1000.0, -1.0),
        (-1000.0, 0, 0.0, 0.0),
        (3.0, 0.25, math.log1p(math.exp(3.0)) - 0.75, 1 / (1 + math.exp(-3.0)) - 0.25),
    ],
)
def test_binary_cross_entropy_with_logits_is_exact_even_at_huge_scores(score, target, loss, grad):
    s = Value(score)
    out = binary_cross_entropy_with_logits([s], [target])
    out.backward()
    assert out.data == pytest.approx(loss, abs=1e-12)
    assert s.grad == pytest.approx(grad, abs=1e-12)


def test_cross_entropy_hand_value_and_gradient_softmax_minus_one_hot():
    logits = values(1.0, 2.0, 3.0)
    loss = cross_entropy([logits], [2])
    loss.backward()
    total = sum(math.exp(v) for v in (1, 2, 3))
    assert loss.data == pytest.approx(math.log(total) - 3.0)
    softmax_minus_one_hot = [math.exp(1) / total, math.exp(2) / total, math.exp(3) / total - 1]
    assert [v.grad for v in logits] == pytest.approx(softmax_minus_one_hot)


def test_cross_entropy_and_softmax_are_stable_at_huge_logits():
    logits = values(1000.0, 0.0, -1000.0)
    assert cross_entropy([logits], [0]).data == 0.0
    assert cross_entropy([logits], [1]).data == pytest.approx(1000.0)
    assert [p.data for p in softmax(logits)] == pytest.approx([1.0, 0.0, 0.0])
    assert sum(p.data for p in softmax(values(0.5, -1.0, 2.0))) == pytest.approx(1.0)


def test_losses_check_the_batch():
    with pytest.raises(ValueError, match="one target per output"):
        mse_loss(values(1.0, 2.0), [1.0])
    with pytest.raises(ValueError, match="empty batch"):
        hinge_loss([], [])
    with pytest.raises(ValueError, match="class 3 is out of range for 3 logits"):
        cross_entropy([values(1.0, 2.0, 3.0)], [3])
    with pytest.raises(ValueError, match="probabilities in"):
        binary_cross_entropy_with_logits(values(1.0), [2])


# --- The optimizer -------------------------------------------------------------------------------------------


def test_sgd_step_with_weight_decay_and_momentum():
    w = Value(2.0)
    optimizer = SGD([w], lr=0.1, momentum=0.5, weight_decay=0.1)
    w.grad = 1.0
    optimizer.step()  # g = 1 + 0.1·2 = 1.2; v = 1.2; w = 2 − 0.12
    assert w.data == pytest.approx(1.88)
    optimizer.step()  # g = 1 + 0.188 = 1.188; v = 0.6 + 1.188; w = 1.88 − 0.1788
    assert w.data == pytest.approx(1.88 - 0.1788)
    optimizer.zero_grad()
    assert w.grad == 0.0


def test_sgd_steps_on_the_number_when_gradients_are_values():
    w = Value(3.0)
    (w * w).backward(create_graph=True)  # w.grad is the Value 6
    SGD([w], lr=0.1).step()
    assert type(w.data) is float and w.data == pytest.approx(2.4)
