"""The GPT on scalars: its parts checked by finite differences, the whole model's loss and every gradient
against PyTorch (float64) on random weights, and a few training steps with the same weights, names and Adam
whose every loss agrees with PyTorch's to 1e-9. Without torch the PyTorch tests skip, except in CI."""

import math
import random

import pytest
from conftest import require

from microdiff import Index, Value, gradcheck, trace
from microdiff.datasets import load_names
from microdiff.nn import Adam, LinearLR, optimize
from microdiff.nn.gpt import GPT, CausalSelfAttention, KVCache, RMSNorm, sample

ALPHABET = ".abcdefghijklmnopqrstuvwxyz"  # token 0 is the boundary that starts and ends a name


def tokens(name):
    return [0, *(ALPHABET.index(c) for c in name), 0]


def test_microgpts_configuration_has_4192_parameters_with_nanogpts_names():
    model = GPT(27)
    names = [name for name, _ in model.named_parameters()]
    assert len(names) == len(set(names)) == 4192
    prefixes = {name.split(".n")[0].split(".r")[0] for name in names}
    assert prefixes == {"wte", "wpe", "h0.attn.wq", "h0.attn.wk", "h0.attn.wv", "h0.attn.wo", "h0.mlp.fc1"} | {
        "h0.mlp.fc2",
        "lm_head",
    }
    assert all(p.label == name for name, p in model.named_parameters())
    assert repr(model) == "GPT(27, n_embd=16, n_head=4, n_layer=1, block_size=16)"
    weights = [p.data for p in model.parameters()]
    assert (
        abs(sum(weights) / len(weights)) < 0.01 and 0.07 < math.sqrt(sum(w * w for w in weights) / len(weights)) < 0.09
    )
    assert len(GPT(27, n_embd=8, n_head=2, n_layer=2, block_size=8).parameters()) == 27 * 8 * 2 + 8 * 8 + 2 * 12 * 64


def test_rmsnorm_scales_to_a_root_mean_square_of_one_and_passes_gradcheck():
    norm = RMSNorm(3, elementwise_affine=False)
    out = norm([Value(3.0), Value(-4.0), Value(0.0)])
    assert math.sqrt(sum(o.data**2 for o in out) / 3) == pytest.approx(1.0, rel=1e-5)
    affine = RMSNorm(3)
    affine.weight[1].data = 2.0
    for k in range(3):
        assert gradcheck(lambda a, b, c, k=k: norm([a, b, c])[k] * (k + 1), [0.3, -1.2, 0.7])
        assert gradcheck(lambda a, b, c, k=k: affine([a, b, c])[k], [0.3, -1.2, 0.7])
    with pytest.raises(ValueError, match=r"RMSNorm\(3\) got a vector of 2 numbers"):
        norm([Value(1.0), Value(2.0)])


def test_attention_is_causal_and_passes_gradcheck():
    random.seed(1)
    attn = CausalSelfAttention(4, n_head=2, seed=3)
    for p in attn.parameters():
        p.data = random.gauss(0.0, 0.5)

    def position_two(*xs):
        keys, values = [], []
        for t in range(3):
            out = attn(list(xs[4 * t : 4 * t + 4]), keys, values)
        return out[0] * 1.0 + out[3] * -0.5

    point = [random.uniform(-1, 1) for _ in range(12)]
    assert gradcheck(position_two, point)
    keys, values = [], []
    first = attn([Value(x) for x in point[:4]], keys, values)
    assert attn.weights == [[1.0], [1.0]]  # the first position can only look at itself
    later = attn([Value(x) for x in point[4:8]], keys, values)
    assert len(attn.weights[0]) == 2 and math.isclose(sum(attn.weights[1]), 1.0)
    again = attn([Value(x) for x in point[:4]], [], [])  # a position does not see what comes after it
    assert [o.data for o in again] == [o.data for o in first] != [o.data for o in later]
    with pytest.raises(ValueError, match=r"n_embd \(6\) must be a multiple of n_head \(4\)"):
        CausalSelfAttention(6, 4)


