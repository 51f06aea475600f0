"""Attention sinks: the key that takes the weight when no key matches.

Softmax makes every row sum to 1, so a query with nothing to look for must still put its weight
somewhere. Trained models learn a place for it: one key, usually the first token, that many heads
attend to whatever the query (Xiao et al., 2024, "Efficient Streaming Language Models with
Attention Sinks"). Gu et al. (ICLR 2025, "When Attention Sink Emerges in Language Models") measure
how common it is with the sink rate: the share of the heads, over all layers, whose weight on the
key, averaged over the queries, is more than ε,

    ᾱ_lh = (1/seq) Σ_i α_lh[i, t],    sink rate = (1/(n_layers · n_heads)) Σ_l Σ_h 1(ᾱ_lh > ε)

What makes a key a sink shows in its vectors (sink_profile): its key is far longer than the others,
or points where every query points, so q · k_t wins every row; and its value is short, so the
weight parked there adds little to the output. The sink is a "no-op" key.

Another way out is to give softmax somewhere else to put the mass: softmax_plus_one adds a zero
logit to the denominator,

    softmax₁(s)_j = exp(s_j) / (1 + Σ_i exp(s_i))

so a row whose scores are all very negative sums to nearly 0 instead of being forced to 1; the
extra 1 is a sink that is not a token and carries no value.
"""

import operator
from dataclasses import dataclass

import numpy as np

from attention.core import _floating, check_mask, masked_fill, softmax
from attention.tiling import check_qkv

ROW_SUM_TOLERANCE = 1e-6  # a row of probabilities sums to 1 within this (float32 rounding included)


def _position(token, seq):  # -> int in 0..seq-1, or ValueError
    try:
        token = operator.index(token)
    except TypeError:
        raise ValueError(f"token must be an integer position, got {token!r}") from None
    if not 0 <= token < seq:
        raise ValueError(f"token={token} is not a position in 0..{seq - 1}")
    return token


def check_probabilities(weights):  # [n_layers, n_heads, seq, seq] -> float [n_layers, n_heads, seq, seq]
    """Rows of probabilities: entries >= 0, each row summing to 1, or to 0 when every key is masked."""
    w = _floating(weights)
    if w.ndim != 4 or w.shape[-1] != w.shape[-2] or w.shape[-1] < 1:
        raise ValueError(f"weights must be [n_layers, n_heads, seq, seq] with seq >= 1, got {w.shape}")
    if not np.all(w >= 0):  # also refuses NaN
        raise ValueError("weights must be probabilities: every entry >= 0 and none NaN")
    total = w.sum(axis=-1)
    off = ~((np.abs(total - 1) <= ROW_SUM_TOLERANCE) | (total == 0))
    if np.any(off):
        where = tuple(int(i) for i in np.argwhere(off)[0])
        raise ValueError(f"weights must be rows of probabilities: row {where} sums to {float(total[where])}")
    return w


def head_weight_on(weights, token):  # [n_layers, n_heads, seq, seq], int -> [n_layers, n_heads]
    """ᾱ_lh: each head's weight on key `token`, averaged over all its query rows."""
    w = check_probabilities(weights)
    return w[..., _position(token, w.shape[-1])].mean(axis=-1)


def sink_rates(weights, token, eps=0.3):  # [n_layers, n_heads, seq, seq], int, float -> [n_layers]
    """Per layer, the share of its heads whose mean weight on key `token` is strictly more than eps."""
    if not 0 <= eps < 1:
        raise ValueError(f"eps must be in [0, 1), got {eps}")
    return (head_weight_on(weights, token) > eps).mean(axis=-1)


def sink_rate(weights, token, eps=0.3):  # [n_layers, n_heads, seq, seq], int, float -> float
    """The share of all heads (layers × heads) whose mean weight on key `token` is more than eps."""
    return float(sink_rates(weights, token, eps).mean())  # every layer has n_heads heads


@dataclass(frozen=True)
class SinkProfile:
    """One head's sink key set beside its other keys and values."""

    token: int  # the sink's position t
    key_norm: float  # ‖k_t‖
    key_norm_median: float  # median of ‖k_j‖ over all keys, t included
    cosines: np.ndarray  # [seq]  cos(q_i, k_t) per query; 0 where either vector is zero
    mean_cosine: float  # the mean of `cosines`
    value_norm: float  # ‖v_t‖
    value_norm_median: float  # median of ‖v_j‖ over all values, t included


def _cosines(q, key):  # [seq, d_k], [d_k] -> [seq]
    """cos(q_i, key) for every query row; 0 where a vector has no length."""
    lengths = np.linalg.norm(q, axis=-1) * np.linalg.norm(key)
    return (q @ key) / np.where(lengths > 0, lengths, 1.0)


def sink_profile(q, k, v, token):  # [seq, d_k], [seq, d_k], [seq, d_v], int -> SinkProfile
    """How long the sink's key and value are next to the others, and how the queries point at it."""
    q, k, v = check_qkv(q, k, v)
    t = _position(token, k.shape[0])
    key_norms, value_norms = np.linalg.norm(k, axis=-1), np.linalg.norm(v, axis=-1)
    cosines = _cosines(q, k[t])
    return SinkProfile(
        token=t,
        key_norm=float(key_norms[t]),
        key_norm_median=float(np.median(key_norms)),
        cosines=cosines,
        mean_cosine=float(cosines.mean()),
        value_norm=float(value_norms[t]),
        value_norm_median=float(np.median(value_norms)),
    )


def softmax_plus_one(scores, mask=None):  # [.., seq_q, seq_k] -> [.., seq_q, seq_k], rows sum to < 1
    """exp(s_j) / (1 + Σ_i exp(s_i)): softmax over the row with one more logit, fixed at 0, left out.

    Stable because softmax subtracts the row max, which with the extra 0 is max(row max, 0); masked
    keys (mask False) get exactly 0, and a fully masked row gives zeros.
    """
    s = _floating(scores)
    if s.ndim < 1 or s.shape[-1] < 1:
        raise ValueError(f"scores need a last axis of keys, got shape {s.shape}")
    if mask is not None:
        s = masked_fill(s, check_mask(mask, s.shape), -np.inf)
    with_zero = np.concatenate([s, np.zeros((*s.shape[:-1], 1), s.dtype)], axis=-1)
    return softmax(with_zero)[..., :-1]


__all__ = [
    "ROW_SUM_TOLERANCE",
    "SinkProfile",
    "check_probabilities",
    "head_weight_on",
    "sink_profile",
    "sink_rate",
    "sink_rates",
    "softmax_plus_one",
]
