"""A d_k step in Chromium: the maps whose width is d_k take their new columns on the plot as drawn.

Q, K and V, their projections and the output have d_k (or d_v) columns, labelled as a ruler (one size
at any d_k, every 2^j-th column). After a step they are drawn anew on the same plot, not replotted:
the rows' labels, the plot's layers and its cells' images stay, and what they show is what a page
opened afresh at the new d_k shows: every label, and every cell's colour within 2/255.
"""

import io

import numpy as np
import pytest
from PIL import Image

from attention import Settings, run
from harness.browser import open_page, rerun_finished
from tests.test_browser_first import cell_centre

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

QKV = "Queries, keys and values, each 7 tokens × d_k = "
FIND = "[...document.querySelectorAll('.js-plotly-plot')].find(g => g.layout.title.text.startsWith(title))"


def set_d_k(page, d_k):
    exact = page.locator(".st-key-d_k input")  # the exact value beside the powers of two
    exact.fill(str(d_k))
    exact.press("Enter")
    rerun_finished(page)


def tag(page, title):  # every node of the plot marked, to be found again after a change
    page.evaluate(f"(title) => {FIND}.querySelectorAll('*').forEach(n => {{ n.__kept = true; }})", title)


def new_nodes(page, title, nodes="*"):  # -> how many of the plot's `nodes` were not there when tagged
    script = f"([title, nodes]) => [...{FIND}.querySelectorAll(nodes)].filter(n => !n.__kept).length"
    return page.evaluate(script, [title, nodes])


def drawn_text(page, title):  # -> every text of the plot's axes, titles and subplot titles: text, style
    script = f"(title) => [...{FIND}.querySelectorAll('g.xtick text, g.ytick text, .gtitle, .annotation text,"
    return page.evaluate(script + " [class$=title] text')].map(t => [t.textContent, t.style.cssText])", title)


def cell_colours(page, title):  # -> [subplot, row, column, rgb] pixel colours at the cells' centres
    page.mouse.move(2, 2)  # no hover label over the cells
    handle = page.evaluate_handle(f"(title) => {FIND}", title)
    handle.scroll_into_view_if_needed()
    image = np.asarray(Image.open(io.BytesIO(handle.screenshot())).convert("RGB"), dtype=int)
    centres = page.evaluate(
        f"""(title) => {{
            const g = {FIND}, layer = g.querySelector('.main-svg').getBoundingClientRect();
            const box = g.getBoundingClientRect(), dx = layer.left - box.left, dy = layer.top - box.top;
            return g._fullData.map(t => {{
                const xa = g._fullLayout['xaxis' + t.xaxis.slice(1)];
                const ya = g._fullLayout['yaxis' + t.yaxis.slice(1)];
                return t.y.map((_, i) => t.x.map((_, j) =>
                    [dx + xa._offset + xa.l2p(j), dy + ya._offset + ya.l2p(i)]));
            }});
        }}""",
        title,
    )
    at = np.rint(np.asarray(centres)).astype(int)
    return image[at[..., 1], at[..., 0]]


