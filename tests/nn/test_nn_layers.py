"""The PyTorch-style building blocks: Sequential, Linear, activations, Embedding, Flatten; names, state
dicts, and checked arguments."""

import math
import random

import pytest

from microdiff import Value
from microdiff.nn import (
    MLP,
    SGD,
    Embedding,
    Flatten,
    Layer,
    Linear,
    Neuron,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)


def test_sequential_of_linear_and_relu_is_an_mlp_with_the_same_names_and_outputs():
    mlp = MLP(2, [3, 1], seed=4)
    seq = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    assert [n for n, _ in seq.named_parameters()] == [n for n, _ in mlp.named_parameters()]
    seq.load_state_dict(mlp.state_dict())
    x = [0.5, -1.25]
    assert seq(x)[0].data == mlp(x)[0].data
    assert [p.label for p in seq.parameters()][:3] == ["L1.n0.w0", "L1.n0.w1", "L1.n0.b"]


def test_linear_computes_w_dot_x_plus_b_and_starts_in_pytorchs_range():
    layer = Linear(4, 2, seed=1)
    assert all(abs(w.data) <= 0.5 for n in layer.neurons for w in n.w)  # ±1/√4
    assert all(n.b.data == 0.0 for n in layer.neurons)
    x = [1.0, 2.0, -1.0, 0.5]
    expected = [sum(w.data * xi for w, xi in zip(n.w, x)) + n.b.data for n in layer.neurons]
    assert [y.data for y in layer(x)] == pytest.approx(expected)
    assert repr(layer) == "Linear(4, 2)"


@pytest.mark.parametrize(
    ("module", "function"),
    [(ReLU(), lambda v: max(v, 0.0)), (Tanh(), math.tanh), (Sigmoid(), lambda v: 1 / (1 + math.exp(-v)))],
)
def test_activations_apply_to_every_number_of_a_list(module, function):
    xs = [Value(-1.5), Value(0.25), Value(2.0)]
    assert [y.data for y in module(xs)] == pytest.approx([function(x.data) for x in xs])
    assert module(Value(0.25)).data == pytest.approx(function(0.25))
    assert module.parameters() == []


def test_embedding_looks_up_rows_and_only_used_rows_get_gradients():
    emb = Embedding(5, 2, seed=0)
    row = emb(3)
    assert all(a is b for a, b in zip(row, emb.weight[3]))  # the table's own Values, in a new list
    row.append(Value(0.0))
    assert len(emb.weight[3]) == 2
    rows = emb([3, 1, 3])
    assert [len(r) for r in rows] == [2, 2, 2] and all(a is b for a, b in zip(rows[0], rows[2]))
    total = sum((v for row in rows for v in row), Value(0.0))
    total.backward()
    assert [p.grad for p in emb.weight[3]] == [2.0, 2.0]  # used twice
    assert [p.grad for p in emb.weight[0]] == [0.0, 0.0]
    assert [n for n, _ in emb.named_parameters()][:3] == ["r0.d0", "r0.d1", "r1.d0"]


def test_flatten_joins_rows():
    a, b, c, d = (Value(x) for x in (1.0, 2.0, 3.0, 4.0))
    assert Flatten()([[a, b], [c, d]]) == [a, b, c, d]


def test_a_makemore_network_names_every_part():
    model = Sequential(Embedding(27, 2), Flatten(), Linear(6, 4), Tanh(), Linear(4, 27))
    names = [n for n, _ in model.named_parameters()]
    assert names[0] == "E1.r0.d0" and "L1.n3.w5" in names and names[-1] == "L2.n26.b"
    assert len(names) == len(set(names)) == 27 * 2 + 4 * 7 + 27 * 5
    assert all(p.label == n for n, p in model.named_parameters())
    out = model([0, 0, 5])
    assert len(out) == 27 and out[0].composite.name == "L2.n0"  # each neuron is still one box
    assert model.shape() == [27, 2, 6, 4, 4, 27]
    assert len(model) == 5 and isinstance(model[0], Embedding)
    assert repr(model).splitlines()[1] == "  (0): Embedding(27, 2)"


def test_nested_modules_get_a_positional_prefix():
    model = Sequential(Linear(2, 2), ReLU(), MLP(2, [1]))
    assert [n for n, _ in model.named_parameters()][-1] == "M3.L1.n0.b"


