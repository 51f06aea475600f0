"""Attention, step by step: type a sentence, move a slider, watch scaled dot-product attention change.

Run with `streamlit run app.py`. The maths lives in the `attention` package, the pictures in
`charts`; this file only draws the controls, makes the one cached call and opens the tabs.
"""

import streamlit as st

from attention import tokenize
from views.animation import animation
from views.common import compute, plain
from views.controls import controls
from views.first import first_screen
from views.lesson import lesson_panel, open_from_link
from views.page import TAB, Page
from views.pretrained import keep_link
from views.steps import head_picker
from views.style import apply_style
from views.tabs import SECTIONS, TABS


def intro():
    apply_style()  # the first screen holds the maps: less blank space above the title; a phone layout
    left, right = st.columns([3, 2], vertical_alignment="center")
    left.markdown("## Attention, step by step")
    right.latex(r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right) V")
    st.caption(
        "Every word of a sentence gathers information from the other words, weighted by how relevant "
        "each one is. Type a sentence, move d_k, and watch the scores, the scaled scores and the weights "
        "change below; the tabs walk through every step."
    )


def main():
    st.set_page_config(page_title="Attention, step by step", page_icon="🔎", layout="wide")
    intro()
    keep_link()  # the Pretrained tab's part of the address, before the controls rewrite it
    link_notices = open_from_link()  # ?tour=N: before the controls read the address
    settings, notices = controls()
    for notice in link_notices + notices:
        st.warning(plain(notice))  # a notice quotes the link's text: show it, never render it
    if settings is None:
        return
    if not tokenize(settings.sentence):
        st.warning("Type a sentence above to see its attention.")
        return
    trace = compute(settings)
    page = Page(settings, trace, head_picker(settings.n_heads), TABS)
    first_screen(page, lesson_panel(page))
    animation(page)
    for tab, name in zip(st.tabs(TABS, key=TAB, on_change="rerun"), TABS, strict=True):
        with tab:
            if tab.open:
                SECTIONS[name](page)


main()
