"""Why divide by √d_k, measured: how spread-out scores saturate softmax and silence its gradient.

A query and a key of width d_k whose entries have mean 0 and variance 1 have a dot product with
variance d_k, so raw scores spread like √d_k. Softmax turns large gaps between scores into one
weight near 1 and the rest near 0 (a saturated row): the row's entropy falls to 0 bits, it looks
at one effective key, and its Jacobian diag(w) − w wᵀ goes to 0, so no gradient flows back to the
scores. Dividing by √d_k keeps the spread near 1 at every width.

Entropy convention: 0·log 0 = 0, so a row of all zeros (every key masked) has entropy 0.
"""

from dataclasses import dataclass

import numpy as np

from attention.core import scale_scores, scores, softmax
from attention.heads import WEIGHT_INITS, init_weight

SATURATION = 0.95  # a row is saturated when its largest weight is above this
SPREAD_EMBEDDINGS = ("hashed", "random")  # N(0, 1) like the hashed embeddings, or rand's [0, 1)
DEFAULT_D_KS = tuple(2**p for p in range(11))  # 1, 2, 4, .., 1024
SPREAD_SEEDS = 32  # random sentences per width in the sweep
SATURATING_D_K = 256  # wide enough that unscaled scores saturate most rows of a short sentence


def row_entropy(weights, base=2):  # [.., seq_k] -> [..]
    """Entropy of each row of weights in log-`base` units; zero weights add nothing."""
    w = np.asarray(weights, dtype=float)
    positive = w > 0
    logs = np.log(np.where(positive, w, 1.0))  # log 1 = 0 stands in for 0·log 0
    return -np.sum(np.where(positive, w * logs, 0.0), axis=-1) / np.log(base)


@dataclass(frozen=True)
class RowStats:
    """How concentrated each row of attention weights is.

    A row whose keys are all masked (all weights 0) is `empty`: it has no distribution, so its
    `largest`, `entropy_bits` and `effective_keys` are NaN and it is never `saturated`.
    """

    largest: np.ndarray  # [.., seq_q]  the biggest weight in the row
    entropy_bits: np.ndarray  # [.., seq_q]  0 = one key takes everything, log2(n) = uniform
    effective_keys: np.ndarray  # [.., seq_q]  2**entropy: how many keys the row really mixes
    saturated: np.ndarray  # bool [.., seq_q]  largest > SATURATION
    empty: np.ndarray  # bool [.., seq_q]  every key masked


def row_stats(weights):  # [.., seq_q, seq_k] -> RowStats of [.., seq_q]
    """Largest weight, entropy in bits, effective number of keys and saturation of every row."""
    w = np.asarray(weights, dtype=float)
    empty = ~np.any(w > 0, axis=-1)
    largest = np.where(empty, np.nan, np.max(w, axis=-1))
    bits = np.where(empty, np.nan, row_entropy(w, base=2))
    return RowStats(largest, bits, 2.0**bits, ~empty & (largest > SATURATION), empty)


def saturation_summary(stats):  # RowStats -> str
    """One line for the page, e.g. "5 of 10 rows saturated (largest weight > 0.95)"."""
    n_rows = int(np.size(stats.empty) - np.count_nonzero(stats.empty))
    line = f"{np.count_nonzero(stats.saturated)} of {n_rows} rows saturated (largest weight > {SATURATION})"
    n_empty = int(np.count_nonzero(stats.empty))
    if n_empty:
        line += f"; {n_empty} fully masked {'row' if n_empty == 1 else 'rows'} left out"
    return line


@dataclass(frozen=True)
class RowSums:
    """How close every row of weights sums to 1: the check printed under the weights."""

    worst: float  # the largest |row sum − 1| over rows with at least one allowed key (0 if none)
    dead: int  # rows whose keys are all masked: all zeros, by design


def row_sums(weights, mask=None):  # [seq_q, seq_k], bool [seq_q, seq_k] | None -> RowSums
    """The largest deviation of a row sum from 1, and the number of fully masked rows."""
    sums = np.asarray(weights).sum(axis=-1)
    live = sums > 0 if mask is None else np.asarray(mask).any(axis=-1)
    worst = float(np.abs(sums[live] - 1).max()) if live.any() else 0.0
    return RowSums(worst, int(np.count_nonzero(~live)))


def _sum_of_others(x):  # [.., n] -> [.., n]
    """Σ_{j≠i} x_j for every i, from prefix and suffix sums: no subtraction, so 1 − wᵢ keeps its digits."""
    zero = np.zeros_like(x[..., :1])
    before = np.concatenate([zero, np.cumsum(x, axis=-1)[..., :-1]], axis=-1)
    after = np.concatenate([np.cumsum(x[..., ::-1], axis=-1)[..., -2::-1], zero], axis=-1)
    return before + after


def softmax_jacobian(weights):  # [.., n] -> [.., n, n]
    """∂wᵢ/∂sⱼ = wᵢ(δᵢⱼ − wⱼ) of w = softmax(s), i.e. diag(w) − w wᵀ, from the weights alone."""
    w = np.asarray(weights, dtype=float)
    jac = -w[..., :, None] * w[..., None, :]
    diagonal = np.arange(w.shape[-1])
    jac[..., diagonal, diagonal] = w * _sum_of_others(w)  # wᵢ(1 − wᵢ), accurate even when wᵢ ≈ 1
    return jac


