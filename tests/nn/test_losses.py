"""Losses with PyTorch's meanings, by hand: binary cross-entropy on probabilities, cross-entropy with
probability targets and label smoothing, and errors that say what form was expected."""

import math

import pytest

from microdiff import Value
from microdiff.nn import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    mse_loss,
)


def values(*numbers):
    return [Value(x) for x in numbers]


def test_binary_cross_entropy_takes_probabilities():
    p = values(0.8, 0.3)
    loss = binary_cross_entropy(p, [1, -1])  # -1 means 0
    loss.backward()
    assert loss.data == pytest.approx(-(math.log(0.8) + math.log(0.7)) / 2)
    assert [x.grad for x in p] == pytest.approx([-1 / 0.8 / 2, 1 / 0.7 / 2])


def test_binary_cross_entropy_of_sigmoid_equals_the_logits_version():
    scores = values(-2.0, 0.5, 3.0)
    targets = [0.25, 1, 0]
    via_probabilities = binary_cross_entropy([s.sigmoid() for s in scores], targets).data
    assert via_probabilities == pytest.approx(binary_cross_entropy_with_logits(scores, targets).data, rel=1e-12)


def test_binary_cross_entropy_caps_a_certain_mistake_at_100():
    assert binary_cross_entropy(values(0.0), [1]).data == 100.0
    assert binary_cross_entropy(values(1.0), [1]).data == 0.0


def test_cross_entropy_with_probability_targets_and_label_smoothing_by_hand():
    logits = values(1.0, 2.0, 3.0)
    log_softmax = [v - math.log(sum(math.exp(w) for w in (1, 2, 3))) for v in (1, 2, 3)]
    q = [0.2, 0.0, 0.8]
    assert cross_entropy([logits], [q]).data == pytest.approx(-sum(a * b for a, b in zip(q, log_softmax)))
    smoothed = [0.9 * (k == 2) + 0.1 / 3 for k in range(3)]
    expected = -sum(a * b for a, b in zip(smoothed, log_softmax))
    assert cross_entropy([logits], [2], label_smoothing=0.1).data == pytest.approx(expected)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: cross_entropy([values(1.0, 2.0)], [[0, 1], [1, 0]]), ValueError, "one target per output"),
        (
            lambda: cross_entropy([values(1.0, 2.0)], [[[0, 1]]]),
            TypeError,
            r"targets\[0\] must be a class index \(an int in \[0, 2\)\) or a list of 2 probabilities, got \[\[0, 1\]\]",
        ),
        (lambda: cross_entropy([values(1.0, 2.0)], [[0.5]]), TypeError, "a list of 2 probabilities"),
        (lambda: cross_entropy([values(1.0, 2.0)], [[0.7, 0.7]]), ValueError, "summing to 1"),
        (lambda: cross_entropy([values(1.0, 2.0)], [1.0]), TypeError, r"targets\[0\] must be a class index"),
        (
            lambda: cross_entropy([values(1.0, 2.0)], [1], label_smoothing=2),
            ValueError,
            r"label_smoothing must be in \[0.0, 1.0\], got 2",
        ),
        (lambda: cross_entropy(values(1.0, 2.0), [1, 0]), TypeError, r"logits\[0\] must be a list of Values"),
        (
            lambda: hinge_loss(values(1.0), [[1]]),
            TypeError,
            r"labels must be finite numbers, one per example; labels\[0\] is \[1\]",
        ),
        (lambda: mse_loss([values(1.0)], [1.0]), TypeError, r"predictions must be one Value per example"),
        (lambda: mse_loss(values(1.0), "a"), TypeError, "targets must be a list"),
        (
            lambda: binary_cross_entropy(values(1.5), [1]),
            ValueError,
            r"probabilities\[0\] must be in \[0, 1\], got 1.5",
        ),
        (lambda: binary_cross_entropy_with_logits(values(1.5), [None]), TypeError, r"targets\[0\] is None"),
        (lambda: binary_cross_entropy_with_logits(values(1.5), [2]), ValueError, r"probabilities in \[0, 1\]"),
    ],
)
def test_wrong_forms_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
