"""The figure layer on its own: token labels, the row-max outline, shape checks and colour ranges."""

import numpy as np
import pytest

from charts import figures as fg
from charts.grids import heatmap_row


def test_repeated_words_keep_their_own_row_and_labels_are_escaped():
    tokens = ["the", "<b>cat</b>", "the"]
    fig = fg.heatmap(np.zeros((3, 3)), tokens, tokens, "t")
    assert list(fig.data[0].y) == ["#0 the", "#1 &lt;b&gt;cat&lt;/b&gt;", "#2 the"]
    assert list(fig.layout.xaxis.ticktext) == ["the", "&lt;b&gt;cat&lt;/b&gt;", "the"]


@pytest.mark.parametrize(("n", "step"), [(1, 1), (40, 1), (41, 2), (80, 2), (81, 3), (512, 13)])
def test_above_forty_tokens_every_kth_label_is_shown(n, step):
    tokens = [f"w{i}" for i in range(n)]
    axis = fg.axis(tokens, "key")
    assert len(axis["tickvals"]) <= fg.LABEL_LIMIT
    assert axis["ticktext"] == tokens[::step]
    assert ("one label in" in axis["title"]["text"]) == (step > 1)


def test_a_matrix_that_does_not_fit_its_labels_is_a_clear_error():
    with pytest.raises(ValueError, match=r"\(2, 3\) does not fit 3 rows × 2 columns"):
        fg.heatmap(np.zeros((2, 3)), ["a", "b", "c"], ["x", "y"], "Scores")


def outlined(weights):  # [rows, cols] -> set of (row, col) the outline marks
    rows = [f"r{i}" for i in range(len(weights))]
    cols = [f"c{j}" for j in range(len(weights[0]))]
    fig = fg.mark_row_max(fg.heatmap(weights, rows, cols, "w", kind="weights"), weights, rows, cols)
    marks = fig.data[-1]
    return {(int(y.split()[0][1:]), int(x.split()[0][1:])) for x, y in zip(marks.x, marks.y, strict=True)}


def test_the_outline_marks_each_rows_single_largest_weight():
    w = np.array([[0.1, 0.7, 0.2], [0.5, 0.25, 0.25], [0.2, 0.2, 0.6]])
    assert outlined(w) == {(0, 1), (1, 0), (2, 2)}


def test_tied_and_empty_rows_get_no_outline():
    w = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 0.0], [0.1, 0.2, 0.7], [0.4, 0.4 + 1e-15, 0.2]])
    assert outlined(w) == {(2, 2)}  # a tie up to rounding is still a tie


def test_symmetric_range_is_the_largest_finite_magnitude_of_all_matrices():
    assert fg.symmetric_range(np.array([[1.0, -3.0]]), np.array([2.5, np.nan, -np.inf])) == 3.0
    assert fg.symmetric_range(np.zeros(4)) == 1.0  # all zero: a range of 1, never 0
    assert fg.symmetric_range(np.array([np.nan])) == 1.0


def test_colour_settings_per_kind():
    z = np.array([[-2.0, 1.0], [0.5, np.nan]])
    assert fg.colour("signed", z) == {"colorscale": fg.SIGNED, "zmin": -2.0, "zmax": 2.0}
    assert fg.colour("signed", z, zrange=5.0)["zmax"] == 5.0
    assert fg.colour("weights", z) == {"colorscale": fg.WEIGHTS, "zmin": 0.0, "zmax": 1.0}
    assert fg.colour("mask", z)["showscale"] is False


def test_matrices_side_by_side_share_one_colour_range():
    mats = [np.array([[1.0, -4.0]]), np.array([[2.0, 0.5]])]
    fig = heatmap_row(mats, ["a"], ["x", "y"], "t", ("A", "B"))
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (-4.0, 4.0)
    assert [t.coloraxis for t in fig.data] == ["coloraxis", "coloraxis"]


def test_masks_travel_as_bytes_and_blank_cells_as_nan():
    fig = fg.heatmap(np.array([[True, False]]), ["a"], ["x", "y"], "m", kind="mask")
    assert fig.data[0].z.dtype == np.uint8
    blank = fg.blank(np.array([[0.3, 0.7]]), np.array([[True, False]]))
    assert blank[0, 0] == 0.3 and np.isnan(blank[0, 1])
