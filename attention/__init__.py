"""Scaled dot-product attention, one small pure numpy function per step.

    Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V

Every step of the formula is its own function: embed the tokens (X), project them to queries,
keys and values (Q = X W_Q, K = X W_K, V = X W_V), score every query against every key (Q Kᵀ),
scale, mask, softmax each row, and take the weighted sum of the values.

Why divide by √d_k: if the entries of q and k are independent with mean 0 and variance 1, then
q · k is a sum of d_k such products, so its variance is d_k and its spread grows like √d_k. Large
scores push softmax into saturation (one weight near 1, the rest near 0), where its gradient
vanishes and the model stops learning which keys matter. Dividing by √d_k brings the spread back
to about 1 whatever the width of the heads.

Shape vocabulary used on every signature (leading `..` means any batch or head axes):
    seq      number of tokens (seq_q for queries, seq_k for keys when they differ)
    d_model  width of an embedding
    n_heads  number of attention heads
    d_k      width of one head's queries and keys
    d_v      width of one head's values
    width    any other vector width (character codes padded to the longest word)

Mask convention, everywhere: a boolean array, True = this query may attend to this key.
"""

from attention.contributions import ContributionShares, pair_norms, pair_vectors, shares
from attention.core import (
    AttentionTrace,
    attend,
    causal_mask,
    masked_fill,
    scale_scores,
    scaled_dot_product_attention,
    scores,
    softmax,
)
from attention.decode import DecodeTrace, cached_decode
from attention.embed import char_embeddings, tokenize
from attention.explain import CellExplanation, explain_cell, explain_trace_cell
from attention.heads import WEIGHT_INITS, MultiHeadTrace, merge_heads, multi_head_attention, split_heads
from attention.masks import MASK_KINDS, build_mask, padding_mask, prefix_mask, sliding_window_mask
from attention.notebook import length_weights, walkthrough, weighted_sum
from attention.pipeline import EMBEDDING_KINDS, PAD, Settings, Trace, run
from attention.rollout import HeadSummary, attention_rollout, head_summary, rank_heads
from attention.scaling import (
    RowStats,
    SpreadTable,
    jacobian_norm,
    row_entropy,
    row_stats,
    saturation_summary,
    score_spread,
    softmax_jacobian,
)
from attention.sinks import SinkProfile, sink_profile, sink_rate, sink_rates, softmax_plus_one
from attention.tiling import OnlineTrace, online_attention

__all__ = [
    "HeadSummary",
    "attention_rollout",
    "head_summary",
    "rank_heads",
    "CellExplanation",
    "RowStats",
    "SpreadTable",
    "explain_cell",
    "explain_trace_cell",
    "jacobian_norm",
    "row_entropy",
    "row_stats",
    "saturation_summary",
    "score_spread",
    "softmax_jacobian",
    "EMBEDDING_KINDS",
    "MASK_KINDS",
    "PAD",
    "WEIGHT_INITS",
    "AttentionTrace",
    "MultiHeadTrace",
    "Settings",
    "Trace",
    "attend",
    "build_mask",
    "causal_mask",
    "char_embeddings",
    "length_weights",
    "masked_fill",
    "merge_heads",
    "multi_head_attention",
    "padding_mask",
    "prefix_mask",
    "run",
    "scale_scores",
    "scaled_dot_product_attention",
    "scores",
    "sliding_window_mask",
    "softmax",
    "split_heads",
    "tokenize",
    "walkthrough",
    "weighted_sum",
    "ContributionShares",
    "pair_norms",
    "pair_vectors",
    "shares",
    "DecodeTrace",
    "cached_decode",
    "SinkProfile",
    "sink_profile",
    "sink_rate",
    "sink_rates",
    "softmax_plus_one",
    "OnlineTrace",
    "online_attention",
]