def jacobian_norm(weights):  # [.., n] -> [..]
    """Frobenius norm of softmax_jacobian(weights) without building it.

    Row i holds wᵢ(1 − wᵢ) and −wᵢwⱼ, so its squared norm is wᵢ²((1 − wᵢ)² + Σ_{j≠i} wⱼ²); both
    factors are sums over the other keys, so a nearly saturated row gets its tiny norm right.
    """
    w = np.asarray(weights, dtype=float)
    rows = w**2 * (_sum_of_others(w) ** 2 + _sum_of_others(w**2))
    return np.sqrt(np.sum(rows, axis=-1))


@dataclass(frozen=True)
class SpreadTable:
    """Score spread and softmax saturation against d_k; every array is indexed like `d_k`.

    "raw" columns come from softmax(q · k), "scaled" columns from softmax(q · k / √d_k). Each value
    is pooled over all seeds, queries and keys (the stds and means) or averaged over all rows.
    """

    d_k: np.ndarray  # int [n]
    raw_std: np.ndarray  # [n]  std of q · k: grows like √d_k for N(0, 1/d_model) weights
    scaled_std: np.ndarray  # [n]  std of q · k / √d_k: stays near 1
    raw_mean: np.ndarray  # [n]  mean of q · k: near 0 for normal weights, far above 0 for uniform
    raw_largest: np.ndarray  # [n]  mean largest weight of a row
    scaled_largest: np.ndarray  # [n]
    raw_entropy: np.ndarray  # [n]  mean row entropy in bits (log2(seq) = uniform)
    scaled_entropy: np.ndarray  # [n]
    raw_saturated: np.ndarray  # [n]  fraction of rows with largest weight > SATURATION
    scaled_saturated: np.ndarray  # [n]
    raw_gradient: np.ndarray  # [n]  mean Frobenius norm of each row's softmax Jacobian
    scaled_gradient: np.ndarray  # [n]
    seq: int
    d_model: int
    weight_init: str
    embedding: str
    n_seeds: int


def _embeddings(rng, shape, embedding):  # Generator, (n_seeds, seq, d_model), str -> [n_seeds, seq, d_model]
    if embedding == "hashed":  # each distinct token's hashed vector is its own N(0, 1) draw
        return rng.standard_normal(shape)
    if embedding == "random":
        return rng.random(shape)
    raise ValueError(
        f"unknown embedding {embedding!r} for the spread sweep; choose one of {SPREAD_EMBEDDINGS}"
    )


def _projection(rng, n_seeds, d_model, d_k, kind):  # -> [n_seeds, d_model, d_k]
    """n_seeds independent [d_model, d_k] weights; columns are i.i.d., so one wide draw splits cleanly."""
    wide = init_weight(rng, (d_model, n_seeds * d_k), kind)  # fan_in stays d_model
    return wide.reshape(d_model, n_seeds, d_k).swapaxes(0, 1)


def _row_measures(s, prefix):  # [n_seeds, seq, seq], "raw" | "scaled" -> dict of row-measure means
    w = softmax(s)
    largest = np.max(w, axis=-1)
    return {
        f"{prefix}_largest": largest.mean(),
        f"{prefix}_entropy": row_entropy(w).mean(),
        f"{prefix}_saturated": np.mean(largest > SATURATION),
        f"{prefix}_gradient": jacobian_norm(w).mean(),
    }


def _one_width(x, rng, d_k, weight_init):  # [n_seeds, seq, d_model] -> dict of SpreadTable columns
    n_seeds, _, d_model = x.shape
    q = x @ _projection(rng, n_seeds, d_model, d_k, weight_init)
    k = x @ _projection(rng, n_seeds, d_model, d_k, weight_init)
    raw = scores(q, k)  # [n_seeds, seq, seq]
    scaled = scale_scores(raw, 1 / np.sqrt(d_k))
    spread = {"raw_std": raw.std(), "scaled_std": scaled.std(), "raw_mean": raw.mean()}
    return spread | _row_measures(raw, "raw") | _row_measures(scaled, "scaled")


def score_spread(
    d_ks=DEFAULT_D_KS,
    n_seeds=SPREAD_SEEDS,
    seq=16,
    d_model=64,
    weight_init="normal",
    embedding="hashed",
    seed=0,
):
    """Sweep d_k: n_seeds random sentences X [seq, d_model] projected by fresh W_Q, W_K [d_model, d_k].

    X is shared by every d_k (one draw from `seed`); each d_k's weights come from the seed
    [seed, d_k], so a d_k's row is the same whichever other widths are swept. No mask.
    """
    if weight_init not in WEIGHT_INITS:
        raise ValueError(f"unknown weight init {weight_init!r}; choose one of {WEIGHT_INITS}")
    sizes = {"n_seeds": n_seeds, "seq": seq, "d_model": d_model, "d_k": min(d_ks, default=1)}
    for name, value in sizes.items():
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    x = _embeddings(np.random.default_rng(seed), (n_seeds, seq, d_model), embedding)
    rows = [_one_width(x, np.random.default_rng([seed, int(d)]), int(d), weight_init) for d in d_ks]
    columns = {name: np.array([row[name] for row in rows], dtype=float) for name in rows[0]}
    sizes = {"seq": seq, "d_model": d_model, "n_seeds": n_seeds}
    return SpreadTable(
        d_k=np.array(d_ks, dtype=int), **columns, **sizes, weight_init=weight_init, embedding=embedding
    )
