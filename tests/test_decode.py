"""Tests of attention.decode: step-by-step decoding from a K/V cache is causal attention, for less work.

References: a plain-Python causal attention written with loops and `math`, attention.core's causal
scaled dot-product attention, and PyTorch's scaled_dot_product_attention(is_causal=True) in float64
(skipped when torch is missing, unless ATTENTION_REQUIRE_REFERENCE=1). The multiplications are
counted again by loops that add one per product.
"""

import importlib
import math
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attention.core import causal_mask, scaled_dot_product_attention
from attention.decode import cached_decode

FAST = settings(max_examples=40, deadline=None)
TOL = dict(rtol=1e-12, atol=1e-12)


def torch_or_skip():  # -> the torch module, or skip (an ImportError when the reference is required)
    if os.environ.get("ATTENTION_REQUIRE_REFERENCE") == "1":
        return importlib.import_module("torch")
    return pytest.importorskip("torch", reason="torch is not importable: `pip install torch==2.13.0`")


def qkv(rng, seq, d_k=4, d_v=3):
    return rng.normal(size=(seq, d_k)), rng.normal(size=(seq, d_k)), rng.normal(size=(seq, d_v))


def plain_causal(q, k, v):  # lists -> (rows, outputs): query i against keys 0..i, by loops
    d_k, rows, outputs = len(q[0]), [], []
    for i in range(len(q)):
        s = [sum(q[i][m] * k[j][m] for m in range(d_k)) / math.sqrt(d_k) for j in range(i + 1)]
        e = [math.exp(x - max(s)) for x in s]
        w = [x / sum(e) for x in e]
        rows.append(w)
        outputs.append([sum(w[j] * v[j][c] for j in range(i + 1)) for c in range(len(v[0]))])
    return rows, outputs


def plain_counts(seq, d_k, d_v, prefill):  # -> (cached, recompute) per step, one += 1 per product
    cached, recompute = [], []
    for n in range(prefill, seq + 1):  # n = tokens in the cache after the step
        new = prefill if n == prefill else 1
        with_cache = full = 0
        for _query in range(new):
            for _key in range(n):
                with_cache += d_k + d_v  # q·k over d_k, then w · v over d_v
        for _query in range(n):
            for _key in range(n):
                full += d_k + d_v
        cached.append(with_cache)
        recompute.append(full)
    return cached, recompute


# ---------------------------------------------------------------- the same attention


@pytest.mark.parametrize("seq, prefill", [(1, 1), (2, 1), (2, 2), (7, 1), (7, 2), (7, 7)])
def test_outputs_and_rows_equal_the_loops_and_dense_causal_attention(seq, prefill):
    q, k, v = qkv(np.random.default_rng(seq * 10 + prefill), seq)
    t = cached_decode(q, k, v, prefill=prefill)
    rows, outputs = plain_causal(q.tolist(), k.tolist(), v.tolist())
    dense = scaled_dot_product_attention(q, k, v, mask=causal_mask(seq))
    np.testing.assert_allclose(t.outputs, outputs, **TOL)
    np.testing.assert_allclose(t.outputs, dense.output, **TOL)
    assert len(t.rows) == seq
    for step, row in enumerate(t.rows):
        assert row.shape == (step + 1,)
        np.testing.assert_allclose(row, rows[step], **TOL)
        np.testing.assert_allclose(row, dense.weights[step, : step + 1], **TOL)


@pytest.mark.model
@pytest.mark.parametrize("seq, d_k, d_v", [(1, 2, 2), (5, 4, 3), (12, 8, 5)])
def test_outputs_equal_torch_causal_attention_in_float64(seq, d_k, d_v):
    torch = torch_or_skip()
    q, k, v = qkv(np.random.default_rng(seq), seq, d_k, d_v)
    theirs = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(x, dtype=torch.float64) for x in (q, k, v)), is_causal=True
    )
    for prefill in (1, seq):
        np.testing.assert_allclose(cached_decode(q, k, v, prefill=prefill).outputs, theirs.numpy(), **TOL)


