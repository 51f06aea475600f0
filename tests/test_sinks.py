"""Tests of attention.sinks: sink rates on hand-built heads, sink profiles and softmax plus one.

The references are plain Python loops written from the definitions (Gu et al.'s sink rate, the
norms and cosines of one head, exp(s_j) / (1 + Σ exp(s_i))), with `math` and `statistics`.
"""

import math
import statistics

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attention.core import causal_mask, masked_fill, softmax
from attention.sinks import sink_profile, sink_rate, sink_rates, softmax_plus_one

FAST = settings(max_examples=50, deadline=None)
TOL = dict(rtol=1e-12, atol=1e-12)
ABOVE = [0.5, 0.25, 0.25]  # a row putting 0.5 on key 0
BELOW = [0.2, 0.4, 0.4]  # a row putting 0.2 on key 0


def random_weights(rng, n_layers, n_heads, seq):  # -> causal softmax weights [n_layers, n_heads, seq, seq]
    s = rng.normal(size=(n_layers, n_heads, seq, seq)) * 3
    return softmax(masked_fill(s, causal_mask(seq), -np.inf))


# Plain references.


def plain_sink_rates(weights, token, eps):  # nested lists [L][H][seq][seq] -> list [L]
    rates = []
    for layer in weights:
        above = 0
        for h in layer:
            mean = sum(h[i][token] for i in range(len(h))) / len(h)
            above += mean > eps
        rates.append(above / len(layer))
    return rates


def plain_softmax_plus_one(row, allowed=None):  # list[float] -> list[float], exp(s_j) / (1 + Σ exp(s_i))
    allowed = allowed or [True] * len(row)
    e = [math.exp(x) if ok else 0.0 for x, ok in zip(row, allowed, strict=True)]
    return [x / (1 + sum(e)) for x in e]


# ---------------------------------------------------------------- sink rate


def test_three_of_four_heads_above_eps_give_three_quarters():
    w = np.array([[[ABOVE] * 3, [ABOVE] * 3], [[ABOVE] * 3, [BELOW] * 3]])  # [2 layers, 2 heads, 3, 3]
    assert sink_rate(w, 0, eps=0.3) == 0.75
    np.testing.assert_array_equal(sink_rates(w, 0, eps=0.3), [1.0, 0.5])
    assert sink_rate(w, 0, eps=0.1) == 1.0 and sink_rate(w, 0, eps=0.6) == 0.0
    assert sink_rate(w, 1, eps=0.3) == 0.25  # the BELOW head puts 0.4 on key 1


def test_the_weight_is_averaged_over_all_the_queries():
    w = np.full((1, 1, 4, 4), 0.0)
    w[0, 0, :, 1] = 1.0
    w[0, 0, 0] = [1.0, 0.0, 0.0, 0.0]  # key 0 has 1.0 from one query in four: a mean of 0.25
    assert sink_rate(w, 0, eps=0.2) == 1.0 and sink_rate(w, 0, eps=0.3) == 0.0


def test_eps_must_be_strictly_exceeded():
    w = np.array([[[[0.25, 0.75]] * 2]])  # mean weight on key 0 is exactly 0.25
    assert sink_rate(w, 0, eps=0.25) == 0.0
    assert sink_rate(w, 0, eps=np.nextafter(0.25, 0)) == 1.0
    assert sink_rate(np.ones((1, 1, 1, 1)), 0, eps=0.0) == 1.0  # length 1: all weight on the only key


@pytest.mark.parametrize("seed", range(5))
def test_sink_rates_equal_the_loops_on_causal_heads(seed):
    rng = np.random.default_rng(seed)
    w = random_weights(rng, 3, 4, 6)
    for token in (0, 2, 5):
        for eps in (0.0, 0.1, 0.3, 0.5):
            assert list(sink_rates(w, token, eps)) == plain_sink_rates(w.tolist(), token, eps)
            assert sink_rate(w, token, eps) == pytest.approx(
                sum(plain_sink_rates(w.tolist(), token, eps)) / 3
            )


def test_a_fully_masked_row_of_zeros_is_accepted():
    w = np.array([[[[0.0, 0.0], [0.5, 0.5]]]])
    assert sink_rate(w, 0, eps=0.2) == 1.0  # (0 + 0.5) / 2 = 0.25


@pytest.mark.parametrize("eps", [-0.1, 1.0, 1.5, float("nan")])
def test_eps_outside_zero_one_raises(eps):
    with pytest.raises(ValueError, match="eps"):
        sink_rate(np.ones((1, 1, 1, 1)), 0, eps=eps)


@pytest.mark.parametrize("token", [-1, 3, 1.0, "0"])
def test_a_token_outside_the_sequence_raises(token):
    with pytest.raises(ValueError, match="token"):
        sink_rate(np.full((1, 1, 3, 3), 1 / 3), token)


@pytest.mark.parametrize(
    "row",
    [[0.5, 0.4, 0.05], [0.5, 0.5, 1e-5], [1.5, -0.5, 0.0], [np.nan, 0.5, 0.5], [np.inf, 0.0, 0.0]],
    ids=["sums-below", "sums-above", "negative", "nan", "inf"],
)
def test_weights_that_are_not_rows_of_probabilities_raise(row):
    w = np.full((2, 2, 3, 3), 1 / 3)
    w[1, 0, 2] = row
    with pytest.raises(ValueError, match="probabilities"):
        sink_rate(w, 0)


