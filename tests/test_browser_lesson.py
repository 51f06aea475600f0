"""The guided lesson in a real browser: from its link to the end, one prediction clicked, a phone's width."""

import pytest

from attention import run
from harness.browser import open_page
from views.lesson_steps import STEPS

pytestmark = pytest.mark.browser

PANEL = ".st-key-lesson"
WEIGHT_TICKS = """() => {
    const el = [...document.querySelectorAll('.js-plotly-plot')]
        .find(e => e.layout.title.text === 'Softmax weights');
    return el ? [...el.querySelectorAll('.xaxislayer-above text')].map(t => t.textContent) : [];
}"""


SHOWS = "([selector, text]) => (document.querySelector(selector)?.innerText ?? '').includes(text)"


def panel_shows(page, text):
    """Wait until the lesson's panel shows `text` (elements arrive after the script state changes)."""
    page.wait_for_function(SHOWS, arg=[PANEL, text], polling=100)
    return True


def open_step(page, base, n):
    open_page(page, f"{base}/?tour={n}")
    panel_shows(page, f"step {n} of {len(STEPS)}")


def panel_text(page):
    return page.locator(PANEL).inner_text()


def test_the_lesson_from_its_link_to_the_end_with_a_prediction_clicked(
    app_server, page, page_log, wait_rerun
):
    i = [n for n, s in enumerate(STEPS) if s.question and s.question.kind == "top_key"][0]
    full = run(STEPS[i].settings.replace(**STEPS[i].question.reveal))
    row = full.attention.weights[0][full.tokens.index("it")]
    top = full.tokens[int(row.argmax())]
    open_step(page, app_server, 1)
    for n, step in enumerate(STEPS):
        assert panel_shows(page, f"step {n + 1} of {len(STEPS)}") and step.title in panel_text(page)
        if n == i:
            assert "it" not in page.evaluate(WEIGHT_TICKS)
            page.locator(f"{PANEL} [data-testid=stButtonGroup] button", has_text=top).first.click()
            wait_rerun(page)
            page.wait_for_function(f"() => ({WEIGHT_TICKS})().includes('it')", polling=100)
            assert panel_shows(page, "Right: you predicted") and panel_shows(page, "1 right, 0 wrong")
        if n + 1 < len(STEPS):
            page.locator(PANEL).get_by_role("button", name="Next →").click()
            wait_rerun(page)
            page.wait_for_function(
                f"() => document.querySelector('{PANEL}').innerText.includes('step {n + 2} of')"
            )
    page.locator(PANEL).get_by_role("button", name="Finish").click()
    wait_rerun(page)
    page.wait_for_selector(PANEL, state="detached")
    assert page.get_by_role("button", name="Guided lesson").count() == 1
    assert not page_log["errors"] and not page_log["dialogs"]


@pytest.mark.parametrize("n", [3, 10])
def test_the_lesson_fits_a_phone(app_server, page_at, n):
    page = page_at(390, 844)
    open_step(page, app_server, n)
    panel_shows(page, "Leave the lesson")
    page.wait_for_timeout(500)  # the charts lay themselves out after the script ends
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator(PANEL).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    for name in ("Next →" if n < len(STEPS) else "Finish", "Leave the lesson"):
        button = page.locator(PANEL).get_by_role("button", name=name).bounding_box()
        assert button["x"] >= 0 and button["x"] + button["width"] <= 390, name
