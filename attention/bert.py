"""The forward pass of a BERT encoder in numpy, in float64 (the exact reference) or float32 (fast).

    x₀ = LayerNorm(word + position + token type)
    per layer:  a = LayerNorm(x + MultiHead(x) W_O + b_O)
                x = LayerNorm(a + GELU(a W₁ + b₁) W₂ + b₂)

In float64 the numbers differ from the float32 checkpoint's own arithmetic only by float32 rounding.
In float32 every intermediate stays float32, as PyTorch computes it: 2-3× faster, and the
attention weights still agree with float64 within 1e-5. Weights are stored [fan_in, fan_out]
(PyTorch stores Linear weights transposed), so every projection reads `x @ w + b`, as the formulas do.

The attention follows the package's steps (split_heads, q · kᵀ, softmax of the scaled scores, the
weighted sum of values, merge_heads). Its softmax runs in place, a block of rows at a time: the
[n_heads, seq, seq] weights are the largest arrays of the pass, and writing them once instead of
once per step is what keeps the 512-piece pass near PyTorch's time. Every layer writes its q, k, v,
scores and weights straight into arrays with a leading layer axis, so nothing is copied to stack them.
"""

import functools
import math
from dataclasses import dataclass, fields, replace

import numpy as np

from attention.gelu import BLOCK, erf, gelu
from attention.heads import merge_heads, split_heads
from attention.masks import padding_mask

DTYPES = (np.float64, np.float32)


@dataclass(frozen=True)
class BertConfig:
    """The sizes of a BERT checkpoint, read from its config.json."""

    n_layers: int
    n_heads: int
    d_model: int
    d_ff: int  # width of the feed-forward layer ("intermediate_size")
    vocab_size: int
    max_positions: int
    layer_norm_eps: float

    def __post_init__(self):
        for name in ("n_layers", "n_heads", "d_model", "d_ff", "vocab_size", "max_positions"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)} must be >= 1")
        if self.d_model % self.n_heads:
            raise ValueError(f"n_heads={self.n_heads} does not divide d_model={self.d_model}")

    @property
    def d_k(self):
        return self.d_model // self.n_heads


@dataclass(frozen=True, eq=False)
class LayerWeights:
    """One encoder layer's parameters, matrices [fan_in, fan_out]."""

    w_q: np.ndarray  # [d_model, n_heads·d_k]
    b_q: np.ndarray  # [n_heads·d_k]
    w_k: np.ndarray
    b_k: np.ndarray
    w_v: np.ndarray
    b_v: np.ndarray
    w_o: np.ndarray  # [n_heads·d_k, d_model]
    b_o: np.ndarray  # [d_model]
    ln1_gamma: np.ndarray  # [d_model]  LayerNorm after attention
    ln1_beta: np.ndarray
    w_1: np.ndarray  # [d_model, d_ff]
    b_1: np.ndarray  # [d_ff]
    w_2: np.ndarray  # [d_ff, d_model]
    b_2: np.ndarray  # [d_model]
    ln2_gamma: np.ndarray  # [d_model]  LayerNorm after the feed-forward layer
    ln2_beta: np.ndarray


@dataclass(frozen=True, eq=False)  # compared by identity, so a cast can be cached per weights object
class BertWeights:
    """All parameters the encoder uses (the pooler is not needed for attention)."""

    word: np.ndarray  # [vocab_size, d_model], kept in the checkpoint's dtype; rows cast when used
    position: np.ndarray  # [max_positions, d_model]
    token_type: np.ndarray  # [type_vocab_size, d_model]
    ln_gamma: np.ndarray  # [d_model]
    ln_beta: np.ndarray
    layers: tuple  # n_layers × LayerWeights


@dataclass(frozen=True)
class LayerTrace:
    """One layer's attention intermediates: views into the BertOutput's stacked arrays."""

    q: np.ndarray  # [n_heads, seq, d_k]  queries, biases included
    k: np.ndarray  # [n_heads, seq, d_k]
    v: np.ndarray  # [n_heads, seq, d_k]
    scores: np.ndarray  # [n_heads, seq, seq]  q · kᵀ
    weights: np.ndarray  # [n_heads, seq, seq]  softmax(scores · scale), rows sum to 1
    scale: float


@dataclass(frozen=True)
class BertOutput:
    """The hidden state after every stage and every layer's attention intermediates, in one dtype."""

    hidden_states: np.ndarray  # [n_layers + 1, seq, d_model]  embeddings first
    q: np.ndarray  # [n_layers, n_heads, seq, d_k]
    k: np.ndarray  # [n_layers, n_heads, seq, d_k]
    v: np.ndarray  # [n_layers, n_heads, seq, d_k]
    scores: np.ndarray  # [n_layers, n_heads, seq, seq]
    weights: np.ndarray  # [n_layers, n_heads, seq, seq]
    scale: float  # 1/√d_k

    @property
    def layers(self):  # -> n_layers × LayerTrace
        """Layer by layer, as views (no copies)."""
        return tuple(
            LayerTrace(self.q[i], self.k[i], self.v[i], self.scores[i], self.weights[i], self.scale)
            for i in range(len(self.q))
        )


@functools.lru_cache(maxsize=4)
def cast_weights(weights, dtype):  # BertWeights, dtype -> BertWeights
    """The weights in `dtype`, cast once and cached per weights object (the word table stays as is:
    only the rows a sentence uses are cast); the same object when they are already in it."""
    dtype = np.dtype(dtype)
    if weights.ln_gamma.dtype == dtype:
        return weights

    def cast(group, skip=()):
        return replace(
            group,
            **{
                f.name: getattr(group, f.name).astype(dtype)
                for f in fields(group)
                if f.name not in skip and f.name != "layers"
            },
        )

    return replace(cast(weights, skip=("word",)), layers=tuple(cast(p) for p in weights.layers))


