"""Tests of attention.core: softmax, the causal mask and scaled dot-product attention.

Every result is checked against a plain-Python reference written with loops and `math`, so the
vectorised numpy code is compared with the formula read one number at a time.
"""

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attention.core import causal_mask, scaled_dot_product_attention, softmax

FAST = settings(max_examples=60, deadline=None)
finite = st.floats(allow_nan=False, allow_infinity=False)
moderate = st.floats(-10, 10, allow_nan=False)
small_side = st.integers(1, 5)


def reference_softmax(row):  # list[float] -> list[float]
    """Softmax of one row by hand: exp(x - max) / Σ, with -inf entries given weight 0."""
    allowed = [x for x in row if x != -math.inf]
    if not allowed:
        return [0.0] * len(row)
    top = max(allowed)
    e = [0.0 if x == -math.inf else math.exp(x - top) for x in row]
    return [x / sum(e) for x in e]


def reference_attention(q, k, v, mask=None, scale=None):  # [seq_q, d_k], [seq_k, d_k], [seq_k, d_v]
    """The formula as three nested loops: score, scale, mask, softmax each row, mix the values."""
    seq_q, seq_k, d_k, d_v = len(q), len(k), len(q[0]), len(v[0])
    scale = 1 / math.sqrt(d_k) if scale is None else scale
    weights, output = [], []
    for i in range(seq_q):
        row = []
        for j in range(seq_k):
            s = sum(q[i][d] * k[j][d] for d in range(d_k)) * scale
            row.append(s if mask is None or mask[i][j] else -math.inf)
        w = reference_softmax(row)
        weights.append(w)
        output.append([sum(w[j] * v[j][e] for j in range(seq_k)) for e in range(d_v)])
    return np.array(weights), np.array(output)


def notebook_softmax(z):  # [..] -> [..], the whole array sums to 1
    """The notebook's softmax: exp over the sum of the WHOLE array, not of each row."""
    e = np.exp(z)
    return e / np.sum(e)


# ---------------------------------------------------------------- softmax


def test_softmax_reproduces_the_notebook_print():
    np.testing.assert_allclose(softmax([2.0, 1.0, 0.1]), [0.65900114, 0.24243297, 0.09856589], atol=5e-9)


def test_softmax_normalises_each_row_not_the_whole_matrix():
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(softmax(x).sum(axis=-1), [1.0, 1.0])
    # The notebook divides by the sum of the whole matrix: its rows do not sum to 1.
    whole = notebook_softmax(x)
    assert whole.sum() == pytest.approx(1.0)
    assert not np.allclose(whole.sum(axis=-1), 1.0)
    assert not np.allclose(whole, softmax(x))


def test_softmax_axis_argument():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(softmax(x, axis=0), softmax(x.T).T)
    np.testing.assert_allclose(softmax(x, axis=0).sum(axis=0), [1.0, 1.0, 1.0])


@FAST
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6), elements=moderate))
def test_softmax_matches_the_reference_row_by_row(x):
    got = softmax(x)
    for index in np.ndindex(x.shape[:-1]):
        np.testing.assert_allclose(got[index], reference_softmax(list(x[index])), rtol=1e-12, atol=1e-15)


@FAST
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6), elements=finite))
def test_softmax_is_finite_and_rows_sum_to_one_for_any_finite_input(x):
    w = softmax(x)
    assert np.all(np.isfinite(w))
    assert np.all((w >= 0) & (w <= 1))
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-12)


@FAST
@given(
    hnp.arrays(np.float64, st.tuples(small_side, small_side), elements=st.floats(-100, 100)),
    st.lists(st.floats(-100, 100), min_size=5, max_size=5),
)
def test_softmax_is_invariant_to_a_constant_added_per_row(x, shifts):
    shift = np.array(shifts[: x.shape[0]])[:, None]
    np.testing.assert_allclose(softmax(x + shift), softmax(x), atol=1e-10)


@pytest.mark.parametrize(
    "row",
    [[1e300, -1e300, 0.0], [1e300, 1e300], [-1e300, -1e300, -1e300], [1.7e308, -1.7e308, 0.0]],
)
def test_softmax_survives_extreme_values(row):
    w = softmax(np.array(row))
    assert np.all(np.isfinite(w))
    assert w.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(w, reference_softmax(row))


def test_softmax_gives_negative_infinity_exactly_zero():
    w = softmax(np.array([[0.5, -np.inf, 2.0, -np.inf]]))
    assert w[0, 1] == 0.0 and w[0, 3] == 0.0
    assert w[0].sum() == pytest.approx(1.0)


def test_softmax_of_an_all_negative_infinity_row_is_zeros():
    w = softmax(np.array([[-np.inf, -np.inf, -np.inf], [1.0, 2.0, 3.0]]))
    assert np.array_equal(w[0], [0.0, 0.0, 0.0])
    assert w[1].sum() == pytest.approx(1.0)


