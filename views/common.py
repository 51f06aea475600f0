"""What every section shares: the cached pipeline call, safe ways to show user text, one chart call."""

import re

import streamlit as st

from attention import Settings, Trace, run
from views.live_chart import live_charts
from views.trace_cache import TraceCache

TRACES = TraceCache.from_env()  # bounded by bytes (ATTENTION_CACHE_MB, default 128), shared by every session


def compute(settings: Settings) -> Trace:
    """The one call into the package for a set of settings, cached across reruns and sessions."""
    return TRACES.get(settings, lambda: run(settings))


def literal(text):  # str -> str
    """Markdown that shows `text` exactly as typed: a code span fenced longer than any backtick run."""
    fence = "`" * (max((len(r) for r in re.findall("`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def plain(text):  # str -> str
    """Markdown that shows `text` as plain text: every ASCII punctuation mark backslash-escaped."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", " ".join(text.split()))


def chips(tokens):  # list[str] -> None
    """The tokens as a row of code-span chips, each shown literally."""
    st.markdown(" ".join(literal(t) for t in tokens))


def draw(figures, key, columns=1, on_click=None, group="page"):
    """Figures (a dict name -> figure) drawn in place, side by side in `columns`; -> a click or None.

    Every map of the page shares one hover group: hovering a token's row or column in one map
    outlines the same token in every other map drawn on the same tokens.
    """
    return live_charts(figures, key, on_click=on_click, columns=columns, group=group)
