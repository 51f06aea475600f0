"""The "Beyond the weights" tab on the toy in Chromium: each part opened from its link draws the
numbers attention/ computes (read back from the plots' data), prints its max |Δ| line, and a click
on the part control puts the part in the address."""

import re
import urllib.parse

import numpy as np
import pytest

from attention import Settings, run
from attention.inside import toy_contributions, with_null
from attention.replay import decode_step, online_against_dense
from harness.browser import open_page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

TAB = "Beyond the weights"
# The drawn data of the plot whose title starts with a prefix: z (and text) as nested lists, NaN as null.
PLOT = """(prefix) => {
    const gd = [...document.querySelectorAll('.js-plotly-plot')]
        .find(g => g._fullLayout && (g._fullLayout.title.text || '').startsWith(prefix));
    if (!gd) return null;
    const rows = (m) => m ? Array.from(m, r => Array.from(r, v => Number.isNaN(v) ? null : v)) : null;
    return {title: gd._fullLayout.title.text, z: rows(gd.data[0].z), text: rows(gd.data[0].text),
            y: gd.data.map(t => t.y ? Array.from(t.y) : null)};
}"""


def opened(page, app_server, query):  # -> page, the tab opened from its address with these keys
    open_page(page, f"{app_server}/?tab={urllib.parse.quote_plus(TAB)}&{query}", plots=4)
    return page


def plot(page, prefix):  # -> dict of the plot's drawn data
    found = page.evaluate(PLOT, prefix)
    assert found is not None, f"no plot titled {prefix!r}…"
    return found


def drawn(matrix):  # nested lists with None -> float64 array with NaN
    return np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float)


def paragraph(page, text):  # -> the visible text of the one paragraph that contains text
    found = page.locator("[data-testid=stMarkdownContainer] p", has_text=text)
    assert found.count() == 1, text
    return found.inner_text()


def test_the_contributions_map_holds_each_keys_norm_beside_the_weights(app_server, page, page_log):
    opened(page, app_server, "s=the+cat+sat+on+the+mat")
    c = toy_contributions(run(Settings(sentence="the cat sat on the mat")), 0)
    norms = plot(page, "Contributions ‖α·v·W_O‖, head 0")
    np.testing.assert_allclose(drawn(norms["z"]), c.norms, rtol=1e-6)
    np.testing.assert_allclose(drawn(norms["text"]), c.norms, rtol=1e-6)  # the numbers in the cells
    np.testing.assert_allclose(drawn(plot(page, "Weights α, head 0")["z"]), c.weights, rtol=1e-6)
    shares = plot(page, "Row #0 the: share per key")["y"]
    np.testing.assert_allclose(shares[1], c.shares.contribution[0], rtol=1e-9)
    assert f"max |Δ| = {c.sum_error:.1e}" in page.get_by_text("part of the output").inner_text()
    assert not page_log["errors"]


def test_the_kv_cache_step_equals_the_causal_recompute_and_counts_its_work(app_server, page):
    opened(page, app_server, "bp=kv-cache&bf=2&bs=3")
    a = run(Settings()).attention
    d = decode_step(a.q[0], a.k[0], a.v[0], 2, 3)
    assert plot(page, "K cache")["title"] == "K cache: 5 rows"
    np.testing.assert_allclose(drawn(plot(page, "V cache")["z"]), d.v_cache, rtol=1e-6, atol=1e-7)
    full = drawn(plot(page, "Full causal recompute")["z"])
    np.testing.assert_allclose(full, np.where(np.tril(np.ones((7, 7), bool)), d.recompute, np.nan), rtol=1e-6)
    np.testing.assert_allclose(drawn(plot(page, "This step")["z"]), d.rows, rtol=1e-6)
    line = paragraph(page, "full causal recompute")
    assert f"max |Δ| = {d.row_error:.1e}" in line and f"max |Δ| = {d.output_error:.1e}" in line
    counts = paragraph(page, "Multiplications so far")
    assert f"{d.cached_so_far:,} with the cache" in counts and f"{d.recompute_so_far:,} recomputing" in counts


def test_the_tiled_softmax_draws_m_l_and_the_rescale_and_matches_the_dense_softmax(app_server, page):
    opened(page, app_server, "bp=tiled&bb=3")
    t = run(Settings())
    a = t.attention
    o = online_against_dense(a.q[0], a.k[0], a.v[0], 3, a.weights[0], a.heads[0], a.scale, t.mask)
    np.testing.assert_allclose(drawn(plot(page, "Running max m")["z"]), o.trace.running_max.T, rtol=1e-6)
    np.testing.assert_allclose(drawn(plot(page, "Running sum l")["z"]), o.trace.running_sum.T, rtol=1e-6)
    np.testing.assert_allclose(drawn(plot(page, "Rescale")["z"]), o.trace.rescale.T, rtol=1e-6, atol=1e-7)
    line = paragraph(page, "against the dense softmax")
    errors = [float(x) for x in re.findall(r"max \|Δ\| = (\d\.\de[+-]\d+)", line)]
    assert errors == [float(f"{o.weight_error:.1e}"), float(f"{o.output_error:.1e}")]
    assert max(errors) < 1e-12


def test_softmax_plus_one_sends_the_mass_to_no_key_and_a_click_changes_the_part(app_server, page, wait_rerun):
    opened(page, app_server, "bp=sinks&b1=1&bo=4")
    t = run(Settings())
    null = with_null(t.attention.scaled[0], t.mask, 4.0)
    weights = drawn(plot(page, "Weights with softmax + 1")["z"])
    np.testing.assert_allclose(weights, null.weights, rtol=1e-6, atol=1e-7)
    assert (weights[:, -1] > 0.5).all()  # the last column: no key
    page.get_by_role("radio", name="KV cache").click()  # a segmented control's options are radios
    wait_rerun(page)
    page.wait_for_function(f"() => ({PLOT})('Full causal recompute') !== null")
    page.wait_for_function("() => location.search.includes('bp=kv-cache')")  # written when the script ends
    assert "bp=kv-cache" in page.url and "b1=1" in page.url  # the other part's controls stay in the link
