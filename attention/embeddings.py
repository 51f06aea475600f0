"""Turning tokens into vectors (X), positions into vectors, and drawing the projection weights.

All randomness comes from a generator passed in or seeded explicitly: the same settings always
give the same numbers.
"""

import hashlib

import numpy as np

WEIGHT_INITS = ("normal", "uniform")


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


def sinusoidal_positions(seq, d_model):  # int, int -> [seq, d_model]
    """The Transformer's positional encoding: sin on even columns, cos on odd, wavelengths 2π..10⁴·2π."""
    pos = np.arange(seq)[:, None]
    pair = np.arange(d_model)[None, :] // 2
    angle = pos / 10000 ** (2 * pair / d_model)
    return np.where(np.arange(d_model) % 2 == 0, np.sin(angle), np.cos(angle))


def init_weight(rng, shape, kind):  # Generator, (fan_in, fan_out), str -> [fan_in, fan_out]
    """A projection matrix: N(0, 1/fan_in) ("normal") or the notebook's uniform [0, 1)."""
    if kind == "normal":
        return rng.standard_normal(shape) / np.sqrt(shape[0])
    if kind == "uniform":
        return rng.random(shape)
    raise ValueError(f"unknown weight init {kind!r}; choose one of {WEIGHT_INITS}")
