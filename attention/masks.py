"""Attention masks: which keys each query may see. Boolean, True = may attend.

Every kind but "none" also hides padding keys, as real models do: a [PAD] position carries no
word, so no query should take information from it.
"""

import numpy as np

from attention.core import causal_mask

MASK_KINDS = ("none", "padding", "causal", "sliding window", "prefix")


def padding_mask(is_pad):  # bool [seq] -> bool [seq, seq]
    """Every query may attend to every key that is not padding."""
    is_pad = np.asarray(is_pad, dtype=bool)
    return np.broadcast_to(~is_pad, (is_pad.size, is_pad.size)).copy()


def sliding_window_mask(n, window):  # int, int -> bool [n, n]
    """Causal with a horizon: query i sees keys i - window + 1 .. i (itself and window - 1 back)."""
    if window < 1:
        raise ValueError(f"a sliding window needs width >= 1, got {window}")
    i, j = np.indices((n, n))
    return (j <= i) & (i - j < window)


def prefix_mask(n, prefix):  # int, int -> bool [n, n]
    """Prefix-LM: the first `prefix` tokens see each other fully; later tokens are causal."""
    if prefix < 0:
        raise ValueError(f"a prefix length must be >= 0, got {prefix}")
    i, j = np.indices((n, n))
    return (j <= i) | ((i < prefix) & (j < prefix))


def build_mask(kind, is_pad, window=3, prefix=2):  # str, bool [seq] -> bool [seq, seq] | None
    """The mask of one of MASK_KINDS for a sequence whose padding positions are `is_pad`."""
    n = len(is_pad)
    if kind == "none":
        return None
    structure = {
        "padding": lambda: np.ones((n, n), dtype=bool),
        "causal": lambda: causal_mask(n),
        "sliding window": lambda: sliding_window_mask(n, window),
        "prefix": lambda: prefix_mask(n, prefix),
    }
    if kind not in structure:
        raise ValueError(f"unknown mask kind {kind!r}; choose one of {MASK_KINDS}")
    return structure[kind]() & padding_mask(is_pad)


def over_keys(weights, keep):  # [.., seq_k], bool [seq_k] -> [.., kept]
    """Keep only some keys of each row of weights and rescale every row to sum to 1 again.

    For softmax weights this equals masking the other keys before the softmax: exp(s_j) / Σ_kept exp(s_k).
    """
    keep = np.asarray(keep, dtype=bool)
    w = np.asarray(weights)[..., keep]
    if keep.all():  # nothing hidden: the weights as they are, never divided by a sum that is 1 up to rounding
        return w
    total = w.sum(axis=-1, keepdims=True)
    return w / np.where(total == 0, 1, total)


def without_tokens(weights, keep):  # [.., seq, seq], bool [seq] -> [.., kept, kept]
    """Drop hidden tokens' rows and columns and rescale each row over the keys kept."""
    return over_keys(np.asarray(weights)[..., np.asarray(keep, dtype=bool), :], keep)
