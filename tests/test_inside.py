"""Tests of attention.inside and attention.replay: the tab's readings of the traces, against the
definitions (sums over keys, single-token sink rates, shift invariance, dense and causal attention)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attention import Settings, run
from attention.core import causal_mask, scaled_dot_product_attention
from attention.inside import (
    every_head_on,
    group_sink_rates,
    head_contributions,
    head_rows,
    marked,
    marked_positions,
    marked_shares,
    max_difference,
    sink_candidates,
    sink_groups,
    sink_rates_by_group,
    sink_view,
    toy_contributions,
    widest_gap,
    with_null,
)
from attention.replay import decode_step, online_against_dense
from attention.sinks import sink_rates
from tests.test_sinks import random_weights

FAST = settings(max_examples=25, deadline=None)
BERT = ["[CLS]", "the", "animal", "didn", "'", "t", "cross", ".", "[SEP]"]


@FAST
@given(st.integers(0, 999), st.integers(1, 4), st.sampled_from(["none", "padding", "causal"]))
def test_the_pair_vectors_of_every_toy_head_sum_to_its_part_of_the_output(seed, n_heads, mask):
    t = run(Settings(seed=seed, n_heads=n_heads, d_model=16, d_k=8, mask=mask, seq_len=9))
    parts = []
    for h in range(n_heads):
        c = toy_contributions(t, h)
        assert c.sum_error < 1e-12  # float64
        parts.append(c.part)
    np.testing.assert_allclose(sum(parts), t.attention.output, atol=1e-12)  # the heads' parts add up


def test_one_head_has_no_output_projection_and_its_part_is_its_own_output():
    t = run(Settings())
    assert t.w_o is None
    np.testing.assert_array_equal(head_rows(None, 0, 1, 16), np.eye(16))
    np.testing.assert_allclose(toy_contributions(t, 0).part, t.attention.heads[0], atol=1e-14)
    with pytest.raises(ValueError, match="n_heads·d_v"):
        head_rows(np.ones((10, 4)), 0, 3, 4)


def test_a_large_weight_on_a_short_value_is_a_small_contribution():
    weights = np.array([[0.9, 0.1]])
    values, w_o = np.array([[0.01, 0.0], [1.0, 1.0]]), np.eye(2)
    c = head_contributions(weights, values, w_o)
    np.testing.assert_allclose(c.norms, [[0.009, 0.1 * np.sqrt(2)]], rtol=1e-12)
    assert c.shares.contribution[0, 0] < 0.1 < c.shares.weight[0, 0]


def test_the_special_tokens_and_punctuation_are_found_and_shared_out():
    assert marked(BERT) == [(0, "[CLS]"), (4, "'"), (7, "."), (8, "[SEP]")]
    assert marked_positions(BERT) == [0, 4, 7, 8]
    assert sink_groups(BERT) == {"[CLS]": [0], "[SEP]": [8], "punctuation": [4, 7]}
    assert sink_groups(["a", "b"]) == {} and sink_candidates(BERT)[:4] == [0, 4, 7, 8]
    assert sorted(sink_candidates(BERT)) == list(range(9))
    rng = np.random.default_rng(0)
    w = random_weights(rng, 1, 1, 9)[0, 0]
    c = head_contributions(w, rng.normal(size=(9, 4)), rng.normal(size=(4, 5)))
    rows = marked_shares(c.shares, BERT)
    assert [t for t, _, _ in rows] == ["[CLS]", "'", ".", "[SEP]"]
    assert rows[0][1] == pytest.approx(w[:, 0].mean()) and rows[0][2] == pytest.approx(
        c.shares.key_contribution[0]
    )


def test_every_head_on_some_keys_is_each_heads_own_share_and_the_widest_gap_is_found():
    rng = np.random.default_rng(4)
    w, v, o = random_weights(rng, 2, 3, 6), rng.normal(size=(2, 3, 6, 4)), rng.normal(size=(2, 3, 4, 5))
    weight, contribution = every_head_on(w, v, o, [0, 5])
    for layer, head in np.ndindex(2, 3):
        c = head_contributions(w[layer, head], v[layer, head], o[layer, head])
        assert weight[layer, head] == pytest.approx(c.shares.key_weight[[0, 5]].sum())
        assert contribution[layer, head] == pytest.approx(c.shares.key_contribution[[0, 5]].sum())
    gap = weight - contribution
    assert gap[widest_gap(weight, contribution)] == gap.max()


def test_a_group_of_one_key_has_the_sink_rate_of_that_key_and_groups_add_their_weights():
    w = random_weights(np.random.default_rng(2), 3, 4, 9)
    for token in range(9):
        np.testing.assert_array_equal(group_sink_rates(w, [token], 0.2), sink_rates(w, token, 0.2))
    mean = w[..., [4, 7]].sum(axis=-1).mean(axis=-1)  # [L, H]
    np.testing.assert_allclose(group_sink_rates(w, [4, 7], 0.3), (mean > 0.3).mean(axis=-1))
    assert set(sink_rates_by_group(w, BERT, 0.3)) == {"[CLS]", "[SEP]", "punctuation"}
    with pytest.raises(ValueError, match="eps"):
        group_sink_rates(w, [0], 1.0)


def test_the_sink_view_reads_one_heads_lengths_and_weight():
    rng = np.random.default_rng(5)
    q, k, v = rng.normal(size=(6, 4)), rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    w = random_weights(rng, 1, 1, 6)[0, 0]
    sv = sink_view(q, k, v, w, 2)
    np.testing.assert_allclose(sv.key_norms, np.linalg.norm(k, axis=1))
    np.testing.assert_allclose(sv.value_norms, np.linalg.norm(v, axis=1))
    assert sv.weight_on == pytest.approx(w[:, 2].mean()) and sv.profile.value_norm == pytest.approx(
        sv.value_norms[2]
    )


@FAST
@given(st.integers(0, 999), st.floats(0, 30))
def test_softmax_ignores_a_shift_and_softmax_plus_one_drains_to_no_key(seed, offset):
    t = run(Settings(seed=seed))
    scaled, mask = t.attention.scaled[0], t.mask
    plain = with_null(scaled, mask, offset, plus_one=False)
    np.testing.assert_allclose(plain.weights[:, :-1], t.attention.weights[0], atol=1e-12)
    assert not plain.weights[:, -1].any() and plain.least == pytest.approx(1) == plain.most
    one, lower = with_null(scaled, mask, offset), with_null(scaled, mask, offset + 1)
    np.testing.assert_allclose(one.weights.sum(axis=1), 1, atol=1e-12)  # keys and "no key" share the row
    assert one.most < 1 and (lower.weights[:, -1] >= one.weights[:, -1] - 1e-12).all()
    assert one.least == pytest.approx(one.weights[:, :-1].sum(axis=1).min())


@FAST
@given(st.integers(0, 999), st.integers(2, 9), st.data())
def test_each_decode_step_equals_the_full_causal_recompute(seed, seq, data):
    rng = np.random.default_rng(seed)
    q, k, v = rng.normal(size=(seq, 4)), rng.normal(size=(seq, 4)), rng.normal(size=(seq, 3))
    prefill = data.draw(st.integers(1, seq))
    step = data.draw(st.integers(0, seq - prefill))
    d = decode_step(q, k, v, prefill, step)
    full = scaled_dot_product_attention(q, k, v, mask=causal_mask(seq))
    assert d.last == prefill - 1 + step and d.first == (0 if step == 0 else d.last)
    assert d.k_cache.shape == (d.last + 1, 4) and d.v_cache.shape == (d.last + 1, 3)
    rows = np.nan_to_num(d.rows)  # NaN right of each causal row
    np.testing.assert_allclose(rows, full.weights[d.first : d.last + 1, : d.last + 1], atol=1e-12)
    assert d.row_error < 1e-12 and d.output_error < 1e-12
    new = [prefill] + [1] * step  # query rows computed at each step
    caches = np.arange(prefill, prefill + step + 1)
    assert d.cached_so_far == sum(n * c * 7 for n, c in zip(new, caches, strict=True))  # d_k + d_v = 7
    assert d.recompute_so_far == sum(c * c * 7 for c in caches)
    with pytest.raises(ValueError, match="step"):
        decode_step(q, k, v, prefill, seq - prefill + 1)


@FAST
@given(st.integers(0, 999), st.integers(1, 9), st.sampled_from(["none", "padding", "causal"]))
def test_the_online_softmax_lands_on_the_dense_weights_and_output(seed, block, mask):
    t = run(Settings(seed=seed, mask=mask, seq_len=9))
    a = t.attention
    o = online_against_dense(a.q[0], a.k[0], a.v[0], block, a.weights[0], a.heads[0], a.scale, t.mask)
    assert o.weight_error < 1e-12 and o.output_error < 1e-12
    assert len(o.trace.running_max) == -(-9 // block)


def test_max_difference_is_the_largest_absolute_difference():
    assert max_difference([1.0, -2.0], [1.5, 1.0]) == 3.0 and max_difference([], []) == 0.0
