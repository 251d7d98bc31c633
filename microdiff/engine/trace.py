"""Trace once, replay fast: the graph a function builds, as a program a learner can print.

Every training step builds the same graph again — one Python object per scalar operation — then sorts it and
walks it back. Frameworks record the computation once and replay it: JAX's ``jit`` (whose record, a *jaxpr*, can
be printed), ``torch.compile``, TensorFlow's graphs; the textbooks of automatic differentiation call the record a
*Wengert list* or a *tape*. :func:`trace` takes that step. It runs ``f`` once on Values, then flattens the graph
into a :class:`Program`: a straight list of instructions over numbered *slots* — first the inputs, then the
numbers ``f`` captured (a model's parameters) and its constants, then one slot per operation::

    >>> program = trace(lambda x, y: 3 * x**2 + x * y, 2.0, 3.0)
    >>> print(program)
    program(x, y):
      v0 = x
      v1 = y
      v2 = 2.0
      v3 = 3.0
      v4 = mul v0 v1
      v5 = pow v0 v2
      v6 = mul v3 v5
      v7 = add v6 v4
      return v7
    >>> program(2.0, 3.0)
    18.0
    >>> program.value_and_grad(1.0, 5.0)
    (8.0, (11.0, 1.0))

The operations come in the order ``backward()`` sorts the graph (:func:`~microdiff.engine.value.topological_order`:
each after its inputs, the second input's side first), so the program *is* graph mode's schedule, written down.
Replaying the program runs the same rules from the same table (:mod:`microdiff.engine.ops`) on a list of floats:
no node objects, no sort, no dictionary. Its backward pass visits the operations in the order graph mode does,
so every gradient is **bit-identical** to ``y.backward()``'s.

**Names.** *Program* (not "graph": it is a list to run top to bottom; not "jaxpr": it has no types), *instruction*
(one fundamental operation: its name, its output slot, its input slots), *slot* (a numbered place for one float,
written ``v7``), *replay* (running the program again on new numbers), *guard* (a decision the trace saw and checks
again).

**What a trace freezes, and why it is safe — or says so.** A trace records operations; it cannot see what Python
decides on the numbers. So it watches for each such decision and checks it again at every replay:

* a comparison or ``bool()`` of a traced number (``if x > 0:``, ``max(xs)``): the replay checks that the comparison
  comes out the same;
* reading ``x.data`` (or ``max(xs, key=lambda v: v.data)``): the number left the graph, so the replay checks that it
  is exactly the same.

A replay on which a guard would go the other way raises :class:`GuardError`, naming the decision and where it was
made (the training loop then traces again). Some choices need no guard, because the program recomputes them:
``relu`` is one fundamental operation; tanh's formula and softmax's subtracted maximum are constants taken from
the data with :func:`~microdiff.engine.arithmetic.detached`, which the program records as an instruction and
recomputes at every replay. sigmoid chooses between its two textbook formulas by the sign of its input: a guard.
The *shape* of the graph is frozen too — how many examples, how long a name, which rows of an embedding table are
read — so a program serves one shape; an :class:`Index` argument lets a table lookup or a class target be an input
rather than a constant. What a trace cannot see: a decision on a captured parameter's own ``.data`` (a number it
did not compute); don't make one inside a traced function.
"""

from __future__ import annotations

import inspect
import operator
import sys
import threading
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from numbers import Real
from typing import Any, NamedTuple

from microdiff.engine import arithmetic, value
from microdiff.engine.disconnected import warn_disconnected
from microdiff.engine.ops import ADD, MUL, NEG, RELU, refuse_overflow
from microdiff.engine.value import Constant, Value, _accumulated, collector_paused, topological_order

# ---------------------------------------------------------------------------------------------------
# Recording: a kind of node that notes every decision made on its numbers.
# ---------------------------------------------------------------------------------------------------

_recording: ContextVar[_Recording | None] = ContextVar("microdiff_trace", default=None)
_one_trace_at_a_time = threading.Lock()  # tracing switches the kind of node every operation makes
_RAW: Any = Value.__dict__["data"]  # the slot itself: how the trace reads a number without taking note of it
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "!=": operator.ne,
}
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


