"""Letters to numbers: the hand-made toy of the notebook this page grew from, computed correctly.

The tab was "From the notebook" until the page said which notebook; links with the old title still
open it (exchange.share.OLD_TABS).
"""

import streamlit as st

from attention import walkthrough
from charts import figures as fg
from views.live_chart import draw
from views.page import Tab

TITLE = "Letters to numbers"


def section(page):
    st.header("Letters to numbers, by hand")
    st.markdown(
        "This page grew from a teaching notebook on attention, and this is its first walkthrough: "
        "before learned attention, it builds a toy by hand. Each word becomes the alphabet positions of "
        "its letters (a = 1 … z = 26), each word's weight is its share of the characters, and the "
        "sentence becomes the weighted sum of its word vectors."
    )
    w = walkthrough(page.settings.sentence)
    st.latex(
        r"x_i = (\mathrm{ord}(c) - 96)_{c \in \mathrm{word}_i} \qquad "
        r"w_i = \frac{|\mathrm{word}_i|}{\sum_j |\mathrm{word}_j|} \qquad v = \sum_i w_i x_i"
    )
    chart_x = fg.heatmap(
        w.codes,
        w.tokens,
        fg.dims(w.codes.shape[1], "char "),
        "Character codes, zero-padded to the longest word",
        names=("word", "character"),
        value="code",
    )
    bars = fg.bars(w.weights, w.tokens, "Length-based weights (they sum to 1)", value="weight")
    draw({"char_codes": chart_x, "length_weights": bars}, key="walkthrough")
    st.markdown("**The weighted sum, every position kept:**")
    st.dataframe({f"char {i}": [v] for i, v in enumerate(w.vector)}, hide_index=True)
    st.metric("Processed output: the sum of the vector", f"{w.total:.12g}")
    cut = w.notebook_vector
    st.caption(
        f"Where this differs from the notebook: its `zip` stopped the final vector at the shortest word, "
        f"so for this sentence it would keep {cut.size} of these {w.vector.size} numbers "
        f"({', '.join(f'{v:.6g}' for v in cut)}) and report {w.notebook_total:.6g} as the output; its dicts "
        "were keyed by word, so a repeated word counted once. Later, its softmax divided by the sum of "
        "the whole matrix instead of each row, so no row of its weights summed to 1."
    )
    st.caption(f"Check: the weights sum to {w.weights_sum:.15g}.")


TAB = Tab(TITLE, section)
