"""Interaction latency of the page in Chromium, side by side with a 3-chart `st.plotly_chart` demo.

Run `python bench/latency.py` from the repository root (about 15 minutes on 2 busy cores); it prints
Markdown tables. Not a test: timings depend on the machine; the ratios to the demo, measured in the
same run, are what carries over. Two servers run at once: the app (ATTENTION_APP_DIR, default this
checkout) and the demo (bench/demo3.py). For each length (7 tokens: the app's default sentence; 128
and 512: n distinct words, the sequence following the sentence) one tab of each is open; every
interaction is warmed up once, then repeated REPS times, app and demo interleaved; medians shown.
The window is a laptop's, 1400 x 900, as a visitor sees the page: the app's maps far below the screen
wait until scrolled near, and its stages far below are not built (the demo draws all three charts
wherever they are). BENCH_WINDOW=1400x5200 puts the whole page in view at once, every stage built and
every map drawn on each change: the page's worst case, no visitor's screen.
BENCH_TAB="Scaling lab" (any tab's title) opens the app on that tab instead of Step by step.
- d_k step: the d_k select_slider's thumb focused + ArrowRight (16 -> 32); the demo's d_k slider +1.
- d_k exact +1: the exact d_k box filled with d_k + 1, then Enter (32 -> 33).
- sentence edit + Enter: the last word of the sentence replaced by a new word; at 512 also on a tab
  whose length is fixed at 512 (the link's n=512), "app, fixed length".
- paste 512 words + Enter (from the 7-token tab): the box filled with 512 words none of which was
  there before, then Enter; the sentence goes back to the 7 tokens afterwards, unmeasured.
A text past 100 characters is edited in the app's box of several lines, where Ctrl+Enter applies it
(Enter starts a new line); the key timed is then that Enter. Before each round the app's seed steps
up and d_k goes back to 16 (unmeasured), so every measured state is new: neither the trace cache nor
Streamlit's message cache hides a first look's cost.

latency: keydown (timestamped in the page) to the first frame after the last change of the main area
(a DOM mutation under stMain or a 'plotly_afterplot', bench/probe.js), once script_finished has
arrived and nothing changed for QUIET_MS: a chart drawn after the script finished counts. to request:
keydown -> rerun request sent; server: request -> script_finished received; after finish: the rest.
payload: websocket bytes from the keydown to script_finished; f32 shown: rows x cols x 4 of every
heatmap afterwards (a layer of marks over the weights, which travels as its marked cells, left out);
f32 redrawn: of the heatmaps whose data changed. elements kept: the share of the elements under
`.js-plotly-plot` (plots included) after the change that were tagged before the keydown (new ones,
such as the tick labels of the columns a d_k step adds, count against it); drawn kept: the share of
the elements tagged before the keydown that are still in a plot after it (what was not drawn anew).
Plotly.react: main-thread time inside each call of the page's plotly.js (react or newPlot), by map.
"""

import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.servers import APP_DIR, ROOT, Server  # noqa: E402
from harness.browser import IDLE, launch, open_page  # noqa: E402
from harness.protocol import Frames  # noqa: E402

LENGTHS = tuple(int(n) for n in os.environ.get("BENCH_LENGTHS", "7,128,512").split(","))
# The window: a laptop's by default, what a visitor waits for (the maps far below waiting until
# scrolled near); "1400x5200" holds the whole page, every map near the screen and drawn.
WIDTH, HEIGHT = (int(v) for v in os.environ.get("BENCH_WINDOW", "1400x900").split("x"))
REPS = int(os.environ.get("BENCH_REPS", "5"))
TAB = os.environ.get("BENCH_TAB")  # the tab the app opens on (a link's tab=), or None: Step by step
QUIET_MS = 1500
PASTE = "paste 512 words + Enter"
DEFAULT_SENTENCE = "The weather is beautiful today in Melbourne"  # the app's default: 7 tokens
VOCABULARY = "the cat sat on a mat while two dogs ran far down old road".split()  # noqa: SIM905
PROBE = Path(__file__).with_name("probe.js").read_text()
DRAWS = """(() => {  // each Plotly.react / newPlot of the page's plotly.js: [title, ms in the call]
    let plotly;
    const timed = (fn) => function (gd, ...args) {
        const start = performance.now(), out = fn.call(this, gd, ...args), ms = performance.now() - start;
        Promise.resolve(out).then(() => window.__draws.push([gd.layout?.title?.text ?? '', ms]));
        return out;
    };
    window.__draws = [];
    Object.defineProperty(window, 'Plotly', {configurable: true, get: () => plotly, set: (v) => {
        if (v && !v.__timed) Object.assign(v, {react: timed(v.react), newPlot: timed(v.newPlot), __timed: 1});
        plotly = v;
    }});
})();"""  # noqa: E501
TAG = """() => {
    window.__zs = new WeakSet(); window.__draws.length = 0;
    window.__drawn = [...document.querySelectorAll('.js-plotly-plot, .js-plotly-plot *')];
    window.__before = new WeakSet(window.__drawn);
    for (const g of document.querySelectorAll('.js-plotly-plot')) for (const t of g.data) t.z && __zs.add(t.z)
}"""
KEPT = """() => {
    const kept = (els) => els.filter(el => window.__before.has(el)).length / els.length;
    let redrawn = 0;
    for (const g of document.querySelectorAll('.js-plotly-plot')) for (const t of g._fullData || []) {
        const layer = t.meta?.z === 'cells';  // a layer of marks, no matrix of numbers: not counted
        const fresh = t.type === 'heatmap' && !layer && !window.__zs.has(t._input.z);
        if (fresh) redrawn += t.z.length * t.z[0].length * 4;
    }
    const stay = window.__drawn.filter(el => el.isConnected && el.closest('.js-plotly-plot')).length;
    return [kept([...document.querySelectorAll('.js-plotly-plot, .js-plotly-plot *')]), redrawn,
            kept([...document.querySelectorAll('.js-plotly-plot')]), stay / window.__drawn.length];
}"""


