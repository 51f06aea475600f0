"""The page in a real browser: what a visitor sees after loading, typing and moving a slider.

Numbers are read from the live Plotly figures (`el._fullData`), labels from the drawn tick text,
and both are compared with the package run in this process on the same settings. Figures are
found by their titles, so the tests follow what the page says rather than its layout.
"""

import contextlib
import os
import struct
import urllib.parse
from pathlib import Path

import numpy as np
import pytest

from attention import PAD, Settings, run
from harness.browser import draw_all, open_page, wait_drawn

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser fixture skips (or fails) every test here
    PlaywrightTimeout = Exception

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

ROOT = Path(__file__).resolve().parents[1]
# The README's picture is rewritten only on request (ATTENTION_UPDATE_SCREENSHOT=1), so that a test
# run leaves the checkout clean; otherwise the screenshot goes to the ignored test-artifacts/ folder.
SCREENSHOT = (
    ROOT
    / ("docs" if os.environ.get("ATTENTION_UPDATE_SCREENSHOT") == "1" else "test-artifacts")
    / "screenshot.png"
)
DEFAULT_TITLES = {  # the first screen and the "Step by step" tab, default settings: title -> traces
    "Scores Q·Kᵀ": 1,
    "Scaled: ÷4": 1,
    "Softmax weights": 1,
    "X: 7 tokens × d_model = 16": 1,
    "The projections, each d_model × d_k = 16 × 16": 3,  # W_Q, W_K, W_V side by side
    "Queries, keys and values, each 7 tokens × d_k = 16": 3,  # Q, K, V
    "Mask (1 = may attend)": 1,
    "Scaled scores after the mask": 1,
    "weights · V (head 0)": 1,
}
HOSTILE = '<b>bold</b> <a href="https://example.com">x</a> <img src=x onerror=alert(1)>'

FIGURES = """() => [...document.querySelectorAll('.js-plotly-plot')].map(el => ({
    title: el.layout.title.text,
    traces: el._fullData.length,
    types: el._fullData.map(t => t.type),
}))"""
FIGURE = """(title) => {
    const el = [...document.querySelectorAll('.js-plotly-plot')].find(e => e.layout.title.text === title);
    if (!el || !el._fullData) return null;
    return {
        z: el._fullData[0].z.map(row => Array.from(row)),
        text: el._fullData[0].text ? el._fullData[0].text.map(row => Array.from(row)) : null,
        ticks: [...el.querySelectorAll('.xaxislayer-above text')].map(t => t.textContent),
        rows: [...el.querySelectorAll('.yaxislayer-above text')].map(t => t.textContent),
    };
}"""
HAS_TITLE = "(t) => [...document.querySelectorAll('.js-plotly-plot')].some(e => e.layout.title.text === t)"
TICKS_ARE = """([title, labels]) => {
    const el = [...document.querySelectorAll('.js-plotly-plot')].find(e => e.layout.title.text === title);
    const ticks = el ? [...el.querySelectorAll('.xaxislayer-above text')].map(t => t.textContent) : [];
    return JSON.stringify(ticks) === JSON.stringify(labels);
}"""


def open_app(page, base, query="", n_figures=None):
    """Load the page and wait until the script has finished and every chart is drawn."""
    open_page(page, f"{base}/{query}", plots=n_figures or len(DEFAULT_TITLES))


def figure(page, title):  # -> {"z": [[float]], "ticks": [str], "rows": [str]}
    data = page.evaluate(FIGURE, title)
    assert data is not None, f"no chart titled {title!r}; the page has {page.evaluate(FIGURES)}"
    return data


def wait_for_ticks(page, title, labels):
    """Charts are redrawn after the script ends: wait for the expected labels, then check them."""
    with contextlib.suppress(PlaywrightTimeout):  # the assertion says what is there instead
        page.wait_for_function(TICKS_ARE, arg=[title, labels], polling=100, timeout=30_000)
    assert figure(page, title)["ticks"] == labels


def as_f32(z):  # [[float]] -> float32 [rows, cols]
    return np.asarray(z, dtype=np.float32)


def query(settings):  # Settings -> str, the URL query for the settings that differ from the defaults
    from exchange.share import to_params

    return "?" + urllib.parse.urlencode(to_params(settings))


