"""Where the first screen's numbers come from: the toy's random projections, or a trained head.

The trained source is one head of all-MiniLM-L6-v2 on the sentence's own word pieces: the same three
maps (scores, scaled scores, weights), so editing the sentence shows learned attention change. Until
the visitor picks a head, the first screen shows the head that puts the most weight on the
sentence's default pair ("it" and the piece it takes most from), and says so. The choice is in the
link: `src=trained`, and `sl`, `sh` once a head was picked.
"""

import streamlit as st

from attention import pretrained as pm
from attention.rollout import rank_heads
from exchange import model as model_link
from exchange.checkpoint import INSTALL_HINT, ModelNotInstalled
from views import link
from views.common import literal, plain
from views.page import LinkKeys
from views.traces import encode

OWNER = "source"
SOURCE = "first_source"  # the segmented control: RANDOM or TRAINED
RANDOM, TRAINED = "random", model_link.TRAINED
LAYER, HEAD, PICKED = "first_layer", "first_head", "first_picked"  # the head shown; True once chosen
READ = "first_source_read"  # the link's layer and head were read against the model
NAMES = {RANDOM: "Random", TRAINED: "Trained"}


def open_from_link(values):  # dict of this part's URL values -> list[str] notices
    """`src=trained` opens the first screen on the trained source; its layer and head wait for the model."""
    trained, _, _, ignored = model_link.source_from_params(values, n_layers=1000, n_heads=1000)
    st.session_state[SOURCE] = TRAINED if trained else RANDOM
    return [f"Ignored in the link: {', '.join(ignored)}."] if ignored else []


LINK = LinkKeys(OWNER, tuple(model_link.SOURCE_KEYS.values()), on_open=open_from_link)


def choice():  # -> RANDOM | TRAINED, the segmented control drawn where it is called
    st.session_state.setdefault(SOURCE, RANDOM)
    text = "Random projections of the toy (seed and d_k apply), or a trained MiniLM head on the sentence."
    picked = st.segmented_control("Weights", list(NAMES), key=SOURCE, format_func=NAMES.get, help=text)
    return picked or RANDOM


def picked():
    st.session_state[PICKED] = True


def read_link(trace):  # -> list of the link's values that were ignored
    c = trace.config
    _, layer, head, ignored = model_link.source_from_params(link.owned(OWNER), c.n_layers, c.n_heads)
    if layer is not None:
        st.session_state.update({LAYER: layer, HEAD: head, PICKED: True})
    return ignored


def best(trace):  # EncoderTrace -> (layer, head, weight, query, key), the head the sentence's pair opens
    query, key = pm.default_pair(trace)
    layer, head, weight = rank_heads(trace.weights, query, key)[0]
    return layer, head, weight, query, key


def use_best():
    st.session_state[PICKED] = False


def trained_head(sentence):  # str -> (EncoderTrace, layer, head, caption) | None when the model is missing
    """The trained source's head, picked with two menus, and the line that says what is shown."""
    try:
        trace = encode(sentence)
    except ModelNotInstalled:
        st.info(f"The trained source needs all-MiniLM-L6-v2: {INSTALL_HINT}. Showing the random projections.")
        return None
    if not st.session_state.get(READ):
        st.session_state[READ] = True
        ignored = read_link(trace)
        if ignored:
            st.caption(plain(f"Ignored in the link: {', '.join(ignored)}."))
    top = best(trace)
    if not st.session_state.get(PICKED):
        st.session_state.update({LAYER: top[0], HEAD: top[1]})
    c = trace.config
    menus = st.container(key="first_menus")  # keyed: layer and head share a line on a phone (static/page.css)
    cols = menus.columns([1, 1, 2], vertical_alignment="bottom")
    menu = {"on_change": picked}
    layer = cols[0].selectbox("Layer", range(c.n_layers), key=LAYER, format_func="layer {}".format, **menu)
    head = cols[1].selectbox("Head", range(c.n_heads), key=HEAD, format_func="head {}".format, **menu)
    pair = f"{literal(trace.tokens[top[3]])} → {literal(trace.tokens[top[4]])}"
    is_best = (layer, head) == top[:2]
    cols[2].button(f"Best head for {pair}", on_click=use_best, key="first_best", disabled=is_best)
    chosen = (layer, head) if st.session_state.get(PICKED) else ()
    link.put(OWNER, model_link.source_to_params(True, *chosen))
    return trace, layer, head, caption(trace, layer, head, top)


def caption(trace, layer, head, top):  # -> str, where the maps' numbers come from
    c, (best_layer, best_head, weight, query, key) = trace.config, top
    pair = f"from {literal(trace.tokens[query])} on {literal(trace.tokens[key])}"
    why = f"the head that, of all {c.n_layers * c.n_heads}, puts the most weight {pair} ({weight:.3f})"
    why = why if (layer, head) == (best_layer, best_head) else "the head you picked"
    return (
        f"Trained weights: all-MiniLM-L6-v2, layer {layer} head {head}, {why}, on the sentence's "
        f"{len(trace.tokens)} word pieces ([CLS] and [SEP] included). d_k = {c.d_k} is fixed by the model, "
        "so d_k, √d_k and the seed move only the random projections."
    )


def maps(trace, layer, head):  # -> (tokens, scores, scaled, weights, divisor) of one trained head
    hv = pm.head_view(trace, layer, head, pm.kept(trace.tokens, False))
    return hv.tokens, hv.scores, hv.scaled, hv.weights, 1 / trace.scale
