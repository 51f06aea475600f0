"""Explain one cell of the attention weights: the arithmetic from q_i and k_j to w_ij.

    score  = Σₘ q_i[m]·k_j[m]
    scaled = score × scale
    w_ij   = exp(scaled − max) / Σ exp(scaled_row − max),  the sum over the keys query i may see

Subtracting the row max changes no weight (it cancels between top and bottom) but keeps exp from
overflowing. A masked key never enters the sum: its weight is exactly 0, whatever its score.
The row is recomputed with the same functions as attention.core, so every number here matches
the trace the heatmaps show.
"""

from dataclasses import dataclass

import numpy as np

from attention.core import check_mask, masked_fill, scale_scores, scores

N_TOP = 3  # how many of the largest products to name


@dataclass(frozen=True)
class CellExplanation:
    """Every number between one query, one key and their attention weight."""

    j: int  # the key's position
    products: np.ndarray  # [d_k]  q_i[m]·k_j[m], summing to the score
    top: np.ndarray  # int [≤ N_TOP]  positions m of the largest |products|, biggest first
    score: float  # q_i · k_j
    scale: float  # the factor applied to the scores
    scaled: float  # score × scale
    masked: bool  # True when query i may not attend to key j
    n_allowed: int  # keys query i may attend to
    row_max: float  # the largest scaled score among the allowed keys (-inf if none)
    shifted: float  # scaled − row_max (-inf when masked)
    exp: float  # exp(shifted) (0 when masked)
    exp_sum: float  # Σ exp(scaled − row_max) over the allowed keys
    weight: float  # exp / exp_sum, exactly 0 when masked
    rank: int | None  # 1 = the largest weight among allowed keys; ties go to the lower key; None if masked


def top_contributors(products, n=N_TOP):  # [d_k] -> int [≤ n]
    """Positions of the n largest |products|, biggest first; ties go to the lower position."""
    order = np.argsort(-np.abs(products), kind="stable")
    return order[:n]


def weight_rank(weights, j, allowed=None):  # [seq_k], int, bool [seq_k] -> int
    """1 + the number of allowed keys with a larger weight, or an equal weight at a lower position."""
    w = np.asarray(weights)
    ahead = (w > w[j]) | ((w == w[j]) & (np.arange(w.size) < j))
    return 1 + int(np.count_nonzero(ahead if allowed is None else ahead & allowed))


def row_arithmetic(scaled_row, allowed):  # [seq_k], bool [seq_k] -> (row_max, exps [seq_k], exp_sum)
    """The softmax of one row, step by step, exactly as attention.core.softmax computes it."""
    masked_row = masked_fill(scaled_row, allowed, -np.inf)
    row_max = float(np.max(masked_row))
    with np.errstate(over="ignore"):  # as in core.softmax: a difference past -1.8e308 has exp 0 anyway
        exps = np.exp(masked_row - (row_max if np.isfinite(row_max) else 0.0))
    return row_max, exps, float(np.sum(exps))


def _checked(q_row, k_rows, j, mask_row):  # -> [d_k], [seq_k, d_k], bool [seq_k]
    q_row, k_rows = np.asarray(q_row, dtype=float), np.asarray(k_rows, dtype=float)
    if q_row.ndim != 1 or k_rows.ndim != 2:
        raise ValueError(f"q_row must be [d_k] and k_rows [seq_k, d_k], got {q_row.shape} and {k_rows.shape}")
    if not 0 <= j < k_rows.shape[0]:
        raise ValueError(f"key index j={j} is outside 0..{k_rows.shape[0] - 1}")
    n = k_rows.shape[0]
    allowed = np.ones(n, bool) if mask_row is None else np.broadcast_to(check_mask(mask_row, (n,)), (n,))
    return q_row, k_rows, allowed


def explain_cell(q_row, k_rows, j, scale, mask_row=None):  # [d_k], [seq_k, d_k], int, float, bool [seq_k]
    """How query q_row reaches key j: products, score, scaling, the row's softmax, the weight."""
    q_row, k_rows, allowed = _checked(q_row, k_rows, j, mask_row)
    raw = scores(q_row[None, :], k_rows)[0]  # [seq_k]
    row = scale_scores(raw, scale)
    row_max, exps, exp_sum = row_arithmetic(row, allowed)
    weights = exps / (exp_sum if exp_sum else 1.0)
    products = q_row * k_rows[j]
    masked = not allowed[j]
    return CellExplanation(
        j=int(j),
        products=products,
        top=top_contributors(products),
        score=float(raw[j]),
        scale=float(scale),
        scaled=float(row[j]),
        masked=masked,
        n_allowed=int(np.count_nonzero(allowed)),
        row_max=row_max,
        shifted=-np.inf if masked else float(row[j] - row_max),
        exp=float(exps[j]),
        exp_sum=exp_sum,
        weight=float(weights[j]),
        rank=None if masked else weight_rank(weights, j, allowed),
    )


def explain_trace_cell(trace, head, i, j):  # pipeline.Trace, int, int, int -> CellExplanation
    """explain_cell for cell (i, j) of one head of a pipeline run."""
    att = trace.attention
    mask_row = None if trace.mask is None else np.broadcast_to(trace.mask, att.weights.shape)[head, i]
    return explain_cell(att.q[head][i], att.k[head], j, att.scale, mask_row)
