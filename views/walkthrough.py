"""The notebook's first walkthrough, "string to numeric arrays", computed correctly."""

import numpy as np
import streamlit as st

from attention import char_embeddings, length_weights, tokenize, weighted_sum
from attention import figures as fg
from attention.notebook import notebook_final_vector
from views.common import chart


@st.cache_data(max_entries=16, show_spinner=False)
def walkthrough(sentence: str):  # -> (tokens, [seq, width], [seq], [width])
    tokens = tokenize(sentence)
    x = char_embeddings(tokens)
    w = length_weights(tokens)
    return tokens, x, w, weighted_sum(x, w)


def walkthrough_section(sentence):
    st.header("String to numbers: the notebook's first walkthrough")
    st.markdown(
        "Before learned attention, the notebook builds a toy version by hand: each word becomes the "
        "alphabet positions of its letters (a = 1 … z = 26), each word's weight is its share of the "
        "characters, and the sentence becomes the weighted sum of its word vectors."
    )
    tokens, x, w, total = walkthrough(sentence)
    st.latex(
        r"x_i = (\mathrm{ord}(c) - 96)_{c \in \mathrm{word}_i} \qquad "
        r"w_i = \frac{|\mathrm{word}_i|}{\sum_j |\mathrm{word}_j|} \qquad v = \sum_i w_i x_i"
    )
    chart_x = fg.heatmap(
        x,
        tokens,
        fg.dims(x.shape[1], "char "),
        "Character codes, zero-padded to the longest word",
        names=("word", "character"),
        value="code",
    )
    chart(chart_x, key="char_codes")
    chart(fg.bars(w, tokens, "Length-based weights (they sum to 1)", value="weight"), key="length_weights")
    st.markdown("**The weighted sum, every position kept:**")
    st.dataframe({f"char {i}": [v] for i, v in enumerate(total)}, hide_index=True)
    st.metric("Processed output: the sum of the vector", f"{total.sum():.12g}")
    cut = notebook_final_vector(tokens)
    st.caption(
        f"Where this differs from the notebook: its `zip` stopped the final vector at the shortest word, "
        f"so for this sentence it would keep {cut.size} of these {total.size} numbers "
        f"({', '.join(f'{v:.6g}' for v in cut)}) and report {cut.sum():.6g} as the output; its dicts "
        "were keyed by word, so a repeated word counted once. Later, its softmax divided by the sum of "
        "the whole matrix instead of each row, so no row of its weights summed to 1."
    )
    st.caption(f"Check: the weights sum to {float(np.sum(w)):.15g}.")
