"""The first screen in Chromium at 1440×900: the sentence box and the three maps without scrolling,
charts updated in place, hover linked across the maps, a PNG export on each.
"""

import io

import numpy as np
import pytest
from PIL import Image

from attention import Settings, run
from charts import wire
from charts.figures import SIGNED
from charts.lines import WIDTH
from charts.weights import row_scaled
from harness.browser import open_page, rerun_finished
from tests.apptest_helpers import page as page_of
from tests.test_browser_canvas import colour_at

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

PLOTS = ".js-plotly-plot"
ELEVEN = "the quick brown fox jumps over the lazy dog near here"
# Every plot on the screen, with its title, its box and (for the weights) the numbers in its cells.
ON_SCREEN = """() => [...document.querySelectorAll('.js-plotly-plot')].map(g => {
    const b = g.getBoundingClientRect();
    const t = g._fullData && g._fullData[0] && g._fullData[0].text;
    return {title: g.layout && g.layout.title.text, top: b.top, bottom: b.bottom, left: b.left,
            right: b.right, text: t ? t.map(r => Array.from(r)) : null};
})"""


@pytest.fixture
def screen(page_at):
    """A fresh page of a 1440×900 window, as a laptop shows it."""
    return page_at(1440, 900)


def open_first_screen(page, url):
    open_page(page, url, plots=3)


def visible(page):  # -> list of the plots wholly inside the window without scrolling
    return [
        p for p in page.evaluate(ON_SCREEN) if p["top"] >= 0 and p["bottom"] <= 900 and p["right"] <= 1440
    ]


def test_the_sentence_and_three_maps_fit_the_first_screen(screen, app_server):
    open_first_screen(screen, app_server)
    assert screen.evaluate("window.scrollY") == 0
    box = screen.locator("[data-testid=stMain] .st-key-sentence input").bounding_box()
    assert box and box["y"] + box["height"] <= 900 and box["width"] > 600  # wide, in the main area
    shown = visible(screen)
    titles = [p["title"] for p in shown]
    assert {"Scores Q·Kᵀ", "Scaled: ÷4", "Softmax weights"} <= set(titles), titles
    weights = np.array(next(p for p in shown if p["title"] == "Softmax weights")["text"], dtype=float)
    assert weights.shape == (7, 7)  # the default sentence, no [PAD]
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-6)


def test_an_eleven_word_sentence_shows_eleven_by_eleven_weights_on_the_first_screen(screen, app_server):
    open_first_screen(screen, app_server)
    box = screen.locator(".st-key-sentence input")
    box.fill(ELEVEN)
    box.press("Enter")
    rerun_finished(screen)
    screen.wait_for_function(
        f"() => [...document.querySelectorAll('{PLOTS}')].some(g => g.layout.title.text === 'Softmax weights'"
        " && g._fullData[0].text.length === 11)"
    )
    (weights,) = [p for p in visible(screen) if p["title"] == "Softmax weights"]
    expected = run(Settings(sentence=ELEVEN)).attention.weights[0]
    np.testing.assert_allclose(np.array(weights["text"], dtype=float), expected, rtol=2e-6, atol=1e-7)


def test_a_d_k_step_redraws_the_same_plot_nodes_and_marks_what_moved(screen, app_server):
    open_first_screen(screen, app_server)
    screen.evaluate(f"document.querySelectorAll('{PLOTS}').forEach((g, k) => {{ g.__tag = k; }})")
    n = screen.evaluate(f"document.querySelectorAll('{PLOTS}').length")
    exact = screen.locator(".st-key-d_k input")  # the exact value beside the powers of two: 16 -> 17
    exact.fill("17")
    exact.press("Enter")
    rerun_finished(screen)
    screen.get_by_text("d_k 16 → 17", exact=False).wait_for()
    screen.wait_for_function(
        f"() => [...document.querySelectorAll('{PLOTS}')].some(g => g.layout.title.text === 'Scaled: ÷4.12')"
    )
    tags = screen.evaluate(f"[...document.querySelectorAll('{PLOTS}')].map(g => g.__tag)")
    assert tags == list(range(n))  # every plot is the node it was: updated in place, none remounted
    scaled = screen.evaluate(
        f"Array.from([...document.querySelectorAll('{PLOTS}')].find(g => g.layout.title.text === "
        "'Scaled: ÷4.12')._fullData[0].z[0])"
    )
    np.testing.assert_allclose(scaled, run(Settings(d_k=17)).attention.scaled[0][0], rtol=2e-6, atol=1e-7)


