"""The forward pass of a BERT encoder in numpy, its attention done by `multi_head_attention`.

    x₀ = LayerNorm(word + position + token type)
    per layer:  a = LayerNorm(x + MultiHead(x) W_O + b_O)
                x = LayerNorm(a + GELU(a W₁ + b₁) W₂ + b₂)

Everything runs in float64, so the numbers differ from the float32 checkpoint's own arithmetic only
by float32 rounding. Weights are stored [fan_in, fan_out] (PyTorch stores Linear weights transposed),
so every projection reads `x @ w + b`, as the formulas do.
"""

import math
from dataclasses import dataclass

import numpy as np

from attention.heads import MultiHeadTrace, multi_head_attention
from attention.masks import padding_mask


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


@dataclass(frozen=True)
class LayerWeights:
    """One encoder layer's parameters, float64, matrices [fan_in, fan_out]."""

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


@dataclass(frozen=True)
class BertWeights:
    """All parameters the encoder uses (the pooler is not needed for attention)."""

    word: np.ndarray  # [vocab_size, d_model], kept in the checkpoint's dtype; rows cast when used
    position: np.ndarray  # [max_positions, d_model]
    token_type: np.ndarray  # [type_vocab_size, d_model]
    ln_gamma: np.ndarray  # [d_model]
    ln_beta: np.ndarray
    layers: tuple  # n_layers × LayerWeights


@dataclass(frozen=True)
class BertOutput:
    """The hidden state after every stage and each layer's attention trace."""

    hidden_states: np.ndarray  # [n_layers + 1, seq, d_model]  embeddings first
    layers: tuple  # n_layers × MultiHeadTrace


# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969):
# erf on |x| <= 0.46875, and erfc(x) · exp(x²) on 0.46875 < |x| <= 4 and on |x| > 4 (in 1/x²).
# Coefficients highest power first.
_ERF_NUM = (1.85777706184603153e-1, 3.16112374387056560e0, 1.13864154151050156e2)
_ERF_NUM += (3.77485237685302021e2, 3.20937758913846947e3)
_ERF_DEN = (1.0, 2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3)
_ERF_DEN += (2.84423683343917062e3,)
_MID_NUM = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e0)
_MID_NUM += (6.61191906371416295e1, 2.98635138197400131e2, 8.81952221241769090e2)
_MID_NUM += (1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3)
_MID_DEN = (1.0, 1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2)
_MID_DEN += (1.62138957456669019e3, 3.29079923573345963e3, 4.36261909014324716e3)
_MID_DEN += (3.43936767414372164e3, 1.23033935480374942e3)
_TAIL_NUM = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1)
_TAIL_NUM += (1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4)
_TAIL_DEN = (1.0, 2.56852019228982242e0, 1.87295284992346047e0, 5.27905102951428412e-1)
_TAIL_DEN += (6.05183413124413191e-2, 2.33520497626869185e-3)


def _ratio(num, den, z):  # coefficients, coefficients, [n] -> [n]
    """num(z) / den(z) by Horner's rule, updating in place (this runs on every GELU input)."""
    p, q = np.full_like(z, num[0]), np.full_like(z, den[0])
    for a in num[1:]:
        p *= z
        p += a
    for b in den[1:]:
        q *= z
        q += b
    return p / q


