"""The steps of scaled dot-product attention: scores, scale, mask, softmax, attend.

Each function is pure and works on any leading batch or head axes (`..`). A mask is boolean with
True where the query may attend to the key; masked scores become -inf before the softmax, so their
weights are exactly 0, and a row whose keys are all masked gets weights of 0, never NaN.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AttentionTrace:
    """Every intermediate of one scaled dot-product attention call."""

    scores: np.ndarray  # [.., seq_q, seq_k]  q · kᵀ
    scaled: np.ndarray  # [.., seq_q, seq_k]  scores × scale
    weights: np.ndarray  # [.., seq_q, seq_k]  softmax over keys, masked entries exactly 0
    output: np.ndarray  # [.., seq_q, d_v]  weights @ v
    mask: np.ndarray | None  # [.., seq_q, seq_k] boolean, True = may attend
    scale: float  # the factor applied to the scores


def _floating(x):
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def softmax(x, axis=-1):  # [..] -> [..], each slice along `axis` sums to 1
    """Numerically stable softmax: subtract the max along `axis` before exp.

    Entries of -inf get weight exactly 0; a slice that is all -inf gets all zeros.
    """
    x = _floating(x)
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)  # an all -inf slice: keep exp(-inf) = 0
    with np.errstate(over="ignore"):  # x - top may pass -1.8e308; exp of it is 0 anyway
        e = np.exp(x - top)
    total = np.sum(e, axis=axis, keepdims=True)
    return e / np.where(total == 0, 1, total)


def scores(q, k):  # [.., seq_q, d_k], [.., seq_k, d_k] -> [.., seq_q, seq_k]
    """Dot product of every query with every key: q · kᵀ."""
    q, k = _floating(q), _floating(k)
    if q.ndim < 2 or k.ndim < 2:
        raise ValueError(f"q and k need at least 2 axes [seq, d_k], got {q.shape} and {k.shape}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q has depth d_k={q.shape[-1]} but k has depth {k.shape[-1]}")
    if q.shape[-1] < 1:
        raise ValueError(f"d_k must be >= 1, got {q.shape[-1]}")
    return q @ k.swapaxes(-1, -2)


def scale_scores(s, scale):  # [.., seq_q, seq_k] -> [.., seq_q, seq_k]
    """Multiply the scores by `scale` (1/√d_k for standard attention)."""
    return s * np.asarray(scale, dtype=s.dtype)


def check_mask(mask, shape):  # [.., seq_q, seq_k] -> bool [.., seq_q, seq_k]
    """Validate that a mask is boolean and broadcasts to the scores' shape."""
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise ValueError(f"mask must be boolean (True = may attend), got dtype {mask.dtype}")
    try:
        fits = np.broadcast_shapes(mask.shape, shape) == tuple(shape)  # must not add axes to the scores
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"mask of shape {mask.shape} does not broadcast to scores {shape}")
    return mask


def masked_fill(x, mask, value):  # [.., seq_q, seq_k], bool [.., seq_q, seq_k] -> [.., seq_q, seq_k]
    """Put `value` where the mask is False (the query may not attend to the key)."""
    if mask is None:
        return x
    return np.where(mask, x, np.asarray(value, dtype=x.dtype))


def attend(weights, v):  # [.., seq_q, seq_k], [.., seq_k, d_v] -> [.., seq_q, d_v]
    """Weighted sum of the values: each output row mixes the value rows by its weights."""
    return weights @ _floating(v)


def scaled_dot_product_attention(q, k, v, mask=None, scale=None):
    """softmax(q kᵀ × scale, masked) @ v, returning every intermediate.

    q [.., seq_q, d_k], k [.., seq_k, d_k], v [.., seq_k, d_v], mask bool [.., seq_q, seq_k].
    `scale=None` means 1/√d_k; `scale=1.0` means unscaled.
    """
    q, k, v = _floating(q), _floating(k), _floating(v)
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k has seq_k={k.shape[-2]} keys but v has {v.shape[-2]} values")
    s = scores(q, k)
    if scale is None:
        scale = 1.0 / np.sqrt(q.shape[-1])
    if mask is not None:
        mask = check_mask(mask, s.shape)
    scaled = scale_scores(s, scale)
    weights = softmax(masked_fill(scaled, mask, -np.inf))
    return AttentionTrace(s, scaled, weights, attend(weights, v), mask, float(scale))


def causal_mask(n):  # int -> bool [n, n]
    """Lower triangle True: query i may attend to keys 0..i, never to a later position."""
    if n < 1:
        raise ValueError(f"a causal mask needs n >= 1, got {n}")
    return np.tri(n, dtype=bool)
