"""Attention one block of keys at a time: the online softmax behind FlashAttention.

Softmax needs the whole row before it can divide, which seems to force the full seq_q × seq_k
matrix of scores into memory. The online softmax (Milakov & Gimelshein, 2018, "Online normalizer
calculation for softmax") keeps, for each query row, a running max m and a running sum l of
exp(s − m), and corrects both when a later block brings a larger score. FlashAttention (Dao et al.,
2022) carries the output the same way, so attention is computed block by block and exactly:

    m_new = max(m_old, max_j s_j)                 over the block's keys
    c     = exp(m_old − m_new)                    the rescale: shrinks what was summed against m_old
    l_new = c · l_old + Σ_j exp(s_j − m_new)
    o_new = c · o_old + Σ_j exp(s_j − m_new) · v_j
    output = o_final / l_final,   weights_ij = exp(s_ij − m_final) / l_final

Nothing is approximated: the rescale turns every earlier exp(s − m_old) into exp(s − m_new), so
after the last block the sums are those of the dense softmax. Only seq_q × block scores exist at a
time; the trace keeps them all anyway, to draw.

Conventions: before the first block m = -inf and l = 0, so the first block's rescale is
exp(-inf) = 0 (there is nothing to rescale). A masked key (mask False) has score -inf and adds
nothing. A row with no allowed key so far keeps m = -inf, l = 0, rescale 0 and output 0, never NaN.
"""

from dataclasses import dataclass

import numpy as np

from attention.core import _floating, check_mask, masked_fill, scale_scores, scores


@dataclass(frozen=True)
class OnlineTrace:
    """The running statistics of the online softmax after each block of keys, and the result."""

    block: int  # keys per block (the last block may be shorter)
    scale: float  # the factor applied to the scores
    running_max: np.ndarray  # [n_blocks, seq_q]  m after each block; -inf while a row has no allowed key
    running_sum: np.ndarray  # [n_blocks, seq_q]  l = Σ exp(s − m) over the keys seen so far
    rescale: np.ndarray  # [n_blocks, seq_q]  exp(m_old − m_new); 0 for the first block
    partial: np.ndarray  # [n_blocks, seq_q, d_v]  o / l: the output of attention over the keys so far
    output: np.ndarray  # [seq_q, d_v]  the last partial: equal to dense attention
    weights: np.ndarray  # [seq_q, seq_k]  exp(s − m_final) / l_final: equal to dense softmax


def check_qkv(q, k, v):  # [seq_q, d_k], [seq_k, d_k], [seq_k, d_v] -> float arrays, or ValueError
    """One head's q, k and v: 2-D, at least one row each, q and k as deep, one value per key."""
    q, k, v = _floating(q), _floating(k), _floating(v)
    if q.ndim != 2 or k.ndim != 2 or v.ndim != 2:
        raise ValueError(f"q, k and v must be 2-D [seq, width], got {q.shape}, {k.shape} and {v.shape}")
    if q.shape[1] != k.shape[1]:
        raise ValueError(f"q has depth d_k={q.shape[1]} but k has depth {k.shape[1]}")
    if k.shape[0] != v.shape[0]:
        raise ValueError(f"k has seq_k={k.shape[0]} keys but v has {v.shape[0]} values")
    if min(q.shape[0], k.shape[0], q.shape[1]) < 1:
        raise ValueError(f"q and k need seq >= 1 and d_k >= 1, got {q.shape} and {k.shape}")
    return q, k, v


def check_count(n, name, most=None):  # -> int in 1..most, or ValueError naming `name`
    """A count of rows (a block of keys, a prompt's tokens): a whole number, at least 1, at most `most`."""
    whole = isinstance(n, int | np.integer) and not isinstance(n, bool)
    if not whole or n < 1 or (most is not None and n > most):
        span = ">= 1" if most is None else f"in 1..{most}"
        raise ValueError(f"{name} must be an integer {span}, got {n!r}")
    return int(n)


def _finite(m):  # [seq_q] -> [seq_q], -inf replaced by 0 so that exp(x − m) never meets -inf − -inf
    return np.where(np.isfinite(m), m, 0)


def _step(m, total, o, s, v):  # [seq_q], [seq_q], [seq_q, d_v], [seq_q, b], [b, d_v] -> m, c, l, o
    """One block: m_new = max(m, row max of s), c = exp(m − m_new), l and o rescaled by c plus its share."""
    m_new = np.maximum(m, s.max(axis=-1))
    c = np.exp(m - _finite(m_new))  # m = -inf gives 0
    p = np.exp(s - _finite(m_new)[:, None])  # masked (-inf) scores give 0
    return m_new, c, c * total + p.sum(axis=-1), c[:, None] * o + p @ v


def _divide(x, total):  # [seq_q, n], [seq_q] -> [seq_q, n], 0 where l = 0 (no allowed key)
    return x / np.where(total > 0, total, 1)[:, None]


def online_attention(q, k, v, block, scale=None, mask=None):  # [seq_q, d_k], [seq_k, d_k], [seq_k, d_v]
    """Attention over blocks of `block` keys with the online softmax; mask bool [seq_q, seq_k].

    `scale=None` means 1/√d_k. Returns an OnlineTrace whose output and weights equal the dense ones.
    """
    q, k, v = check_qkv(q, k, v)
    block = check_count(block, "block")
    seq_q, seq_k = q.shape[0], k.shape[0]
    scale = 1.0 / np.sqrt(q.shape[1]) if scale is None else scale
    if mask is not None:
        mask = np.broadcast_to(check_mask(mask, (seq_q, seq_k)), (seq_q, seq_k))
    m, total = np.full(seq_q, -np.inf, q.dtype), np.zeros(seq_q, q.dtype)  # total is l
    o = np.zeros((seq_q, v.shape[1]), np.result_type(q, v))
    history, blocks = [], []
    for start in range(0, seq_k, block):
        keys = slice(start, start + block)
        s = scale_scores(scores(q, k[keys]), scale)  # [seq_q, block]: only this block's scores
        s = masked_fill(s, None if mask is None else mask[:, keys], -np.inf)
        m, c, total, o = _step(m, total, o, s, v[keys])
        history.append((m, total, c, _divide(o, total)))
        blocks.append(s)
    running_max, running_sum, rescale, partial = (np.stack(x) for x in zip(*history, strict=True))
    weights = _divide(np.exp(np.concatenate(blocks, axis=-1) - _finite(m)[:, None]), total)
    return OnlineTrace(block, float(scale), running_max, running_sum, rescale, partial, partial[-1], weights)


__all__ = ["OnlineTrace", "check_count", "check_qkv", "online_attention"]