def erf(x):  # [..] -> [..]
    """The error function to double precision, vectorised (numpy has none; math.erf is scalar).

    Each entry goes through exactly one of Cody's three ranges, picked by index (faster than
    boolean masks); NaN falls in the last range and stays NaN.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x).ravel()
    out = np.empty_like(y)
    low, mid = np.flatnonzero(y <= 0.46875), np.flatnonzero((y > 0.46875) & (y <= 4.0))
    high = np.flatnonzero(~(y <= 4.0))
    t = y.take(low)
    out[low] = t * _ratio(_ERF_NUM, _ERF_DEN, t * t)
    t = y.take(mid)
    out[mid] = 1 - np.exp(-t * t) * _ratio(_MID_NUM, _MID_DEN, t)
    t = np.minimum(y.take(high), 27.0)  # past 27, exp(-t²) is 0 in float64: erf is exactly 1
    z = 1 / (t * t)
    out[high] = 1 - np.exp(-t * t) * (1 / math.sqrt(math.pi) - z * _ratio(_TAIL_NUM, _TAIL_DEN, z)) / t
    return np.copysign(out.reshape(x.shape), x)


def gelu(x):  # [..] -> [..]
    """BERT's "gelu": x · Φ(x) with the exact normal CDF Φ(x) = (1 + erf(x/√2)) / 2."""
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def layer_norm(x, gamma, beta, eps):  # [.., d_model], [d_model], [d_model] -> [.., d_model]
    """Normalise each row to mean 0 and variance 1 (biased variance), then scale and shift."""
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def embed(ids, w, eps):  # int [seq], BertWeights -> [seq, d_model]
    """Word + position + token type 0 embeddings, LayerNormed (dropout is off at inference)."""
    seq = len(ids)
    x = w.word[ids].astype(np.float64) + w.position[:seq] + w.token_type[0]
    return layer_norm(x, w.ln_gamma, w.ln_beta, eps)


def with_bias(w, b):  # [fan_in, fan_out], [fan_out] -> [fan_in + 1, fan_out]
    """The bias as one more row of the weight matrix, to meet a constant-1 column of the input."""
    return np.vstack([w, b])


def self_attention(x, p, n_heads, mask=None):  # [seq, d_model], LayerWeights -> MultiHeadTrace
    """BERT's multi-head self-attention, computed by the package's `multi_head_attention`.

    BERT's query, key and value projections carry biases, and multi_head_attention multiplies by
    bare matrices. Appending a column of ones to x and each bias as an extra row of its matrix
    turns x·W + b into one product, [x 1]·[W; b], so the attention itself is the package's own.
    The output bias is added by the caller. The scale is BERT's 1/√d_k, the default.
    """
    ones = np.ones((x.shape[0], 1))
    w_q, w_k, w_v = with_bias(p.w_q, p.b_q), with_bias(p.w_k, p.b_k), with_bias(p.w_v, p.b_v)
    return multi_head_attention(np.hstack([x, ones]), w_q, w_k, w_v, p.w_o, n_heads, mask)


def encoder_layer(x, p, config, mask=None):  # [seq, d_model], LayerWeights -> ([seq, d_model], trace)
    """One post-LayerNorm Transformer block: attention, add & norm, feed-forward, add & norm."""
    attention = self_attention(x, p, config.n_heads, mask)
    a = layer_norm(x + attention.output + p.b_o, p.ln1_gamma, p.ln1_beta, config.layer_norm_eps)
    ff = gelu(a @ p.w_1 + p.b_1) @ p.w_2 + p.b_2
    return layer_norm(a + ff, p.ln2_gamma, p.ln2_beta, config.layer_norm_eps), attention


def forward(ids, weights, config, attention_mask=None):  # int [seq], bool [seq] | None -> BertOutput
    """Run the encoder on one sequence of token ids; attention_mask marks real tokens (False = pad)."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or not 1 <= len(ids) <= config.max_positions:
        raise ValueError(f"need 1..{config.max_positions} token ids in one row, got shape {ids.shape}")
    if ids.min() < 0 or ids.max() >= config.vocab_size:
        raise ValueError(f"token ids must lie in 0..{config.vocab_size - 1}")
    mask = None if attention_mask is None else padding_mask(~np.asarray(attention_mask, dtype=bool))
    x = embed(ids, weights, config.layer_norm_eps)
    states, traces = [x], []
    for p in weights.layers:
        x, trace = encoder_layer(x, p, config, mask)
        states.append(x)
        traces.append(trace)
    return BertOutput(np.stack(states), tuple(traces))


__all__ = ["BertConfig", "BertOutput", "BertWeights", "LayerWeights", "MultiHeadTrace", "forward"]
