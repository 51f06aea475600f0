"""The "Beyond the weights" tab on all-MiniLM-L6-v2 in Chromium: the classic sentence's contributions,
sink rates and score spreads read back from the drawn plots, and the tab at 1440 × 900 and 390 × 844.

The expected numbers come from the model itself, the float32 pass the page draws; without the model
package the tests are skipped, or fail when ATTENTION_REQUIRE_REFERENCE=1. The screenshots go to
test-artifacts/ (ignored), or to docs/ with ATTENTION_UPDATE_SCREENSHOT=1.
"""

import os
import urllib.parse
from pathlib import Path

import numpy as np
import pytest

from attention.inside import (
    every_head_on,
    head_contributions,
    marked_positions,
    output_rows,
    sink_rates_by_group,
    widest_gap,
)
from attention.spread import head_spread
from harness.browser import open_page
from tests.test_browser_inside import PLOT, TAB, drawn, paragraph, plot

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.timeout(300)]

EXAMPLE = "The animal didn't cross the street because it was too tired"
ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / ("docs" if os.environ.get("ATTENTION_UPDATE_SCREENSHOT") == "1" else "test-artifacts")
# Scroll the element with this text to the top of the page's main column, below the phone's Settings bar.
TOP = """(text) => {
    [...document.querySelectorAll('label, p')].find(e => e.textContent === text).scrollIntoView();
    document.querySelector('[data-testid=stMain]').scrollBy(0, -56);
}"""


@pytest.fixture(scope="module")
def model():  # -> attention.pretrained.Encoder
    try:
        from exchange.checkpoint import load

        return load()
    except ImportError as error:
        if os.environ.get("ATTENTION_REQUIRE_REFERENCE") == "1":
            pytest.fail(f"ATTENTION_REQUIRE_REFERENCE=1 but the model is missing: {error}")
        pytest.skip(f"the model package is missing: {error}")


@pytest.fixture(scope="module")
def classic(model):  # -> (trace, W_O rows, the widest-gap head) as the page computes them
    from views.traces import DRAWING

    trace = model.run(EXAMPLE, dtype=DRAWING)
    rows = output_rows(model.weights, trace.config.n_heads).astype(trace.v.dtype)
    marked = every_head_on(trace.weights, trace.v, rows, marked_positions(trace.tokens))
    return trace, rows, widest_gap(*marked)


def address(app_server, query):
    return f"{app_server}/?s={urllib.parse.quote_plus(EXAMPLE)}&tab={urllib.parse.quote_plus(TAB)}&{query}"


def test_the_classic_contributions_show_cls_taking_weight_it_does_not_contribute(app_server, page, classic):
    trace, rows, (layer, head) = classic
    open_page(page, address(app_server, "bm=minilm"), plots=6)
    c = head_contributions(trace.weights[layer, head], trace.v[layer, head], rows[layer, head])
    norms = plot(page, f"Contributions ‖α·v·W_O‖, layer {layer} head {head}")
    np.testing.assert_allclose(drawn(norms["z"]), c.norms, rtol=1e-5)
    weights = drawn(plot(page, f"Weights α, layer {layer} head {head}")["z"])
    np.testing.assert_allclose(weights, trace.weights[layer, head], rtol=1e-5)
    assert weights[:, 0].mean() > 0.5 and c.shares.key_contribution[0] < 0.2  # [CLS]: weight, not output
    sep = c.shares.key_weight[-1], c.shares.key_contribution[-1]
    expected = f"[SEP]: {sep[0]:.0%} of the weight, {sep[1]:.0%} of the contribution".replace("%", " %")
    assert expected in paragraph(page, "Special tokens and punctuation").replace("\xa0", " ")


def test_the_sink_rates_and_the_spreads_are_the_models(app_server, page, classic):
    trace = classic[0]
    open_page(page, address(app_server, "bp=sinks&bm=minilm&be=0.5"), plots=6)
    bars = page.evaluate(f"() => {{ const d = ({PLOT})('Sink rate per layer'); return d && d.y; }}")
    rates = sink_rates_by_group(trace.weights, trace.tokens, 0.5)
    np.testing.assert_allclose(bars, [rates[n] for n in rates], rtol=1e-12)
    open_page(page, address(app_server, "bp=sqrt-dk"), plots=7)
    spread = head_spread(trace.q, trace.k, trace.scale)
    drawn_spread = plot(page, "σ(q·k), textbook √32 ≈ 5.66")
    np.testing.assert_allclose(drawn(drawn_spread["text"]), spread.scores, rtol=1e-5)
    np.testing.assert_allclose(drawn(drawn_spread["z"]), spread.departure, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_the_tab_at_a_laptops_and_a_phones_size(app_server, page_at, page_log, classic, width, height):
    phone = {"is_mobile": True, "has_touch": True} if width < 500 else {}
    tab = page_at(width, height, timeout=90_000, **phone)
    open_page(tab, address(app_server, "bm=minilm"), plots=6)
    assert tab.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth"
    )  # no sideways scroll
    tab.evaluate(TOP, "Part" if width > 500 else "Head")  # a phone: the pickers and the first map
    tab.wait_for_timeout(300)
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=SHOTS / f"beyond-{width}.png")
    assert not page_log["errors"] and not page_log["dialogs"]
