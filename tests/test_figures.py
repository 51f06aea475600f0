"""The figure layer on its own: token labels, the row-max outline, shape checks and colour ranges."""

import numpy as np
import plotly.graph_objects as go
import pytest

from charts import figures as fg
from charts import grids, inside
from charts.grids import heatmap_row
from tests.component_data import checked


def test_repeated_words_keep_their_own_row_and_labels_are_escaped():
    tokens = ["the", "<b>cat</b>", "the"]
    fig = checked(fg.heatmap(np.zeros((3, 3)), tokens, tokens, "t"))
    assert list(fig.data[0].y) == ["#0 the", "#1 &lt;b&gt;cat&lt;/b&gt;", "#2 the"]
    assert list(fig.layout.xaxis.ticktext) == ["the", "&lt;b&gt;cat&lt;/b&gt;", "the"]


@pytest.mark.parametrize("n", [1, 10, 40, 41, 100, 512])
@pytest.mark.parametrize(
    ("span", "pitch"), [(150, fg.LINE), (180, fg.SLANT), (600, fg.LINE), (900, fg.SLANT)]
)
def test_labels_are_thinned_to_fit_their_pitch_and_the_label_limit(n, span, pitch):
    tokens = [f"w{i}" for i in range(n)]
    axis = fg.axis(tokens, "key", span, pitch)
    step = fg.label_step(n, span, pitch)
    assert axis["ticktext"] == tokens[::step] and len(axis["tickvals"]) <= fg.LABEL_LIMIT
    assert step == 1 or step * span / n >= pitch  # neighbours at least `pitch` px apart
    assert step == 1 or (step - 1) * span / n < pitch or -(-n // (step - 1)) > fg.LABEL_LIMIT  # k is smallest
    assert (f"(1 in {step} labelled)" in axis["title"]["text"]) == (step > 1)


def test_the_narrowest_map_keeps_its_labels_apart_and_wider_maps_keep_more():
    tokens = [f"w{i}" for i in range(41)]
    narrow, wide = (
        checked(fg.heatmap(np.zeros((41, 41)), tokens, tokens, "t")),
        fg.axis(tokens, "key", 700, fg.LINE),
    )
    room = fg.margin(tokens, tokens)  # NARROW is the map's width without its colour bar (BAR_ROOM)
    shown = len(narrow.layout.xaxis.tickvals)
    assert (fg.NARROW - room["l"] - room["r"]) / 41 * (41 / shown) >= fg.LINE - 1e-9  # about 15 px a label
    assert shown < len(wide["tickvals"]) and narrow.layout.xaxis.tickangle == fg.UPRIGHT
    assert len(narrow.layout.yaxis.tickvals) == 21  # 720 px tall: every other row
    seven = checked(fg.heatmap(np.zeros((7, 7)), ["Melbourne"] * 7, ["Melbourne"] * 7, "t"))
    assert len(seven.layout.xaxis.tickvals) == 7  # the default sentence keeps every label


def test_labels_too_long_to_size_the_margins_for_are_thinned_by_the_limit_alone():
    long = ["x" * (fg.LONG_LABEL + 1)] * 41
    axis = fg.axis(long, "key", span=100, pitch=fg.LINE)
    assert len(axis["tickvals"]) == 21 and axis["automargin"]  # every other: LABEL_LIMIT, not 100 px
    assert len(fg.axis(["x" * fg.LONG_LABEL] * 41, "key", span=100, pitch=fg.LINE)["tickvals"]) == 7


def test_the_default_axis_keeps_eleven_words_for_a_third_of_the_page():
    words = ["animal", "didn't", "because", "street"] * 3
    assert fg.axis(words[:11], "key")["ticktext"] == words[:11]
    assert len(fg.axis(words[:11] * 2, "key")["ticktext"]) < 22


def test_colour_bars_read_in_plain_decimals():
    fig = checked(fg.heatmap(np.array([[1e-16, -3e-16]]), ["a"], ["x", "y"], "t"))
    assert fig.data[0].colorbar.tickformat == fg.TICKFORMAT == "~g"  # 1e-16, 0.5, 2000: no "f", "µ", "e+3"
    row = checked(heatmap_row([np.ones((1, 2))], ["a"], ["x", "y"], "t", ("A",)))
    assert row.layout.coloraxis.colorbar.tickformat == fg.TICKFORMAT
    grid = checked(grids.head_grid(np.ones((2, 3, 3)) / 3, ["a", "b", "c"]))
    assert grid.layout.coloraxis.colorbar.tickformat == fg.TICKFORMAT


def test_the_head_grid_labels_the_first_column_and_the_maps_with_none_below():
    tokens = [f"w{i}" for i in range(10)]
    fig = checked(
        grids.head_grid(np.full((6, 10, 10), 0.1), tokens, columns=4)
    )  # 4 maps, then 2 under the first two
    x = {k: fig.layout[f"xaxis{k if k > 1 else ''}"] for k in range(1, 7)}
    y = {k: fig.layout[f"yaxis{k if k > 1 else ''}"] for k in range(1, 7)}
    assert [k for k in x if x[k].showticklabels] == [3, 4, 5, 6]  # heads 2..5 have no map below
    assert [k for k in y if y[k].showticklabels] == [1, 5]  # the first column
    assert list(x[5].ticktext) == tokens and list(y[1].ticktext) == tokens
    assert [a.text for a in fig.layout.annotations] == [f"head {h}" for h in range(6)]
    words = [f"w{i}" for i in range(48)]
    many = checked(grids.head_grid(np.full((4, 48, 48), 1 / 48), words))
    assert many.layout.meta["fit"]  # labels sent up to LABEL_LIMIT, thinned in the browser for the size drawn
    assert len(many.layout.xaxis.tickvals) == len(many.layout.yaxis.ticktext) == 24  # every 2nd: LABEL_LIMIT


def test_the_head_grid_is_laid_out_as_make_subplots_lays_it_out():
    from plotly.subplots import make_subplots

    for n_heads, columns in [(6, 4), (4, 4), (2, 4), (8, 4), (3, 2)]:
        fig = checked(grids.head_grid(np.full((n_heads, 5, 5), 0.2), list("abcde"), columns=columns))
        rows, cols = -(-n_heads // columns), min(n_heads, columns)
        plots = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
        spacing = 40 / plots if rows > 1 else 0.0
        ref = make_subplots(rows, cols, horizontal_spacing=0.03, vertical_spacing=spacing)
        for h in range(n_heads):
            r, c = h // columns + 1, h % columns + 1
            want = ref.get_subplot(r, c)
            name = "" if h == 0 else h + 1
            assert fig.layout[f"xaxis{name}"].domain == pytest.approx(want.xaxis.domain, abs=1e-9)
            assert fig.layout[f"yaxis{name}"].domain == pytest.approx(want.yaxis.domain, abs=0.002)
            assert (
                fig.data[h].xaxis == ("x" if h == 0 else f"x{h + 1}")
                and fig.layout.annotations[h].text == f"head {h}"
            )


def test_head_ticks_name_head_and_dimension_and_never_crowd_a_boundary():
    positions, text = grids.head_ticks(4, 8, span=1000)
    assert positions == list(range(32)) and text[9] == "h1 d1"
    assert len(grids.head_ticks(4, 16, span=5000)[0]) == 32  # at most LABEL_LIMIT labels: every other
    for n_heads, d_v, span in [(4, 16, 175), (8, 128, 175), (8, 512, 175), (3, 5, 60), (2, 7, 100)]:
        positions, text = grids.head_ticks(n_heads, d_v, span)
        gaps = np.diff(positions) * span / (n_heads * d_v)
        assert positions[0] == 0 and (gaps >= fg.LINE - 1e-9).all(), (n_heads, d_v)
        assert all(t == f"h{p // d_v} d{p % d_v}" for p, t in zip(positions, text, strict=True))
    assert grids.head_ticks(8, 128, 175)[1][:2] == ["h0 d0", "h1 d0"]  # one head a label when crowded


def test_the_concatenation_draws_a_line_between_heads_and_names_columns_by_head():
    tokens = ["a", "b", "c"]
    fig = checked(grids.concat_map(np.arange(24.0).reshape(3, 8), tokens, 4, "Concatenated heads: 3 × 8"))
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [s.x0 for s in lines] == [1.5, 3.5, 5.5] and all(s.yref == "paper" for s in lines)
    assert list(fig.data[0].x)[:3] == ["#0 h0 d0", "#1 h0 d1", "#2 h1 d0"]
    assert list(fig.layout.xaxis.ticktext)[0] == "h0 d0"
    w_o = checked(grids.w_o_map(np.ones((8, 5)), 4, fg.dims(5), "W_O: 8 × 5"))
    assert [s.y0 for s in w_o.layout.shapes] == [1.5, 3.5, 5.5] and w_o.layout.shapes[0].xref == "paper"


def test_difference_maps_are_white_at_zero_and_outline_the_changed_word():
    maps = {"d": np.array([[0.0, 1.0, 0.0], [-2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])}
    fig = checked(grids.difference_maps(maps, ["a", "b→x", "c"], {"d": "D"}, outlined=(1,))["d"])
    scale = dict(fig.data[0].colorscale)
    assert scale[0.5] == "#ffffff" and fig.data[0].zmin == -fig.data[0].zmax == -2.0
    rects = {(s.x0, s.x1, s.y0, s.y1) for s in fig.layout.shapes}
    assert rects == {(-0.5, 2.5, 0.5, 1.5), (0.5, 1.5, -0.5, 2.5)}  # row 1 and column 1, whole
    plain = checked(grids.difference_maps(maps, ["a", "b", "c"], {"d": "D"})["d"])
    assert not plain.layout.shapes


def test_a_matrix_that_does_not_fit_its_labels_is_a_clear_error():
    with pytest.raises(ValueError, match=r"\(2, 3\) does not fit 3 rows × 2 columns"):
        fg.heatmap(np.zeros((2, 3)), ["a", "b", "c"], ["x", "y"], "Scores")


def test_symmetric_range_is_the_largest_finite_magnitude_of_all_matrices_rounded_up():
    assert fg.symmetric_range(np.array([[1.0, -3.0]]), np.array([2.5, np.nan, -np.inf])) == 3.0
    assert fg.symmetric_range(np.array([[1.0, -3.1]]), np.array([2.5])) == 4.0
    assert fg.symmetric_range(np.zeros(4)) == 1.0  # all zero: a range of 1, never 0
    assert fg.symmetric_range(np.array([np.nan])) == 1.0


@pytest.mark.parametrize("x", [1e-9, 0.0123, 0.3, 0.31, 0.99, 1.0, 1.01, 2.6, 7.9, 8.01, 9.99, 12345.0])
def test_a_range_rounds_up_to_a_round_number_at_most_one_and_a_half_times_it(x):
    r = fg.round_up(x)
    assert x <= r <= 1.5 * x
    assert float(f"{r:.2g}") == r  # two significant digits at most: 0.3, never 0.30000000000000004


def test_the_signed_scale_reaches_plotly_js_as_the_list_plotly_py_reads_as_rdbu_r():
    read_by_plotly_py = go.Heatmap(colorscale="RdBu_r").colorscale
    assert [tuple(stop) for stop in fg.SIGNED] == list(read_by_plotly_py)
    with pytest.raises(AssertionError, match="RdBu_r"):
        checked({"data": [{"type": "heatmap", "z": [[1]], "colorscale": "RdBu_r"}]})


def test_colour_settings_per_kind():
    z = np.array([[-2.0, 1.0], [0.5, np.nan]])
    assert fg.colour("signed", z) == {"colorscale": fg.SIGNED, "zmin": -2.0, "zmax": 2.0}
    assert fg.colour("signed", z, zrange=5.0)["zmax"] == 5.0
    assert fg.colour("weights", z) == {"colorscale": fg.WEIGHTS, "zmin": 0.0, "zmax": 1.0}
    assert fg.colour("mask", z)["showscale"] is False


def test_matrices_side_by_side_share_one_colour_range():
    mats = [np.array([[1.0, -4.0]]), np.array([[2.0, 0.5]])]
    fig = checked(heatmap_row(mats, ["a"], ["x", "y"], "t", ("A", "B")))
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (-4.0, 4.0)  # 4 is round already
    assert [t.coloraxis for t in fig.data] == ["coloraxis", "coloraxis"]


@pytest.mark.parametrize("n, span", [(16, 16 * fg.LINE), (10, 120), (33, 200), (12, 5000)])
def test_a_longer_ruler_keeps_the_labels_it_showed_or_every_2_to_the_j_th(n, span):
    shown = fg.axis(fg.dims(n), "", span, fg.LINE)["ticktext"]
    for longer in (n + 1, 2 * n, 4 * n + 3):
        kept = [t for t in fg.axis(fg.dims(longer), "", span, fg.LINE)["ticktext"] if int(t[1:]) < n]
        assert kept in [shown[::k] for k in (1, 2, 4, 8, 16)]


def test_a_figure_fitted_twice_keeps_its_rulers():
    fig = fg.heatmap(np.eye(3), ["a", "b", "c"], fg.dims(3), "t", fit=True)
    assert fg.fitted(fig)["layout"]["meta"] == {"fit": True, "rulers": ["x"]}  # as `inside.numbers` does


@pytest.mark.parametrize("n, span", [(100, fg.WIDE), (64, 100), (12, 5000), (33, 200)])
def test_a_ruler_of_dimensions_labels_every_power_of_two_th(n, span):
    """d0, d4, d8, ..: as many labels as fit (`label_step`), thinned to a power of two, so a longer
    ruler keeps every label shown before, or every 2nd, 4th, .. one."""
    ruler = fg.dims(n)
    assert isinstance(ruler, fg.Ruler) and ruler == [f"d{i}" for i in range(n)]
    least, step = fg.label_step(n, span, fg.LINE), fg.ruler_step(fg.label_step(n, span, fg.LINE))
    assert fg.axis(ruler, "", span, fg.LINE)["ticktext"] == ruler[::step]
    assert step in (1, 2, 4, 8, 16) and least <= step < 2 * least
    plain = fg.axis(list(ruler), "", span, fg.LINE)["ticktext"]  # labels that are not a ruler: every k-th
    assert plain == ruler[::least]


def test_fitted_figures_name_the_axes_that_carry_a_ruler():
    """The browser keeps a ruler's labels at one size (static/live_chart.js rulerFit), so a d_k step
    draws Q, K and V in place; token axes keep the largest size that fits."""
    rng = np.random.default_rng(0)
    qkv = heatmap_row([rng.normal(size=(3, 8))] * 3, ["a", "b", "c"], fg.dims(8), "t", ("Q", "K", "V"))
    assert qkv["layout"]["meta"] == {"fit": True, "rulers": ["x", "x2", "x3"]}
    w = heatmap_row([rng.normal(size=(16, 8))] * 3, fg.dims(16), fg.dims(8), "t", ("W_Q", "W_K", "W_V"))
    assert sorted(w["layout"]["meta"]["rulers"]) == ["x", "x2", "x3", "y", "y2", "y3"]
    weights = fg.heatmap(np.eye(3), ["a", "b", "c"], ["a", "b", "c"], "t", kind="weights", fit=True)
    assert weights["layout"]["meta"] == {"fit": True}
    x = fg.heatmap(np.eye(3), ["a", "b", "c"], fg.dims(3), "t", fit=True)
    assert x["layout"]["meta"] == {"fit": True, "rulers": ["x"]}
    assert "meta" not in fg.heatmap(np.eye(3), ["a", "b", "c"], fg.dims(3), "t")["layout"]
    for fig in (qkv, w, weights, x):
        go.Figure(fig)  # Plotly's schema accepts it


def test_a_colour_bar_has_a_margin_of_its_own():
    """New colour bar labels ("-0.5" after "-2") must not push the margin: the plot would change size
    and be replotted. The bar starts at the plot's edge, whatever the plot's width."""
    z = np.array([[-0.15, 0.1], [0.05, 0.0]])
    bar = fg.heatmap(z, ["a", "b"], ["a", "b"], "t")
    assert bar["layout"]["margin"]["r"] == fg.BAR_ROOM and bar["data"][0]["colorbar"]["x"] == 1
    shared = fg.heatmap(z, ["a", "b"], ["a", "b"], "t", zrange=1.0, bar=False)  # another map's bar serves it
    assert shared["data"][0]["showscale"] is False and shared["layout"]["margin"]["r"] == 10
    mask = fg.heatmap(z > 0, ["a", "b"], ["a", "b"], "t", kind="mask")
    assert mask["layout"]["margin"]["r"] == 10
    row = heatmap_row([z, z], ["a", "b"], ["a", "b"], "t", ("A", "B"))
    assert row["layout"]["margin"]["r"] == fg.BAR_ROOM and row["layout"]["coloraxis"]["colorbar"]["x"] == 1
    step = inside.decode_maps(z, z, ["a", "b"], 0, 1)["bw_step_rows"]  # the recompute's bar serves it
    assert step["data"][0]["showscale"] is False and step["layout"]["margin"]["r"] == 10
    for fig in (bar, shared, mask, row, step):
        go.Figure(fig)


def test_labels_are_thinned_for_the_map_without_its_colour_bar():
    """`width` is the map's alone: the colour bar's room takes no label away."""
    concat = grids.concat_map(np.zeros((7, 64)), list("abcdefg"), 4, "t")
    room = fg.margin(list("abcdefg"), grids.head_labels(4, 16))
    positions, _ = grids.head_ticks(4, 16, fg.NARROW - room["l"] - room["r"])
    assert len(concat["layout"]["xaxis"]["tickvals"]) == len(positions) > 4  # with its room taken: 4


def test_masks_travel_as_bytes_and_blank_cells_as_nan():
    fig = checked(fg.heatmap(np.array([[True, False]]), ["a"], ["x", "y"], "m", kind="mask"))
    assert fig.data[0].z.dtype == np.uint8
    blank = fg.blank(np.array([[0.3, 0.7]]), np.array([[True, False]]))
    assert blank[0, 0] == 0.3 and np.isnan(blank[0, 1])


@pytest.mark.parametrize(
    ("token", "shown"),
    [
        ("abc\u202efed", "abc⟨U+202E⟩fed"),  # a right-to-left override would show "abcdef"
        ("pay\u200bpal", "pay⟨U+200B⟩pal"),  # a zero-width space inside a word
        ("\u2066x\u2069", "⟨U+2066⟩x⟨U+2069⟩"),  # bidi isolates
        ("a\u0007b\ufeff", "a⟨U+0007⟩b⟨U+FEFF⟩"),  # a control character, a byte-order mark
        ("👩\u200d💻", "👩\u200d💻"),  # the joiner of an emoji sequence stays
        ("👍🏽 é 日本 <b>", "👍🏽 é 日本 <b>"),  # visible text is left alone
    ],
)
def test_invisible_characters_are_named_in_every_label(token, shown):
    assert fg.visible(token) == shown
    fig = checked(fg.heatmap(np.zeros((1, 1)), [token], [token], "t"))
    assert fig.data[0].y[0] == f"#0 {fg.escape(shown)}" and fig.layout.xaxis.ticktext[0] == fg.escape(shown)