WEIGHTS = f"[...document.querySelectorAll('{PLOTS}')].find(g => g.layout.title.text === 'Softmax weights')"


def new_nodes_after(page, plot, nodes, d_k, drawn):  # -> how many of the plot's `nodes` are new
    """Tag the plot's nodes, set d_k in the exact box, wait until `drawn` (a script expression) holds."""
    page.evaluate(f"{plot}.querySelectorAll('{nodes}').forEach(n => {{ n.__kept = true; }})")
    exact = page.locator(".st-key-d_k input")
    exact.fill(str(d_k))
    exact.press("Enter")
    rerun_finished(page)
    page.wait_for_function(f"() => {drawn}")
    return page.evaluate(f"[...{plot}.querySelectorAll('{nodes}')].filter(n => !n.__kept).length")


def d_k_17_repaints_in_place(page, nodes):  # -> how many of the weights map's `nodes` are new after d_k = 17
    return new_nodes_after(page, WEIGHTS, nodes, 17, f"{WEIGHTS}.dataset.repaints === '1'")


def test_a_d_k_step_repaints_the_weights_in_place_with_the_new_values(screen, app_server):
    """Only the cells, their numbers and the outlines changed: the map keeps every node it drew."""
    open_first_screen(screen, app_server)
    nodes = "g.xtick, g.ytick, g.cbaxis, g.hm image, g.heatmap-label text"
    assert d_k_17_repaints_in_place(screen, nodes) == 0
    text = screen.evaluate(f"Array.from({WEIGHTS}.data[0].text, r => Array.from(r))")
    np.testing.assert_allclose(text, run(Settings(d_k=17)).attention.weights[0], rtol=2e-6, atol=1e-7)
    z = screen.evaluate(f"Array.from({WEIGHTS}.data[0].z, r => Array.from(r))")  # made in the browser
    np.testing.assert_array_equal(z, row_scaled(np.asarray(text, np.float32)))  # each row ÷ its largest
    numbers = screen.evaluate(
        f"[...{WEIGHTS}.querySelectorAll('g.heatmap-label text')].map(t => t.textContent)"
    )
    assert numbers[:7] == [f"{v:.2f}" for v in np.asarray(text)[0]]


def cell_centre(page, title, row, col):  # -> (x, y) window pixels of a cell of the plot with that title
    return page.evaluate(
        """([title, row, col]) => {
            const g = [...document.querySelectorAll('.js-plotly-plot')]
                .find(e => e.layout.title.text === title);
            const b = g.getBoundingClientRect(), xa = g._fullLayout.xaxis, ya = g._fullLayout.yaxis;
            return [b.left + xa._offset + xa.l2p(col), b.top + ya._offset + ya.l2p(row)];
        }""",
        [title, row, col],
    )


def test_hovering_a_weight_outlines_its_row_and_column_in_the_other_maps(screen, app_server):
    open_first_screen(screen, app_server)
    x, y = cell_centre(screen, "Softmax weights", 2, 4)
    screen.mouse.move(x, y)
    shown = """t => {
        const g = [...document.querySelectorAll('.js-plotly-plot')].find(e => e.layout.title.text === t);
        const bands = [...g.closest('.lc-fig').querySelectorAll('.lc-band')];
        return bands.filter(b => b.style.display === 'block').length;
    }"""
    for title in ("Scores Q·Kᵀ", "Scaled: ÷4"):
        screen.wait_for_function(f"() => ({shown})('{title}') === 2")
    screen.mouse.move(5, 5)
    screen.wait_for_function(f"() => ({shown})('Scores Q·Kᵀ') === 0")


