"""Tests of attention.diff: token alignment and before/after maps on the shared grid.

The alignment is checked for what it promises (matched tokens are equal and in order; every word
is matched or named in exactly one edit), and the difference maps against a plain loop over the
matched positions.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from attention.diff import MAPS, align_tokens, diff_traces, shuffle_words
from attention.pipeline import DEFAULT_SENTENCE, PAD, Settings, run

FAST = settings(max_examples=100, deadline=None)
BASE = Settings(seq_len=10)  # 7 words + 3 [PAD]
INSERTED = BASE.replace(sentence="The weather is very beautiful today in Melbourne")


def reference_diff(before_map, after_map, pairs):  # [h, seq, seq] x2, matched pairs -> nested lists
    """after − before, one number at a time, on the matched positions."""
    return [
        [[after_map[h][ja][jb] - before_map[h][ia][ib] for ib, jb in pairs] for ia, ja in pairs]
        for h in range(len(before_map))
    ]


# ---- alignment ----


def test_inserting_a_word_reports_exactly_that_word():
    a = align_tokens(run(BASE).tokens, run(INSERTED).tokens)
    assert [e.describe() for e in a.edits] == ['inserted "very" at position 3']
    assert [(e.kind, e.after, e.after_tokens) for e in a.edits] == [("inserted", (3,), ("very",))]
    assert (a.pads_before, a.pads_after) == (1, 0)  # one [PAD] made room for the word, unreported
    assert a.matched == ((0, 0), (1, 1), (2, 2), (3, 4), (4, 5), (5, 6), (6, 7), (7, 8), (8, 9))


def test_removed_and_replaced_words():
    a = align_tokens(["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat", "the", "mat"])
    assert [e.describe() for e in a.edits] == [
        'replaced "cat" (position 1) with "dog"',
        'removed "on" at position 3',
    ]
    replaced = [e for e in a.edits if e.kind == "replaced"]
    assert replaced[0].before == (1,) and replaced[0].after == (1,)
    assert a.matched == ((0, 0), (2, 2), (4, 3), (5, 4))


def test_a_word_replacing_padding_is_an_insertion():
    a = align_tokens(["a", PAD, PAD], ["a", "b", "c"])
    assert [e.describe() for e in a.edits] == ['inserted "b" "c" at position 1..2']
    assert (a.pads_before, a.pads_after) == (2, 0)


words = st.lists(st.sampled_from(["the", "cat", "sat", "on", "mat", PAD]), max_size=12)


@FAST
@given(words, words)
def test_every_word_is_matched_or_named_in_exactly_one_edit(before, after):
    a = align_tokens(before, after)
    for i, j in a.matched:
        assert before[i] == after[j]
    assert all(p[0] < q[0] and p[1] < q[1] for p, q in zip(a.matched, a.matched[1:], strict=False))
    seen_before = [i for i, _ in a.matched] + [i for e in a.edits for i in e.before]
    seen_after = [j for _, j in a.matched] + [j for e in a.edits for j in e.after]
    assert sorted(seen_before) == sorted(set(seen_before))  # nothing counted twice
    assert sorted(seen_after) == sorted(set(seen_after))
    assert {i for i, t in enumerate(before) if t != PAD} <= set(seen_before)
    assert {j for j, t in enumerate(after) if t != PAD} <= set(seen_after)
    assert len(seen_before) + a.pads_before == len(before) and len(seen_after) + a.pads_after == len(after)
    for e in a.edits:
        assert PAD not in e.before_tokens + e.after_tokens
        assert (
            e.kind
            == {(1, 0): "removed", (0, 1): "inserted", (1, 1): "replaced"}[bool(e.before), bool(e.after)]
        )


# ---- maps ----


def test_a_state_against_itself_is_all_zeros_on_the_full_grid():
    trace = run(BASE.replace(n_heads=2, d_k=4))
    d = diff_traces(trace, trace)
    assert d.alignment.edits == () and d.changed == () and d.incompatible is None
    assert d.labels == trace.tokens and d.rows_before == tuple(range(10))
    for name in MAPS:
        assert getattr(d, name).shape == (2, 10, 10) and not getattr(d, name).any()


def test_the_maps_match_a_plain_loop_over_the_matched_tokens():
    before, after = (
        run(BASE.replace(n_heads=2, d_k=3)),
        run(INSERTED.replace(n_heads=2, d_k=3, positions=True)),
    )
    d = diff_traces(before, after)
    assert d.labels == tuple(t for t in before.tokens[:9])
    for name in MAPS:
        expected = reference_diff(
            getattr(before.attention, name), getattr(after.attention, name), d.alignment.matched
        )
        assert np.array_equal(getattr(d, name), np.array(expected)), name
        assert getattr(d, name).any(), name  # positions moved: something really changed


def test_an_inserted_word_leaves_the_other_scores_untouched_but_renormalises_the_weights():
    # hashed embeddings give a word the same vector wherever it stands, so q · k of two shared
    # words is unchanged; the new word still takes a share of every row's softmax
    d = diff_traces(run(BASE), run(INSERTED))
    assert not d.scores.any() and not d.scaled.any()
    assert d.weights[0, :7, :7].max() < 0  # each shared word gives up weight to "very"


def test_changing_the_seed_gives_a_same_grid_diff():
    d = diff_traces(run(BASE), run(BASE.replace(seed=1)))
    assert d.alignment.edits == () and d.rows_before == d.rows_after == tuple(range(10))
    assert d.changed == (("seed", 0, 1),)
    assert d.weights.shape == (1, 10, 10) and d.weights.any()


def test_changing_d_k_gives_a_same_grid_diff():
    d = diff_traces(run(BASE), run(BASE.replace(d_k=4)))
    assert d.incompatible is None and d.changed == (("d_k", 16, 4),)
    assert d.scores.shape == d.weights.shape == (1, 10, 10)


def test_a_different_number_of_heads_is_called_out_not_compared():
    d = diff_traces(run(BASE), run(BASE.replace(n_heads=2)))
    assert "heads changed (1 → 2)" in d.incompatible
    assert d.scores is None and d.scaled is None and d.weights is None
    assert d.labels == run(BASE).tokens  # the token alignment is still there


def test_no_token_in_common_gives_an_empty_grid():
    s = Settings(sentence="a b", seq_len=2)
    d = diff_traces(run(s), run(s.replace(sentence="c d")))
    assert d.labels == () and d.weights.shape == (1, 0, 0)
    assert [e.describe() for e in d.alignment.edits] == ['replaced "a" "b" (position 0..1) with "c" "d"']


def test_the_default_sentence_is_the_one_these_tests_assume():
    assert BASE.sentence == DEFAULT_SENTENCE and run(BASE).tokens[-3:] == (PAD,) * 3


def test_shuffle_words_is_fixed_by_the_seed_and_always_moves_something():
    sentence = "one two three four five six seven"
    assert shuffle_words(sentence, 3) == shuffle_words(sentence, 3)
    orders = {shuffle_words(sentence, seed) for seed in range(20)}
    assert len(orders) > 10 and sentence not in orders
    for seed in range(50):  # two words: a draw that kept the order is rotated instead
        assert shuffle_words("a b", seed) == "b a"
    assert shuffle_words("solo", 0) == "solo" and shuffle_words("", 0) == ""
    assert sorted(shuffle_words(sentence, 7).split()) == sorted(sentence.split())
