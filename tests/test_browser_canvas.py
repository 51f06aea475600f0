"""Cells repainted in place, in Chromium: the right colours, numbers, hover, clicks, data and export.

The test page (tests/apps/canvas_app.py) draws the first screen's weights map and a signed map on five
tokens, masked above the diagonal, whose values follow a slider. The first drawing is Plotly's; each
slider step changes only the cells, the titles and the outlines, so the component repaints the cells
on the plot it has (views/live_chart.js) instead of replotting. Every check runs on both: what Plotly
painted and what the component repainted must be the same colours, to 2/255 a channel, and both the
colour scale's colour for the cell's value, computed here by plain interpolation between its stops.
"""

import base64
import io

import numpy as np
import pytest
from PIL import Image

from charts.figures import SIGNED
from harness.browser import open_page

pytestmark = pytest.mark.browser

SCRIPT = "tests/apps/canvas_app.py"
PLOT = "document.querySelectorAll('.js-plotly-plot')"
TOLERANCE = 2  # of 255, per channel
NODES = "g.xtick, g.ytick, g.cbaxis, g.hm image, g.heatmap-label text, .main-svg"


@pytest.fixture
def maps(script_app, page):
    open_page(page, script_app, plots=2)
    return page


def values(
    step,
):  # int -> [5, 5], what the page holds: ((7·step + 5·i + 3·j) mod 11) / 10, NaN above the diagonal
    i, j = np.indices((5, 5))
    return np.where(j <= i, ((7 * step + 5 * i + 3 * j) % 11) / 10, np.nan)


def colour_at(stops, v):  # [[position, "#rrggbb" | "rgb(r,g,b)"]], value in 0..1 -> (r, g, b) floats
    def rgb(c):
        if c.startswith("#"):
            return [int(c[k : k + 2], 16) for k in (1, 3, 5)]
        return [float(x) for x in c[c.index("(") + 1 : -1].split(",")]

    at = [float(p) for p, _ in stops]
    return tuple(np.interp(v, at, [rgb(c)[ch] for _, c in stops]) for ch in range(3))


def scales(page):  # -> {"weights": stops, "signed": stops}; the weights' Viridis as plotly.js defines it
    viridis = page.evaluate(f"{PLOT}[0]._fullData[0].colorscale")
    return {"weights": viridis, "signed": SIGNED}


def expected(step):  # -> {"weights": [5, 5] in 0..1, "signed": [5, 5] in 0..1}, as fractions of the range
    w = values(step)
    return {"weights": w, "signed": w}  # the signed map holds 2w - 1 on -1..1: the same fraction


def screen(page):  # -> PIL image of the page as drawn
    return Image.open(io.BytesIO(page.screenshot())).convert("RGB")


def point(page, figure, row, col):  # -> (x, y) window pixels of a point of a map, counted in cells
    return page.evaluate(
        """([k, row, col]) => {
            const gd = document.querySelectorAll('.js-plotly-plot')[k];
            const box = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            return [box.left + xa._offset + xa.l2p(col), box.top + ya._offset + ya.l2p(row)];
        }""",
        [figure, row, col],
    )


def hover_text(page, figure, row, col):  # -> the hover label's text over a cell's centre
    page.mouse.move(*point(page, figure, row, col))
    hover = page.locator(".hoverlayer .hovertext").first
    hover.wait_for()
    return hover.text_content()


def cell_pixel(page, shot, figure, row, col):  # -> (r, g, b) off the cell's centre, clear of its number
    x, y = point(page, figure, row - 0.3, col - 0.3)
    return shot.getpixel((round(x), round(y)))


def assert_cells(page, step):
    """Every cell of both maps shows its value's colour; every masked cell shows the white background."""
    shot, stops, want = screen(page), scales(page), expected(step)
    for k, name in enumerate(("weights", "signed")):
        for i in range(5):
            for j in range(5):
                got = cell_pixel(page, shot, k, i, j)
                v = want[name][i, j]
                target = (255, 255, 255) if np.isnan(v) else colour_at(stops[name], v)
                off = max(abs(a - b) for a, b in zip(got, target, strict=True))
                assert off <= TOLERANCE, f"{name} ({i}, {j}) = {v}: drawn {got}, scale says {target}"


