"""A small page for the in-place chart component's tests (tests/test_live_chart.py and its browser test).

Four heatmaps on the same tokens, whose values follow a slider and whose labels are the words typed
in a text input, so hostile labels can be typed. Cell (i, j) of the first map holds step + i/10 +
j/100: a test can tell which numbers are shown. The first two are one `draw` call, side by side; the
third (the first with the cells above the diagonal masked, blank) is a call of its own in the same
default hover group; the fourth is in a group of its own, so it is not linked to the others.
The static/ folder beside this page is a link to the repository's, as app.py has it beside itself.
"""

import html
import sys
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from views.live_chart import draw  # noqa: E402


def values(step, n):  # int, int -> [n, n]
    i, j = np.indices((n, n))
    return step + i / 10 + j / 100


def figure(z, tokens, title):  # [n, n], list[str], str -> go.Figure
    cats = [f"#{i} {html.escape(t, quote=False)}" for i, t in enumerate(tokens)]
    trace = go.Heatmap(
        z=np.asarray(z, dtype=np.float32),
        x=cats,
        y=cats,
        colorscale="Viridis",
        hovertemplate="query %{y}<br>key %{x}<br>value %{z:.4g}<extra></extra>",
        hoverongaps=False,
    )
    ticks = {"type": "category", "tickvals": cats, "ticktext": [html.escape(t, quote=False) for t in tokens]}
    return go.Figure(
        trace,
        layout={
            "template": "none",
            "title": {"text": title},
            "height": 320,
            "xaxis": ticks,
            "yaxis": ticks | {"autorange": "reversed"},
            "margin": {"l": 120, "r": 10, "t": 40, "b": 120},
        },
    )


def remember(click):
    st.session_state["from_callback"] = click


step = st.slider("step", 0, 10, 1, key="step")
text = st.text_input("words", "the cat sat on the mat", key="words")
tokens = text.split() or ["(empty)"]
z = values(step, len(tokens))
causal = np.where(np.tril(np.ones_like(z, dtype=bool)), z, np.nan)
pair = {"first": figure(z, tokens, "First map"), "second": figure(-z, tokens, "Second map")}
click = draw(pair, key="demo", columns=2, on_click=remember)
click = draw(figure(causal, tokens, "Third map: causal"), key="third") or click
draw({"apart": figure(z, tokens, "Fourth map, apart")}, key="apart", group="apart")
if click is not None:
    st.text(f"clicked figure={click['figure']} name={click['name']} row={click['row']} col={click['col']}")
    st.text(f"clicked z={click['z']:.4f}")
if "from_callback" in st.session_state:
    st.text(f"callback row={st.session_state['from_callback']['row']}")
