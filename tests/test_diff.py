"""Tests of attention.diff: token alignment and before/after maps on the shared grid.

The alignment is checked for what it promises (matched tokens are equal and in order; every word
is matched or named in exactly one edit), and the difference maps against a plain loop over the
matched positions.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attention.diff import (
    MAPS,
    RTOL,
    align_tokens,
    clean_difference,
    diff_traces,
    largest_note,
    position_reasons,
    shuffle_words,
)
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
    s = Settings(sentence="a b c", seq_len=3)
    d = diff_traces(run(s), run(s.replace(sentence="d e")))  # three words for two: nothing pairs up
    assert d.labels == () and d.weights.shape == (1, 0, 0) and d.replaced == ()
    assert [e.describe() for e in d.alignment.edits] == ['replaced "a" "b" "c" (position 0..2) with "d" "e"']


def test_words_replaced_one_for_one_keep_their_rows_and_are_marked():
    before, after = run(Settings(sentence="a b")), run(Settings(sentence="c d"))
    d = diff_traces(before, after)
    assert d.labels == ("c", "d") and d.replaced == (0, 1) and d.weights.shape == (1, 2, 2)
    assert [e.describe() for e in d.alignment.edits] == ['replaced "a" "b" (position 0..1) with "c" "d"']


def test_a_replaced_word_is_compared_with_its_replacement():
    words = DEFAULT_SENTENCE.split()
    words[3] = "gloomy"
    before, after = run(BASE), run(BASE.replace(sentence=" ".join(words)))
    d = diff_traces(before, after)
    assert d.replaced == (3,) and d.labels[3] == "gloomy" and d.rows_after == tuple(range(10))
    expected = after.attention.weights - before.attention.weights  # same positions: a plain subtraction
    np.testing.assert_array_equal(d.weights, np.where(np.abs(expected) <= RTOL, 0.0, expected))
    assert d.scores[0, 3].any() and d.scores[0, :, 3].any()  # the changed word's row and column moved
    assert not np.delete(np.delete(d.scores[0], 3, 0), 3, 1).any()  # hashed: the other words' scores did not


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


# ---- rounding and shuffles ----


def plain_clean(after, before, rtol):  # nested lists -> (nested lists, float), one cell at a time
    cells = [(a, b) for ra, rb in zip(after, before, strict=True) for a, b in zip(ra, rb, strict=True)]
    scale = max([abs(v) for pair in cells for v in pair if np.isfinite(v)] + [np.finfo(float).tiny])
    out = [[0.0 if abs(a - b) <= rtol * scale else a - b for a, b in zip(ra, rb, strict=True)]
           for ra, rb in zip(after, before, strict=True)]  # fmt: skip
    return out, max([abs(a - b) for a, b in cells if np.isfinite(a - b)], default=0.0)


matrices = st.integers(1, 5).flatmap(
    lambda n: st.lists(
        st.lists(st.floats(-1e3, 1e3) | st.sampled_from([0.0, 1e-300, np.nan]), min_size=n, max_size=n),
        min_size=1,
        max_size=5,
    )
)


@FAST
@given(matrices, st.floats(-1e-6, 1e-6), st.sampled_from([1e-9, 1e-3, 0.5]))
def test_clean_difference_matches_a_plain_loop(after, nudge, rtol):
    after = np.array(after)
    before = after + nudge * np.arange(after.size).reshape(after.shape)
    cleaned, largest = clean_difference(after, before, rtol)
    expected, top = plain_clean(after.tolist(), before.tolist(), rtol)
    np.testing.assert_array_equal(cleaned, np.array(expected))  # NaN where a NaN was, exactly
    assert largest == top


def test_clean_difference_takes_each_matrix_of_a_stack_on_its_own_scale():
    after = np.array([[[1.0, 1.0]], [[1e-12, 0.0]]])  # [2 heads, 1, 2]
    before = np.array([[[1.0 + 1e-13, 1.0]], [[0.0, 0.0]]])
    cleaned, largest = clean_difference(after, before)
    assert cleaned[0, 0, 0] == 0.0  # 1e-13 against values of 1: rounding
    assert cleaned[1, 0, 0] == 1e-12  # 1e-12 against values of 1e-12: a real change
    assert largest == 1e-12
    zeros, top = clean_difference(np.zeros((3, 3)), np.zeros((3, 3)))
    assert not zeros.any() and top == 0.0


def test_the_same_state_computed_another_way_differs_only_by_rounding():
    # scores ÷ (τ·√d_k) with τ = 0.1, d_k = 9 against scores ÷ τ with τ = 0.3: 0.1·3 rounds to
    # 0.30000000000000004, so the two paths agree only up to rounding
    a = run(BASE.replace(d_k=9, temperature=0.1))
    b = run(BASE.replace(d_k=9, temperature=0.3, scaling=False))
    raw = a.attention.weights - b.attention.weights
    assert 0 < np.abs(raw).max() < 1e-12  # they really differ, by rounding
    d = diff_traces(b, a)
    assert dict(d.largest)["weights"] == np.abs(raw).max()
    for name in MAPS:
        assert not getattr(d, name).any(), name  # exactly zero, drawn white


@pytest.mark.parametrize(
    "s",
    [
        BASE,
        BASE.replace(n_heads=4, d_k=8),
        Settings(sentence="the cat sat on the mat and the dog", d_model=32),
    ],
)
def test_a_shuffle_without_positions_compares_each_word_with_itself(s):
    before = run(s)
    after = run(s.replace(sentence=shuffle_words(s.sentence, 3, keep=s.length)))
    d = diff_traces(before, after)
    assert d.reordered and d.labels == before.tokens and d.replaced == ()
    assert [after.tokens[j] for j in d.rows_after] == list(before.tokens)
    for name in MAPS:
        assert not getattr(d, name).any(), name
    assert max(dict(d.largest).values()) < 1e-12  # what is left is rounding


def test_a_shuffle_with_positions_or_a_causal_mask_changes_the_maps():
    for s in (BASE.replace(positions=True), BASE.replace(mask="causal"), BASE.replace(embedding="random")):
        after = run(s.replace(sentence=shuffle_words(s.sentence, 3)))
        d = diff_traces(run(s), after)
        assert d.reordered and np.abs(d.weights).max() > 1e-3, s
        assert position_reasons(s), s
    assert position_reasons(BASE) == ()
    assert position_reasons(BASE.replace(positions=True, mask="prefix")) == (
        "positions are added to X",
        "the prefix mask depends on where each word stands",
    )


def test_a_shuffle_of_the_words_a_fixed_length_keeps_is_still_a_pure_reordering():
    s = Settings(seq_len=5)  # keeps 5 of the 7 words
    before = run(s)
    shuffled = shuffle_words(s.sentence, 0, keep=s.length)
    assert shuffled.split()[5:] == ["in", "Melbourne"] and shuffled.split()[:5] != s.sentence.split()[:5]
    after = run(s.replace(sentence=shuffled))
    assert after.dropped == before.dropped == ("in", "Melbourne")
    d = diff_traces(before, after)
    assert d.reordered and d.alignment.edits and not d.weights.any()  # difflib alone would see edits
    cut_all = run(s.replace(sentence=shuffle_words(s.sentence, 0)))  # shuffling all 7 cuts other words
    assert not diff_traces(before, cut_all).reordered


def test_a_change_of_settings_besides_the_sentence_is_not_a_reordering():
    s = BASE.replace(sentence="one two three")
    d = diff_traces(run(s), run(s.replace(sentence="three two one", seed=4)))
    assert not d.reordered and d.alignment.edits


def test_the_largest_difference_note():
    note = largest_note((("scores", 2.5e-16), ("weights", 0.125)), rtol=1e-9)
    assert note.startswith("Largest |after − before|: scores 2.5e-16, weights 0.12.")
    assert "within 1e-09 × a map's largest value" in note
