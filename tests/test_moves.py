"""What moved between two runs: the marked cells, the biggest move and the line that names it."""

import math

import numpy as np
import pytest

from attention import Settings, run
from attention.moves import THRESHOLD, describe, what_moved


def plain_changed(before, after, threshold):  # [n, n], [n, n] -> bool [n, n], by loops
    n = len(after)
    return np.array([[abs(after[i][j] - before[i][j]) > threshold for j in range(n)] for i in range(n)])


def test_a_d_k_step_marks_exactly_the_cells_that_moved_and_names_the_biggest_move():
    before, after = run(Settings(d_k=16)), run(Settings(d_k=32))
    m = what_moved(before, after)
    w0, w1 = before.attention.weights[0], after.attention.weights[0]
    np.testing.assert_array_equal(m.changed, plain_changed(w0.tolist(), w1.tolist(), THRESHOLD))
    np.testing.assert_allclose(m.delta, w1 - w0)
    gaps = [abs(max(w1[i]) - max(w0[i])) for i in range(len(w1))]
    assert m.query == gaps.index(max(gaps))
    assert (m.before_max, m.after_max) == (pytest.approx(w0[m.query].max()), pytest.approx(w1[m.query].max()))
    verb = "rose" if m.after_max > m.before_max else "fell"
    word = after.tokens[m.query]
    expected = (
        f'd_k 16 → 32: the largest weight of "{word}" {verb} from {m.before_max:.2f} to {m.after_max:.2f}'
    )
    assert describe(m, after.tokens).startswith(expected)
    assert f"({int(m.changed.sum())} cells moved by more than 0.02)" in describe(m, after.tokens)


def test_nothing_changed_says_nothing_and_marks_nothing():
    t = run(Settings())
    m = what_moved(t, t)
    assert not m.changed.any() and m.query is None and describe(m, t.tokens) == ""


def test_a_tiny_change_is_named_but_marks_no_cell():
    m = what_moved(run(Settings()), run(Settings(temperature=1.0001)))
    assert not m.changed.any() and m.query is None
    assert describe(m, run(Settings()).tokens) == "temperature 1 → 1.0001: no weight moved by more than 0.02"


def test_an_inserted_word_is_new_not_a_shifted_neighbour():
    before = run(Settings(sentence="the cat sat"))
    after = run(Settings(sentence="the black cat sat"))
    m = what_moved(before, after)
    assert not m.changed[1].any() and not m.changed[:, 1].any()  # "black": new, so not marked as moved
    assert np.isnan(m.delta[1]).all() and not np.isnan(m.delta[np.ix_([0, 2, 3], [0, 2, 3])]).any()
    old = np.ix_([0, 2, 3], [0, 2, 3])  # the words that were there before move as far as they did
    w0, w1 = before.attention.weights[0].tolist(), after.attention.weights[0][old].tolist()
    np.testing.assert_array_equal(m.changed[old], plain_changed(w0, w1, THRESHOLD))
    assert describe(m, after.tokens).startswith("the sentence changed: ")
    every = what_moved(before, run(Settings(sentence="a dog ran")))
    assert not every.changed.any()  # a text with no word in common marks nothing (a paste of 512 words)
    assert describe(every, ["a", "dog", "ran"]) == "the sentence changed: every word is new"


def test_switching_scaling_off_is_said_plainly():
    before, after = run(Settings(d_k=256)), run(Settings(d_k=256, scaling=False))
    line = describe(what_moved(before, after), after.tokens)
    assert line.startswith("scaling off: the largest weight of ") and " rose from " in line


def plain_row_max(scores, divisor, allowed):  # one row of scores -> its largest softmax weight, by loops
    exps = [math.exp(s / divisor) if ok else 0.0 for s, ok in zip(scores, allowed, strict=True)]
    return max(e / sum(exps) for e in exps)


@pytest.mark.parametrize("mask", ["padding", "causal"])
def test_a_d_k_step_tells_the_new_dimensions_apart_from_the_new_square_root(mask):
    before, after = run(Settings(d_k=16, mask=mask)), run(Settings(d_k=32, mask=mask))
    m = what_moved(before, after)
    q = m.query
    scores, allowed = after.attention.scores[0][q].tolist(), after.allowed()[q].tolist()
    assert m.mid_max == pytest.approx(plain_row_max(scores, 4.0, allowed), rel=1e-12)  # 32 dimensions, ÷√16
    assert m.after_max == pytest.approx(plain_row_max(scores, 32**0.5, allowed), rel=1e-12)  # and ÷√32
    assert m.divisors == (4.0, pytest.approx(32**0.5))
    line = describe(m, after.tokens)
    assert (
        f"the 16 new dimensions alone (still ÷4) make it {m.mid_max:.2f}, ÷5.66 then {m.after_max:.2f}"
        in line
    )


@pytest.mark.parametrize(
    "before, after",
    [
        (
            Settings(d_k=16, scaling=False),
            Settings(d_k=32, scaling=False),
        ),  # no √d_k: all from the dimensions
        (Settings(d_k=16), Settings(d_k=32, seed=1)),  # two changes at once
        (Settings(seed=0), Settings(seed=1)),  # not a d_k step
    ],
)
def test_no_split_is_told_where_there_is_none(before, after):
    m = what_moved(run(before), run(after))
    assert math.isnan(m.mid_max) and m.divisors == ()
    assert "alone" not in describe(m, run(after).tokens)


def test_one_dimension_is_said_in_the_singular():
    m = what_moved(run(Settings(d_k=1)), run(Settings(d_k=2)))
    line = describe(m, run(Settings(d_k=2)).tokens)
    assert "the 1 new dimension alone (still ÷1)" in line
    m = what_moved(run(Settings(d_k=17)), run(Settings(d_k=16)))
    assert "1 fewer dimension alone (still ÷4.12)" in describe(m, run(Settings(d_k=16)).tokens)
