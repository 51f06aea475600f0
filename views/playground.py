"""Mask playground: every mask kind beside the weights it produces."""

import streamlit as st

from attention import MASK_KINDS
from charts import figures as fg
from views.live_chart import draw
from views.page import LARGE, Tab
from views.traces import compute
from views.weights import MASK_TEXT, row_sum_check


def section(page):
    current, h, settings = page.trace, page.head, page.settings
    st.header("Mask playground")
    st.markdown(
        "A mask decides which keys each query may see. Hidden scores become −∞, so their weights are "
        "exactly 0 (blank cells), and softmax spreads each row's whole weight over the keys left: "
        "every row still sums to 1. Window width and prefix length are under More settings."
    )
    kinds = MASK_KINDS if settings.length <= LARGE else (settings.mask,)
    if len(kinds) == 1:
        st.info(f"With more than {LARGE} positions only the chosen mask is drawn.")
    for kind in kinds:
        trace = current if kind == settings.mask else compute(settings.replace(mask=kind))
        st.subheader(kind.capitalize())
        st.caption(
            MASK_TEXT.get(kind, "No mask: every query sees every key, [PAD] included.").format(
                window=settings.window, prefix=settings.prefix
            )
        )
        tokens, mask = trace.tokens, trace.mask
        title = f"{kind} mask (1 = may attend)"
        weights = fg.blank(trace.attention.weights[h], mask)
        figs = {
            f"pg_mask_{kind}": fg.heatmap(
                trace.allowed(), tokens, tokens, title, kind="mask", value="may attend"
            ),
            f"pg_weights_{kind}": fg.heatmap(
                weights, tokens, tokens, f"Weights under the {kind} mask", kind="weights", value="weight"
            ),
        }
        draw(figs, key=f"pg_{kind}", columns=2)
        st.caption(row_sum_check(trace.attention.weights[h], mask))


TAB = Tab("Masks", section)
