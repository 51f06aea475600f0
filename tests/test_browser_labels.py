"""Tick labels in Chromium: no two labels of a map overlap, at 10, 41 and 100 tokens, on the first
screen's three maps, the per-head grid, the concatenated heads and the other maps of the heads; the
difference maps' colour bars read in plain decimals.

A label's box is measured as drawn: its SVG box (`getBBox`) carried to the screen by its transform
(`getScreenCTM`), so a label slanted at 45° is a slanted rectangle. Two labels overlap when these
rectangles intersect (separating-axis test); `getBoundingClientRect` is not used for that, because the
upright box around a slanted label is wider than the label and would overlap its neighbours' boxes
even where the text is well apart.
"""

import itertools
import re

import pytest

from harness.browser import draw_all, open_page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

TOLERANCE = 0.5  # px: a label's box is the font's full line (14 px), its ink a little less
MAPS = ("Scores Q·Kᵀ", "Scaled: ÷", "Softmax weights", "Each head's weights", "Concatenated heads", "W_O",
        "Output", "The projections", "Queries, keys and values", "X:", "weights · V")  # fmt: skip
# For every plot whose title starts with one of `prefixes`: its title, how many labels each axis
# draws, and the deepest overlap of two labels of one axis (negative: the gap between the closest).
OVERLAPS = """(prefixes) => {
  const quad = (t) => {
    const b = t.getBBox(), m = t.getScreenCTM();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
      .map(([x, y]) => { const p = new DOMPoint(x, y).matrixTransform(m); return [p.x, p.y]; });
  };
  const depth = (P, Q) => {
    let least = Infinity;
    for (const poly of [P, Q]) for (let i = 0; i < 4; i++) {
      const [x1, y1] = poly[i], [x2, y2] = poly[(i + 1) % 4];
      const len = Math.hypot(y1 - y2, x2 - x1);
      if (!len) continue;
      const along = (R) => R.map(([x, y]) => (x * (y1 - y2) + y * (x2 - x1)) / len);
      const a = along(P), c = along(Q);
      const overlap = Math.min(Math.max(...a), Math.max(...c)) - Math.max(Math.min(...a), Math.min(...c));
      least = Math.min(least, overlap);
    }
    return least;
  };
  return [...document.querySelectorAll('.js-plotly-plot')]
    .filter(g => g._fullLayout && prefixes.some(p => g._fullLayout.title.text.startsWith(p)))
    .map(g => {
      const axes = [...g.querySelectorAll('.xaxislayer-above, .yaxislayer-above')].map(layer => {
        const texts = [...layer.querySelectorAll('text')].filter(t => t.textContent);
        const quads = texts.map(quad);
        let worst = -Infinity, pair = null;
        for (let i = 0; i < quads.length; i++) for (let j = i + 1; j < quads.length; j++) {
          const d = depth(quads[i], quads[j]);
          if (d > worst) { worst = d; pair = [texts[i].textContent, texts[j].textContent]; }
        }
        return {labels: texts.length, worst, pair};
      });
      return {title: g._fullLayout.title.text, axes};
    });
}"""


def open_drawn(page, url):
    open_page(page, url)
    page.wait_for_timeout(500)  # the last plot's labels


@pytest.mark.parametrize("n", [10, 41, 100])
def test_no_two_tick_labels_overlap(page_at, app_server, n):
    page = page_at(1440, 5200)  # tall enough for the whole tab, at the width the maps are sized for
    words = "+".join(f"w{i}" for i in range(n))
    expected = {"Scores Q·Kᵀ", "Scaled: ÷", "Softmax weights", "Concatenated heads", "W_O"}
    expected |= {"Each head's weights"} if n <= 48 else set()  # above 48 tokens the grid gives way
    open_page(page, f"{app_server}/?s={words}&h=4&dm=16&comb=1")  # the heads' combination open
    plots = []  # read at each stop while scrolling through: a stage far below is built only near it

    def visit(p):
        p.wait_for_timeout(500)  # the last plot's labels
        plots.extend(p.evaluate(OVERLAPS, list(MAPS)))

    draw_all(page, visit=visit)
    drawn = {p["title"] for p in plots}
    assert all(any(t.startswith(e) for t in drawn) for e in expected), drawn
    for plot in plots:
        labelled = [a for a in plot["axes"] if a["labels"] > 1]
        assert labelled, plot["title"]  # every map names its rows or columns
        for ax in labelled:
            assert ax["worst"] <= TOLERANCE, (plot["title"], ax)
    grid = next((p for p in plots if p["title"] == "Each head's weights"), None)
    if grid is not None:  # token labels under the bottom maps and beside the first column
        assert sum(a["labels"] > 1 for a in grid["axes"]) == 4 + 1