@FAST
@given(
    hnp.arrays(
        np.float32,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
        elements=st.floats(width=32, allow_nan=False, allow_infinity=False),
    )
)
def test_softmax_keeps_float32(x):
    w = softmax(x)
    assert w.dtype == np.float32
    assert np.all(np.isfinite(w))
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-5)


def test_softmax_turns_integers_into_floats():
    w = softmax(np.array([1, 2, 3]))
    assert np.issubdtype(w.dtype, np.floating)
    assert w.sum() == pytest.approx(1.0)


# ---------------------------------------------------------------- causal mask


@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_causal_mask_is_the_lower_triangle(n):
    m = causal_mask(n)
    assert m.dtype == np.bool_ and m.shape == (n, n)
    for i in range(n):
        for j in range(n):
            assert m[i, j] == (j <= i)


@pytest.mark.parametrize("n", [0, -1])
def test_causal_mask_rejects_empty_sizes(n):
    with pytest.raises(ValueError, match=str(n)):
        causal_mask(n)


# ---------------------------------------------------------------- scaled dot-product attention


@st.composite
def qkv(draw, elements=moderate, batch=()):
    """q [.., seq_q, d_k], k [.., seq_k, d_k], v [.., seq_k, d_v] with small random sides."""
    seq_q, seq_k, d_k, d_v = (draw(small_side) for _ in range(4))
    q = draw(hnp.arrays(np.float64, (*batch, seq_q, d_k), elements=elements))
    k = draw(hnp.arrays(np.float64, (*batch, seq_k, d_k), elements=elements))
    v = draw(hnp.arrays(np.float64, (*batch, seq_k, d_v), elements=elements))
    return q, k, v


def test_trace_fields_follow_the_formula():
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(4, 8)), rng.normal(size=(5, 8)), rng.normal(size=(5, 3))
    t = scaled_dot_product_attention(q, k, v)
    np.testing.assert_allclose(t.scores, q @ k.T, rtol=1e-14)
    assert t.scale == 1 / np.sqrt(8)
    np.testing.assert_allclose(t.scaled, t.scores / np.sqrt(8), rtol=1e-15)
    np.testing.assert_allclose(t.output, t.weights @ v, rtol=1e-14)
    assert t.mask is None
    assert (t.scores.shape, t.weights.shape, t.output.shape) == ((4, 5), (4, 5), (4, 3))


def test_scale_one_means_unscaled_and_a_custom_scale_is_used():
    rng = np.random.default_rng(1)
    q, k, v = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 2))
    t = scaled_dot_product_attention(q, k, v, scale=1.0)
    assert t.scale == 1.0 and np.array_equal(t.scaled, t.scores)
    t = scaled_dot_product_attention(q, k, v, scale=0.25)
    assert t.scale == 0.25 and np.array_equal(t.scaled, t.scores * 0.25)


