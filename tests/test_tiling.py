"""Tests of attention.tiling: the online softmax over key blocks equals dense attention, exactly.

References: attention.core's dense scaled dot-product attention, and a plain-Python loop that
computes each block's statistics from their definitions (the max, the sum and the partial output
over all keys seen so far), never through the recurrence under test.
"""

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attention.core import causal_mask, scaled_dot_product_attention
from attention.tiling import online_attention

FAST = settings(max_examples=60, deadline=None)
TOL = dict(rtol=1e-12, atol=1e-12)


def qkv(rng, seq_q=5, seq_k=7, d_k=4, d_v=3):
    return rng.normal(size=(seq_q, d_k)), rng.normal(size=(seq_k, d_k)), rng.normal(size=(seq_k, d_v))


def plain_blocks(q, k, v, block, mask):  # lists -> per block [(max, sum, partial)] of each query row
    d_k, seq_k, out = len(q[0]), len(k), []
    for end in range(block, seq_k + block, block):
        stats = []
        for i in range(len(q)):
            seen = [j for j in range(min(end, seq_k)) if mask[i][j]]
            s = {j: sum(q[i][m] * k[j][m] for m in range(d_k)) / math.sqrt(d_k) for j in seen}
            top = max(s.values(), default=-math.inf)
            e = {j: math.exp(s[j] - top) for j in seen}
            total = sum(e.values())
            partial = [sum(e[j] * v[j][c] for j in seen) / total if total else 0.0 for c in range(len(v[0]))]
            stats.append((top, total, partial))
        out.append(stats)
    return out


def masks(seq_q, seq_k, rng):  # the masked cases: none, causal, random holes with a fully masked row
    holes = rng.random((seq_q, seq_k)) < 0.6
    holes[min(1, seq_q - 1)] = False
    return {"none": None, "causal": np.tri(seq_q, seq_k, dtype=bool), "holes": holes}


# ---------------------------------------------------------------- equal to dense attention


@pytest.mark.parametrize("kind", ["none", "causal", "holes"])
@pytest.mark.parametrize("block", [1, 3, 7])
def test_output_and_weights_equal_dense_attention(block, kind):
    rng = np.random.default_rng(block)
    q, k, v = qkv(rng)
    mask = masks(5, 7, rng)[kind]
    t = online_attention(q, k, v, block, mask=mask)
    dense = scaled_dot_product_attention(q, k, v, mask=mask)
    np.testing.assert_allclose(t.output, dense.output, **TOL)
    np.testing.assert_allclose(t.weights, dense.weights, **TOL)
    assert np.all(np.isfinite(t.output)) and np.all(np.isfinite(t.weights))
    if mask is not None:
        assert np.all(t.weights[~mask] == 0.0)


@pytest.mark.parametrize("kind", ["none", "causal", "holes"])
@pytest.mark.parametrize("block", [1, 3, 7])
def test_every_block_equals_the_loop_from_the_definitions(block, kind):
    rng = np.random.default_rng(10 + block)
    q, k, v = qkv(rng)
    mask = masks(5, 7, rng)[kind]
    t = online_attention(q, k, v, block, mask=mask)
    allowed = np.ones((5, 7), bool) if mask is None else mask
    expected = plain_blocks(q.tolist(), k.tolist(), v.tolist(), block, allowed.tolist())
    assert t.running_max.shape == t.running_sum.shape == t.rescale.shape == (len(expected), 5)
    assert t.partial.shape == (len(expected), 5, 3)
    for b, stats in enumerate(expected):
        for i, (top, total, partial) in enumerate(stats):
            assert t.running_max[b, i] == pytest.approx(top, rel=1e-12, abs=1e-12)  # -inf: exactly
            assert t.running_sum[b, i] == pytest.approx(total, rel=1e-12, abs=1e-12)
            np.testing.assert_allclose(t.partial[b, i], partial, **TOL)
            before = expected[b - 1][i][0] if b else -math.inf
            rescale = 0.0 if before == -math.inf else math.exp(before - top)
            assert t.rescale[b, i] == pytest.approx(rescale, rel=1e-12, abs=1e-12)


