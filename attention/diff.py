"""Before and after: how the attention maps changed when the sentence or a setting changed.

Two sentences rarely line up position by position: inserting one word shifts every later token,
and a naive `after - before` would compare "sat" with "cat". So the tokens are aligned first
(difflib's longest matching blocks), the maps are compared only on the tokens present in both,
and the inserted, removed and replaced words are reported, so the page can name them instead of
silently misaligning. [PAD] tokens that come or go with the sentence's length are not reported as
edits: they are filler, not words.
"""

import difflib
from dataclasses import dataclass, fields

import numpy as np

from attention.embed import tokenize
from attention.pipeline import PAD

MAPS = ("scores", "scaled", "weights")  # the seq × seq maps, comparable whatever d_k is


@dataclass(frozen=True)
class TokenEdit:
    """One edit between the two token lists: words inserted, removed, or replaced by others."""

    kind: str  # "inserted", "removed" or "replaced"
    before: tuple  # positions in the before tokens (empty for an insertion)
    after: tuple  # positions in the after tokens (empty for a removal)
    before_tokens: tuple  # the words at those positions
    after_tokens: tuple

    def describe(self):  # -> str, e.g. 'inserted "very" at position 3'
        """The edit in plain English, positions counted from 0."""
        words = {"inserted": self.after_tokens, "removed": self.before_tokens}
        if self.kind in words:
            where = self.after if self.kind == "inserted" else self.before
            return f"{self.kind} {_quoted(words[self.kind])} at position {_span(where)}"
        old, new = _quoted(self.before_tokens), _quoted(self.after_tokens)
        return f"replaced {old} (position {_span(self.before)}) with {new}"


def _quoted(tokens):  # tuple[str] -> str
    return " ".join(f'"{t}"' for t in tokens)


def _span(positions):  # tuple[int] -> str
    return str(positions[0]) if len(positions) == 1 else f"{positions[0]}..{positions[-1]}"


@dataclass(frozen=True)
class Alignment:
    """Which position of `before` is the same token as which position of `after`, and what changed."""

    matched: tuple  # ((position in before, position in after), ..) of equal tokens, in order
    edits: tuple  # TokenEdit, .. in order
    pads_before: int  # [PAD] tokens outside the matched grid, not reported as edits
    pads_after: int


def _edit(before_tokens, after_tokens, i_range, j_range):  # -> TokenEdit | None
    """The words of one difflib change, [PAD]s left out; None when only padding changed."""
    before = tuple(i for i in i_range if before_tokens[i] != PAD)
    after = tuple(j for j in j_range if after_tokens[j] != PAD)
    if not before and not after:
        return None
    kind = "replaced" if before and after else ("removed" if before else "inserted")
    return TokenEdit(
        kind, before, after, tuple(before_tokens[i] for i in before), tuple(after_tokens[j] for j in after)
    )


def align_tokens(before_tokens, after_tokens):  # seq_b labels, seq_a labels -> Alignment
    """Match equal tokens in order (difflib.SequenceMatcher); the rest are edits."""
    before_tokens, after_tokens = list(before_tokens), list(after_tokens)
    matcher = difflib.SequenceMatcher(None, before_tokens, after_tokens, autojunk=False)
    matched, edits = [], []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            matched += zip(range(i1, i2), range(j1, j2), strict=True)
        elif edit := _edit(before_tokens, after_tokens, range(i1, i2), range(j1, j2)):
            edits.append(edit)
    rows_b = {i for i, _ in matched}
    rows_a = {j for _, j in matched}
    pads_b = sum(t == PAD and i not in rows_b for i, t in enumerate(before_tokens))
    pads_a = sum(t == PAD and j not in rows_a for j, t in enumerate(after_tokens))
    return Alignment(tuple(matched), tuple(edits), pads_b, pads_a)


@dataclass(frozen=True)
class TraceDiff:
    """after − before for each seq × seq map, head by head, on the tokens both states share."""

    alignment: Alignment
    rows_before: tuple  # positions in before of the grid's rows (and columns)
    rows_after: tuple  # the same tokens' positions in after
    labels: tuple  # the grid's tokens
    scores: np.ndarray | None  # [n_heads, m, m]  None when the states cannot be compared
    scaled: np.ndarray | None  # [n_heads, m, m]
    weights: np.ndarray | None  # [n_heads, m, m]
    changed: tuple  # ((setting, before value, after value), ..) for every setting that differs
    incompatible: str | None  # why the maps cannot be compared, in plain English; None if they can


def changed_settings(before, after):  # Settings, Settings -> tuple[(name, before value, after value)]
    """Every setting that differs, so the page can say what the comparison is about."""
    return tuple(
        (f.name, getattr(before, f.name), getattr(after, f.name))
        for f in fields(before)
        if getattr(before, f.name) != getattr(after, f.name)
    )


def grid(maps, rows):  # [n_heads, seq, seq], positions [m] -> [n_heads, m, m]
    """The rows and columns of `maps` at `rows`, in that order."""
    rows = np.asarray(rows, dtype=int)
    return maps[:, rows[:, None], rows[None, :]]


def diff_traces(before, after):  # Trace, Trace -> TraceDiff
    """Align the tokens, then subtract each map on the shared grid: after − before."""
    alignment = align_tokens(before.tokens, after.tokens)
    rows_b = tuple(i for i, _ in alignment.matched)
    rows_a = tuple(j for _, j in alignment.matched)
    labels = tuple(after.tokens[j] for j in rows_a)
    changed = changed_settings(before.settings, after.settings)
    h_b, h_a = before.attention.scores.shape[0], after.attention.scores.shape[0]
    if h_b != h_a:
        reason = f"the number of heads changed ({h_b} → {h_a}): there is no head-by-head comparison"
        return TraceDiff(alignment, rows_b, rows_a, labels, None, None, None, changed, reason)
    maps = {
        name: grid(getattr(after.attention, name), rows_a) - grid(getattr(before.attention, name), rows_b)
        for name in MAPS
    }
    return TraceDiff(alignment, rows_b, rows_a, labels, **maps, changed=changed, incompatible=None)


def permutation(before_tokens, after_tokens):  # seq labels, seq labels -> positions [seq] | None
    """p with after[i] == before[p[i]] for every i, when `after` reorders `before`; else None.

    Repeated words are matched in order; without positions they have identical rows anyway.
    """
    if sorted(before_tokens) != sorted(after_tokens):
        return None
    free = {}
    for i, token in enumerate(before_tokens):
        free.setdefault(token, []).append(i)
    return np.array([free[token].pop(0) for token in after_tokens], dtype=int)


def permuted_gap(before, after, p):  # [seq, seq], [seq, seq], positions [seq] -> float
    """Largest |after − before re-ordered by p|: 0 when attention just follows the words around."""
    return float(np.abs(after - before[np.ix_(p, p)]).max())


def shuffle_words(sentence, seed):  # str, int -> str
    """The sentence's words in a random order drawn from `seed`: the same seed, the same order."""
    words = tokenize(sentence)
    order = np.random.default_rng([seed, len(words)]).permutation(len(words))
    if len(words) > 1 and np.all(order == np.arange(len(words))):
        order = np.roll(order, 1)  # a shuffle that moved nothing would show nothing
    return " ".join(words[i] for i in order)
