"""Debian's Chromium under Playwright, and when a page of the app is ready to be read.

Two ready states, each named once: IDLE, the app's script has finished (Streamlit marks its root
element), and CHARTS_DRAWN, every chart near the screen is drawn: each in-place chart component's plots
(static/live_chart.js; one far from the screen waits, data-waiting, until it is scrolled near) and
every other Plotly plot have their laid-out data, their SVG, and, for each heatmap, its painted
image. Plots are drawn after the script ends, so both are needed.
"""

import shutil
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
# At least n plots, each drawn or waiting far from the screen, and each chart near it drawn.
CHARTS_DRAWN = """(n) => {
    const drawn = (g) => !!(g && g._fullData && g._fullLayout && g.querySelector('.main-svg')
        && g._fullData.every(t => t.type !== 'heatmap' || g.querySelector('.hm image')));
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    const waiting = [...document.querySelectorAll('.lc-root[data-waiting]')];  // far from the screen
    const roots = [...document.querySelectorAll('.lc-root:not([data-waiting])')];
    const figures = roots.flatMap(r => [...r.children]);
    const never = waiting.filter(r => !r.querySelector('.js-plotly-plot')).length;  // waiting, never drawn
    return plots.length + never >= n && plots.every(drawn) && roots.every(r => r.children.length > 0)
        && figures.every(f => drawn(f.querySelector('.js-plotly-plot')));
}"""
READY = ("idle", "charts")


def chromium_path():  # -> str | None, Debian's Chromium; Playwright never downloads a browser here
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")


def launch(playwright):  # sync Playwright -> Browser, headless Chromium
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)


def wait_drawn(page, plots=1):
    """Wait until at least `plots` plots are on the page and every chart near the screen is drawn."""
    page.wait_for_function(CHARTS_DRAWN, arg=plots, polling=100)


SCROLLED = """(top) => {  // -> [top, height in view, height] of the page's scrolling area after the scroll
    const main = document.querySelector('[data-testid=stMain]') ?? document.scrollingElement;
    main.scrollTo(0, top);
    return [main.scrollTop, main.clientHeight, main.scrollHeight];
}"""
SCROLL_SETTLE_MS = 400  # a part of a tab scrolled near is asked for after 120 ms (static/near.js)
# The parts of a tab built only near the screen (views/near.py): {key: built} as the page is now.
PARTS = """() => Object.fromEntries([...document.querySelectorAll('[class*="st-key-near_"]')].map(
    (e) => [[...e.classList].find((c) => c.startsWith('st-key-near_')), e.children.length > 0]))"""


def draw_all(page, visit=None):
    """Scroll through the page a screenful at a time, from the top to the bottom and back, waiting at
    each stop until every chart near the screen is drawn: as a visitor who scrolls through the page
    sees it. A chart far from the screen waits (static/live_chart.js), and a part of a tab far from it
    is left out (views/near.py), so the page never holds every chart at once: `visit(page)`, if given,
    is called at each stop to read what is drawn then. Every part left out must have been built at
    some stop (AssertionError otherwise: the page did not scroll, or a part was never built)."""
    top, built = 0, {}
    while True:
        page.evaluate(SCROLLED, top)
        page.wait_for_timeout(SCROLL_SETTLE_MS)
        page.wait_for_selector(IDLE)
        wait_drawn(page)
        if visit:
            visit(page)
        for key, now in page.evaluate(PARTS).items():
            built[key] = built.get(key, False) or now
        top, view, height = page.evaluate(SCROLLED, top)  # where it stopped, the page's height now
        if top + view >= height - 1:  # the bottom reached
            break
        top += view
    never = sorted(key for key, was in built.items() if not was)
    assert not never, f"parts never built while scrolling through the page: {never}"
    page.evaluate(SCROLLED, 0)
    page.wait_for_timeout(SCROLL_SETTLE_MS)
    page.wait_for_selector(IDLE)


def rerun_finished(page):
    """Wait for the rerun an interaction started: give it time to begin, then for the script to end."""
    page.wait_for_timeout(200)
    page.wait_for_selector(IDLE)


def open_page(page, url, ready="charts", plots=1):
    """Go to url and wait until the script has finished and, for ready="charts", at least `plots` plots
    are on the page and every chart is drawn (then until any rerun the drawing started has ended)."""
    if ready not in READY:
        raise ValueError(f"ready must be one of {READY}, not {ready!r}")
    page.goto(url)
    page.wait_for_selector(IDLE)
    if ready == "charts":
        wait_drawn(page, plots)
        page.wait_for_selector(IDLE)
