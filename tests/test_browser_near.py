"""In a laptop's window the Step by step tab builds only the stages near the screen (views/near.py).

A stage far below is an empty slot of the height it had: the page keeps its length and every stage
its place, exactly as in a window tall enough to build them all. Scrolled near, the stage is built
with the sentence as it is now; scrolled far again, it is left out again.
"""

import pytest

from harness.browser import open_page, rerun_finished

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

# Each stage's slot: its key, its top in page pixels, its height, and the words its plots show.
STAGES = """() => {
  const main = document.querySelector('[data-testid=stMain]');
  return [...document.querySelectorAll('[class*="st-key-near_s"]')].map((e) => {
    const r = e.getBoundingClientRect();
    const plots = [...e.querySelectorAll('.js-plotly-plot')];
    return {key: e.className.match(/st-key-(near_s\\d+)/)[1], top: Math.round(r.top + main.scrollTop),
            height: Math.round(r.height), built: e.children.length > 0,
            maps: e.querySelectorAll('.lc-root').length,
            words: plots.flatMap((g) => (g.data || []).flatMap((t) => [...(t.y || [])])).join(' ')};
  });
}"""
LAST = "near_s5"  # weights · V, at the bottom of the tab


def stages(page):  # -> {key: slot}
    return {s["key"]: s for s in page.evaluate(STAGES)}


def wait_left_out(page, key):
    page.wait_for_function(f"() => ({STAGES})().some(s => s.key === '{key}' && !s.built)", polling=100)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")


def test_stages_far_below_are_left_out_and_every_stage_keeps_its_place(page_at, app_server):
    tall = page_at(1440, 5200)  # every stage near the screen: all built
    open_page(tall, app_server, plots=9)
    tall.wait_for_timeout(500)
    built = stages(tall)
    assert len(built) == 6 and all(s["built"] for s in built.values())

    laptop = page_at(1440, 900)
    open_page(laptop, app_server, plots=3)
    wait_left_out(laptop, LAST)
    shown = stages(laptop)
    far = [k for k, s in shown.items() if not s["built"]]
    assert shown["near_s0"]["built"] and LAST in far
    assert all(shown[k]["top"] > 900 + 500 and shown[k]["maps"] == 0 for k in far)  # near.js MARGINS
    for key, slot in shown.items():  # the same page, taller or not: nothing moved
        assert abs(slot["top"] - built[key]["top"]) <= 1, key
        assert abs(slot["height"] - built[key]["height"]) <= 1, key
    watcher = "getComputedStyle(document.querySelector('.st-key-watch')).display"
    assert laptop.evaluate(watcher) == "none"  # it takes no room


def test_a_stage_left_out_is_built_with_the_new_sentence_when_scrolled_near(page_at, app_server):
    laptop = page_at(1440, 900)
    open_page(laptop, app_server, plots=3)
    wait_left_out(laptop, LAST)
    before = stages(laptop)[LAST]
    box = laptop.locator(".st-key-sentence input")
    box.fill("The weather is beautiful today in Perth")
    box.press("Enter")
    rerun_finished(laptop)
    assert not stages(laptop)[LAST]["built"]  # a change builds nothing far below
    laptop.evaluate(f"document.querySelector('.st-key-{LAST}').scrollIntoView()")
    laptop.wait_for_function(f"() => ({STAGES})().find(s => s.key === '{LAST}').words.includes('Perth')")
    after = stages(laptop)[LAST]
    assert after["maps"] == 1 and after["top"] == before["top"]
    laptop.evaluate("document.querySelector('[data-testid=stMain]').scrollTo(0, 0)")
    wait_left_out(laptop, LAST)  # far again: left out again, in a slot of the height it had
    again = stages(laptop)[LAST]
    assert again["top"] == before["top"] and again["height"] == after["height"]


def test_stages_built_as_they_are_scrolled_to_move_nothing_on_the_screen(page_at, app_server):
    """Scrolled to a stage left out, the page builds it and the ones beside it, and leaves out those
    now far above; each keeps its height while its maps are drawn, so the stage scrolled to stays
    where the visitor put it (the browser would otherwise scroll by each step of the rebuild)."""
    laptop = page_at(1440, 900)
    open_page(laptop, app_server, plots=3)
    wait_left_out(laptop, "near_s4")
    top = "document.querySelector('.st-key-near_s4').getBoundingClientRect().top"
    laptop.evaluate("document.querySelector('.st-key-near_s4').scrollIntoView()")
    wait_left_out(laptop, "near_s0")  # the run the scroll started has ended
    built = "[3, 4, 5].map(k => document.querySelector(`.st-key-near_s${k}`))"
    drawn = f"{built}.every(s => s.children.length && [...s.querySelectorAll('.lc-root')].every("
    drawn += "r => r.querySelector('.js-plotly-plot')?._fullLayout))"
    laptop.wait_for_function(f"() => {drawn}")
    laptop.wait_for_timeout(500)  # the heights held while the maps were drawn let go
    assert abs(laptop.evaluate(top)) <= 1
    assert laptop.evaluate(HELD) == []  # and the page's own height and scroll anchoring are given back


# What the watcher (static/near.js) still holds: the scrolling area's anchoring, its content's height,
# a part's height.
HELD = """() => {
  const main = document.querySelector('[data-testid=stMain]');
  return [main, main.firstElementChild, ...document.querySelectorAll('[class*="st-key-near_"]')]
    .filter((e) => e.style.minHeight || e.style.overflowAnchor).map((e) => e.className);
}"""


def test_a_tab_opened_meanwhile_is_left_with_nothing_held(page_at, app_server):
    """Scrolled to a stage left out and straight on to another tab: the watcher leaves with the tab
    it watched, keeping neither the page's height nor a part's, and the page has no stage."""
    laptop = page_at(1440, 900)
    open_page(laptop, app_server, plots=3)
    wait_left_out(laptop, LAST)
    laptop.evaluate(f"document.querySelector('.st-key-{LAST}').scrollIntoView()")
    pinned = "document.querySelector('[data-testid=stMain]').style.overflowAnchor === 'none'"
    laptop.wait_for_function(f"() => {pinned}", polling="raf")  # it asked for the stage, the page held
    laptop.get_by_role("tab", name="Masks").click()
    laptop.get_by_text("Mask playground").first.wait_for()
    laptop.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
    laptop.wait_for_timeout(3500)  # past any hold the watcher could have left running
    assert laptop.evaluate(HELD) == []
    assert stages(laptop) == {}
    assert laptop.locator("[data-testid=stException]").count() == 0
