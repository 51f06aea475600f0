"""The "Step by step" page, headless: every figure carries the package's own numbers for the settings.

Each test drives the page through its widgets and decodes the figures it sent, then compares them
with `attention.run` on the same settings, at float32 precision (the figures carry float32).
"""

import html

import numpy as np
import pytest

from attention import MASK_KINDS, Settings, char_embeddings, run
from attention.embed import sinusoidal_positions
from attention.pipeline import MAX_CHARS
from charts.figures import escape
from tests.apptest_helpers import (
    close,
    figures,
    fix_length,
    outside_code,
    page,
    paragraphs,
    sentence_box,
    status_line,
    texts,
    ticktext,
    title,
    weights,
    z,
)
from views.page import COMBINED, GRID_LIMIT
from views.weights import COMBINE, COMBINE_KEY

STAGES = (
    "x",
    "projections",
    "qkv",
    "scores",
    "scaled",
    "mask",
    "masked",
    "weights",
    "head_out",
)


def blanked(weights, mask):  # [seq, seq], bool [seq, seq] | None -> [seq, seq], NaN where masked
    return weights if mask is None else np.where(mask, weights, np.nan)


def assert_stages_match(figs, s):  # figure JSON by key, Settings -> None
    """The stage figures of head 0 hold exactly run(s)'s numbers."""
    t = run(s)
    a = t.attention
    close(z(figs["x"]), t.x)
    for panel, w in enumerate((t.w_q, t.w_k, t.w_v)):  # W_Q, W_K, W_V side by side in one figure
        close(z(figs["projections"], panel), w[:, : s.d_k])
    for panel, m in enumerate((a.q, a.k, a.v)):  # Q, K, V likewise
        close(z(figs["qkv"], panel), m[0], atol=1e-5)
    for name, m in (("scores", a.scores), ("scaled", a.scaled)):
        close(z(figs[name]), m[0], atol=1e-5)
    close(weights(figs["weights"]), blanked(a.weights[0], t.mask))
    assert ticktext(figs["weights"]) == [escape(tok) for tok in t.tokens]  # invisible characters named


def test_default_page_draws_every_stage_with_the_package_numbers():
    at = page()
    figs = figures(at)
    assert set(STAGES) <= set(figs), sorted(figs)
    assert_stages_match(figs, Settings())
    assert status_line(at).startswith("Showing 7 tokens.")  # the sequence follows the sentence: no [PAD]
    assert not at.warning
    assert "[PAD]" not in ticktext(figs["weights"])


def test_with_a_fixed_length_rows_sum_to_one_and_padding_keys_are_blank():
    at = page({"n": "10"})
    t = run(Settings(seq_len=10))
    assert at.toggle(key="fixed_length").value and at.slider(key="seq_len").value == 10
    w = weights(figures(at)["weights"])
    assert w.shape == (10, 10)
    assert np.isnan(w[:, 7:]).all() and np.isfinite(w[:, :7]).all()  # [PAD] keys drawn blank, nothing else
    np.testing.assert_allclose(np.nansum(w, axis=1), 1.0, atol=1e-6)
    close(w[:, :7], t.attention.weights[0][:, :7])
    mask = z(figures(at)["mask"])
    np.testing.assert_array_equal(mask, t.mask.astype(float))
    assert any("Every row sums to 1" in s for s in texts(at.success))


def test_sentence_d_k_length_and_seed_each_change_the_figures_as_the_package_does():
    at = page()
    s = Settings()
    changes = [
        (
            "sentence",
            lambda: sentence_box(at).input("a quick brown fox jumps"),
            "a quick brown fox jumps",
        ),
        ("d_k", lambda: at.number_input(key="d_k").set_value(64), 64),
        ("seq_len", lambda: fix_length(at, 8), 8),
        ("seed", lambda: at.slider(key="seed").set_value(41), 41),
    ]
    before = z(figures(at)["scores"])
    for name, change, value in changes:
        change().run()
        assert not at.exception, name
        s = s.replace(**{name: value})
        figs = figures(at)
        assert_stages_match(figs, s)
        after = z(figs["scores"])
        assert after.shape != before.shape or not np.allclose(after, before), (
            f"{name} left the scores as they were"
        )
        close(z(figs["scaled"]), z(figs["scores"]) / np.sqrt(s.d_k), atol=1e-5)
        before = after
    assert "**÷√d_k = ÷8.00** for d_k = 64." in paragraphs(at)
    assert status_line(at).startswith("Showing 5 tokens + 3 padding.")


