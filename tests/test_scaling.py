"""Entropy, saturation, the softmax Jacobian and the d_k sweep, checked against plain references."""

import math
import statistics
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from attention.core import softmax
from attention.heads import init_weight
from attention.scaling import (
    SATURATION,
    RowSums,
    jacobian_norm,
    row_entropy,
    row_stats,
    row_sums,
    saturation_summary,
    score_spread,
    softmax_jacobian,
)

SCORES = arrays(np.float64, st.integers(1, 8), elements=st.floats(-6, 6))


def plain_entropy(row, base=2):
    return -sum(p * math.log(p, base) for p in row if p > 0)


def plain_jacobian_norm(w):
    """‖diag(w) − w wᵀ‖ entry by entry, with 1 − wᵢ summed from the other weights."""
    n = len(w)
    entries = [
        w[i] * math.fsum(w[m] for m in range(n) if m != i) if i == j else -w[i] * w[j]
        for i in range(n)
        for j in range(n)
    ]
    return math.sqrt(math.fsum(e * e for e in entries))


def plain_softmax(row):
    top = max(row)
    exps = [math.exp(s - top) for s in row]
    return [e / sum(exps) for e in exps]


# entropy


def test_entropy_of_one_hot_is_zero_and_of_uniform_is_log_n():
    for n in (1, 2, 5, 16):
        assert row_entropy(np.eye(n)[0]) == 0.0
        assert row_entropy(np.full(n, 1 / n)) == pytest.approx(math.log2(n), abs=1e-12)


def test_entropy_in_base_e_is_nats():
    uniform = np.full(7, 1 / 7)
    assert row_entropy(uniform, base=math.e) == pytest.approx(math.log(7), abs=1e-12)
    assert row_entropy(uniform, base=math.e) == pytest.approx(row_entropy(uniform) * math.log(2), abs=1e-12)


def test_an_all_zero_row_has_entropy_zero_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert row_entropy(np.zeros(4)) == 0.0
        assert np.array_equal(row_entropy(np.zeros((2, 3, 4))), np.zeros((2, 3)))


@settings(max_examples=60, deadline=None)
@given(SCORES)
def test_entropy_matches_a_plain_loop(s):
    w = softmax(s)
    assert row_entropy(w) == pytest.approx(plain_entropy(w), abs=1e-12)
    assert 0 <= row_entropy(w) <= math.log2(s.size) + 1e-12


def test_entropy_works_row_by_row_on_batches():
    w = softmax(np.random.default_rng(1).normal(size=(2, 3, 5)) * 3)
    expected = [[plain_entropy(w[b, r]) for r in range(3)] for b in range(2)]
    np.testing.assert_allclose(row_entropy(w), expected, atol=1e-12)


# row statistics


