"""One head of the toy replayed two other ways: decoded a token at a time, and a block of keys at a time.

`decode_step` is one step of attention.decode's KV-cache decoding as the page shows it: what the
caches hold after the step, the query rows the step computed, the same rows of the full causal
recompute, and the multiplications so far. `online_against_dense` runs attention.tiling's online
softmax and measures how far its weights and output are from the dense ones.
"""

from dataclasses import dataclass

import numpy as np

from attention.core import causal_mask, scaled_dot_product_attention
from attention.decode import cached_decode
from attention.inside import max_difference
from attention.tiling import online_attention


@dataclass(frozen=True)
class DecodeStep:
    """Step `step` of a cached decode (0: the prefill), against the full causal recompute."""

    step: int
    first: int  # the first query row this step computed (0 for the prefill, else its one token)
    last: int  # the newest token: the caches hold rows 0..last
    k_cache: np.ndarray  # [last + 1, d_k]
    v_cache: np.ndarray  # [last + 1, d_v]
    rows: np.ndarray  # [last + 1 − first, last + 1]  the step's weights, NaN right of each causal row
    recompute: np.ndarray  # [seq, seq]  the full causal weights
    row_error: float  # max |Δ| between the step's rows and the recompute's
    output_error: float  # max |Δ| between the outputs so far and the recompute's
    cached_so_far: int  # multiplications with the cache, steps 0..step
    recompute_so_far: int  # recomputing all of causal attention at each of those steps
    n_steps: int


def decode_step(q, k, v, prefill, step):  # [seq, d_k], [seq, d_k], [seq, d_v], int, int -> DecodeStep
    """The caches, the new rows and the counts after `step` steps of decoding with a prefill."""
    d = cached_decode(q, k, v, prefill)
    n_steps = len(d.cache_rows)
    if not 0 <= step < n_steps:
        raise ValueError(f"step must be in 0..{n_steps - 1}, got {step}")
    seq = len(q)
    full = scaled_dot_product_attention(q, k, v, mask=causal_mask(seq))
    last = int(d.cache_rows[step]) - 1
    first = 0 if step == 0 else last
    rows = np.full((last + 1 - first, last + 1), np.nan)
    for r, t in enumerate(range(first, last + 1)):
        rows[r, : t + 1] = d.rows[t]
    errors = [max_difference(d.rows[t], full.weights[t, : t + 1]) for t in range(first, last + 1)]
    return DecodeStep(
        step=step,
        first=first,
        last=last,
        k_cache=np.asarray(k)[: last + 1],
        v_cache=np.asarray(v)[: last + 1],
        rows=rows,
        recompute=full.weights,
        row_error=max(errors),
        output_error=max_difference(d.outputs[: last + 1], full.output[: last + 1]),
        cached_so_far=int(d.cached_mults[: step + 1].sum()),
        recompute_so_far=int(d.recompute_mults[: step + 1].sum()),
        n_steps=n_steps,
    )


@dataclass(frozen=True)
class OnlineCheck:
    """The online softmax's trace and how far it lands from dense attention."""

    trace: object  # attention.tiling.OnlineTrace
    weight_error: float  # max |Δ| of the final weights against the dense ones
    output_error: float  # max |Δ| of the final output against the dense one


def online_against_dense(q, k, v, block, weights, output, scale=None, mask=None):
    """online_attention over blocks of `block` keys, beside dense weights [q, k] and output [q, d_v]."""
    t = online_attention(q, k, v, block, scale=scale, mask=mask)
    return OnlineCheck(t, max_difference(t.weights, weights), max_difference(t.output, output))


__all__ = ["DecodeStep", "OnlineCheck", "decode_step", "online_against_dense"]