def test_state_dict_round_trip_and_checked_load():
    a, b = Sequential(Linear(2, 3), Tanh(), Linear(3, 1)), Sequential(Linear(2, 3, seed=9), Tanh(), Linear(3, 1))
    state = a.state_dict()
    assert list(state) == [n for n, _ in a.named_parameters()] and all(type(v) is float for v in state.values())
    b.load_state_dict(state)
    assert b.state_dict() == state
    before = b.state_dict()
    with pytest.raises(ValueError, match=r"missing \['L2.n0.b'\]"):
        b.load_state_dict({k: v for k, v in state.items() if k != "L2.n0.b"})
    with pytest.raises(ValueError, match=r"unexpected \['extra'\]"):
        b.load_state_dict({**state, "extra": 1.0})
    with pytest.raises(ValueError, match=r"state\['L1.n0.w0'\] must be a finite number, found nan"):
        b.load_state_dict({**state, "L1.n0.w0": math.nan})
    assert b.state_dict() == before


def test_sequential_save_and_load(tmp_path):
    a = Sequential(Embedding(4, 2, seed=1), Flatten(), Linear(4, 3, seed=2))
    b = Sequential(Embedding(4, 2, seed=3), Flatten(), Linear(4, 3, seed=4))
    a.save(tmp_path / "model.json")
    b.load(tmp_path / "model.json")
    assert b.state_dict() == a.state_dict()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MLP(2, [-1]), r"MLP: nouts\[0\] must be a positive int, got -1"),
        (lambda: MLP(2, [4, 0]), r"MLP: nouts\[1\] must be a positive int, got 0"),
        (lambda: MLP(0, [1]), "MLP: nin must be a positive int, got 0"),
        (lambda: MLP(2, 3), "MLP needs a list of layer sizes"),
        (lambda: MLP(2, [2.5]), r"nouts\[0\] must be a positive int, got 2.5"),
        (lambda: Layer(2, True), "Layer: nout must be a positive int, got True"),
        (lambda: Neuron(-3), "Neuron: nin must be a positive int, got -3"),
        (lambda: Linear(0, 2), "Linear: in_features must be a positive int, got 0"),
        (lambda: Embedding(27, 0), "Embedding: embedding_dim must be a positive int, got 0"),
        (lambda: Sequential(), "Sequential needs at least one module"),
    ],
)
def test_sizes_are_checked_where_they_enter(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Embedding(3, 2)(3), IndexError, r"index must be an int in \[0, 3\), got 3"),
        (lambda: Embedding(3, 2)([0, "a"]), IndexError, r"got 'a' \(a str\)"),
        (lambda: Embedding(3, 2)("abc"), TypeError, "an index or a list of indices"),
        (lambda: MLP(2, [1])(5.0), TypeError, r"MLP expects a list of 2 numbers or Values, got 5.0 \(a float\)"),
        (lambda: MLP(2, [1])([1.0, "x"]), TypeError, r"MLP: input 1 must be a number or a Value, got 'x'"),
        (lambda: Sequential(Linear(1, 1), "relu"), TypeError, "argument 1 must be a Module"),
        (lambda: Tanh()(3.0), TypeError, "Tanh expects a Value or a list of them"),
    ],
)
def test_wrong_arguments_say_what_was_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_seeded_construction_is_reproducible():
    def make(seed):
        rng = random.Random(seed)
        return Sequential(Embedding(5, 2, rng), Flatten(), Linear(4, 3, rng)).state_dict()

    assert make(1) == make(1) != make(2)


def test_a_module_used_twice_is_one_module_with_one_name_and_its_parameters_listed_once():
    random.seed(0)
    shared = Linear(2, 2)
    model = Sequential(shared, ReLU(), shared)
    assert [name for name, _ in model.named_parameters()] == [name for name, _ in Sequential(shared).named_parameters()]
    assert len(model.parameters()) == 6 and model.shape() == [2, 2]
    model([1.0, 2.0])[0].backward()
    optimizer = SGD(model.parameters(), lr=1.0)
    before = [p.data for p in shared.parameters()]
    optimizer.step()  # each shared weight moves once, by its whole gradient (the sum over both places)
    assert [p.data for p in shared.parameters()] == [b - p.grad for b, p in zip(before, shared.parameters())]


def test_a_linear_without_bias_computes_w_dot_x_and_lists_only_its_weights():
    layer = Linear(3, 2, bias=False, seed=5)
    assert [name for name, _ in layer.named_parameters()] == ["n0.w0", "n0.w1", "n0.w2", "n1.w0", "n1.w1", "n1.w2"]
    x = [0.5, -1.0, 2.0]
    out = layer(x)
    assert [o.data for o in out] == [n.w[0].data * 0.5 + n.w[1].data * -1.0 + n.w[2].data * 2.0 for n in layer.neurons]
    assert repr(layer) == "Linear(3, 2, bias=False)" and repr(Linear(3, 2)) == "Linear(3, 2)"
