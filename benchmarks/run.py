"""microdiff's benchmarks: microdiff against micrograd 0.1.0, PyTorch 0-d float64 tensors and plain floats.

Run with ``make bench`` (which installs micrograd 0.1.0 first) or ``python benchmarks/run.py [--quick]``.

The headline comes first, measured as a user meets it: whole training runs of micrograd's demo workload
(``train.py``), each a fresh interpreter with the garbage collector left as it is, for microdiff,
micrograd 0.1.0 and a careful minimal engine that builds the same graph (``floor.py``). The commands take
turns, their CPU time is read from the operating system, and each ratio is taken pair by pair (microdiff
against the run of the other engine just before or after it), so that a slow moment of a shared machine
falls on both sides of a ratio.

The rest runs in this one process and prints tables of medians. Each library does the same arithmetic
through the same code below (the MLP, the chain, the sum are written once, over a small adapter per
library). ``gc.collect()`` runs before every timed run, so that one library's garbage is not collected on
the next one's clock; collections that happen *during* a run are that library's own cost and are timed.

The libraries are imported first and their objects frozen out of the collector's sight (``gc.freeze()``):
PyTorch alone brings 165,000 objects, and every full collection would otherwise walk all of them (about
70 ms each here) on whichever library's clock it fell, which measures the import, not the engine.

Micrograd's topological sort is recursive, so for its deep graphs the recursion limit is raised; graphs
that would take micrograd or PyTorch minutes (the million-node chain) are left out for them.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import micrograd.engine as micrograd_engine
except ImportError:  # `make bench` installs it; without it the micrograd rows are left out
    micrograd_engine = None

try:
    import torch
except ImportError:
    torch = None

import train
from train import two_moons  # the demo's data, shared with the whole-process runs

import microdiff
from microdiff import Value, gradients

# ---------------------------------------------------------------------------------------------------
# One adapter per library: how to make a scalar, apply relu, run backward, read a gradient.
# ---------------------------------------------------------------------------------------------------


@dataclass
class Library:
    name: str
    scalar: Callable[[float], Any]  # a leaf that takes part in differentiation
    relu: Callable[[Any], Any]
    backward: Callable[[Any], None]
    grad: Callable[[Any], float]
    update: Callable[[Any, float], None]  # p.data -= lr * p.grad, then zero the grad


def _microdiff_update(p: Value, lr: float) -> None:
    p.data -= lr * p.grad
    p.grad = 0.0


def _micrograd_update(p: Any, lr: float) -> None:
    p.data -= lr * p.grad
    p.grad = 0


def _torch_update(p: Any, lr: float) -> None:
    with torch.no_grad():
        p -= lr * p.grad
    p.grad = None


def libraries() -> list[Library]:
    found = [
        Library("microdiff", Value, lambda v: v.relu(), lambda v: v.backward(), lambda v: v.grad, _microdiff_update)
    ]
    if micrograd_engine is not None:
        mg = micrograd_engine.Value
        found.append(
            Library(
                "micrograd 0.1.0", mg, lambda v: v.relu(), lambda v: v.backward(), lambda v: v.grad, _micrograd_update
            )
        )
    if torch is not None:
        torch.set_num_threads(1)

        def tensor(x: float) -> Any:
            return torch.tensor(x, dtype=torch.float64, requires_grad=True)

        found.append(
            Library(
                f"PyTorch {torch.__version__.split('+')[0]} 0-d",
                tensor,
                torch.relu,
                lambda v: v.backward(),
                lambda v: v.grad.item(),
                _torch_update,
            )
        )
    return found


FLOATS = Library(
    "plain floats", float, lambda v: v if v > 0.0 else 0.0, lambda v: None, lambda v: 0.0, lambda p, lr: None
)


# ---------------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------------


def timed(run: Callable[[], Any], repeats: int) -> float:
    """The median wall time of ``repeats`` runs, each after a full collection."""
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class deep_recursion:
    """Micrograd's topological sort recurses once per node in a path; give it room for deep graphs."""

    def __init__(self, depth: int) -> None:
        self.depth = depth

    def __enter__(self) -> None:
        self.saved = sys.getrecursionlimit()
        sys.setrecursionlimit(max(self.saved, self.depth + 1000))

    def __exit__(self, *exc: object) -> None:
        sys.setrecursionlimit(self.saved)


