"""Tests of attention.heads: multi-head attention against a loop over heads and the standard definition."""

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attention.core import causal_mask, scaled_dot_product_attention
from attention.heads import merge_heads, multi_head_attention, split_heads

FAST = settings(max_examples=50, deadline=None)


def plain_softmax(x):  # [.., n] -> [.., n]
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def standard_multi_head(x, w_q, w_k, w_v, w_o, n_heads):  # [seq, d_model] -> [seq, d_model]
    """Attention Is All You Need, section 3.2.2: head_h = softmax(Q_h K_hᵀ / √d_k) V_h, concat, @ W_O."""
    d_k, d_v = w_q.shape[1] // n_heads, w_v.shape[1] // n_heads
    heads = []
    for h in range(n_heads):
        q = x @ w_q[:, h * d_k : (h + 1) * d_k]
        k = x @ w_k[:, h * d_k : (h + 1) * d_k]
        v = x @ w_v[:, h * d_v : (h + 1) * d_v]
        heads.append(plain_softmax(q @ k.T / np.sqrt(d_k)) @ v)
    return np.concatenate(heads, axis=1) @ w_o


def torch_style_multi_head(x, in_proj_weight, out_proj_weight, n_heads):  # [seq, E] -> [seq, E]
    """PyTorch nn.MultiheadAttention's forward (no biases, one batch) written in numpy.

    PyTorch stores in_proj_weight [3E, E] and out_proj.weight [E, E] and applies them as x @ Wᵀ;
    it splits the projected width into heads with reshape(seq, n_heads, head_dim).
    """
    seq, embed = x.shape
    head_dim = embed // n_heads
    q, k, v = np.split(x @ in_proj_weight.T, 3, axis=-1)
    q, k, v = (a.reshape(seq, n_heads, head_dim).transpose(1, 0, 2) for a in (q, k, v))
    attn = plain_softmax((q / np.sqrt(head_dim)) @ k.transpose(0, 2, 1))
    out = (attn @ v).transpose(1, 0, 2).reshape(seq, embed)
    return out @ out_proj_weight.T


@st.composite
def mha_inputs(draw):
    """x [seq, d_model] and weights for n_heads heads of widths d_k and d_v."""
    seq, d_model, n_heads, d_k, d_v = (draw(st.integers(1, 4)) for _ in range(5))
    floats = st.floats(-3, 3, allow_nan=False)
    x = draw(hnp.arrays(np.float64, (seq, d_model), elements=floats))
    w_q, w_k = (draw(hnp.arrays(np.float64, (d_model, n_heads * d_k), elements=floats)) for _ in range(2))
    w_v = draw(hnp.arrays(np.float64, (d_model, n_heads * d_v), elements=floats))
    w_o = draw(hnp.arrays(np.float64, (n_heads * d_v, d_model), elements=floats))
    return x, w_q, w_k, w_v, w_o, n_heads


def random_weights(rng, d_model, n_heads, d_k):
    return [rng.normal(size=(d_model, n_heads * d_k)) for _ in range(3)] + [
        rng.normal(size=(n_heads * d_k, d_model))
    ]


def test_one_head_equals_single_head_attention():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 8))
    w_q, w_k, w_v, _ = random_weights(rng, 8, 1, 4)
    t = multi_head_attention(x, w_q, w_k, w_v, None, n_heads=1, mask=causal_mask(6))
    one = scaled_dot_product_attention(x @ w_q, x @ w_k, x @ w_v, mask=causal_mask(6))
    assert np.array_equal(t.weights[0], one.weights)
    assert np.array_equal(t.scores[0], one.scores)
    assert np.array_equal(t.output, one.output)  # no w_o: the output is the single head itself
    assert t.scale == one.scale == 1 / np.sqrt(4)