def test_every_map_offers_a_png_named_after_its_title(screen, app_server):
    open_first_screen(screen, app_server)
    screen.locator(PLOTS).first.hover()
    names = screen.evaluate(
        f"[...document.querySelectorAll('{PLOTS}')].map(g => g._context.toImageButtonOptions.filename)"
    )
    assert names[:3] == ["Scores_Q·Kᵀ", "Scaled", "Softmax_weights"]
    assert screen.locator(f"{PLOTS} .modebar-btn[data-title='Download plot as a PNG' i]").count() >= 3


def test_a_d_k_step_and_new_words_redraw_the_line_view_in_place(page, app_server):
    """Its lines are layout shapes and its token ends carry positions: a change of weights relayouts the
    shapes, new words of the same number the ticks; its token ends stay."""
    open_page(page, app_server, plots=3)
    lines = "[...document.querySelectorAll('.js-plotly-plot')].find(g => g.data.some(t => t.meta?.side))"
    nodes = "g.ytick, g.y2tick, .scatterlayer .point"
    assert page.evaluate(f"{lines}.querySelectorAll('{nodes}').length") == 4 * 7  # two axes, two columns
    assert new_nodes_after(page, lines, nodes, 17, f"{lines}.dataset.repaints === '1'") == 0
    w = run(Settings(d_k=17)).attention.weights[0]
    drawn = page.evaluate(f"{lines}.layout.shapes.map(s => [s.name, s.line.width])")
    assert {name for name, _ in drawn} == {
        f"h0 q{i} k{j}" for i in range(7) for j in range(7) if w[i, j] >= 0.05
    }
    for name, width in drawn:
        i, j = (int(p[1:]) for p in name.split()[1:])
        assert width == round(WIDTH * w[i, j], 2)  # drawn to a hundredth of a pixel
    words = "A dog ran down the old road"  # as many words: its ticks and lines change, in place
    box = page.locator(".st-key-sentence input")
    box.fill(words)
    box.press("Enter")
    rerun_finished(page)
    page.wait_for_function(f"() => {lines}.dataset.repaints === '2'")
    points = f"[...{lines}.querySelectorAll('.scatterlayer .point')]"  # its ticks: redrawn (automargin)
    assert page.evaluate(f"{points}.filter(n => !n.__kept).length") == 0
    ticks = page.evaluate(
        f"[...{lines}.querySelectorAll('g.ytick text, g.y2tick text')].map(t => t.textContent)"
    )
    assert ticks == words.split() * 2
    w = run(Settings(sentence=words, d_k=17)).attention.weights[0]
    assert page.evaluate(f"{lines}.layout.shapes.length") == int((w >= 0.05).sum())
    qkv = f"[...document.querySelectorAll('{PLOTS}')].find(g => g.layout.title.text.startsWith('Queries'))"
    for words in ("The weather is beautiful today in Adelaide", "The weather is beautiful today in Canberra"):
        box.fill(words)  # the second: labels as wide as the first's, so the margins stay
        box.press("Enter")
        rerun_finished(page)
        page.wait_for_function(f"() => {qkv}.layout.yaxis.ticktext.at(-1) === '{words.split()[-1]}'")
    assert page.evaluate(f"+{qkv}.dataset.repaints") > 0  # three maps on axes "x1".."x3", in place
    rows = page.evaluate(f"[...{qkv}.querySelectorAll('g.ytick text')].map(t => t.textContent)")
    assert rows == words.split()
    q = np.asarray(page.evaluate(f"Array.from({qkv}.data[0].z, r => Array.from(r))"))
    np.testing.assert_allclose(q, run(Settings(sentence=words, d_k=17)).attention.q[0], rtol=2e-6, atol=1e-6)