@FAST
@given(
    st.integers(1, 6),
    st.integers(1, 9),
    st.integers(1, 10),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_any_block_size_equals_dense_attention(seq_q, seq_k, block, seed, masked):
    rng = np.random.default_rng(seed)
    q, k, v = qkv(rng, seq_q, seq_k)
    mask = rng.random((seq_q, seq_k)) < 0.5 if masked else None
    t = online_attention(q, k, v, block, mask=mask)
    dense = scaled_dot_product_attention(q, k, v, mask=mask)
    assert t.running_max.shape[0] == math.ceil(seq_k / block)
    np.testing.assert_allclose(t.output, dense.output, **TOL)
    np.testing.assert_allclose(t.weights, dense.weights, **TOL)
    np.testing.assert_array_equal(t.output, t.partial[-1])


@FAST
@given(hnp.arrays(np.float64, (3, 6), elements=st.floats(-300, 300)), st.integers(1, 6))
def test_large_scores_stay_finite_and_match(s, block):
    """k = I makes the scaled scores 10 × q, up to ±3000: exp of them unshifted would overflow."""
    q, k, v = s, np.eye(6), np.arange(12.0).reshape(6, 2)
    t = online_attention(q, k, v, block, scale=10.0)
    dense = scaled_dot_product_attention(q, k, v, scale=10.0)
    assert np.all(np.isfinite(t.output))
    np.testing.assert_allclose(t.output, dense.output, rtol=1e-12, atol=1e-9)


def test_the_rescale_is_zero_first_and_one_when_the_max_stays():
    q, k, v = np.ones((1, 1)), np.array([[3.0], [1.0], [2.0], [5.0]]), np.eye(4)
    t = online_attention(q, k, v, 1, scale=1.0)
    np.testing.assert_array_equal(t.running_max[:, 0], [3.0, 3.0, 3.0, 5.0])
    np.testing.assert_allclose(t.rescale[:, 0], [0.0, 1.0, 1.0, math.exp(-2.0)], **TOL)
    np.testing.assert_allclose(t.running_sum[-1, 0], sum(math.exp(x - 5.0) for x in (3, 1, 2, 5)), **TOL)
    assert np.all(t.rescale <= 1)


def test_a_fully_masked_row_gives_zeros_and_keeps_the_max_at_minus_infinity():
    q, k, v = qkv(np.random.default_rng(3), 3, 5)
    mask = np.ones((3, 5), bool)
    mask[1] = False
    mask[2, :3] = False  # row 2 sees nothing in the first block of 3
    t = online_attention(q, k, v, 3, mask=mask)
    assert np.all(t.running_max[:, 1] == -np.inf) and np.all(t.running_sum[:, 1] == 0)
    assert np.array_equal(t.output[1], np.zeros(3)) and np.array_equal(t.weights[1], np.zeros(5))
    assert t.running_max[0, 2] == -np.inf and np.isfinite(t.running_max[1, 2])
    assert np.array_equal(t.partial[0, 2], np.zeros(3)) and t.rescale[1, 2] == 0.0
    assert not np.isnan(t.partial).any() and not np.isnan(t.rescale).any()


def test_length_one_sequences_and_a_custom_scale():
    t = online_attention([[2.0]], [[3.0]], [[4.0, 5.0]], 1, scale=0.5)
    np.testing.assert_array_equal(t.output, [[4.0, 5.0]])
    assert (t.running_max[0, 0], t.running_sum[0, 0], t.weights[0, 0], t.scale) == (3.0, 1.0, 1.0, 0.5)
    causal = online_attention(*qkv(np.random.default_rng(0), 4, 4), 2, mask=causal_mask(4))
    dense = scaled_dot_product_attention(*qkv(np.random.default_rng(0), 4, 4), mask=causal_mask(4))
    np.testing.assert_allclose(causal.weights, dense.weights, **TOL)
    assert causal.scale == 0.5 and causal.block == 2  # d_k = 4: 1/√4


def test_float32_stays_float32():
    q, k, v = (x.astype(np.float32) for x in qkv(np.random.default_rng(2)))
    t = online_attention(q, k, v, 3)
    assert t.output.dtype == t.weights.dtype == t.running_sum.dtype == np.float32
    dense = scaled_dot_product_attention(q, k, v)
    np.testing.assert_allclose(t.output, dense.output, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("block", [0, -2, 2.0, 1.5, "3", None, True])
def test_a_bad_block_raises(block):
    with pytest.raises(ValueError, match="block"):
        online_attention(*qkv(np.random.default_rng(0)), block)


@pytest.mark.parametrize(
    "shapes, message",
    [
        (((5, 4), (7, 3), (7, 3)), "d_k=4"),
        (((5, 4), (7, 4), (6, 3)), "7 keys"),
        (((4,), (7, 4), (7, 3)), "2-D"),
        (((1, 5, 4), (1, 7, 4), (1, 7, 3)), "2-D"),
        (((5, 4), (0, 4), (0, 3)), "seq >= 1"),
    ],
)
def test_mismatched_shapes_raise(shapes, message):
    with pytest.raises(ValueError, match=message):
        online_attention(*(np.ones(s) for s in shapes), 2)


def test_a_bad_mask_raises():
    q, k, v = qkv(np.random.default_rng(0))
    with pytest.raises(ValueError, match="boolean"):
        online_attention(q, k, v, 2, mask=np.ones((5, 7)))
    with pytest.raises(ValueError, match="broadcast"):
        online_attention(q, k, v, 2, mask=np.ones((7, 5), bool))
