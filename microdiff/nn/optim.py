"""Optimizers: how a parameter moves once ``backward()`` has filled in its gradient.

Each one follows ``torch.optim``'s update formulas and defaults exactly (a test replays many random
steps against PyTorch), written for one number at a time so every line can be read as math. An update
writes ``p.data`` in place and builds no graph. ``lr`` is a plain attribute, so a schedule
(:mod:`microdiff.nn.schedules`) can change it between steps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real

from microdiff.engine.value import Value
from microdiff.nn.checks import describe, number_in

#: The largest learning rate the optimizers accept: anything bigger is a typo, not a step size.
MAX_LR = 1e6


class Optimizer:
    """What every optimizer shares: its parameters, a learning rate, ``zero_grad`` and the gradients as floats."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        who = type(self).__name__
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{who}: params is empty; pass model.parameters()")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{who}: params[{i}] must be a Value, got {describe(p)}")
        self.lr = number_in(who, "lr", lr, 0.0, MAX_LR)
        self.initial_lr: float | None = None  # the rate before the first schedule changed it (see schedules)

    def step(self) -> None:
        """Move every parameter once, using the gradients ``backward()`` left in ``p.grad``.

        A parameter whose ``grad`` is ``None`` is skipped, as PyTorch skips one: it does not move, and its
        running averages and step count stay as they were. A gradient that is not a number is refused before
        any parameter moves."""
        raise NotImplementedError

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0: ``backward()`` adds to a leaf's gradient, never resets it."""
        for p in self.params:
            p.grad = 0.0

    def _grads(self) -> list[tuple[int, Value, float]]:
        """(index, parameter, gradient as a float) for every parameter that has a gradient, in order.

        After ``backward(create_graph=True)`` a gradient is a Value: its number is used. Every gradient is
        checked before the first parameter moves, so a step is all or nothing."""
        moving = []
        for i, p in enumerate(self.params):
            grad = p.grad.data if isinstance(p.grad, Value) else p.grad
            if grad is None:
                continue
            if isinstance(grad, bool) or not isinstance(grad, Real):
                name = repr(p.label) if p.label else f"params[{i}]"
                raise TypeError(f"{type(self).__name__}.step: the gradient of {name} is {describe(grad)}, not a number")
            moving.append((i, p, float(grad)))
        return moving


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay.

    Each ``step()`` moves every parameter p against its gradient, as ``torch.optim.SGD``:

        g = p.grad + weight_decay · p              (weight decay: the gradient of ½·weight_decay·p², an L2 penalty)
        b = g at the first step, then momentum · b + (1 − dampening) · g      (only when momentum > 0)
        g = b, or g + momentum · b with nesterov   (look one step ahead along the velocity)
        p = p − lr · g

    >>> w = Value(3.0)
    >>> (w * w).backward()           # d(w²)/dw = 6
    >>> SGD([w], lr=0.1).step()
    >>> round(w.data, 6)
    2.4
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = number_in("SGD", "momentum", momentum, 0.0, 1.0)
        self.dampening = number_in("SGD", "dampening", dampening, 0.0, 1.0)
        self.weight_decay = number_in("SGD", "weight_decay", weight_decay, 0.0, MAX_LR)
        if nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening = 0")
        self.nesterov = bool(nesterov)
        self.velocity: list[float | None] = [None] * len(self.params)

    def step(self) -> None:
        for i, p, grad in self._grads():
            g = grad + self.weight_decay * p.data if self.weight_decay else grad
            if self.momentum:
                b = self.velocity[i]
                b = g if b is None else self.momentum * b + (1.0 - self.dampening) * g
                self.velocity[i] = b
                g = g + self.momentum * b if self.nesterov else b
            p.data -= self.lr * g


class Adam(Optimizer):
    """Adam: a step along a running mean of the gradient, scaled by a running mean of its square.

    With β₁, β₂ = ``betas`` and t the number of steps the parameter has taken, each ``step()`` does, as
    ``torch.optim.Adam``:

        g = p.grad + weight_decay · p
        m = β₁·m + (1 − β₁)·g                      (momentum: the gradient's running mean)
        v = β₂·v + (1 − β₂)·g²                     (the running mean of its square)
        p = p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)

    Dividing by √v gives every parameter a step of about ``lr`` whatever its gradient's scale; the
    factors 1 − βᵗ undo the bias of means that start at 0. With ``amsgrad`` the largest v seen so far
    is used instead of v, so a step never grows when gradients shrink.

    >>> w = Value(3.0)
    >>> (w * w).backward()
    >>> Adam([w], lr=0.1).step()      # the first step is ±lr, whatever the gradient
    >>> round(w.data, 6)
    2.9
    """

    decoupled = False  # AdamW decays the weights apart from the gradient
    default_weight_decay = 0.0  # what weight_decay=None means: 0 for Adam, 0.01 for AdamW (PyTorch's defaults)

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float | None = None,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr)
        who = type(self).__name__
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{who}: betas must be a pair (beta1, beta2), got {describe(betas)}")
        self.betas = (_beta(who, "betas[0]", betas[0]), _beta(who, "betas[1]", betas[1]))
        self.eps = number_in(who, "eps", eps, 0.0, 1.0)
        decay = self.default_weight_decay if weight_decay is None else weight_decay
        self.weight_decay = number_in(who, "weight_decay", decay, 0.0, MAX_LR)
        self.amsgrad = bool(amsgrad)
        self.steps = [0] * len(self.params)  # t for each parameter: the steps it has taken (PyTorch's state["step"])
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self.v_max = [0.0] * len(self.params)

    def step(self) -> None:
        beta1, beta2 = self.betas
        corrected_at = 0  # the t whose bias corrections are computed (nearly every parameter shares one t)
        for i, p, g in self._grads():
            t = self.steps[i] = self.steps[i] + 1
            if t != corrected_at:
                step_size = self.lr / (1.0 - beta1**t)
                root_correction = math.sqrt(1.0 - beta2**t)
                corrected_at = t
            if self.weight_decay and self.decoupled:
                p.data *= 1.0 - self.lr * self.weight_decay
            elif self.weight_decay:
                g = g + self.weight_decay * p.data
            self.m[i] = _lerp(self.m[i], g, 1.0 - beta1)
            self.v[i] = beta2 * self.v[i] + (1.0 - beta2) * g * g
            v = self.v[i]
            if self.amsgrad:
                v = self.v_max[i] = max(self.v_max[i], v)
            p.data -= step_size * (self.m[i] / (math.sqrt(v) / root_correction + self.eps))


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW``: before the Adam step each parameter
    shrinks, p = p·(1 − lr·weight_decay), instead of weight decay entering the gradient (where Adam's
    scaling would undo it). Its default ``weight_decay`` is 0.01."""

    decoupled = True
    default_weight_decay = 1e-2


def _lerp(start: float, end: float, weight: float) -> float:
    """start + weight·(end − start), computed as ``torch.lerp`` does (so the steps agree to the last bit)."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def _beta(who: str, name: str, value: object) -> float:
    """A decay rate for a running mean: a number in [0, 1) (at 1 the mean would never move)."""
    beta = number_in(who, name, value, 0.0, 1.0)
    if beta == 1.0:
        raise ValueError(f"{who}: {name} must be in [0, 1), got {value!r}")
    return beta