def test_above_the_shapes_limit_the_marks_are_a_layer_repainted_in_place(screen, app_server):
    """48 words: the row maxima are a heatmap layer over the weights, so a d_k step repaints both in place
    (every node kept), the layer marks each row's largest weight, and hover still names the weight."""
    words = " ".join(f"w{i}" for i in range(48))
    open_page(screen, f"{app_server}/?s={words.replace(' ', '+')}", plots=3)
    assert d_k_17_repaints_in_place(screen, "g.xtick, g.ytick, g.cbaxis, g.hm image") == 0
    w = run(Settings(sentence=words, d_k=17)).attention.weights[0]
    marks = np.asarray(
        screen.evaluate(f"Array.from({WEIGHTS}.data[1].z, r => Array.from(r, v => Number.isNaN(v) ? -1 : v))")
    )
    assert (marks == 0).sum() >= 48 and all(marks[i, np.argmax(w[i])] == 0 for i in range(48))
    x, y = cell_centre(screen, "Softmax weights", 5, int(np.argmax(w[5])))
    screen.mouse.move(x, y)
    hover = screen.locator(".hoverlayer .hovertext").first
    hover.wait_for()
    assert "#5 w5" in hover.text_content() and "weight" in hover.text_content()


# Each chart component's root: waiting (data-waiting), its top, its height, and whether its plot (drawn
# or not) names a word in its data or layout.
ROOTS = """(word) => [...document.querySelectorAll('.lc-root')].map(r => {
    const g = r.querySelector('.js-plotly-plot'), b = r.getBoundingClientRect();
    const says = g ? JSON.stringify({d: g.data.map(t => [t.x, t.y]), l: g.layout}).includes(word) : null;
    return {waiting: !!r.dataset.waiting, top: b.top, height: b.height, drawn: !!g, says};
})"""


def test_a_map_far_below_the_screen_waits_and_is_drawn_when_scrolled_near(screen, app_server):
    """On a laptop's screen a change draws only the maps near it: one far below keeps its place and what
    it drew before, and is drawn with the new words once it is scrolled near. (The Masks tab: on Step
    by step the stages far below are not even built, tests/test_browser_near.py.)"""
    open_page(screen, f"{app_server}/?tab=Masks", plots=3)
    last = screen.evaluate(ROOTS, "Melbourne")[-1]  # the page's last map, thousands of pixels below
    assert last["waiting"] and not last["drawn"] and last["height"] > 150  # its figure's space is kept
    box = screen.locator(".st-key-sentence input")
    box.fill("The weather is beautiful today in Perth")
    box.press("Enter")
    rerun_finished(screen)
    screen.wait_for_function(f"() => ({ROOTS})('Perth').filter(r => r.top < 900).every(r => r.says)")
    roots = screen.evaluate(ROOTS, "Perth")
    assert all(not r["waiting"] for r in roots if r["top"] < 900)
    far = [i for i, r in enumerate(roots) if r["waiting"]]
    assert far and all(roots[i]["top"] > 900 + 300 for i in far)
    assert not any(roots[i]["says"] for i in far)  # not drawn again: a plot there still shows Melbourne
    screen.evaluate(f"document.querySelectorAll('.lc-root')[{far[-1]}].scrollIntoView()")
    screen.wait_for_function(f"() => ({ROOTS})('Perth')[{far[-1]}].says === true")
    assert not screen.evaluate(ROOTS, "Perth")[far[-1]]["waiting"]


SCORES = f"[...document.querySelectorAll('{PLOTS}')].find(g => g.layout.title.text === 'Scores Q·Kᵀ')"
SCALED = f"[...document.querySelectorAll('{PLOTS}')].find(g => g.layout.title.text.startsWith('Scaled:'))"