def test_default_page_draws_every_heatmap_without_errors(page, page_log, app_server):
    open_app(page, app_server)
    assert page.locator("[data-testid=stException]").count() == 0
    drawn = {f["title"]: f["traces"] for f in page.evaluate(FIGURES)}
    assert {title: n for title, n in drawn.items() if title in DEFAULT_TITLES} == DEFAULT_TITLES
    assert set(drawn) - set(DEFAULT_TITLES) == {"Line view: where each word looks"}
    assert page_log == {"errors": [], "dialogs": []}


def test_default_tokens_are_the_score_labels_and_values(page, app_server):
    open_app(page, app_server)
    trace = run(Settings())
    shown = figure(page, "Scores Q·Kᵀ")
    assert shown["ticks"] == shown["rows"] == list(trace.tokens)
    assert PAD not in shown["ticks"]  # the sequence follows the sentence
    np.testing.assert_array_equal(as_f32(shown["z"]), trace.attention.scores[0].astype(np.float32))
    weights = as_f32(figure(page, "Softmax weights")["text"])
    np.testing.assert_array_equal(weights, trace.attention.weights[0].astype(np.float32))
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-6)


def test_a_repeated_word_keeps_its_own_column(page, app_server):
    settings = Settings(sentence="the cat sat on the mat")
    open_app(page, app_server, query(settings))
    shown = figure(page, "Scores Q·Kᵀ")
    assert shown["ticks"] == ["the", "cat", "sat", "on", "the", "mat"]
    assert as_f32(shown["z"]).shape == (6, 6)
    assert page.get_by_text("Showing 6 tokens.").count() == 1


def test_typing_a_sentence_redraws_labels_and_matrices(page, page_log, app_server, wait_rerun):
    open_app(page, app_server)
    sentence = "a dog chased the ball across the park"
    box = page.locator(".st-key-sentence input")
    box.fill(sentence)
    box.press("Enter")
    wait_rerun(page)
    trace = run(Settings(sentence=sentence))
    wait_for_ticks(page, "Scores Q·Kᵀ", list(trace.tokens))
    for title, matrix in (
        ("Scores Q·Kᵀ", trace.attention.scores[0]),
        ("Scaled: ÷4", trace.attention.scaled[0]),
    ):
        np.testing.assert_array_equal(as_f32(figure(page, title)["z"]), matrix.astype(np.float32))
    assert page.get_by_text("Showing 8 tokens.", exact=False).count() == 1
    assert page_log["errors"] == []


def test_typing_an_exact_d_k_rescales_by_one_over_root_d_k(page, app_server, wait_rerun):
    open_app(page, app_server)
    before = run(Settings())
    np.testing.assert_array_equal(
        as_f32(figure(page, "Scaled: ÷4")["z"]), before.attention.scaled[0].astype(np.float32)
    )
    exact = page.locator(".st-key-d_k input")  # the exact value beside the powers of two
    exact.fill("17")
    exact.press("Enter")
    wait_rerun(page)
    page.get_by_text("for d_k = 17").wait_for()
    wait_drawn(page, len(DEFAULT_TITLES))
    title = "Scaled: ÷4.12"
    page.wait_for_function(HAS_TITLE, arg=title, polling=100)
    after = run(Settings(d_k=17))
    scores, scaled = as_f32(figure(page, "Scores Q·Kᵀ")["z"]), as_f32(figure(page, title)["z"])
    np.testing.assert_allclose(scaled, scores / np.sqrt(17), rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(scaled, after.attention.scaled[0], rtol=2e-6, atol=1e-7)
    assert not np.allclose(scaled, before.attention.scaled[0])
    assert page.get_by_text("÷√d_k = ÷4.12").count() == 1


def test_markup_in_a_sentence_is_shown_literally(page, page_log, app_server, wait_rerun):
    open_app(page, app_server)
    box = page.locator(".st-key-sentence input")
    box.fill(HOSTILE)
    box.press("Enter")
    wait_rerun(page)
    tokens = HOSTILE.split()
    wait_for_ticks(page, "Scores Q·Kᵀ", tokens)
    wait_drawn(page, len(DEFAULT_TITLES) - 1)
    chips = page.locator("[data-testid=stMain] [data-testid=stMarkdownContainer] code")
    assert chips.all_text_contents()[: len(tokens)] == tokens
    bold = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stMain] *')].filter(el =>
            el.textContent.trim() === 'bold' && (el.tagName.toLowerCase() === 'b'
            || getComputedStyle(el).fontWeight === 'bold' || Number(getComputedStyle(el).fontWeight) >= 600)
        ).length"""
    )
    assert bold == 0
    assert page.locator("a[href='https://example.com']").count() == 0
    assert page.evaluate("document.querySelectorAll('[*|href*=\"example.com\"]').length") == 0
    assert page.locator("img[src=x]").count() == 0
    assert page_log == {"errors": [], "dialogs": []}


def test_markup_in_the_scaling_labs_table_is_shown_literally(page, page_log, app_server):
    """The table of each row's measures renders Markdown in its cells: the words stay literal."""
    query = urllib.parse.urlencode({"tab": "Scaling lab", "s": HOSTILE + " **x** $y$"})
    open_page(page, f"{app_server}/?{query}", plots=3)
    table = page.locator("[data-testid=stMain] [data-testid=stTable]")
    words = table.evaluate("t => [...t.querySelectorAll('tbody tr')].map(r => r.cells[0].innerText.trim())")
    assert words == HOSTILE.split() + ["**x**", "$y$"]
    assert table.locator("b, strong, a, img, .katex").count() == 0
    assert page_log == {"errors": [], "dialogs": []}


