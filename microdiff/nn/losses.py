"""Loss functions: one number that says how wrong a batch of predictions is.

Every loss here is built from microdiff's fundamental operations, so ``loss.backward()`` needs no new
derivative rule, and a drawn graph shows how the loss is made. Each takes a whole batch and returns the
**mean** over its examples, and each has the name and meaning of its ``torch.nn.functional`` namesake.

Labels follow one convention throughout microdiff: a binary label is **-1 or +1**, the sign a score
should have (:mod:`microdiff.datasets` makes them so); a class label is an index 0, 1, 2… The binary
cross-entropies take probabilities in [0, 1] as PyTorch does, and also a label -1 (meaning 0).

Two losses meet an exponential, which overflows a float past e⁷⁰⁹. They never exponentiate a large
positive number:

* ``binary_cross_entropy_with_logits`` uses softplus(s) = log(1 + eˢ), written s + log(1 + e⁻ˢ) when s > 0,
  and log(1 + u) for a small u = e⁻|ˢ| by its series (as ``log1p`` would), so the tails keep their digits:
  the loss of a score of −40 for target 0 is e⁻⁴⁰ = 4.2e-18, not 0;
* ``cross_entropy`` and ``softmax`` subtract the largest logit first (the log-sum-exp trick), which
  changes nothing mathematically: log Σ eˡ = m + log Σ eˡ⁻ᵐ for any constant m.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real

from microdiff.engine.arithmetic import detached
from microdiff.engine.composite import composite
from microdiff.engine.trace import Index
from microdiff.engine.value import Value
from microdiff.nn.checks import describe, number_in

#: log p is cut off below at -100, as in PyTorch, so a probability of exactly 0 costs 100, not infinity.
LOG_FLOOR = -100.0
#: Where p·(1 − p) is below this, binary cross-entropy's slope is PyTorch's (p − t) / ε (see below); ε is
#: 1e-12 rounded to a float32, as PyTorch's kernels hold it, so the slopes agree to the last digit.
BCE_EPSILON = 9.999999960041972e-13
#: Below this u, log(1 + u) is its series u − u²/2 + … − u⁶/6 (the next term, u⁷/7, is under 2e-22).
SERIES_BELOW = 1e-3


def mse_loss(predictions: Sequence[Value], targets: Sequence[float]) -> Value:
    """Mean squared error: mean of (p − t)²; d/dp = 2(p − t)/n.

    >>> mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0]).data
    2.5
    """
    _scores("mse_loss", "predictions", predictions, targets)
    return _mean([(p - t) ** 2 for p, t in zip(predictions, _numbers("mse_loss", targets))])


def hinge_loss(scores: Sequence[Value], labels: Sequence[float]) -> Value:
    """Hinge loss for labels ±1: mean of max(0, 1 − y·s).

    A score on the right side with margin (y·s ≥ 1) costs nothing and gets no gradient; any other score
    is pulled towards its label with slope −y. This is the loss of a support vector machine.

    >>> hinge_loss([Value(2.0), Value(-0.5)], [1, 1]).data
    0.75
    """
    _scores("hinge_loss", "scores", scores, labels)
    if any(y not in (-1, 1) for y in _numbers("hinge_loss", labels, "labels")):
        raise ValueError(f"hinge_loss needs labels -1 or +1, got {sorted(set(labels))}")
    return _mean([(1 - y * s).relu() for s, y in zip(scores, labels)])


def _log1p_exp(s: Value) -> Value:
    """log(1 + eˢ) for s ≤ 0. When u = eˢ is small, 1 + u has lost u's last digits before the log sees it, so
    the log of it would be off by up to 1e-16 / u of itself; the series u − u²/2 + u³/3 − … is exact there."""
    u = s.exp()
    if u.data >= SERIES_BELOW:
        return (1 + u).log()
    series = u * (1 / 6)  # Horner's rule: u·(1 − u·(1/2 − u·(1/3 − u·(1/4 − u·(1/5 − u/6)))))
    for k in (5, 4, 3, 2, 1):
        series = u * (1 / k - series)
    return series


@composite("softplus")
def softplus(s: Value) -> Value:
    """softplus(s) = log(1 + eˢ), a smooth relu; its derivative is sigmoid(s).

    For s > 0 it is written s + log(1 + e⁻ˢ), so no exponential overflows: softplus(1000) is 1000.0.
    """
    if s.data > 0.0:
        return s + _log1p_exp(-s)
    return _log1p_exp(s)


def binary_cross_entropy(probabilities: Sequence[Value], targets: Sequence[float]) -> Value:
    """Binary cross-entropy from probabilities: the mean of −t·log p − (1 − t)·log(1 − p).

    ``probabilities`` are each example's P(positive), in [0, 1] (a sigmoid's output); ``targets`` are
    probabilities in [0, 1] or labels ±1 (-1 counts as 0). As in PyTorch each log is cut off at
    −100, so a confident mistake costs at most 100, and where p·(1 − p) < 1e-12 (p within 1e-12 of 0 or 1)
    the loss is a straight line through that value with PyTorch's slope (p − t) / 1e-12: a saturated sigmoid
    (p = 0 for target 1) gets the gradient −1e12 and recovers, where the cut-off log alone would give 0.
    (On that line the second derivative is 0.) Given scores rather than probabilities, use
    :func:`binary_cross_entropy_with_logits`: it is the same loss, exact where σ(s) rounds to 0 or 1.

    >>> round(binary_cross_entropy([Value(0.5)], [1]).data, 6)  # log 2
    0.693147
    """
    _scores("binary_cross_entropy", "probabilities", probabilities, targets)
    for i, p in enumerate(probabilities):
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(f"binary_cross_entropy: probabilities[{i}] must be in [0, 1], got {p.data!r}")
    ts = _binary_targets("binary_cross_entropy", targets)
    return _mean([_binary_cross_entropy(p, t) for p, t in zip(probabilities, ts)])


def _binary_cross_entropy(p: Value, t: float) -> Value:
    """One example's −t·log p − (1 − t)·log(1 − p); near 0 and 1, PyTorch's clamped value and slope."""
    if p.data * (1.0 - p.data) >= BCE_EPSILON:  # here log p and log(1 − p) are above −28: no cut-off
        if t == 1.0:
            return -p.log()
        if t == 0.0:
            return -(1 - p).log()
        return -(t * p.log() + (1.0 - t) * (1 - p).log())
    value = -(t * _clamped_log(p.data) + (1.0 - t) * _clamped_log(1.0 - p.data))
    slope = (p.data - t) / BCE_EPSILON
    return slope * (p - p.data) + value


def binary_cross_entropy_with_logits(scores: Sequence[Value], targets: Sequence[float]) -> Value:
    """Binary cross-entropy from scores (logits): the mean of −log P(target), with P(positive) = σ(s).

    ``targets`` are probabilities in [0, 1] or labels ±1 (-1 counts as 0). With probability t of the
    positive class the loss per example is

        −t·log σ(s) − (1 − t)·log(1 − σ(s)) = softplus(s) − t·s,

    whose derivative is σ(s) − t. It is computed without overflow or cancellation for every finite score:
    a score of ±1000 gives a finite loss (0 or 1000) and gradient (0 or ±1), and the loss of
    ``[-40, 36]`` for targets ``[0, 1]`` is (e⁻⁴⁰ + e⁻³⁶)/2 = 1.18e-16, as PyTorch's. Its relative error is
    below 1e-12 everywhere (at most about 1e-13, where e⁻|ˢ| is near 1e-3; the series below that).

    >>> round(binary_cross_entropy_with_logits([Value(0.0)], [1]).data, 6)  # log 2
    0.693147
    """
    _scores("binary_cross_entropy_with_logits", "scores", scores, targets)
    ts = _binary_targets("binary_cross_entropy_with_logits", targets)
    return _mean([_logits_loss(s, t) for s, t in zip(scores, ts)])


def _logits_loss(s: Value, t: float) -> Value:
    """softplus(s) − t·s with nothing cancelled: for s > 0 it is (1 − t)·s + log(1 + e⁻ˢ), so a right and
    confident score (s = 36 for t = 1) keeps its small loss e⁻³⁶, as PyTorch's does."""
    if s.data > 0.0:
        tail = _log1p_exp(-s)
        return tail if t == 1.0 else (1.0 - t) * s + tail
    tail = _log1p_exp(s)
    return tail if t == 0.0 else tail - t * s