def test_a_new_colour_range_redraws_the_colour_bar_alone_and_repaints_the_cells(screen, app_server):
    """d_k 16 → 64: the scores grow and their colour range moves. The map is repainted in place: its
    axes, cells and numbers keep their nodes, the colour bar it shares with the scaled scores spans the
    new range, and a cell shows the colour scale's colour for its value on the new range."""
    open_first_screen(screen, app_server)
    before = screen.evaluate(f"{SCORES}.data[0].zmax")
    bar = "[...document.querySelectorAll('g.colorbar g[class$=tick] text')].map(t => t.textContent)"
    labels = screen.evaluate(bar)  # every colour bar of the page: the weights' and the shared one
    kept = "g.xtick, g.ytick, g.hm image, g.heatmap-label text, .main-svg"
    screen.evaluate(f"{SCALED}.querySelectorAll('{kept}').forEach(n => {{ n.__kept = true; }})")
    repainted = f"+{SCORES}.dataset.repaints >= 1 && +{SCALED}.dataset.repaints >= 1"
    drawn = f"{repainted} && {SCORES}.data[0].zmax !== {before}"
    assert new_nodes_after(screen, SCORES, kept, 64, drawn) == 0
    assert screen.evaluate(f"[...{SCALED}.querySelectorAll('{kept}')].filter(n => !n.__kept).length") == 0
    lo, hi = screen.evaluate(f"[{SCORES}._fullData[0].zmin, {SCORES}._fullData[0].zmax]")
    assert lo == -hi and hi != before
    assert screen.evaluate(
        f"[{SCALED}.layout.title.text, {SCALED}._fullData[0].zmin, {SCALED}._fullData[0].zmax]"
    ) == [
        "Scaled: ÷8",
        lo,
        hi,
    ]
    assert screen.evaluate(bar) != labels  # the shared colour bar was drawn again
    shared = f"[...{SCALED}.querySelectorAll('g.colorbar g[class$=tick] text')].map(t => t.textContent)"
    ticks = [float(t.replace("−", "-")) for t in screen.evaluate(shared)]
    assert ticks and max(ticks) <= hi and max(ticks) >= hi / 2 and min(ticks) >= lo
    z = np.asarray(screen.evaluate(f"Array.from({SCORES}.data[0].z, r => Array.from(r))"))
    np.testing.assert_allclose(z, run(Settings(d_k=64)).attention.scores[0], rtol=2e-6, atol=1e-6)
    shot = Image.open(io.BytesIO(screen.screenshot())).convert("RGB")
    for i, j in ((0, 0), (2, 5), (6, 3)):
        x, y = cell_centre(screen, "Scores Q·Kᵀ", i - 0.3, j - 0.3)  # off the centre, clear of its number
        want = colour_at(SIGNED, (z[i, j] - lo) / (hi - lo))
        got = shot.getpixel((round(x), round(y)))
        assert max(abs(a - b) for a, b in zip(got, want, strict=True)) <= 2, (i, j, got, want)


def test_a_map_far_below_fits_a_narrower_window_once_scrolled_near(screen, app_server):
    """A drawn map far from the screen is not redrawn when the window narrows; scrolled near, it is
    fitted to its new width. (The Masks tab, whose maps are all built: tests/test_browser_near.py.)"""
    open_page(screen, f"{app_server}/?tab=Masks", plots=3)
    last = "[...document.querySelectorAll('.lc-root')].at(-1)"
    screen.evaluate(f"{last}.scrollIntoView()")
    idle = f"!!{last}.querySelector('.js-plotly-plot')?._fullLayout && !{last}.parentElement.__liveChart.busy"
    screen.wait_for_function(f"() => {idle}")  # drawn, and done drawing
    screen.evaluate("document.querySelector('[data-testid=stMain]').scrollTo(0, 0)")
    screen.wait_for_function(f"() => {last}.parentElement.__liveChart.near === false")
    width = f"{last}.querySelector('.js-plotly-plot')._fullLayout.width"
    before = screen.evaluate(width)
    screen.set_viewport_size({"width": 1100, "height": 900})
    screen.wait_for_timeout(1000)
    assert screen.evaluate(width) == before  # far: not drawn again
    screen.evaluate(f"{last}.scrollIntoView()")
    screen.wait_for_function(f"() => {width} < {before} && {width} <= {last}.clientWidth")


