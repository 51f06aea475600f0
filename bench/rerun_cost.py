"""Where a rerun's server time goes: the real app script run in-process by AppTest, with timers.

Run `python bench/rerun_cost.py` from the repository root (ATTENTION_APP_DIR: another checkout). For
each length (7 tokens: the default sentence; 128 and 512 distinct words, the sequence following the
sentence) it runs the page once (warm-up), then times REPS reruns after a d_k change in the exact
box (17, 18, ...: each a new state, so the pipeline runs; the state before it is cached, as in the
browser) and splits each rerun into: the pipeline (`attention.run`, as views/traces.py calls it on a
cache miss), "what moved" against the previous settings (`attention.moves.what_moved`), building
the Plotly figures (`charts.*`), packing them as float32 payloads (`charts.wire.pack`) and handing
them to the chart components (Streamlit's element serialisation). It also counts the payloads and
their bytes. AppTest runs no browser, so this is the script's own cost, without the websocket and
the drawing.
"""

import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(os.environ.get("ATTENTION_APP_DIR", Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(ROOT))

import charts.figures  # noqa: E402
import charts.grids  # noqa: E402
import charts.wire  # noqa: E402
import views.first  # noqa: E402
import views.live_chart  # noqa: E402
import views.traces  # noqa: E402

LENGTHS = tuple(int(n) for n in os.environ.get("BENCH_LENGTHS", "7,128,512").split(","))
REPS = int(os.environ.get("BENCH_REPS", "5"))
WORDS = "the cat sat on a mat while two dogs ran far down old road".split()  # noqa: SIM905
SPENT = defaultdict(float)
PAYLOADS = []  # bytes of each payload packed in the current rerun
DEPTH = defaultdict(int)  # calls in progress per bucket: a nested call is not counted twice


def timed(owner, name, bucket, record=None):
    """Replace owner.name by a wrapper adding its time to SPENT[bucket]."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        DEPTH[bucket] += 1
        start = time.perf_counter()
        try:
            result = original(*args, **kwargs)
            if record is not None:
                record(result)
            return result
        finally:
            DEPTH[bucket] -= 1
            if DEPTH[bucket] == 0:
                SPENT[bucket] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def install():
    timed(views.traces, "run", "compute")
    timed(views.first, "what_moved", "what moved")
    for name in ("heatmap", "bars"):
        timed(charts.figures, name, "figures")
    timed(charts.grids, "heatmap_row", "figures")
    timed(views.first, "weights_map", "figures")
    timed(charts.wire, "pack", "pack", record=lambda payload: PAYLOADS.append(len(payload)))
    timed(views.live_chart, "_component", "component")


def sentence(n):  # int -> str | None, n distinct words (None: the default sentence)
    return None if n == 7 else " ".join(WORDS[i % 14] + (str(i // 14) if i >= 14 else "") for i in range(n))


def profile(n):  # -> (dict of median ms per bucket, payload count, payload bytes of the last rerun)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    if sentence(n):
        at.query_params["s"] = sentence(n)
    at.run()
    assert not at.exception, at.exception
    runs = []
    for i in range(REPS):
        SPENT.clear()
        PAYLOADS.clear()
        start = time.perf_counter()
        at.number_input(key="d_k").set_value(17 + i).run()
        assert not at.exception, at.exception
        runs.append(dict(SPENT) | {"script": time.perf_counter() - start})
    keys = dict.fromkeys(k for r in runs for k in r)
    return {k: 1000 * statistics.median(r.get(k, 0.0) for r in runs) for k in keys}, list(PAYLOADS)


def main():
    install()
    print("| tokens | script | compute | what moved | figures | pack | component | rest | payloads | bytes |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in LENGTHS:
        ms, payloads = profile(n)
        parts = ("compute", "what moved", "figures", "pack", "component")
        rest = ms["script"] - sum(ms.get(k, 0) for k in parts)
        cells = " | ".join(f"{ms.get(k, 0):.1f} ms" for k in parts)
        print(
            f"| {n} | {ms['script']:.0f} ms | {cells} | {rest:.0f} ms | {len(payloads)} | "
            f"{sum(payloads) / 1e3:.1f} kB |"
        )


if __name__ == "__main__":
    main()
