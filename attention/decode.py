"""Generating one token at a time with a KV cache: the same causal attention, far less work.

A decoder writes token t only after tokens 0..t-1, and causal attention lets query t see only keys
0..t. So the attention of the earlier tokens never changes when a new one arrives: recomputing
softmax(Q Kᵀ / √d_k, causal) V over the whole sequence at every step repeats all the old rows to
get one new one. A KV cache keeps the keys and values of the tokens so far; each step projects
only the new token, appends its key and value (the caches grow by one row), and attends with the
one new query row:

    out_t = softmax(q_t [k_0 … k_t]ᵀ / √d_k) [v_0 … v_t]

Why Q is not cached: query t is used once, at its own step, to make row t; no later step reads it.
Keys and values are read again by every later query, so they are the ones worth keeping.

With a prompt, the first `prefill` tokens are known at once: one causal pass over them fills the
cache (and gives their rows), then each further token is one step.

What is counted (`cached_mults`, `recompute_mults`): the multiplications of the two products inside
attention, q·kᵀ (d_k per query-key pair) and weights @ v (d_v per pair), as dense matrix products
compute them (masked pairs of the causal triangle included). A step that adds `new` query rows to a
cache of n rows costs new · n · (d_k + d_v) with the cache; recomputing the full causal attention of
those n tokens costs n · n · (d_k + d_v). Not counted: the scaling, the exps and divisions of the
softmax, and the projections to q, k and v (with the cache each token is projected once, outside
this function).
"""

from dataclasses import dataclass

import numpy as np

from attention.core import causal_mask, scaled_dot_product_attention
from attention.tiling import check_count, check_qkv


@dataclass(frozen=True)
class DecodeTrace:
    """Causal attention computed step by step from a growing K/V cache.

    Step 0 is the prefill pass over positions 0..prefill-1; step s >= 1 adds position prefill-1+s.
    """

    prefill: int  # tokens in the first pass
    outputs: np.ndarray  # [seq, d_v]  equal to causal scaled dot-product attention
    rows: tuple  # seq arrays: rows[t] [t + 1] is query t's weights over keys 0..t
    cache_rows: np.ndarray  # int [n_steps]  rows in the K cache (and the V cache) after each step
    cached_mults: np.ndarray  # int [n_steps]  multiplications of each step with the cache
    recompute_mults: np.ndarray  # int [n_steps]  the same step recomputing all of causal attention

    @property
    def cached_total(self):  # -> int
        return int(self.cached_mults.sum())

    @property
    def recompute_total(self):  # -> int
        return int(self.recompute_mults.sum())


def attention_mults(new, n, d_k, d_v):  # int, int, int, int -> int
    """Multiplications in q·kᵀ and weights @ v for `new` query rows against `n` keys."""
    return new * n * (d_k + d_v)


def cached_decode(q, k, v, prefill=1):  # [seq, d_k], [seq, d_k], [seq, d_v], int -> DecodeTrace
    """Causal attention one query at a time against the cached keys and values, scale 1/√d_k."""
    q, k, v = check_qkv(q, k, v)
    seq, d_k, d_v = q.shape[0], q.shape[1], v.shape[1]
    if k.shape[0] != seq:
        raise ValueError(f"decoding is self-attention: q has seq={seq} rows but k has {k.shape[0]}")
    prefill = check_count(prefill, "prefill", most=seq)
    first = scaled_dot_product_attention(q[:prefill], k[:prefill], v[:prefill], mask=causal_mask(prefill))
    rows = [first.weights[t, : t + 1] for t in range(prefill)]
    outputs = list(first.output)
    for t in range(prefill, seq):  # k[: t + 1], v[: t + 1] stand for the cache after token t is appended
        step = scaled_dot_product_attention(q[t : t + 1], k[: t + 1], v[: t + 1])
        rows.append(step.weights[0])
        outputs.append(step.output[0])
    cache = np.arange(prefill, seq + 1)
    new = np.r_[prefill, np.ones(seq - prefill, int)]  # query rows computed at each step
    return DecodeTrace(
        prefill=prefill,
        outputs=np.stack(outputs),
        rows=tuple(rows),
        cache_rows=cache,
        cached_mults=attention_mults(new, cache, d_k, d_v),
        recompute_mults=attention_mults(cache, cache, d_k, d_v),
    )


__all__ = ["DecodeTrace", "attention_mults", "cached_decode"]