def step_to(page, wait_rerun, step):
    """Move the slider to `step` and wait until the weights map has been repainted in place."""
    slider = page.locator(".st-key-step").get_by_role("slider")
    slider.focus()
    now = page.evaluate(f"+({PLOT}[0].dataset.repaints || 0)")
    shown = f"+{PLOT}[0].layout.title.text.split(' ').pop()"  # "Weights: step 3" -> 3
    while page.evaluate(shown) < step:
        page.keyboard.press("ArrowRight")
        wait_rerun(page)
    page.wait_for_function(
        f"+({PLOT}[0].dataset.repaints || 0) > {now} && +({PLOT}[1].dataset.repaints || 0) > 0"
    )


def tag_nodes(page):
    page.evaluate(
        f"{PLOT}.forEach(gd => gd.querySelectorAll('{NODES}').forEach(n => {{ n.__kept = true; }}))"
    )


def untagged(page):  # -> number of plot nodes drawn since tag_nodes
    return page.evaluate(
        f"[...{PLOT}].flatMap(gd => [...gd.querySelectorAll('{NODES}')]).filter(n => !n.__kept).length"
    )


def test_plotly_paints_each_cell_in_its_value_colour_and_masked_cells_blank(maps):
    assert maps.evaluate(f"{PLOT}[0].dataset.repaints") == "0"  # the first drawing is Plotly's own
    assert_cells(maps, 0)


def test_a_repaint_keeps_every_node_and_paints_the_new_colours(maps, wait_rerun):
    tag_nodes(maps)
    step_to(maps, wait_rerun, 1)
    assert untagged(maps) == 0  # axes, ticks, colour bars, numbers, the images themselves: the same nodes
    assert_cells(maps, 1)
    step_to(maps, wait_rerun, 3)
    assert untagged(maps) == 0
    assert_cells(maps, 3)


def test_after_a_repaint_the_plot_data_the_numbers_and_the_title_are_current(maps, wait_rerun):
    step_to(maps, wait_rerun, 2)
    w = values(2)
    rows = "(a) => a && Array.from(a, (r) => Array.from(r))"
    data = maps.evaluate(f"[...{PLOT}].map(gd => [gd.data[0].z, gd.data[0].text].map({rows}))")
    (weights_z, weights_text), (signed_z, _) = data
    np.testing.assert_allclose(np.array(weights_z, dtype=float), w, atol=1e-6)  # NaN where masked
    np.testing.assert_allclose(np.array(weights_text, dtype=float), w, atol=1e-6)
    np.testing.assert_allclose(np.array(signed_z, dtype=float), 2 * w - 1, atol=1e-6)
    numbers = maps.evaluate(
        f"[...{PLOT}[0].querySelectorAll('g.heatmap-label text')].map(t => t.textContent)"
    )
    assert numbers == ["" if np.isnan(v) else f"{v:.2f}" for v in w.ravel()]  # masked cells print nothing
    fills = maps.evaluate(f"[...{PLOT}[0].querySelectorAll('g.heatmap-label text')].map(t => t.style.fill)")
    viridis = scales(maps)["weights"]
    for v, fill in zip(w.ravel(), fills, strict=True):  # light on dark cells, dark on light ones
        if not np.isnan(v):
            r, g, b = colour_at(viridis, v)
            dark = (299 * r + 587 * g + 114 * b) / 1000 < 128
            assert fill == ("rgb(255, 255, 255)" if dark else "rgb(68, 68, 68)")
    titles = maps.evaluate(f"[...{PLOT}].map(gd => gd.querySelector('.gtitle').textContent)")
    assert titles == ["Weights: step 2", "Signed: step 2"]
    tops = maps.evaluate(  # the corners of the squares of the row maxima's path: "M x,y H.. V.. H.. Z" each
        f"{PLOT}[0].layout.shapes.filter(s => s.line.color === '#ff6b00')"
        ".flatMap(s => [...s.path.matchAll(/M([-\\d.]+),([-\\d.]+)H/g)].map(m => [+m[2], +m[1]]))"
    )
    rows = [(i, j) for i in range(5) for j in range(5) if w[i, j] == np.nanmax(w[i]) and w[i, j] > 0]
    assert [(round(y + 0.5), round(x + 0.5)) for y, x in tops] == rows  # each row's largest weight, outlined