class Guard(NamedTuple):
    """A decision the trace saw: slot ``slot`` compared by ``test`` with ``other`` (a number, or a slot when
    ``other_is_slot``) came out ``outcome``; ``test == "=="`` is a number read off the graph (``x.data``)."""

    slot: int
    test: str
    other: float
    other_is_slot: bool
    outcome: Any
    where: str

    def holds(self, values: Sequence[float]) -> bool:
        """Whether the decision comes out the same on these slot values."""
        x = values[self.slot]
        if self.test == "==":
            return x == self.outcome or (x != x and self.outcome != self.outcome)  # NaN reads as NaN
        other = values[int(self.other)] if self.other_is_slot else self.other
        return _COMPARE[self.test](x, other) == self.outcome

    def describe(self, names: Sequence[str]) -> str:
        """The decision in words: ``v5 > 0.0 was True (at model.py:12)``."""
        if self.test == "==":
            return f"{names[self.slot]}.data read as {self.outcome!r} ({self.where})"
        other = names[int(self.other)] if self.other_is_slot else repr(self.other)
        return f"{names[self.slot]} {self.test} {other} was {self.outcome} ({self.where})"


class GuardError(RuntimeError):
    """A replay would decide something differently from the trace: the program does not fit these numbers."""


class _Recording:
    """What a trace notes while ``f`` runs, beyond the graph: decisions, detached constants, lookups."""

    def __init__(self) -> None:
        self.guards: list[tuple[Value, str, Any, Any, str]] = []  # node, test, other, outcome, where
        self.detached: dict[Value, tuple[Callable[..., float], tuple[Any, ...]]] = {}
        self.lookups: dict[Value, tuple[Sequence[Sequence[Value]], Index, int]] = {}  # leaf: (rows, index, column)
        self.one_hots: dict[Value, tuple[Index, int]] = {}  # leaf: (index, class)

    def note_detached(self, out: Any, function: Callable[..., float], operands: tuple[Any, ...]) -> None:
        if isinstance(out, Value):
            self.detached[out] = (function, operands)


class Traced(Value):
    """A node whose numbers a trace watches: a comparison, ``bool()`` or a read of ``.data`` is noted as a guard.

    While :func:`trace` runs ``f``, every operation makes nodes of this kind; it behaves as a ``Value`` in all else.
    """

    __slots__ = ()

    @property
    def data(self) -> float:
        number: float = _RAW.__get__(self)
        recording = _recording.get()
        if recording is not None and not _engine_reads(sys._getframe(1)):
            recording.guards.append((self, "==", None, number, _where()))
        return number

    @data.setter
    def data(self, number: float) -> None:
        _RAW.__set__(self, number)

    def _apply(self, op: Any, other: Any = None, out: Any = None) -> Any:
        if out is None:  # the engine computing a value: read the numbers without taking note of a decision
            a = _RAW.__get__(self)
            if other is None:
                out = op.forward(a)
                if out - out != 0.0:  # ±inf or NaN
                    refuse_overflow(op, out, a)
            else:
                b = _RAW.__get__(other)
                out = op.forward(a, b)
                if out - out != 0.0:
                    refuse_overflow(op, out, a, b)
        return Value._apply(self, op, other, out)

    def _decide(self, test: str, other: Any) -> Any:
        if isinstance(other, Value):
            b = _RAW.__get__(other)
        elif isinstance(other, Real):
            b = float(other)
        else:
            return NotImplemented
        outcome = _COMPARE[test](_RAW.__get__(self), b)
        recording = _recording.get()
        if recording is not None:
            recording.guards.append((self, test, other, outcome, _where()))
        return outcome

    def __lt__(self, other: Any) -> bool:
        return self._decide("<", other)

    def __le__(self, other: Any) -> bool:
        return self._decide("<=", other)

    def __gt__(self, other: Any) -> bool:
        return self._decide(">", other)

    def __ge__(self, other: Any) -> bool:
        return self._decide(">=", other)

    def __bool__(self) -> bool:
        return bool(self._decide("!=", 0.0))


def _engine_reads(frame: Any) -> bool:
    """Whether a read of ``.data`` comes from the engine itself (computing a value, not deciding anything)."""
    return frame.f_globals.get("__name__", "").startswith("microdiff.engine")


def _where() -> str:
    """Where a decision was made: the innermost frame outside microdiff (and the microdiff function it called)."""
    frame: Any = sys._getframe(2)
    inside = ""
    while frame is not None and frame.f_globals.get("__name__", "").startswith("microdiff"):
        if frame.f_globals["__name__"] != __name__:  # (the comparison methods of Traced are no news)
            inside = inside or frame.f_code.co_name
        frame = frame.f_back
    place = f"{frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno}" if frame is not None else "?"
    return f"in {inside}, called from {place}" if inside else f"at {place}"


