"""The "Scaling lab" tab, headless: every number it shows is the package's for the same settings.

The page is opened on the tab, driven through its widgets, its address and clicks on its charts,
and each figure, table and line of text is compared with `attention.run`, `attention.scaling` and
`attention.explain` on the same settings, and with plain-loop references where they are cheap.
"""

import functools
import json
import re

import numpy as np
import pytest

from attention import Settings, run
from attention.explain import explain_trace_cell
from attention.pipeline import DEFAULT_SENTENCE
from attention.scaling import jacobian_norm, row_stats, score_spread, softmax_jacobian
from tests.apptest_helpers import array, close, figures, page, texts, ticktext, title, z
from tests.streamlit_adapter import click_map
from views.common import literal
from views.page import LARGE

LAB = "Scaling lab"
SATURATED_UNSCALED = {"dk": "256", "scale": "0"}  # d_k = 256 with scaling off, as a link gives it


def lab(params=None):  # dict[str, str] | None -> AppTest on the lab tab, after its first run
    return page(params, tab=LAB)


def shown(x):  # float -> str, a float32 value with 6 significant digits, as the heatmaps' hover shows it
    return f"{float(np.float32(x)):.6g}"


def saturated_rows(weights):  # [seq, seq] -> (saturated rows, rows with an allowed key), by plain loops
    rows = [row for row in weights.tolist() if any(w > 0 for w in row)]
    return sum(1 for row in rows if max(row) > 0.95), len(rows)


def explanation(at):  # AppTest -> str, the numbered lines of "Explain this cell"
    (lines,) = [m for m in texts(at.markdown) if m.startswith("1. **score**")]
    return lines


@functools.cache
def spread(weight_init):  # str -> SpreadTable, computed once per test run
    return score_spread(weight_init=weight_init)


@pytest.mark.parametrize("params", [{}, {"dk": "256"}, SATURATED_UNSCALED])
def test_the_summary_counts_the_saturated_rows(params):
    at = lab(params)
    s = Settings(d_k=int(params.get("dk", 16)), scaling=params.get("scale") != "0")
    weights = run(s).attention.weights[0]
    stats = row_stats(weights)
    n, rows = saturated_rows(weights)
    assert (np.count_nonzero(stats.saturated), np.count_nonzero(~stats.empty)) == (n, rows)
    assert f"**{n} of {rows} rows saturated (largest weight > 0.95).**" in texts(at.markdown)


def test_without_scaling_a_wide_head_saturates_more_rows_than_with_it():
    counts = {}
    for scaling in (True, False):
        counts[scaling] = saturated_rows(run(Settings(d_k=256, scaling=scaling)).attention.weights[0])[0]
    assert counts[False] > counts[True]
    assert f"**{counts[False]} of 7 rows saturated (largest weight > 0.95).**" in texts(
        lab(SATURATED_UNSCALED).markdown
    )


def test_the_try_it_button_sets_a_wide_unscaled_head():
    at = lab()
    at.button(key="try_saturation").click().run()
    assert not at.exception
    assert at.number_input(key="d_k").value == 256 and at.toggle(key="scaling").value is False
    assert at.query_params["dk"] == "256" and at.query_params["scale"] == "0"
    t = run(Settings(d_k=256, scaling=False))
    close(z(figures(at)["lab_weights"]), np.where(t.mask, t.attention.weights[0], np.nan))


