"""d_k nests: a wider head keeps the columns it had and adds new ones, so a d_k step changes d_k only."""

import numpy as np
import pytest

from attention import Settings, run
from attention.heads import BLOCK, head_columns, nested_projections
from attention.moves import what_moved


@pytest.mark.parametrize("kind", ["normal", "uniform"])
@pytest.mark.parametrize("n_heads", [1, 3])
def test_a_d_k_step_keeps_every_heads_first_columns_of_w_q_w_k_and_w_v(kind, n_heads):
    small = nested_projections(7, 12, n_heads, 16, kind)
    for d_k in (17, 32, 100):
        wide = nested_projections(7, 12, n_heads, d_k, kind)
        for before, after in zip(small[:3], wide[:3], strict=True):
            for h in range(n_heads):
                np.testing.assert_array_equal(
                    after[:, h * d_k : h * d_k + 16], before[:, h * 16 : (h + 1) * 16]
                )


def test_w_o_keeps_its_rows_rescaled_by_its_fan_in():
    small, wide = nested_projections(3, 10, 2, 8, "normal")[3], nested_projections(3, 10, 2, 24, "normal")[3]
    for h in range(2):  # N(0, 1/fan_in): the same draw, fan_in 2·8 → 2·24
        np.testing.assert_allclose(
            wide[h * 24 : h * 24 + 8] * np.sqrt(48), small[h * 8 : (h + 1) * 8] * np.sqrt(16)
        )
    uniform = nested_projections(3, 10, 2, 8, "uniform")[3], nested_projections(3, 10, 2, 24, "uniform")[3]
    np.testing.assert_array_equal(uniform[1][24:32], uniform[0][8:16])
    assert nested_projections(3, 10, 1, 8, "normal")[3] is None  # one head: no W_O


def test_the_draws_have_the_inits_distribution_and_differ_by_seed_head_and_role():
    w_q, w_k, w_v, _ = nested_projections(0, 64, 2, 256, "normal")
    assert w_q.shape == (64, 512)
    assert abs(w_q.var() * 64 - 1) < 0.05 and abs(w_q.mean()) < 0.01  # N(0, 1/d_model), 32768 numbers
    u = nested_projections(0, 64, 1, 256, "uniform")[0]
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    assert not np.allclose(w_q, w_k) and not np.allclose(w_k, w_v)
    assert not np.allclose(w_q[:, :256], w_q[:, 256:])  # head 1 is not head 0 again
    assert not np.allclose(nested_projections(1, 64, 2, 256, "normal")[0], w_q)
    blocks = head_columns(0, "q", 0, 2 * BLOCK, 5, "normal")
    assert not np.allclose(blocks[:, :BLOCK], blocks[:, BLOCK:])  # each block its own generator
    with pytest.raises(ValueError, match="weight init"):
        nested_projections(0, 4, 1, 4, "xavier")


def test_the_page_draws_its_projections_this_way():
    t = run(Settings(d_k=20, n_heads=2))
    w_q, w_k, w_v, w_o = nested_projections(0, t.x.shape[1], 2, 20, "normal")
    for mine, page in ((w_q, t.w_q), (w_k, t.w_k), (w_v, t.w_v), (w_o, t.w_o)):
        np.testing.assert_array_equal(mine, page)


def test_with_scaling_a_d_k_step_moves_fewer_weights_than_new_random_matrices_would():
    before, after = run(Settings(d_k=16)), run(Settings(d_k=32))
    nested = int(what_moved(before, after).changed.sum())
    redrawn = int(what_moved(before, run(Settings(d_k=32, seed=1))).changed.sum())
    assert nested < redrawn
