"""A class opening shared links at once: protocol-level virtual users against the servers it starts.

Run `python bench/load.py [scenario ...]` from the repository root; it prints Markdown tables. Not a
test: the numbers depend on the machine and on what else runs on it. Scenarios (all by default):

- class:    30 users x 2 sessions at 10 tokens, the app and the 3-chart demo (bench/demo3.py) in turn
- large:    6 users x 4 sessions at 512 tokens, 8 heads, d_model 512: memory
- replicas: the class on one process, then on 2 replicas behind nginx (deploy/cluster.sh)
- kill:     the class on 2 replicas; one replica is killed once a third of the sessions are served
- mixed:    20 users x 2 small sessions, alone and next to one 512-token page read by a slow client
- pretrained: 6 users x 4 sessions on the Pretrained model tab, each its own 512-piece sentence: memory
- fresh:    60 default and 10 Pretrained-tab sessions opened in the same instant on a fresh server
- heavy:    20x2 light sessions alone, then beside 4 users opening 512-piece Pretrained pages in turn,
            with the heavy-work limit (ATTENTION_HEAVY_SLOTS, default cores - 1) and without it

A user opens its sessions one after the other (new tabs on new links), all users at once. Every
session has its own sentence and settings, passed as a share link, so no cache hides the work.
BENCH_USERS, BENCH_SESSIONS and BENCH_TOKENS change the class's size.
"""

import asyncio
import os
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.servers import ROOT, Cluster, Server  # noqa: E402
from harness.protocol import health, load_page, query  # noqa: E402

USERS = int(os.environ.get("BENCH_USERS", 30))
SESSIONS = int(os.environ.get("BENCH_SESSIONS", 2))
TOKENS = int(os.environ.get("BENCH_TOKENS", 10))
LARGE = {"n": 512, "h": 8, "dm": 512, "dk": 64}
PRETRAINED = "Pretrained model"  # the tab's title, as a link names it (`?tab=Pretrained+model&s=...`)
SLOW_CLIENT = 2e6  # bytes/s a slow client reads: about 16 Mbit/s
TIMEOUT = 180  # seconds one session may take before it counts as failed
WORDS = ("the", "cat", "sat", "on", "a", "mat", "while", "two", "dogs", "ran", "far", "down", "an", "old")


def link(user, session, tokens=TOKENS, large=False):  # -> share-link parameters of one session
    words = [f"u{user}", f"s{session}"] + [WORDS[i % len(WORDS)] for i in range(tokens)]
    params = {"s": " ".join(words[:tokens]), "n": tokens, "seed": (31 * user + session) % 1000}
    return params | LARGE if large else params | {"h": (1, 2, 4)[(user + session) % 3]}


def pretrained_link(user, session, pieces=512):  # -> share-link parameters of one Pretrained-tab session
    """A sentence of `pieces` word pieces ([CLS] and [SEP] included): two numbers naming the session, then
    common words, each a single piece of the model's vocabulary."""
    words = [str(user), str(session)] + [WORDS[i % len(WORDS)] for i in range(pieces - 4)]
    return {"tab": PRETRAINED, "s": " ".join(words)}


async def user(base, number, sessions, results, proxied, make_link=link, **options):
    """One browser: a route cookie first when behind the proxy, then its sessions in turn."""
    cookie = (await asyncio.to_thread(health, base))[1] if proxied else None
    for session in range(sessions):
        start = time.monotonic()
        outcome = await load_page(base, query(make_link(number, session)), TIMEOUT, cookie, **options)
        results.append((start, outcome))


async def crowd(base, users=USERS, sessions=SESSIONS, proxied=False, make_link=link, during=None):
    """All users at once; `during(results)` runs alongside them. -> (results, seconds the users took)"""
    results, start = [], time.monotonic()
    side = asyncio.ensure_future(during(results)) if during else None
    await asyncio.gather(*(user(base, u, sessions, results, proxied, make_link) for u in range(users)))
    seconds = time.monotonic() - start
    if side:
        await side
    return results, seconds


def summary(name, results, seconds, rss=None):  # -> dict, one row of a table
    outcomes = [o for _, o in results]
    served = [o for o in outcomes if o.ok]
    times = sorted(o.seconds for o in served) or [float("nan")]
    return {
        "run": name,
        "served": f"{len(served)}/{len(outcomes)}",
        "failed": len(outcomes) - len(served),
        "page exceptions": sum(len(o.exceptions) for o in outcomes),
        "p50 s": f"{statistics.median(times):.2f}",
        "p95 s": f"{times[min(len(times) - 1, int(0.95 * len(times)))]:.2f}",
        "sessions/s": f"{len(served) / seconds:.2f}",
        "kB/session": f"{statistics.fmean([o.bytes for o in served] or [0]) / 1e3:.0f}",
        "largest msg kB": f"{max([o.largest for o in served] or [0]) / 1e3:.0f}",
        "peak RSS MB": "" if rss is None else f"{rss:.0f}",
    }


def warm(base, proxied=False):
    """One session per replica's worth of users first: imports and first-run costs are not the class's."""
    asyncio.run(crowd(base, users=4, sessions=1, proxied=proxied, make_link=lambda u, s: link(900 + u, s)))


def run_class(target, name, proxied=False, **crowd_options):  # Server | Cluster -> row
    warm(target.url, proxied)
    results, seconds = asyncio.run(crowd(target.url, proxied=proxied, **crowd_options))
    return summary(name, results, seconds, target.peak_rss_mb())


def scenario_class():
    rows = []
    demo = str(ROOT / "bench" / "demo3.py")
    for script, name in (("app.py", "app, one process"), (demo, "3-chart demo, one process")):
        with Server(script) as server:
            rows.append(run_class(server, f"{name}: {USERS}x{SESSIONS} at {TOKENS} tokens"))
    return rows