@FAST
@given(qkv(), st.data())
def test_attention_equals_the_triple_loop_reference(arrays, data):
    q, k, v = arrays
    mask = data.draw(st.none() | hnp.arrays(np.bool_, (q.shape[0], k.shape[0])))
    scale = data.draw(st.none() | st.floats(0.01, 4.0))
    t = scaled_dot_product_attention(q, k, v, mask=mask, scale=scale)
    weights, output = reference_attention(q.tolist(), k.tolist(), v.tolist(), mask, scale)
    np.testing.assert_allclose(t.weights, weights, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(t.output, output, rtol=1e-9, atol=1e-9)


@FAST
@given(qkv(), st.data())
def test_masked_weights_are_exactly_zero_and_other_rows_sum_to_one(arrays, data):
    q, k, v = arrays
    mask = data.draw(hnp.arrays(np.bool_, (q.shape[0], k.shape[0])))
    t = scaled_dot_product_attention(q, k, v, mask=mask)
    assert np.all(t.weights[~mask] == 0.0)
    assert np.all(np.isfinite(t.weights)) and np.all(np.isfinite(t.output))
    for i, allowed in enumerate(mask):
        expected = 1.0 if allowed.any() else 0.0
        assert t.weights[i].sum() == pytest.approx(expected)


def test_a_fully_masked_row_gives_zeros_not_nan():
    q = k = v = np.eye(3)
    mask = np.array([[False, False, False], [True, True, False], [True, True, True]])
    t = scaled_dot_product_attention(q, k, v, mask=mask)
    assert np.array_equal(t.weights[0], [0.0, 0.0, 0.0])
    assert np.array_equal(t.output[0], [0.0, 0.0, 0.0])
    assert not np.any(np.isnan(t.weights))


@FAST
@given(st.integers(1, 4), st.data())
def test_attention_batches_over_leading_axes_and_broadcasts_the_mask(n_heads, data):
    q, k, v = data.draw(qkv(batch=(n_heads,)))
    mask = data.draw(hnp.arrays(np.bool_, (q.shape[-2], k.shape[-2])))
    t = scaled_dot_product_attention(q, k, v, mask=mask)
    for h in range(n_heads):
        one = scaled_dot_product_attention(q[h], k[h], v[h], mask=mask)
        np.testing.assert_allclose(t.weights[h], one.weights, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(t.output[h], one.output, rtol=1e-12, atol=1e-12)


def test_attention_over_two_leading_axes():
    rng = np.random.default_rng(2)
    q, k, v = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(2, 3, 6, 2))
    t = scaled_dot_product_attention(q, k, v, mask=causal_mask(6)[:4])
    assert t.output.shape == (2, 3, 4, 2)
    for b, h in np.ndindex(2, 3):
        w, out = reference_attention(q[b, h].tolist(), k[b, h].tolist(), v[b, h].tolist(), causal_mask(6)[:4])
        np.testing.assert_allclose(t.weights[b, h], w, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(t.output[b, h], out, rtol=1e-10, atol=1e-12)


@FAST
@given(
    hnp.arrays(np.float64, st.tuples(small_side, small_side), elements=st.floats(-1e300, 1e300)), st.data()
)
def test_no_nan_or_inf_for_scores_up_to_1e300(s, data):
    # With k = identity the scores are q itself, so any score matrix can be fed in exactly.
    n = s.shape[1]
    v = data.draw(hnp.arrays(np.float64, (n, 2), elements=moderate))
    mask = data.draw(st.none() | hnp.arrays(np.bool_, s.shape))
    t = scaled_dot_product_attention(s, np.eye(n), v, mask=mask, scale=1.0)
    assert np.array_equal(t.scores, s)
    assert np.all(np.isfinite(t.weights)) and np.all(np.isfinite(t.output))
    allowed = np.ones(s.shape, bool) if mask is None else mask
    np.testing.assert_allclose(t.weights.sum(axis=-1), allowed.any(axis=-1).astype(float), rtol=1e-12)


@FAST
@given(qkv(), st.data())
def test_permuting_the_tokens_permutes_weights_and_outputs(arrays, data):
    q, k, v = arrays
    n = min(q.shape[0], k.shape[0])
    q, k, v = q[:n], k[:n], v[:n]  # self-attention: one sequence of n tokens
    perm = np.array(data.draw(st.permutations(range(n))))
    p = np.eye(n)[perm]  # (p @ x)[i] = x[perm[i]]
    mask = data.draw(st.none() | hnp.arrays(np.bool_, (n, n)))
    pmask = None if mask is None else mask[np.ix_(perm, perm)]
    t = scaled_dot_product_attention(q, k, v, mask=mask)
    tp = scaled_dot_product_attention(q[perm], k[perm], v[perm], mask=pmask)
    np.testing.assert_allclose(tp.weights, p @ t.weights @ p.T, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tp.output, p @ t.output, rtol=1e-10, atol=1e-12)


def test_float32_inputs_stay_float32():
    rng = np.random.default_rng(3)
    q, k, v = (rng.normal(size=(4, 8)).astype(np.float32) for _ in range(3))
    t = scaled_dot_product_attention(q, k, v, mask=causal_mask(4))
    for a in (t.scores, t.scaled, t.weights, t.output):
        assert a.dtype == np.float32
    np.testing.assert_allclose(t.scaled, t.scores / np.sqrt(np.float32(8)), rtol=1e-6)


@pytest.mark.parametrize(
    ("shapes", "mask", "message"),
    [
        (((2, 3), (2, 4), (2, 5)), None, r"3.*4"),  # q/k depth
        (((2, 3), (4, 3), (5, 2)), None, r"4.*5"),  # k/v length
        (((2, 0), (4, 0), (4, 2)), None, r"d_k.*0"),  # empty depth
        (((2, 3), (4, 3), (4, 2)), np.ones((2, 4), dtype=int), r"boolean.*int"),
        (((2, 3), (4, 3), (4, 2)), np.ones((3, 4), dtype=bool), r"\(3, 4\).*\(2, 4\)"),
        (((2, 3), (4, 3), (4, 2)), np.ones((5, 2, 4), dtype=bool), r"\(5, 2, 4\).*\(2, 4\)"),  # adds an axis
    ],
)
def test_attention_rejects_inconsistent_inputs_naming_the_sizes(shapes, mask, message):
    q, k, v = (np.ones(shape) for shape in shapes)
    with pytest.raises(ValueError, match=message):
        scaled_dot_product_attention(q, k, v, mask=mask)