@FAST
@given(mha_inputs(), st.booleans())
def test_vectorised_heads_equal_a_loop_over_column_slices(inputs, causal):
    x, w_q, w_k, w_v, w_o, n_heads = inputs
    mask = causal_mask(x.shape[0]) if causal else None
    t = multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=mask)
    d_k, d_v = w_q.shape[1] // n_heads, w_v.shape[1] // n_heads
    for h in range(n_heads):
        cols_k, cols_v = slice(h * d_k, (h + 1) * d_k), slice(h * d_v, (h + 1) * d_v)
        one = scaled_dot_product_attention(x @ w_q[:, cols_k], x @ w_k[:, cols_k], x @ w_v[:, cols_v], mask)
        np.testing.assert_allclose(t.q[h], x @ w_q[:, cols_k], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(t.weights[h], one.weights, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(t.heads[h], one.output, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(t.concat[:, cols_v], one.output, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(t.output, t.concat @ w_o, rtol=1e-12, atol=1e-12)


@FAST
@given(mha_inputs())
def test_equals_the_standard_definition(inputs):
    x, w_q, w_k, w_v, w_o, n_heads = inputs
    t = multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads)
    np.testing.assert_allclose(t.output, standard_multi_head(x, w_q, w_k, w_v, w_o, n_heads), atol=1e-8)


@pytest.mark.parametrize(("embed", "n_heads"), [(8, 1), (8, 2), (12, 3), (16, 4)])
def test_equals_pytorch_multihead_attention_layout(embed, n_heads):
    rng = np.random.default_rng(embed + n_heads)
    x = rng.normal(size=(5, embed))
    in_proj, out_proj = rng.normal(size=(3 * embed, embed)), rng.normal(size=(embed, embed))
    w_q, w_k, w_v = (w.T for w in np.split(in_proj, 3, axis=0))
    t = multi_head_attention(x, w_q, w_k, w_v, out_proj.T, n_heads)
    np.testing.assert_allclose(t.output, torch_style_multi_head(x, in_proj, out_proj, n_heads), atol=1e-10)


def test_heads_mask_may_differ_per_head():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 6))
    w_q, w_k, w_v, w_o = random_weights(rng, 6, 2, 3)
    mask = np.stack([causal_mask(4), np.ones((4, 4), bool)])
    t = multi_head_attention(x, w_q, w_k, w_v, w_o, 2, mask=mask)
    assert np.all(t.weights[0][~causal_mask(4)] == 0.0)
    assert np.all(t.weights[1] > 0.0)


@FAST
@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 4), st.data())
def test_split_and_merge_heads_round_trip(seq, n_heads, d, data):
    x = data.draw(hnp.arrays(np.float64, (seq, n_heads * d), elements=st.floats(-5, 5)))
    heads = split_heads(x, n_heads)
    assert heads.shape == (n_heads, seq, d)
    for h in range(n_heads):
        assert np.array_equal(heads[h], x[:, h * d : (h + 1) * d])
    assert np.array_equal(merge_heads(heads), x)


@pytest.mark.parametrize(("width", "n_heads"), [(6, 4), (5, 2), (4, 0)])
def test_split_heads_rejects_heads_that_do_not_divide_the_width(width, n_heads):
    with pytest.raises(ValueError, match=rf"n_heads={n_heads}.*{width}"):
        split_heads(np.ones((3, width)), n_heads)


def test_multi_head_rejects_heads_that_do_not_divide_the_width():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 6))
    w_q, w_k, w_v, w_o = random_weights(rng, 6, 1, 6)
    with pytest.raises(ValueError, match="n_heads=4"):
        multi_head_attention(x, w_q, w_k, w_v, w_o, 4)


@pytest.mark.parametrize(
    ("name", "shapes"),
    [
        ("w_q", [(5, 8), (6, 8), (6, 8), (8, 6)]),
        ("w_k", [(6, 8), (6,), (6, 8), (8, 6)]),
        ("w_v", [(6, 8), (6, 8), (7, 8), (8, 6)]),
        ("w_o", [(6, 8), (6, 8), (6, 8), (6, 6)]),
    ],
)
def test_multi_head_rejects_wrong_weight_shapes(name, shapes):
    x = np.ones((3, 6))
    w_q, w_k, w_v, w_o = (np.ones(shape) for shape in shapes)
    with pytest.raises(ValueError, match=name):
        multi_head_attention(x, w_q, w_k, w_v, w_o, 2)


def test_multi_head_rejects_x_that_is_not_a_matrix():
    with pytest.raises(ValueError, match=r"\(2, 3, 6\)"):
        multi_head_attention(np.ones((2, 3, 6)), np.ones((6, 6)), np.ones((6, 6)), np.ones((6, 6)), None, 1)


def test_a_mask_may_not_add_heads():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 6))
    w_q, w_k, w_v, _ = random_weights(rng, 6, 1, 6)
    with pytest.raises(ValueError, match=r"\(2, 4, 4\).*\(1, 4, 4\)"):
        multi_head_attention(x, w_q, w_k, w_v, None, 1, mask=np.ones((2, 4, 4), bool))
