"""Where a rerun's server time goes: the real app script run in-process by AppTest, with timers.

Run `python bench/rerun_cost.py` from the repository root. For each sequence length it runs the
page once (warm-up), then times REPS reruns after a d_k step and splits each rerun into: the
pipeline (`attention.run`, uncached), building the figures (`attention.figures.*`), Streamlit's
re-validation of every figure (`plotly.tools.return_figure_from_figure_or_data`), and
`plotly.io.to_json`. It also prints, per figure kind, the JSON size and the share of it taken by
`layout.template`. AppTest runs no browser, so this is the script's own cost, without websocket.
"""

import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import plotly.io
import plotly.tools
from streamlit.testing.v1 import AppTest

ROOT = Path(os.environ.get("ATTENTION_APP_DIR", Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(ROOT))

import attention.figures  # noqa: E402
import attention.grids  # noqa: E402
import views.common  # noqa: E402

LENGTHS = (10, 128, 512)
REPS = 5
WORDS = ("the", "cat", "sat", "on", "a", "mat", "while", "two", "dogs", "ran", "far", "down", "old", "road")
SPENT = defaultdict(float)
SIZES = []  # (title, json bytes, template bytes)


def timed(owner, name, bucket):
    """Replace owner.name by a wrapper adding its time to SPENT[bucket]."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            SPENT[bucket] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def record_json(original):
    def to_json(fig, *args, **kwargs):
        text = original(fig, *args, **kwargs)
        layout = json.loads(text).get("layout", {})
        SIZES.append(
            (layout.get("title", {}).get("text", ""), len(text), len(json.dumps(layout.get("template", {}))))
        )
        return text

    return to_json


def install():
    plotly.io.to_json = record_json(plotly.io.to_json)
    timed(plotly.io, "to_json", "to_json")
    timed(plotly.tools, "return_figure_from_figure_or_data", "re-validate")
    timed(views.common, "run", "compute")
    for name in ("heatmap", "mark_row_max", "bars"):
        timed(attention.figures, name, "figures")
    for name in ("heatmap_row", "head_grid"):
        timed(attention.grids, name, "figures")


def profile(n):  # -> dict of median ms per bucket, and the figure sizes of the last run
    words = " ".join(WORDS[i % len(WORDS)] for i in range(n))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["n"], at.query_params["s"] = str(n), words
    at.run()
    assert not at.exception, at.exception
    runs = []
    for i in range(REPS):
        views.common.compute.clear()
        SPENT.clear()
        SIZES.clear()
        start = time.perf_counter()
        at.slider(key="d_k").set_value(17 if i % 2 == 0 else 16).run()
        runs.append(dict(SPENT) | {"script": time.perf_counter() - start})
    return {k: 1000 * statistics.median(r.get(k, 0.0) for r in runs) for k in runs[0]}, list(SIZES)


def main():
    install()
    print("| tokens | script | compute | figures | re-validate | to_json | figures | JSON | of it template |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in LENGTHS:
        ms, sizes = profile(n)
        total, template = sum(s for _, s, _ in sizes), sum(t for _, _, t in sizes)
        print(
            f"| {n} | {ms['script']:.0f} ms | {ms.get('compute', 0):.1f} ms | "
            f"{ms.get('figures', 0):.0f} ms | "
            f"{ms.get('re-validate', 0):.0f} ms | {ms.get('to_json', 0):.0f} ms | {len(sizes)} | "
            f"{total / 1e3:.1f} kB | {template / 1e3:.1f} kB |"
        )


if __name__ == "__main__":
    main()
