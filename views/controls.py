"""The sidebar: every setting, read from the URL on the first run and written back on each."""

import streamlit as st

from attention import EMBEDDING_KINDS, MASK_KINDS, WEIGHT_INITS, Settings
from attention.pipeline import LIMITS, MAX_CHARS
from exchange.share import TAB_KEY, from_params, to_params
from views.page import CELL, SENTENCE, TAB
from views.tabs import TABS

EMBEDDING_HELP = {
    "hashed": "hashed: each word gets its own fixed random vector (same word, same vector)",
    "char codes": "character codes: a=1 … z=26, as in the notebook",
    "random": "random: X = rand(seq, d_model), as in the notebook; ignores the words",
}
INIT_HELP = {"normal": "normal, variance 1/d_model", "uniform": "uniform [0, 1), as in the notebook"}


def load_url_once():
    """On a session's first run, put the URL's settings into the widgets; return its notices."""
    if "settings_from_url" in st.session_state:
        return []
    settings, cell, notices = from_params(st.query_params.to_dict(), ignore=(TAB_KEY,))
    tab = st.query_params.get(TAB_KEY)
    if tab in TABS:
        st.session_state[TAB] = tab
    elif tab is not None:
        notices.append(f"unknown tab {tab[:40]!r} ignored; showing {TABS[0]!r}")
    for name, value in vars(settings).items():
        st.session_state[name] = value
    st.session_state[CELL] = cell
    st.session_state["settings_from_url"] = True
    return notices


def slider(label, name, help=None, disabled=False):
    low, high = LIMITS[name]
    return st.slider(label, low, high, key=name, help=help, disabled=disabled)


def basic_ui():
    """Sentence, sequence length, d_k and seed: the controls a first-time visitor needs."""
    st.text_input("Sentence", key=SENTENCE, max_chars=MAX_CHARS, help="Words are split on spaces.")
    slider("Sequence length", "seq_len", "Tokens beyond it are dropped; missing ones become [PAD].")
    slider("d_k (width of a query and a key)", "d_k", "Scores are divided by √d_k.")
    slider("Seed", "seed", "Draws the projection weights (and random embeddings).")


def advanced_ui():
    """Every other setting, in an expander."""
    with st.expander("Advanced", expanded=False):
        kind = st.selectbox("Embedding", EMBEDDING_KINDS, key="embedding", format_func=EMBEDDING_HELP.get)
        slider(
            "d_model (embedding width)",
            "d_model",
            disabled=kind == "char codes",
            help="With character codes, d_model is the longest word's length.",
        )
        slider("Heads", "n_heads")
        st.selectbox("Mask", MASK_KINDS, key="mask")
        slider("Sliding-window width", "window", help="Used by the sliding-window mask.")
        slider("Prefix length", "prefix", help="Used by the prefix mask.")
        st.toggle("Divide scores by √d_k", key="scaling")
        st.slider(
            "Temperature τ",
            *LIMITS["temperature"],
            step=0.05,
            key="temperature",
            help="weights = softmax(scores / (τ·√d_k)); τ = 1 is standard attention.",
        )
        st.radio("Weight init", WEIGHT_INITS, key="weight_init", format_func=INIT_HELP.get)
        st.toggle("Sinusoidal positions", key="positions", help="Add position vectors to X.")


def sidebar():  # -> (Settings | None, list[str])
    """Draw the controls; return the settings they describe and any notices about the URL."""
    notices = load_url_once()
    with st.sidebar:
        st.header("Settings")
        basic_ui()
        advanced_ui()
    defaults = vars(Settings())  # a widget that is hidden this run keeps its default
    values = {name: st.session_state.get(name, default) for name, default in defaults.items()}
    try:
        settings = Settings(**values)
    except ValueError as err:  # the widgets keep every value in range; only a combination can fail
        return None, [*notices, f"{err}. Choose another embedding or shorten the word."]
    params = to_params(settings, st.session_state.get(CELL))
    if st.session_state.get(TAB, TABS[0]) != TABS[0]:
        params[TAB_KEY] = st.session_state[TAB]
    st.query_params.from_dict(params)
    return settings, notices
