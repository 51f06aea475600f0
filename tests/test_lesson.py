"""The lesson's answers, computed from traces: checked on hand-made rows and on real runs."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from attention import Settings, lesson, run
from attention.diff import shuffle_words

SENTENCE = "The animal didn't cross the street because it was too tired"
ROWS = arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=st.floats(0, 1))


def test_find_word_ignores_case_and_takes_the_first():
    tokens = ("It", "was", "it", "[PAD]")
    assert lesson.find_word(tokens, "it") == 0
    assert lesson.find_word(tokens, "WAS") == 1
    assert lesson.find_word(tokens, "animal") is None


@given(ROWS, st.data())
def test_top_key_is_the_first_largest_weight_of_the_row(weights, data):
    query = data.draw(st.integers(0, weights.shape[0] - 1))
    key, weight = lesson.top_key(weights, query)
    row = list(weights[query])
    assert key == row.index(max(row)) and weight == max(row)
    assert lesson.is_top(weights, query, key)
    near = [row[j] >= max(row) - lesson.SAME_WEIGHT for j in range(len(row))]  # ties within float noise
    assert [lesson.is_top(weights, query, j) for j in range(len(row))] == near


def test_a_masked_cell_never_wins_and_a_tie_counts_for_both_keys():
    w = np.array([[np.nan, 0.3, 0.7], [0.4, 0.4, 0.2]])
    assert lesson.top_key(w, 0) == (2, 0.7)
    assert lesson.is_top(w, 1, 0) and lesson.is_top(w, 1, 1) and not lesson.is_top(w, 1, 2)


def test_sharper_flatter_and_same_follow_the_mean_row_entropy():
    uniform, one_hot = np.full((3, 4), 0.25), np.eye(3, 4)
    assert lesson.sharpness(uniform, one_hot) == ("sharper", 2.0, 0.0)
    assert lesson.sharpness(one_hot, uniform)[0] == "flatter"
    assert lesson.sharpness(uniform, uniform + 0.001 * np.eye(3, 4))[0] == "same"


@pytest.mark.parametrize("seed", range(10))
def test_wider_unscaled_scores_make_the_lessons_weights_sharper_and_scaling_undoes_it(seed):
    before = run(Settings(sentence=SENTENCE, d_k=16, scaling=False, seed=seed)).attention.weights[0]
    wide = Settings(sentence=SENTENCE, d_k=256, scaling=False, seed=seed)
    answer, b, a = lesson.sharpness(before, run(wide).attention.weights[0])
    assert answer == "sharper" and a < b / 2  # at every seed the mean row entropy at least halves
    scaled = run(wide.replace(scaling=True)).attention.weights[0]
    assert lesson.sharpness(run(wide).attention.weights[0], scaled)[0] == "flatter"


def test_the_first_row_under_a_causal_mask_is_all_on_itself():
    causal = run(Settings(sentence=SENTENCE, mask="causal")).attention.weights[0]
    assert lesson.first_row(causal) == ("itself", 1.0)
    answer, own = lesson.first_row(run(Settings(sentence=SENTENCE, mask="none")).attention.weights[0])
    assert answer == "spread" and 0 < own < 1
    assert lesson.first_row(np.zeros((2, 2))) == ("blank", 0.0)


def test_without_positions_a_shuffle_moves_the_weights_with_the_words():
    settings = Settings(sentence=SENTENCE)
    shuffled = settings.replace(sentence=shuffle_words(SENTENCE, settings.seed))
    before, after = run(settings), run(shuffled)
    assert before.tokens != after.tokens
    answer, gap = lesson.shuffle_effect(
        before.tokens, before.attention.weights[0], after.tokens, after.attention.weights[0]
    )
    assert answer == "follows" and gap < 1e-9
    with_positions = [run(s.replace(positions=True)) for s in (settings, shuffled)]
    b, a = with_positions
    answer, gap = lesson.shuffle_effect(b.tokens, b.attention.weights[0], a.tokens, a.attention.weights[0])
    assert answer == "changes" and gap > 0.01


def test_a_sentence_that_is_no_reordering_changes():
    w = np.full((2, 2), 0.5)
    assert lesson.shuffle_effect(("a", "b"), w, ("a", "c"), w) == ("changes", float("inf"))


def test_the_tally_counts_right_and_wrong():
    assert lesson.tally([]) == (0, 0)
    assert lesson.tally([True, False, True]) == (2, 1)


def test_the_numbers_of_one_row_against_a_plain_loop():
    w = np.array([[0.5, 0.25, 0.25, 0.0], [0.0, 0.0, 0.0, 0.0]])
    allowed = np.array([[True, True, True, False], [False] * 4])
    r = lesson.row_numbers(w, allowed, 0)
    assert (r.key, r.weight, r.seen) == (0, 0.5, 3)
    assert r.entropy_bits == pytest.approx(1.5) and r.effective_keys == pytest.approx(2**1.5)
    assert r.most_bits == pytest.approx(math.log2(3)) and r.total == 1.0
    assert lesson.row_numbers(w, allowed, 1).seen == 0


def test_looked_at_by_counts_the_rows_whose_largest_weight_is_on_the_key_by_a_plain_loop():
    w = np.array([[0.7, 0.3, 0.0], [0.5, 0.5, 0.0], [0.1, 0.2, 0.7], [np.nan, np.nan, np.nan]])
    for key in range(3):  # a tie counts for both keys; a row with no weight (all masked) for none
        rows = [r for r in w if np.isfinite(r).any() and np.nanmax(r) > 0 and r[key] >= np.nanmax(r) - 1e-12]
        assert lesson.looked_at_by(w, key) == len(rows)
    assert lesson.looked_at_by(w, 0) == 2 and lesson.looked_at_by(w, 2) == 1


def test_a_column_is_a_key_most_rows_look_at_most_and_the_runner_up_is_the_second_head():
    assert lesson.is_column(3, 5) and not lesson.is_column(2, 4) and not lesson.is_column(1, 5)
    ranked = [(5, 11, 0.647), (3, 1, 0.640), (0, 0, 0.1)]
    second, gap = lesson.runner_up(ranked)
    assert second == (3, 1, 0.640) and gap == pytest.approx(0.007)
    assert lesson.runner_up(ranked[:1]) is None
