"""The notebook's first walkthrough, "string to numeric arrays", with its two bugs fixed.

The notebook embeds each word as its letters' alphabet positions (a=1 .. z=26), weights each word
by its share of the characters, and sums the weighted vectors. It keyed its dicts by word, so a
repeated word collapsed into one entry, and it summed with `zip`, which stops at the shortest
vector: its "final vector" kept 2 of 9 numbers. Here every position counts and the rows are
zero-padded to the longest word, so nothing is cut.
"""

import numpy as np


def tokenize(text):  # str -> list[str]
    """Split on whitespace, as the notebook does."""
    return str(text).split()


def _require_tokens(tokens):
    if len(tokens) == 0:
        raise ValueError("the token list is empty: type at least one word")


def char_embeddings(tokens):  # list[str] -> [seq, width]
    """Each character of token.lower() as ord(c) - 96, zero-padded on the right to the longest."""
    _require_tokens(tokens)
    lowered = [t.lower() for t in tokens]  # may change length: "İ".lower() is two characters
    out = np.zeros((len(tokens), max(len(t) for t in lowered)))
    for row, token in enumerate(lowered):
        out[row, : len(token)] = [ord(c) - 96 for c in token]
    return out


def length_weights(tokens):  # list[str] -> [seq]
    """len(token) / total characters, one weight per position; sums to 1."""
    _require_tokens(tokens)
    lengths = np.array([len(t) for t in tokens], dtype=np.float64)
    return lengths / lengths.sum()


def weighted_sum(embeddings, weights):  # [seq, width], [seq] -> [width]
    """Σ weightᵢ · embeddingᵢ over the zero-padded rows, keeping the full width."""
    embeddings, weights = np.asarray(embeddings, dtype=np.float64), np.asarray(weights)
    if embeddings.ndim != 2 or weights.shape != embeddings.shape[:1]:
        raise ValueError(
            f"need embeddings [seq, width] and weights [seq], got {embeddings.shape} and {weights.shape}"
        )
    return weights @ embeddings


def notebook_final_vector(tokens):  # list[str] -> [shortest word's length]
    """What the notebook itself printed: one entry per distinct word (its dicts were keyed by word),
    summed with `zip`, which stops at the shortest word. Kept to show the difference, not to use."""
    _require_tokens(tokens)
    words = list(dict.fromkeys(tokens))  # a repeated word collapsed into one dict entry
    total = sum(len(t) for t in tokens)
    width = min(len(w.lower()) for w in words)
    return sum(len(w) / total * char_embeddings([w])[0, :width] for w in words)
