"""From text to X: split the sentence into tokens, and turn each token (and position) into a vector.

All randomness comes from a generator passed in or seeded explicitly: the same settings always
give the same numbers. The character-code embedding is the notebook's own (a = 1 .. z = 26).
"""

import hashlib

import numpy as np


def tokenize(text):  # str -> list[str]
    """Split on whitespace, as the notebook does: the one place the page splits a sentence."""
    return str(text).split()


def require_tokens(tokens):
    if len(tokens) == 0:
        raise ValueError("the token list is empty: type at least one word")


def token_seed(token):  # str -> int
    """A stable 64-bit number for a token's text (the same on every machine and run)."""
    digest = hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def hashed_embeddings(tokens, d_model, seed):  # list[str], int, int -> [seq, d_model]
    """Each token's vector is N(0, 1) noise seeded by (seed, the token's text).

    The same word gets the same vector wherever it stands, so editing one word changes only that
    word's row of X.
    """
    rows = [np.random.default_rng([seed, token_seed(t)]).standard_normal(d_model) for t in tokens]
    return np.array(rows).reshape(len(tokens), d_model)


def random_embeddings(n, d_model, rng):  # int, int, Generator -> [n, d_model]
    """The notebook's X = rand(n, d_model): uniform [0, 1) noise that ignores the words."""
    return rng.random((n, d_model))


def char_width(tokens):  # list[str] -> int, the d_model of char_embeddings: the longest lowered token
    return max((len(t.lower()) for t in tokens), default=0)


def char_embeddings(tokens):  # list[str] -> [seq, width]
    """Each character of token.lower() as ord(c) - 96, zero-padded on the right to the longest."""
    require_tokens(tokens)
    lowered = [t.lower() for t in tokens]  # may change length: "İ".lower() is two characters
    out = np.zeros((len(tokens), char_width(tokens)))
    for row, token in enumerate(lowered):
        out[row, : len(token)] = [ord(c) - 96 for c in token]
    return out


def sinusoidal_positions(seq, d_model):  # int, int -> [seq, d_model]
    """The Transformer's positional encoding: sin on even columns, cos on odd, wavelengths 2π..10⁴·2π."""
    pos = np.arange(seq)[:, None]
    pair = np.arange(d_model)[None, :] // 2
    angle = pos / 10000 ** (2 * pair / d_model)
    return np.where(np.arange(d_model) % 2 == 0, np.sin(angle), np.cos(angle))