def sentence(n):  # int -> str, n distinct words (the app's default sentence at 7)
    words = (VOCABULARY[i % 14] + (str(i // 14) if i >= 14 else "") for i in range(n))
    return DEFAULT_SENTENCE if n == 7 else " ".join(words)


def settle(page, frames, start):  # -> dict of page timestamps after the rerun the keydown started
    """Wait for script_finished after frame index `start`, then for QUIET_MS without a change."""
    deadline = time.monotonic() + 120
    while not any(k == "script_finished" for k, _ in frames.received[start:]):
        if time.monotonic() > deadline:
            raise TimeoutError("no script_finished message within 120 s")
        page.wait_for_timeout(20)
    page.wait_for_selector(IDLE)
    for _ in range(1200):  # bounded: 120 s
        state = page.evaluate("window.__probe.snapshot()")
        if state["now"] - max(state["paint"], state["changed"]) > QUIET_MS and state["paint"] > 0:
            return state
        page.wait_for_timeout(100)
    raise TimeoutError("the page kept changing for 120 s")


def measure(page, frames, act):  # act(page) presses the key -> dict of one repetition
    settle_start, sent_start = len(frames.received), len(frames.sent)
    page.evaluate("window.__probe.reset()")
    act(page)
    state = settle(page, frames, settle_start)
    kinds = frames.received[settle_start:]
    finished = next(i for i, (k, _) in enumerate(kinds) if k == "script_finished")
    recv = state["recv"][settle_start:]
    assert [n for _, n in recv[: finished + 1]] == [n for _, n in kinds[: finished + 1]], "frame mismatch"
    reruns = [i for i, (k, _) in enumerate(frames.sent) if k == "rerun_script" and i >= sent_start]
    request = state["sent"][reruns[0]][0]
    return {
        "latency": state["paint"] - state["key"],
        "to request": request - state["key"],
        "server": recv[finished][0] - request,
        "after finish": state["paint"] - recv[finished][0],
        "payload": sum(n for _, n in kinds[: finished + 1]),
        "f32": page.evaluate("window.__probe.zBytes()"),
    }


def slider_step(key):  # -> act: a slider's thumb focused, then ArrowRight
    return lambda page: (
        page.locator(f".st-key-{key}").get_by_role("slider").focus(),
        page.keyboard.press("ArrowRight"),
    )


def exact(value=None):  # -> act: the exact d_k box set to value (default: one more), then Enter
    def act(page):
        box = page.locator(".st-key-d_k input")
        box.fill(str(value or int(box.input_value()) + 1))
        box.press("Enter")

    return act


SENTENCE_BOX = ".st-key-sentence :is(input, textarea)"  # one line, or several for a paragraph


def apply_text(page, text):  # the sentence box filled with text and applied, as a visitor does
    box = page.locator(SENTENCE_BOX)
    lines = box.evaluate("b => b.tagName") == "TEXTAREA"  # where Enter starts a new line
    box.fill(text)
    box.press("Control+Enter" if lines else "Enter")


def edit_sentence(words):  # -> act: the last word replaced by a new one, then Enter
    edits = iter(range(10**6))

    def act(page):
        apply_text(page, " ".join(words[:-1] + [f"zz{next(edits)}"]))

    return act


def paste(n):  # -> act: the box filled with n words never typed before, then Enter
    pastes = iter(range(10**6))

    def act(page):  # one paste number per paste: 512 words stay under the sentence's 5,000 characters
        k = next(pastes)
        apply_text(page, " ".join(f"p{k}w{i}" for i in range(n)))

    return act


def retype(text):  # -> act: the box set back to text, then Enter
    def act(page):
        apply_text(page, text)

    return act


def open_tab(browser, url, plots=3):  # -> (page, Frames) once `plots` plots are drawn
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    page.add_init_script(PROBE)
    page.add_init_script(DRAWS)
    frames = Frames(page)
    page.set_default_timeout(180_000)
    open_page(page, url, plots=plots)
    return page, frames


def one(tab, act):  # -> dict of one repetition: measure() plus elements kept and Plotly time per map
    page, frames = tab
    page.bring_to_front()
    page.evaluate(TAG)
    result = measure(page, frames, act)
    result["kept"], result["f32 redrawn"], result["plots kept"], result["drawn kept"] = page.evaluate(KEPT)
    result["draw"] = 0
    for title, ms in page.evaluate("window.__draws"):  # a map's name: its title up to a colon
        name = f"draw: {title.split(':')[0][:24]}"
        result[name], result["draw"] = result.get(name, 0) + ms, result["draw"] + ms
    return result


def bench_length(browser, app, demo, n):  # -> list of table rows
    text = sentence(n)
    words = text.split()
    where = ({} if n == 7 else {"s": text}) | ({"tab": TAB} if TAB else {})
    tabs = {"app": open_tab(browser, f"{app}/" + ("?" + urllib.parse.urlencode(where) if where else ""))}
    tabs["demo"] = open_tab(browser, f"{demo}/?{urllib.parse.urlencode({'s': text})}")
    cases = {
        ("app", "d_k step"): slider_step("d_k_step"),
        ("app", "d_k exact +1"): exact(),
        ("app", "sentence edit + Enter"): edit_sentence(words),
        ("demo", "d_k step"): slider_step("d_k"),
        ("demo", "sentence edit + Enter"): edit_sentence(words),
    }
    if n == 512:
        fixed = f"{app}/?" + urllib.parse.urlencode({"s": text, "n": n})
        tabs["app, fixed length"] = open_tab(browser, fixed)
        cases["app, fixed length", "sentence edit + Enter"] = edit_sentence(words)
    if n == 7:
        cases |= {("app", PASTE): paste(512), ("demo", PASTE): paste(512)}
    runs = {case: [] for case in cases}
    for rep in range(REPS + 1):  # the first round warms up: caches, components, plotly.js
        measure(*tabs["app"], slider_step("seed"))  # a new seed: every state below is new
        for (name, interaction), act in cases.items():
            print(f"  round {rep}: {name}, {interaction} at {n}", file=sys.stderr, flush=True)
            result = one(tabs[name], act)
            runs[name, interaction] += [result] if rep else []
            if interaction == "d_k exact +1":
                measure(*tabs["app"], exact(16))  # back to 16 for the next round's step
            if interaction == PASTE:
                measure(*tabs[name], retype(text))  # back to the 7 tokens for the next round
    for page, _ in tabs.values():
        page.close()
    rows = []
    for (name, interaction), rs in runs.items():
        keys = dict.fromkeys(k for r in rs for k in r)
        rows.append({k: statistics.median(r.get(k, 0) for r in rs) for k in keys})
        rows[-1] |= {"n": n, "page": name, "interaction": interaction}
        rows[-1]["runs"] = [round(r["latency"]) for r in rs]
        print(f"  {name} {interaction} at {n}: {rows[-1]['runs']} ms", file=sys.stderr, flush=True)
    for r in rows:
        like = "d_k step" if r["interaction"].startswith("d_k") else r["interaction"]
        r["ratio"] = r["latency"] / next(
            d["latency"] for d in rows if d["page"] == "demo" and d["interaction"] == like
        )
    return rows


def table(rows):  # -> str, Markdown
    lines = [
        "| tokens | page | interaction | latency (median) | ÷ demo | to request | server | after finish "
        "| payload | f32 shown | ÷ f32 shown | f32 redrawn | ÷ f32 redrawn | plots kept | elements kept "
        "| drawn kept | runs (ms) |",
        "|---" * 17 + "|",
    ]
    for r in rows:
        redrawn = r["f32 redrawn"] or float("nan")
        lines.append(
            f"| {r['n']} | {r['page']} | {r['interaction']} | {r['latency']:.0f} ms | {r['ratio']:.2f}× | "
            f"{r['to request']:.0f} ms | {r['server']:.0f} ms | {r['after finish']:.0f} ms | "
            f"{r['payload'] / 1e3:.1f} kB | {r['f32'] / 1e3:.1f} kB | {r['payload'] / r['f32']:.2f}× | "
            f"{redrawn / 1e3:.1f} kB | {r['payload'] / redrawn:.2f}× | {r['plots kept']:.0%} | "
            f"{r['kept']:.0%} | {r['drawn kept']:.0%} | {r['runs']} |"
        )
    lines += [
        "",
        "| tokens | interaction | after finish | Plotly.react, all maps | per map |",
        "|---" * 5 + "|",
    ]
    for r in (r for r in rows if r["page"] == "app"):
        maps = " · ".join(f"{k[6:]} {v:.0f}" for k, v in r.items() if k.startswith("draw: "))
        lines.append(
            f"| {r['n']} | {r['interaction']} | {r['after finish']:.0f} ms | {r['draw']:.0f} ms | {maps} |"
        )
    return "\n".join(lines)


def main():
    demo_script = str(ROOT / "bench" / "demo3.py")
    with Server("app.py", APP_DIR) as app, Server(demo_script) as demo, sync_playwright() as pw:
        browser = launch(pw)
        rows = [row for n in LENGTHS for row in bench_length(browser, app.url, demo.url, n)]
        browser.close()
    print(table(rows))


if __name__ == "__main__":
    main()