def test_a_short_sequence_shows_the_first_tokens_only():
    at = page()
    fix_length(at, 3).run()
    assert status_line(at).startswith("Showing the first 3 of 7 tokens.")
    assert "The fixed length of 3 drops 4 words: ` beautiful today in Melbourne `" in texts(at.warning)
    at.button(key="fit").click().run()  # one click back to one position per word
    assert not at.toggle(key="fixed_length").value and status_line(at).startswith("Showing 7 tokens.")
    fix_length(at, 3).run()
    figs = figures(at)
    assert ticktext(figs["weights"]) == ["The", "weather", "is"]
    assert_stages_match(figs, Settings(seq_len=3))


def test_a_repeated_word_keeps_its_own_row():
    at = page()
    sentence_box(at).input("the cat sat on the mat")
    fix_length(at, 6).run()
    fig = figures(at)["weights"]
    assert ticktext(fig) == ticktext(fig, "yaxis") == ["the", "cat", "sat", "on", "the", "mat"]
    rows = fig["data"][0]["y"]
    assert len(rows) == len(set(rows)) == 6
    w = z(fig)
    assert w.shape == (6, 6)
    np.testing.assert_array_equal(w[0], w[4])  # same word, no positions: the same row of weights


@pytest.mark.parametrize(
    "sentence, shown, markup",
    [
        (
            '<b>bold</b> <a href="https://example.com">x</a>',
            "&lt;b&gt;bold&lt;/b&gt;",
            ("<b>", "<a", "</"),
        ),
        ("**bold** $x^2$ [link](http://x) ![i](http://x/i.png)", "**bold**", ("**", "$", "](", "![")),
    ],
)
def test_user_text_is_shown_literally(sentence, shown, markup):
    at = page()
    sentence_box(at).input(sentence).run()
    assert not at.exception
    figs = figures(at)
    labels = [
        label
        for f in figs.values()
        for ax in ("xaxis", "yaxis")
        for label in f["layout"].get(ax, {}).get("ticktext", [])
    ]
    ends = [
        t for ax in ("yaxis", "yaxis2") for t in figs["lines"]["layout"][ax]["ticktext"]
    ]  # the line view's
    assert shown in ends and not any("<" in t for t in ends)
    assert shown in labels
    assert not any("<" in label for label in labels)  # Plotly would render a tag
    paragraphs = [p for m in texts(at.markdown) for p in m.split("\n\n")]
    chip_rows = [p for p in paragraphs if "bold" in p]
    assert len(chip_rows) == 1  # the token chips, a paragraph of the first stage's text
    for word in sentence.split():
        assert word in chip_rows[0]
    rendered = outside_code(chip_rows[0])
    assert not any(m in rendered for m in markup), rendered


def test_a_token_with_a_bidi_override_cannot_pose_as_another():
    at = page()
    sentence_box(at).input("pay \u202elapyap\u202c now").run()  # reads "paypal" if obeyed
    assert not at.exception
    named = "⟨U+202E⟩lapyap⟨U+202C⟩"
    assert any(f"` {named} `" in m for m in texts(at.markdown))  # the chip names both characters
    fig = figures(at)["weights"]
    assert named in ticktext(fig) and f"#1 {named}" in fig["data"][0]["y"]  # the labels and the hover
    assert not any("\u202e" in m for m in texts(at.markdown))


def test_an_empty_sentence_asks_for_one_and_draws_nothing():
    at = page()
    for sentence in ("", "   \t  "):
        sentence_box(at).input(sentence).run()
        assert not at.exception
        assert "Type a sentence above to see its attention." in texts(at.warning)
        assert not figures(at)


def test_the_longest_sentence_at_the_longest_sequence():
    words = [f"w{i % 97}" for i in range(2000)]
    sentence = " ".join(words)[:5000].rsplit(" ", 1)[0]
    n = len(sentence.split())
    at = page()
    sentence_box(at).input(sentence)
    fix_length(at, 512).run()
    assert not at.exception
    assert status_line(at).startswith(f"Showing the first 512 of {n} tokens.")
    w = weights(figures(at)["weights"])
    assert w.shape == (512, 512)
    close(w, run(Settings(sentence=sentence, seq_len=512)).attention.weights[0])