def layer_norm(x, gamma, beta, eps):  # [.., d_model], [d_model], [d_model] -> [.., d_model]
    """Normalise each row to mean 0 and variance 1 (biased variance), then scale and shift."""
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def embed(ids, w, eps):  # int [seq], BertWeights -> [seq, d_model]
    """Word + position + token type 0 embeddings, LayerNormed (dropout is off at inference)."""
    seq = len(ids)
    x = w.word[ids].astype(w.position.dtype) + w.position[:seq] + w.token_type[0]
    return layer_norm(x, w.ln_gamma, w.ln_beta, eps)


def softmax_into(out, s, scale, mask=None):  # [.., seq_q, seq_k] x2, bool [.., seq_q, seq_k] | None -> out
    """out = softmax(s · scale) over keys, masked keys 0, computed in place a block of rows at a time.

    The numerics of attention.core.softmax (row max subtracted; a fully masked row gives zeros,
    never NaN) without its temporaries: each block is scaled, shifted, exponentiated and normalised
    while it sits in the cache.
    """
    n = s.shape[-1]
    s_rows, out_rows = s.reshape(-1, n), out.reshape(-1, n)  # [rows, seq_k]
    masked = None if mask is None else ~np.broadcast_to(mask, s.shape).reshape(-1, n)
    step = max(1, BLOCK // 2 // n)
    for i in range(0, len(s_rows), step):
        e = np.multiply(s_rows[i : i + step], scale, out=out_rows[i : i + step])
        if masked is not None:
            e[masked[i : i + step]] = -np.inf
        top = e.max(axis=-1, keepdims=True)
        e -= np.where(np.isfinite(top), top, 0)  # an all -inf row: keep exp(-inf) = 0
        np.exp(e, out=e)
        total = e.sum(axis=-1, keepdims=True)
        e /= np.where(total == 0, 1, total)
    return out


def self_attention(x, p, out, i, mask=None):  # [seq, d_model], LayerWeights, BertOutput, int -> [seq, d]
    """BERT's multi-head self-attention for layer i, writing q, k, v, scores and weights into `out`;
    returns the merged heads (before the output projection)."""
    n_heads = out.q.shape[1]
    for field, w, b in (("q", p.w_q, p.b_q), ("k", p.w_k, p.b_k), ("v", p.w_v, p.b_v)):
        getattr(out, field)[i] = split_heads(x @ w + b, n_heads)
    q, k, v = out.q[i], out.k[i], out.v[i]
    np.matmul(q, k.swapaxes(-1, -2), out=out.scores[i])
    softmax_into(out.weights[i], out.scores[i], out.scale, mask)
    return merge_heads(out.weights[i] @ v)


def encoder_layer(x, p, out, i, eps, mask=None):  # [seq, d_model], LayerWeights, BertOutput -> [seq, d_model]
    """One post-LayerNorm Transformer block: attention, add & norm, feed-forward, add & norm."""
    attention = self_attention(x, p, out, i, mask)
    a = layer_norm(x + (attention @ p.w_o + p.b_o), p.ln1_gamma, p.ln1_beta, eps)
    ff = gelu(a @ p.w_1 + p.b_1) @ p.w_2 + p.b_2
    return layer_norm(a + ff, p.ln2_gamma, p.ln2_beta, eps)


def empty_output(config, seq, dtype):  # BertConfig, int, dtype -> BertOutput (uninitialised arrays)
    """The arrays a forward pass fills: every layer writes its slice, so none is stacked afterwards."""
    L, H, d_k = config.n_layers, config.n_heads, config.d_k
    heads = [np.empty((L, H, seq, d_k), dtype) for _ in range(3)]
    maps = [np.empty((L, H, seq, seq), dtype) for _ in range(2)]
    hidden = np.empty((L + 1, seq, config.d_model), dtype)
    return BertOutput(hidden, *heads, *maps, scale=1.0 / math.sqrt(d_k))


def forward(ids, weights, config, attention_mask=None, dtype=np.float64):  # int [seq] -> BertOutput
    """Run the encoder on one sequence of token ids; attention_mask, bool [seq], marks real tokens.

    dtype is float64 (the reference) or float32; weights in another dtype are cast (and cached).
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or not 1 <= len(ids) <= config.max_positions:
        raise ValueError(f"need 1..{config.max_positions} token ids in one row, got shape {ids.shape}")
    if ids.min() < 0 or ids.max() >= config.vocab_size:
        raise ValueError(f"token ids must lie in 0..{config.vocab_size - 1}")
    if np.dtype(dtype) not in DTYPES:
        raise ValueError(f"dtype={np.dtype(dtype)} is not one of float64, float32")
    weights = cast_weights(weights, np.dtype(dtype))
    mask = None if attention_mask is None else padding_mask(~np.asarray(attention_mask, dtype=bool))
    out = empty_output(config, len(ids), dtype)
    x = out.hidden_states[0] = embed(ids, weights, config.layer_norm_eps)
    for i, p in enumerate(weights.layers):
        x = out.hidden_states[i + 1] = encoder_layer(x, p, out, i, config.layer_norm_eps, mask)
    return out


__all__ = ["BertConfig", "BertOutput", "BertWeights", "LayerTrace", "LayerWeights", "cast_weights"]
__all__ += ["erf", "forward", "gelu"]