@composite("logsumexp")
def logsumexp(logits: Sequence[Value]) -> Value:
    """log Σ eˡ, computed as m + log Σ eˡ⁻ᵐ with m the largest logit (a constant), so no eˡ overflows.

    Its derivative with respect to each logit is that logit's softmax probability.
    """
    m = detached(largest, *logits)  # a constant to the graph, recomputed by a traced program at every replay
    shift = -m
    return total([(logit + shift).exp() for logit in logits]).log() + m


def cross_entropy(
    logits: Sequence[Sequence[Value]],
    targets: Sequence[int | Index] | Sequence[Sequence[float]],
    label_smoothing: float = 0.0,
) -> Value:
    """Cross-entropy over C classes: the mean of −Σₖ qₖ·log softmax(logits)ₖ = logsumexp(logits) − Σₖ qₖ·lₖ.

    ``logits`` holds one list of C scores per example. ``targets`` holds, per example, either the class
    index (then q is 1 at that class and 0 elsewhere: the loss is logsumexp − l_target) or a list of C
    probabilities q summing to 1. With ``label_smoothing`` ε the target becomes (1 − ε)·q + ε/C, a
    little belief in every class. The derivative with respect to logit k is softmax(logits)ₖ − qₖ. A target may
    also be an :class:`~microdiff.engine.trace.Index`: in a traced function the class is then an input, read at
    every replay (the loss picks its logit with a one-hot vector).

    >>> round(cross_entropy([[Value(1.0), Value(2.0), Value(3.0)]], [2]).data, 6)
    0.407606
    """
    _check_batch("cross_entropy", logits, targets)
    epsilon = number_in("cross_entropy", "label_smoothing", label_smoothing, 0.0, 1.0)
    terms = []
    for i, (row, target) in enumerate(zip(logits, targets)):
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence) or not row:
            raise TypeError(f"cross_entropy: logits[{i}] must be a list of Values (one per class), got {describe(row)}")
        if isinstance(target, Index):  # a traced program's target: the class is an input, read at every replay
            hot = target.one_hot(len(row))
            picked = [h * logit for h, logit in zip(hot, row)]
            if epsilon:
                picked = [(1.0 - epsilon) * term for term in picked] + [(epsilon / len(row)) * logit for logit in row]
            terms.append(logsumexp(row) - total(picked))
            continue
        q = _class_target(i, target, len(row))
        if epsilon:
            q = {k: (1.0 - epsilon) * q.get(k, 0.0) + epsilon / len(row) for k in range(len(row))}
        picked = [row[k] if weight == 1.0 else weight * row[k] for k, weight in q.items() if weight]
        terms.append(logsumexp(row) - total(picked) if picked else logsumexp(row))
    return _mean(terms)


