"""Optimizers: how a parameter moves once ``backward()`` has filled in its gradient."""

from __future__ import annotations

from collections.abc import Iterable

from microdiff.engine.value import Value


class SGD:
    """Stochastic gradient descent, with optional momentum and weight decay.

    Each ``step()`` moves every parameter p downhill, against its gradient:

        g = p.grad + weight_decay · p        (weight decay: the gradient of ½·weight_decay·p², an L2 penalty)
        v = momentum · v + g                  (velocity: a running sum of past steps; v = g when momentum = 0)
        p = p − lr · v

    ``lr`` is a plain attribute, so a schedule can change it between steps. The update writes ``p.data``
    in place and builds no graph.

    >>> w = Value(3.0)
    >>> (w * w).backward()           # d(w²)/dw = 6
    >>> SGD([w], lr=0.1).step()
    >>> round(w.data, 6)
    2.4
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        self.params = list(params)
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        """Move every parameter by −lr × (its gradient, plus weight decay and momentum)."""
        for i, p in enumerate(self.params):
            grad = p.grad.data if isinstance(p.grad, Value) else p.grad  # after backward(create_graph=True)
            g = grad + self.weight_decay * p.data
            v = self.momentum * self.velocity[i] + g
            self.velocity[i] = v
            p.data -= self.lr * v

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0: ``backward()`` adds to a leaf's gradient, never resets it."""
        for p in self.params:
            p.grad = 0.0