# ---------------------------------------------------------------------------------------------------
# (a) One training step of micrograd's demo: a 2-16-16-1 relu MLP on 100 two-moons points, hinge + L2
# ---------------------------------------------------------------------------------------------------


def mlp_weights(sizes: Sequence[int], seed: int = 1337) -> list[list[tuple[list[float], float]]]:
    """Per layer, per neuron: (weights, bias), uniform in [-1, 1] as micrograd draws them, biases 0."""
    rng = random.Random(seed)
    return [
        [([rng.uniform(-1.0, 1.0) for _ in range(nin)], 0.0) for _ in range(nout)]
        for nin, nout in zip(sizes, sizes[1:])
    ]


class MLP:
    """Micrograd's MLP, written once over a Library: relu on every layer but the last."""

    def __init__(self, lib: Library, weights: list[list[tuple[list[float], float]]]) -> None:
        self.lib = lib
        self.layers = [[([lib.scalar(w) for w in ws], lib.scalar(b)) for ws, b in layer] for layer in weights]

    def parameters(self) -> list[Any]:
        return [p for layer in self.layers for ws, b in layer for p in (*ws, b)]

    def __call__(self, x: list[Any]) -> Any:
        for i, layer in enumerate(self.layers):
            last = i == len(self.layers) - 1
            acts = [sum((wi * xi for wi, xi in zip(ws, x)), b) for ws, b in layer]
            x = acts if last else [self.lib.relu(a) for a in acts]
        return x[0]