def softmax(logits: Sequence[Value]) -> list[Value]:
    """Probabilities from scores: eˡᵏ / Σ eˡ, with the largest logit subtracted first so no eˡ overflows."""
    shift = -detached(largest, *logits)
    exps = [(logit + shift).exp() for logit in logits]
    inverse = total(exps).reciprocal()
    return [e * inverse for e in exps]


def largest(*numbers: float) -> float:
    """The largest of the numbers (``max`` of one number too): the shift of softmax and logsumexp."""
    return max(numbers)


def _clamped_log(x: float) -> float:
    """log x cut off below at LOG_FLOOR, as PyTorch's binary cross-entropy: log 0 counts as −100."""
    return max(math.log(x), LOG_FLOOR) if x > 0.0 else LOG_FLOOR


def total(terms: Sequence[Value]) -> Value:
    """The sum of the terms, added left to right from the first (``sum()`` would put a node 0 + … in front)."""
    result = terms[0]
    for term in terms[1:]:
        result = result + term
    return result


def _mean(terms: Sequence[Value]) -> Value:
    return total(terms) * (1.0 / len(terms))


def _class_target(i: int, target: object, classes: int) -> dict[int, float]:
    """Example ``i``'s target as {class: probability}: a class index, or a list of ``classes`` probabilities."""
    if isinstance(target, Integral) and not isinstance(target, bool):
        if not 0 <= int(target) < classes:
            raise ValueError(f"cross_entropy: class {target} is out of range for {classes} logits (targets[{i}])")
        return {int(target): 1.0}
    if isinstance(target, Sequence) and not isinstance(target, (str, bytes)) and len(target) == classes:
        q = _numbers("cross_entropy", target, f"targets[{i}]")
        if all(0.0 <= x <= 1.0 for x in q) and math.isclose(sum(q), 1.0, abs_tol=1e-6):
            return {k: x for k, x in enumerate(q) if x}
        raise ValueError(f"cross_entropy: targets[{i}] must be probabilities in [0, 1] summing to 1, got {list(q)}")
    raise TypeError(
        f"cross_entropy: targets[{i}] must be a class index (an int in [0, {classes})) or a list of {classes} "
        f"probabilities, got {describe(target)}"
    )


def _binary_targets(who: str, targets: Sequence[object]) -> list[float]:
    ts = [0.0 if t == -1 else t for t in _numbers(who, targets)]
    if any(not 0.0 <= t <= 1.0 for t in ts):
        raise ValueError(f"{who} needs labels ±1 or probabilities in [0, 1], got {list(targets)}")
    return ts


def _numbers(who: str, values: Sequence[object], name: str = "targets") -> list[float]:
    """Check that ``values`` are plain numbers (one per example) and return them as floats."""
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
            raise TypeError(f"{who}: {name} must be finite numbers, one per example; {name}[{i}] is {describe(value)}")
    return [float(value) for value in values]  # type: ignore[arg-type]


def _scores(who: str, name: str, outputs: Sequence[object], targets: Sequence[object]) -> None:
    """Check the batch, and that each output is one ``Value`` (a model's single output, not its list)."""
    _check_batch(who, outputs, targets)
    for i, output in enumerate(outputs):
        if not isinstance(output, Value):
            raise TypeError(f"{who}: {name} must be one Value per example; {name}[{i}] is {describe(output)}")


def _check_batch(who: str, outputs: Sequence[object], targets: Sequence[object]) -> None:
    for name, batch in (("outputs", outputs), ("targets", targets)):
        if isinstance(batch, (str, bytes)) or not isinstance(batch, Sequence):
            raise TypeError(f"{who}: {name} must be a list with one entry per example, got {describe(batch)}")
    if len(outputs) != len(targets):
        raise ValueError(f"{who} needs one target per output: got {len(outputs)} outputs and {len(targets)} targets")
    if not outputs:
        raise ValueError(f"{who} needs at least one example, got an empty batch")