def test_a_colour_axis_takes_its_new_range_in_place(page, app_server):
    """Q, K and V share one colour axis: a new word that widens their range redraws its colour bar and
    repaints the three maps in place, every axis and cell node kept."""
    open_page(page, app_server, plots=9)
    qkv = f"[...document.querySelectorAll('{PLOTS}')].find(g => g.layout.title.text.startsWith('Queries'))"
    bar = f"() => [...{qkv}.querySelectorAll('g.colorbar g[class$=tick] text')].map(t => t.textContent)"
    before, top = page.evaluate(bar), page.evaluate(f"{qkv}.layout.coloraxis.cmax")
    kept = "g.xtick, g.ytick, g.x2tick, g.x3tick, g.hm image, .main-svg"
    page.evaluate(f"{qkv}.querySelectorAll('{kept}').forEach(n => {{ n.__kept = true; }})")
    box = page.locator(".st-key-sentence input")
    box.fill("The weather is beautiful today in Sydney")  # found to widen Q, K and V's range at seed 0
    box.press("Enter")
    rerun_finished(page)
    page.wait_for_function(f"() => +{qkv}.dataset.repaints >= 1 && {qkv}.layout.coloraxis.cmax !== {top}")
    assert page.evaluate(f"[...{qkv}.querySelectorAll('{kept}')].filter(n => !n.__kept).length") == 0
    lo, hi = page.evaluate(f"[{qkv}._fullLayout.coloraxis.cmin, {qkv}._fullLayout.coloraxis.cmax]")
    ticks = [float(t.replace("−", "-")) for t in page.evaluate(bar)]
    assert page.evaluate(bar) != before and min(ticks) >= lo and max(ticks) <= hi and max(ticks) > top
    q = np.asarray(page.evaluate(f"Array.from({qkv}.data[0].z, r => Array.from(r))"))
    words = "The weather is beautiful today in Sydney"
    np.testing.assert_allclose(q, run(Settings(sentence=words)).attention.q[0], rtol=2e-6, atol=1e-6)


def test_maps_of_64_tokens_that_travel_compressed_arrive_bit_for_bit(screen, app_server):
    """64 tokens, 4 of them [PAD]: each first-screen map's body (16 kB) travels in compressed planes
    (charts/wire.py); the browser's numbers are the float32 of the trace, every bit, NaN where masked."""
    words = " ".join(f"w{i}" for i in range(60))
    open_first_screen(screen, f"{app_server}/?s={words.replace(' ', '+')}&n=64")
    trace = run(Settings(sentence=words, seq_len=64))
    charts = [c.proto.bytes for c in page_of({"s": words, "n": "64"}).get("bidi_component") if c.proto.bytes]
    heads = [wire.header(payload) for payload in charts]
    bodies = {h["name"]: h.get("body") for h in heads}  # the same page without a browser
    assert [bodies.get(name) for name in ("scores", "scaled", "weights")] == ["planes"] * 3
    rows = "r => Array.from(r)"
    scores = np.asarray(screen.evaluate(f"Array.from({SCORES}.data[0].z, {rows})"), dtype=np.float64)
    np.testing.assert_array_equal(scores, trace.attention.scores[0].astype(np.float32))
    weights = np.asarray(screen.evaluate(f"Array.from({WEIGHTS}.data[0].text, {rows})"), dtype=np.float64)
    shown = np.where(trace.mask, trace.attention.weights[0], np.nan).astype(np.float32)
    assert np.isnan(shown).sum() == 64 * 4  # the [PAD] keys, blank
    np.testing.assert_array_equal(weights, shown)
