"""The notebook's first walkthrough, "string to numeric arrays", with its two bugs fixed.

The notebook embeds each word as its letters' alphabet positions (a=1 .. z=26), weights each word
by its share of the characters, and sums the weighted vectors. It keyed its dicts by word, so a
repeated word collapsed into one entry, and it summed with `zip`, which stops at the shortest
vector: its "final vector" kept 2 of 9 numbers. Here every position counts and the rows are
zero-padded to the longest word, so nothing is cut.
"""

from dataclasses import dataclass

import numpy as np

from attention.embed import char_embeddings, require_tokens, tokenize


def length_weights(tokens):  # list[str] -> [seq]
    """len(token) / total characters, one weight per position; sums to 1."""
    require_tokens(tokens)
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
    require_tokens(tokens)
    words = list(dict.fromkeys(tokens))  # a repeated word collapsed into one dict entry
    total = sum(len(t) for t in tokens)
    width = min(len(w.lower()) for w in words)
    return sum(len(w) / total * char_embeddings([w])[0, :width] for w in words)


@dataclass(frozen=True)
class Walkthrough:
    """Every number of the notebook's walkthrough for one sentence, computed correctly."""

    tokens: list  # seq words
    codes: np.ndarray  # [seq, width]  character codes, zero-padded to the longest word
    weights: np.ndarray  # [seq]  each word's share of the characters
    vector: np.ndarray  # [width]  Σ weightᵢ · codesᵢ, every position kept
    total: float  # the sum of `vector`: the notebook's "processed output"
    weights_sum: float  # Σ weights, 1 up to rounding
    notebook_vector: np.ndarray  # [shortest word]  what the notebook itself printed (cut by zip)
    notebook_total: float  # the notebook's own "processed output": the sum of its cut vector


def walkthrough(sentence):  # str -> Walkthrough
    """The notebook's string-to-numbers walkthrough on a sentence, with the notebook's own result."""
    tokens = tokenize(sentence)
    codes, weights = char_embeddings(tokens), length_weights(tokens)
    vector, cut = weighted_sum(codes, weights), notebook_final_vector(tokens)
    totals = float(vector.sum()), float(np.sum(weights))
    return Walkthrough(tokens, codes, weights, vector, *totals, cut, float(np.sum(cut)))
