"""A fresh server opened by a whole class at once: every session is served, none shows an exception.

On a fresh server the first session to reach a table imports pandas in its own script thread; Plotly
reads `sys.modules["pandas"]` without importing it, so any other session building a figure at that
moment saw the half-initialised module and died. The app imports such modules before its first
element, so every session waits for the import to finish. This starts its own server, opens default
pages (one and two heads), Pretrained-tab pages and Scaling-lab pages (tables) in the same instant,
three times on three fresh servers.
"""

import asyncio

import pytest

from harness.protocol import load_page, query, run_apart
from harness.server import StreamlitServer

pytestmark = pytest.mark.model  # the Pretrained tab's sessions need the model package

WORDS = ("the", "cat", "sat", "on", "a", "mat", "while", "two", "dogs", "ran", "far", "down", "an", "old")


def links(n):  # -> n share links, each its own sentence and settings, over the page's heavy and light parts
    tabs = (None, "Pretrained model", "Scaling lab", None)
    found = []
    for i in range(n):
        params = {"s": f"s{i} " + " ".join(WORDS[: 5 + i % 9]), "seed": i, "h": (1, 2)[i % 2]}
        found.append(params | ({"tab": tabs[i % 4]} if tabs[i % 4] else {}))
    return found


async def open_all(url, params):  # -> list of Outcome, every session started at once
    return await asyncio.gather(*(load_page(url, query(p), timeout=240) for p in params))


@pytest.mark.parametrize("server", range(3))
def test_a_class_on_a_fresh_server_is_served_without_an_exception(server):
    with StreamlitServer() as app:
        outcomes = run_apart(open_all(app.url, links(24)))
        log = app.output()  # the tracebacks the page redacts
    failed = [o.error or o.exceptions for o in outcomes if not o.ok or o.exceptions]
    where = f"fresh server {server}"
    assert not failed, f"{len(failed)} of {len(outcomes)} sessions failed on {where}:\n{log[-3000:]}"
