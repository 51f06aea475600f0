"""d_k in motion: the weights of one head as d_k steps through 1 … 512, with and without ÷√d_k.

Everything else stays as set (the sentence, the seed, the mask), so the frames differ only in the
width of the queries and keys. With ÷√d_k the rows keep their spread; without it they sharpen as d_k
grows, until one key takes nearly all of a row.
"""

from dataclasses import dataclass

import numpy as np

from attention.pipeline import run

D_KS = tuple(2**p for p in range(10))  # 1, 2, 4, .., 512


@dataclass(frozen=True)
class DkFrames:
    """The shown head's weights for each d_k, scaled and unscaled."""

    d_ks: tuple  # the d_k of each frame
    scaled: np.ndarray  # [frames, seq, seq]  softmax(Q Kᵀ / (τ·√d_k))
    unscaled: np.ndarray  # [frames, seq, seq]  softmax(Q Kᵀ / τ)
    tokens: tuple
    mask: np.ndarray | None  # bool [seq, seq]


def dk_frames(settings, head=0, d_ks=D_KS):  # Settings, int, ints -> DkFrames
    """Run the pipeline at every d_k of `d_ks`, scaling on and off, and keep one head's weights."""
    traces = {(d, s): run(settings.replace(d_k=d, scaling=s)) for d in d_ks for s in (True, False)}
    pick = {s: np.stack([traces[d, s].attention.weights[head] for d in d_ks]) for s in (True, False)}
    first = traces[d_ks[0], True]
    return DkFrames(tuple(d_ks), pick[True], pick[False], first.tokens, first.mask)