@pytest.mark.parametrize("start, d_k", [(16, 32), (32, 33), (32, 64)])
def test_a_d_k_step_draws_q_k_and_v_anew_on_the_same_plot(page, page_at, app_server, start, d_k):
    """The columns' labels are a ruler (d0, d1, ..): one size at any d_k, every 2^j-th labelled, so
    from 16 to 32 every other label stays where it was drawn (d0, d2, .., d14) and d16 .. d30 join."""
    open_page(page, f"{app_server}/?dk={start}")
    title = QKV + str(start)
    page.evaluate(f"(title) => {{ {FIND}.__tag = 'qkv'; }}", title)
    tag(page, title)
    set_d_k(page, d_k)
    title = QKV + str(d_k)
    page.wait_for_function(f"(title) => {FIND}?.dataset.repaints === '1'", arg=title)  # drawn in place
    assert page.evaluate(f"(title) => {FIND}.__tag", title) == "qkv"  # the same plot
    # the rows' labels, the columns' labels that stay and the plot's layers: all kept
    assert new_nodes(page, title, "g.ytick, g.ytick text, svg, g.cartesianlayer, g.subplot, g.hm image") == 0
    labels = f"(title) => [...{FIND}.querySelectorAll('g.xtick text')].map(t => [t.textContent, !t.__kept])"
    drawn = page.evaluate(labels, title)
    kept = {text for text, new in drawn if not new}
    assert {text for text, new in drawn if new} and kept  # the new columns' labels added, the others kept
    assert all(int(text[1:]) < start for text in kept)
    if (start, d_k) == (16, 32):
        assert [text for text, _ in drawn] == [f"d{j}" for j in range(0, 32, 2)]
        assert page.evaluate(f"(title) => {FIND}.layout.xaxis.tickfont.size", title) == 10

    # what the plot holds is the new Q, K and V
    held = page.evaluate(f"(title) => {FIND}.data.map(t => Array.from(t.z, r => Array.from(r)))", title)
    a = run(Settings(d_k=d_k)).attention
    for values, expected in zip(held, (a.q[0], a.k[0], a.v[0]), strict=True):
        np.testing.assert_allclose(values, expected, rtol=2e-6, atol=1e-6)

    # and it shows what the plot of a page opened at that d_k shows: labels, titles and cell colours
    fresh = page_at(1400, 5200)
    open_page(fresh, f"{app_server}/?dk={d_k}")
    assert drawn_text(page, title) == drawn_text(fresh, title)
    before, after = cell_colours(page, title), cell_colours(fresh, title)
    assert before.shape == (3, 7, d_k, 3)
    assert np.abs(before - after).max() <= 2


def test_a_column_added_by_a_d_k_step_answers_the_hover(page, app_server):
    open_page(page, f"{app_server}/?dk=32")
    set_d_k(page, 33)
    title = QKV + "33"
    page.wait_for_function(f"(title) => {FIND}?.dataset.repaints === '1'", arg=title)
    x, y = cell_centre(page, title, 2, 32)  # Q's cell: its axes are the figure's first
    page.mouse.move(x, y)
    label = page.locator(".hoverlayer .hovertext")
    label.first.wait_for()
    text = " ".join(label.all_text_contents())
    q = run(Settings(d_k=33)).attention.q[0]
    assert "#2 is" in text and "#32 d32" in text  # the third token of the default sentence, a new column
    assert f"{q[2, 32]:.6g}" in text


SCORES = "Scores Q·Kᵀ"


def test_one_more_word_grows_the_scores_map_on_the_same_plot(page, page_at, app_server):
    """A word as short as the others (the margins stay): the scores map gains a row and a column on
    the plot as drawn, its rows still read top to bottom, as a page opened on the longer sentence."""
    open_page(page, f"{app_server}/?s=The+cat+sat+on+the+mat")
    tag(page, SCORES)
    box = page.locator(".st-key-sentence input")
    box.fill("The cat sat on the mat now")
    box.press("Enter")
    rerun_finished(page)
    page.wait_for_function(f"(title) => {FIND}?.data[0].x.length === 7", arg=SCORES)
    assert page.evaluate(f"(title) => {FIND}.dataset.repaints", SCORES) == "1"  # drawn in place
    assert new_nodes(page, SCORES, "svg, g.cartesianlayer, g.hm image") == 0
    fresh = page_at(1400, 5200)
    open_page(fresh, f"{app_server}/?s=The+cat+sat+on+the+mat+now")
    assert drawn_text(page, SCORES) == drawn_text(fresh, SCORES)
    before, after = cell_colours(page, SCORES), cell_colours(fresh, SCORES)
    assert before.shape[1:3] == (7, 7)
    assert np.abs(before - after).max() <= 2


