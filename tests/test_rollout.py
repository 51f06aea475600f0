"""Tests of attention.rollout against plain Python loops, on hand-made heads and random weights."""

import math
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attention.rollout import SHARES, attention_rollout, head_summary, is_punctuation, rank_heads

FAST = settings(max_examples=50, deadline=None)


def random_weights(rng, n_layers, n_heads, seq):  # -> row-stochastic [n_layers, n_heads, seq, seq]
    w = rng.random((n_layers, n_heads, seq, seq)) ** 3
    return w / w.sum(axis=-1, keepdims=True)


# Plain references: loops over lists, written from the definitions.


def plain_rollout(weights):  # nested lists -> nested lists [n_layers][seq][seq]
    n_layers, n_heads, seq = len(weights), len(weights[0]), len(weights[0][0])
    out, previous = [], None
    for layer in range(n_layers):
        mixed = []
        for i in range(seq):
            row = []
            for j in range(seq):
                mean = sum(weights[layer][h][i][j] for h in range(n_heads)) / n_heads
                row.append(0.5 * mean + 0.5 * (1.0 if i == j else 0.0))
            total = sum(row)
            mixed.append([v / total for v in row])
        if previous is not None:
            mixed = [
                [sum(mixed[i][m] * previous[m][j] for m in range(seq)) for j in range(seq)]
                for i in range(seq)
            ]
        out.append(mixed)
        previous = mixed
    return out


def plain_summary(head, tokens):  # [seq][seq], list[str] -> dict of floats
    seq = len(tokens)
    entropy = sum(-sum(p * math.log2(p) for p in row if p > 0) for row in head) / seq
    punct = [t != "" and all(unicodedata.category(c)[0] == "P" for c in t) for t in tokens]

    def on(keys):
        return sum(sum(head[i][j] for j in range(seq) if keys[j]) for i in range(seq)) / seq

    previous = [head[i][i - 1] for i in range(1, seq)]
    following = [head[i][i + 1] for i in range(seq - 1)]
    return {
        "entropy": entropy,
        "cls": on([t == "[CLS]" for t in tokens]),
        "sep": on([t == "[SEP]" for t in tokens]),
        "previous": sum(previous) / len(previous) if previous else 0.0,
        "next": sum(following) / len(following) if following else 0.0,
        "self": sum(head[i][i] for i in range(seq)) / seq,
        "punctuation": on(punct),
    }


# Rollout


def test_rollout_equals_the_plain_loop():
    w = random_weights(np.random.default_rng(0), 3, 4, 5)
    np.testing.assert_allclose(attention_rollout(w), plain_rollout(w.tolist()), atol=1e-12)


def test_one_layer_of_identity_attention_rolls_out_to_the_identity():
    w = np.broadcast_to(np.eye(6), (1, 3, 6, 6))
    np.testing.assert_array_equal(attention_rollout(w), np.eye(6)[None])


def test_the_first_layer_is_half_its_head_mean_and_half_the_identity():
    w = random_weights(np.random.default_rng(1), 2, 3, 4)
    np.testing.assert_allclose(attention_rollout(w)[0], 0.5 * w[0].mean(axis=0) + 0.5 * np.eye(4), atol=1e-15)


def test_uniform_attention_everywhere_rolls_out_towards_uniform():
    w = np.full((12, 2, 5, 5), 0.2)
    out = attention_rollout(w)
    assert np.abs(out[-1] - 0.2).max() < np.abs(out[0] - 0.2).max() < 0.5
    np.testing.assert_allclose(out[-1], 0.2, atol=1e-3)


@FAST
@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 7), st.integers(0, 2**32 - 1))
def test_rollout_rows_are_distributions_for_any_row_stochastic_weights(n_layers, n_heads, seq, seed):
    w = random_weights(np.random.default_rng(seed), n_layers, n_heads, seq)
    out = attention_rollout(w)
    assert out.shape == (n_layers, seq, seq)
    assert np.all(out >= 0)
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(out, plain_rollout(w.tolist()), atol=1e-12)


def test_rollout_keeps_float32():
    w = random_weights(np.random.default_rng(2), 2, 2, 3).astype(np.float32)
    assert attention_rollout(w).dtype == np.float32


@pytest.mark.parametrize("shape", [(4, 4), (2, 2, 3, 4), (1, 1, 0, 0)])
def test_rollout_refuses_weights_of_the_wrong_shape(shape):
    with pytest.raises(ValueError, match="n_layers, n_heads, seq, seq"):
        attention_rollout(np.zeros(shape))


# Head summaries on hand-made heads

TOKENS = ["[CLS]", "the", "cat", ",", "it", "sat", ".", "[SEP]"]


def head_on(positions):  # [seq] key position for each query -> one-hot [seq, seq]
    return np.eye(len(TOKENS))[positions]


