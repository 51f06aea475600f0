"""Tests of attention.spread against numpy's own standard deviation of the whole score matrix."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attention.spread import head_spread, score_std, spread_table, summary

FAST = settings(max_examples=40, deadline=None)


@FAST
@given(st.integers(0, 10_000), st.integers(1, 9), st.integers(1, 9), st.integers(1, 12))
def test_the_score_spread_from_gram_matrices_is_the_spread_of_every_score(seed, seq_q, seq_k, d_k):
    rng = np.random.default_rng(seed)
    q, k = rng.normal(1.5, 2, size=(seq_q, d_k)), rng.normal(-0.5, 1, size=(seq_k, d_k))  # means kept
    np.testing.assert_allclose(score_std(q, k), (q @ k.T).std(), rtol=1e-9, atol=1e-12)


def test_every_field_is_the_plain_standard_deviation_per_head():
    rng = np.random.default_rng(3)
    q, k = rng.normal(size=(2, 3, 7, 8)) * 2, rng.normal(size=(2, 3, 7, 8))
    s = head_spread(q, k, scale=0.25)
    for layer, head in np.ndindex(2, 3):
        qh, kh = q[layer, head], k[layer, head]
        assert s.q[layer, head] == pytest.approx(qh.std()) and s.k[layer, head] == pytest.approx(kh.std())
        assert s.scores[layer, head] == pytest.approx((qh @ kh.T).std())
        assert s.scaled[layer, head] == pytest.approx((qh @ kh.T * 0.25).std())
        assert s.independent[layer, head] == pytest.approx(np.sqrt(8) * qh.std() * kh.std())
    assert s.textbook == pytest.approx(np.sqrt(8))
    np.testing.assert_allclose(s.departure, np.log2(s.scores / np.sqrt(8)))


def test_unit_gaussian_entries_spread_like_root_d_k_and_scale_to_one():
    rng = np.random.default_rng(0)
    q, k = rng.normal(size=(400, 32)), rng.normal(size=(400, 32))
    s = head_spread(q, k)  # scale 1/√32
    assert s.scores == pytest.approx(np.sqrt(32), rel=0.03) and s.scaled == pytest.approx(1, rel=0.03)
    assert abs(float(s.departure)) < 0.05


def test_the_summary_names_the_extreme_heads_and_the_table_has_a_row_per_head():
    rng = np.random.default_rng(1)
    q = rng.normal(size=(2, 3, 5, 4)) * np.arange(1, 7).reshape(2, 3, 1, 1)  # head (1, 2) the widest
    s = head_spread(q, rng.normal(size=(5, 4)))  # one k for every head
    line = summary(s)
    assert line.high_head == (1, 2) and line.high == pytest.approx(float(s.scores.max()))
    assert line.low == pytest.approx(float(s.scores.min())) and line.low <= line.median <= line.high
    table = spread_table(s)
    assert table["layer"] == [0, 0, 0, 1, 1, 1] and table["head"] == [0, 1, 2, 0, 1, 2]
    assert table["σ q·k"] == pytest.approx(s.scores.ravel().tolist())


def test_mismatched_depths_are_refused():
    with pytest.raises(ValueError, match="one d_k"):
        head_spread(np.ones((3, 4)), np.ones((3, 5)))
