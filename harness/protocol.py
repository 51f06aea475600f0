"""One visitor's page load spoken at Streamlit's protocol level, without a browser.

The browser's side of a session, as Streamlit's server reads it (streamlit/web/server/starlette/
starlette_websocket.py): a websocket to `/_stcore/stream` whose Sec-WebSocket-Protocol header lists
"streamlit" first (an XSRF token and a session to resume may follow; neither is needed to open a
session), then binary protobuf frames. The client sends a BackMsg `rerun_script` carrying the page's
query string; the server runs the script and streams ForwardMsgs (deltas, among them any exception
the page shows) until `script_finished`. That round trip is what a student opening a shared link
costs the server, which is what a load test of the server needs; the static HTML and JavaScript a
browser also fetches are the same for every visitor and cacheable, so they are left out. `Frames`
reads the same messages off a real browser's websocket (Playwright), for bench/latency.py. The health
check (`health`, which also returns a proxy's route cookie) lives in harness.server.
"""

import asyncio
import concurrent.futures
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from harness.server import health

__all__ = ["EARLY", "SUCCESS", "Frames", "Outcome", "health", "load_page", "query", "rerun_request"]

STREAM_PATH = "/_stcore/stream"
MAX_FRAME = 512 * 2**20  # bytes; the client must never be what limits the page's size
SUCCESS = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")
EARLY = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")


@dataclass
class Outcome:
    """What one session got: served or not, how long it took, what crossed the wire."""

    ok: bool = False  # script_finished arrived (the page may still have shown an exception)
    seconds: float = 0.0
    bytes: int = 0  # ForwardMsg bytes received
    messages: int = 0
    largest: int = 0  # bytes of the largest ForwardMsg
    exceptions: list = field(default_factory=list)  # texts of the exceptions the page showed
    error: str | None = None  # why the session was not served


def query(params):  # Mapping[str, object] -> str, a share link's query string
    return urlencode({key: str(value) for key, value in params.items()})


def rerun_request(query_string):  # str -> bytes, the BackMsg a browser sends to load the page
    msg = BackMsg()
    msg.rerun_script.query_string = query_string
    msg.rerun_script.page_script_hash = ""  # the main page
    msg.rerun_script.context_info.timezone = "UTC"
    msg.rerun_script.context_info.locale = "en-US"
    return msg.SerializeToString()


def stream_url(base_url):  # "http://127.0.0.1:8501" -> "ws://127.0.0.1:8501/_stcore/stream"
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}{STREAM_PATH}"


def _read(raw, outcome):  # bytes, Outcome -> script_finished status, or None for any other message
    msg = ForwardMsg()
    msg.ParseFromString(raw)
    outcome.messages += 1
    outcome.bytes += len(raw)
    outcome.largest = max(outcome.largest, len(raw))
    kind = msg.WhichOneof("type")
    if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
        if msg.delta.new_element.WhichOneof("type") == "exception":
            exc = msg.delta.new_element.exception
            outcome.exceptions.append(f"{exc.type}: {exc.message}".strip(": "))
    elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
        outcome.exceptions.append(msg.session_event.script_compilation_exception.message)
    return msg.script_finished if kind == "script_finished" else None


async def load_page(base_url, query_string, timeout=120.0, cookie=None, read_rate=None):
    """Open a session, ask for the page at query_string, read until the script has finished.

    read_rate (bytes/s) makes a slow client: its socket fills and the server has to hold that
    session's messages while it serves the others.
    """
    outcome, start = Outcome(), time.perf_counter()
    headers = {"Cookie": cookie} if cookie else {}
    try:
        async with asyncio.timeout(timeout):
            async with websockets.connect(
                stream_url(base_url),
                subprotocols=["streamlit"],
                additional_headers=headers,
                max_size=MAX_FRAME,
                max_queue=1 if read_rate else 16,
                compression=None,
            ) as ws:
                await ws.send(rerun_request(query_string))
                async for raw in ws:
                    status = _read(raw, outcome)
                    if read_rate:
                        await asyncio.sleep(len(raw) / read_rate)
                    if status is None or status == EARLY:
                        continue
                    outcome.seconds = time.perf_counter() - start
                    outcome.ok = status == SUCCESS
                    outcome.error = None if outcome.ok else ForwardMsg.ScriptFinishedStatus.Name(status)
                    break
                else:
                    outcome.error = "the server closed the connection before the script finished"
    except TimeoutError:
        outcome.error = f"no script_finished within {timeout:g} s"
    except (OSError, websockets.exceptions.WebSocketException) as error:
        outcome.error = f"{type(error).__name__}: {error}"
    outcome.seconds = outcome.seconds or time.perf_counter() - start
    return outcome


def decode(proto, payload):  # -> (message kind | None, bytes)
    data = payload if isinstance(payload, bytes) else payload.encode()
    msg = proto()
    try:
        msg.ParseFromString(data)
        return msg.WhichOneof("type"), len(data)
    except Exception:  # not a Streamlit message: counted, never matched
        return None, len(data)


class Frames:
    """A Playwright page's websocket messages, decoded (kind, bytes), in the order the page sees them."""

    def __init__(self, page):
        self.received, self.sent = [], []
        page.on("websocket", self.watch)

    def watch(self, ws):
        ws.on("framereceived", lambda p: self.received.append(decode(ForwardMsg, p)))
        ws.on("framesent", lambda p: self.sent.append(decode(BackMsg, p)))


def run_apart(coroutine):  # -> the coroutine's result, run to the end on a thread of its own
    """A browser test earlier in the run may leave an event loop running on the calling thread
    (Playwright's sync API), and asyncio.run refuses to start a second one there."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