def test_row_stats_of_uniform_and_one_hot_rows():
    w = np.array([[0.25, 0.25, 0.25, 0.25], [0.0, 1.0, 0.0, 0.0]])
    stats = row_stats(w)
    np.testing.assert_allclose(stats.largest, [0.25, 1.0])
    np.testing.assert_allclose(stats.entropy_bits, [2.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(stats.effective_keys, [4.0, 1.0])
    assert stats.saturated.tolist() == [False, True]
    assert stats.empty.tolist() == [False, False]


def test_saturation_threshold_is_strictly_above_095():
    at = np.array([SATURATION, 1 - SATURATION])
    above = np.array([np.nextafter(SATURATION, 1), 0.0])
    above[1] = 1 - above[0]
    assert row_stats(at).saturated.item() is False
    assert row_stats(above).saturated.item() is True
    assert row_stats(np.array([0.9, 0.1])).saturated.item() is False


def test_fully_masked_rows_are_empty_nan_and_never_saturated():
    w = np.array([[0.97, 0.03, 0.0], [0.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stats = row_stats(w)
    assert stats.empty.tolist() == [False, True, False]
    assert stats.saturated.tolist() == [True, False, False]
    assert (
        np.isnan(stats.largest[1]) and np.isnan(stats.entropy_bits[1]) and np.isnan(stats.effective_keys[1])
    )
    assert stats.effective_keys[2] == pytest.approx(2.0)


def test_row_stats_keep_the_leading_axes():
    w = softmax(np.random.default_rng(2).normal(size=(2, 3, 4, 5)))
    stats = row_stats(w)
    for field in ("largest", "entropy_bits", "effective_keys", "saturated", "empty"):
        assert getattr(stats, field).shape == (2, 3, 4)
    np.testing.assert_allclose(stats.largest[1, 2, 3], max(w[1, 2, 3]))


def test_saturation_summary_counts_rows_and_leaves_out_masked_ones():
    w = np.array([[0.97, 0.03], [0.5, 0.5], [0.0, 0.0], [1.0, 0.0]])
    line = saturation_summary(row_stats(w))
    assert line.startswith("2 of 3 rows saturated")
    assert "1 fully masked row left out" in line
    assert saturation_summary(row_stats(np.full((10, 4), 0.25))).startswith("0 of 10 rows saturated")
    assert "masked" not in saturation_summary(row_stats(np.full((10, 4), 0.25)))


# the softmax Jacobian


def finite_difference_jacobian(s, step=1e-6):
    columns = []
    for j in range(s.size):
        bump = np.zeros_like(s)
        bump[j] = step
        columns.append((softmax(s + bump) - softmax(s - bump)) / (2 * step))
    return np.stack(columns, axis=1)  # [i, j] = ∂wᵢ/∂sⱼ


@settings(max_examples=60, deadline=None)
@given(SCORES)
def test_jacobian_equals_central_finite_differences(s):
    np.testing.assert_allclose(softmax_jacobian(softmax(s)), finite_difference_jacobian(s), atol=1e-8)


@settings(max_examples=60, deadline=None)
@given(SCORES)
def test_jacobian_is_symmetric_with_rows_summing_to_zero(s):
    jac = softmax_jacobian(softmax(s))
    np.testing.assert_allclose(jac, jac.T, atol=0)
    np.testing.assert_allclose(jac.sum(axis=1), 0, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(SCORES)
def test_jacobian_norm_equals_the_norm_of_the_full_matrix(s):
    w = softmax(s)
    assert jacobian_norm(w) == pytest.approx(np.linalg.norm(softmax_jacobian(w)), rel=1e-12, abs=0)


def test_a_nearly_saturated_row_keeps_its_tiny_gradient():
    w = softmax(np.array([40.0, 0.0]))  # w₁ = e⁻⁴⁰ ≈ 4e-18, so 1 − w₀ rounds to exactly 0
    assert 1 - w[0] == 0.0
    expected = 2 * w[0] * w[1]  # J = [[a, −a], [−a, a]] with a = w₀w₁, so ‖J‖ = 2a
    assert jacobian_norm(w) == pytest.approx(expected, rel=1e-12, abs=0)
    assert softmax_jacobian(w)[0, 0] == pytest.approx(w[0] * w[1], rel=1e-12, abs=0)


def test_jacobian_batches_like_a_loop():
    w = softmax(np.random.default_rng(3).normal(size=(3, 4, 6)))
    jac, norms = softmax_jacobian(w), jacobian_norm(w)
    assert jac.shape == (3, 4, 6, 6) and norms.shape == (3, 4)
    for b in range(3):
        for r in range(4):
            row = w[b, r]
            np.testing.assert_allclose(jac[b, r], np.diag(row) - np.outer(row, row), atol=0)


def test_a_saturated_row_passes_almost_no_gradient_and_a_uniform_row_does():
    saturated = softmax(np.array([20.0, 0.0, 0.0, 0.0, 0.0]))
    assert saturated.max() > SATURATION
    assert jacobian_norm(saturated) < 1e-3
    assert jacobian_norm(np.full(5, 0.2)) > 0.1
    assert jacobian_norm(np.eye(5)[2]) == 0.0


# the d_k sweep


def slope(d_k, values):
    return np.polyfit(np.log(d_k), np.log(values), 1)[0]


@pytest.fixture(scope="module")
def normal():
    return score_spread(weight_init="normal")


@pytest.fixture(scope="module")
def uniform():
    return score_spread(weight_init="uniform")


def test_raw_spread_grows_like_sqrt_dk_and_scaled_spread_stays_flat(normal):
    assert normal.d_k.tolist() == [2**p for p in range(11)]
    assert slope(normal.d_k, normal.raw_std) == pytest.approx(0.5, abs=0.05)
    assert normal.scaled_std.max() < 1.5 * normal.scaled_std.min()
    np.testing.assert_allclose(normal.raw_std / np.sqrt(normal.d_k), normal.scaled_std, rtol=1e-12)


def test_scaling_keeps_rows_from_saturating(normal):
    wide = normal.d_k >= 64
    assert np.all(normal.raw_largest[wide] >= normal.scaled_largest[wide])
    assert np.all(normal.raw_entropy[wide] < normal.scaled_entropy[wide])
    assert normal.raw_saturated[-1] > 0.5 and normal.scaled_saturated[-1] < 0.05
    assert normal.raw_gradient[-1] < normal.scaled_gradient[-1] / 2
    assert np.all(normal.scaled_entropy <= math.log2(normal.seq))


def test_uniform_weights_shift_the_mean_and_scaling_does_not_rescue_them(normal, uniform):
    assert np.all(uniform.raw_mean > normal.raw_mean)
    assert np.all(uniform.raw_mean > 0)
    # all-positive weights make every column of W alike: q·k grows like d_k, so /√d_k still leaves √d_k
    assert slope(uniform.d_k, uniform.scaled_std) > 0.4
    assert uniform.scaled_saturated[-1] > 0.5


def test_the_sweep_is_deterministic_and_each_width_stands_alone(normal):
    again = score_spread(weight_init="normal")
    for field in ("raw_std", "scaled_std", "raw_mean", "raw_largest", "scaled_entropy", "raw_gradient"):
        assert np.array_equal(getattr(again, field), getattr(normal, field))
    alone = score_spread(d_ks=(16,), weight_init="normal")
    assert alone.raw_std[0] == normal.raw_std[4] and alone.scaled_largest[0] == normal.scaled_largest[4]
    assert score_spread(seed=1).raw_std[4] != normal.raw_std[4]


def plain_sweep_row(seed, n_seeds, seq, d_model, d_k, weight_init):
    """One d_k of the sweep with plain loops, drawing the same numbers in the same order."""
    x = np.random.default_rng(seed).standard_normal((n_seeds, seq, d_model))
    rng = np.random.default_rng([seed, d_k])
    w_q, w_k = (init_weight(rng, (d_model, n_seeds * d_k), weight_init) for _ in range(2))
    raw, rows = [], {"raw": [], "scaled": []}
    for b in range(n_seeds):
        cols = slice(b * d_k, (b + 1) * d_k)
        q, k = x[b] @ w_q[:, cols], x[b] @ w_k[:, cols]
        for i in range(seq):
            row = [sum(q[i, m] * k[j, m] for m in range(d_k)) for j in range(seq)]
            raw += row
            rows["raw"].append(plain_softmax(row))
            rows["scaled"].append(plain_softmax([s / math.sqrt(d_k) for s in row]))
    return raw, rows


@pytest.mark.parametrize("weight_init", ["normal", "uniform"])
def test_the_vectorised_sweep_matches_plain_loops(weight_init):
    table = score_spread(d_ks=(3,), n_seeds=2, seq=4, d_model=5, weight_init=weight_init, seed=7)
    raw, rows = plain_sweep_row(7, 2, 4, 5, 3, weight_init)
    assert table.raw_std[0] == pytest.approx(statistics.pstdev(raw), rel=1e-12)
    assert table.raw_mean[0] == pytest.approx(statistics.fmean(raw), rel=1e-9, abs=1e-12)
    assert table.scaled_std[0] == pytest.approx(statistics.pstdev(raw) / math.sqrt(3), rel=1e-12)
    for name in ("raw", "scaled"):
        ws = rows[name]
        assert getattr(table, f"{name}_largest")[0] == pytest.approx(
            statistics.fmean(max(w) for w in ws), rel=1e-12
        )
        entropy = statistics.fmean(map(plain_entropy, ws))
        assert getattr(table, f"{name}_entropy")[0] == pytest.approx(entropy, rel=1e-10, abs=1e-12)
        assert getattr(table, f"{name}_saturated")[0] == statistics.fmean(max(w) > SATURATION for w in ws)
        norms = statistics.fmean(map(plain_jacobian_norm, ws))
        assert getattr(table, f"{name}_gradient")[0] == pytest.approx(norms, rel=1e-10, abs=0)


def test_random_embeddings_are_the_notebooks_uniform_x():
    table = score_spread(d_ks=(4,), n_seeds=2, seq=3, d_model=5, embedding="random")
    x = np.random.default_rng(0).random((2, 3, 5))
    rng = np.random.default_rng([0, 4])
    w_q, w_k = (init_weight(rng, (5, 8), "normal").reshape(5, 2, 4).swapaxes(0, 1) for _ in range(2))
    assert table.raw_std[0] == pytest.approx(((x @ w_q) @ (x @ w_k).swapaxes(1, 2)).std(), rel=1e-12)
    assert table.embedding == "random" and table.seq == 3 and table.d_model == 5 and table.n_seeds == 2


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ({"weight_init": "xavier"}, "xavier"),
        ({"embedding": "char codes"}, "char codes"),
        ({"d_ks": (4, 0)}, "d_k must be >= 1, got 0"),
        ({"n_seeds": 0}, "n_seeds"),
        ({"seq": 0}, "seq"),
    ],
)
def test_bad_sweep_settings_raise_a_value_error_naming_them(bad, named):
    with pytest.raises(ValueError, match=named):
        score_spread(**bad)


def test_row_sums_report_the_worst_live_row_and_count_dead_ones():
    w = np.array([[0.5, 0.5 + 2e-16], [0.0, 0.0], [0.25, 0.75]])
    mask = np.array([[True, True], [False, False], [True, True]])
    sums = row_sums(w, mask)
    assert sums.dead == 1 and sums.worst == pytest.approx(abs(sum([0.5, 0.5 + 2e-16]) - 1), abs=1e-18)
    assert row_sums(w).dead == 1  # no mask: a zero row is the dead one
    assert row_sums(np.array([[0.2, 0.7]])).worst == pytest.approx(0.1)
    assert row_sums(np.zeros((2, 2)), np.zeros((2, 2), bool)) == RowSums(0.0, 2)
