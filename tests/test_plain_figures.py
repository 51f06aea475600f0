"""The maps a rerun draws are plain figure dicts: no plotly.graph_objects figure is built for them.

Building and validating a `go.Figure` costs 2-20 ms a map, half of a rerun's script; the dicts are
validated here instead, once, against the same schema (and every figure a page test reads is
validated too, in tests/component_data.py).
"""

import numpy as np
import pytest
from plotly.basedatatypes import BaseFigure

from charts import figures as fg
from charts import grids, lines, model, weights
from tests.apptest_helpers import page, sentence_box
from tests.component_data import checked

TOKENS = ["The", "<b>cat</b>", "sat", "the", "😀"]
W = np.full((5, 5), 0.2)
MANY = [f"w{i}" for i in range(48)]  # more than SHAPES_LIMIT: outlines become a layer of marks
PAD = np.arange(5) > 3


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
    ],
)
def test_each_map_is_a_plain_dict_that_plotly_accepts(build):
    built = build()
    assert type(built) is dict and set(built) == {"data", "layout"}
    assert all(type(trace) is dict for trace in built["data"])
    checked(built)  # raises ValueError on any property or value Plotly does not know


def test_a_rerun_of_the_first_screen_builds_no_graph_objects_figure(monkeypatch):
    at = page()
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
