"""Attention, step by step: type a sentence, move a slider, watch scaled dot-product attention change.

Run with `streamlit run app.py`. The maths lives in the `attention` package, the pictures in
`charts`; this file opens the session's address, draws the controls, makes the one cached call,
opens the tabs and writes the address back. Everything below the introduction and the sidebar is one
fragment, which a change made there reruns alone.

pandas is imported first, by every session's script: a table (st.dataframe) would otherwise import
it in the first session's thread, while Plotly reads `sys.modules["pandas"]` without importing it and
other sessions building a figure die on the half-initialised module. An `import` waits for another
thread's import of the same module to finish.
"""

import pandas  # noqa: F401  before any session draws: see below
import streamlit as st

from attention import tokenize
from views import link
from views.animation import animation
from views.common import plain
from views.controls import controls, sidebar_moved, sidebar_ui
from views.first import first_screen
from views.heap import settle
from views.lesson import lesson_panel
from views.page import TAB, Page
from views.steps import head_picker
from views.style import apply_style
from views.tabs import LINKS, TABS
from views.traces import HEAVY_TOKENS, compute, heavy, queue_here


def intro():
    apply_style()  # the first screen holds the maps: less blank space above the title; a phone layout
    box = st.container(key="intro")  # keyed: on a phone the paragraph is left out (static/page.css)
    left, right = box.columns([3, 2], vertical_alignment="center")
    left.markdown("## Attention, step by step")
    right.latex(r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right) V")
    box.caption(
        "Every word of a sentence gathers information from the other words, weighted by how relevant "
        "each one is. Type a sentence, move d_k, and watch the scores, the scaled scores and the weights "
        "change below; the tabs walk through every step."
    )


def body(settings):
    """The first screen, the lesson and the open tab, for settings the widgets describe."""
    if not tokenize(settings.sentence):
        st.warning("Type a sentence above to see its attention.")
        return
    with heavy(settings.length >= HEAVY_TOKENS):  # a long text waits its turn among the heavy runs
        page = Page(settings, compute(settings), head_picker(settings.n_heads))
        first_screen(page, lesson_panel(page))
        animation(page)
        titles = [t.title for t in TABS]
        for place, tab in zip(st.tabs(titles, key=TAB, on_change="rerun"), TABS, strict=True):
            with place:
                if place.open:
                    tab.section(page)


NOTICES = "link_notices"  # what the session's link could not use, shown once by the page below


def main():
    st.set_page_config(page_title="Attention, step by step", page_icon="🔎", layout="wide")
    intro()
    queue_here(st.empty())  # where a heavy run waiting for its turn says so: the sidebar's may be one
    # the address into the widgets, before any is drawn
    st.session_state[NOTICES] = link.open_session(TABS, LINKS)
    sidebar_ui(link.open_tab(TABS).sidebar)
    below_intro()


@st.fragment
def below_intro():
    """Everything below the introduction. A widget, tab or map of this part reruns it alone: the
    introduction and the sidebar stay as drawn (two dozen elements fewer to build, send and render
    on every change), unless the change moved what the sidebar shows; then the whole app is drawn
    instead, before anything here is (a notice shown once is shown by that run)."""
    tab = link.open_tab(TABS)  # again in a run of this part alone: a tab switch reruns it
    if sidebar_moved(tab.sidebar):  # a tab, the sentence or a callback changed what the sidebar shows
        st.rerun(scope="app")
    queue_here(st.empty())  # where a heavy run waiting for its turn says so, above everything it draws
    settings, more = controls()
    with st.container():  # one slot, with or without notices: what follows keeps its place on the page
        for notice in st.session_state.pop(NOTICES, []) + more:
            st.warning(plain(notice))  # a notice quotes the link's text: show it, never render it
    if settings is not None:
        body(settings)
    link.write(settings)
    settle()  # modules imported by this run leave the collection Streamlit runs after it


main()
