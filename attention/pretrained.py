"""Learned attention: a pretrained BERT-family encoder (all-MiniLM-L6-v2) and what the page reads of it.

An `Encoder` holds a checkpoint's sizes, weights and tokenizer (`exchange.checkpoint.load()` reads
them from files; nothing here does). `Encoder.run(text)` tokenizes with the model's own WordPiece
tokenizer and runs `attention.bert`, whose attention splits and merges heads with the package's own
`split_heads`/`merge_heads`. The rest of this module reads a trace the way the page shows it: one
head, the head average, or with [CLS] and [SEP] hidden.

A trace keeps each head's queries and keys but not its [n_layers, n_heads, seq, seq] scores: one
head's scores are q · kᵀ of that head alone, read when the page opens it, so a 512-piece trace holds
one such tensor (the weights) instead of two, and no read rebuilds the whole tensor for one head.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attention.bert import BertConfig, BertWeights, forward
from attention.masks import over_keys, without_tokens

SPECIAL = ("[CLS]", "[SEP]")


@dataclass(frozen=True)
class EncoderTrace:
    """Every intermediate of one sentence through the encoder, layer by layer."""

    text: str
    tokens: list  # seq word pieces as the model sees them, [CLS] and [SEP] included
    ids: np.ndarray  # int [seq]  vocabulary ids of the tokens
    n_truncated: int  # word pieces cut off because the text exceeds config.max_positions
    config: BertConfig
    hidden_states: np.ndarray  # [n_layers + 1, seq, d_model]  embeddings first, then each layer's output
    q: np.ndarray  # [n_layers, n_heads, seq, d_k]  queries, biases included
    k: np.ndarray  # [n_layers, n_heads, seq, d_k]
    v: np.ndarray  # [n_layers, n_heads, seq, d_k]
    weights: np.ndarray  # [n_layers, n_heads, seq, seq]  softmax(scaled), each row sums to 1
    scale: float  # 1/√d_k

    def head_scores(self, layer, head):  # int, int -> [seq, seq]
        """One head's scores q · kᵀ, computed from its queries and keys alone."""
        return self.q[layer, head] @ self.k[layer, head].T

    def head_scaled(self, layer, head):  # int, int -> [seq, seq]
        """One head's scores times the scale: what its softmax received."""
        return self.head_scores(layer, head) * self.scale

    @property
    def scores(self):  # -> [n_layers, n_heads, seq, seq]
        """Every head's scores q · kᵀ, rebuilt whole (for exports and tests; the page reads one head)."""
        return self.q @ self.k.swapaxes(-1, -2)

    @property
    def scaled(self):  # -> [n_layers, n_heads, seq, seq]
        """Every head's scores times the scale, rebuilt whole."""
        return self.scores * self.scale


@dataclass(frozen=True, eq=False)
class Encoder:
    """A loaded checkpoint: its sizes, its weights (cast to float32 on first use) and its tokenizer."""

    folder: Path
    config: BertConfig
    weights: BertWeights
    tokenizers: tuple  # (whole, cut to config.max_positions)

    def encode(self, text):  # str -> (Encoding, int)
        """The word pieces the model sees, and how many were cut off past max_positions."""
        whole, cut = self.tokenizers
        encoding = cut.encode(str(text))
        return encoding, len(whole.encode(str(text)).ids) - len(encoding.ids)

    def tokenize(self, text):  # str -> list[str]
        """The word pieces of the text, [CLS] and [SEP] included, cut to max_positions."""
        return list(self.encode(text)[0].tokens)

    def run(self, text, dtype=np.float64):  # str -> EncoderTrace
        """Tokenize and run the encoder: float64 (the exactness reference) or float32 (about 2× faster)."""
        encoding, n_truncated = self.encode(text)
        ids = np.array(encoding.ids, dtype=np.int64)
        out = forward(ids, self.weights, self.config, dtype=dtype)
        return EncoderTrace(
            text=str(text),
            tokens=list(encoding.tokens),
            ids=ids,
            n_truncated=n_truncated,
            config=self.config,
            hidden_states=out.hidden_states,
            q=out.q,
            k=out.k,
            v=out.v,
            weights=out.weights,
            scale=out.scale,
        )


def kept(tokens, hide_special):  # list[str], bool -> bool [seq]
    """Which word pieces the page shows: all, or all but [CLS] and [SEP]."""
    return np.array([not (hide_special and t in SPECIAL) for t in tokens], dtype=bool)


