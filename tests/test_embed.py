"""Tests of attention.embed: stable hashed vectors, the sinusoidal formula, weight initialisation."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attention.embed import hashed_embeddings, random_embeddings, sinusoidal_positions
from attention.heads import init_weight

FAST = settings(max_examples=40, deadline=None)


def test_hashed_embeddings_give_a_word_the_same_row_wherever_it_stands():
    x = hashed_embeddings(["the", "cat", "sat", "on", "the", "mat"], 8, seed=0)
    assert x.shape == (6, 8)
    assert np.array_equal(x[0], x[4])
    alone = hashed_embeddings(["mat"], 8, seed=0)
    assert np.array_equal(x[5], alone[0])
    assert len({tuple(row) for row in x}) == 5  # five different words, five different rows


def test_hashed_embeddings_are_stable_across_calls_and_depend_on_the_seed():
    words = ["The", "weather", "is", "beautiful"]
    assert np.array_equal(hashed_embeddings(words, 16, seed=3), hashed_embeddings(words, 16, seed=3))
    other = hashed_embeddings(words, 16, seed=4)
    assert not np.any(np.all(other == hashed_embeddings(words, 16, seed=3), axis=1))


def test_hashed_embeddings_are_case_sensitive_and_handle_any_text():
    x = hashed_embeddings(["The", "the", "😀", "\ud800"], 4, seed=0)  # a lone surrogate must not crash
    assert not np.array_equal(x[0], x[1])
    assert np.all(np.isfinite(x))


def test_random_embeddings_come_from_the_generator():
    a = random_embeddings(10, 16, np.random.default_rng(7))
    b = random_embeddings(10, 16, np.random.default_rng(7))
    c = random_embeddings(10, 16, np.random.default_rng(8))
    assert a.shape == (10, 16) and np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.all((a >= 0) & (a < 1))


@FAST
@given(st.integers(1, 12), st.integers(1, 11))
def test_sinusoidal_positions_follow_the_formula(seq, d_model):
    pe = sinusoidal_positions(seq, d_model)
    assert pe.shape == (seq, d_model)
    for pos in range(seq):
        for col in range(d_model):
            i = col // 2
            angle = pos / 10000 ** (2 * i / d_model)
            expected = math.sin(angle) if col % 2 == 0 else math.cos(angle)
            assert pe[pos, col] == pytest.approx(expected, abs=1e-12)


def test_sinusoidal_positions_start_at_sin_zero_cos_zero_and_work_for_odd_widths():
    pe = sinusoidal_positions(4, 5)
    assert pe[0].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]
    assert pe[1, 4] == pytest.approx(math.sin(1 / 10000 ** (4 / 5)))
    assert len({tuple(row) for row in sinusoidal_positions(50, 6)}) == 50  # every position distinct


@pytest.mark.parametrize("fan_in", [4, 16, 64])
def test_normal_init_has_std_one_over_sqrt_fan_in(fan_in):
    w = init_weight(np.random.default_rng(fan_in), (fan_in, 500), "normal")
    assert w.shape == (fan_in, 500)
    assert abs(w.mean()) < 0.1 / math.sqrt(fan_in)
    assert w.std() == pytest.approx(1 / math.sqrt(fan_in), rel=0.1)


def test_uniform_init_is_the_notebook_rand():
    w = init_weight(np.random.default_rng(0), (16, 16), "uniform")
    assert np.all((w >= 0) & (w < 1))
    assert w.mean() == pytest.approx(0.5, abs=0.1)
    assert np.array_equal(w, np.random.default_rng(0).random((16, 16)))


def test_init_is_deterministic_for_a_generator():
    a = init_weight(np.random.default_rng(5), (3, 4), "normal")
    b = init_weight(np.random.default_rng(5), (3, 4), "normal")
    assert np.array_equal(a, b)


def test_unknown_init_raises():
    with pytest.raises(ValueError, match="'xavier'"):
        init_weight(np.random.default_rng(0), (3, 3), "xavier")
