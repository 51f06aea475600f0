"""Attention, step by step: type a sentence, move a slider, watch scaled dot-product attention change.

Run with `streamlit run app.py`. The maths lives in the `attention` package; this file only
draws widgets, makes the one cached call and hands figures to the sections of the page.
"""

import streamlit as st

from views import steps, weights
from views.common import compute, plain
from views.compare import compare_section
from views.controls import TABS, sidebar
from views.export import export_section
from views.lab import lab_section
from views.playground import playground_section
from views.pretrained import pretrained_section
from views.walkthrough import walkthrough_section


def intro():
    st.title("Attention, step by step")
    st.markdown(
        "Attention lets every word of a sentence gather information from the other words, weighted by "
        "how relevant each one is. Type a sentence in the sidebar and follow it through every step "
        "of scaled dot-product attention:"
    )
    st.latex(r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right) V")


def pipeline_section(trace, h):
    steps.tokens_stage(trace)
    steps.projections_stage(trace, h)
    steps.scores_stage(trace, h)
    weights.mask_stage(trace, h)
    weights.weights_stage(trace, h)
    weights.output_stage(trace, h)


def main():
    st.set_page_config(page_title="Attention, step by step", page_icon="🔎", layout="wide")
    settings, notices = sidebar()
    intro()
    for notice in notices:
        st.warning(plain(notice))  # a notice quotes the link's text: show it, never render it
    if settings is None:
        return
    if not settings.sentence.split():
        st.warning("Type a sentence in the sidebar to see its attention.")
        return
    trace = compute(settings)
    st.info(steps.status(trace))
    h = steps.head_picker(settings.n_heads)
    sections = {
        "Step by step": lambda: pipeline_section(trace, h),
        "Scaling lab": lambda: lab_section(trace, h),
        "Masks": lambda: playground_section(trace, h),
        "Compare": lambda: compare_section(trace, h),
        "Pretrained model": lambda: pretrained_section(settings.sentence),
        "From the notebook": lambda: walkthrough_section(settings.sentence),
        "Share & export": lambda: export_section(trace, st.session_state.get("cell")),
    }
    for tab, name in zip(st.tabs(TABS, key="tab", on_change="rerun"), TABS, strict=True):
        with tab:
            if tab.open:
                sections[name]()


main()