class Index:
    """An integer argument of a traced function that *picks* something: a row of a table (an embedding lookup) or a
    class (a target). A plain int would be frozen into the program as a constant; an ``Index`` is an input, read
    again at every replay. Only the two uses below are allowed, so nothing else can freeze it by accident.
    """

    __slots__ = ("value", "number")

    def __init__(self, value: int, number: int = 0) -> None:
        self.value = int(value)
        self.number = number  # which Index argument of the program this is, in order

    def __repr__(self) -> str:
        return f"Index({self.value})"

    def lookup(self, rows: Sequence[Sequence[Value]]) -> list[Value]:
        """``rows[index]``: outside a trace, the row's Values themselves; in a trace, inputs that the program fills
        from the row the index picks at each replay (and whose gradients it adds to that row's parameters)."""
        row = rows[self.value]
        recording = _recording.get()
        if recording is None:
            return list(row)
        leaves: list[Value] = [Traced(_RAW.__get__(p)) for p in row]
        for column, leaf in enumerate(leaves):
            recording.lookups[leaf] = (rows, self, column)
        return leaves

    def one_hot(self, classes: int) -> list[Value]:
        """1 at the index and 0 elsewhere, ``classes`` numbers: in a trace, inputs set again at each replay."""
        recording = _recording.get()
        if not 0 <= self.value < classes:
            raise ValueError(f"class {self.value} is out of range for {classes} classes")
        leaves: list[Value] = [Constant(1.0 if k == self.value else 0.0) for k in range(classes)]
        if recording is None:
            return leaves
        traced: list[Value] = [Traced(_RAW.__get__(leaf)) for leaf in leaves]
        for k, leaf in enumerate(traced):
            recording.one_hots[leaf] = (self, k)
        return traced


# ---------------------------------------------------------------------------------------------------
# Tracing: run f once, then flatten its graph into a program.
# ---------------------------------------------------------------------------------------------------


def trace(f: Callable[..., Any], *example_args: Any) -> Program:
    """Run ``f`` once on the example arguments and record what it computed as a :class:`Program`.

    The arguments are numbers, :class:`Index` objects, or lists and tuples of them (a batch). Each number becomes
    an input (a ``Value`` that ``f`` receives); ``f`` returns a number or a tuple of them. Values ``f`` uses without
    receiving them (a model's parameters) are *captured*: a replay reads their current ``data`` and
    :meth:`Program.backward` adds to their ``grad``.
    """
    names = _argument_names(f, len(example_args))
    recording = _Recording()
    with _one_trace_at_a_time:
        leaves: list[Value] = []
        indices: list[Index] = []
        args = [_leaves_of(arg, name, leaves, indices) for arg, name in zip(example_args, names)]
        token = _recording.set(recording)
        listening = arithmetic.detached_listener.set(recording.note_detached)
        try:
            with value.making(Traced), collector_paused():
                out = f(*args)
        finally:
            arithmetic.detached_listener.reset(listening)
            _recording.reset(token)
    with collector_paused():  # (flattening allocates a tuple per operation: the collector would walk the graph)
        return Program(f, example_args, leaves, indices, out, recording)


