"""The maps a rerun draws are plain figure dicts: no plotly.graph_objects figure is built for them.

Building and validating a `go.Figure` costs 2-20 ms a map, half of a rerun's script; the dicts are
validated here instead, once, against the same schema (and every figure a page test reads is
validated too, in tests/component_data.py).
"""

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from plotly.basedatatypes import BaseFigure
from plotly.subplots import make_subplots

from attention.scaling import score_spread
from charts import figures as fg
from charts import grids, lab, lines, model, weights
from tests.apptest_helpers import page, sentence_box
from tests.component_data import checked

TOKENS = ["The", "<b>cat</b>", "sat", "the", "😀"]
W = np.full((5, 5), 0.2)
MANY = [f"w{i}" for i in range(48)]  # more than SHAPES_LIMIT: outlines become a layer of marks
PAD = np.arange(5) > 3
SWEEP = score_spread(n_seeds=2, weight_init="uniform")
PRODUCTS = np.array([0.5, -2.0, 0.1, 1.5, -0.25])


@pytest.mark.parametrize(
    "build",
    [
        lambda: fg.heatmap(W, TOKENS, TOKENS, "Scores"),
        lambda: fg.heatmap(W > 0.1, TOKENS, TOKENS, "Mask", kind="mask"),
        lambda: weights.weights_map(
            W, TOKENS, "Weights", moved=W > 0.1, is_pad=np.arange(5) > 3, focus_row=1
        ),
        lambda: weights.weights_map(np.full((48, 48), 1 / 48), [f"w{i}" for i in range(48)], "W", moved=None),
        lambda: grids.heatmap_row([W, -W], TOKENS, TOKENS, "Q and K", ("Q", "K")),
        lambda: grids.concat_map(np.ones((5, 8)), TOKENS, 4, "Concatenated"),
        lambda: grids.w_o_map(np.ones((8, 5)), 4, fg.dims(5), "W_O"),
        lambda: grids.difference_maps({"d": W - 0.2}, TOKENS, {"d": "D"}, outlined=(1,))["d"],
        lambda: lines.line_view(np.stack([W, W]), TOKENS, "Lines", names=["a", "b"]),
        lambda: model.opened_map(W, TOKENS, "Weights, layer 0 head 0", "weights", "weight", cell=(1, 2)),
        lambda: fg.row_window(fg.heatmap(np.ones((48, 48)), MANY, MANY, "Scores", fit=True), MANY, 10, 24),
        lambda: lab.spread_chart([SWEEP, SWEEP], 16),
        lambda: lab.products_chart(PRODUCTS, [1, 3]),
        lambda: fg.bars(W[0], TOKENS, "Bars", "weight"),
    ],
)
def test_each_map_is_a_plain_dict_that_plotly_accepts(build):
    built = build()
    assert type(built) is dict and set(built) == {"data", "layout"}
    assert all(type(trace) is dict for trace in built["data"])
    checked(built)  # raises ValueError on any property or value Plotly does not know


@pytest.mark.parametrize("tab", [None, "Scaling lab", "Letters to numbers"])
def test_a_rerun_builds_no_graph_objects_figure(monkeypatch, tab):
    """The first screen, and the tabs that draw a sweep, a cell's products or bars on every change."""
    at = page(tab=tab)
    built = []
    init = BaseFigure.__init__

    def counting(self, *args, **kwargs):
        built.append(type(self).__name__)
        init(self, *args, **kwargs)

    monkeypatch.setattr(BaseFigure, "__init__", counting)
    at.number_input(key="d_k").set_value(17).run()
    sentence_box(at).set_value("the cat sat on the mat because it was warm").run()
    assert not at.exception
    assert built == []


def test_a_fitted_map_sends_every_label_and_says_so_for_the_browser():
    fig = fg.heatmap(np.ones((30, 30)), MANY[:30], MANY[:30], "Scores", fit=True)
    assert fig["layout"]["meta"] == {"fit": True}
    for axis in ("xaxis", "yaxis"):
        assert fig["layout"][axis]["ticktext"] == MANY[:30] and fig["layout"][axis]["title"]["text"] in {
            "key",
            "query",
        }
    thinned = fg.heatmap(np.ones((30, 30)), MANY[:30], MANY[:30], "Scores")  # thinned for an assumed width
    assert "meta" not in thinned["layout"] and len(thinned["layout"]["xaxis"]["ticktext"]) < 30
    big = weights.weights_map(np.full((30, 30), 1 / 30), MANY[:30], "W")
    assert big["layout"]["meta"] == {"fit": True} and big["data"][0]["texttemplate"] == "%{text:.2f}"