def test_hover_and_click_answer_with_the_repainted_values(maps, wait_rerun):
    step_to(maps, wait_rerun, 4)
    w = values(4)
    text = hover_text(maps, 0, 3, 1)
    assert "#3 on" in text and "#1 cat" in text and f"weight {w[3, 1]:.6g}" in text
    maps.mouse.click(*point(maps, 0, 3, 1))
    wait_rerun(maps)
    maps.get_by_text("clicked name=weights").wait_for()
    assert maps.get_by_text(f"clicked name=weights row=3 col=1 z={w[3, 1]:.4f}").count() == 1


def test_new_words_are_renamed_in_place_and_hover_and_click_name_them(maps, wait_rerun):
    """New words as wide as the old (the margins stay): every node stays, the tick labels included, each
    label written as Plotly prints it (a typed tag and ampersand literally), and the plot's own layout
    says the same, so a plot drawn afresh from its public data and layout shows the same words."""
    tag_nodes(maps)
    box = maps.locator(".st-key-words input")
    box.fill("one <b> ran a&b far")
    box.press("Enter")
    wait_rerun(maps)
    maps.wait_for_function(
        f"+({PLOT}[0].dataset.repaints || 0) > 0 && +({PLOT}[1].dataset.repaints || 0) > 0"
    )
    words = ["one", "<b>", "ran", "a&b", "far"]

    def labels(kind):  # -> per plot, the text of its tick labels on "xtick" or "ytick"
        return maps.evaluate(
            f"[...{PLOT}].map(gd => [...gd.querySelectorAll('g.{kind} text')].map(t => t.textContent))"
        )

    assert labels("xtick") == labels("ytick") == [words] * 2
    assert maps.evaluate(f"{PLOT}[0].data[0].x") == [
        "#0 one",
        "#1 &lt;b&gt;",
        "#2 ran",
        "#3 a&amp;b",
        "#4 far",
    ]
    assert maps.evaluate(f"{PLOT}[0].layout.xaxis.ticktext") == ["one", "&lt;b&gt;", "ran", "a&amp;b", "far"]
    assert maps.evaluate(f"{PLOT}[0].querySelectorAll('g.xtick text b').length") == 0  # no tag drawn
    text = hover_text(maps, 0, 3, 1)
    assert "#3 a&b" in text and "#1 <b>" in text
    maps.mouse.click(*point(maps, 0, 3, 1))
    wait_rerun(maps)
    maps.get_by_text("clicked name=weights").wait_for()
    assert maps.get_by_text(f"clicked name=weights row=3 col=1 z={values(0)[3, 1]:.4f}").count() == 1
    maps.mouse.move(0, 0)  # no hover band over the cells
    assert_cells(maps, 0)
    kept = "g.hm image, g.cbaxis, g.heatmap-label text, g.xtick, g.ytick"
    assert maps.evaluate(
        f"[...{PLOT}].flatMap(gd => [...gd.querySelectorAll('{kept}')]).every(n => n.__kept)"
    )
    maps.evaluate(f"Promise.all([...{PLOT}].map(gd => Plotly.newPlot(gd, gd.data, gd.layout, gd._context)))")
    assert labels("xtick") == labels("ytick") == [words] * 2


def test_an_export_after_a_repaint_draws_the_new_cells(maps, wait_rerun):
    step_to(maps, wait_rerun, 5)
    url = maps.evaluate(f"Plotly.toImage({PLOT}[1], {{format: 'png', width: 500, height: 400}})")
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")
    pixels = np.asarray(image).reshape(-1, 3).astype(float)
    w = values(5)
    for v in {float(v) for v in w[np.isfinite(w)].ravel()}:  # every value the map holds is painted
        target = np.array(colour_at(SIGNED, v))
        assert (np.abs(pixels - target).max(axis=1) <= TOLERANCE).sum() > 100, f"no cell of colour {target}"
