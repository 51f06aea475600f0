"""The in-place chart component in Chromium: plots kept across reruns, linked hover, clicks, safe labels.

The test page (tests/apps/live_chart_app.py) draws four maps on the same tokens; cell (i, j) of the
first holds step + i/10 + j/100, the second its negative, the third the first with the cells above
the diagonal masked, the fourth the first again in a hover group of its own. The first two are one
`draw` call side by side, the third and fourth a call each. The page is served from the repository
with its .streamlit/config.toml, as the app is.
"""

import pytest

from harness.browser import open_page

pytestmark = pytest.mark.browser

SCRIPT = "tests/apps/live_chart_app.py"
PLOTS = ".js-plotly-plot"
HOSTILE = '<b>x</b> <img src=x onerror=alert(1)> <a href="http://e.com">l</a>'
DRAWN = f"n => [...document.querySelectorAll('{PLOTS}')].filter(g => g._fullData).length === n"


@pytest.fixture
def charts(script_app, page):
    """The page, opened and with its four maps drawn."""
    open_page(page, script_app)
    page.wait_for_function(DRAWN, arg=4)
    return page


def cell_point(page, figure, row, col):  # -> (x, y) page pixels of a cell's centre
    return page.evaluate(
        """([k, row, col]) => {
            const gd = document.querySelectorAll('.js-plotly-plot')[k];
            const box = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            return [box.left + xa._offset + xa.l2p(col), box.top + ya._offset + ya.l2p(row)];
        }""",
        [figure, row, col],
    )


def z_cell(page, figure, row, col):
    return page.evaluate(
        "([k, i, j]) => document.querySelectorAll('.js-plotly-plot')[k]._fullData[0].z[i][j]",
        [figure, row, col],
    )


def step_slider(page, wait_rerun):
    page.locator(".st-key-step").get_by_role("slider").focus()
    page.keyboard.press("ArrowRight")
    wait_rerun(page)


def test_a_data_change_redraws_the_same_plot_nodes(charts, wait_rerun, page_log):
    charts.evaluate(f"document.querySelectorAll('{PLOTS}').forEach((g, k) => {{ g.__tag = k; }})")
    assert z_cell(charts, 0, 2, 3) == pytest.approx(1.23, abs=1e-6)
    step_slider(charts, wait_rerun)
    charts.wait_for_function(
        f"Math.abs(document.querySelector('{PLOTS}')._fullData[0].z[2][3] - 2.23) < 1e-6"
    )
    tags = charts.evaluate(f"[...document.querySelectorAll('{PLOTS}')].map(g => g.__tag)")
    assert tags == [0, 1, 2, 3]  # the very same nodes, no new ones
    assert z_cell(charts, 1, 2, 3) == pytest.approx(-2.23, abs=1e-6)
    assert z_cell(charts, 2, 4, 1) == pytest.approx(2.41, abs=1e-6)
    assert charts.evaluate(f"Number.isNaN(document.querySelectorAll('{PLOTS}')[2]._fullData[0].z[0][1])")
    assert page_log["errors"] == []


def visible_bands(page, figure):  # -> list of [left, top, width, height] of shown highlight bands
    return page.evaluate(
        """k => [...document.querySelectorAll('.lc-fig')[k].querySelectorAll('.lc-band')]
            .filter(b => b.style.display === 'block')
            .map(b => [parseFloat(b.style.left), parseFloat(b.style.top),
                       parseFloat(b.style.width), parseFloat(b.style.height)])""",
        figure,
    )


def inside(point, band):  # (x, y) relative to the plot, [left, top, width, height] -> bool
    return band[0] <= point[0] <= band[0] + band[2] and band[1] <= point[1] <= band[1] + band[3]


def test_hovering_a_cell_outlines_its_row_and_column_in_every_map_of_its_group(charts):
    x, y = cell_point(charts, 0, 2, 3)
    charts.mouse.move(x, y)
    charts.wait_for_function(
        "document.querySelectorAll('.lc-fig')[2].querySelectorAll('.lc-band').length === 2"
    )
    assert visible_bands(charts, 3) == []  # the fourth map is in a group of its own
    for k in (1, 2):  # the same call, and another call in the default group
        bands = visible_bands(charts, k)
        assert len(bands) == 2
        top = charts.evaluate(f"document.querySelectorAll('{PLOTS}')[{k}].getBoundingClientRect().top")
        left = charts.evaluate(f"document.querySelectorAll('{PLOTS}')[{k}].getBoundingClientRect().left")
        cx, cy = cell_point(charts, k, 2, 3)
        ox, oy = cell_point(charts, k, 0, 0)
        row_band = next(b for b in bands if b[2] > b[3])  # wider than tall
        col_band = next(b for b in bands if b[3] > b[2])
        assert inside((cx - left, cy - top), row_band) and inside((cx - left, cy - top), col_band)
        assert not inside((cx - left, oy - top), row_band)  # row 0 is not outlined
        assert not inside((ox - left, cy - top), col_band)  # column 0 is not outlined
    charts.mouse.move(5, 5)
    charts.wait_for_function(
        "![...document.querySelectorAll('.lc-band')].some(b => b.style.display === 'block')"
    )