def test_a_row_window_shows_size_rows_from_first_each_labelled_and_keeps_every_row():
    fig = fg.row_window(fg.heatmap(np.ones((48, 48)), MANY, MANY, "Scores"), MANY, 10, 24)
    yaxis = fig["layout"]["yaxis"]
    assert yaxis["range"] == [33.5, 9.5] and yaxis["autorange"] is False
    assert yaxis["ticktext"] == MANY and yaxis["tickvals"] == fg.categories(MANY)
    assert yaxis["title"]["text"] == "query"  # "(1 in 2 labelled)" was for all 48 rows
    assert np.asarray(fig["data"][0]["z"]).shape == (48, 48)


# The same figures as they were built step by step through plotly.graph_objects, before they became
# plain dicts: each dict must make the very same figure.


def spread_reference(tables, d_k):
    fig = make_subplots(1, 3, subplot_titles=lab.SPREAD_TITLES, horizontal_spacing=0.07)
    for table, dash in zip(tables, ("solid", "dot"), strict=False):
        for col, (raw, scaled) in enumerate(
            [
                (table.raw_std, table.scaled_std),
                (table.raw_largest, table.scaled_largest),
                (table.raw_entropy, table.scaled_entropy),
            ],
            start=1,
        ):
            for name, values, colour in (("unscaled", raw, lab.RAW), ("÷√d_k", scaled, lab.SCALED)):
                line = {"color": colour, "dash": dash}
                fig.add_trace(
                    go.Scatter(
                        x=table.d_k, y=values, name=f"{name} ({table.weight_init} init)",
                        mode="lines+markers", line=line, legendgroup=f"{name}{dash}", showlegend=col == 1,
                        hovertemplate="d_k %{x}<br>%{y:.4g}<extra>" + name + "</extra>",
                    ),
                    row=1,
                    col=col,
                )  # fmt: skip
    d = tables[0].d_k
    line = {"color": lab.REFERENCE, "width": 1}
    fig.add_trace(go.Scatter(x=d, y=np.sqrt(d), name="√d_k", mode="lines", line=line, hoverinfo="skip"), 1, 1)
    for col in (1, 2, 3):
        fig.add_vline(x=d_k, line={"color": "#212529", "dash": "dash", "width": 1}, row=1, col=col)
    fig.update_xaxes(type="log", title={"text": "d_k (log scale)"}, dtick=np.log10(2) * 2)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    fig.update_layout(legend={"orientation": "h", "y": -0.25})
    fig.update_annotations(font={"size": 13})
    return fg.style(fig, f"Sweep over d_k, {tables[0].n_seeds} seeds (dashed: current d_k = {d_k})", 430)


def products_reference(products, top):
    colour = np.full(products.size, "#adb5bd", dtype=object)
    colour[np.asarray(top, dtype=int)] = np.where(products[top] >= 0, "#c92a2a", "#1864ab")
    bar = go.Bar(
        x=fg.dims(products.size),
        y=products,
        marker_color=list(colour),
        hovertemplate="%{x}: q·k product %{y:.6g}<extra></extra>",
    )
    fig = go.Figure(bar)
    fig.update_xaxes(type="category", title={"text": "dimension m"}, automargin=True)
    fig.update_yaxes(title={"text": "q_i[m] · k_j[m]"}, zeroline=True)
    return fg.style(fig, "The products that add up to the score (largest in colour)", 280)


def bars_reference(values, labels, title, value="value", height=260):
    bar = go.Bar(
        x=fg.categories(labels),
        y=np.asarray(values, dtype=np.float64),
        marker_color="#3b5bdb",
        hovertemplate=f"%{{x}}<br>{value} %{{y:.6g}}<extra></extra>",
    )
    fig = go.Figure(bar)
    fig.update_xaxes(fg.axis(labels, ""))
    fig.update_yaxes(title={"text": value})
    return fg.style(fig, title, height)


def as_drawn(fig):  # go.Figure | dict -> the figure's JSON as Plotly sends it, parsed
    return json.loads(pio.to_json(go.Figure(fig), validate=True))


@pytest.mark.parametrize(
    ("plain", "reference"),
    [
        (lambda: lab.spread_chart([SWEEP, SWEEP], 16), lambda: spread_reference([SWEEP, SWEEP], 16)),
        (lambda: lab.spread_chart([SWEEP], 512), lambda: spread_reference([SWEEP], 512)),
        (lambda: lab.products_chart(PRODUCTS, [1, 3]), lambda: products_reference(PRODUCTS, [1, 3])),
        (
            lambda: fg.bars(W[0], TOKENS, "Bars", "weight", 240),
            lambda: bars_reference(W[0], TOKENS, "Bars", "weight", 240),
        ),
    ],
)
def test_a_figure_built_as_a_plain_dict_is_the_figure_built_step_by_step(plain, reference):
    built = plain()
    assert type(built) is dict
    assert as_drawn(built) == as_drawn(reference())
