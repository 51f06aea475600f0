"""Mask playground: every mask kind beside the weights it produces."""

import numpy as np
import streamlit as st

from attention import MASK_KINDS
from attention import figures as fg
from views.common import chart, compute
from views.weights import MASK_TEXT, row_sum_check

PLAYGROUND_LIMIT = 64  # above this many tokens only the chosen mask is drawn


def playground_section(current, h):
    settings = current.settings
    st.header("Mask playground")
    st.markdown(
        "A mask decides which keys each query may see. Hidden scores become −∞, so their weights are "
        "exactly 0 (blank cells), and softmax spreads each row's whole weight over the keys left: "
        "every row still sums to 1. Window width and prefix length are under *Advanced*."
    )
    kinds = MASK_KINDS if settings.seq_len <= PLAYGROUND_LIMIT else (settings.mask,)
    if len(kinds) == 1:
        st.info(f"With more than {PLAYGROUND_LIMIT} positions only the chosen mask is drawn.")
    for kind in kinds:
        trace = current if kind == settings.mask else compute(settings.replace(mask=kind))
        st.subheader(kind.capitalize())
        st.caption(
            MASK_TEXT.get(kind, "No mask: every query sees every key, [PAD] included.").format(
                window=settings.window, prefix=settings.prefix
            )
        )
        left, right = st.columns(2)
        mask = trace.mask
        with left:
            shown = mask if mask is not None else np.ones(trace.attention.weights[h].shape, dtype=bool)
            chart(
                fg.heatmap(
                    shown.astype("float32"),
                    trace.tokens,
                    trace.tokens,
                    f"{kind} mask (1 = may attend)",
                    kind="mask",
                    value="may attend",
                ),
                key=f"pg_mask_{kind}",
            )
        with right:
            fig = fg.heatmap(
                fg.blank(trace.attention.weights[h], mask),
                trace.tokens,
                trace.tokens,
                f"Weights under the {kind} mask",
                kind="weights",
                value="weight",
            )
            chart(fig, key=f"pg_weights_{kind}")
        st.caption(row_sum_check(trace.attention.weights[h], mask))