def test_a_position_computed_from_the_cache_is_the_same_as_in_the_whole_sequence():
    model = GPT(27, n_embd=8, n_head=2, block_size=8, seed=2)
    whole = model(tokens("ada")[:4])
    cache = KVCache(1)
    one_by_one = [model.step(token, position, cache) for position, token in enumerate(tokens("ada")[:4])]
    assert [[v.data for v in row] for row in whole] == [[v.data for v in row] for row in one_by_one]
    assert len(cache) == 4


def test_arguments_are_checked():
    model = GPT(27, block_size=4)
    with pytest.raises(ValueError, match="5 tokens are more than the block size 4"):
        model([0, 1, 2, 3, 4])
    with pytest.raises(ValueError, match="needs at least two tokens"):
        model.loss([0])
    with pytest.raises(IndexError, match=r"index must be an int in \[0, 27\)"):
        model([0, 27])
    with pytest.raises(TypeError, match="a non-empty list of token ids"):
        model("abc")


def test_sampling_is_seeded_and_stays_in_the_vocabulary():
    model = GPT(27, seed=5)
    first = sample(model, random.Random(3))
    assert first == sample(model, random.Random(3)) and 0 < len(first) <= 16
    assert all(0 < t < 27 for t in first)
    with pytest.raises(ValueError, match="temperature"):
        sample(model, random.Random(3), temperature=0.0)


# ---------------------------------------------------------------------------------------------------
# Against PyTorch: the same model, written with tensors
# ---------------------------------------------------------------------------------------------------


def matrix(linear, torch):
    return torch.tensor([[w.data for w in n.w] for n in linear.neurons], dtype=torch.float64, requires_grad=True)


def torch_weights(model, torch):
    table = lambda emb: torch.tensor(
        [[p.data for p in row] for row in emb.weight], dtype=torch.float64, requires_grad=True
    )  # noqa: E731
    weights = {"wte": table(model.wte), "wpe": table(model.wpe), "lm_head": matrix(model.lm_head, torch)}
    for i, block in enumerate(model.h):
        for part in ("wq", "wk", "wv", "wo"):
            weights[f"h{i}.attn.{part}"] = matrix(getattr(block.attn, part), torch)
        weights[f"h{i}.mlp.fc1"], weights[f"h{i}.mlp.fc2"] = matrix(block.fc1, torch), matrix(block.fc2, torch)
    return weights


def torch_loss(weights, sequence, n_layer, n_head, block_size, torch):
    """microgpt's forward pass on tensors: each position with the keys and values of the earlier ones."""
    F = torch.nn.functional

    def rms(x):
        return x * (x.pow(2).mean() + 1e-5) ** -0.5

    n = min(block_size, len(sequence) - 1)
    keys, values = [[] for _ in range(n_layer)], [[] for _ in range(n_layer)]
    losses = []
    for pos in range(n):
        x = rms(weights["wte"][sequence[pos]] + weights["wpe"][pos])
        for i in range(n_layer):
            w = lambda part, i=i: weights[f"h{i}.{part}"]  # noqa: E731
            residual, h = x, rms(x)
            q = w("attn.wq") @ h
            keys[i].append(w("attn.wk") @ h)
            values[i].append(w("attn.wv") @ h)
            K, V = torch.stack(keys[i]), torch.stack(values[i])
            d = q.shape[0] // n_head
            heads = [
                F.softmax(K[:, j * d : (j + 1) * d] @ q[j * d : (j + 1) * d] / math.sqrt(d), dim=0)
                @ V[:, j * d : (j + 1) * d]
                for j in range(n_head)
            ]
            x = w("attn.wo") @ torch.cat(heads) + residual
            residual = x
            x = w("mlp.fc2") @ torch.relu(w("mlp.fc1") @ rms(x)) + residual
        logits = weights["lm_head"] @ x
        losses.append(F.cross_entropy(logits[None], torch.tensor([sequence[pos + 1]])))
    return torch.stack(losses).mean()


def our_gradients(model):
    """Each weight tensor's gradient, read from our parameters in the tensor's layout."""
    grads = {"wte": [[p.grad for p in row] for row in model.wte.weight]}
    grads["wpe"] = [[p.grad for p in row] for row in model.wpe.weight]
    grads["lm_head"] = [[w.grad for w in n.w] for n in model.lm_head.neurons]
    for i, block in enumerate(model.h):
        for part in ("wq", "wk", "wv", "wo"):
            grads[f"h{i}.attn.{part}"] = [[w.grad for w in n.w] for n in getattr(block.attn, part).neurons]
        grads[f"h{i}.mlp.fc1"] = [[w.grad for w in n.w] for n in block.fc1.neurons]
        grads[f"h{i}.mlp.fc2"] = [[w.grad for w in n.w] for n in block.fc2.neurons]
    return grads


