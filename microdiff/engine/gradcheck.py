"""Gradient checking: reverse mode against central finite differences.

The central difference (f(x + ε) − f(x − ε)) / 2ε approximates f'(x) with an error of order ε², using
nothing but evaluations of f. It is slow (two evaluations per input) and inexact, but it knows no
calculus, which makes it an independent check of every derivative rule.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

from microdiff.engine.disconnected import DisconnectedGradientWarning
from microdiff.engine.functional import gradients
from microdiff.engine.value import Value, enable_grad, no_grad


class GradcheckError(AssertionError):
    """Reverse-mode and numerical gradients disagree; the message is a table of both."""


def numerical_gradient(f: Callable[..., Value], inputs: Sequence[float], eps: float = 1e-6) -> list[float]:
    """∂f/∂xᵢ ≈ (f(x + ε·eᵢ) − f(x − ε·eᵢ)) / 2ε for each input, by central differences."""
    point = [float(x) for x in inputs]

    def f_at(shifted: list[float]) -> float:
        with no_grad():
            out = f(*[Value(x) for x in shifted])
        return out.data if isinstance(out, Value) else float(out)

    slopes = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += eps
        down[i] -= eps
        slopes.append((f_at(up) - f_at(down)) / (2.0 * eps))
    return slopes


def gradcheck(
    f: Callable[..., Value], inputs: Sequence[float], eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3
) -> bool:
    """Check ``f``'s reverse-mode gradient at ``inputs`` against central finite differences.

    Returns ``True`` when every input passes ``|analytic − numeric| ≤ atol + rtol·|numeric|``; otherwise
    raises :class:`GradcheckError` with a table: input, analytic, numeric, difference.

    >>> gradcheck(lambda x, y: 3 * x**2 + x * y + 5 * y**2, [2.0, 3.0])
    True
    """
    point = [x.data if isinstance(x, Value) else float(x) for x in inputs]
    variables = [Value(x) for x in point]
    with enable_grad():  # even inside no_grad: the analytic gradient needs the graph
        out = f(*variables)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck needs f to return a Value, not {type(out).__name__}")
    with warnings.catch_warnings():  # an input f ignores has slope 0, which the finite differences check too
        warnings.simplefilter("ignore", DisconnectedGradientWarning)
        analytic = [float(g) for g in gradients(out, variables)]
    numeric = numerical_gradient(f, point, eps)
    failed = [not abs(a - n) <= atol + rtol * abs(n) for a, n in zip(analytic, numeric)]  # NaN fails too
    if any(failed):
        rows = [f"{'input':>8} {'value':>12} {'analytic':>14} {'numeric':>14} {'difference':>12}"]
        for i, (x, a, n, bad) in enumerate(zip(point, analytic, numeric, failed)):
            rows.append(
                f"{'x' + str(i):>8} {x:>12.6g} {a:>14.8g} {n:>14.8g} {abs(a - n):>12.3g}{'  <-' if bad else ''}"
            )
        raise GradcheckError(f"gradients disagree (atol={atol}, rtol={rtol}, eps={eps}):\n" + "\n".join(rows))
    return True
