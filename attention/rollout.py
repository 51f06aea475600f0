"""Reading a trained encoder's attention as a whole: rollout, per-head summaries, the heads ranked.

Attention rollout (Abnar & Zuidema, 2020, "Quantifying Attention Flow in Transformers"): a layer's
weights say how much a token takes from each token of the layer below, but the residual connection
carries the token itself through too, so each layer is modelled as half attention, half identity:

    Ã_l = rownorm(½ · mean_h A_l,h + ½ · I),    rollout_l = Ã_l · Ã_(l-1) · … · Ã_0

rollout_l[i, j] is how much of input token j reaches position i after layer l, when the heads are
averaged and the mix is taken to be linear: an estimate, not a measurement, which is why the page
shows it beside the raw weights.

Per-head summaries follow Clark et al. (2019), "What Does BERT Look At?": many heads put most of
their weight on [CLS], on [SEP], on the previous or next token, on the token itself or on
punctuation, and a few spread it broadly. A head's shares and its mean entropy name its pattern.
"""

import unicodedata
from dataclasses import dataclass

import numpy as np

SHARES = ("cls", "sep", "previous", "next", "self", "punctuation")  # the patterns a head can have
DOMINANT = 0.5  # a share at least this large names the head's pattern
BROAD = 0.5  # otherwise "broad" when the mean entropy is at least this fraction of log2(seq) bits


def _check(weights):  # [n_layers, n_heads, seq, seq] -> float [n_layers, n_heads, seq, seq]
    w = np.asarray(weights)
    if w.ndim != 4 or w.shape[-1] != w.shape[-2] or w.shape[-1] < 1:
        raise ValueError(f"weights must be [n_layers, n_heads, seq, seq] with seq >= 1, got {w.shape}")
    return w if np.issubdtype(w.dtype, np.floating) else w.astype(np.float64)


def attention_rollout(weights):  # [n_layers, n_heads, seq, seq] -> [n_layers, seq, seq]
    """Attention rolled out through the layers, the residual path counted as half of each layer.

    Without the identity half, a product of attention maps forgets that every token also keeps
    itself; renormalising keeps each row a distribution over the input tokens.
    """
    w = _check(weights)
    mixed = 0.5 * w.mean(axis=1) + 0.5 * np.eye(w.shape[-1], dtype=w.dtype)  # [n_layers, seq, seq]
    mixed /= mixed.sum(axis=-1, keepdims=True)
    out = np.empty_like(mixed)
    out[0] = mixed[0]
    for layer in range(1, len(mixed)):
        out[layer] = mixed[layer] @ out[layer - 1]
    return out


def is_punctuation(token):  # str -> bool
    """A token made only of Unicode punctuation characters (categories Pc, Pd, Ps, Pe, Pi, Pf, Po).

    So ".", "'", "--", "##," and "‽" are punctuation; "$" (a symbol), "[SEP]" and "it's" are not.
    """
    return len(token) > 0 and all(unicodedata.category(c).startswith("P") for c in token)


@dataclass(frozen=True)
class HeadSummary:
    """What each head attends to, averaged over its query rows; every array is [n_layers, n_heads]."""

    entropy: np.ndarray  # mean row entropy in bits: 0 = one key per row, log2(seq) = uniform
    cls: np.ndarray  # mean weight on [CLS] keys
    sep: np.ndarray  # mean weight on [SEP] keys
    previous: np.ndarray  # mean weight on the key just before the query (queries 1..seq-1)
    next: np.ndarray  # mean weight on the key just after the query (queries 0..seq-2)
    self: np.ndarray  # mean weight on the query's own position
    punctuation: np.ndarray  # mean weight on punctuation keys (see is_punctuation)
    pattern: np.ndarray  # str: the largest share's name if >= DOMINANT, else "broad" or "mixed"


def _entropy_bits(w):  # [.., seq_q, seq_k] -> [..]  mean over the query rows
    """-Σ p log2 p per row (0 · log 0 = 0), averaged over the rows."""
    logs = np.log2(w, out=np.zeros_like(w), where=w > 0)
    return -(w * logs).sum(axis=-1).mean(axis=-1)


def _on_keys(w, keys):  # [.., seq, seq], bool [seq] -> [..]
    """Mean over the query rows of the weight on the chosen keys."""
    return w[..., keys].sum(axis=-1).mean(axis=-1)


def _diagonal(w, offset):  # [.., seq, seq], int -> [..]
    """Mean of w[i, i + offset] over the queries that have such a key; 0 when none has."""
    d = np.diagonal(w, offset=offset, axis1=-2, axis2=-1)
    return d.mean(axis=-1) if d.shape[-1] else np.zeros(w.shape[:-2], w.dtype)


def head_summary(weights, tokens):  # [n_layers, n_heads, seq, seq], seq × str -> HeadSummary
    """Each head's entropy, its shares of weight by kind of key, and the pattern they name."""
    w = _check(weights)
    tokens = [str(t) for t in tokens]
    if len(tokens) != w.shape[-1]:
        raise ValueError(f"{len(tokens)} tokens for attention over {w.shape[-1]} positions")
    shares = {
        "cls": _on_keys(w, np.array([t == "[CLS]" for t in tokens])),
        "sep": _on_keys(w, np.array([t == "[SEP]" for t in tokens])),
        "previous": _diagonal(w, -1),
        "next": _diagonal(w, 1),
        "self": _diagonal(w, 0),
        "punctuation": _on_keys(w, np.array([is_punctuation(t) for t in tokens])),
    }
    entropy = _entropy_bits(w)
    stacked = np.stack([shares[name] for name in SHARES])  # [len(SHARES), n_layers, n_heads]
    top = stacked.argmax(axis=0)  # ties go to the earlier name in SHARES
    spread = np.where(entropy >= BROAD * np.log2(w.shape[-1]), "broad", "mixed")
    pattern = np.where(stacked.max(axis=0) >= DOMINANT, np.array(SHARES)[top], spread)
    return HeadSummary(entropy=entropy, pattern=pattern, **shares)


def rank_heads(weights, query, key):  # [n_layers, n_heads, seq, seq], int, int -> [(layer, head, weight)]
    """Every head ordered by the weight its query row puts on the key, largest first.

    Answers "where does *it* look": the page opens the first. Ties keep layer-then-head order.
    """
    w = _check(weights)
    seq = w.shape[-1]
    for name, position in (("query", query), ("key", key)):
        if not 0 <= position < seq:
            raise ValueError(f"{name}={position} is not a position in 0..{seq - 1}")
    cell = w[:, :, query, key]  # [n_layers, n_heads]
    order = np.argsort(-cell, axis=None, kind="stable")
    layers, heads = np.unravel_index(order, cell.shape)
    return [(int(lay), int(h), float(cell[lay, h])) for lay, h in zip(layers, heads, strict=True)]


__all__ = ["SHARES", "HeadSummary", "attention_rollout", "head_summary", "is_punctuation", "rank_heads"]