def test_rows_within_the_tolerance_are_accepted():
    w = np.full((1, 1, 2, 2), 0.5)
    w[0, 0, 0, 0] += 5e-7
    assert sink_rate(w, 0, eps=0.4) == 1.0


@pytest.mark.parametrize("shape", [(3, 3), (1, 3, 3), (1, 1, 3, 2), (1, 1, 0, 0), (1, 1, 1, 2, 2)])
def test_weights_of_the_wrong_shape_raise(shape):
    with pytest.raises(ValueError, match="n_layers, n_heads"):
        sink_rate(np.ones(shape), 0)


# ---------------------------------------------------------------- sink profile


def plain_norm(x):  # list[float] -> float
    return math.sqrt(sum(a * a for a in x))


@pytest.mark.parametrize("seed", range(4))
def test_sink_profile_equals_the_loops(seed):
    rng = np.random.default_rng(seed)
    q, k, v = rng.normal(size=(5, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    k[0] *= 10  # a long sink key
    p = sink_profile(q, k, v, 0)
    cosines = [
        sum(a * b for a, b in zip(qi, k[0], strict=True)) / (plain_norm(qi) * plain_norm(k[0])) for qi in q
    ]
    assert p.token == 0
    assert p.key_norm == pytest.approx(plain_norm(k[0]), rel=1e-12)
    assert p.key_norm_median == pytest.approx(statistics.median(plain_norm(x) for x in k), rel=1e-12)
    assert p.key_norm > p.key_norm_median
    np.testing.assert_allclose(p.cosines, cosines, **TOL)
    assert p.mean_cosine == pytest.approx(sum(cosines) / 5, abs=1e-12)
    assert p.value_norm == pytest.approx(plain_norm(v[0]), rel=1e-12)
    assert p.value_norm_median == pytest.approx(statistics.median(plain_norm(x) for x in v), rel=1e-12)


def test_a_zero_query_has_cosine_zero_and_length_one_works():
    p = sink_profile([[0.0, 0.0], [1.0, 0.0]], [[2.0, 0.0], [0.0, 1.0]], [[0.0], [3.0]], 0)
    np.testing.assert_array_equal(p.cosines, [0.0, 1.0])
    assert (p.value_norm, p.value_norm_median) == (0.0, 1.5)
    one = sink_profile([[1.0, 1.0]], [[1.0, 1.0]], [[2.0]], 0)
    assert one.mean_cosine == pytest.approx(1.0) and one.key_norm == one.key_norm_median


@pytest.mark.parametrize(
    "shapes",
    [((3, 2), (3, 4), (3, 2)), ((3, 2), (3, 2), (4, 2)), ((3,), (3, 2), (3, 2)), ((3, 2), (3, 2), (1, 3, 2))],
)
def test_sink_profile_refuses_mismatched_shapes(shapes):
    with pytest.raises(ValueError):
        sink_profile(*(np.ones(s) for s in shapes), 0)


def test_sink_profile_refuses_a_token_out_of_range():
    with pytest.raises(ValueError, match="token=3"):
        sink_profile(np.ones((3, 2)), np.ones((3, 2)), np.ones((3, 2)), 3)


# ---------------------------------------------------------------- softmax plus one


@FAST
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)), elements=st.floats(-30, 30)))
def test_softmax_plus_one_equals_the_loop_and_rows_sum_below_one(s):
    got = softmax_plus_one(s)
    for i in range(s.shape[0]):
        np.testing.assert_allclose(got[i], plain_softmax_plus_one(list(s[i])), rtol=1e-12, atol=1e-300)
    assert np.all(got.sum(axis=-1) < 1)
    assert np.all(got >= 0)


def test_softmax_plus_one_with_a_mask_equals_the_loop():
    rng = np.random.default_rng(3)
    s, mask = rng.normal(size=(2, 4, 4)), np.broadcast_to(causal_mask(4), (2, 4, 4))
    got = softmax_plus_one(s, mask)
    assert np.all(got[~mask] == 0.0)
    for index in np.ndindex(2, 4):
        np.testing.assert_allclose(
            got[index], plain_softmax_plus_one(list(s[index]), list(mask[index])), **TOL
        )


def test_a_fully_masked_row_gives_zeros():
    got = softmax_plus_one(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[True, True], [False, False]]))
    assert np.array_equal(got[1], [0.0, 0.0])
    np.testing.assert_allclose(got[0], plain_softmax_plus_one([1.0, 2.0]), **TOL)


def test_large_scores_do_not_overflow():
    got = softmax_plus_one(np.array([[1e4, 1e4], [1e4, 0.0], [1e300, -1e300]]))
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, [[0.5, 0.5], [1.0, 0.0], [1.0, 0.0]], **TOL)
    assert np.all(got.sum(axis=-1) <= 1)


def test_an_all_very_negative_row_has_almost_no_mass():
    got = softmax_plus_one(np.array([[-1e4, -1e4, -1e4], [-30.0, -30.0, -30.0]]))
    assert got[0].sum() < 1e-300
    np.testing.assert_allclose(got[1], plain_softmax_plus_one([-30.0] * 3), **TOL)
    assert got[1].sum() < 1e-12
    assert softmax(np.array([-30.0] * 3)).sum() == pytest.approx(1.0)  # plain softmax must still spend 1


def test_softmax_plus_one_keeps_float32_and_checks_the_mask():
    assert softmax_plus_one(np.zeros((2, 3), np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="boolean"):
        softmax_plus_one(np.zeros((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="broadcast"):
        softmax_plus_one(np.zeros((2, 2)), np.ones((3, 2), bool))
