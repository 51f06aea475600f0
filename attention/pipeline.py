"""From settings to every intermediate the page draws: one validated dataclass in, one trace out.

sentence -> tokens (one per word, or cut or padded to a fixed seq_len) -> X (+ positions)
         -> Q, K, V per head -> scores -> scaled -> masked -> weights -> weights·V -> concat -> ·W_O
"""

import numbers
from dataclasses import dataclass, fields

import numpy as np

from attention.embed import (
    char_embeddings,
    char_width,
    hashed_embeddings,
    random_embeddings,
    sinusoidal_positions,
    tokenize,
)
from attention.heads import WEIGHT_INITS, MultiHeadTrace, head_slice, multi_head_attention, nested_projections
from attention.masks import MASK_KINDS, build_mask

PAD = "[PAD]"
EMBEDDING_KINDS = ("hashed", "char codes", "random")
DEFAULT_SENTENCE = "The weather is beautiful today in Melbourne"
MAX_CHARS = 5000  # about 800 words: well past the 512 positions the page can show
LIMITS = {  # inclusive ranges of the numeric settings
    "seq_len": (0, 512),  # 0: as many positions as the sentence has tokens
    "d_model": (1, 512),
    "d_k": (1, 512),
    "n_heads": (1, 8),
    "seed": (0, 999),
    "window": (1, 512),
    "prefix": (0, 512),
    "temperature": (0.05, 20.0),
}
CHOICES = {"embedding": EMBEDDING_KINDS, "weight_init": WEIGHT_INITS, "mask": MASK_KINDS}


@dataclass(frozen=True)
class Settings:
    """Everything that determines the numbers on the page. Validated once, on creation."""

    sentence: str = DEFAULT_SENTENCE
    seq_len: int = 0  # 0 follows the sentence; a fixed length cuts or pads with [PAD]
    d_model: int = 16
    d_k: int = 16
    n_heads: int = 1
    seed: int = 0
    embedding: str = "hashed"
    weight_init: str = "normal"
    mask: str = "padding"
    window: int = 3  # sliding-window width
    prefix: int = 2  # prefix-LM: the first `prefix` tokens see each other
    scaling: bool = True
    temperature: float = 1.0
    positions: bool = False

    def __post_init__(self):
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            number = numbers.Real if name == "temperature" else numbers.Integral
            if isinstance(value, bool) or not isinstance(value, number) or not low <= value <= high:
                raise ValueError(f"{name}={value!r} is outside {low}..{high}")
        for name, options in CHOICES.items():
            if getattr(self, name) not in options:
                raise ValueError(f"{name}={getattr(self, name)!r} is not one of {options}")
        if len(self.sentence) > MAX_CHARS:
            raise ValueError(f"the sentence has {len(self.sentence)} characters; at most {MAX_CHARS}")
        longest = char_width(tokenize(self.sentence))
        if self.embedding == "char codes" and longest > LIMITS["d_model"][1]:
            raise ValueError(
                f"embedding='char codes' makes d_model the longest word's length, {longest}: "
                f"at most {LIMITS['d_model'][1]}"
            )

    @property
    def length(self):
        """The number of positions: seq_len when fixed, else the sentence's tokens (at most 512)."""
        return self.seq_len or min(len(tokenize(self.sentence)), LIMITS["seq_len"][1])

    @property
    def root_d_k(self):
        """√d_k: how the spread of raw scores grows with the width of a head."""
        return float(np.sqrt(self.d_k))

    @property
    def divisor(self):
        """What the scores are divided by: τ·√d_k, or τ alone with scaling off."""
        return self.temperature * (self.root_d_k if self.scaling else 1.0)

    @property
    def scale(self):
        """The factor applied to the scores: 1 / divisor."""
        return 1.0 / self.divisor

    def replace(self, **changes):
        return Settings(**{f.name: getattr(self, f.name) for f in fields(self)} | changes)


@dataclass(frozen=True)
class Trace:
    """Every intermediate of one run, in the order of the pipeline."""

    settings: Settings
    tokens: tuple  # seq labels, [PAD] included
    is_pad: np.ndarray  # bool [seq]
    n_words: int  # words in the sentence before cutting to seq_len
    x: np.ndarray  # [seq, d_model]  embeddings, positions included
    w_q: np.ndarray  # [d_model, n_heads·d_k]
    w_k: np.ndarray  # [d_model, n_heads·d_k]
    w_v: np.ndarray  # [d_model, n_heads·d_v]
    w_o: np.ndarray | None  # [n_heads·d_v, d_model], None for a single head
    mask: np.ndarray | None  # bool [seq, seq], True = may attend
    attention: MultiHeadTrace

    @property
    def n_dropped(self):
        return max(self.n_words - len(self.tokens), 0)

    @property
    def dropped(self):  # the words cut off by a fixed sequence length, in order
        return tuple(tokenize(self.settings.sentence)[len(self.words) :]) if self.n_dropped else ()

    @property
    def n_pad(self):
        return int(self.is_pad.sum())

    @property
    def words(self):  # the real tokens, padding left out
        return self.tokens[: len(self.tokens) - self.n_pad]

    def head_projections(self, h):  # int -> ([d_model, d_k], [d_model, d_k], [d_model, d_v])
        """Head h's columns of W_Q, W_K and W_V."""
        n = self.settings.n_heads
        return tuple(head_slice(w, h, n) for w in (self.w_q, self.w_k, self.w_v))

    def allowed(self):  # -> bool [seq, seq], the mask, or all True when there is none
        n = len(self.tokens)
        return np.ones((n, n), dtype=bool) if self.mask is None else self.mask


def fit_tokens(words, seq_len):  # list[str], int -> (tuple[str], bool [seq_len])
    """Cut to seq_len tokens, or pad with [PAD] up to it."""
    kept = list(words[:seq_len])
    is_pad = np.arange(seq_len) >= len(kept)
    return tuple(kept + [PAD] * (seq_len - len(kept))), is_pad


def embed(words, is_pad, s, rng):  # list[str], bool [seq], Settings -> [seq, d_model]
    """X for the real words, zero rows for padding, plus positions when switched on."""
    if s.embedding == "char codes":
        real = char_embeddings(words)
    elif s.embedding == "hashed":
        real = hashed_embeddings(words, s.d_model, s.seed)
    else:
        real = random_embeddings(len(words), s.d_model, rng)
    x = np.zeros((len(is_pad), real.shape[1]))
    x[: len(words)] = real
    return x + sinusoidal_positions(*x.shape) if s.positions else x


def run(settings):  # Settings -> Trace
    """The whole pipeline for one set of settings. Deterministic for a seed."""
    words = tokenize(settings.sentence)
    if not words:
        raise ValueError("the sentence is empty: type at least one word")
    tokens, is_pad = fit_tokens(words, settings.length)
    x_rng = np.random.default_rng(np.random.SeedSequence(settings.seed).spawn(2)[1])
    x = embed(list(tokens[: (~is_pad).sum()]), is_pad, settings, x_rng)
    s = settings  # each head's W_Q, W_K at d_k are the first d_k columns of the same draw at a larger d_k
    w_q, w_k, w_v, w_o = nested_projections(s.seed, x.shape[1], s.n_heads, s.d_k, s.weight_init)
    mask = build_mask(settings.mask, is_pad, settings.window, settings.prefix)
    mha = multi_head_attention(x, w_q, w_k, w_v, w_o, settings.n_heads, mask, settings.scale)
    return Trace(settings, tokens, is_pad, len(words), x, w_q, w_k, w_v, w_o, mask, mha)
