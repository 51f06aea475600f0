"""The Pretrained model tab in Chromium: the classic sentence opens its best head, the line view draws
the head's weights as lines, hovering a token shows only its lines, a bar of the ranking opens a head.

The expected numbers come from the model itself, the float32 pass the page draws; without the
model package the tests are skipped, or fail when ATTENTION_REQUIRE_REFERENCE=1.
"""

import os
import urllib.parse

import pytest

from charts.lines import THRESHOLD, WIDTH
from harness.browser import open_page

pytestmark = [pytest.mark.browser, pytest.mark.model]

EXAMPLE = "The animal didn't cross the street because it was too tired"
SHOT = "/tmp/pretrained-tab.png"  # looked at by hand, never part of the repository
FIGURE = """title => {
    const gd = [...document.querySelectorAll('.js-plotly-plot')]
        .find(g => g._fullLayout && (g._fullLayout.title.text || '').startsWith(title));
    return gd ? gd : null;
}"""
LINES = f"""() => {{
    const gd = ({FIGURE})('Lines');
    const groups = new Map([...gd.querySelectorAll('.shape-group[data-index]')]
        .map(g => [+g.dataset.index, g]));
    return gd._fullLayout.shapes.map((s, i) => {{
        const [h, q, k] = s.name.split(' ').map(p => +p.slice(1));
        return {{q, k, head: h, width: s.line.width,
                 faded: groups.get(i)?.style.opacity === '0.06'}};
    }});
}}"""


@pytest.fixture(scope="module")
def trace():  # the classic sentence through the model, for the expected numbers
    try:
        from exchange.checkpoint import load
        from views.traces import DRAWING

        return load().run(EXAMPLE, dtype=DRAWING)  # the float32 pass the page draws
    except ImportError as error:
        if os.environ.get("ATTENTION_REQUIRE_REFERENCE") == "1":
            pytest.fail(f"ATTENTION_REQUIRE_REFERENCE=1 but the model is missing: {error}")
        pytest.skip(f"the model package is missing: {error}")


def title_of(page, prefix):  # -> str, the title of the first figure whose title starts with prefix
    return page.evaluate(f"p => ({FIGURE})(p)?._fullLayout.title.text ?? null", prefix)


@pytest.fixture
def classic(app_server, page, wait_rerun):
    """The tab opened from its address, then the classic example clicked."""
    open_page(page, f"{app_server}/?tab={urllib.parse.quote_plus('Pretrained model')}")
    page.get_by_role("button", name="Try the classic").click()
    wait_rerun(page)
    page.wait_for_function(f"() => ({FIGURE})('Weights, layer 5 head 11') !== null")
    page.wait_for_function(f"() => ({FIGURE})('Lines') !== null")
    return page


def test_the_classic_opens_its_best_head_and_the_line_view_draws_its_weights(classic, trace, page_log):
    page = classic
    assert title_of(page, "Weights,") == "Weights, layer 5 head 11"
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    it, animal = trace.tokens.index("it"), trace.tokens.index("animal")
    assert {k: query[k] for k in ("pl", "ph", "pq", "pk")} == {
        "pl": ["5"],
        "ph": ["11"],
        "pq": [str(it)],
        "pk": [str(animal)],
    }
    drawn = page.evaluate(LINES)
    w = trace.weights[5, 11]
    n = len(trace.tokens)
    assert {(d["q"], d["k"]) for d in drawn} == {
        (q, k) for q in range(n) for k in range(n) if w[q, k] >= THRESHOLD
    }
    for d in drawn:
        assert d["width"] == round(WIDTH * float(w[d["q"], d["k"]]), 2)  # drawn to a hundredth of a pixel
    ticks = page.evaluate(f"() => ({FIGURE})('Lines')._fullLayout.yaxis.ticktext")
    assert ticks == trace.tokens
    page.screenshot(path=SHOT, full_page=True)
    assert not page_log["errors"] and not page_log["dialogs"]


def test_hovering_a_token_on_either_side_shows_only_its_lines(classic, trace):
    page = classic
    it, animal = trace.tokens.index("it"), trace.tokens.index("animal")
    for side, end, token in ((0, "q", it), (1, "k", animal)):  # a query's lines, then a key's
        point = page.evaluate(
            f"""() => {{ const gd = ({FIGURE})('Lines');
                gd.scrollIntoView();
                const [xa, ya] = [gd._fullLayout.xaxis, gd._fullLayout.yaxis];
                const box = gd.getBoundingClientRect();
                return [box.left + xa._offset + xa.l2p({side}), box.top + ya._offset + ya.l2p({token})]; }}"""
        )
        page.mouse.move(*point)
        page.wait_for_function(f"() => ({LINES})().some(d => d.faded)", timeout=10_000)
        drawn = page.evaluate(LINES)
        shown = [d for d in drawn if not d["faded"]]
        assert shown and {d[end] for d in shown} == {token}  # its lines, every one of them
        assert len(shown) == sum(1 for d in drawn if d[end] == token) < len(drawn)
        page.mouse.move(1, 1)  # leaving: every line is back
        page.wait_for_function(f"() => ({LINES})().every(d => !d.faded)", timeout=10_000)


def test_a_bar_of_the_ranking_opens_its_head(classic, wait_rerun):
    page = classic
    bars = page.locator(".js-plotly-plot").filter(has_text="heads with the largest weight").locator(".point")
    assert bars.count() == 8
    box = bars.nth(1).bounding_box()  # the second best: layer 3 head 1, clicked where Plotly listens
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_rerun(page)
    page.wait_for_function(f"() => ({FIGURE})('Weights, layer 3 head 1') !== null")
    # the address is written when the script ends, which may come after the map is drawn
    page.wait_for_function("() => location.search.includes('pl=3') && location.search.includes('ph=1')")
    assert "ph=1" in page.url and "pl=3" in page.url
