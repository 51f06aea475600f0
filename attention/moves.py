"""What moved: the weights before and after a change, cell by cell, and the sentence that says it.

After any change the page marks the cells whose weight moved by more than a threshold, and names the
biggest move: the query whose largest weight changed most ("d_k 16 → 32: the largest weight of "it"
fell from 0.41 to 0.33"). Tokens are matched by position when the two token lists are equal, and by
`attention.diff.align_tokens` otherwise, so an inserted word is new, not a shifted neighbour. Only
cells with a counterpart before can move: a new word's row and column are new, and a text with no
word in common with the one before (a paste) marks nothing and says "every word is new".

A d_k step with ÷√d_k on changes two things at once: the scores gain (or lose) dimensions, and they
are divided by another √d_k. The line tells them apart: the moved row's largest weight with the new
dimensions but the old divisor (`mid_max`), then with the new divisor too ("rose from 0.20 to 0.50:
the 16 new dimensions alone (still ÷4) make it 0.65, ÷5.66 then 0.50").
"""

from dataclasses import dataclass

import numpy as np

from attention.core import masked_fill, scale_scores, softmax
from attention.diff import align_tokens, changed_settings

THRESHOLD = 0.02  # a weight that moved by more than this is marked


@dataclass(frozen=True)
class Moves:
    """How the shown head's weights moved between two runs, on the tokens of the later one."""

    changed: (
        np.ndarray
    )  # bool [seq, seq]  |after − before| > threshold; a new word's row and column are new, not moved
    delta: np.ndarray  # [seq, seq]  after − before; NaN where the cell has no earlier counterpart
    query: int | None  # the row whose largest weight moved most (None when nothing moved)
    before_max: float  # that row's largest weight before (NaN when the row is new)
    after_max: float  # and after
    settings: tuple  # ((name, before, after), ..) of every setting that changed
    threshold: float
    mid_max: float = float("nan")  # a d_k step's row, new dimensions at the old divisor (NaN: no split)
    divisors: tuple = ()  # (before, after), what the scores were divided by, when mid_max is a number


def _matched(before_tokens, after_tokens):  # -> int [seq_after], the before position of each, -1 if new
    if tuple(before_tokens) == tuple(after_tokens):
        return np.arange(len(after_tokens))
    where = np.full(len(after_tokens), -1)
    for i, j in align_tokens(before_tokens, after_tokens).matched:
        where[j] = i
    return where


def what_moved(before, after, head=0, threshold=THRESHOLD):  # Trace, Trace, int, float -> Moves
    """Cell-by-cell change of one head's weights from `before` to `after` (the same head, or head 0)."""
    w_after = after.attention.weights[head]
    w_before = before.attention.weights[min(head, before.attention.weights.shape[0] - 1)]
    where = _matched(before.tokens, after.tokens)
    old = np.where(where >= 0, where, 0)
    known = (where >= 0)[:, None] & (where >= 0)[None, :]
    delta = np.where(known, w_after - w_before[np.ix_(old, old)], np.nan)
    changed = known & (np.abs(np.nan_to_num(delta)) > threshold)  # only cells comparable with before
    top_after = w_after.max(axis=1, initial=0.0)
    top_before = np.where(where >= 0, w_before[old].max(axis=1, initial=0.0), np.nan)
    gap = np.abs(top_after - top_before)
    query = int(np.nanargmax(gap)) if np.any(gap > threshold) else None
    pick = (lambda a: float(a[query])) if query is not None else (lambda a: float("nan"))
    settings = changed_settings(before.settings, after.settings)
    mid = _new_dimensions(before, after, settings, head, query) if query is not None else float("nan")
    divisors = () if np.isnan(mid) else (before.settings.divisor, after.settings.divisor)
    return Moves(changed, delta, query, pick(top_before), pick(top_after), settings, threshold, mid, divisors)


def _new_dimensions(before, after, settings, head, query):  # Trace, Trace, changed, int, int -> float
    """The query row's largest weight with after's scores (its d_k dimensions) divided by before's
    divisor: what the new dimensions alone did. Only for a d_k step with ÷√d_k on and the same tokens;
    NaN otherwise."""
    if (
        [name for name, *_ in settings] != ["d_k"]
        or not after.settings.scaling
        or tuple(before.tokens) != tuple(after.tokens)
    ):
        return float("nan")
    scores = scale_scores(after.attention.scores[head, query], before.settings.scale)
    mask = None if after.mask is None else after.mask[query]
    row = softmax(masked_fill(scores, mask, -np.inf))
    return float(row.max())


def _setting(name, old, new):  # -> str, one changed setting in a few words
    if name == "sentence":
        return "the sentence changed"
    if isinstance(old, bool):
        return f"{name} {'on' if new else 'off'}"
    return f"{name} {old:g} → {new:g}" if isinstance(old, float) else f"{name} {old} → {new}"


def quoted(token):  # str -> str, a token in plain text
    return f'"{token}"'


def describe(moves, tokens, show=quoted):  # Moves, list[str], (str -> str) -> str
    """One line saying what changed and the biggest move, e.g. 'd_k 16 → 32: the largest weight of "it"
    fell from 0.41 to 0.33'. Empty when nothing changed. `show` presents a token (a page passes one
    that keeps user text literal in Markdown)."""
    cause = "; ".join(_setting(*s) for s in moves.settings)
    n = int(np.count_nonzero(moves.changed))
    if moves.query is None and moves.changed.size and np.isnan(moves.delta).all():
        return f"{cause}: every word is new"
    if moves.query is None:
        effect = "no weight moved by more than " + f"{moves.threshold:g}" if cause else ""
        return f"{cause}: {effect}" if effect else cause
    word = show(tokens[moves.query])
    if np.isnan(moves.before_max):
        effect = f"{word} is new; its largest weight is {moves.after_max:.2f}"
    else:
        verb = "rose" if moves.after_max > moves.before_max else "fell"
        effect = f"the largest weight of {word} {verb} from {moves.before_max:.2f} to {moves.after_max:.2f}"
        effect += _split(moves)
    return f"{cause}: {effect} ({n} cells moved by more than {moves.threshold:g})"


def _split(moves):  # -> str, what a d_k step's new dimensions did and what its new √d_k did, or ""
    if np.isnan(moves.mid_max):
        return ""
    ((_, old, new),) = moves.settings
    n = abs(new - old)
    dims = f"the {n} new dimension{'s' * (n > 1)}" if new > old else f"{n} fewer dimension{'s' * (n > 1)}"
    was, now = (f"÷{d:.3g}" for d in moves.divisors)
    return f": {dims} alone (still {was}) make it {moves.mid_max:.2f}, {now} then {moves.after_max:.2f}"