def _argument_names(f: Callable[..., Any], count: int) -> list[str]:
    """The names of ``f``'s positional parameters, for the printed program (x0, x1… where it has none)."""
    try:
        parameters = [
            p.name
            for p in inspect.signature(f).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        parameters = []
    return [parameters[i] if i < len(parameters) else f"x{i}" for i in range(count)]


def _leaves_of(arg: Any, name: str, leaves: list[Value], indices: list[Index]) -> Any:
    """``arg`` with each number made an input leaf (appended to ``leaves``) and each Index numbered."""
    if isinstance(arg, Index):
        arg.number = len(indices)
        indices.append(arg)
        return arg
    if isinstance(arg, (list, tuple)):
        return type(arg)(_leaves_of(item, f"{name}[{i}]", leaves, indices) for i, item in enumerate(arg))
    if isinstance(arg, Real) and not isinstance(arg, bool):
        leaf = Traced(float(arg), label=name)
        leaves.append(leaf)
        return leaf
    raise TypeError(
        f"trace: {name} is {type(arg).__name__} {arg!r:.40}: arguments are numbers, Index, or lists of them"
    )


def _numbers_of(arg: Any, floats: list[float], indices: list[int]) -> None:
    """The numbers of an argument in the order tracing made its leaves (floats) and numbered its Index objects."""
    if isinstance(arg, Index):
        indices.append(arg.value)
    elif isinstance(arg, (list, tuple)):
        for item in arg:
            _numbers_of(item, floats, indices)
    elif isinstance(arg, Real) and not isinstance(arg, bool):
        floats.append(float(arg))
    else:
        raise TypeError(f"a program takes numbers, Index, or lists of them, not {type(arg).__name__} {arg!r:.40}")


def shape_of(arg: Any) -> Any:
    """The structure of an argument, to check that a replay gets arguments like the traced ones."""
    if isinstance(arg, (list, tuple)):
        return (type(arg).__name__, tuple(shape_of(item) for item in arg))
    return "index" if isinstance(arg, Index) else "number"


# Instruction kinds of the replay loop: the common operations written inline, the others through the table.
ADD_, MUL_, NEG_, RELU_, UNARY, BINARY, DETACHED, ADD_MUL = range(8)
_INLINE = {ADD.name: ADD_, MUL.name: MUL_, NEG.name: NEG_, RELU.name: RELU_}


class Instruction(NamedTuple):
    """One line of a program: ``out = op inputs`` (op a fundamental operation's name, or a detached function's)."""

    op: str
    out: int
    inputs: tuple[int, ...]


class Program:
    """The operations a traced function performed, as instructions over numbered slots (see the module docstring).

    ``program(*args)`` evaluates it on new arguments of the same shape; ``program.value_and_grad(*args)`` gives the
    (first) output and the gradient of each numeric argument; ``program.backward(*args)`` is a training step's
    forward and backward: it adds the gradient to every captured parameter's ``grad`` and returns the outputs.
    """

    def __init__(
        self,
        f: Callable[..., Any],
        example_args: tuple[Any, ...],
        leaves: list[Value],
        indices: list[Index],
        out: Any,
        recording: _Recording,
    ) -> None:
        self.name = getattr(f, "__name__", "f")
        self.name = "program" if self.name == "<lambda>" else self.name
        self.example_args = example_args
        self.shapes = tuple(shape_of(arg) for arg in example_args)
        self.argument_names = _argument_names(f, len(example_args))
        outputs = list(out) if isinstance(out, (tuple, list)) else [out]
        self.returns_tuple = isinstance(out, (tuple, list))
        for item in outputs:
            if not isinstance(item, (Value, Real)):
                raise TypeError(f"trace: f returned {type(item).__name__} {item!r:.40}; it must return numbers")
        roots = [item if isinstance(item, Value) else Constant(float(item)) for item in outputs]
        detached = recording.detached
        decided = [node for node, *_ in recording.guards]
        decided += [other for _, _, other, _, _ in recording.guards if isinstance(other, Value)]
        # The backward pass must visit the operations in graph mode's order (so that each gradient sums its terms
        # in the same order: the same bits); the forward pass needs every node after what it is computed from.
        # When the first output is all there is to compute, one sort serves both.
        graph_order = topological_order(roots[0])
        simple = len(roots) == 1 and not decided and not detached
        forward_order = graph_order if simple else _forward_order(roots + decided, detached)

        # Slots: the inputs first, then every other leaf (captured, constant, looked up), then the operations.
        slot: dict[Value, int] = {leaf: i for i, leaf in enumerate(leaves)}
        self._leaf_names: list[str] = [leaf.label for leaf in leaves]  # an operation's slot s is named v{s}
        self.input_slots = list(range(len(leaves)))
        self.captured: list[tuple[int, Value]] = []
        self.constants: list[tuple[int, float]] = []
        self.lookups: list[tuple[int, Sequence[Sequence[Value]], int, int]] = []  # slot, rows, index number, column
        self.one_hots: list[tuple[int, int, int]] = []  # slot, index number, class
        names = self._leaf_names
        operations: list[Value] = []
        for node in forward_order:
            if node._op is not None or (detached and node in detached):
                operations.append(node)
                continue
            if node in slot:
                continue
            slot[node] = len(names)
            if node in recording.lookups:
                rows, index, column = recording.lookups[node]
                self.lookups.append((slot[node], rows, index.number, column))
                names.append(f"lookup{index.number}[{column}]")
            elif node in recording.one_hots:
                index, k = recording.one_hots[node]
                self.one_hots.append((slot[node], index.number, k))
                names.append(f"onehot{index.number}[{k}]")
            elif isinstance(node, Constant):
                self.constants.append((slot[node], _RAW.__get__(node)))
                names.append(repr(_RAW.__get__(node)))
            else:
                self.captured.append((slot[node], node))
                names.append(node.label or f"captured{len(self.captured) - 1}")
        self.first_operation = first = len(names)
        # Each operation once, as the replay loops read it: (kind, out, a, b, function), b = -1 for one input.
        self._forward_code: list[tuple[Any, ...]] = []  # function: the op's forward (or the detached function)
        local_rules: list[Any] = []  # the op's local rule, for the backward pass
        self._ops: list[Any] = [None] * (first + len(operations))  # out slot: the Op, for messages
        forward_code, kinds = self._forward_code, _INLINE
        for out_slot, node in enumerate(operations, first):
            slot[node] = out_slot
            if detached and node in detached:
                function, operands = detached[node]
                forward_code.append((DETACHED, out_slot, tuple(slot[x] for x in operands), -1, function))
                local_rules.append(None)
                continue
            op, first_input, second = node._op, node._first, node._second
            assert op is not None and first_input is not None  # not a leaf: an operation has an input
            b = -1 if second is None else slot[second]
            forward_code.append(
                (kinds.get(op.name, UNARY if b < 0 else BINARY), out_slot, slot[first_input], b, op.forward)
            )
            local_rules.append(op.local)
            self._ops[out_slot] = op
        self.size = first + len(operations)
        self.outputs = [slot[root] for root in roots]
        self.guards = [
            Guard(slot[node], test, *(_other(other, slot)), outcome, where)
            for node, test, other, outcome, where in recording.guards
        ]
        # The backward pass: the operations of the first output's graph in graph mode's order, reversed, leaving
        # out those that lead to no input, captured parameter or looked-up number (their gradients reach nobody).
        needs = [False] * self.size
        for s in [*self.input_slots, *(s for s, _ in self.captured), *(s for s, *_ in self.lookups)]:
            needs[s] = True
        for kind, o, a, b, _ in forward_code:
            if kind != DETACHED:
                needs[o] = needs[a] or (b >= 0 and needs[b])
        backward_slots = [slot[node] for node in reversed(graph_order) if node._op is not None]
        self._backward_code: list[tuple[Any, ...]] = []  # (kind, out, a, b, local rule)
        for o in backward_slots:
            if needs[o]:
                kind, _, a, b, _ = forward_code[o - first]
                if kind != DETACHED:
                    self._backward_code.append((kind, o, a, b, local_rules[o - first]))
        self.connected = self._reaches_output(graph_order, slot)
        self._fast_code = _fused(forward_code, [*self.outputs, *_guarded_slots(self.guards)])
        self._template: list[Any] = [0.0] * self.size
        for s, number in self.constants:
            self._template[s] = number
        looked_up = {s for s, *_ in self.lookups}
        self._consumers: dict[int, list[tuple[list[tuple[Any, ...]], int, int]]] = {s: [] for s in looked_up}
        if looked_up:
            for code in (self._forward_code, self._fast_code, self._backward_code):
                for i, instruction in enumerate(code):
                    kind = instruction[0]
                    for position in (2, 3, 4) if kind == ADD_MUL else (2, 3) if kind != DETACHED else ():
                        if instruction[position] in looked_up:
                            self._consumers[instruction[position]].append((code, i, position))
        self._shared: dict[int, int] = {s: s for s in looked_up}

    def _reaches_output(self, graph_order: list[Value], slot: dict[Value, int]) -> list[bool]:
        """For each input, whether the first output's graph contains it (its gradient is not cut)."""
        in_graph = {slot[node] for node in graph_order if node._op is None}
        return [s in in_graph for s in self.input_slots]

    @property
    def names(self) -> list[str]:
        """Each slot's name: an input's parameter name (``x``, ``xs[3]``), a captured parameter's label, a constant's
        number, ``lookup0[2]``, ``onehot1[4]``, and ``v7`` for the result of an operation."""
        return [*self._leaf_names, *(f"v{s}" for s in range(self.first_operation, self.size))]

    @property
    def instructions(self) -> list[Instruction]:
        """The program's operations in order, each as ``Instruction(op, out, inputs)``."""
        listed = []
        for kind, out, a, b, function in self._forward_code:
            if kind == DETACHED:
                listed.append(Instruction(getattr(function, "__name__", "detached"), out, a))
            else:
                listed.append(Instruction(self._ops[out].name, out, (a,) if b < 0 else (a, b)))
        return listed

    # Replaying ------------------------------------------------------------------------------------------

    def __call__(self, *args: Any) -> Any:
        """The outputs of the program on ``args`` (floats; a tuple when ``f`` returned one)."""
        values, _ = self._run_forward(args)
        outs = [values[s] for s in self.outputs]
        return tuple(outs) if self.returns_tuple else outs[0]

    def value_and_grad(self, *args: Any) -> tuple[float, Any]:
        """The first output and its gradient with respect to each numeric argument (shaped like the arguments; a
        tuple for several). Bit-identical to ``y.backward()`` on the graph ``f`` builds from the same numbers."""
        values, _ = self._run_forward(args)
        grads = self._run_backward(values, 1.0)
        cut = [self.names[s] for s, on in zip(self.input_slots, self.connected) if not on]
        if cut:
            warn_disconnected(self.name, cut, self, traced=True)
        flat = iter(grads[s] for s in self.input_slots)
        shaped = tuple(_reshaped(arg, flat) for arg in args)
        return values[self.outputs[0]], shaped[0] if len(shaped) == 1 else shaped

    def backward(self, *args: Any) -> Any:
        """A training step's work, replayed: the outputs on ``args``, and d (first output) / d parameter added to
        each captured parameter's ``grad`` (and to the looked-up rows' parameters), as ``output.backward()`` adds
        it: each leaf's whole gradient first, then once into ``grad``. Returns the outputs, as ``program(*args)``."""
        values, indices = self._run_forward(args)
        grads = self._run_backward(values, 1.0)
        updates: list[tuple[Value, float]] = [(p, grads[s]) for s, p in self.captured]
        seen: set[int] = set()
        for s, rows, number, column in self.lookups:
            shared = self._shared[s]
            if shared not in seen:
                seen.add(shared)
                updates.append((rows[indices[number]][column], grads[shared]))
        for p, g in updates:
            before = p.grad
            p.grad = g if before.__class__ is float and before == 0.0 else _accumulated(p, before, g)
        outs = [values[s] for s in self.outputs]
        return tuple(outs) if self.returns_tuple else outs[0]

    def slots(self, *args: Any) -> list[float]:
        """Every slot's number before the first instruction runs: the arguments', the captured parameters' current
        ones and the constants (an operation's slot holds 0.0 until it runs). Running each instruction in order,
        ``v[out] = OPS[op].forward(*(v[i] for i in inputs))``, is the replay's forward pass."""
        return self._slots(args)[0]

    def _slots(self, args: tuple[Any, ...]) -> tuple[list[Any], list[int]]:
        shapes = tuple(shape_of(arg) for arg in args)
        if shapes != self.shapes:
            raise ValueError(f"{self.name}: traced for arguments shaped {self.shapes}, given {shapes}")
        floats: list[float] = []
        indices: list[int] = []
        for arg in args:
            _numbers_of(arg, floats, indices)
        v = list(self._template)
        for s, number in zip(self.input_slots, floats):
            v[s] = number
        for s, p in self.captured:
            v[s] = p.data
        if self.lookups:
            self._bind_lookups(v, indices)
        for s, number, k in self.one_hots:
            v[s] = 1.0 if indices[number] == k else 0.0
        return v, indices

    def _run_forward(self, args: tuple[Any, ...]) -> tuple[list[Any], list[int]]:
        v, indices = self._slots(args)
        try:
            _replay_forward(self._fast_code, v)
            total = sum(v)
            if total - total != 0.0:  # an infinity or a NaN somewhere: find, as graph mode does, what overflowed
                _forward(self._forward_code, v, self._ops)
        except ArithmeticError:
            self._check_guards(v)  # a decision that went the other way may have led there: say that first
            raise
        self._check_guards(v)
        return v, indices

    def _bind_lookups(self, v: list[Any], indices: list[int]) -> None:
        """Fill the looked-up slots from the rows the indices pick. Two lookups of the same number share one slot
        (the instructions that read the second are pointed at the first), so their gradients add up in one place,
        in the order graph mode adds them: bit for bit."""
        first: dict[tuple[int, int, int], int] = {}
        for s, rows, number, column in self.lookups:
            shared = first.setdefault((id(rows), indices[number], column), s)
            if shared == s:
                v[s] = rows[indices[number]][column].data
            if self._shared[s] != shared:
                self._shared[s] = shared
                for code, i, position in self._consumers[s]:
                    instruction = code[i]
                    code[i] = (*instruction[:position], shared, *instruction[position + 1 :])

    def _check_guards(self, v: list[Any]) -> None:
        for guard in self.guards:
            if v[guard.slot] is None or not guard.holds(v):
                raise GuardError(
                    f"{self.name}: the trace decided {guard.describe(self.names)}; on these numbers it would decide "
                    "otherwise, so this program does not fit them: trace again (microdiff.trace) for them"
                )

    def _run_backward(self, v: list[Any], seed: float) -> list[float]:
        g = [0.0] * self.size
        g[self.outputs[0]] = seed
        _backward(self._backward_code, v, g, self._ops)
        return g

    # Showing it -----------------------------------------------------------------------------------------

    def graph(self, *args: Any) -> Value:
        """The program turned back into a graph of Values, on ``args`` (default: the traced example), ending at its
        first output, with ``backward()`` done: what ``draw(program)`` draws. Each slot becomes a node named as the
        printed program names it (``v7``), so the picture and the listing read side by side."""
        values, _ = self._run_forward(args or self.example_args)
        nodes: list[Any] = [None] * self.size
        for s in [*self.input_slots, *(s for s, _ in self.captured), *(s for s, *_ in self.lookups)]:
            nodes[s] = Value(values[s], label=self.names[s])
        for s, *_ in self.one_hots:
            nodes[s] = Constant(values[s], label=self.names[s])
        for s, number in self.constants:
            nodes[s] = Constant(number)
        for kind, o, a, b, function in self._forward_code:
            if kind == DETACHED:
                nodes[o] = Constant(values[o], label=f"{getattr(function, '__name__', 'detached')}(…) v{o}")
            else:
                nodes[o] = nodes[a]._apply(self._ops[o], nodes[b] if b >= 0 else None)
                nodes[o].label = self.names[o]
        root: Value = nodes[self.outputs[0]]
        root.backward()
        return root

    def __str__(self) -> str:
        lines = [f"{self.name}({', '.join(self.argument_names)}):"]
        names = self._leaf_names
        for s in self.input_slots:
            lines.append(f"  v{s} = {names[s]}")
        for s, _ in self.captured:
            lines.append(f"  v{s} = {names[s]}  (captured: read at each replay)")
        for s, number in self.constants:
            lines.append(f"  v{s} = {number!r}")
        for s, _, number, column in self.lookups:
            lines.append(f"  v{s} = row[index {number}][{column}]  (looked up at each replay)")
        for s, number, k in self.one_hots:
            lines.append(f"  v{s} = 1 if index {number} == {k} else 0")
        for instruction in self.instructions:
            operands = " ".join(f"v{i}" for i in instruction.inputs)
            lines.append(f"  v{instruction.out} = {instruction.op} {operands}")
        for guard in self.guards:
            lines.append(f"  guard: {guard.describe([f'v{i}' for i in range(self.size)])}")
        returned = ", ".join(f"v{s}" for s in self.outputs)
        lines.append(f"  return {returned}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<Program {self.name}: {len(self.input_slots)} inputs, {len(self.captured)} captured, "
            f"{len(self._forward_code)} instructions, {len(self.guards)} guards>"
        )


def _other(other: Any, slot: dict[Value, int]) -> tuple[float, bool]:
    if isinstance(other, Value):
        return float(slot[other]), True
    return (float(other) if other is not None else 0.0), False


def _reshaped(arg: Any, flat: Any) -> Any:
    """Gradients shaped like ``arg``: a float per number, ``None`` per Index."""
    if isinstance(arg, Index):
        return None
    if isinstance(arg, (list, tuple)):
        return type(arg)(_reshaped(item, flat) for item in arg)
    return next(flat)


def _forward_order(roots: list[Value], detached: dict[Value, tuple[Any, tuple[Any, ...]]]) -> list[Value]:
    """Every node the roots need, each after its inputs — for a detached constant, after the nodes it is computed
    from (the graph does not know those: a constant has no parents). Depth-first, an explicit stack."""
    order: list[Value] = []
    listed: set[Value] = set()
    for root in roots:
        stack: list[Any] = [root]
        while stack:
            node = stack.pop()
            if node is None:
                order.append(stack.pop())
                continue
            if node in listed:
                continue
            listed.add(node)
            stack.extend((node, None))
            sources = [x for x in detached[node][1] if isinstance(x, Value)] if node in detached else node.parents
            stack.extend(reversed([x for x in sources if x not in listed]))
    return order


# ---------------------------------------------------------------------------------------------------
# The replay loops: the chain rule on a list of floats.
# ---------------------------------------------------------------------------------------------------


def _guarded_slots(guards: list[Guard]) -> list[int]:
    return [guard.slot for guard in guards] + [int(guard.other) for guard in guards if guard.other_is_slot]


def _fused(code: list[tuple[Any, ...]], kept: list[int]) -> list[tuple[Any, ...]]:
    """The forward code with each ``add`` of a ``mul`` that nothing else reads done in one step (``v[o] = v[a] +
    v[c] * v[d]``, the same two roundings, so the same bits): a neuron's sum is such a chain, and the replay loop
    then goes round half as often. The backward pass needs no product's value, only its inputs', so it is unchanged.
    ``kept``: slots read from outside the code (outputs, guards), never fused away."""
    uses = [0] * (max((instruction[1] for instruction in code), default=0) + 1)
    for kind, _, a, b, _ in code:
        for operand in a if kind == DETACHED else (a, b):
            if 0 <= operand < len(uses):
                uses[operand] += 1
    for s in kept:
        if s < len(uses):
            uses[s] += 2
    products = {o: (a, b) for kind, o, a, b, _ in code if kind == MUL_ and uses[o] == 1}
    fused: list[tuple[Any, ...]] = []
    absorbed: set[int] = set()
    for instruction in code:
        kind, o, a, b, _ = instruction
        if kind == ADD_ and (b in products or a in products):
            other, product = (a, b) if b in products else (b, a)
            absorbed.add(product)
            fused.append((ADD_MUL, o, other, *products[product]))
        else:
            fused.append(instruction)
    return [instruction for instruction in fused if instruction[1] not in absorbed]


def _replay_forward(code: list[tuple[Any, ...]], v: list[Any]) -> None:
    """Each instruction's value from its inputs' — the loop a replay spends its forward time in (add, mul, their
    fusion, neg and relu inline; the others by the table's forward functions)."""
    add_mul, add, mul, relu, neg, unary = ADD_MUL, ADD_, MUL_, RELU_, NEG_, UNARY  # (locals: read fastest)
    for kind, o, a, b, f in code:
        if kind == add_mul:
            v[o] = v[a] + v[b] * v[f]
        elif kind == add:
            v[o] = v[a] + v[b]
        elif kind == mul:
            v[o] = v[a] * v[b]
        elif kind == relu:
            x = v[a]
            v[o] = 0.0 if x <= 0.0 else x
        elif kind == neg:
            v[o] = -v[a]
        elif kind == unary:
            v[o] = f(v[a])
        elif kind == BINARY:
            v[o] = f(v[a], v[b])
        else:  # a detached constant, recomputed from the current numbers
            v[o] = float(f(*[v[i] for i in a]))


def _forward(code: list[tuple[Any, ...]], v: list[Any], ops: list[Any]) -> None:
    """Each instruction's value from its inputs' (add, mul, neg and relu inline; the others by the table's
    forward functions), refusing an overflow of finite inputs as graph mode does."""
    for kind, o, a, b, forward in code:
        if kind == MUL_:
            x = v[a] * v[b]
        elif kind == ADD_:
            x = v[a] + v[b]
        elif kind == RELU_:
            x = v[a]
            x = 0.0 if x <= 0.0 else x
        elif kind == NEG_:
            x = -v[a]
        elif kind == UNARY:
            x = forward(v[a])
        elif kind == BINARY:
            x = forward(v[a], v[b])
        else:  # a detached constant, recomputed from the current numbers
            v[o] = float(forward(*[v[i] for i in a]))
            continue
        if x - x != 0.0:  # ±inf or NaN
            refuse_overflow(ops[o], x, *([v[a]] if b < 0 else [v[a], v[b]]))
        v[o] = x


def _backward(code: list[tuple[Any, ...]], v: list[Any], g: list[float], ops: list[Any]) -> None:
    """upstream × local = downstream, for each instruction in reverse (add, mul, neg and relu inline: the same
    products graph mode computes from the table's rules, so the same bits)."""
    add, mul, relu, neg, unary = ADD_, MUL_, RELU_, NEG_, UNARY  # (locals: read fastest)
    try:
        for kind, o, a, b, local in code:
            up = g[o]
            if kind == mul:
                g[a] += up * v[b]
                g[b] += up * v[a]
            elif kind == add:
                g[a] += up
                g[b] += up
            elif kind == relu:
                g[a] += up * (1.0 if v[a] > 0.0 else 0.0)
            elif kind == neg:
                g[a] += up * -1.0
            elif kind == unary:
                (da,) = local(v[a], v[o])
                g[a] += up * da
            else:
                da, db = local(v[a], v[b], v[o])
                g[a] += up * da
                g[b] += up * db
    except ArithmeticError as error:
        at = ", ".join(repr(v[i]) for i in ((a,) if b < 0 else (a, b)))
        raise type(error)(f"backward through {ops[o].name}({at}): {error}") from error
