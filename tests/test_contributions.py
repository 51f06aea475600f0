"""Tests of attention.contributions against plain Python loops over i, j and the vector entries."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attention.contributions import pair_norms, pair_vectors, shares
from attention.core import causal_mask, masked_fill, softmax

FAST = settings(max_examples=40, deadline=None)
TOL = dict(rtol=1e-12, atol=1e-12)


def head(rng, seq_q=4, seq_k=5, d_v=3, d_out=6, mask=None):  # -> softmax weights, values, w_o of one head
    weights = softmax(masked_fill(rng.normal(size=(seq_q, seq_k)) * 2, mask, -np.inf))
    return weights, rng.normal(size=(seq_k, d_v)), rng.normal(size=(d_v, d_out))


# Plain references: loops over lists, written from the definitions.


def plain_vectors(weights, values, w_o):  # -> nested lists [q][k][d_out]: α_ij · Σ_d v_j[d] W_O[d, e]
    out = []
    for i in range(len(weights)):
        row = []
        for j in range(len(values)):
            row.append(
                [
                    weights[i][j] * sum(values[j][d] * w_o[d][e] for d in range(len(w_o)))
                    for e in range(len(w_o[0]))
                ]
            )
        out.append(row)
    return out


def plain_norms(weights, values, w_o):  # -> nested lists [q][k]: the length of each f_ij
    return [[math.sqrt(sum(x * x for x in f)) for f in row] for row in plain_vectors(weights, values, w_o)]


def plain_shares(x):  # nested lists [q][k] -> (row shares [q][k], per-key mean over live rows [k])
    rows, live = [], 0
    for row in x:
        total = sum(row)
        rows.append([value / total if total > 0 else 0.0 for value in row])
        live += total > 0
    keys = [sum(rows[i][j] for i in range(len(rows))) / max(live, 1) for j in range(len(x[0]))]
    return rows, keys


# ---------------------------------------------------------------- pair vectors and norms


@pytest.mark.parametrize("seed", range(4))
def test_vectors_and_norms_equal_the_loops(seed):
    w, v, o = head(np.random.default_rng(seed))
    np.testing.assert_allclose(
        pair_vectors(w, v, o), plain_vectors(w.tolist(), v.tolist(), o.tolist()), **TOL
    )
    np.testing.assert_allclose(pair_norms(w, v, o), plain_norms(w.tolist(), v.tolist(), o.tolist()), **TOL)


@pytest.mark.parametrize("seed", range(4))
def test_vectors_summed_over_the_keys_are_the_heads_output(seed):
    w, v, o = head(np.random.default_rng(seed), seq_q=6, seq_k=6, mask=causal_mask(6))  # zeros above
    assert pair_vectors(w, v, o).shape == (6, 6, 6)
    np.testing.assert_allclose(pair_vectors(w, v, o).sum(axis=-2), w @ v @ o, **TOL)


def test_norms_are_the_lengths_of_the_vectors_over_head_axes():
    rng = np.random.default_rng(7)
    w = rng.random((2, 3, 4, 5))  # [n_layers, n_heads, q, k]
    v, o = rng.normal(size=(2, 3, 5, 4)), rng.normal(size=(2, 3, 4, 7))
    np.testing.assert_allclose(pair_norms(w, v, o), np.linalg.norm(pair_vectors(w, v, o), axis=-1), **TOL)
    for layer in range(2):
        for h in range(3):
            np.testing.assert_allclose(
                pair_norms(w, v, o)[layer, h], pair_norms(w[layer, h], v[layer, h], o[layer, h])
            )


def test_a_big_weight_on_a_small_vector_is_a_small_influence():
    w = np.array([[0.9, 0.1]])
    v = np.array([[0.01, 0.0], [10.0, 0.0]])
    norms = pair_norms(w, v, np.eye(2))
    np.testing.assert_allclose(norms, [[0.009, 1.0]], **TOL)
    s = shares(w, norms)
    np.testing.assert_allclose(s.weight, [[0.9, 0.1]], **TOL)
    np.testing.assert_allclose(s.contribution, [[0.009 / 1.009, 1.0 / 1.009]], **TOL)
    assert s.contribution[0, 1] > s.weight[0, 1]


def test_a_nan_weight_counts_as_zero():
    w = np.array([[0.25, np.nan, 0.75]])
    v, o = np.ones((3, 2)), np.eye(2)
    assert pair_norms(w, v, o)[0, 1] == 0.0
    assert np.array_equal(pair_vectors(w, v, o)[0, 1], [0.0, 0.0])
    assert np.all(np.isfinite(shares(w, pair_norms(w, v, o)).contribution))


@FAST
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_equal_value_norms_make_the_two_shares_agree(seq_q, seq_k, seed):
    rng = np.random.default_rng(seed)
    w = head(rng, seq_q, seq_k)[0]
    v = rng.normal(size=(seq_k, 3))
    v /= np.linalg.norm(v, axis=-1, keepdims=True)  # every value of length 1, W_O a rotation
    rotation = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    s = shares(w, pair_norms(w, v, rotation))
    np.testing.assert_allclose(s.contribution, s.weight, **TOL)


# ---------------------------------------------------------------- shares


@pytest.mark.parametrize("seed", range(3))
def test_shares_equal_the_loops_with_an_empty_row(seed):
    w, v, o = head(np.random.default_rng(seed))
    w[2] = 0.0  # a row whose every key is masked
    norms = pair_norms(w, v, o)
    s = shares(w, norms)
    for got, x in ((s.weight, w), (s.contribution, norms)):
        np.testing.assert_allclose(got, plain_shares(x.tolist())[0], **TOL)
    np.testing.assert_allclose(s.key_weight, plain_shares(w.tolist())[1], **TOL)
    np.testing.assert_allclose(s.key_contribution, plain_shares(norms.tolist())[1], **TOL)
    assert np.array_equal(s.contribution[2], np.zeros(5))
    np.testing.assert_allclose(s.contribution.sum(axis=-1), [1, 1, 0, 1], **TOL)
    assert s.key_weight.sum() == pytest.approx(1.0, abs=1e-12)
    assert s.key_contribution.sum() == pytest.approx(1.0, abs=1e-12)


def test_shares_of_all_empty_rows_are_zeros():
    s = shares(np.zeros((2, 3)), np.zeros((2, 3)))
    assert not s.weight.any() and not s.contribution.any() and not s.key_contribution.any()


# ---------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "shapes, message",
    [
        (((4, 5), (6, 3), (3, 2)), "5 keys"),
        (((4, 5), (5, 3), (4, 2)), "d_v=3"),
        (((5,), (5, 3), (3, 2)), "weights"),
        (((4, 5), (5,), (3, 2)), "values"),
        (((4, 5), (5, 3), (3,)), "w_o"),
    ],
)
def test_mismatched_shapes_raise(shapes, message):
    w, v, o = (np.ones(shape) for shape in shapes)
    for f in (pair_norms, pair_vectors):
        with pytest.raises(ValueError, match=message):
            f(w, v, o)


@pytest.mark.parametrize(
    "weights, norms",
    [(np.ones((2, 3)), np.ones((3, 2))), (np.ones(3), np.ones(3)), (-np.ones((1, 2)), np.ones((1, 2)))],
)
def test_shares_refuse_bad_arguments(weights, norms):
    with pytest.raises(ValueError):
        shares(weights, norms)