WEIGHTS = "Softmax weights"
LINES = "Line view"
# Each shape as drawn: its index, its path and its style.
SHAPES = f"""(title) => [...{FIND}.querySelectorAll('.shape-group[data-index]')].map(g =>
    [+g.dataset.index, g.querySelector('path').getAttribute('d'), g.querySelector('path').style.cssText])"""


def redrawn_by_plotly(page, title):  # -> the plot's shapes as Plotly.relayout draws them all anew
    again = "{shapes: structuredClone(g.layout.shapes)}"
    page.evaluate(f"async (title) => {{ const g = {FIND}; await Plotly.relayout(g, {again}); }}", title)
    return page.evaluate(SHAPES, title)


@pytest.mark.parametrize("title", [WEIGHTS, LINES])
def test_outlines_and_lines_move_in_place_as_plotly_would_draw_them(page, app_server, title):
    """The weights' outlines (a path of the row maxima, one of the moved cells) and the line view's
    lines after two d_k steps: the shapes that stay keep their nodes, with the path and style plotly.js
    itself draws for them."""
    open_page(page, app_server)
    for d_k in (32, 64):
        tag(page, title)
        shapes = page.evaluate(SHAPES, title)
        set_d_k(page, d_k)
        page.wait_for_function(f"(title) => {FIND}.dataset.repaints === '{d_k // 32}'", arg=title)
    now = page.evaluate(SHAPES, title)
    least = 2 if title == WEIGHTS else 7
    assert len(now) >= least and len(shapes) >= least
    paths = f"[...{FIND}.querySelectorAll('.shape-group[data-index] path')]"
    kept = page.evaluate(f"(title) => {paths}.filter(p => p.__kept).length", title)
    slack = 0 if title == WEIGHTS else 1  # both outlines were drawn at d_k 32; a line may come or go
    assert kept >= min(len(now), len(shapes)) - slack  # drawn before: moved in place, not drawn anew
    assert now != shapes  # they moved
    assert now == redrawn_by_plotly(page, title)


# Every plot's title and the ranges its axes are drawn on.
RANGES = """() => [...document.querySelectorAll('.js-plotly-plot')].map(g => [g.layout.title.text,
    Object.keys(g._fullLayout).filter(k => /^[xy]axis\\d*$/.test(k)).sort()
        .map(k => [k, g._fullLayout[k].range.map(v => +v.toFixed(6))])])"""


def test_after_a_d_k_step_down_every_map_spans_what_a_fresh_page_spans(page, page_at, app_server):
    """Four heads, d_k 32 -> 16: the maps narrow (W_O's rows too, with the lines between its heads'
    blocks): each axis spans its new cells, as on a page opened at d_k = 16."""
    open_page(page, f"{app_server}/?h=4&dk=32&comb=1")  # W_O too
    set_d_k(page, 16)
    page.wait_for_function(f"(title) => {FIND}", arg=QKV + "16")
    fresh = page_at(1400, 5200)
    open_page(fresh, f"{app_server}/?h=4&dk=16&comb=1")
    assert page.evaluate(RANGES) == fresh.evaluate(RANGES)