def scenario_large():
    with Server() as server:
        results, seconds = asyncio.run(crowd(server.url, 6, 4, make_link=lambda u, s: link(u, s, 512, True)))
        return [summary("app, one process: 6x4 at 512 tokens, 8 heads, d_model 512", results, seconds,
                        server.peak_rss_mb())]  # fmt: skip


def scenario_replicas():
    with Server() as server:
        rows = [run_class(server, f"one process: {USERS}x{SESSIONS} at {TOKENS} tokens")]
    with Cluster(2) as cluster:
        rows.append(run_class(cluster, f"2 replicas behind nginx: {USERS}x{SESSIONS}", proxied=True))
    return rows


def scenario_kill():
    """Kill replica 1 once a third of the sessions are served; count what was lost and what went on."""
    total, moment = USERS * 3, {}

    async def kill_one(results):
        for _ in range(int(TIMEOUT / 0.05)):  # bounded: gives up with the sessions' own timeout
            if len(results) >= total // 3:
                os.kill(cluster.replicas()[0][0], signal.SIGKILL)
                moment["killed"] = time.monotonic()
                return
            await asyncio.sleep(0.05)

    with Cluster(2) as cluster:
        warm(cluster.url, proxied=True)
        start = time.monotonic()
        results, seconds = asyncio.run(crowd(cluster.url, USERS, 3, proxied=True, during=kill_one))
    killed = moment.get("killed", float("inf"))
    after = [(s, o) for s, o in results if s > killed]
    return [
        summary(f"2 replicas, one killed: {USERS}x3", results, seconds),
        summary("  sessions opened after the kill", after, start + seconds - killed),
    ]


def scenario_mixed():
    small = {"users": 20, "sessions": 2}
    with Server() as server:
        warm(server.url)
        alone = asyncio.run(crowd(server.url, **small))

        large = []

        async def large_page(results):
            url = query(link(999, 0, 512, True))
            large.append((0, await load_page(server.url, url, TIMEOUT, read_rate=SLOW_CLIENT)))

        beside = asyncio.run(crowd(server.url, **small, during=large_page))
    return [
        summary("20x2 small sessions alone", *alone),
        summary("20x2 small sessions beside a 512-token page on a slow client", *beside),
        summary("  the 512-token page, read at 2 MB/s", large, large[0][1].seconds),
    ]


def scenario_pretrained():
    """24 sessions at 512 pieces on the Pretrained model tab, 6 at a time: the encoder's traces in memory."""
    with Server() as server:
        warm = asyncio.run(crowd(server.url, 1, 1, make_link=lambda u, s: pretrained_link(900, 0, 16)))
        results, seconds = asyncio.run(crowd(server.url, 6, 4, make_link=pretrained_link))
        return [
            summary("app, one process: the model loaded, one 16-piece session", *warm, server.peak_rss_mb()),
            summary("app, one process: 6x4 at 512 pieces, Pretrained model tab", results, seconds,
                    server.peak_rss_mb()),
        ]  # fmt: skip


def scenario_fresh():
    """No warm-up: the first sessions of a new process, default pages and the Pretrained tab at once."""

    def make_link(u, s):
        return pretrained_link(u, s, 16) if u >= 60 else link(u, s)

    with Server() as server:
        results, seconds = asyncio.run(crowd(server.url, 70, 1, make_link=make_link))
        log_errors = server.output().count("Traceback")
        row = summary("fresh server: 60 default + 10 Pretrained sessions at once", results, seconds,
                      server.peak_rss_mb())  # fmt: skip
    return [row | {"tracebacks in log": log_errors}]


def heavy_visitors(base, found):  # -> async during(results): 4 users opening 2 Pretrained pages each
    async def during(results):
        await asyncio.gather(*(user(base, 500 + u, 2, found, False, pretrained_link) for u in range(4)))

    return during


def scenario_heavy():
    """Light visitors' p95 alone and beside four visitors of 512-piece Pretrained pages."""
    small = {"users": 20, "sessions": 2}
    rows = []
    for slots, name in ((None, "limit on (default)"), ("64", "no limit")):
        with Server(env={"ATTENTION_HEAVY_SLOTS": slots} if slots else None) as server:
            warm(server.url)
            asyncio.run(crowd(server.url, 1, 1, make_link=lambda u, s: pretrained_link(900, 0, 16)))
            alone = asyncio.run(crowd(server.url, **small))
            heavy = []
            beside = asyncio.run(crowd(server.url, **small, during=heavy_visitors(server.url, heavy)))
            rss = server.peak_rss_mb()
        longest = max((o.seconds for _, o in heavy), default=float("nan"))
        rows += [
            summary(f"{name}: 20x2 light sessions alone", *alone),
            summary(f"{name}: 20x2 light beside 4x2 Pretrained at 512 pieces", *beside, rss),
            summary(f"{name}:   the 4x2 Pretrained sessions", heavy, longest),
        ]
    return rows


def loadavg():  # -> str, the machine's 1, 5 and 15-minute load averages
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def table(rows):  # list of dicts -> str, Markdown
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    return "\n".join(lines + ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows])


SCENARIOS = {
    "class": scenario_class,
    "large": scenario_large,
    "replicas": scenario_replicas,
    "kill": scenario_kill,
    "mixed": scenario_mixed,
    "pretrained": scenario_pretrained,
    "fresh": scenario_fresh,
    "heavy": scenario_heavy,
}


def main(names):
    for name in names or SCENARIOS:
        before = loadavg()
        rows = SCENARIOS[name]()
        print(f"\n### {name}\n\n{table(rows)}\n\nload average before {before}, after {loadavg()}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
