"""The guided lesson's right answers, read from traces rather than written down in advance.

A prediction is only fair if its answer is the one the page will show, so every answer here is
computed from the weights the page draws: which key a query row puts most weight on, whether a
change made the rows sharper or flatter (mean row entropy in bits, as the scaling lab measures
it), what a mask left of the first row, and whether a shuffled sentence's attention just follows
its words around. Also here: the tally of a lesson's answers, and what tempers "the head that looks
from *it* to *animal* most": how many other words look at that key most too (a column, looked at
from everywhere, says little about "it") and how close the runner-up head comes.
"""

from dataclasses import dataclass

import numpy as np

from attention.diff import permutation, permuted_gap
from attention.scaling import row_entropy, row_stats

SAME_BITS = 0.05  # mean row entropies closer than this (in bits) count as "the same"
SAME_WEIGHT = 1e-6  # weights closer than this count as equal (ties, a row that only moved)


def find_word(tokens, word):  # seq labels, str -> int | None
    """The first position whose token is `word`, ignoring case; None if there is none."""
    wanted = word.casefold()
    return next((i for i, token in enumerate(tokens) if str(token).casefold() == wanted), None)


def top_key(weights, query):  # [seq_q, seq_k], int -> (int, float)
    """The key the query row puts most weight on (the first of ties), and that weight."""
    row = np.nan_to_num(np.asarray(weights, dtype=float)[query])
    key = int(np.argmax(row))
    return key, float(row[key])


def is_top(weights, query, key):  # [seq_q, seq_k], int, int -> bool
    """Whether `key` gets the row's largest weight (a tie with it counts: "the" twice, no positions)."""
    row = np.nan_to_num(np.asarray(weights, dtype=float)[query])
    return bool(row[key] >= row.max() - SAME_WEIGHT)


def mean_entropy(weights):  # [.., seq_q, seq_k] -> float, bits over the rows with an allowed key
    """The mean row entropy in bits: 0 = every row on one key, log2(seq) = every row uniform."""
    bits = row_stats(np.nan_to_num(np.asarray(weights, dtype=float))).entropy_bits
    return float(np.nanmean(bits)) if np.any(~np.isnan(bits)) else 0.0


def sharpness(before, after, tol=SAME_BITS):  # [seq, seq], [seq, seq] -> (str, float, float)
    """ "sharper", "flatter" or "same" from `before` to `after`, with both mean row entropies in bits."""
    b, a = mean_entropy(before), mean_entropy(after)
    answer = "same" if abs(a - b) < tol else ("sharper" if a < b else "flatter")
    return answer, b, a


def first_row(weights):  # [seq_q, seq_k] -> (str, float)
    """What the first query row holds: "itself" (all on key 0), "blank" (no weight) or "spread"."""
    row = np.nan_to_num(np.asarray(weights, dtype=float)[0])
    if row.max() <= 0:
        return "blank", 0.0
    return ("itself" if row[0] >= 1 - SAME_WEIGHT else "spread"), float(row[0])


def shuffle_effect(before_tokens, before, after_tokens, after):  # seq labels, [seq, seq] x2 -> (str, float)
    """Whether attention just follows the words around after a shuffle ("follows") or changes.

    The second value is the largest weight change once the shuffle is undone (inf when the
    tokens are not a reordering of each other).
    """
    p = permutation(list(before_tokens), list(after_tokens))
    if p is None:
        return "changes", float("inf")
    gap = permuted_gap(np.nan_to_num(before), np.nan_to_num(after), p)
    return ("follows" if gap < SAME_WEIGHT else "changes"), gap


def looked_at_by(weights, key):  # [seq_q, seq_k], int -> int
    """How many query rows put their largest weight on `key` (ties count; rows with no weight do not)."""
    w = np.nan_to_num(np.asarray(weights, dtype=float))
    top = w.max(axis=-1)
    return int(np.count_nonzero((w[:, key] >= top - SAME_WEIGHT) & (top > 0)))


def is_column(looking, rows):  # int, int -> bool
    """Most rows look at the key most: the key is a column of the map, not one query's choice."""
    return 2 * looking > rows


def runner_up(ranked):  # [(layer, head, weight)] best first -> ((layer, head, weight), gap) | None
    """The second head of a ranking and how far its weight falls short of the best's."""
    if len(ranked) < 2:
        return None
    return ranked[1], ranked[0][2] - ranked[1][2]


def tally(results):  # iterable of bool -> (int, int)
    """(right, wrong) of the answers given."""
    results = [bool(r) for r in results]
    return sum(results), len(results) - sum(results)


@dataclass(frozen=True)
class RowNumbers:
    """What the lesson says about one row of weights."""

    key: int  # the key with the largest weight
    weight: float  # that weight
    entropy_bits: float  # the row's entropy
    most_bits: float  # log2 of the keys the row may see: the entropy of an even spread
    effective_keys: float  # 2 ** entropy
    seen: int  # keys the row may see
    total: float  # the row's sum


def row_numbers(weights, allowed, query):  # [seq_q, seq_k], bool [seq_q, seq_k], int -> RowNumbers
    """The largest weight of a row, its entropy against an even spread, and its sum."""
    key, weight = top_key(weights, query)
    bits = float(row_entropy(weights[query]))
    seen = int(np.count_nonzero(allowed[query]))
    return RowNumbers(
        key, weight, bits, float(np.log2(max(seen, 1))), 2.0**bits, seen, float(weights[query].sum())
    )
