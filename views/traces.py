"""The page's traces: the toy's and the pretrained encoder's, in one cache bounded by bytes.

Every session of the server shares one `TraceCache` (ATTENTION_CACHE_MB, default 128): the toy's
traces, the encoder's traces and their summaries compete for the same budget, so the page's memory
stays bounded whichever tab the sessions are on. Each kind keys its entries with its own tag, so a
toy `Settings` and a sentence can never collide. The encoder runs in float32 for drawing (its weights
agree with float64 to about 5e-6, by the processor's BLAS kernel, far below what a colour or a
printed 0.01 shows); the float64 pass
stays the package's exactness reference.

Heavy work (an encoder run, a page of HEAVY_TOKENS tokens or more, a file to download) goes through
one `Gate` per process: a few at a time, the rest queued in order, told in the run's queue slot how
many runs are ahead of them.
"""

import threading
from contextlib import contextmanager

import numpy as np
import streamlit as st

from attention import Settings, Trace, run
from attention.pretrained import EncoderTrace
from attention.rollout import attention_rollout, head_summary
from exchange import checkpoint
from views.gate import Gate
from views.trace_cache import TraceCache

TRACES = TraceCache.from_env()  # bounded by bytes (ATTENTION_CACHE_MB, default 128), shared by every session
HEAVY = Gate.from_env()  # at most ATTENTION_HEAVY_SLOTS heavy runs at once (default: cores - 1, at least 1)
HEAVY_TOKENS = 256  # a toy page of this many positions or more is heavy work
DRAWING = np.float32  # the encoder's dtype on the page
_run = threading.local()  # .slot: the placeholder the current script run shows its place in the queue in


def queue_here(slot):  # st.empty() placeholder -> None, once per script run, before any heavy work
    _run.slot = slot


def queued(ahead, slots):  # int, int -> str, what a waiting visitor reads
    runs = "run is" if ahead == 1 else "runs are"
    return (
        f"Queued: {ahead} heavy {runs} ahead of yours (long texts, the pretrained model, downloads). "
        f"This server computes {slots} at a time so that every other page stays quick; yours starts "
        "as soon as a place is free."
    )


@contextmanager
def heavy(is_heavy=True):
    """The block runs within the process's heavy-work limit when is_heavy, told in the queue slot."""
    if not is_heavy:
        yield
        return
    slot, waited = getattr(_run, "slot", None), []

    def waiting(ahead):  # also gives Streamlit a point to stop a run the visitor has moved on from
        if slot is not None:
            slot.info(queued(ahead, HEAVY.slots), icon=":material/hourglass_top:")
            waited.append(ahead)

    with HEAVY.enter(waiting):
        if waited:
            slot.empty()
        yield


def compute(settings: Settings) -> Trace:
    """The one call into the package for a set of settings, cached across reruns and sessions."""
    return TRACES.get(("toy", settings), lambda: run(settings))


@st.cache_resource(show_spinner="Loading all-MiniLM-L6-v2 (once per server)…")
def encoder():  # -> attention.pretrained.Encoder; raises ModelNotInstalled when its package is missing
    return checkpoint.load()


def encode(text: str) -> EncoderTrace:
    """The sentence through the encoder in float32, cached across reruns and sessions."""
    model = encoder()  # outside the cache's computation: ModelNotInstalled is raised, never stored

    def run_encoder():
        with heavy():
            return model.run(str(text), dtype=DRAWING)

    return TRACES.get(("encoder", str(text)), run_encoder)


def summaries(text: str):  # -> (rollout [n_layers, seq, seq], HeadSummary) of the sentence's trace
    """The sentence's attention rollout and per-head summary, cached beside its trace."""

    def summarise():
        trace = encode(text)
        with heavy():
            return attention_rollout(trace.weights), head_summary(trace.weights, trace.tokens)

    return TRACES.get(("summaries", str(text)), summarise)
