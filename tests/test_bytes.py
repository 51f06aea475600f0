"""What the largest page sends: every tab opened at 512 tokens and 8 heads, counted on the websocket.

A session that opens a link to any tab of the largest state (512 tokens, 8 heads, d_model 512) is
sent at most SESSION_BOUND bytes, in no message larger than MESSAGE_BOUND: the maps travel once as
float32, only the open tab is drawn. `.streamlit/config.toml` states the measured figures beside its
`maxMessageSize`, and README's "Deploying" section the budget they give a replica.
"""

import pytest
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from harness.protocol import load_page, query, rerun_request, run_apart, stream_url
from views.live_chart import COMPONENT
from views.tabs import TABS

MESSAGE_BOUND = 4 * 2**20  # bytes in one websocket message (measured: 2.0 MB, one 512 × 512 map's payload)
SESSION_BOUND = 12 * 2**20  # bytes a session is sent opening one tab (measured: 9.3 MB, Step by step)
LARGEST = {"s": " ".join(f"w{i}" for i in range(512)), "h": 8, "dm": 512, "dk": 64, "comb": 1}  # all open


def tab_case(tab):
    marks = [pytest.mark.model] if tab.title == "Pretrained model" else []
    return pytest.param(tab.title, marks=marks, id=tab.title)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("title", [tab_case(t) for t in TABS])
def test_a_session_of_the_largest_state_is_sent_a_bounded_number_of_bytes(app_server, title):
    outcome = run_apart(load_page(app_server, query(LARGEST | {"tab": title}), timeout=300))
    assert outcome.ok and outcome.error is None and outcome.exceptions == []
    assert outcome.bytes > 3 * 2**20  # the three first-screen maps at least: a page, not an error
    assert outcome.largest <= MESSAGE_BOUND
    assert outcome.bytes <= SESSION_BOUND


async def two_runs(base, query_string):  # -> (messages of the first run, of the same page run again)
    """A browser's two runs: the second says which cacheable messages it holds, as the frontend does."""
    runs = []
    async with websockets.connect(stream_url(base), subprotocols=["streamlit"], max_size=2**26) as ws:
        for held in ((), None):
            request = BackMsg()
            request.ParseFromString(rerun_request(query_string))
            cached = [m.hash for m in runs[0] if m.metadata.cacheable] if held is None else []
            request.rerun_script.cached_message_hashes.extend(cached)
            await ws.send(request.SerializeToString())
            runs.append([])
            async for raw in ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                runs[-1].append(msg)
                if msg.WhichOneof("type") == "script_finished":
                    break
    return runs


def bare_size(msg):  # ForwardMsg -> bytes, its size as Streamlit weighs it: without its hash and metadata
    bare = ForwardMsg()
    bare.CopyFrom(msg)
    bare.ClearField("hash")
    bare.ClearField("metadata")
    return bare.ByteSize()


def test_a_rerun_sends_each_unchanged_element_of_250_bytes_or_more_as_a_reference(app_server):
    first, again = run_apart(two_runs(app_server, query({"s": "the cat sat on the mat", "h": 2})))
    sizes = {m.hash: bare_size(m) for m in first if m.WhichOneof("type") == "delta"}
    big = {h for h, n in sizes.items() if n >= 250 and h}
    refs = {m.ref_hash for m in again if m.WhichOneof("type") == "ref_hash"}
    assert len(big) >= 15  # the maps, the stages' texts, the larger widgets
    kinds = {m.delta.new_element.WhichOneof("type") for m in first if m.hash in big and m.HasField("delta")}
    assert "bidi_component" in kinds and "markdown" in kinds
    charts = {  # the maps: the chart component's elements (the watcher of views/near.py is smaller than 250)
        m.hash
        for m in first
        if m.HasField("delta") and m.delta.new_element.bidi_component.component_name == COMPONENT
    }
    assert len(charts) >= 8 and charts <= refs  # every map travels as a reference: the same page, drawn again
    texts = {m.hash for m in first if m.hash in big and m.delta.new_element.HasField("markdown")}
    assert texts and texts <= refs  # and every text of 250 bytes or more (each under Streamlit's 10 kB)
    full = sum(m.ByteSize() for m in first)
    assert sum(m.ByteSize() for m in again) < full / 2