def test_prefill_rows_come_from_the_prefill_pass():
    q, k, v = qkv(np.random.default_rng(4), 6)
    t = cached_decode(q, k, v, prefill=4)
    first = scaled_dot_product_attention(q[:4], k[:4], v[:4], mask=causal_mask(4))
    for step in range(4):
        np.testing.assert_array_equal(t.rows[step], first.weights[step, : step + 1])
    np.testing.assert_array_equal(t.outputs[:4], first.output)


@FAST
@given(st.integers(1, 6), st.integers(0, 5), st.integers(0, 2**32 - 1))
def test_a_query_is_used_only_at_its_own_step(seq, changed, seed):
    """Why Q is not cached: changing query s changes output s and no other."""
    changed = changed % seq
    q, k, v = qkv(np.random.default_rng(seed), seq)
    before = cached_decode(q, k, v).outputs
    q[changed] += 1.0
    after = cached_decode(q, k, v).outputs
    others = np.arange(seq) != changed
    np.testing.assert_array_equal(after[others], before[others])


def test_no_step_sees_a_later_key_or_value():
    q, k, v = qkv(np.random.default_rng(5), 5)
    before = cached_decode(q, k, v).outputs
    k[3:] += 10.0
    v[3:] -= 10.0
    np.testing.assert_array_equal(cached_decode(q, k, v).outputs[:3], before[:3])


# ---------------------------------------------------------------- the cache and the counts


@pytest.mark.parametrize("seq, prefill", [(1, 1), (6, 1), (6, 3), (6, 6)])
def test_the_cache_grows_by_one_row_per_step(seq, prefill):
    t = cached_decode(*qkv(np.random.default_rng(0), seq), prefill=prefill)
    assert t.prefill == prefill
    np.testing.assert_array_equal(t.cache_rows, np.arange(prefill, seq + 1))
    assert np.all(np.diff(t.cache_rows) == 1) and t.cache_rows[-1] == seq


@pytest.mark.parametrize("seq, d_k, d_v, prefill", [(1, 3, 2, 1), (8, 4, 3, 1), (8, 4, 3, 5), (5, 2, 7, 5)])
def test_multiplications_equal_the_loop_counts(seq, d_k, d_v, prefill):
    t = cached_decode(*qkv(np.random.default_rng(1), seq, d_k, d_v), prefill=prefill)
    cached, recompute = plain_counts(seq, d_k, d_v, prefill)
    assert t.cached_mults.tolist() == cached and t.recompute_mults.tolist() == recompute
    assert t.cached_total == sum(cached) and t.recompute_total == sum(recompute)


def test_the_cache_saves_work_only_once_there_are_steps():
    long = cached_decode(*qkv(np.random.default_rng(2), 10, 4, 4))
    assert long.cached_total == sum(n * 8 for n in range(1, 11))  # 440: linear steps
    assert long.recompute_total == sum(n * n * 8 for n in range(1, 11))  # 3080: quadratic steps
    whole = cached_decode(*qkv(np.random.default_rng(2), 10, 4, 4), prefill=10)
    assert whole.cached_total == whole.recompute_total == 800


# ---------------------------------------------------------------- bad arguments


def test_mismatched_shapes_raise():
    """The checks shared with attention.tiling (tested there in full), and decoding's own."""
    ones = np.ones
    with pytest.raises(ValueError, match="self-attention"):
        cached_decode(ones((4, 3)), ones((5, 3)), ones((5, 2)))
    with pytest.raises(ValueError, match="d_k=3"):
        cached_decode(ones((4, 3)), ones((4, 2)), ones((4, 2)))
    with pytest.raises(ValueError, match="2-D"):
        cached_decode(ones((1, 4, 3)), ones((1, 4, 3)), ones((1, 4, 2)))
    with pytest.raises(ValueError, match="4 keys"):
        cached_decode(ones((4, 3)), ones((4, 3)), ones((5, 2)))


@pytest.mark.parametrize("prefill", [0, -1, 5, 2.0, True, None])
def test_a_bad_prefill_raises(prefill):
    with pytest.raises(ValueError, match="prefill"):
        cached_decode(*qkv(np.random.default_rng(0), 4), prefill=prefill)
