"""A big map replotted, in Chromium: its cells painted through the colour table, right to the pixel.

A replot of a map of 4,096 cells or more hands Plotly blank cells and paints the real ones itself
(static/live_chart.js, "A big map's cells painted here in a replot too"). The page
(tests/apps/big_canvas_app.py) draws a weights map and a signed map of 80 × 80 cells, then with longer
names (wider margins: a replot). Each check is against the meaning of the cells, computed here: the
colour scale's colour of each value by plain interpolation between its stops (to 2/255 a channel), the
white background where a cell is masked, the values in the plot's public data, the hover's words and
value.
"""

import base64
import io

import numpy as np
import pytest
from PIL import Image

from charts.figures import SIGNED
from harness.browser import open_page
from tests.test_browser_canvas import TOLERANCE, colour_at, hover_text, point, screen

pytestmark = pytest.mark.browser

SCRIPT = "tests/apps/big_canvas_app.py"
PLOT = "document.querySelectorAll('.js-plotly-plot')"
STEP = 7  # every 7th row and column is checked: 132 cells of 80 × 80, some masked


@pytest.fixture
def big(script_app, page):
    open_page(page, script_app, plots=2)
    return page


def values(n):  # as the page: ((5·i + 3·j) mod 11) / 10, NaN above the diagonal
    i, j = np.indices((n, n))
    return np.where(j <= i, ((5 * i + 3 * j) % 11) / 10, np.nan)


def assert_cells(page, n):
    """Checked cells show their value's colour, masked ones the white background; in the weights map a
    row's largest cell (filled orange over its colour) is left out."""
    page.mouse.move(0, 0)  # no hover band over the cells
    shot, w = screen(page), values(n)
    stops = {0: page.evaluate(f"{PLOT}[0]._fullData[0].colorscale"), 1: SIGNED}
    checked = 0
    for k in (0, 1):
        for i in range(0, n, STEP):
            for j in range(0, n, STEP):
                v = w[i, j]
                if k == 0 and v == np.nanmax(w[i]):
                    continue
                x, y = point(page, k, i, j)
                got = shot.getpixel((round(x), round(y)))
                target = (255, 255, 255) if np.isnan(v) else colour_at(stops[k], v)
                off = max(abs(a - b) for a, b in zip(got, target, strict=True))
                assert off <= TOLERANCE, f"map {k} ({i}, {j}) = {v}: drawn {got}, scale says {target}"
                checked += 1
    assert checked > 200


def painted_by(page):  # -> who painted each map's cells in its last replot: "table" or "plotly"
    return page.evaluate(f"[...{PLOT}].map(gd => gd.dataset.cells)")


def test_a_big_map_is_painted_through_the_table_in_its_values_colours(big):
    assert painted_by(big) == ["table", "table"]
    assert_cells(big, 80)


def test_its_public_data_and_hover_hold_every_value(big):
    w = values(80)
    rows = "(a) => Array.from(a, (r) => Array.from(r))"
    z, text, full = big.evaluate(
        f"[{PLOT}[0].data[0].z, {PLOT}[0].data[0].text, {PLOT}[1]._fullData[0].z].map({rows})"
    )
    np.testing.assert_allclose(np.array(z, dtype=float), w, atol=1e-6)  # NaN where masked
    np.testing.assert_allclose(np.array(text, dtype=float), w, atol=1e-6)
    np.testing.assert_allclose(np.array(full, dtype=float), 2 * w - 1, atol=1e-6)
    text = hover_text(big, 1, 61, 23)
    assert "#61 t61" in text and "#23 t23" in text and f"value {2 * w[61, 23] - 1:.6g}" in text


def test_a_replot_is_painted_through_the_table_again(big, wait_rerun):
    big.evaluate(f"{PLOT}.forEach(gd => delete gd.dataset.cells)")  # set again only by a replot
    big.locator(".st-key-long").get_by_text("long names").click()  # wider labels: new margins
    wait_rerun(big)
    big.wait_for_function(f"[...{PLOT}].every(gd => gd.data[0].x[0] === '#0 token-0')")
    assert painted_by(big) == ["table", "table"]
    assert big.evaluate(f"[...{PLOT}].map(gd => gd.dataset.repaints)") == ["0", "0"]  # replotted
    assert_cells(big, 80)
    url = big.evaluate(f"Plotly.toImage({PLOT}[1], {{format: 'png', width: 500, height: 400}})")
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")
    pixels = np.asarray(image).reshape(-1, 3).astype(float)
    for v in (0.0, 0.5, 1.0):  # the export draws the cells too
        target = np.array(colour_at(SIGNED, v))  # the signed map holds 2v - 1 on -1..1: the fraction v
        assert (np.abs(pixels - target).max(axis=1) <= TOLERANCE).sum() > 100, f"no cell of colour {target}"
