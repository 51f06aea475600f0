"""Multi-head attention: project, split into heads, attend per head, merge, project out.

One head is simply n_heads=1: the heads are a leading axis, and the single-head function runs on
all of them at once.
"""

from dataclasses import dataclass

import numpy as np

from attention.core import scaled_dot_product_attention

WEIGHT_INITS = ("normal", "uniform")


def init_weight(rng, shape, kind):  # Generator, (fan_in, fan_out), str -> [fan_in, fan_out]
    """A projection matrix: N(0, 1/fan_in) ("normal") or the notebook's uniform [0, 1)."""
    if kind == "normal":
        return rng.standard_normal(shape) / np.sqrt(shape[0])
    if kind == "uniform":
        return rng.random(shape)
    raise ValueError(f"unknown weight init {kind!r}; choose one of {WEIGHT_INITS}")


BLOCK = 16  # columns of a head drawn together: a wider d_k adds blocks and never redraws the first ones
STREAM = 0xA77E  # leads every projection seed, so no other seed list of the package meets it
PROJECTIONS = ("q", "k", "v", "o")


def head_columns(seed, which, head, d, rows, kind):  # int, str, int, int, int, str -> [rows, d]
    """The first d columns of one fixed draw for a head's projection: the same columns at any d.

    Column block b comes from its own generator, seeded by (seed, projection, head, b), so d_k 16 → 32
    keeps the first 16 columns and adds 16; the values are unscaled (N(0, 1) or uniform [0, 1)).
    """
    if kind not in WEIGHT_INITS:
        raise ValueError(f"unknown weight init {kind!r}; choose one of {WEIGHT_INITS}")
    tag = PROJECTIONS.index(which)
    blocks = []
    for b in range(-(-d // BLOCK)):
        rng = np.random.default_rng([STREAM, seed, tag, head, b])
        blocks.append(rng.standard_normal((rows, BLOCK)) if kind == "normal" else rng.random((rows, BLOCK)))
    return np.concatenate(blocks, axis=1)[:, :d]


def nested_projections(seed, d_model, n_heads, d_k, kind):  # -> (w_q, w_k, w_v, w_o | None)
    """W_Q, W_K, W_V [d_model, n_heads·d_k] and W_O [n_heads·d_k, d_model] (None for one head).

    Head h's columns (W_O: rows) at d_k are the first d_k of the same draw at any larger d_k; "normal"
    divides by √fan_in, so W_O's draw is rescaled when its fan-in n_heads·d_k changes.
    """

    def draw(which):  # -> [d_model, n_heads·d_k], the heads side by side
        return np.concatenate([head_columns(seed, which, h, d_k, d_model, kind) for h in range(n_heads)], 1)

    w_q, w_k, w_v = (draw(w) for w in "qkv")
    w_o = draw("o").T if n_heads > 1 else None
    if kind == "normal":
        w_q, w_k, w_v = (w / np.sqrt(d_model) for w in (w_q, w_k, w_v))
        w_o = None if w_o is None else w_o / np.sqrt(n_heads * d_k)
    return w_q, w_k, w_v, w_o


@dataclass(frozen=True)
class MultiHeadTrace:
    """Every intermediate of one multi-head attention call."""

    q: np.ndarray  # [n_heads, seq, d_k]
    k: np.ndarray  # [n_heads, seq, d_k]
    v: np.ndarray  # [n_heads, seq, d_v]
    scores: np.ndarray  # [n_heads, seq, seq]
    scaled: np.ndarray  # [n_heads, seq, seq]
    weights: np.ndarray  # [n_heads, seq, seq]
    heads: np.ndarray  # [n_heads, seq, d_v]  each head's weights @ v
    concat: np.ndarray  # [seq, n_heads·d_v]
    output: np.ndarray  # [seq, d_model]  concat @ w_o; the concat itself when w_o is None
    scale: float


def split_heads(x, n_heads):  # [seq, n_heads·d] -> [n_heads, seq, d]
    """Cut the last axis into n_heads equal slices and make the heads a leading axis."""
    seq, width = x.shape
    if n_heads < 1 or width % n_heads:
        raise ValueError(f"n_heads={n_heads} does not divide the projected width {width}")
    return x.reshape(seq, n_heads, width // n_heads).swapaxes(0, 1)


def head_slice(w, h, n_heads):  # [d_model, n_heads·d], int, int -> [d_model, d]
    """Head h's columns of a projection matrix: the slice split_heads gives that head."""
    d = w.shape[1] // n_heads
    return w[:, h * d : (h + 1) * d]


def merge_heads(x):  # [n_heads, seq, d] -> [seq, n_heads·d]
    """Concatenate the heads side by side, the inverse of split_heads."""
    n_heads, seq, d = x.shape
    return x.swapaxes(0, 1).reshape(seq, n_heads * d)


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None, scale=None):
    """Project x [seq, d_model] with w_q, w_k [d_model, n_heads·d_k] and w_v [d_model, n_heads·d_v],
    attend per head (scale 1/√d_k unless given), concatenate, and apply w_o [n_heads·d_v, d_model].

    `w_o=None` skips the output projection (output = concat). mask: bool [seq, seq] or
    [n_heads, seq, seq].
    """
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"x must be [seq, d_model], got shape {x.shape}")
    for name, w in (("w_q", w_q), ("w_k", w_k), ("w_v", w_v)):
        if w.ndim != 2 or w.shape[0] != x.shape[1]:
            raise ValueError(f"{name} must be [d_model={x.shape[1]}, ..], got shape {w.shape}")
    q, k, v = (split_heads(x @ w, n_heads) for w in (w_q, w_k, w_v))
    t = scaled_dot_product_attention(q, k, v, mask=mask, scale=scale)
    concat = merge_heads(t.output)
    if w_o is not None and (w_o.ndim != 2 or w_o.shape[0] != concat.shape[1]):
        raise ValueError(f"w_o must be [n_heads·d_v={concat.shape[1]}, d_model], got {w_o.shape}")
    output = concat if w_o is None else concat @ w_o
    return MultiHeadTrace(q, k, v, t.scores, t.scaled, t.weights, t.output, concat, output, t.scale)
