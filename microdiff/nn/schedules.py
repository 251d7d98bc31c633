"""Learning-rate schedules: the optimizer's ``lr`` as a function of how many steps have been taken.

A big step early covers ground; a small step late settles into a minimum instead of bouncing around
it. Each schedule has the name, arguments and meaning of its ``torch.optim.lr_scheduler`` namesake:
make it after the optimizer (it records the optimizer's ``lr`` as the base rate and sets the rate for
step 0), then call ``scheduler.step()`` once after each ``optimizer.step()``.

>>> from microdiff import Value
>>> from microdiff.nn import SGD
>>> optimizer = SGD([Value(0.0)], lr=1.0)
>>> scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
>>> rates = []
>>> for _ in range(5):
...     rates.append(optimizer.lr)     # optimizer.step() would go here
...     scheduler.step()
>>> rates
[1.0, 1.0, 0.5, 0.5, 0.25]

Schedules chain, as in PyTorch: ``step()`` does not set the rate from scratch but changes the rate the
optimizer has now, by the schedule's own factor for this step (StepLR multiplies it by gamma every
``step_size`` steps, whatever else moved it), so a warm-up (LinearLR) and a decay (StepLR) on one optimizer
both act. The factors are PyTorch's, so a chain gives torch's rates. ``lr_at(k)`` is a schedule's closed form,
what the rate would be after k steps with that schedule alone; it can be given to :func:`~microdiff.nn.train`,
whose steps count from 1: ``schedule=lambda k: scheduler.lr_at(k - 1)``.
"""

from __future__ import annotations

import math

from microdiff.nn.checks import describe, number_in, positive_int
from microdiff.nn.optim import Optimizer


class LRScheduler:
    """Changes ``optimizer.lr`` at each ``step()`` by the schedule's factor for step k (k counts the calls).

    ``base_lr`` is the optimizer's rate before its first schedule was made (PyTorch's ``initial_lr``), so a
    second schedule on the same optimizer starts from the same base as the first.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: optimizer must be SGD, Adam or AdamW, got {describe(optimizer)}")
        self.optimizer = optimizer
        if optimizer.initial_lr is None:
            optimizer.initial_lr = optimizer.lr
        self.base_lr = optimizer.initial_lr
        self.last_epoch = 0
        optimizer.lr = self.next_lr(optimizer.lr, 0)

    def lr_at(self, k: int) -> float:
        """The learning rate after ``k`` calls of ``step()``, with this schedule alone (its closed form)."""
        raise NotImplementedError

    def next_lr(self, lr: float, k: int) -> float:
        """The rate for step ``k`` from the rate ``lr`` the optimizer has now (PyTorch's chainable form)."""
        raise NotImplementedError

    def step(self) -> None:
        """Count one more step and change the optimizer's learning rate for the next one."""
        self.last_epoch += 1
        self.optimizer.lr = self.next_lr(self.optimizer.lr, self.last_epoch)

    def get_last_lr(self) -> list[float]:
        """The rate set last, in a list as PyTorch gives it (one per parameter group; here there is one)."""
        return [self.optimizer.lr]


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` steps: lr_k = base · gamma^⌊k / step_size⌋."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = positive_int("StepLR", "step_size", step_size)
        self.gamma = number_in("StepLR", "gamma", gamma, 0.0, 1.0)
        super().__init__(optimizer)

    def lr_at(self, k: int) -> float:
        return self.base_lr * self.gamma ** (k // self.step_size)

    def next_lr(self, lr: float, k: int) -> float:
        return lr * self.gamma if k and k % self.step_size == 0 else lr


class LinearLR(LRScheduler):
    """Change the rate's factor in a straight line from ``start_factor`` to ``end_factor`` over
    ``total_iters`` steps, then keep it: lr_k = base · (start + (end − start) · min(k, total) / total)."""

    def __init__(
        self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5
    ) -> None:
        self.start_factor = number_in("LinearLR", "start_factor", start_factor, 0.0, 1.0, open_low=True)
        self.end_factor = number_in("LinearLR", "end_factor", end_factor, 0.0, 1.0)
        self.total_iters = positive_int("LinearLR", "total_iters", total_iters)
        super().__init__(optimizer)

    def lr_at(self, k: int) -> float:
        progress = min(k, self.total_iters) / self.total_iters
        return self.base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)

    def next_lr(self, lr: float, k: int) -> float:
        if k == 0:
            return lr * self.start_factor
        if k > self.total_iters:
            return lr
        change = self.end_factor - self.start_factor  # the factor goes from f(k-1) to f(k): lr · f(k) / f(k-1)
        return lr * (1.0 + change / (self.total_iters * self.start_factor + (k - 1) * change))


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the base rate down to ``eta_min`` over ``T_max`` steps:
    lr_k = eta_min + (base − eta_min) · (1 + cos(π·k / T_max)) / 2 (past T_max it rises again, as PyTorch's)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803 (PyTorch's name)
        self.T_max = positive_int("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = number_in("CosineAnnealingLR", "eta_min", eta_min, 0.0, math.inf)
        super().__init__(optimizer)

    def lr_at(self, k: int) -> float:
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + math.cos(math.pi * k / self.T_max)) / 2.0

    def next_lr(self, lr: float, k: int) -> float:
        if k == 0:
            return lr
        if (k - 1 - self.T_max) % (2 * self.T_max) == 0:  # the cosine's trough: the ratio below would be 0/0
            return lr + (self.base_lr - self.eta_min) * (1.0 - math.cos(math.pi / self.T_max)) / 2.0
        ratio = (1.0 + math.cos(math.pi * k / self.T_max)) / (1.0 + math.cos(math.pi * (k - 1) / self.T_max))
        return ratio * (lr - self.eta_min) + self.eta_min