def test_a_click_on_a_cell_reaches_python(charts, wait_rerun):
    x, y = cell_point(charts, 1, 4, 1)
    charts.mouse.move(x, y)
    charts.mouse.click(x, y)
    wait_rerun(charts)
    charts.get_by_text("clicked figure=1 name=second row=4 col=1").wait_for()
    assert charts.get_by_text("clicked z=-1.4100").count() == 1
    assert charts.get_by_text("callback row=4").count() == 1


def test_a_click_on_a_single_figure_names_it_after_its_key(charts, wait_rerun):
    x, y = cell_point(charts, 2, 3, 1)
    charts.mouse.move(x, y)
    charts.mouse.click(x, y)
    wait_rerun(charts)
    charts.get_by_text("clicked figure=0 name=third row=3 col=1").wait_for()
    assert charts.get_by_text("clicked z=1.3100").count() == 1
    assert charts.get_by_text("callback row=").count() == 0  # that call has no on_click


def test_hostile_labels_are_shown_as_text(charts, wait_rerun, page_log):
    charts.evaluate(f"document.querySelectorAll('{PLOTS}').forEach(g => {{ g.__kept = true; }})")
    box = charts.locator(".st-key-words input")
    box.fill(HOSTILE)
    box.press("Enter")
    wait_rerun(charts)
    charts.wait_for_function(f"document.querySelector('{PLOTS}')._fullData[0].z.length === 6")
    assert charts.evaluate(f"[...document.querySelectorAll('{PLOTS}')].every(g => g.__kept)")
    injected = charts.evaluate(
        f"[...document.querySelectorAll('{PLOTS}')].map(g => "
        "g.querySelectorAll('b, img, a:not(.modebar-btn), script, iframe').length)"
    )
    assert injected == [0, 0, 0, 0]
    ticks = charts.evaluate(
        f"[...document.querySelector('{PLOTS}').querySelectorAll('.yaxislayer-above text')]"
        ".map(t => t.textContent)"
    )
    assert ticks == HOSTILE.split()
    charts.wait_for_timeout(500)
    assert page_log["dialogs"] == [] and page_log["errors"] == []


def test_png_export_in_the_modebar_and_no_streamlit_plotly_bundle(charts):
    buttons = charts.evaluate(
        f"[...document.querySelectorAll('{PLOTS}')].map(g => "
        "g.querySelectorAll('.modebar-btn[data-title=\"Download plot as a PNG\" i]').length)"
    )
    assert buttons == [1, 1, 1, 1]
    names = charts.evaluate(
        f"[...document.querySelectorAll('{PLOTS}')].map(g => g._context.toImageButtonOptions.filename)"
    )
    assert names == ["First_map", "Second_map", "Third_map", "Fourth_map"]
    scripts = charts.evaluate("performance.getEntriesByType('resource').map(r => r.name)")
    assert [s for s in scripts if "plotly" in s.lower()] == [
        s for s in scripts if s.endswith("/app/static/plotly.min.js")
    ]
    assert len([s for s in scripts if s.endswith("/app/static/plotly.min.js")]) == 1


def test_plots_follow_the_width_of_their_container(charts):
    third = f"document.querySelectorAll('{PLOTS}')[2]"  # a call of its own: the page's whole width
    before = charts.evaluate(f"{third}._fullLayout.width")
    charts.set_viewport_size({"width": 520, "height": 2000})
    charts.wait_for_function(f"{third}._fullLayout.width < {before} - 50")
    inner = charts.evaluate("document.querySelectorAll('.lc-root')[2].clientWidth")
    assert abs(charts.evaluate(f"{third}._fullLayout.width") - inner) <= 2


def test_two_figures_of_one_call_sit_side_by_side(charts):
    boxes = charts.evaluate(
        f"[...document.querySelectorAll('{PLOTS}')].map(g => {{ const b = g.getBoundingClientRect(); "
        "return [b.left, b.top, b.width]; })"
    )
    (first, second, third, _) = boxes
    assert second[0] >= first[0] + first[2] - 1 and abs(second[1] - first[1]) < 1  # columns=2
    assert third[1] > first[1] and third[2] > 1.5 * first[2]  # below, and the whole width
