"""Animate d_k: the weights of the head shown as d_k steps through 1 … 512, with and without ÷√d_k.

The frames are computed once per setting and played by Plotly in the browser, so the animation
needs no rerun per frame.
"""

import streamlit as st

from attention.animate import D_KS, dk_frames
from charts import figures as fg
from charts.animate import dk_animation
from views.live_chart import draw
from views.page import ANIMATE, LARGE


@st.cache_data(max_entries=8, show_spinner="Running every d_k from 1 to 512…")
def frames(settings, head):  # Settings, int -> DkFrames (20 runs of the pipeline, cached)
    return dk_frames(settings, head)


def animation(page):
    """A toggle; when on, the two maps and Plotly's play button and d_k slider."""
    if not st.toggle(f"Animate d_k from {D_KS[0]} to {D_KS[-1]}", key=ANIMATE):
        return
    if len(page.trace.tokens) > LARGE:
        st.info(f"The d_k animation is drawn up to {LARGE} tokens.")
        return
    st.caption(
        "Press play: with ÷√d_k the rows keep their spread at every width; without it they sharpen as "
        "d_k grows, until one key takes nearly all of a row (the Scaling lab tab says why)."
    )
    draw({"dk_animation": dk_animation(frames(page.settings, page.head), fg.blank)}, key="dk_animation")