def training_step(model: MLP, points: list[list[float]], labels: list[float], lr: float = 0.5) -> Any:
    """micrograd's demo loss (hinge + 1e-4·L2), its backward pass and an SGD update."""
    lib = model.lib
    inputs = [[lib.scalar(x) for x in point] for point in points]
    scores = [model(x) for x in inputs]
    losses = [lib.relu(1 + -y * score) for y, score in zip(labels, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    lib.backward(total)
    for p in model.parameters():
        lib.update(p, lr)
    return total


def training_run(model: MLP, points: list[list[float]], labels: list[float], steps: int) -> None:
    """``steps`` training steps, then a full collection.

    A training loop runs step after step, so the garbage one step leaves (micrograd's closures make a
    reference cycle per node) is collected during the next ones, on the same library's clock. Timing a
    run of steps that ends with a collection counts that cost where it belongs; timing a lone step after
    ``gc.collect()`` would leave it out.
    """
    for _ in range(steps):
        training_step(model, points, labels)
    gc.collect()


def bench_mlp(libs: list[Library], quick: bool) -> list[tuple[str, float]]:
    """The time per step of a run of training steps (see :func:`training_run`)."""
    points, labels = two_moons()
    weights = mlp_weights([2, 16, 16, 1])
    steps = 3 if quick else 5
    rows = []
    for lib in [*libs, FLOATS]:
        model = MLP(lib, weights)
        repeats = 3 if lib.name.startswith(("micrograd", "PyTorch")) or quick else 7
        run_time = timed(lambda: training_run(model, points, labels, steps), repeats)  # noqa: B023
        rows.append((lib.name, run_time / steps))
    return rows


# ---------------------------------------------------------------------------------------------------
# (b) A chain y = y·a + b; (c) a wide sum of products; (d) a second derivative; (e) memory per node
# ---------------------------------------------------------------------------------------------------


def chain(lib: Library, steps: int) -> Any:
    a, b, y = lib.scalar(0.999), lib.scalar(0.5), lib.scalar(1.0)
    for _ in range(steps):
        y = y * a + b
    lib.backward(y)
    return y


def chain_by_hand(steps: int) -> tuple[float, float]:
    """The chain's arithmetic in plain floats, backward pass included: keep each y, then walk back."""
    a, b, y = 0.999, 0.5, 1.0
    ys = []
    for _ in range(steps):
        ys.append(y)
        y = y * a + b
    upstream, grad_a, grad_b = 1.0, 0.0, 0.0
    for y in reversed(ys):
        grad_a += upstream * y
        grad_b += upstream
        upstream *= a
    return grad_a, grad_b


def wide_sum(lib: Library, terms: int) -> Any:
    xs = [lib.scalar(0.001 * i) for i in range(terms)]
    ws = [lib.scalar(1.0 - 0.001 * i) for i in range(terms)]
    out = sum(x * w for x, w in zip(xs, ws))
    lib.backward(out)
    return out


def horner(x: Any, degree: int = 200) -> Any:
    """1 + x + x² + … by Horner's rule: a deep graph whose second derivative is easy to check."""
    y = x
    for _ in range(degree):
        y = y * x + 1.0
    return y


def second_derivative_microdiff() -> float:
    x = Value(0.9)
    y = horner(x)
    (dy,) = gradients(y, [x], create_graph=True)
    (ddy,) = gradients(dy, [x])
    return ddy


def second_derivative_torch() -> float:
    x = torch.tensor(0.9, dtype=torch.float64, requires_grad=True)
    y = horner(x)
    (dy,) = torch.autograd.grad(y, x, create_graph=True)
    (ddy,) = torch.autograd.grad(dy, x)
    return ddy.item()


def second_derivative_floats() -> float:
    """The same derivative by hand: carry y, y' and y'' through each Horner step."""
    x, y, dy, ddy = 0.9, 0.9, 1.0, 0.0
    for _ in range(200):
        y, dy, ddy = y * x + 1.0, dy * x + y, ddy * x + 2.0 * dy
    return ddy


def memory_per_node(lib: Library, steps: int) -> tuple[float, float]:
    """Bytes per node of a chain: kept after building it, and the peak of building plus backward."""
    gc.collect()
    tracemalloc.start()
    a, b, y = lib.scalar(0.999), lib.scalar(0.5), lib.scalar(1.0)
    for _ in range(steps):
        y = y * a + b
    kept = tracemalloc.get_traced_memory()[0]
    lib.backward(y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    nodes = 2 * steps + 3
    return kept / nodes, peak / nodes


# ---------------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------------


def fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:8.2f} {unit}"
    return f"{seconds * 1e9:8.0f} ns"


def print_rows(title: str, rows: list[tuple[str, float]], nodes: int = 0) -> None:
    print(f"\n{title}")
    reference = dict(rows).get("microdiff")
    header = f"  {'library':<24}{'median':>12}{'× microdiff':>14}"
    print(header + (f"{'ns/node':>10}" if nodes else ""))
    for name, seconds in rows:
        ratio = f"{seconds / reference:13.2f}×" if reference else ""
        per_node = f"{seconds / nodes * 1e9:10.0f}" if nodes else ""
        print(f"  {name:<24}{fmt_time(seconds):>12}{ratio:>14}{per_node}")


# ---------------------------------------------------------------------------------------------------
# The headline: whole training runs, one fresh process each
# ---------------------------------------------------------------------------------------------------

HERE = Path(__file__).resolve().parent


def cpu_seconds(engine: str, steps: int) -> float:
    """The CPU time (user + system) of one ``train.py ENGINE STEPS`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, str(HERE / "train.py"), engine, str(steps)], check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def whole_process(runs: int, steps: int) -> dict[str, float]:
    """Train in fresh processes, the engines in turn; print each run and the median ratios."""
    engines = ["microdiff", "microdiff-trace", "floor"] + (["micrograd"] if micrograd_engine is not None else [])
    cpu_seconds("microdiff", 1)  # warm-up: bytecode compiled, files in the page cache
    times: dict[str, list[float]] = {engine: [] for engine in engines}
    print(f"(0) whole training runs: {steps} steps of the demo workload per process, gc as it is, CPU time")
    for run in range(runs):
        for engine in engines:
            times[engine].append(cpu_seconds(engine, steps))
        row = "  ".join(f"{engine} {times[engine][-1]:6.2f} s" for engine in engines)
        print(f"  run {run + 1}: {row}")
    ratios = {"whole run: microdiff / floor": [m / f for m, f in zip(times["microdiff"], times["floor"])]}
    ratios["whole run: microdiff / microdiff-trace"] = [
        m / t for m, t in zip(times["microdiff"], times["microdiff-trace"])
    ]
    if "micrograd" in times:
        ratios["whole run: micrograd / microdiff"] = [g / m for g, m in zip(times["micrograd"], times["microdiff"])]
        ratios["whole run: micrograd / microdiff-trace"] = [
            g / t for g, t in zip(times["micrograd"], times["microdiff-trace"])
        ]
    for name, values in ratios.items():
        print(f"  {name:<36} median {statistics.median(values):5.2f}  (runs: {', '.join(f'{v:.2f}' for v in values)})")
    return {name: statistics.median(values) for name, values in ratios.items()}


def zero_grad_against_backward(steps: int) -> tuple[float, float]:
    """``zero_grad()`` and ``backward()`` on the same chain graph, in seconds."""
    y = chain(libraries()[0], steps)
    backward = timed(y.backward, 1)
    return timed(y.zero_grad, 1), backward


def chain_rule_paths() -> tuple[float, float, int]:
    """On one training step's graph: the float fast path of ``backward()`` and the generic chain-rule walk
    (which ``gradients``, ``create_graph`` and the Stepper use), in seconds, and the number of nodes."""
    from collections import deque

    import train

    from microdiff.engine import value  # Value and reverse mode

    scalar, model, params = train.engine("microdiff")
    points, labels = train.two_moons()
    scores = [model([scalar(x0), scalar(x1)])[0] for x0, x1 in points]
    losses = [(1 + -y * s).relu() for s, y in zip(scores, labels)]
    loss = sum(losses, scalar(0.0)) * (1.0 / len(losses)) + 1e-4 * sum((p * p for p in params), scalar(0.0))
    order = value.topological_order(loss)
    fast = timed(lambda: value._backpropagate_into_grad(order, [0.0] * len(order), 1.0), 7)
    walk = timed(lambda: deque(value.chain_rule(order, {loss: 1.0}), maxlen=0), 7)
    return fast, walk, len(order)


def trace_against_graph(repeats: int) -> dict[str, float]:
    """(h) The training step of the whole runs, traced once and replayed, against building its graph each time."""
    _, model, params = train.engine("microdiff")
    points, labels = two_moons()

    def loss(points: Any) -> Any:
        return train.loss_of(model, params, Value, points, labels)

    start = time.perf_counter()
    program = microdiff.trace(loss, points)
    tracing = time.perf_counter() - start

    def graph_step() -> None:
        model.zero_grad()
        loss(points).backward()

    def replay_step() -> None:
        model.zero_grad()
        program.backward(points)

    graph, replay = timed(graph_step, repeats), timed(replay_step, repeats)
    size = len(program.instructions)
    peaks = []
    for step in (graph_step, replay_step):
        gc.collect()
        tracemalloc.start()
        step()
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    gc.collect()
    tracemalloc.start()
    kept = microdiff.trace(loss, points)
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    print(
        f"\n(h) the step of (0) traced once ({size:,} instructions, traced in {fmt_time(tracing).strip()}), replayed:"
    )
    print(f"  graph mode (build, sort, backward) {fmt_time(graph)}, replay {fmt_time(replay)}: {graph / replay:.2f}×;")
    print(f"  replay {replay / size * 1e9:.0f} ns per instruction, graph mode {graph / size * 1e9:.0f} ns per node")
    print(f"  memory at the peak of a step: graph mode {peaks[0] / 2**20:.1f} MiB, replay {peaks[1] / 2**20:.1f} MiB;")
    print(f"  the program itself holds {held / 2**20:.1f} MiB ({held / size:.0f} B per instruction)")
    return {
        "replay: graph mode / replay, per step": graph / replay,
        "replay: ns per instruction": replay / size * 1e9,
        "replay: seconds to trace the step": tracing,
        "replay: peak MiB of a step, graph mode / replay": peaks[0] / peaks[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and graphs of up to 10,000 steps")
    parser.add_argument("--runs", type=int, default=3, help="whole training runs per engine (default: 3)")
    arguments = parser.parse_args()
    quick = arguments.quick
    summary = whole_process(1 if quick else arguments.runs, 5 if quick else 20)
    print()
    libs = libraries()
    gc.collect()
    frozen = gc.get_freeze_count()
    gc.freeze()
    frozen = gc.get_freeze_count() - frozen
    where = microdiff.__file__.rsplit("/", 2)[0]
    mode = "quick" if quick else "full"
    print(f"microdiff {microdiff.__version__} ({where}), Python {sys.version.split()[0]}, {mode} run")
    print(f"{frozen:,} objects of the imported libraries frozen out of the garbage collector's sight.")
    print("Medians of wall time; '× microdiff' is the row's time over microdiff's (above 1: microdiff is faster).")

    rows = bench_mlp(libs, quick)
    print_rows("(a) a training step: 2-16-16-1 relu MLP, 100 two-moons points, hinge + L2, SGD (runs of steps)", rows)
    print("    plain floats: the forward pass only (a floor; floats have no backward)")
    times = dict(rows)
    if "micrograd 0.1.0" in times:
        summary["MLP step: micrograd / microdiff"] = times["micrograd 0.1.0"] / times["microdiff"]

    sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000, 1_000_000]
    for steps in sizes:
        rows = []
        nodes = 2 * steps + 3  # a mul and an add per step, and the leaves a, b, y
        for lib in [*libs, FLOATS]:
            slow = lib.name.startswith(("micrograd", "PyTorch"))
            if slow and steps > 100_000:
                continue
            repeats = 1 if steps >= 1_000_000 else 3 if (slow or steps >= 100_000 or quick) else 7
            with deep_recursion(nodes):
                rows.append((lib.name, timed(lambda: chain(lib, steps), repeats)))  # noqa: B023
        rows.append(("floats, backward by hand", timed(lambda: chain_by_hand(steps), 1 if steps >= 1_000_000 else 5)))  # noqa: B023
        print_rows(f"(b) chain y = y·a + b, {steps:,} steps ({nodes:,} nodes): build + backward", rows, nodes)
        times = dict(rows)
        summary[f"chain {steps:.0e}: microdiff / floats (forward loop)"] = times["microdiff"] / times["plain floats"]
        summary[f"chain {steps:.0e}: microdiff / floats (backward by hand)"] = (
            times["microdiff"] / times["floats, backward by hand"]
        )
        for name in times:
            if name.startswith("PyTorch"):
                summary[f"chain {steps:.0e}: PyTorch / microdiff per node"] = times[name] / times["microdiff"]

    print("    plain floats: the forward loop alone; floats, backward by hand: each y kept, then the backward loop")

    terms = 10_000 if quick else 100_000
    rows = []
    for lib in [*libs, FLOATS]:
        with deep_recursion(2 * terms):
            rows.append((lib.name, timed(lambda: wide_sum(lib, terms), 3)))  # noqa: B023
    print_rows(f"(c) a wide sum of {terms:,} products: build + backward", rows, 4 * terms)

    assert math.isclose(second_derivative_microdiff(), second_derivative_floats(), rel_tol=1e-9)
    rows = [("microdiff", timed(second_derivative_microdiff, 3 if quick else 9))]
    if torch is not None:
        rows.append(("PyTorch 0-d", timed(second_derivative_torch, 3)))
    rows.append(("plain floats", timed(second_derivative_floats, 9)))
    print_rows("(d) second derivative of a degree-200 polynomial (Horner), d²y/dx² by reverse over reverse", rows)
    print("    plain floats: y, y', y'' carried by hand through each step")

    print("\n(e) memory per node, chain of 10,000 steps (tracemalloc; PyTorch's C++ memory is not seen)")
    print(f"  {'library':<24}{'kept':>12}{'peak':>12}")
    for lib in libs:
        if lib.name.startswith("PyTorch"):
            continue
        with deep_recursion(20_010):
            kept, peak = memory_per_node(lib, 10_000)
        print(f"  {lib.name:<24}{kept:>8.0f} B/n{peak:>8.0f} B/n")
        if lib.name == "microdiff":
            summary["memory: bytes per node kept"] = kept
            summary["memory: bytes per node at the peak of backward"] = peak

    chain_steps = 100_000 if quick else 1_000_000
    zeroing, backward = zero_grad_against_backward(chain_steps)
    print(f"\n(f) chain of {chain_steps:,} steps: zero_grad {fmt_time(zeroing)}, backward {fmt_time(backward)}")
    summary["zero_grad / backward, same graph"] = zeroing / backward

    fast, walk, nodes = chain_rule_paths()
    print(f"(g) the chain rule on a training step's {nodes:,} nodes: backward's float fast path {fmt_time(fast)},")
    print(f"    the generic walk (gradients, create_graph, the Stepper) {fmt_time(walk)}")
    summary["generic walk / fast path, training graph"] = walk / fast

    replay = trace_against_graph(3 if quick else 9)
    summary.update(replay)

    print("\nSummary (targets: whole run ≥ 10× micrograd and ≤ 1.3× the floor, traced ≥ 40× micrograd; replay ≥ 6×")
    print("graph mode per step and ≤ 300 ns per node; ≤ 112 B per node; zero_grad ≤ backward)")
    for key, value in summary.items():
        print(f"  {key:<56}{value:10.2f}")


if __name__ == "__main__":
    main()
