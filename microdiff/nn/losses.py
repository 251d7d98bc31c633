"""Loss functions: one number that says how wrong a batch of predictions is.

Every loss here is built from microdiff's fundamental operations, so ``loss.backward()`` needs no new
derivative rule, and a drawn graph shows how the loss is made. Each takes a whole batch and returns the
**mean** over its examples.

Labels follow one convention throughout microdiff: a binary label is **-1 or +1**, the sign a score
should have (:mod:`microdiff.datasets` makes them so); a class label is an index 0, 1, 2…

Two losses meet an exponential, which overflows a float past e⁷⁰⁹. They stay exact for every finite
score by never exponentiating a large positive number:

* ``binary_cross_entropy`` uses softplus(s) = log(1 + eˢ), written s + log(1 + e⁻ˢ) when s > 0;
* ``cross_entropy`` and ``softmax`` subtract the largest logit first (the log-sum-exp trick), which
  changes nothing mathematically: log Σ eˡ = m + log Σ eˡ⁻ᵐ for any constant m.
"""

from __future__ import annotations

from collections.abc import Sequence

from microdiff.engine.composite import composite
from microdiff.engine.value import Value


def mse_loss(predictions: Sequence[Value], targets: Sequence[float]) -> Value:
    """Mean squared error: mean of (p − t)²; d/dp = 2(p − t)/n.

    >>> mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0]).data
    2.5
    """
    _check_batch(predictions, targets)
    return _mean([(p - t) ** 2 for p, t in zip(predictions, targets)])


def hinge_loss(scores: Sequence[Value], labels: Sequence[float]) -> Value:
    """Hinge loss for labels ±1: mean of max(0, 1 − y·s).

    A score on the right side with margin (y·s ≥ 1) costs nothing and gets no gradient; any other score
    is pulled towards its label with slope −y. This is the loss of a support vector machine.

    >>> hinge_loss([Value(2.0), Value(-0.5)], [1, 1]).data
    0.75
    """
    _check_batch(scores, labels)
    if any(y not in (-1, 1) for y in labels):
        raise ValueError(f"hinge_loss needs labels -1 or +1, got {sorted(set(labels))}")
    return _mean([(1 - y * s).relu() for s, y in zip(scores, labels)])


@composite("softplus")
def softplus(s: Value) -> Value:
    """softplus(s) = log(1 + eˢ), a smooth relu; its derivative is sigmoid(s).

    For s > 0 it is written s + log(1 + e⁻ˢ), so no exponential overflows: softplus(1000) is 1000.0.
    """
    if s.data > 0.0:
        return s + (1 + (-s).exp()).log()
    return (1 + s.exp()).log()


def binary_cross_entropy(scores: Sequence[Value], targets: Sequence[float]) -> Value:
    """Binary cross-entropy from scores (logits): the mean of −log P(target), with P(positive) = sigmoid(s).

    ``targets`` are labels ±1, or probabilities in [0, 1] (a label -1 counts as probability 0). With
    probability t of the positive class the loss per example is

        −t·log σ(s) − (1 − t)·log(1 − σ(s)) = softplus(s) − t·s,

    whose derivative is σ(s) − t. Written with :func:`softplus` it is exact for every finite score:
    a score of ±1000 gives a finite loss (0 or 1000) and gradient (0 or ±1).

    >>> round(binary_cross_entropy([Value(0.0)], [1]).data, 6)  # log 2
    0.693147
    """
    _check_batch(scores, targets)
    probabilities = [0.0 if t == -1 else float(t) for t in targets]
    if any(not 0.0 <= t <= 1.0 for t in probabilities):
        raise ValueError(f"binary_cross_entropy needs labels ±1 or probabilities in [0, 1], got {list(targets)}")
    return _mean([softplus(s) - t * s for s, t in zip(scores, probabilities)])


@composite("logsumexp")
def logsumexp(logits: Sequence[Value]) -> Value:
    """log Σ eˡ, computed as m + log Σ eˡ⁻ᵐ with m the largest logit (a constant), so no eˡ overflows.

    Its derivative with respect to each logit is that logit's softmax probability.
    """
    m = max(logit.data for logit in logits)
    return m + _sum([(logit - m).exp() for logit in logits]).log()


def cross_entropy(logits: Sequence[Sequence[Value]], targets: Sequence[int]) -> Value:
    """Cross-entropy over classes: the mean of −log softmax(logits)[target] = logsumexp(logits) − logit[target].

    ``logits`` holds one list of scores per example (one score per class); ``targets`` the class index
    of each. The derivative with respect to logit k is softmax(logits)[k] − [k = target].

    >>> round(cross_entropy([[Value(1.0), Value(2.0), Value(3.0)]], [2]).data, 6)
    0.407606
    """
    _check_batch(logits, targets)
    for row, target in zip(logits, targets):
        if not 0 <= target < len(row):
            raise ValueError(f"cross_entropy: class {target} is out of range for {len(row)} logits")
    return _mean([logsumexp(row) - row[target] for row, target in zip(logits, targets)])


def softmax(logits: Sequence[Value]) -> list[Value]:
    """Probabilities from scores: eˡᵏ / Σ eˡ, with the largest logit subtracted first so no eˡ overflows."""
    m = max(logit.data for logit in logits)
    exps = [(logit - m).exp() for logit in logits]
    total = _sum(exps).reciprocal()
    return [e * total for e in exps]


def _sum(terms: Sequence[Value]) -> Value:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _mean(terms: Sequence[Value]) -> Value:
    return _sum(terms) * (1.0 / len(terms))


def _check_batch(outputs: Sequence[object], targets: Sequence[object]) -> None:
    if len(outputs) != len(targets):
        raise ValueError(f"a loss needs one target per output: got {len(outputs)} outputs and {len(targets)} targets")
    if not outputs:
        raise ValueError("a loss needs at least one example, got an empty batch")
