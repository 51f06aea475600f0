"""Attention is not only a weight: how far each key actually moves a head's output.

A head's output for query i is a weighted sum of its transformed value vectors,

    out_i = Σ_j α_ij · v_j W_O,    so key j's part of it is the vector  f_ij = α_ij · v_j W_O

and key j's influence on out_i is the length of that vector (Kobayashi et al., EMNLP 2020,
"Attention is Not Only a Weight: Analyzing Transformers with Vector Norms"):

    ‖f_ij‖ = |α_ij| · ‖v_j W_O‖

A big weight on a small vector is a small influence, and a small weight on a long vector can
move the output more than the heatmap of weights suggests: heads often park weight on a key
([CLS], [SEP], punctuation, the first token) whose value vector is nearly zero. Setting the share
of weight beside the share of norm shows where the two stories differ.

The norm is computed as |α_ij| · ‖v_j W_O‖, one vector norm per key, so the [.., q, k, d_out]
tensor of the f_ij is built only when they are asked for (pair_vectors).

Shapes: d_out is the width W_O maps to (d_model in a transformer layer).
A NaN weight (a masked cell as the charts draw it) counts as 0: that key moves nothing.
"""

from dataclasses import dataclass

import numpy as np

from attention.core import _floating


def _check(weights, values, w_o):  # -> float arrays, or ValueError naming the mismatch
    w, v, o = _floating(weights), _floating(values), _floating(w_o)
    for name, x, axes in (("weights", w, "q, k"), ("values", v, "k, d_v"), ("w_o", o, "d_v, d_out")):
        if x.ndim < 2:
            raise ValueError(f"{name} must have at least 2 axes [.., {axes}], got shape {x.shape}")
    if w.shape[-1] != v.shape[-2]:
        raise ValueError(f"weights have {w.shape[-1]} keys but values have {v.shape[-2]} rows")
    if v.shape[-1] != o.shape[-2]:
        raise ValueError(f"values have width d_v={v.shape[-1]} but w_o has {o.shape[-2]} rows")
    return np.nan_to_num(w, nan=0.0), v, o


def transformed_values(values, w_o):  # [.., k, d_v], [.., d_v, d_out] -> [.., k, d_out]
    """v_j W_O for every key: the vector each key would add with a weight of 1."""
    return np.asarray(values) @ np.asarray(w_o)


def pair_vectors(weights, values, w_o):  # [.., q, k], [.., k, d_v], [.., d_v, d_out] -> [.., q, k, d_out]
    """f_ij = α_ij · v_j W_O; summed over the keys it is the head's output weights @ values @ w_o."""
    w, v, o = _check(weights, values, w_o)
    return w[..., None] * transformed_values(v, o)[..., None, :, :]


def pair_norms(weights, values, w_o):  # [.., q, k], [.., k, d_v], [.., d_v, d_out] -> [.., q, k]
    """‖α_ij · v_j W_O‖ = |α_ij| · ‖v_j W_O‖, without building the [.., q, k, d_out] vectors."""
    w, v, o = _check(weights, values, w_o)
    return np.abs(w) * np.linalg.norm(transformed_values(v, o), axis=-1)[..., None, :]


@dataclass(frozen=True)
class ContributionShares:
    """Share of weight beside share of norm, per cell and per key.

    A row with no weight (every key masked) or no norm has shares of 0, and the per-key means skip
    it, so each per-key share sums to 1 over the keys whenever some row is live.
    """

    weight: np.ndarray  # [.., q, k]  α_ij / Σ_j α_ij
    contribution: np.ndarray  # [.., q, k]  ‖f_ij‖ / Σ_j ‖f_ij‖
    key_weight: np.ndarray  # [.., k]  mean of `weight` over the query rows that have weight
    key_contribution: np.ndarray  # [.., k]  mean of `contribution` over the rows that have norm


def _row_shares(x):  # [.., q, k] -> [.., q, k], [.., k]
    """Each row divided by its sum (0 for a row summing to 0), and the mean over the live rows."""
    total = x.sum(axis=-1, keepdims=True)
    share = x / np.where(total > 0, total, 1.0)
    live = np.count_nonzero(total > 0, axis=-2)  # [.., 1]
    return share, share.sum(axis=-2) / np.maximum(live, 1)


def shares(weights, norms):  # [.., q, k], [.., q, k] -> ContributionShares
    """How each key's share of the weight compares with its share of the output's norm."""
    w, n = np.nan_to_num(_floating(weights), nan=0.0), np.nan_to_num(_floating(norms), nan=0.0)
    if w.ndim < 2 or w.shape != n.shape:
        raise ValueError(f"weights and norms must both be [.., q, k], got {w.shape} and {n.shape}")
    if np.any(w < 0) or np.any(n < 0):
        raise ValueError("weights and norms must be >= 0 to be shared out")
    (weight, key_weight), (contribution, key_contribution) = _row_shares(w), _row_shares(n)
    return ContributionShares(weight, contribution, key_weight, key_contribution)


__all__ = ["ContributionShares", "pair_norms", "pair_vectors", "shares", "transformed_values"]
