"""Latency of nine heatmaps drawn in place (views/live_chart.py) against `st.plotly_chart`.

Run `python bench/inplace.py` from the repository root (about 10 minutes on 2 cores); it prints a
Markdown table. Not a test: timings depend on the machine, and ratios are what carries over.

One Streamlit server runs a small page (written to a temporary folder beside a link to the
repository's static/ folder, with static serving on) in variants, each open in its own tab: "live",
9 heatmaps drawn in place by `views.live_chart.draw` (one component instance per figure); "plotly",
the same 9 figures through `st.plotly_chart`; "demo", 3 of them through `st.plotly_chart`, the
yardstick. The figures are the page's own (`charts.figures.heatmap`, n × n random weights).
Two interactions, each a keyboard step of a slider, so every repetition shows new numbers:
"all maps" changes every map, "one map" only the first. For each length the variants are
measured in turn, REPS times (interleaved), after one warm-up each; the table shows medians.

latency, to request, server, payload and f32 are measured as in bench/latency.py (keydown to the
frame after the last DOM change or plotly_afterplot in the main area, once quiet for 1.5 s).
plots kept: the share of `.js-plotly-plot` nodes present before the step that are still in the
page after it; elements kept: the same over every element inside those plots.
"""

import os
import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.latency import PROBE, measure  # noqa: E402
from harness.browser import launch, open_page  # noqa: E402
from harness.protocol import Frames  # noqa: E402
from harness.server import ROOT, streamlit_server  # noqa: E402

LENGTHS = tuple(int(n) for n in os.environ.get("BENCH_LENGTHS", "10,128,512").split(","))
REPS = int(os.environ.get("BENCH_REPS", "5"))
VARIANTS = tuple(os.environ.get("BENCH_VARIANTS", "live,plotly,demo").split(","))
PAGE = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import numpy as np
import streamlit as st
from charts.figures import heatmap
from views.live_chart import draw

variant, n = st.query_params.get("variant", "live"), int(st.query_params.get("n", 10))
step = st.slider("all maps", 0, 10_000, 0, key="all")
one = st.slider("one map", 0, 10_000, 0, key="one")
tokens = [f"w{{i}}" for i in range(n)]
figures = []
for k in range(3 if variant == "demo" else 9):
    rng = np.random.default_rng([step, k, one if k == 0 else 0])
    figures.append(heatmap(rng.random((n, n)), tokens, tokens, f"map {{k}}", kind="weights"))
if variant == "live":
    draw({{f"map{{k}}": fig for k, fig in enumerate(figures)}}, key="bench")
else:
    for k, fig in enumerate(figures):
        st.plotly_chart(fig, key=f"map{{k}}", theme=None)
"""
TAG = """() => {
    window.__before = new WeakSet();
    const plots = document.querySelectorAll('.js-plotly-plot');
    for (const el of document.querySelectorAll('.js-plotly-plot, .js-plotly-plot *')) window.__before.add(el);
    window.__plots = [...plots];
}"""
KEPT = """() => {
    const all = [...document.querySelectorAll('.js-plotly-plot, .js-plotly-plot *')];
    const plots = window.__plots.filter(p => document.contains(p)).length / window.__plots.length;
    return [plots, all.filter(el => window.__before.has(el)).length / all.length];
}"""


def slider_step(key):
    """One keyboard step of a slider, after tagging every plot element to see what survives."""

    def act(page):
        page.evaluate(TAG)
        page.locator(f".st-key-{key}").get_by_role("slider").focus()
        page.keyboard.press("ArrowRight")

    return act


def open_variant(browser, base, variant, n):  # -> (page, Frames)
    page = browser.new_page(viewport={"width": 1400, "height": 5200})
    page.add_init_script(PROBE)
    frames = Frames(page)
    page.set_default_timeout(300_000)
    open_page(page, f"{base}/?variant={variant}&n={n}", plots=3 + 6 * (variant != "demo"))
    return page, frames


def one_run(page, frames, key):  # -> dict of one repetition
    page.bring_to_front()
    result = measure(page, frames, slider_step(key))
    result["plots kept"], result["elements kept"] = page.evaluate(KEPT)
    return result


def bench_length(browser, base, n):  # -> list of table rows
    tabs = {v: open_variant(browser, base, v, n) for v in VARIANTS}
    cases = [(v, key) for v in VARIANTS for key in (("all",) if v == "demo" else ("all", "one"))]
    runs = {case: [] for case in cases}
    for case in cases:
        one_run(*tabs[case[0]], case[1])  # warm-up: caches, components, plotly.js
    for _ in range(REPS):
        for case in cases:
            runs[case].append(one_run(*tabs[case[0]], case[1]))
    for page, _ in tabs.values():
        page.close()
    rows = []
    for (variant, key), rs in runs.items():
        row = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        rows.append(
            row | {"n": n, "variant": variant, "interaction": key, "runs": [round(r["latency"]) for r in rs]}
        )
        print(f"  {variant} {key} at {n}: {rows[-1]['runs']} ms", file=sys.stderr)
    demo = next(r["latency"] for r in rows if r["variant"] == "demo")
    return [r | {"ratio": r["latency"] / demo} for r in rows]


def table(rows):  # -> str, Markdown
    head = (
        "| tokens | variant | maps changed | latency (median) | ÷ demo | to request | server | payload | "
        "f32 shown | payload / f32 | plots kept | elements kept | runs (ms) |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in rows:
        changed = {"all": "all", "one": "1"}[r["interaction"]]
        lines.append(
            f"| {r['n']} | {r['variant']} | {changed} | {r['latency']:.0f} ms | {r['ratio']:.2f}× | "
            f"{r['to request']:.0f} ms | {r['server']:.0f} ms | {r['payload'] / 1e3:.1f} kB | "
            f"{r['f32'] / 1e3:.1f} kB | {r['payload'] / r['f32']:.2f}× | {r['plots kept']:.0%} | "
            f"{r['elements kept']:.0%} | {r['runs']} |"
        )
    return head + "\n".join(lines)


def main():
    with tempfile.TemporaryDirectory(prefix="bench-inplace-") as folder:
        (Path(folder) / "page.py").write_text(PAGE)
        (Path(folder) / "static").symlink_to(ROOT / "static")  # plotly.js and the component's script
        static = ("--server.enableStaticServing", "true")
        with streamlit_server(Path(folder), "page.py", args=static) as base, sync_playwright() as pw:
            browser = launch(pw)
            rows = [row for n in LENGTHS for row in bench_length(browser, base, n)]
            browser.close()
    print(table(rows))


if __name__ == "__main__":
    main()
