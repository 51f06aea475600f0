"""The line view: one line (a layout shape) per pair above the threshold, widths proportional to weights,
safe labels, and token ends that say which end of a line they are."""

import numpy as np
import pytest

from charts.lines import COLOURS, THRESHOLD, WIDTH, line_view
from tests.component_data import checked


def softmax_rows(rng, shape):  # -> rows that sum to 1, a few large weights and many small ones
    e = np.exp(3 * rng.standard_normal(shape))
    return e / e.sum(axis=-1, keepdims=True)


def lines(fig):  # go.Figure -> list of (head, query, key, shape), one per line drawn
    found = []
    for shape in fig.layout.shapes:
        h, q, k = (int(part[1:]) for part in shape.name.split())
        found.append((h, q, k, shape))
    return found


def test_every_pair_above_the_threshold_draws_one_line_and_no_other():
    w = softmax_rows(np.random.default_rng(1), (7, 7))
    fig = checked(line_view(w, list("abcdefg"), "one head"))
    drawn = {(q, k) for _, q, k, _ in lines(fig)}
    expected = {(q, k) for q in range(7) for k in range(7) if w[q, k] >= THRESHOLD}
    assert drawn == expected and len(lines(fig)) == len(expected)
    assert 0 < len(expected) < 49  # the threshold left some out


def test_a_lines_ends_are_its_query_and_key_and_its_width_is_proportional_to_the_weight():
    w = softmax_rows(np.random.default_rng(2), (2, 5, 5))
    fig = checked(line_view(w, ["the", "cat", "sat", "on", "mat"], "two heads", names=["L0 H1", "L3 H2"]))
    for h, q, k, shape in lines(fig):
        assert shape.line.width == round(WIDTH * w[h, q, k], 2)  # to a hundredth of a pixel
        assert abs(shape.line.width - WIDTH * w[h, q, k]) <= 0.005
        assert abs(shape.opacity - min(1, 0.25 + w[h, q, k])) <= 0.0005  # to a thousandth
        assert (shape.x0, shape.y0, shape.x1, shape.y1) == (0, q, 1, k)
        assert (shape.xref, shape.yref, shape.type) == ("x", "y", "line")
        assert shape.line.color == COLOURS[h]
    assert {h for h, *_ in lines(fig)} == {0, 1}
    heavier = sorted(lines(fig), key=lambda line: w[line[0], line[1], line[2]])
    assert heavier[-1][3].opacity >= heavier[0][3].opacity
    assert (
        len(fig.data) == 2 + 2
    )  # the two columns of token ends and the two heads' legend: no trace per line


def test_masked_cells_draw_no_line_and_a_uniform_row_draws_all():
    w = np.full((4, 4), np.nan)
    w[0] = 0.25
    fig = checked(line_view(w, ["a", "b", "c", "d"], "masked"))
    assert {(q, k) for _, q, k, _ in lines(fig)} == {(0, k) for k in range(4)}


def test_the_token_ends_say_their_side_and_the_legend_has_one_entry_per_head():
    w = softmax_rows(np.random.default_rng(3), (3, 4, 4))
    fig = checked(line_view(w, ["a", "b", "a", "c"], "t", names=["x", "y", "z"]))
    ends = [t for t in fig.data if t.meta and "side" in t.meta]
    assert [(t.meta["side"], list(t.x), list(t.y)) for t in ends] == [
        ("q", [0] * 4, [0, 1, 2, 3]),
        ("k", [1] * 4, [0, 1, 2, 3]),
    ]
    assert [list(t.customdata) for t in ends] == [[0, 1, 2, 3]] * 2 and all(t.text is None for t in ends)
    assert [t.hovertemplate.split(" ")[0] for t in ends] == ["query", "key"]  # the axes beside name the words
    assert all("its lines only" in t.hovertemplate for t in ends)
    heads = [t for t in fig.data if t.legend == "legend2"]
    assert [(t.name, t.line.color) for t in heads] == list(zip("xyz", COLOURS, strict=False))
    assert [t for t in fig.data if t.showlegend] == heads


def test_tokens_and_names_are_shown_literally():
    hostile = ['<a href="https://x.test">go</a>', "<b>bold</b>", "&amp;"]
    w = np.eye(3)
    fig = checked(line_view(w, hostile, "hostile", names=["<i>head</i>"]))
    shown = [*fig.layout.yaxis.ticktext, *fig.layout.yaxis2.ticktext]
    escaped = ['&lt;a href="https://x.test"&gt;go&lt;/a&gt;', "&lt;b&gt;bold&lt;/b&gt;", "&amp;amp;"]
    assert shown == escaped * 2
    text = fig.to_json()
    assert "<b>" not in text and "<a " not in text and "<i>" not in text
    assert [t.name for t in fig.data if t.legend == "legend2"] == ["&lt;i&gt;head&lt;/i&gt;"]


def test_token_axes_keep_matrix_order_and_every_row():
    tokens = ["the", "cat", "the", "mat"]
    fig = checked(line_view(np.full((4, 4), 0.25), tokens, "t"))
    for axis in (fig.layout.yaxis, fig.layout.yaxis2):
        assert list(axis.tickvals) == [0, 1, 2, 3] and list(axis.ticktext) == tokens
        assert list(axis.range) == [3.5, -0.5]  # the first token on top


@pytest.mark.parametrize(
    "weights, tokens, names",
    [
        (np.ones((3, 3)), ["a", "b"], None),
        (np.ones((5, 2, 2)), ["a", "b"], None),
        (np.ones((2, 2, 2)), ["a", "b"], ["one"]),
        (np.ones((2, 3)), ["a", "b"], None),
    ],
)
def test_shapes_that_do_not_fit_are_refused(weights, tokens, names):
    with pytest.raises(ValueError):
        line_view(weights, tokens, "t", names=names)
