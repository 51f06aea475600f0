"""√d_k on a trained model: how far its queries, keys and scores are from the textbook's assumption.

The reason for ÷√d_k (see the package docstring) assumes that the d_k entries of a query and of a
key are independent, with mean 0 and variance 1. Then q · k, a sum of d_k such products, has a
standard deviation of √d_k (√32 ≈ 5.66 for MiniLM), and the scaled scores one of 1. A trained
model promises none of this: its entries are neither unit-sized nor independent, so the measured
spread of the scores can sit far from √d_k, and the scaled scores far from 1.

For each head, over all its query rows and key rows (or all its seq_q × seq_k scores):

    σ_q, σ_k                 the standard deviation of the entries of q and of k
    σ(q·k)                   the standard deviation of the scores
    σ(q·k) · scale           that of the scaled scores (what softmax receives)
    √d_k                     the textbook's σ(q·k): i.i.d. entries of variance 1
    √d_k · σ_q · σ_k         the same prediction with the entries' measured spread
    log₂(σ(q·k) / √d_k)      the departure: 0 is the textbook, +1 twice as spread, −1 half

σ(q·k) is computed one head's seq_q × seq_k scores at a time, never every head's at once.
"""

from dataclasses import dataclass

import numpy as np

from attention.core import _floating


@dataclass(frozen=True)
class HeadSpread:
    """The spread of one or more heads' queries, keys, scores and scaled scores; each field [..]."""

    d_k: int
    q: np.ndarray  # σ_q
    k: np.ndarray  # σ_k
    scores: np.ndarray  # σ(q·k)
    scaled: np.ndarray  # σ(q·k) · scale
    independent: np.ndarray  # √d_k · σ_q · σ_k

    @property
    def textbook(self):  # -> float, √d_k
        return float(np.sqrt(self.d_k))

    @property
    def departure(self):  # -> [..], log₂(σ(q·k) / √d_k)
        return np.log2(np.maximum(self.scores, np.finfo(float).tiny) / self.textbook)


@dataclass(frozen=True)
class SpreadSummary:
    """The heads' σ(q·k) in a line: the smallest, the median and the largest, with their heads."""

    low: float
    median: float
    high: float
    low_head: tuple  # the index of the head with the smallest σ(q·k), e.g. (layer, head)
    high_head: tuple
    median_q: float  # the median σ_q over the heads
    median_k: float


def summary(spread):  # HeadSpread -> SpreadSummary
    s = spread.scores
    where = (np.unravel_index(np.argmin(s), s.shape), np.unravel_index(np.argmax(s), s.shape))
    low_head, high_head = (tuple(int(i) for i in w) for w in where)
    return SpreadSummary(float(s.min()), float(np.median(s)), float(s.max()), low_head, high_head,
                         float(np.median(spread.q)), float(np.median(spread.k)))  # fmt: skip


def spread_table(spread):  # HeadSpread of [n_layers, n_heads] -> dict[str, list], one row per head
    """The spreads as table columns: layer, head, σ_q, σ_k, σ(q·k), its i.i.d. prediction, σ scaled."""
    layers, heads = np.indices(spread.scores.shape)
    columns = {"layer": layers.ravel().tolist(), "head": heads.ravel().tolist()}
    named = {"σ q": spread.q, "σ k": spread.k, "σ q·k": spread.scores, "√d_k σq σk": spread.independent}
    return columns | {name: x.ravel().tolist() for name, x in (named | {"σ scaled": spread.scaled}).items()}


def score_std(q, k):  # [.., seq_q, d_k], [.., seq_k, d_k] -> [..]
    """The standard deviation of all the scores q_i · k_j of each head, one head's matrix at a time."""
    q, k = _floating(q), _floating(k)
    out = np.empty(np.broadcast_shapes(q.shape[:-2], k.shape[:-2]))
    q, k = np.broadcast_to(q, out.shape + q.shape[-2:]), np.broadcast_to(k, out.shape + k.shape[-2:])
    for head in np.ndindex(out.shape):
        out[head] = np.std(q[head] @ k[head].T, dtype=np.float64)
    return out


def head_spread(q, k, scale=None):  # [.., seq_q, d_k], [.., seq_k, d_k], float | None -> HeadSpread
    """Each head's σ_q, σ_k, σ(q·k) and σ of the scaled scores; scale=None means 1/√d_k."""
    q, k = _floating(q), _floating(k)
    if q.ndim < 2 or k.ndim < 2 or q.shape[-1] != k.shape[-1] or q.shape[-1] < 1:
        raise ValueError(f"q and k must be [.., seq, d_k] with one d_k >= 1, got {q.shape} and {k.shape}")
    d_k = q.shape[-1]
    scale = 1 / np.sqrt(d_k) if scale is None else float(scale)
    sq, sk = q.std(axis=(-1, -2), dtype=np.float64), k.std(axis=(-1, -2), dtype=np.float64)
    scores = score_std(q, k)
    return HeadSpread(d_k, sq, sk, scores, scores * abs(scale), np.sqrt(d_k) * sq * sk)


__all__ = ["HeadSpread", "SpreadSummary", "head_spread", "score_std", "spread_table", "summary"]