def test_the_longest_sequence_still_draws(page, page_log, app_server):
    expected = {title.replace("7 ", "512 "): n for title, n in DEFAULT_TITLES.items()}
    del expected["Scaled scores after the mask"]  # not drawn again above 64 tokens
    open_app(page, app_server, "?n=512", n_figures=3)  # the stages far below are built when scrolled near
    drawn, errors = {}, []  # at 512 tokens weights · V sits below 6000 px: built and drawn when scrolled near

    def visit(p):
        drawn.update({f["title"]: f["traces"] for f in p.evaluate(FIGURES)})
        errors.append(p.locator("[data-testid=stException]").count())

    draw_all(page, visit=visit)
    assert page.get_by_text("Showing 7 tokens + 505 padding.", exact=False).count() == 1
    assert errors and max(errors) == 0
    assert set(expected) <= set(drawn)
    shown = figure(page, "Softmax weights")
    assert as_f32(shown["z"]).shape == (512, 512)
    assert 0 < len(shown["ticks"]) <= 40  # sparse labels: hundreds of tick labels freeze the browser
    assert page_log["errors"] == []


def png_size(path):  # Path -> (width, height)
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def test_screenshot_of_the_first_screen(page_at, app_server):
    page = page_at(1440, 900)
    open_app(page, app_server, n_figures=3)  # the first screen's three maps
    page.wait_for_timeout(1000)  # let the charts' fonts and colour bars settle
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOT)
    assert png_size(SCREENSHOT) == (1440, 900)
    assert SCREENSHOT.stat().st_size > 100_000  # the coloured heatmaps, not a blank page


def test_opening_how_the_heads_combine_draws_w_o_keeps_it_in_the_link_and_across_tabs(
    page, app_server, wait_rerun
):
    """A click on the expander draws the concatenation, W_O and the output (shut, they are not sent),
    writes comb=1 into the address, and the expander is still open after a visit to another tab."""
    open_page(page, f"{app_server}/?h=2", plots=3)
    w_o = "W_O: 32 × 16"
    assert not page.evaluate(HAS_TITLE, w_o)
    page.get_by_text("How the heads combine").click()
    wait_rerun(page)
    page.wait_for_function(HAS_TITLE, arg=w_o)
    assert "comb=1" in page.url
    page.get_by_role("tab", name="Scaling lab").click()
    wait_rerun(page)
    page.get_by_role("tab", name="Step by step").click()
    wait_rerun(page)
    page.wait_for_function(HAS_TITLE, arg=w_o)  # drawn again, open as it was left
    assert "comb=1" in page.url
