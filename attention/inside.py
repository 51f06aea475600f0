"""Beyond the weights, read off the page's traces: what each key contributes, and where unused weight goes.

The toy's trace (attention.pipeline) and the encoder's (attention.pretrained) hold every head's
weights and values; this module puts them through attention.contributions and attention.sinks the
way the page shows them:

- W_O^h, the rows of the output projection that head h's values meet, so head h's part of the
  output is weights_h @ v_h @ W_O^h (the toy's single head has no W_O: its output is its own);
- each head's contributions ‖α_ij · v_j W_O^h‖ beside its weights, and the check that the pair
  vectors f_ij summed over the keys give the head's part of the output;
- the special tokens and punctuation, each key's share of a head's weight and of its contribution;
- how often a group of keys ([CLS], [SEP], the punctuation) is a sink, per layer.
"""

from dataclasses import dataclass

import numpy as np

from attention.contributions import ContributionShares, pair_norms, pair_vectors, shares
from attention.core import masked_fill, softmax
from attention.rollout import is_punctuation
from attention.sinks import head_weight_on, sink_profile, softmax_plus_one

SPECIAL = ("[CLS]", "[SEP]", "[PAD]")
CHUNK = 16  # query rows of pair vectors built at once by the sum check: [16, seq_k, d_out] at a time


def head_rows(w_o, h, n_heads, d_v):  # [n_heads·d_v, d_out] | None, int, int, int -> [d_v, d_out]
    """W_O^h: head h's rows of the output projection; the identity when there is none (one head)."""
    if w_o is None:
        return np.eye(d_v)
    if w_o.shape[0] != n_heads * d_v:
        raise ValueError(f"w_o has {w_o.shape[0]} rows, not n_heads·d_v = {n_heads * d_v}")
    return w_o[h * d_v : (h + 1) * d_v]


def output_rows(weights, n_heads):  # attention.bert.BertWeights, int -> [n_layers, n_heads, d_k, d_model]
    """Every layer's W_O cut into its heads' rows (an encoder's, whose every layer has one)."""
    w = np.stack([np.asarray(layer.w_o) for layer in weights.layers])
    n_layers, width, d_model = w.shape
    return w.reshape(n_layers, n_heads, width // n_heads, d_model)


def max_difference(a, b):  # arrays of one shape -> float, max |a − b| (0 for empty arrays)
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.abs(a - b).max(initial=0.0))


@dataclass(frozen=True)
class HeadContributions:
    """One head's weights beside what each key adds to its output."""

    weights: np.ndarray  # [q, k]  α_ij
    norms: np.ndarray  # [q, k]  ‖α_ij · v_j W_O^h‖
    shares: ContributionShares  # row shares of weight and of norm, and their means per key
    part: np.ndarray  # [q, d_out]  the head's part of the output, weights @ v @ W_O^h
    sum_error: float  # max |Σ_j f_ij − part|: the pair vectors add up to the head's output


def head_contributions(weights, values, w_o_h):  # [q, k], [k, d_v], [d_v, d_out] -> HeadContributions
    """Norms, shares and the sum check of one head; the pair vectors are summed a few rows at a time."""
    w = np.nan_to_num(np.asarray(weights), nan=0.0)
    norms = pair_norms(w, values, w_o_h)
    part = w @ values @ w_o_h
    error = 0.0
    for start in range(0, len(w), CHUNK):
        rows = slice(start, start + CHUNK)
        error = max(error, max_difference(pair_vectors(w[rows], values, w_o_h).sum(axis=-2), part[rows]))
    return HeadContributions(w, norms, shares(w, norms), part, error)


def toy_contributions(trace, h):  # attention.Trace, int -> HeadContributions
    """Head h of the toy: its weights, its values and its rows of W_O (none for one head)."""
    a, n = trace.attention, trace.settings.n_heads
    return head_contributions(a.weights[h], a.v[h], head_rows(trace.w_o, h, n, a.v.shape[-1]))


def marked(tokens):  # seq × str -> list of (position, token): the special tokens and the punctuation
    return [(p, t) for p, t in enumerate(tokens) if t in SPECIAL or is_punctuation(t)]


def marked_shares(s, tokens):  # ContributionShares of one head, seq × str -> [(token, weight, contribution)]
    """Each special token's and punctuation key's mean share of the weight and of the contribution."""
    return [(t, float(s.key_weight[p]), float(s.key_contribution[p])) for p, t in marked(tokens)]


def marked_positions(tokens):  # seq × str -> list of the positions of the special tokens and punctuation
    return [p for p, _ in marked(tokens)]


