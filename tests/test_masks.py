"""Tests of attention.masks: every kind against a plain-loop reference, and its effect on the weights."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attention.core import scaled_dot_product_attention
from attention.masks import MASK_KINDS, build_mask, padding_mask, prefix_mask, sliding_window_mask

FAST = settings(max_examples=60, deadline=None)


def reference_allowed(kind, i, j, window, prefix):  # may query i see key j, before padding?
    if kind == "padding":
        return True
    if kind == "causal":
        return j <= i
    if kind == "sliding window":
        return j <= i and i - j < window
    if kind == "prefix":
        return j <= i or (i < prefix and j < prefix)
    raise AssertionError(kind)


def reference_mask(kind, is_pad, window, prefix):  # list[bool] -> list[list[bool]]
    n = len(is_pad)
    return [
        [reference_allowed(kind, i, j, window, prefix) and not is_pad[j] for j in range(n)] for i in range(n)
    ]


def test_mask_kinds_are_the_five_documented():
    assert MASK_KINDS == ("none", "padding", "causal", "sliding window", "prefix")


@FAST
@given(st.lists(st.booleans(), min_size=1, max_size=8))
def test_padding_mask_hides_padding_keys_from_every_query(is_pad):
    m = padding_mask(is_pad)
    assert m.dtype == np.bool_ and m.shape == (len(is_pad), len(is_pad))
    for i in range(len(is_pad)):
        for j in range(len(is_pad)):
            assert m[i, j] == (not is_pad[j])


@FAST
@given(st.integers(1, 9), st.integers(1, 10))
def test_sliding_window_mask_matches_the_loop(n, window):
    m = sliding_window_mask(n, window)
    assert m.dtype == np.bool_
    assert m.tolist() == [[j <= i and i - j < window for j in range(n)] for i in range(n)]
    assert all(m[i].sum() == min(i + 1, window) for i in range(n))


@FAST
@given(st.integers(1, 9), st.integers(0, 10))
def test_prefix_mask_matches_the_loop(n, prefix):
    m = prefix_mask(n, prefix)
    assert m.dtype == np.bool_
    assert m.tolist() == [[j <= i or (i < prefix and j < prefix) for j in range(n)] for i in range(n)]


def test_prefix_zero_is_causal_and_window_one_is_the_diagonal():
    assert np.array_equal(prefix_mask(5, 0), np.tri(5, dtype=bool))
    assert np.array_equal(sliding_window_mask(5, 1), np.eye(5, dtype=bool))
    assert np.array_equal(sliding_window_mask(5, 5), np.tri(5, dtype=bool))


def test_window_and_prefix_reject_bad_sizes():
    with pytest.raises(ValueError, match="0"):
        sliding_window_mask(4, 0)
    with pytest.raises(ValueError, match="-1"):
        prefix_mask(4, -1)


@FAST
@given(
    st.sampled_from(MASK_KINDS[1:]),
    st.lists(st.booleans(), min_size=1, max_size=8),
    st.integers(1, 5),
    st.integers(0, 5),
)
def test_build_mask_is_the_structure_and_the_padding_key_mask(kind, is_pad, window, prefix):
    m = build_mask(kind, np.array(is_pad), window=window, prefix=prefix)
    assert m.dtype == np.bool_
    assert m.tolist() == reference_mask(kind, is_pad, window, prefix)


def test_build_mask_none_means_no_mask():
    assert build_mask("none", np.array([False, True])) is None


def test_build_mask_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="'diagonal'"):
        build_mask("diagonal", np.array([False, False]))


@FAST
@given(
    st.sampled_from(MASK_KINDS),
    st.lists(st.booleans(), min_size=1, max_size=8),
    st.integers(1, 4),
    st.integers(0, 4),
    st.integers(0, 2**32 - 1),
)
def test_weights_sum_to_one_over_the_allowed_keys(kind, is_pad, window, prefix, seed):
    n = len(is_pad)
    mask = build_mask(kind, np.array(is_pad), window=window, prefix=prefix)
    allowed = np.ones((n, n), bool) if mask is None else mask
    rng = np.random.default_rng(seed)
    t = scaled_dot_product_attention(rng.normal(size=(n, 4)), rng.normal(size=(n, 4)), np.eye(n), mask=mask)
    for i in range(n):
        assert np.all(t.weights[i][~allowed[i]] == 0.0)
        assert t.weights[i][allowed[i]].sum() == pytest.approx(1.0 if allowed[i].any() else 0.0)
        assert np.all(t.weights[i][allowed[i]] > 0.0)