# The per-head grid's titles as drawn, its maps' ("head 0", ..) then its axes': [text, left, right, top,
# bottom] each.
GRID_TITLES = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .filter(g => g._fullLayout?.title.text === "Each head's weights")
  .flatMap(g => [...g.querySelectorAll('.annotation-text'), ...[...g.querySelectorAll('.infolayer text')]
    .filter(t => /^[xy]\\d*title$/.test(t.getAttribute('class')))].map(t => {
      const b = t.getBoundingClientRect();
      return [t.textContent, b.left, b.right, b.top, b.bottom];
    }))"""


def test_on_a_phone_the_head_grid_labels_and_titles_stay_apart(page_at, app_server):
    """Four heads' maps side by side on a phone, each about 55 px wide: the labels are fitted to that
    size in the browser and the titles are small enough not to run into each other."""
    phone = page_at(390, 844, is_mobile=True, has_touch=True)
    words = "+".join(["the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog"])
    open_page(phone, f"{app_server}/?s={words}&h=4")
    grid = "[class*=st-key-live_grid]"
    phone.evaluate("document.querySelector('.st-key-near_s4').scrollIntoView()")  # its stage, built near
    phone.wait_for_function(f"() => document.querySelector('{grid}')")
    phone.evaluate(f"document.querySelector('{grid}').scrollIntoView()")
    phone.wait_for_function(f"() => document.querySelector('{grid} .js-plotly-plot')?._fullLayout")
    phone.wait_for_timeout(500)  # its labels fitted
    (plot,) = phone.evaluate(OVERLAPS, ["Each head's weights"])
    labelled = [a for a in plot["axes"] if a["labels"] > 1]
    assert len(labelled) == 4 + 1  # under each map, and beside the first
    for ax in labelled:
        assert ax["worst"] <= TOLERANCE, ax
    titles = phone.evaluate(GRID_TITLES)
    assert [t[0] for t in titles[:4]] == [f"head {h}" for h in range(4)]
    assert sorted(t[0] for t in titles[4:]) == ["key (1 in 2 labelled)", "query"]  # each axis title once
    for (_, left, right, top, bottom), (_, left2, right2, top2, bottom2) in itertools.combinations(titles, 2):
        assert right <= left2 or right2 <= left or bottom <= top2 or bottom2 <= top, titles  # apart


def test_the_concatenation_is_drawn_with_a_line_between_heads(page, app_server):
    open_drawn(page, f"{app_server}/?h=4&dm=16&comb=1")
    concat = page.evaluate(
        """() => { const g = [...document.querySelectorAll('.js-plotly-plot')]
                   .find(e => e._fullLayout.title.text.startsWith('Concatenated heads'));
                   const ticks = [...g.querySelectorAll('.xaxislayer-above text')].map(t => t.textContent);
                   return {lines: g.querySelectorAll('.shapelayer path').length, ticks}; }"""
    )
    assert concat["lines"] == 3  # 4 heads of 16 columns: a line between each two
    assert concat["ticks"][0] == "h0 d0" and {"h1 d0", "h2 d0", "h3 d0"} <= set(concat["ticks"])


def test_difference_colour_bars_read_in_plain_decimals(page, app_server, wait_rerun):
    open_page(page, f"{app_server}/?tab=Compare")
    page.get_by_role("button", name="Pin this state").click()
    wait_rerun(page)
    box = page.locator(".st-key-sentence input")
    box.fill("The weather is gloomy today in Melbourne")
    box.press("Enter")
    wait_rerun(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')]"
        ".filter(g => g._fullLayout && g._fullLayout.title.text.endsWith('after − before')).length === 3"
    )
    bars = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')]
           .filter(g => g._fullLayout.title.text.endsWith('after − before'))
           .map(g => [...g.querySelectorAll('.colorbar text, .cbaxis text')].map(t => t.textContent))"""
    )
    assert len(bars) == 3 and all(len(b) >= 3 for b in bars), bars
    for text in (t for b in bars for t in b):
        assert re.fullmatch(r"[−-]?\d+(\.\d+)?(e[−+-]?\d+)?", text), text  # 0.2, −10, 1e-16: no "µ" or "f"
