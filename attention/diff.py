"""Before and after: how the attention maps changed when the sentence or a setting changed.

Two sentences rarely line up position by position: inserting one word shifts every later token,
and a naive `after - before` would compare "sat" with "cat". So the tokens are aligned first
(difflib's longest matching blocks), the maps are compared only on the tokens present in both,
and the inserted, removed and replaced words are reported, so the page can name them instead of
silently misaligning. [PAD] tokens that come or go with the sentence's length are not reported as
edits: they are filler, not words. A word replaced by one other word keeps its row and column, paired
with its replacement, so the page can show how the changed word's own attention changed.

Two equivalent computations rarely agree to the last bit (a sum taken in another order rounds
differently), so a difference within RTOL of a map's largest value is rounding and is set to exactly
0. A shuffle of the words is compared word by word: each word's attention after the shuffle against
its own attention before it.
"""

import difflib
from dataclasses import dataclass, fields

import numpy as np

from attention.embed import tokenize
from attention.pipeline import PAD

MAPS = ("scores", "scaled", "weights")  # the seq × seq maps, comparable whatever d_k is
RTOL = 1e-9  # differences up to this fraction of a map's largest |value| are rounding: float64 keeps ~1e-16


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
    rows_after: tuple  # the same words' positions in after
    labels: tuple  # the grid's tokens as they are after (a replaced word: its replacement)
    scores: np.ndarray | None  # [n_heads, m, m]  None when the states cannot be compared; rounding = 0
    scaled: np.ndarray | None  # [n_heads, m, m]
    weights: np.ndarray | None  # [n_heads, m, m]
    changed: tuple  # ((setting, before value, after value), ..) for every setting that differs
    incompatible: str | None  # why the maps cannot be compared, in plain English; None if they can
    largest: tuple = ()  # ((map name, largest |after − before| before rounding was set to 0), ..)
    replaced: tuple = ()  # grid positions of words replaced one for one: their row and column changed words
    reordered: bool = False  # after only reorders before's words: the grid follows each word


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


def _top(m):  # [.., rows, cols] -> [.., 1, 1], the largest finite |value| of each matrix
    finite = np.where(np.isfinite(m), np.abs(m), 0.0)
    return finite.max(axis=(-2, -1), keepdims=True, initial=0.0)


def clean_difference(after, before, rtol=RTOL):  # [.., rows, cols] x2 -> ([.., rows, cols], float)
    """after − before with rounding set to exactly 0, and the largest |after − before| before that.

    A difference no larger than rtol × the matrix's largest |value| (in either state) is rounding.
    """
    d = np.asarray(after, dtype=np.float64) - np.asarray(before, dtype=np.float64)
    scale = np.maximum(np.maximum(_top(after), _top(before)), np.finfo(np.float64).tiny)
    largest = float(np.abs(d[np.isfinite(d)]).max(initial=0.0))
    return np.where(np.abs(d) <= rtol * scale, 0.0, d), largest


def reordering(before, after):  # Trace, Trace -> positions [seq] | None
    """q with after.tokens[q[i]] == before.tokens[i], when after only reorders before's words; else None."""
    p = permutation(before.tokens, after.tokens)
    same = before.settings.replace(sentence=after.settings.sentence) == after.settings
    if p is None or not same or np.array_equal(p, np.arange(len(p))):
        return None
    return np.argsort(p)


def _pairs(before, after, alignment):  # -> (((position in before, in after), ..), grid positions replaced)
    """The matched tokens and the words replaced one for one, in order."""
    swaps = [
        pair
        for e in alignment.edits
        if e.kind == "replaced" and len(e.before) == len(e.after)
        for pair in zip(e.before, e.after, strict=True)
    ]
    pairs = sorted(alignment.matched + tuple(swaps))
    return tuple(pairs), tuple(k for k, pair in enumerate(pairs) if pair in swaps)


def diff_traces(before, after, rtol=RTOL):  # Trace, Trace -> TraceDiff
    """Align the tokens (or undo a shuffle), then subtract each map on the shared grid: after − before."""
    alignment = align_tokens(before.tokens, after.tokens)
    q = reordering(before, after)
    if q is not None:
        pairs, replaced = tuple(enumerate(q.tolist())), ()
    else:
        pairs, replaced = _pairs(before, after, alignment)
    rows_b, rows_a = tuple(i for i, _ in pairs), tuple(j for _, j in pairs)
    labels = tuple(after.tokens[j] for _, j in pairs)
    changed = changed_settings(before.settings, after.settings)
    h_b, h_a = before.attention.scores.shape[0], after.attention.scores.shape[0]
    if h_b != h_a:
        reason = f"the number of heads changed ({h_b} → {h_a}): there is no head-by-head comparison"
        return TraceDiff(alignment, rows_b, rows_a, labels, None, None, None, changed, reason)
    maps, largest = {}, []
    for name in MAPS:
        a, b = grid(getattr(after.attention, name), rows_a), grid(getattr(before.attention, name), rows_b)
        maps[name], top = clean_difference(a, b, rtol)
        largest.append((name, top))
    return TraceDiff(
        alignment, rows_b, rows_a, labels, **maps, changed=changed, incompatible=None,
        largest=tuple(largest), replaced=replaced, reordered=q is not None,
    )  # fmt: skip


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


def shuffle_words(sentence, seed, keep=None):  # str, int, int | None -> str
    """The sentence's words in a random order drawn from `seed`: the same seed, the same order.

    keep: shuffle only the first `keep` words (those a fixed length keeps), the rest stay last, so
    the shuffled sentence keeps the same words and a pure reordering can still be compared.
    """
    words = tokenize(sentence)
    n = len(words) if keep is None else min(keep, len(words))
    order = np.random.default_rng([seed, n]).permutation(n)
    if n > 1 and np.all(order == np.arange(n)):
        order = np.roll(order, 1)  # a shuffle that moved nothing would show nothing
    return " ".join([words[i] for i in order] + words[n:])


def largest_note(largest, rtol=RTOL):  # ((map name, float), ..) -> str
    """One line naming each map's largest |after − before| and what counts as rounding."""
    parts = ", ".join(f"{name} {value:.2g}" for name, value in largest)
    return (
        f"Largest |after − before|: {parts}. A difference within {rtol:g} × a map's largest value is "
        "rounding and is drawn as exactly 0 (white)."
    )


def position_reasons(settings):  # Settings -> tuple[str], what makes attention depend on word order
    """Why a reordering can change the attention: positions added, a positional mask, per-position X."""
    reasons = ("positions are added to X",) if settings.positions else ()
    if settings.mask in ("causal", "sliding window", "prefix"):
        reasons += (f"the {settings.mask} mask depends on where each word stands",)
    if settings.embedding == "random":
        reasons += ("random embeddings are drawn per position, not per word",)
    return reasons