def test_a_sentence_pasted_past_the_limit_is_cut_there_with_a_notice():
    """The box has no limit of its own (a browser would cut a paste silently, Streamlit drop it)."""
    pasted = " ".join(f"word{i}" for i in range(1200))  # 9,289 characters
    at = page()
    sentence_box(at).input(pasted).run()
    assert not at.exception
    assert sentence_box(at).value == pasted[:MAX_CHARS]
    assert f"sentence of {len(pasted)} characters cut to {MAX_CHARS}" in texts(at.warning)
    assert status_line(at).startswith(f"Showing the first 512 of {len(pasted[:MAX_CHARS].split())} tokens.")
    sentence_box(at).input("a short one").run()
    assert not any("cut to" in t for t in texts(at.warning))  # said once, for the paste it was about


def test_any_unicode_goes_through():
    at = page()
    for sentence, shown in (
        ("👩‍👩‍👧 family", None),
        ("注意力 机制", None),
        ("مرحبا שלום hello", None),
        ("e\u0301te\u0301 cafe\u0301", None),
        ("bell\x07 ring\x00", ["bell⟨U+0007⟩", "ring⟨U+0000⟩"]),  # control characters are named
    ):
        sentence_box(at).input(sentence).run()
        assert not at.exception, repr(sentence)
        figs = figures(at)
        tokens = sentence.split()
        shown = shown or [html.escape(t, quote=False) for t in tokens]
        assert ticktext(figs["weights"])[: len(tokens)] == shown
        assert_stages_match(figs, Settings(sentence=sentence))


def test_character_codes_make_x_as_wide_as_the_longest_word():
    at = page()
    at.selectbox(key="embedding").set_value("char codes").run()
    assert "d_model" not in [w.key for w in at.slider]  # X's width is the longest word's, shown as text
    assert "d_model = 9: the longest word's length, one column per character." in texts(at.caption)
    fig = figures(at)["x"]
    np.testing.assert_array_equal(z(fig), char_embeddings(Settings().sentence.split()))
    assert title(fig) == "X: 7 tokens × d_model = 9"
    assert_stages_match(figures(at), Settings(embedding="char codes"))


def test_random_embeddings_and_d_model():
    at = page()
    at.selectbox(key="embedding").set_value("random")
    at.slider(key="d_model").set_value(24).run()
    figs = figures(at)
    assert z(figs["x"]).shape == (7, 24) and z(figs["projections"]).shape == (24, 16)
    assert_stages_match(figs, Settings(embedding="random", d_model=24))


def test_three_heads_show_a_picker_a_grid_and_the_output_projection():
    at = page()
    at.slider(key="n_heads").set_value(3).run()
    s = Settings(n_heads=3)
    t = run(s)
    picker = at.segmented_control(key="head")
    assert list(picker.options) == ["head 0", "head 1", "head 2"]
    figs = figures(at)
    assert "grid" in figs and not {"Concatenated heads", "W_O", "Output"} & set(figs)  # shut: not sent
    assert [e.label for e in at.expander] == [COMBINE]
    at.session_state[COMBINED] = True  # a visitor opens it
    at.run()
    figs = figures(at)
    assert {"grid", "Concatenated heads", "W_O", "Output"} <= set(figs)
    assert len(figs["grid"]["data"]) == 3
    for h in range(3):
        close(z(figs["grid"], h), t.attention.weights[h])
    close(z(figs["Concatenated heads"]), t.attention.concat)
    close(z(figs["W_O"]), t.w_o)
    close(z(figs["Output"]), t.attention.output, atol=1e-5)
    picker.set_value(2).run()
    figs = figures(at)
    close(weights(figs["weights"]), blanked(t.attention.weights[2], t.mask))
    close(z(figs["scores"]), t.attention.scores[2], atol=1e-5)
    assert title(figs["head_out"]) == "weights · V (head 2)"
    fix_length(at, GRID_LIMIT + 2).run()
    assert "grid" not in figures(at) and "Output" in figures(at)
    assert f"With more than {GRID_LIMIT} tokens the per-head grid is hidden; pick a head above." in texts(
        at.info
    )


def test_the_heads_combination_opened_is_in_the_link_and_opens_from_it():
    at = page({"h": "2"})
    assert "comb" not in at.query_params  # shut, the default: the link does not say so
    at.session_state[COMBINED] = True
    at.run()
    assert at.query_params["comb"] == "1"
    again = page(dict(at.query_params))
    t = run(Settings(n_heads=2))
    close(z(figures(again)["W_O"]), t.w_o)
    shut = page({"h": "2", "comb": "0"})
    assert "comb" not in shut.query_params and "W_O" not in figures(shut)


