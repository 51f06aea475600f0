"""Interaction latency of the page in a real browser, against its compute floor.

Run `python bench/latency.py` from the repository root (about 5 minutes on 2 cores); it prints a
Markdown table. Not a test: timings depend on the machine.

For each sequence length the page is opened with n words and seq_len = n, warmed up once, then
each interaction is repeated REPS times; the table shows medians. Every repetition shows a state
the page has not shown before (d_k goes up one step each time; the last word gets a new name), so
neither the pipeline cache nor Streamlit's message cache (which replaces a message the browser
already holds by its hash) hides the cost of a visitor's first look at a state.

- latency: from the keydown (timestamped inside the page) to "updated": the first frame after the
  last change of the page's main area, where a change is any DOM mutation under stMain (Plotly
  draws its heatmaps as SVG and <image> mutations) or a Plotly 'plotly_afterplot' event. The time
  is taken in a MessageChannel task queued from the requestAnimationFrame callback after that
  change, i.e. once the frame has been produced. The page counts as settled when the script has
  finished (the script_finished message has arrived) and nothing changed for QUIET_MS.
- to request: keydown -> the browser sends the rerun request (widget debounce and commit).
- server: rerun request sent -> script_finished received, both timestamped in the page: the
  script's run on the server, including sending its messages over the local websocket.
- payload: websocket bytes received between the keydown and script_finished; f32: the float32
  bytes of every heatmap z shown afterwards (rows x cols x 4).
- compute: `attention.run` for the same settings in this process (median of REPS), the floor.
"""

import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

from playwright.sync_api import sync_playwright
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from conftest import CHROMIUM_ARGS, IDLE, chromium_path, free_port, healthy, server_command  # noqa: E402

from attention import Settings, run  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
APP_DIR = Path(os.environ.get("ATTENTION_APP_DIR", ROOT))
LENGTHS = tuple(int(n) for n in os.environ.get("BENCH_LENGTHS", "10,128,512").split(","))
REPS = 5
QUIET_MS = 1500
TARGET_MS = {10: 300, 128: 600, 512: 2000}
VOCABULARY = (
    "the",
    "cat",
    "sat",
    "on",
    "a",
    "mat",
    "while",
    "two",
    "dogs",
    "ran",
    "far",
    "down",
    "old",
    "road",
)
PROBE = Path(__file__).with_name("probe.js").read_text()


def sentence(n):  # int -> str, n words
    return " ".join(VOCABULARY[i % len(VOCABULARY)] for i in range(n))


def decode(proto, payload):  # -> (message kind | None, bytes)
    data = payload if isinstance(payload, bytes) else payload.encode()
    msg = proto()
    try:
        msg.ParseFromString(data)
        return msg.WhichOneof("type"), len(data)
    except Exception:  # not a Streamlit message: counted, never matched
        return None, len(data)


class Frames:
    """Websocket messages seen by Playwright, decoded, in the order the page sees them."""

    def __init__(self, page):
        self.received, self.sent = [], []
        page.on("websocket", self.watch)

    def watch(self, ws):
        ws.on("framereceived", lambda p: self.received.append(decode(ForwardMsg, p)))
        ws.on("framesent", lambda p: self.sent.append(decode(BackMsg, p)))


def settle(page, frames, start):  # -> dict of page timestamps after the rerun the keydown started
    """Wait for script_finished after frame index `start`, then for QUIET_MS without a change."""
    deadline = time.monotonic() + 120
    while not any(k == "script_finished" for k, _ in frames.received[start:]):
        if time.monotonic() > deadline:
            raise TimeoutError("no script_finished message within 120 s")
        page.wait_for_timeout(20)
    page.wait_for_selector(IDLE)
    while True:
        state = page.evaluate("window.__probe.snapshot()")
        if state["now"] - max(state["paint"], state["changed"]) > QUIET_MS and state["paint"] > 0:
            return state
        page.wait_for_timeout(100)


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
        "payload": sum(n for _, n in kinds[: finished + 1]),
        "f32": page.evaluate("window.__probe.zBytes()"),
    }


def step_dk(page):
    """One keyboard step up of the d_k slider: a state this page has never shown."""
    page.locator(".st-key-d_k").get_by_role("slider").focus()
    page.keyboard.press("ArrowRight")


def edit_sentence(words):
    """Replace the last word by a new one, then Enter: the sentence commits and the page reruns."""
    edits = iter(range(10**6))

    def act(page):
        box = page.locator(".st-key-sentence input")
        box.fill(" ".join(words[:-1] + [f"mat{next(edits)}"]))
        box.press("Enter")

    return act


def compute_ms(settings):  # Settings -> float, median ms of attention.run
    times = []
    for _ in range(REPS):
        t = time.perf_counter()
        run(settings)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def bench_length(browser, base, n):  # -> list of table rows
    text = sentence(n)
    words = text.split()
    page = browser.new_page(viewport={"width": 1400, "height": 5200})
    page.add_init_script(PROBE)
    frames = Frames(page)
    page.set_default_timeout(180_000)
    page.goto(f"{base}/?{urllib.parse.urlencode({'n': len(words), 's': text})}")
    page.wait_for_selector(IDLE)
    rows = []
    for name, act in (("d_k slider step", step_dk), ("sentence edit + Enter", edit_sentence(words))):
        measure(page, frames, act)  # warm-up: caches, chart components, JIT
        runs = [measure(page, frames, act) for _ in range(REPS)]
        row = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        row |= {"n": len(words), "interaction": name, "runs": [round(r["latency"]) for r in runs]}
        rows.append(row)
        print(f"  {name} at {len(words)} tokens: {row['runs']} ms", file=sys.stderr)
    page.close()
    floor = compute_ms(Settings(sentence=text, seq_len=len(words)))
    return [r | {"compute": floor} for r in rows]


def table(rows):  # -> str, Markdown
    head = (
        "| tokens | interaction | latency (median) | target | to request | server | compute | "
        "payload | f32 shown | payload / f32 |\n|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in rows:
        target = TARGET_MS[min(TARGET_MS, key=lambda t: abs(t - r["n"]))]
        ok = "✓" if r["latency"] <= target else "✗"
        lines.append(
            f"| {r['n']} | {r['interaction']} | {r['latency']:.0f} ms {ok} | ≤ {target} ms | "
            f"{r['to request']:.0f} ms | {r['server']:.0f} ms | {r['compute']:.1f} ms | "
            f"{r['payload'] / 1e3:.1f} kB | {r['f32'] / 1e3:.1f} kB | {r['payload'] / r['f32']:.2f}× |"
        )
    return head + "\n".join(lines)


def main():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-streamlit-{port}.log", "w")  # noqa: SIM115
    server = __import__("subprocess").Popen(server_command(port), cwd=APP_DIR, stdout=log, stderr=log)
    try:
        for _ in range(240):
            if healthy(base):
                break
            time.sleep(0.25)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
            rows = [row for n in LENGTHS for row in bench_length(browser, base, n)]
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(table(rows))


if __name__ == "__main__":
    main()