def hand_made():  # [1, 7, seq, seq]: one head of each pattern, then a uniform one
    n = len(TOKENS)
    heads = [
        head_on([0] * n),  # cls
        head_on([n - 1] * n),  # sep
        head_on([0] + list(range(n - 1))),  # previous (the first query looks at itself)
        head_on(list(range(1, n)) + [n - 1]),  # next (the last query looks at itself)
        np.eye(n),  # self
        head_on([3, 3, 3, 6, 6, 6, 6, 3]),  # punctuation
        np.full((n, n), 1 / n),  # broad
    ]
    return np.stack(heads)[None]


def test_each_hand_made_head_is_named_by_its_pattern():
    s = head_summary(hand_made(), TOKENS)
    assert s.pattern.tolist() == [["cls", "sep", "previous", "next", "self", "punctuation", "broad"]]
    assert s.cls[0, 0] == s.sep[0, 1] == s.self[0, 4] == s.punctuation[0, 5] == 1.0
    assert s.previous[0, 2] == s.next[0, 3] == 1.0  # every query that has a neighbour uses it
    np.testing.assert_allclose(s.entropy[0], [0, 0, 0, 0, 0, 0, 3.0])  # log2(8) bits when uniform


def test_summaries_equal_the_plain_loop():
    rng = np.random.default_rng(3)
    w = random_weights(rng, 2, 3, len(TOKENS))
    s = head_summary(w, TOKENS)
    for layer in range(2):
        for head in range(3):
            expected = plain_summary(w[layer, head].tolist(), TOKENS)
            for name, value in expected.items():
                assert getattr(s, name)[layer, head] == pytest.approx(value, abs=1e-12), name


def test_a_head_without_a_dominant_share_is_broad_or_mixed():
    n = len(TOKENS)
    mixed = np.zeros((n, n))
    mixed[:, 1], mixed[:, 2] = 0.5, 0.5  # two content words, low entropy, no listed kind of key
    uniform = np.full((n, n), 1 / n)
    s = head_summary(np.stack([mixed, uniform])[None], TOKENS)
    assert s.pattern.tolist() == [["mixed", "broad"]]
    assert max(getattr(s, name)[0, 0] for name in SHARES) < 0.5


def test_ties_between_shares_go_to_the_earlier_pattern():
    w = np.zeros((1, 1, 2, 2))
    w[0, 0, :, 0] = 1.0  # on [CLS], which is also the previous token of query 1 and itself for query 0
    s = head_summary(w, ["[CLS]", "[SEP]"])
    assert s.cls[0, 0] == s.previous[0, 0] == 1.0
    assert s.pattern[0, 0] == "cls"


def test_a_single_token_has_no_neighbours():
    s = head_summary(np.ones((2, 1, 1, 1)), ["hello"])
    assert s.previous.tolist() == s.next.tolist() == [[0.0], [0.0]]
    assert s.pattern.tolist() == [["self"], ["self"]]


def test_tokens_must_match_the_positions():
    with pytest.raises(ValueError, match="3 tokens for attention over 8 positions"):
        head_summary(hand_made(), TOKENS[:3])


@pytest.mark.parametrize(
    "token, expected",
    [(".", True), ("'", True), ("--", True), ("##,", True), ("‽", True), ("«", True), ("…", True)]
    + [("$", False), ("+", False), ("[SEP]", False), ("it's", False), ("", False), ("a.", False)],
)
def test_punctuation_is_tokens_made_only_of_punctuation_characters(token, expected):
    assert is_punctuation(token) is expected


# Ranking heads for one query and key


def test_heads_are_ranked_by_the_cell_largest_first():
    rng = np.random.default_rng(4)
    w = random_weights(rng, 3, 4, 5)
    ranked = rank_heads(w, query=2, key=4)
    assert len(ranked) == 12
    assert sorted((lay, h) for lay, h, _ in ranked) == [(lay, h) for lay in range(3) for h in range(4)]
    values = [v for _, _, v in ranked]
    assert values == sorted(values, reverse=True)
    for lay, h, v in ranked:
        assert v == w[lay, h, 2, 4]
    best = max(((lay, h) for lay in range(3) for h in range(4)), key=lambda p: w[p[0], p[1], 2, 4])
    assert ranked[0][:2] == best


def test_tied_heads_keep_layer_then_head_order():
    w = np.zeros((2, 3, 2, 2))
    w[1, 2, 0, 1] = w[0, 1, 0, 1] = w[1, 0, 0, 1] = 0.7
    ranked = rank_heads(w, 0, 1)
    assert [(lay, h) for lay, h, _ in ranked[:3]] == [(0, 1), (1, 0), (1, 2)]
    assert [(lay, h) for lay, h, _ in ranked[3:]] == [(0, 0), (0, 2), (1, 1)]


@pytest.mark.parametrize("query, key", [(-1, 0), (0, 2), (5, 0)])
def test_positions_outside_the_sequence_are_refused(query, key):
    with pytest.raises(ValueError, match="is not a position in 0..1"):
        rank_heads(np.zeros((1, 1, 2, 2)), query, key)