def test_the_heads_combination_stays_open_on_another_tab_and_with_one_head():
    """Streamlit forgets a widget's state in a run that does not draw it: the page keeps it instead.
    (Opening it by a click, which calls `remember_combined`, is a browser test.)"""
    at = page({"h": "2"})
    at.session_state[COMBINED] = True  # what opening the expander keeps
    at.run()
    assert at.session_state[COMBINE_KEY] and "W_O" in figures(at)
    at.session_state["tab"] = "Share & export"  # what st.tabs reports when the visitor switches
    at.run()
    at.run()  # a second run there (e.g. another choice of link)
    assert at.query_params["comb"] == "1"
    at.session_state["tab"] = "Step by step"
    at.run()
    assert "W_O" in figures(at)
    at.slider(key="n_heads").set_value(1).run()
    assert "W_O" not in figures(at) and not at.expander
    at.slider(key="n_heads").set_value(2).run()
    assert [e.label for e in at.expander] == [COMBINE] and "W_O" in figures(at)
    at.session_state[COMBINED] = False  # shut again
    at.run()
    assert "W_O" not in figures(at) and "comb" not in at.query_params


def test_every_mask_blanks_exactly_the_hidden_cells():
    at = page({"n": "10"})  # 7 words + 3 [PAD]: every kind but "none" hides the padding keys too
    sizes = {"sliding window": ("window", 2), "prefix": ("prefix", 4)}
    for kind in MASK_KINDS:
        at.selectbox(key="mask").set_value(kind).run()
        assert sorted({"window", "prefix"} & {w.key for w in at.slider}) == sorted(
            [sizes[kind][0]] if kind in sizes else []
        )  # a mask's own control is shown only for that mask
        if kind in sizes:
            at.slider(key=sizes[kind][0]).set_value(sizes[kind][1]).run()
        t = run(Settings(seq_len=10, mask=kind, window=2, prefix=4))
        figs = figures(at)
        w = weights(figs["weights"])
        hidden = np.zeros((10, 10), bool) if t.mask is None else ~t.mask
        np.testing.assert_array_equal(np.isnan(w), hidden, err_msg=kind)
        close(w, blanked(t.attention.weights[0], t.mask))
        assert ("mask" in figs) == (kind != "none")
    assert not hidden[0, 3] and hidden[4, 5]  # the last kind, prefix 4: a full block, then causal


def test_the_default_padding_mask_says_when_it_hides_nothing():
    said = "this mask hides nothing"
    at = page()  # the sequence follows the sentence: no [PAD] for the padding mask to hide
    assert any(said in m for m in texts(at.markdown))
    fix_length(at, 10).run()  # three [PAD] positions: the mask hides them, and says nothing of the kind
    assert not any(said in m for m in texts(at.markdown))
    at = page({"mask": "causal"})
    assert not any(said in m for m in texts(at.markdown))


def test_scaling_off_and_temperature():
    at = page()
    at.number_input(key="temperature").set_value(2.0).run()
    figs = figures(at)
    close(z(figs["scaled"]), z(figs["scores"]) / (2.0 * 4.0), atol=1e-5)
    assert "**÷τ·√d_k = 2 × 4.00 = ÷8.00** for d_k = 16." in paragraphs(at)
    assert_stages_match(figs, Settings(temperature=2.0))
    at.toggle(key="scaling").set_value(False).run()
    figs = figures(at)
    close(z(figs["scaled"]), z(figs["scores"]) / 2.0, atol=1e-5)
    assert "**Scaling is off**: scaled = scores ÷ τ = scores ÷ 2." in paragraphs(at)
    assert_stages_match(figs, Settings(temperature=2.0, scaling=False))


def test_uniform_weight_init():
    at = page()
    at.radio(key="weight_init").set_value("uniform").run()
    for panel in range(3):  # W_Q, W_K, W_V
        w = z(figures(at)["projections"], panel)
        assert (w >= 0).all() and (w < 1).all()
    assert_stages_match(figures(at), Settings(weight_init="uniform"))


def test_positions_are_added_to_x():
    at = page()
    plain = z(figures(at)["x"])
    at.toggle(key="positions").set_value(True).run()
    x = z(figures(at)["x"])
    close(x - plain, sinusoidal_positions(7, 16), atol=1e-5)
    assert_stages_match(figures(at), Settings(positions=True))


def test_the_softmax_stage_says_a_weight_is_not_an_explanation():
    at = page()
    assert any("it is not an explanation of what a model decides" in m for m in texts(at.markdown))