@pytest.mark.parametrize(
    "params", [{}, SATURATED_UNSCALED, {"s": " ".join(f"w{i}" for i in range(LARGE + 1))}]
)
def test_the_row_table_holds_each_rows_measures(params):
    """A plain table up to LARGE rows (each word a literal code span, its cells being Markdown), a data
    grid beyond, with the same numbers."""
    at = lab(params)
    t = run(
        Settings(
            sentence=params.get("s", DEFAULT_SENTENCE),
            d_k=int(params.get("dk", 16)),
            scaling=params.get("scale") != "0",
        )
    )
    stats = row_stats(t.attention.weights[0])
    short = len(t.tokens) <= LARGE
    assert (len(at.table), len(at.dataframe)) == ((1, 0) if short else (0, 1))
    table = (at.table if short else at.dataframe)[0].value
    assert list(table["query"]) == ([literal(w) for w in t.tokens] if short else list(t.tokens))
    np.testing.assert_allclose(table["largest weight"], stats.largest, rtol=1e-12)
    np.testing.assert_allclose(table["entropy (bits)"], stats.entropy_bits, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(table["effective keys"], stats.effective_keys, rtol=1e-12)
    np.testing.assert_array_equal(table["saturated"], np.where(stats.saturated, "yes", "no"))
    np.testing.assert_allclose(table["largest weight"], t.attention.weights[0].max(axis=1), rtol=1e-12)


def test_the_select_boxes_pick_the_cell_to_explain():
    at = lab()
    at.selectbox(key="cell_q").set_value(3).run()
    at.selectbox(key="cell_k").set_value(5).run()
    assert (at.selectbox(key="cell_q").value, at.selectbox(key="cell_k").value) == (3, 5)
    assert at.query_params["cell"] == "3,5"
    assert "Query #3 ` beautiful ` looking at key #5 ` in `, head 0:" in texts(at.markdown)


@pytest.mark.parametrize("params", [{"cell": "3,5"}, {"cell": "6,0"}, {**SATURATED_UNSCALED, "cell": "4,2"}])
def test_the_explanation_shows_the_arithmetic_of_the_cell(params):
    at = lab(params)
    i, j = (int(p) for p in params["cell"].split(","))
    t = run(Settings(d_k=int(params.get("dk", 16)), scaling=params.get("scale") != "0"))
    e = explain_trace_cell(t, 0, i, j)
    q, k = t.attention.q[0][i], t.attention.k[0][j]
    assert e.score == pytest.approx(sum(a * b for a, b in zip(q, k, strict=True)), rel=1e-12)
    assert e.weight == pytest.approx(t.attention.weights[0][i, j], rel=1e-12)
    row = t.attention.weights[0][i]
    assert e.rank == 1 + sum(1 for b, w in enumerate(row) if w > row[j] or (w == row[j] and b < j))
    lines = explanation(at)
    for expected in (
        f"sum of the {t.settings.d_k} products = **{shown(e.score)}**",
        f"= score ÷ {1 / e.scale:.4g} = **{shown(e.scaled)}**",
        f"minus the row's largest scaled score {e.row_max:.6g}: {e.shifted:.6g}",
        f"exp of that: {e.exp:.6g}",
        f"over its {e.n_allowed} allowed keys, {e.exp_sum:.6g}",
        f"**weight = {shown(e.weight)}**, rank **{e.rank}** of {e.n_allowed} in the row.",
    ):
        assert expected in lines, (expected, lines)
    assert f"**weight = {z(figures(at)['lab_weights'])[i, j]:.6g}**" in lines  # the value the heatmap draws


def test_a_masked_cell_says_so_and_weighs_exactly_zero():
    at = lab({"cell": "2,8", "n": "10"})  # key 8 is [PAD], masked by the default padding mask
    t = run(Settings(seq_len=10))
    assert t.tokens[8] == "[PAD]" and not t.mask[2, 8]
    e = explain_trace_cell(t, 0, 2, 8)
    assert e.masked and e.weight == 0.0 and t.attention.weights[0][2, 8] == 0.0
    lines = explanation(at)
    assert "this key is **masked**" in lines and "exactly **0**" in lines
    assert "weight =" not in lines and "rank" not in lines
    assert np.isnan(z(figures(at)["lab_weights"])[2, 8])  # drawn blank


@pytest.mark.parametrize("cell", [(3, 5), (0, 0), (2, 8)])
def test_the_products_add_up_to_the_score(cell):
    i, j = cell
    at = lab({"cell": f"{i},{j}", "n": "10"})
    t = run(Settings(seq_len=10))
    bars = figures(at)["products"]["data"][0]
    products = array(bars["y"])
    q, k = t.attention.q[0][i], t.attention.k[0][j]
    np.testing.assert_allclose(products, [a * b for a, b in zip(q, k, strict=True)], rtol=1e-12)
    assert bars["x"] == [f"d{m}" for m in range(t.settings.d_k)]
    assert products.sum() == pytest.approx(t.attention.scores[0][i, j], rel=1e-9, abs=1e-12)
    assert shown(products.sum()) in explanation(at)


def test_a_click_on_the_weights_explains_that_cell():
    at = lab()
    click_map(at, "lab_weights", 3, 5)
    assert (at.selectbox(key="cell_q").value, at.selectbox(key="cell_k").value) == (3, 5)
    assert at.session_state["cell"] == (3, 5)
    assert at.query_params["cell"] == "3,5"
    e = explain_trace_cell(run(Settings()), 0, 3, 5)
    assert f"**weight = {shown(e.weight)}**" in explanation(at)
    at.run()  # the next rerun keeps the clicked cell
    assert at.query_params["cell"] == "3,5"


def test_every_cell_carries_an_invisible_marker_to_click():
    at = lab()
    t = run(Settings())
    fig = figures(at)["lab_weights"]
    heat, points = fig["data"]
    assert heat["type"] == "heatmap" and heat["hoverinfo"] == "skip"
    assert points["type"] == "scatter" and points["marker"]["opacity"] == 0
    data = array(points["customdata"])
    n = len(t.tokens)
    assert data.shape == (n * n, 3)
    for k, (i, j, w) in enumerate(data):
        assert (i, j) == divmod(k, n)
        assert w == np.float32(t.attention.weights[0][int(i), int(j)])
        assert points["x"][k] == f"#{int(j)} {t.tokens[int(j)]}"
        assert points["y"][k] == f"#{int(i)} {t.tokens[int(i)]}"
    assert fig["layout"]["clickmode"] == "event+select"


def test_above_64_tokens_cells_are_picked_with_the_boxes():
    at = lab({"n": "65"})
    fig = figures(at)["lab_weights"]
    assert [d["type"] for d in fig["data"]] == ["heatmap"]
    assert z(fig).shape == (65, 65)
    assert "With more than 64 tokens, pick the cell with the boxes below." in texts(at.caption)
    assert len(at.selectbox(key="cell_q").options) == 65


def plain_jacobian(w):  # [n] -> [n, n], ∂w_a/∂s_b = w_a (δ_ab − w_b) by plain loops
    return [[w[a] * ((a == b) - w[b]) for b in range(len(w))] for a in range(len(w))]


def test_the_gradient_of_a_row_with_and_without_scaling():
    on, off = (run(Settings()).attention.weights[0][2], run(Settings(scaling=False)).attention.weights[0][2])
    figs = figures(lab({"cell": "2,1"}))
    for name, w in (("with ÷√d_k", on), ("without scaling", off)):
        fig = figs[f"jac_{name}"]
        close(z(fig), softmax_jacobian(w), rtol=1e-6, atol=1e-30)
        np.testing.assert_allclose(softmax_jacobian(w), plain_jacobian(w), atol=1e-15)
        assert title(fig) == f"{name}: ‖J‖ = {float(jacobian_norm(w)):.3g}"
        assert float(jacobian_norm(w)) == pytest.approx(np.linalg.norm(plain_jacobian(w)), rel=1e-9)
        assert ticktext(fig) == list(run(Settings()).tokens)


def test_a_saturated_row_has_almost_no_gradient_without_scaling():
    s = Settings(d_k=256, scaling=False)
    stats = row_stats(run(s).attention.weights[0])
    r = int(np.flatnonzero(stats.saturated)[0])
    on, off = (run(s.replace(scaling=flag)).attention.weights[0][r] for flag in (True, False))
    figs = figures(lab({**SATURATED_UNSCALED, "cell": f"{r},0"}))
    norms = {}
    for name, w in (("with ÷√d_k", on), ("without scaling", off)):
        close(z(figs[f"jac_{name}"]), softmax_jacobian(w), rtol=1e-6, atol=1e-30)
        norms[name] = float(re.search(r"‖J‖ = (\S+)$", title(figs[f"jac_{name}"])).group(1))
        assert norms[name] == pytest.approx(float(jacobian_norm(w)), rel=5e-3)
    assert norms["without scaling"] < norms["with ÷√d_k"]


SPREAD_COLUMNS = (("x", "std"), ("x2", "largest"), ("x3", "entropy"))


def test_the_spread_chart_draws_the_sweep_and_marks_the_current_d_k():
    at = lab()
    fig = figures(at)["spread"]
    lines = {(d["name"], d["xaxis"]): d for d in fig["data"]}
    assert len(lines) == len(fig["data"]) == 13
    for init in ("normal", "uniform"):
        table = spread(init)
        for axis, measure in SPREAD_COLUMNS:
            for label, prefix in (("unscaled", "raw"), ("÷√d_k", "scaled")):
                line = lines[(f"{label} ({init} init)", axis)]
                np.testing.assert_array_equal(array(line["x"]), [2**p for p in range(11)])
                np.testing.assert_allclose(
                    array(line["y"]), getattr(table, f"{prefix}_{measure}"), rtol=1e-12
                )
    reference = lines[("√d_k", "x")]
    np.testing.assert_allclose(
        array(reference["y"]), np.sqrt(array(reference["x"]).astype(float)), rtol=1e-12
    )
    assert [(s["x0"], s["x1"], s["xref"]) for s in fig["layout"]["shapes"]] == [
        (16, 16, "x"),
        (16, 16, "x2"),
        (16, 16, "x3"),
    ]
    at.number_input(key="d_k").set_value(64).run()
    moved = figures(at)["spread"]
    assert {(s["x0"], s["x1"]) for s in moved["layout"]["shapes"]} == {(64, 64)}
    assert "current d_k = 64" in title(moved)
    as_text = functools.partial(json.dumps, default=lambda a: a.tolist())  # arrays compared as numbers
    assert as_text(moved["data"]) == as_text(fig["data"])  # the sweep itself does not depend on the settings