def every_head_on(weights, values, w_o_rows, keys):  # [L, H, q, k], [L, H, k, d_v], [L, H, d_v, d], keys
    """-> (weight, contribution) [L, H]: each head's mean share of weight and of contribution on the keys."""
    weight, contribution = np.zeros(weights.shape[:2]), np.zeros(weights.shape[:2])
    for layer in range(len(weights)):  # one layer at a time: [H, q, k] norms, never [L, H, q, k]
        s = shares(weights[layer], pair_norms(weights[layer], values[layer], w_o_rows[layer]))
        weight[layer] = s.key_weight[..., keys].sum(axis=-1)
        contribution[layer] = s.key_contribution[..., keys].sum(axis=-1)
    return weight, contribution


def widest_gap(weight, contribution):  # [L, H], [L, H] -> (layer, head)
    """The head whose marked keys take the most more weight than they contribute."""
    layer, head = np.unravel_index(np.argmax(weight - contribution), weight.shape)
    return int(layer), int(head)


def sink_groups(tokens):  # seq × str -> dict name -> list of positions, only the groups the text has
    """[CLS], [SEP] and the punctuation, each as the positions of its keys."""
    groups = {name: [p for p, t in enumerate(tokens) if t == name] for name in SPECIAL[:2]}
    groups["punctuation"] = [p for p, t in enumerate(tokens) if is_punctuation(t)]
    return {name: positions for name, positions in groups.items() if positions}


def sink_candidates(tokens):  # seq × str -> list of positions: the groups' keys first, then the others
    first = sorted({p for positions in sink_groups(tokens).values() for p in positions})
    return first + [p for p in range(len(tokens)) if p not in first]


def group_weight_on(weights, positions):  # [L, H, seq, seq], list[int] -> [L, H]
    """ᾱ_lh of a group of keys: each head's weight on them together, averaged over its queries."""
    return sum(head_weight_on(weights, p) for p in positions)


def group_sink_rates(weights, positions, eps):  # [L, H, seq, seq], list[int], float -> [L]
    """Per layer, the share of heads whose mean weight on the group is more than eps (Sink^ε)."""
    if not 0 <= eps < 1:
        raise ValueError(f"eps must be in [0, 1), got {eps}")
    return (group_weight_on(weights, positions) > eps).mean(axis=-1)


def sink_rates_by_group(weights, tokens, eps):  # [L, H, seq, seq], seq × str, float -> dict name -> [L]
    """Sink^ε per layer of [CLS], [SEP] and the punctuation (the groups the text has)."""
    return {name: group_sink_rates(weights, p, eps) for name, p in sink_groups(tokens).items()}


@dataclass(frozen=True)
class SinkView:
    """One head's candidate sink key t beside every key and value of the head."""

    profile: object  # attention.sinks.SinkProfile
    key_norms: np.ndarray  # [seq]  ‖k_j‖
    value_norms: np.ndarray  # [seq]  ‖v_j‖
    weight_on: float  # the head's mean weight on key t


def sink_view(q, k, v, weights, token):  # [seq, d_k], [seq, d_k], [seq, d_v], [seq, seq], int -> SinkView
    profile = sink_profile(q, k, v, token)
    norms = np.linalg.norm(k, axis=-1), np.linalg.norm(v, axis=-1)
    return SinkView(profile, *norms, float(np.asarray(weights)[:, profile.token].mean()))


@dataclass(frozen=True)
class NullWeights:
    """Each row's weights on the keys and, in a last column, the mass that went to no key."""

    weights: np.ndarray  # [q, k + 1]
    least: float  # the smallest row sum over the keys
    most: float  # the largest


def with_null(scaled, mask=None, offset=0.0, plus_one=True):  # [q, k], bool [q, k] | None -> NullWeights
    """The weights of the scores lowered by `offset`, with the mass on no key as a last column.

    softmax (plus_one False) gives every row to the keys whatever the offset, so the last column is
    0; softmax + 1 keeps exp(0) for "nothing" and the last column is 1 − the row's sum.
    """
    s = np.asarray(scaled, dtype=np.float64) - offset
    w = softmax_plus_one(s, mask) if plus_one else softmax(masked_fill(s, mask, -np.inf))
    kept = w.sum(axis=-1, keepdims=True)
    rest = np.clip(1 - kept, 0.0, 1.0) if plus_one else np.zeros_like(kept)
    return NullWeights(np.concatenate([w, rest], axis=-1), float(kept.min()), float(kept.max()))


__all__ = [
    "HeadContributions",
    "NullWeights",
    "SinkView",
    "every_head_on",
    "group_sink_rates",
    "group_weight_on",
    "head_contributions",
    "head_rows",
    "marked",
    "marked_positions",
    "marked_shares",
    "max_difference",
    "output_rows",
    "sink_candidates",
    "sink_groups",
    "sink_rates_by_group",
    "sink_view",
    "toy_contributions",
    "widest_gap",
    "with_null",
]
