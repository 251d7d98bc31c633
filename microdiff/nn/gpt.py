"""A GPT made of scalar ``Value``\\s: what a large language model is, one number at a time.

The model is Karpathy's microgpt, which is GPT-2 with three simplifications (RMSNorm for LayerNorm, no
biases, ReLU for GELU), written as PyTorch modules with nanoGPT's names. For each position t of a name:

1. **Embed.** x = wte[token] + wpe[t]: a row of the token table plus a row of the position table, then
   RMSNorm.
2. **Attend.** In each block, each of ``n_head`` heads turns the (normalised) x into a query q, a key k and
   a value v. The head scores every position s ≤ t by q·k_s / √d (it cannot see the future: that is what
   *causal* means), turns the scores into weights with a softmax, and returns the weighted mean of the
   values v_s. The keys and values of earlier positions are kept in a :class:`KVCache`, so each position
   is computed once, as in generation. The heads' outputs are joined, projected (``wo``) and added to x.
3. **Think.** An MLP (a layer 4× as wide with ReLU, then back) reads the normalised x; its output is added
   to x too. x is the *residual stream*: every part reads it and adds to it.
4. **Predict.** ``lm_head`` turns x into one logit per token: the scores of what comes next.

The loss of a name is the cross-entropy of each next token, averaged over its positions.

>>> model = GPT(vocab_size=27)
>>> len(model.parameters())     # microgpt's configuration: 1 layer, 16 dimensions, 4 heads, 16 positions
4192
>>> [name for name, _ in model.named_parameters()][:2]
['wte.r0.d0', 'wte.r0.d1']
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from microdiff.engine.trace import Index
from microdiff.engine.value import Value, no_grad
from microdiff.nn.checks import describe, number_in, positive_int
from microdiff.nn.layers import Embedding, Linear
from microdiff.nn.losses import cross_entropy, softmax, total
from microdiff.nn.modules import Module, Seed, rng_from

#: A token id: an int, or an :class:`~microdiff.engine.trace.Index` (read again at each replay of a traced step).
Token = int | Index
#: microgpt's initial weights: every entry drawn from a normal distribution of this standard deviation.
INIT_STD = 0.08


class RMSNorm(Module):
    """x / √(mean(x²) + eps): every vector scaled to a root-mean-square of 1, as ``torch.nn.RMSNorm``.

    It keeps the numbers in the residual stream at one scale however many parts add to it. With
    ``elementwise_affine`` (PyTorch's default) each dimension is then multiplied by a learned gain
    (``weight``, starting at 1); a GPT here has none, as microgpt. ``eps`` keeps a zero vector finite.
    """

    def __init__(self, normalized_shape: int, eps: float = 1e-5, elementwise_affine: bool = True) -> None:
        self.size = positive_int("RMSNorm", "normalized_shape", normalized_shape)
        self.eps = number_in("RMSNorm", "eps", eps, 0.0, 1.0, open_low=True)
        self.weight = [Value(1.0) for _ in range(self.size)] if elementwise_affine else []
        self.name = ""
        self.rename("")

    def __call__(self, x: Sequence[Value]) -> list[Value]:
        if len(x) != self.size:
            raise ValueError(f"RMSNorm({self.size}) got a vector of {len(x)} numbers")
        mean_square = total([xi * xi for xi in x]) * (1.0 / self.size)
        scale = (mean_square + self.eps) ** -0.5
        out = [xi * scale for xi in x]
        return [o * w for o, w in zip(out, self.weight)] if self.weight else out

    def named_parameters(self) -> list[tuple[str, Value]]:
        prefix = f"{self.name}." if self.name else ""
        return [(f"{prefix}g{i}", w) for i, w in enumerate(self.weight)]

    def shape(self) -> list[int]:
        return [self.size]

    def __repr__(self) -> str:
        return f"RMSNorm({self.size}, eps={self.eps}{'' if self.weight else ', elementwise_affine=False'})"


class KVCache:
    """The keys and values of the positions computed so far, per layer: position t's attention reads them all.

    ``keys[layer][s]`` is position s's key vector (a list of Values). Start a new cache for each sequence.
    """

    def __init__(self, n_layer: int) -> None:
        self.keys: list[list[list[Value]]] = [[] for _ in range(n_layer)]
        self.values: list[list[list[Value]]] = [[] for _ in range(n_layer)]

    def __len__(self) -> int:
        """How many positions are cached."""
        return len(self.keys[0])


class CausalSelfAttention(Module):
    """Multi-head causal self-attention for one position at a time, reading earlier positions from a cache.

    ``wq``, ``wk``, ``wv`` make the query, key and value (``n_embd`` numbers each, ``n_head`` heads of
    ``n_embd / n_head``); ``wo`` projects the joined heads back. ``attn(x, keys, values)`` appends this
    position's key and value to the lists and returns the output; :attr:`weights` gives each head's
    attention weights (floats) of the last call, for pictures.
    """

    def __init__(self, n_embd: int, n_head: int, seed: Seed = 0) -> None:
        positive_int("CausalSelfAttention", "n_embd", n_embd)
        positive_int("CausalSelfAttention", "n_head", n_head)
        if n_embd % n_head:
            raise ValueError(f"CausalSelfAttention: n_embd ({n_embd}) must be a multiple of n_head ({n_head})")
        rng = rng_from(seed)
        self.n_head, self.head_dim = n_head, n_embd // n_head
        self.wq, self.wk, self.wv, self.wo = (Linear(n_embd, n_embd, bias=False, seed=rng) for _ in range(4))
        self._weights: list[list[Value]] = []
        self.rename("")

    def rename(self, name: str) -> None:
        prefix = f"{name}." if name else ""
        for part in ("wq", "wk", "wv", "wo"):
            getattr(self, part).rename(prefix + part)

    def __call__(self, x: Sequence[Value], keys: list[list[Value]], values: list[list[Value]]) -> list[Value]:
        xs = list(x)
        q = self.wq.forward(xs)
        keys.append(self.wk.forward(xs))
        values.append(self.wv.forward(xs))
        scale = 1.0 / math.sqrt(self.head_dim)
        joined: list[Value] = []
        self._weights = []
        for head in range(self.n_head):
            low, high = head * self.head_dim, (head + 1) * self.head_dim  # this head's dimensions
            q_h = q[low:high]
            scores = [_dot(q_h, k[low:high]) * scale for k in keys]  # how well position s's key fits the query
            weights = softmax(scores)
            self._weights.append(weights)
            for j in range(low, high):  # the weighted mean of the values, dimension by dimension
                joined.append(total([w * v[j] for w, v in zip(weights, values)]))
        return self.wo.forward(joined)

    @property
    def weights(self) -> list[list[float]]:
        """Each head's attention weights at the last position computed, as floats (read only when asked, so a
        traced program does not depend on them)."""
        return [[w.data for w in head] for head in self._weights]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [item for part in (self.wq, self.wk, self.wv, self.wo) for item in part.named_parameters()]

    def shape(self) -> list[int]:
        return [self.wq.nin, self.n_head]

    def __repr__(self) -> str:
        return f"CausalSelfAttention({self.wq.nin}, n_head={self.n_head})"


class Block(Module):
    """One transformer block: x + attn(norm(x)), then x + mlp(norm(x)), the MLP 4× as wide with ReLU."""

    def __init__(self, n_embd: int, n_head: int, seed: Seed = 0) -> None:
        rng = rng_from(seed)
        self.ln_1 = RMSNorm(n_embd, elementwise_affine=False)
        self.attn = CausalSelfAttention(n_embd, n_head, seed=rng)
        self.ln_2 = RMSNorm(n_embd, elementwise_affine=False)
        self.fc1 = Linear(n_embd, 4 * n_embd, bias=False, seed=rng)
        self.fc2 = Linear(4 * n_embd, n_embd, bias=False, seed=rng)
        self.rename("")

    def rename(self, name: str) -> None:
        prefix = f"{name}." if name else ""
        self.attn.rename(prefix + "attn")
        self.fc1.rename(prefix + "mlp.fc1")
        self.fc2.rename(prefix + "mlp.fc2")

    def __call__(self, x: Sequence[Value], keys: list[list[Value]], values: list[list[Value]]) -> list[Value]:
        x = [a + b for a, b in zip(x, self.attn(self.ln_1(x), keys, values))]
        hidden = [h.relu() for h in self.fc1.forward(self.ln_2(x))]
        return [a + b for a, b in zip(x, self.fc2.forward(hidden))]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [*self.attn.named_parameters(), *self.fc1.named_parameters(), *self.fc2.named_parameters()]

    def shape(self) -> list[int]:
        return self.attn.shape()

    def __repr__(self) -> str:
        return f"Block({self.attn.wq.nin}, n_head={self.attn.n_head})"


class GPT(Module):
    """A GPT on scalars: ``GPT(vocab_size, n_embd=16, n_head=4, n_layer=1, block_size=16)``, microgpt's model.

    ``model(tokens)`` gives the logits of the next token at every position (a list of ``vocab_size``
    Values per position); ``model.loss(tokens)`` the mean cross-entropy of predicting ``tokens[1:]`` from
    what comes before each; :meth:`step` computes one position from a :class:`KVCache`, as generation does.
    Parameters are named as nanoGPT's state_dict is: ``wte``, ``wpe``, ``h0.attn.wq``, ``h0.mlp.fc1``,
    ``lm_head`` (each then ``.n3.w5``, or ``.r3.d5`` for a table's row 3, dimension 5). Every weight starts
    from N(0, 0.08²), drawn in microgpt's order, from ``seed``.
    """

    def __init__(
        self,
        vocab_size: int,
        n_embd: int = 16,
        n_head: int = 4,
        n_layer: int = 1,
        block_size: int = 16,
        seed: Seed = 0,
    ) -> None:
        self.vocab_size = positive_int("GPT", "vocab_size", vocab_size)
        self.block_size = positive_int("GPT", "block_size", block_size)
        positive_int("GPT", "n_layer", n_layer)
        rng = rng_from(seed)
        self.wte = Embedding(vocab_size, n_embd, seed=rng)
        self.wpe = Embedding(block_size, n_embd, seed=rng)
        self.ln_emb = RMSNorm(n_embd, elementwise_affine=False)  # applied to the embeddings, as microgpt does
        self.h = [Block(n_embd, n_head, seed=rng) for _ in range(n_layer)]
        self.lm_head = Linear(n_embd, vocab_size, bias=False, seed=rng)
        self.wte.rename("wte")
        self.wpe.rename("wpe")
        for i, block in enumerate(self.h):
            block.rename(f"h{i}")
        self.lm_head.rename("lm_head")
        for p in self._in_microgpts_order():
            p.data = rng.gauss(0.0, INIT_STD)

    def _in_microgpts_order(self) -> list[Value]:
        """Every parameter in the order microgpt draws them: wte, wpe, lm_head, then each layer's."""
        return [
            *self.wte.parameters(),
            *self.wpe.parameters(),
            *self.lm_head.parameters(),
            *(p for block in self.h for p in block.parameters()),
        ]

    def step(self, token: Token, position: int, cache: KVCache) -> list[Value]:
        """The logits of the token after ``token`` at ``position``, given the earlier positions in ``cache``."""
        if not 0 <= position < self.block_size:
            raise IndexError(f"GPT: position {position} is beyond the block size {self.block_size}")
        x = [t + p for t, p in zip(self.wte(token), self.wpe(position))]
        x = self.ln_emb(x)
        for block, keys, values in zip(self.h, cache.keys, cache.values):
            x = block(x, keys, values)
        return self.lm_head.forward(x)

    def __call__(self, tokens: Sequence[Token]) -> list[list[Value]]:
        if isinstance(tokens, (str, bytes)) or not isinstance(tokens, Sequence) or not tokens:
            raise TypeError(f"GPT expects a non-empty list of token ids, got {describe(tokens)}")
        if len(tokens) > self.block_size:
            raise ValueError(f"GPT: {len(tokens)} tokens are more than the block size {self.block_size}")
        cache = KVCache(len(self.h))
        return [self.step(token, position, cache) for position, token in enumerate(tokens)]

    def loss(self, tokens: Sequence[Token]) -> Value:
        """The mean cross-entropy of each next token: position t predicts ``tokens[t + 1]`` (at most
        ``block_size`` positions, as microgpt cuts a long name)."""
        n = min(self.block_size, len(tokens) - 1)
        if n < 1:
            raise ValueError(f"GPT.loss needs at least two tokens (one to read, one to predict), got {len(tokens)}")
        return cross_entropy(self(tokens[:n]), list(tokens[1 : n + 1]))

    def attention_map(self, tokens: Sequence[int]) -> list[list[list[list[float]]]]:
        """Every head's attention weights at every position of ``tokens``, computed without a graph:
        ``[layer][head][t]`` is the list of weights position t gives positions 0…t (they sum to 1)."""
        cache = KVCache(len(self.h))
        maps: list[list[list[list[float]]]] = [[[] for _ in range(block.attn.n_head)] for block in self.h]
        with no_grad():
            for position, token in enumerate(tokens[: self.block_size]):
                self.step(token, position, cache)
                for layer, block in zip(maps, self.h):
                    for head, weights in zip(layer, block.attn.weights):
                        head.append(weights)
        return maps

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [
            *self.wte.named_parameters(),
            *self.wpe.named_parameters(),
            *(item for block in self.h for item in block.named_parameters()),
            *self.lm_head.named_parameters(),
        ]

    def shape(self) -> list[int]:
        n_embd = len(self.wte.weight[0])
        return [self.vocab_size, n_embd, self.h[0].attn.n_head, len(self.h), self.block_size]

    def __repr__(self) -> str:
        vocab, n_embd, n_head, n_layer, block = self.shape()
        return f"GPT({vocab}, n_embd={n_embd}, n_head={n_head}, n_layer={n_layer}, block_size={block})"


def sample(model: GPT, rng: random.Random, temperature: float = 1.0, boundary: int = 0) -> list[int]:
    """A new sequence of token ids, from ``boundary`` until the model predicts ``boundary`` again (or the
    block is full), each drawn from softmax(logits / temperature); the boundary tokens are left out."""
    temperature = number_in("sample", "temperature", temperature, 0.0, 100.0, open_low=True)
    cache, token, out = KVCache(len(model.h)), boundary, []
    with no_grad():
        for position in range(model.block_size):
            logits = model.step(token, position, cache)
            probabilities = [p.data for p in softmax([logit * (1.0 / temperature) for logit in logits])]
            token = rng.choices(range(model.vocab_size), weights=probabilities)[0]
            if token == boundary:
                break
            out.append(token)
    return out


def _dot(a: Sequence[Value], b: Sequence[Value]) -> Value:
    return total([x * y for x, y in zip(a, b)])
