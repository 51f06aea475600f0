"""One cell's arithmetic, checked against plain loops and against the traces the page draws."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from attention.core import scaled_dot_product_attention
from attention.explain import N_TOP, explain_cell, explain_trace_cell, top_contributors, weight_rank
from attention.pipeline import Settings, run

TIGHT = {"rtol": 1e-12, "atol": 1e-300}  # float64 agreement; atol only spares subnormal weights


@st.composite
def rows(draw):
    """A query, its keys, a key index, a scale and a mask row (or None)."""
    seq_k, d_k = draw(st.integers(1, 7)), draw(st.integers(1, 9))
    values = st.floats(-10, 10, allow_subnormal=False)
    q = draw(arrays(np.float64, d_k, elements=values))
    k = draw(arrays(np.float64, (seq_k, d_k), elements=values))
    mask = draw(st.none() | arrays(np.bool_, seq_k))
    scale = draw(st.sampled_from([1.0, 1 / math.sqrt(d_k), 0.37, 2.5]))
    return q, k, draw(st.integers(0, seq_k - 1)), scale, mask


def assert_matches_trace(e, scores, scaled, weights, scale):
    """The explanation of cell j equals one row of an attention trace."""
    bound = np.abs(e.products).sum() * 1e-14  # rounding of a sum is relative to Σ|terms|, not to the sum
    np.testing.assert_allclose(e.score, scores[e.j], rtol=1e-12, atol=bound)
    np.testing.assert_allclose(e.scaled, scaled[e.j], rtol=1e-12, atol=bound * abs(scale))
    np.testing.assert_allclose(e.weight, weights[e.j], **TIGHT)
    assert e.scale == scale
    if e.masked:
        assert weights[e.j] == 0.0 and e.weight == 0.0


@settings(max_examples=100, deadline=None)
@given(rows())
def test_explanation_matches_scaled_dot_product_attention(row):
    q, k, j, scale, mask = row
    trace = scaled_dot_product_attention(q[None], k, k, None if mask is None else mask[None], scale)
    e = explain_cell(q, k, j, scale, mask)
    assert_matches_trace(e, trace.scores[0], trace.scaled[0], trace.weights[0], trace.scale)


@settings(max_examples=100, deadline=None)
@given(rows())
def test_every_step_matches_a_plain_loop(row):
    q, k, j, scale, mask = row
    allowed = [True] * len(k) if mask is None else mask.tolist()
    e = explain_cell(q, k, j, scale, mask)
    products = [q[m] * k[j][m] for m in range(q.size)]
    assert e.products.tolist() == products
    assert e.top.tolist() == sorted(range(q.size), key=lambda m: (-abs(products[m]), m))[:N_TOP]
    assert e.score == pytest.approx(math.fsum(products), rel=1e-12, abs=1e-14 * sum(map(abs, products)))
    assert e.scaled == pytest.approx(e.score * scale, rel=1e-12, abs=1e-300)
    row_scaled = [sum(q[m] * key[m] for m in range(q.size)) * scale for key in k]
    seen = [s for s, ok in zip(row_scaled, allowed, strict=True) if ok]
    assert e.n_allowed == len(seen)
    if not seen:
        assert e.row_max == -math.inf and e.exp_sum == 0.0 and e.weight == 0.0
        return
    top = max(seen)
    assert e.row_max == pytest.approx(top, rel=1e-12, abs=1e-12 * (1 + abs(top)))
    assert e.exp_sum == pytest.approx(math.fsum(math.exp(s - top) for s in seen), rel=1e-11)
    if e.masked:
        assert (e.shifted, e.exp, e.weight, e.rank) == (-math.inf, 0.0, 0.0, None)
        return
    assert e.shifted == e.scaled - e.row_max
    assert e.exp == pytest.approx(math.exp(e.shifted), rel=1e-14)  # numpy's exp may differ by an ulp
    assert e.weight == e.exp / e.exp_sum


def test_a_masked_cell_has_weight_exactly_zero_and_says_so():
    q, k = np.array([1.0, 2.0]), np.array([[1.0, 0.0], [5.0, 5.0], [0.0, 1.0]])
    e = explain_cell(q, k, 1, 0.5, np.array([True, False, True]))
    assert e.masked and e.weight == 0.0 and e.exp == 0.0 and e.shifted == -math.inf and e.rank is None
    assert e.score == 15.0 and e.scaled == 7.5  # the score still exists; it just never enters the softmax
    assert e.row_max == 1.0 and e.n_allowed == 2
    assert e.exp_sum == pytest.approx(math.exp(-0.5) + 1.0, rel=1e-15)


def test_a_fully_masked_row_gives_zeros_without_a_warning():
    q, k = np.ones(3), np.arange(6.0).reshape(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = explain_cell(q, k, 0, 1.0, np.zeros(2, dtype=bool))
    assert (e.weight, e.exp, e.exp_sum, e.row_max, e.n_allowed) == (0.0, 0.0, 0.0, -math.inf, 0)


def test_a_worked_example_by_hand():
    q, k = np.array([1.0, -3.0, 0.5]), np.array([[2.0, 1.0, 4.0], [0.0, 0.0, 2.0]])
    e = explain_cell(q, k, 0, 0.5)
    assert e.products.tolist() == [2.0, -3.0, 2.0]
    assert e.top.tolist() == [1, 0, 2]  # |−3| first, then the tie 2 = 2 goes to the lower position
    assert (e.score, e.scaled, e.row_max, e.shifted) == (1.0, 0.5, 0.5, 0.0)
    assert e.exp == 1.0 and e.exp_sum == pytest.approx(1 + math.exp(0.0))  # the other key: 1 × 0.5 = 0.5
    assert e.weight == pytest.approx(0.5) and e.rank == 1  # a tie with key 1, which comes later


def test_rank_counts_larger_weights_and_breaks_ties_by_position():
    w = np.array([0.1, 0.3, 0.3, 0.2, 0.1])
    assert [weight_rank(w, j) for j in range(5)] == [4, 1, 2, 3, 5]
    assert top_contributors(np.array([1.0, -1.0, 0.5, 1.0]), n=2).tolist() == [0, 1]


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(1, 8), elements=st.sampled_from([0.0, 0.1, 0.2, 0.5])))
def test_ranks_are_a_permutation_that_orders_the_weights(w):
    ranks = [weight_rank(w, j) for j in range(w.size)]
    assert sorted(ranks) == list(range(1, w.size + 1))
    order = sorted(range(w.size), key=lambda j: (-w[j], j))
    assert [ranks[j] for j in order] == list(range(1, w.size + 1))


@pytest.mark.parametrize(
    "s",
    [
        Settings(),  # padding mask over 3 [PAD]s
        Settings(mask="causal", n_heads=2, d_model=16, d_k=8, seed=3),
        Settings(mask="sliding window", window=2, seq_len=12, positions=True),
        Settings(mask="none", scaling=False, temperature=0.5, d_k=32),
        Settings(
            weight_init="uniform", embedding="random", mask="prefix", seed=11
        ),  # the notebook's saturation
        Settings(embedding="char codes", mask="causal", n_heads=3, d_k=5),
    ],
)
def test_every_cell_of_a_pipeline_run_is_explained_exactly(s):
    trace = run(s)
    att = trace.attention
    n_heads, seq, _ = att.weights.shape
    for h in range(n_heads):
        for i in range(seq):
            mask_row = None if trace.mask is None else trace.mask[i]
            for j in range(seq):
                e = explain_cell(att.q[h][i], att.k[h], j, trace.settings.scale, mask_row)
                assert_matches_trace(e, att.scores[h, i], att.scaled[h, i], att.weights[h, i], att.scale)
                assert e.masked == (mask_row is not None and not mask_row[j])
                via_trace = explain_trace_cell(trace, h, i, j)
                assert (via_trace.weight, via_trace.score, via_trace.masked) == (e.weight, e.score, e.masked)


@settings(max_examples=60, deadline=None)
@given(rows())
def test_ranks_of_a_row_order_its_allowed_weights(row):
    q, k, _, scale, mask = row
    cells = [explain_cell(q, k, j, scale, mask) for j in range(len(k))]
    allowed = [j for j, e in enumerate(cells) if not e.masked]
    order = sorted(allowed, key=lambda j: (-cells[j].weight, j))
    assert [cells[j].rank for j in order] == list(range(1, len(allowed) + 1))


def test_a_masked_key_never_takes_a_rank_from_an_allowed_one():
    q, k = np.array([1.0]), np.array([[0.0], [-1000.0], [0.0]])  # key 1's weight underflows to 0
    e = explain_cell(q, k, 1, 1.0, np.array([False, True, True]))
    assert e.weight == 0.0 and not e.masked and e.rank == 2


def test_rank_one_is_the_largest_weight_of_the_row():
    trace = run(Settings(seed=5))
    w = trace.attention.weights[0, 2]
    best = int(np.argmax(w))
    assert explain_trace_cell(trace, 0, 2, best).rank == 1
    ranks = sorted(explain_trace_cell(trace, 0, 2, j).rank for j in range(w.size) if trace.mask[2, j])
    assert ranks == list(range(1, int(trace.mask[2].sum()) + 1))


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ((np.ones((1, 3)), np.ones((2, 3)), 0, 1.0), "q_row must be"),
        ((np.ones(3), np.ones((2, 3)), 2, 1.0), "j=2"),
        ((np.ones(3), np.ones((2, 4)), 0, 1.0), "depth"),
        ((np.ones(3), np.ones((2, 3)), 0, 1.0, np.ones(2)), "boolean"),
        ((np.ones(3), np.ones((2, 3)), 0, 1.0, np.ones(3, dtype=bool)), "broadcast"),
    ],
)
def test_bad_inputs_raise_a_value_error(args, named):
    with pytest.raises(ValueError, match=named):
        explain_cell(*args)