@dataclass(frozen=True)
class HeadView:
    """One head (or the average of a layer's heads) on the kept word pieces, rows rescaled to sum to 1."""

    tokens: list  # the kept word pieces
    scores: np.ndarray | None  # [kept, kept]  q · kᵀ; None for the head average
    scaled: np.ndarray | None  # [kept, kept]  scores × scale
    weights: np.ndarray  # [kept, kept]  over the kept keys; the head average rescales each head first


def head_view(trace, layer, head, keep):  # EncoderTrace, int, int | None, bool [seq] -> HeadView
    """What the page draws for one layer and head (None = the mean of the layer's heads)."""
    tokens = [t for t, k in zip(trace.tokens, keep, strict=True) if k]
    if head is None:
        return HeadView(tokens, None, None, without_tokens(trace.weights[layer], keep).mean(axis=0))
    scores = trace.head_scores(layer, head)[np.ix_(keep, keep)]  # one head's [kept, kept], never all heads'
    return HeadView(tokens, scores, scores * trace.scale, without_tokens(trace.weights[layer, head], keep))


def followed(trace, position, keep):  # EncoderTrace, int, bool [seq] -> [n_layers, n_heads, kept]
    """Where one word piece looks in every layer and head, over the kept keys."""
    return over_keys(trace.weights[:, :, position], keep)


def default_query(tokens, keep, word="it"):  # list[str], bool [seq], str -> int
    """The piece the page follows first: "it" when the text has one, else the first piece shown."""
    shown = [int(p) for p in np.flatnonzero(keep)]
    return tokens.index(word) if word in tokens and keep[tokens.index(word)] else shown[0]


def kept_weights(trace, keep):  # EncoderTrace, bool [seq] -> [n_layers, n_heads, kept, kept]
    """Every head's weights on the kept word pieces, each row rescaled over the kept keys."""
    return without_tokens(trace.weights, keep)


def position(tokens, word):  # list[str], str -> int | None
    """The first position of a word piece, or None when the text has none."""
    return tokens.index(word) if word in tokens else None


def default_key(trace, query):  # EncoderTrace, int -> int
    """The piece a query takes most from, averaged over every layer and head; [CLS], [SEP] and the
    query itself aside (the query itself when nothing else is left)."""
    mean = trace.weights[:, :, query].mean(axis=(0, 1))  # [seq]
    others = np.array([t not in SPECIAL for t in trace.tokens]) & (np.arange(len(mean)) != query)
    return int(np.flatnonzero(others)[mean[others].argmax()]) if others.any() else int(query)


def head_table(summary):  # HeadSummary -> dict[str, list], one row per head, layer then head
    """A head summary as table columns: layer, head, pattern, entropy and each share."""
    from attention.rollout import SHARES

    n_layers, n_heads = summary.entropy.shape
    layers, heads = np.divmod(np.arange(n_layers * n_heads), n_heads)
    columns = {"layer": layers.tolist(), "head": heads.tolist(), "pattern": summary.pattern.ravel().tolist()}
    columns["entropy"] = summary.entropy.ravel().tolist()
    return columns | {name: getattr(summary, name).ravel().tolist() for name in SHARES}


def heads_by_pattern(summary):  # HeadSummary -> dict[str, list[(layer, head)]]
    """The heads grouped by their pattern, the largest group first; within a group the strongest
    first (the largest share of the pattern's kind, the highest entropy for "broad")."""
    groups = {}
    for layer, head in np.ndindex(summary.pattern.shape):
        groups.setdefault(str(summary.pattern[layer, head]), []).append((layer, head))

    def strength(pattern, lh):
        values = summary.entropy if pattern in ("broad", "mixed") else getattr(summary, pattern)
        return -float(values[lh])

    ordered = {p: sorted(hs, key=lambda lh, p=p: strength(p, lh)) for p, hs in groups.items()}
    return dict(sorted(ordered.items(), key=lambda item: -len(item[1])))


def default_pair(trace):  # EncoderTrace -> (query, key)
    """The cell the page asks about first: "it" (else the first word piece) and the key it takes most from."""
    words = kept(trace.tokens, True)
    query = default_query(trace.tokens, words if words.any() else kept(trace.tokens, False))
    return query, default_key(trace, query)
