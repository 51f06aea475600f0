"""How the page reads an encoder trace: one head, the head average, [CLS]/[SEP] hidden, one token followed.

The trace here is made by hand (random row-stochastic weights), so these tests need no model, and
each function is checked against plain loops.
"""

import numpy as np
import pytest

from attention.bert import BertConfig
from attention.masks import without_tokens
from attention.pretrained import EncoderTrace, default_query, followed, head_view, kept, kept_weights

TOKENS = ["[CLS]", "the", "animal", "was", "it", "tired", "[SEP]"]


@pytest.fixture(scope="module")
def trace():  # a 2-layer, 3-head trace over TOKENS with random queries and keys, and their softmax
    rng = np.random.default_rng(0)
    n, config = len(TOKENS), BertConfig(2, 3, 6, 12, 30, 16, 1e-12)
    q, k = rng.normal(size=(2, 2, 3, n, 2))
    scale = 1 / np.sqrt(2)
    e = np.exp(q @ k.swapaxes(-1, -2) * scale)
    return EncoderTrace(
        "t", TOKENS, np.arange(n), 0, config, np.zeros((3, n, 6)), q, k, np.zeros((2, 3, n, 2)),
        e / e.sum(-1, keepdims=True), scale,
    )  # fmt: skip


def plain_rescaled(row, keep):  # list[float], list[bool] -> list[float], the row over the kept keys
    total = sum(w for w, k in zip(row, keep, strict=True) if k)
    return [w / total for w, k in zip(row, keep, strict=True) if k]


def test_kept_hides_only_cls_and_sep():
    assert kept(TOKENS, False).all()
    assert kept(TOKENS, True).tolist() == [False, True, True, True, True, True, False]


@pytest.mark.parametrize("hide", [False, True])
def test_one_head_shows_its_scores_scaled_scores_and_rescaled_weights(trace, hide):
    keep = kept(TOKENS, hide)
    view = head_view(trace, 1, 2, keep)
    rows = [i for i, k in enumerate(keep) if k]
    assert view.tokens == [TOKENS[i] for i in rows]
    q, k = trace.q[1, 2].tolist(), trace.k[1, 2].tolist()
    plain = [[sum(a * b for a, b in zip(q[i], k[j], strict=True)) for j in rows] for i in rows]
    np.testing.assert_allclose(view.scores, plain, rtol=1e-12)
    np.testing.assert_allclose(view.scaled, np.array(plain) * trace.scale, rtol=1e-12)
    expected = [plain_rescaled(trace.weights[1, 2, i].tolist(), keep.tolist()) for i in rows]
    np.testing.assert_allclose(view.weights, expected, rtol=1e-12)


def test_keeping_every_piece_shows_the_weights_bit_for_bit(trace):
    float32 = np.float32(trace.weights)  # a row of float32 weights sums to 1 only up to rounding
    every = kept(TOKENS, False)
    assert np.array_equal(kept_weights(trace, every), trace.weights)
    assert np.array_equal(without_tokens(float32, every), float32)
    assert np.array_equal(followed(trace, 2, every), trace.weights[:, :, 2])


class OneHeadOnly(EncoderTrace):
    """A trace whose whole-tensor reads fail, to show which reads a function makes."""

    @property
    def scores(self):
        raise AssertionError("the whole [n_layers, n_heads, seq, seq] scores were rebuilt")

    @property
    def scaled(self):
        raise AssertionError("the whole [n_layers, n_heads, seq, seq] scaled scores were rebuilt")


def test_one_head_is_read_without_rebuilding_every_heads_scores(trace):
    fields = {f: getattr(trace, f) for f in trace.__dataclass_fields__}
    view = head_view(OneHeadOnly(**fields), 1, 2, kept(TOKENS, False))
    np.testing.assert_allclose(view.scores, trace.scores[1, 2], rtol=1e-12)
    np.testing.assert_allclose(trace.head_scaled(0, 1), trace.scaled[0, 1], rtol=1e-12)


def test_the_head_average_rescales_each_head_before_averaging(trace):
    keep = kept(TOKENS, True)
    view = head_view(trace, 0, None, keep)
    rows = [i for i, k in enumerate(keep) if k]
    per_head = [
        [plain_rescaled(trace.weights[0, h, i].tolist(), keep.tolist()) for i in rows] for h in range(3)
    ]
    np.testing.assert_allclose(view.weights, np.mean(per_head, axis=0), rtol=1e-12)
    assert view.scores is None and view.scaled is None
    np.testing.assert_allclose(view.weights.sum(axis=1), 1.0)


def test_following_a_token_gives_its_row_in_every_head(trace):
    keep = kept(TOKENS, True)
    rows = followed(trace, 4, keep)
    assert rows.shape == (2, 3, 5)
    for layer in range(2):
        for h in range(3):
            expected = plain_rescaled(trace.weights[layer, h, 4].tolist(), keep.tolist())
            np.testing.assert_allclose(rows[layer, h], expected, rtol=1e-12)
    np.testing.assert_allclose(kept_weights(trace, keep)[:, :, 3], rows)  # "it" is the 4th kept piece


def test_the_followed_token_is_it_when_there_is_one():
    assert default_query(TOKENS, kept(TOKENS, False)) == 4
    assert default_query(["[CLS]", "a", "b", "[SEP]"], kept(["[CLS]", "a", "b", "[SEP]"], True)) == 1
    assert default_query(["[CLS]", "a"], kept(["[CLS]", "a"], False)) == 0


def test_the_caveat_says_a_column_one_piece_and_a_tie_in_words():
    from types import SimpleNamespace

    from views.caveat import caveat

    w = np.zeros((1, 2, 4, 4))
    w[0, 0, :, 1] = 1.0  # head 0: every piece looks at piece 1 most: a column
    w[0, 1, 0, 2], w[0, 1, 1:, 3] = 1.0, 1.0  # head 1: one piece looks at piece 2
    trace = SimpleNamespace(weights=w, tokens=["[CLS]", "**it**", "cat", "[SEP]"])
    text = caveat(trace, [(0, 0, 0.9), (0, 1, 0.9)], 2, 1)
    assert "4 of 4 pieces look at ` **it** ` most: a column, not a link from ` cat `." in text
    assert "The runner-up, layer 0 head 1, ties it (0.900)." in text  # the user's word shown literally
    text = caveat(trace, [(0, 1, 0.8), (0, 0, 0.5)], 0, 2)
    assert "1 of 4 pieces looks at ` cat ` most." in text and "is within 0.300 (0.500)." in text