def test_lines_picked_out_by_a_hovered_word_stay_so_when_the_weights_change(page, app_server):
    """Pointing at a word of the line view fades the other words' lines; a d_k step typed meanwhile
    moves the lines in place, and the fading still follows the word, not the old lines' places. From
    d_k = 33 to 34 the line view keeps 35 lines, and the sixth word's lines move one place along the
    list: no line is added or removed, so nothing but the component itself redraws the hover."""
    open_page(page, f"{app_server}/?dk=33")
    end = f"""(title) => {{
        const g = {FIND};
        g.scrollIntoView({{block: 'center'}});
        const t = g._fullData.find(t => t.meta?.side === 'q'), b = g.getBoundingClientRect();
        const xa = g._fullLayout['xaxis' + t.xaxis.slice(1)], ya = g._fullLayout['yaxis' + t.yaxis.slice(1)];
        return [b.left + xa._offset + xa.l2p(t.x[5]), b.top + ya._offset + ya.l2p(t.y[5])];
    }}"""
    x, y = page.evaluate(end, LINES)
    faded = f"""(title) => {{
        const g = {FIND};
        return [...g.querySelectorAll('.shape-group[data-index]')].map(s =>
            [g._fullLayout.shapes[+s.dataset.index].name.split(' ')[1], s.style.opacity === '0.06']);
    }}"""
    page.mouse.move(x, y)
    page.wait_for_function(f"(title) => ({faded})(title).some(([, f]) => f)", arg=LINES)
    set_d_k(page, 34)
    page.wait_for_function(f"(title) => {FIND}.dataset.repaints === '1'", arg=LINES)
    w = run(Settings(d_k=34)).attention.weights[0]
    assert page.evaluate(f"(title) => {FIND}.layout.shapes.length", LINES) == int((w >= 0.05).sum()) == 35
    shown = page.evaluate(faded, LINES)
    assert {q for q, f in shown if not f} == {"q5"}  # the hovered word's lines alone are not faded
    assert any(f for _, f in shown)


SCALED = "Scaled: ÷4"
BAR_LABELS = (
    "(title) => "
    + f"[...{FIND}.querySelectorAll('.cbaxis text')].map(t => [t.textContent, t.getBBox().width])"
)


def test_colour_bar_labels_of_a_new_width_leave_the_map_in_place(page, app_server):
    """The seed 1 -> 2 gives the scaled scores a colour bar labelled "-5 .. 5" where it was "-10 .. 10":
    narrower labels, in the colour bar's own room (charts/figures.py BAR_ROOM), so the plot keeps its
    size and its cells are repainted in place, not replotted."""
    open_page(page, f"{app_server}/?seed=1")
    tag(page, SCALED)
    before = page.evaluate(BAR_LABELS, SCALED)
    size = page.evaluate(f"(title) => [{FIND}._fullLayout._size.w, {FIND}._fullLayout._size.r]", SCALED)
    assert size[1] == 80  # the colour bar's room (charts/figures.py BAR_ROOM): the bar did not push it
    page.locator(".st-key-seed").get_by_role("slider").focus()
    page.keyboard.press("ArrowRight")
    rerun_finished(page)
    page.wait_for_function(f"(title) => {FIND}?.dataset.repaints === '1'", arg=SCALED)  # drawn in place
    after = page.evaluate(BAR_LABELS, SCALED)
    assert max(w for _, w in after) != max(w for _, w in before)  # labels of another width
    assert (
        page.evaluate(f"(title) => [{FIND}._fullLayout._size.w, {FIND}._fullLayout._size.r]", SCALED) == size
    )
    assert new_nodes(page, SCALED, "svg, g.cartesianlayer, g.hm image, g.xtick, g.ytick") == 0
    held = page.evaluate(f"(title) => Array.from({FIND}.data[0].z, r => Array.from(r))", SCALED)
    np.testing.assert_allclose(held, run(Settings(seed=2)).attention.scaled[0], rtol=2e-6, atol=1e-6)


def test_large_scores_read_in_plain_numbers_in_the_colour_bar_s_room(page, app_server):
    """Uniform weights make scores grow like d_k: at d_k 128 the scaled scores reach ±2000, labelled
    "−2000", not "−2e+3", and within the bar's room (the plot not pushed)."""
    open_page(page, f"{app_server}/?init=uniform&dk=128")
    labels = page.evaluate(BAR_LABELS, "Scaled")
    assert [text for text, _ in labels] == ["−2000", "−1000", "0", "1000", "2000"]
    assert page.evaluate(f"(title) => {FIND}._fullLayout._size.r", "Scaled") == 80
