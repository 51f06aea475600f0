"""Attention, step by step: type a sentence, move a slider, watch scaled dot-product attention change.

Run with `streamlit run app.py`. The maths lives in the `attention` package, the pictures in
`charts`; this file only draws the controls, makes the one cached call and opens the tabs.
"""

import streamlit as st

from attention import tokenize
from views.common import compute, plain
from views.controls import controls
from views.page import TAB, Page
from views.steps import head_picker, status
from views.tabs import SECTIONS, TABS


def intro():
    st.title("Attention, step by step")
    st.markdown(
        "Attention lets every word of a sentence gather information from the other words, weighted by "
        "how relevant each one is. Type a sentence and follow it through every step of scaled "
        "dot-product attention:"
    )
    st.latex(r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right) V")


def main():
    st.set_page_config(page_title="Attention, step by step", page_icon="🔎", layout="wide")
    intro()
    settings, notices = controls()
    for notice in notices:
        st.warning(plain(notice))  # a notice quotes the link's text: show it, never render it
    if settings is None:
        return
    if not tokenize(settings.sentence):
        st.warning("Type a sentence above to see its attention.")
        return
    trace = compute(settings)
    st.info(status(trace))
    page = Page(settings, trace, head_picker(settings.n_heads), TABS)
    for tab, name in zip(st.tabs(TABS, key=TAB, on_change="rerun"), TABS, strict=True):
        with tab:
            if tab.open:
                SECTIONS[name](page)


main()