@pytest.mark.parametrize(
    ("config", "name"),
    [({}, "michaela"), ({"n_embd": 8, "n_head": 2, "n_layer": 2, "block_size": 6}, "alexandria"), ({}, "bo")],
)
def test_the_loss_and_every_gradient_are_pytorchs(config, name):
    torch = require("torch")
    model = GPT(27, seed=11, **config)
    for p in model.parameters():  # weights larger than at the start, so that every part matters
        p.data *= 4.0
    loss = model.loss(tokens(name))
    loss.backward()
    weights = torch_weights(model, torch)
    theirs = torch_loss(weights, tokens(name), len(model.h), model.h[0].attn.n_head, model.block_size, torch)
    theirs.backward()
    assert loss.data == pytest.approx(theirs.item(), rel=1e-12)
    ours = our_gradients(model)
    for key, tensor in weights.items():
        flat_ours = [g for row in ours[key] for g in row]
        assert flat_ours == pytest.approx(tensor.grad.flatten().tolist(), rel=1e-9, abs=1e-12), key


def test_training_steps_are_pytorchs_to_1e_9():
    """microgpt's training: one name per step, Adam (lr 0.01, betas 0.85 and 0.99), the rate falling linearly."""
    torch = require("torch")
    steps = 6
    names = load_names()[:40]
    random.Random(42).shuffle(names)
    model = GPT(27, seed=42)
    weights = torch_weights(model, torch)
    optimizer = Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
    linear = LinearLR(optimizer, start_factor=1.0, end_factor=0.0, total_iters=1000)
    reference = torch.optim.Adam(list(weights.values()), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
    decay = torch.optim.lr_scheduler.LinearLR(reference, start_factor=1.0, end_factor=0.0, total_iters=1000)
    rate = lambda k: linear.lr_at(k - 1)  # noqa: E731 (0.01 · (1 − (k − 1)/1000) at step k, as microgpt)
    ours = optimize(model.loss, (tokens(n) for n in names), optimizer, steps, schedule=rate)
    theirs = []
    for name in names[:steps]:
        reference.zero_grad()
        loss = torch_loss(weights, tokens(name), 1, 4, 16, torch)
        loss.backward()
        reference.step()
        decay.step()
        theirs.append(loss.item())
    largest = max(abs(a - b) for a, b in zip(ours, theirs))
    assert largest < 1e-9, largest
    assert ours[0] == pytest.approx(math.log(27), abs=0.2) and len(set(ours)) == steps


def test_a_traced_gpt_step_replays_graph_modes_loss_and_gradients_bit_for_bit():
    """Tokens as Index objects: one program per length of name serves every name of that length."""
    model = GPT(27, seed=3)
    as_indices = lambda sequence: [Index(t) for t in sequence]  # noqa: E731
    program = trace(model.loss, as_indices(tokens("emma")))
    assert "0 guards" in repr(program)  # softmax's shift is detached, the attention weights are read lazily
    for name in ("emma", "liam", "zoey"):
        model.zero_grad()
        replayed = program.backward(as_indices(tokens(name)))
        grads = [p.grad for p in model.parameters()]
        model.zero_grad()
        loss = model.loss(as_indices(tokens(name)))
        loss.backward()
        assert replayed == loss.data and grads == [p.grad for p in model.parameters()], name
        assert loss.data == pytest.approx(model.loss(tokens(name)).data, rel=1e-14)  # an int target: the same loss


def test_the_attention_map_has_one_row_per_position_each_a_distribution_over_the_positions_so_far():
    model = GPT(27, n_embd=8, n_head=2, n_layer=2, block_size=8, seed=1)
    maps = model.attention_map(tokens("ada")[:-1])
    assert len(maps) == 2 and all(len(layer) == 2 for layer in maps)
    for layer in maps:
        for head in layer:
            assert [len(row) for row in head] == [1, 2, 3, 4] and head[0] == [1.0]
            assert all(math.isclose(sum(row), 1.0) for row in head)
