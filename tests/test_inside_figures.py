"""The Beyond the weights tab's figures: plain dicts that Plotly accepts, holding the arrays given,
with every token escaped and each number, outline and blank cell where the page says it is."""

import numpy as np
import pytest

from attention import Settings, run
from attention.inside import toy_contributions
from attention.replay import decode_step, online_against_dense
from attention.spread import head_spread
from charts import inside as fig
from tests.component_data import checked

TOKENS = ["[CLS]", "<b>cat</b>", "sat", "'", "[SEP]"]
W = np.full((5, 5), 0.2)
RNG = np.random.default_rng(0)


def plain(built):  # -> the figure dicts of a builder's result, each validated by plotly.graph_objects
    figs = built.values() if "data" not in built else [built]
    for f in figs:
        assert type(f) is dict and set(f) == {"data", "layout"}
        checked(f)
    return list(figs)


def every_text(f):  # figure dict -> all its strings, deep
    if isinstance(f, dict):
        return [t for v in f.values() for t in every_text(v)]
    if isinstance(f, list | tuple):
        return [t for v in f for t in every_text(v)]
    return [f] if isinstance(f, str) else []


SPREAD = head_spread(RNG.normal(size=(6, 12, 5, 32)), RNG.normal(size=(6, 12, 5, 32)))
TRACE = run(Settings())
A = TRACE.attention
STEP = decode_step(A.q[0], A.k[0], A.v[0], 2, 3)
ONLINE = online_against_dense(A.q[0], A.k[0], A.v[0], 3, A.weights[0], A.heads[0], A.scale, TRACE.mask).trace
BUILDERS = {
    "weights_and_norms": lambda: fig.weights_and_norms(W, W * 3, TOKENS, "head 0", np.eye(5, dtype=bool)),
    "share_bars": lambda: fig.share_bars(W[0], W[1], TOKENS, "Row #1 cat"),
    "head_map": lambda: fig.head_map(RNG.random((6, 12)), "Share of weight", "share"),
    "sink_rates": lambda: fig.sink_rates({"[CLS]": np.ones(6), "<i>,</i>": np.zeros(6)}, 0.3),
    "sink_vectors": lambda: fig.sink_vectors(np.ones(5), np.ones(5), np.zeros(5), TOKENS, 1),
    "null_map": lambda: fig.null_map(np.full((5, 6), 1 / 6), TOKENS, "Weights with softmax + 1"),
    "cache_maps": lambda: fig.cache_maps(STEP.k_cache, STEP.v_cache, list(TRACE.tokens), STEP.first),
    "decode_maps": lambda: fig.decode_maps(
        STEP.rows, STEP.recompute, list(TRACE.tokens), STEP.first, STEP.last
    ),
    "running_maps": lambda: fig.running_maps(
        ONLINE.running_max, ONLINE.running_sum, ONLINE.rescale, list(TRACE.tokens), 2
    ),
    "partial_maps": lambda: fig.partial_maps(ONLINE.partial[0], A.heads[0], list(TRACE.tokens), 1, 3),
    "spread_maps": lambda: fig.spread_maps(SPREAD),
}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_each_figure_is_a_plain_dict_plotly_accepts_with_tokens_escaped(name):
    for f in plain(BUILDERS[name]()):
        texts = every_text(f)
        assert not any("<b>" in t or "<i>" in t for t in texts), name  # "<b>cat</b>" is shown, never bold


def test_contributions_sit_beside_the_weights_with_masked_cells_blank_and_numbers_in_cells():
    c = toy_contributions(TRACE, 0)
    figs = fig.weights_and_norms(c.weights, c.norms, list(TRACE.tokens), "head 0", TRACE.mask)
    np.testing.assert_allclose(figs["bw_weights"]["data"][0]["z"], A.weights[0], rtol=1e-6)
    np.testing.assert_allclose(figs["bw_norms"]["data"][0]["z"], c.norms, rtol=1e-6)
    assert figs["bw_norms"]["data"][0]["zmax"] >= c.norms.max()
    assert figs["bw_weights"]["data"][0]["texttemplate"] == "%{text:.2f}"
    masked = fig.weights_and_norms(W, W, TOKENS, "h", np.eye(5, dtype=bool))["bw_norms"]["data"][0]["z"]
    assert np.isnan(masked[0, 1]) and masked[0, 0] == pytest.approx(0.2)


def test_the_null_column_is_last_and_the_decode_and_block_outlines_sit_on_their_rows_and_column():
    null = fig.null_map(np.full((5, 6), 1 / 6), TOKENS, "t")["data"][0]
    assert null["x"][-1] == f"#5 {fig.NOTHING}"
    maps = fig.decode_maps(STEP.rows, STEP.recompute, list(TRACE.tokens), STEP.first, STEP.last)
    [box] = maps["bw_recompute"]["layout"]["shapes"]
    assert (box["y0"], box["y1"]) == (STEP.last - 0.5, STEP.last + 0.5)
    assert maps["bw_step_rows"]["data"][0]["showscale"] is False
    running = fig.running_maps(ONLINE.running_max, ONLINE.running_sum, ONLINE.rescale, list(TRACE.tokens), 2)
    [box] = running["bw_rescale"]["layout"]["shapes"]
    assert (box["x0"], box["x1"]) == (0.5, 1.5)  # block 2's column
    np.testing.assert_allclose(running["bw_sum"]["data"][0]["z"], ONLINE.running_sum.T, rtol=1e-6)


def test_minus_infinity_in_the_running_max_is_drawn_blank():
    m = np.array([[-np.inf, 1.0], [2.0, 2.0]])
    z = fig.running_maps(m, np.ones((2, 2)), np.zeros((2, 2)), ["a", "b"], 1)["bw_max"]["data"][0]["z"]
    assert np.isnan(z[0, 0]) and z[1, 0] == 1.0


def test_the_spread_maps_colour_the_departure_and_print_the_spread():
    figs = fig.spread_maps(SPREAD)
    scores = figs["bw_sigma_scores"]["data"][0]
    np.testing.assert_allclose(scores["z"], SPREAD.departure, rtol=1e-6)
    np.testing.assert_allclose(scores["text"], SPREAD.scores, rtol=1e-6)
    assert "√32 ≈ 5.66" in figs["bw_sigma_scores"]["layout"]["title"]["text"]
    assert scores["zmin"] == -scores["zmax"]  # white is the textbook
