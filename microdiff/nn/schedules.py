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

Each rate is computed from its closed form, ``lr_at(k)`` after k steps, so a schedule can also be given
to :func:`~microdiff.nn.train`, whose steps count from 1: ``schedule=lambda k: scheduler.lr_at(k - 1)``.
"""

from __future__ import annotations

import math

from microdiff.nn.checks import describe, number_in, positive_int
from microdiff.nn.optim import Optimizer


class LRScheduler:
    """Sets ``optimizer.lr`` to ``lr_at(k)`` where k counts the ``step()`` calls so far (from 0)."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: optimizer must be SGD, Adam or AdamW, got {describe(optimizer)}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        optimizer.lr = self.lr_at(0)

    def lr_at(self, k: int) -> float:
        """The learning rate after ``k`` calls of ``step()``."""
        raise NotImplementedError

    def step(self) -> None:
        """Count one more step and set the optimizer's learning rate for the next one."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

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


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the base rate down to ``eta_min`` over ``T_max`` steps:
    lr_k = eta_min + (base − eta_min) · (1 + cos(π·k / T_max)) / 2 (past T_max it rises again, as PyTorch's)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803 (PyTorch's name)
        self.T_max = positive_int("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = number_in("CosineAnnealingLR", "eta_min", eta_min, 0.0, math.inf)
        super().__init__(optimizer)

    def lr_at(self, k: int) -> float:
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + math.cos(math.pi * k / self.T_max)) / 2.0
