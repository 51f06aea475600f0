"""The page's traces: the toy's and the pretrained encoder's, in one cache bounded by bytes.

Every session of the server shares one `TraceCache` (ATTENTION_CACHE_MB, default 128): the toy's
traces, the encoder's traces and their summaries compete for the same budget, so the page's memory
stays bounded whichever tab the sessions are on. Each kind keys its entries with its own tag, so a
toy `Settings` and a sentence can never collide. The encoder runs in float32 for drawing (its weights
agree with float64 to about 4e-6, far below what a colour or a printed 0.01 shows); the float64 pass
stays the package's exactness reference.
"""

import numpy as np
import streamlit as st

from attention import Settings, Trace, run
from attention.pretrained import EncoderTrace
from attention.rollout import attention_rollout, head_summary
from exchange import checkpoint
from views.trace_cache import TraceCache

TRACES = TraceCache.from_env()  # bounded by bytes (ATTENTION_CACHE_MB, default 128), shared by every session
DRAWING = np.float32  # the encoder's dtype on the page


def compute(settings: Settings) -> Trace:
    """The one call into the package for a set of settings, cached across reruns and sessions."""
    return TRACES.get(("toy", settings), lambda: run(settings))


@st.cache_resource(show_spinner="Loading all-MiniLM-L6-v2 (once per server)…")
def encoder():  # -> attention.pretrained.Encoder; raises ModelNotInstalled when its package is missing
    return checkpoint.load()


def encode(text: str) -> EncoderTrace:
    """The sentence through the encoder in float32, cached across reruns and sessions."""
    model = encoder()  # outside the cache's computation: ModelNotInstalled is raised, never stored
    return TRACES.get(("encoder", str(text)), lambda: model.run(str(text), dtype=DRAWING))


def summaries(text: str):  # -> (rollout [n_layers, seq, seq], HeadSummary) of the sentence's trace
    """The sentence's attention rollout and per-head summary, cached beside its trace."""

    def summarise():
        trace = encode(text)
        return attention_rollout(trace.weights), head_summary(trace.weights, trace.tokens)

    return TRACES.get(("summaries", str(text)), summarise)
