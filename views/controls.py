"""The controls: the first screen's sentence, d_k, √d_k and seed, the rest in the sidebar; all in the URL."""

import math

import streamlit as st

from attention import EMBEDDING_KINDS, MASK_KINDS, WEIGHT_INITS, Settings, tokenize
from attention.embed import char_width
from attention.pipeline import LIMITS, MAX_CHARS
from exchange.share import TAB_KEY, from_params, to_params
from exchange.view import DEFAULTS, VIEW_KEYS, from_view_params, view_params
from views.page import CELL, SENTENCE, SHARED_RANGE, TAB, VIEW_STATE
from views.pretrained import TAB as PRETRAINED_TAB
from views.pretrained import URL_KEYS, sidebar_facts
from views.tabs import TABS

EMBEDDING_HELP = {
    "hashed": "hashed: each word gets its own fixed random vector (same word, same vector)",
    "char codes": "character codes: a=1 … z=26, as in the notebook",
    "random": "random: X = rand(seq, d_model), as in the notebook; ignores the words",
}
INIT_HELP = {"normal": "normal, variance 1/d_model", "uniform": "uniform [0, 1), as in the notebook"}
D_K_STEPS = tuple(2**p for p in range(10))  # 1, 2, 4, .., 512
TEMPERATURES = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0)  # ≈ log-spaced
FIXED = "fixed_length"  # the toggle: a fixed sequence length instead of one position per word


def load_url_once():
    """On a session's first run, put the URL's settings into the widgets; return its notices."""
    if "settings_from_url" in st.session_state:
        return []
    ignore = (TAB_KEY, "tour", *URL_KEYS.values(), *VIEW_KEYS.values())  # tour, URL_KEYS: read elsewhere
    settings, cell, notices = from_params(st.query_params.to_dict(), ignore=ignore)
    view, view_notices = from_view_params(st.query_params.to_dict(), settings.n_heads)
    notices += view_notices
    st.session_state.update({VIEW_STATE[name]: value for name, value in view.items()})
    tab = st.query_params.get(TAB_KEY)
    if tab in TABS:
        st.session_state[TAB] = tab
    elif tab is not None:
        notices.append(f"unknown tab {tab[:40]!r} ignored; showing {TABS[0]!r}")
    for name, value in vars(settings).items():
        st.session_state[name] = value
    st.session_state[FIXED] = settings.seq_len > 0
    st.session_state[CELL] = cell
    st.session_state["settings_from_url"] = True
    return notices


def slider(label, name, help=None):
    low, high = LIMITS[name]
    low = 1 if name == "seq_len" else low  # seq_len 0 (follow the sentence) is the toggle's, not the slider's
    return st.slider(label, low, high, key=name, help=help)


def nearest(options, value):  # sorted numbers, number -> the option closest to value on a log scale
    return min(options, key=lambda o: abs(math.log(o) - math.log(value)))


def step_changed(exact, step):
    """The powers-of-two slider moved: the exact value follows it."""
    st.session_state[exact] = st.session_state[step]


def exact_changed(exact, step, options):
    """The exact value was typed: the slider shows the nearest step."""
    st.session_state[step] = nearest(options, st.session_state[exact])


def stepped(label, name, options, help=None, fmt="%d"):
    """A slider over a few log-spaced steps beside a box for the exact value, both bound to `name`."""
    step = f"{name}_step"
    value = st.session_state.setdefault(name, getattr(Settings(), name))
    st.session_state.setdefault(step, nearest(options, value))
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.select_slider(label, options, key=step, on_change=step_changed, args=(name, step), help=help)
    low, high = LIMITS[name]
    kind = type(options[0])
    right.number_input(
        f"exact {label.split(' ')[0]}",
        kind(low),
        kind(high),
        key=name,
        format=fmt,
        on_change=exact_changed,
        args=(name, step, options),
        label_visibility="collapsed",
    )


def fit_changed():
    """Fixing the length starts from the sentence's own length; releasing it follows the sentence again."""
    if st.session_state[FIXED]:
        words = len(tokenize(st.session_state.get(SENTENCE, "")))
        st.session_state["seq_len"] = min(max(words, 1), LIMITS["seq_len"][1])


def first_screen_ui():
    """The sentence and the controls that matter most, in the main area above the maps."""
    st.text_input(
        "Sentence",
        key=SENTENCE,
        max_chars=MAX_CHARS,
        help="Words are split on spaces; press Enter to apply.",
        placeholder="Type a sentence and press Enter",
    )
    dk, scaling, seed = st.columns([5, 2, 2], vertical_alignment="bottom")
    with dk:
        stepped("d_k (width of a query and a key)", "d_k", D_K_STEPS, "Scores are divided by √d_k.")
    scaling.toggle("Divide by √d_k", key="scaling", help="Off: scores go to softmax unscaled (÷τ only).")
    with seed:
        slider("Seed", "seed", "Draws the projection weights (and random embeddings).")


def length_ui():
    """The sequence follows the sentence unless a fixed length is chosen."""
    st.toggle("Fixed sequence length", key=FIXED, on_change=fit_changed, help="Off: one position per word.")
    if st.session_state.get(FIXED):
        slider("Sequence length", "seq_len", "Tokens beyond it are dropped; missing ones become [PAD].")


def model_ui(words):
    """Embedding, widths, heads, initialisation and positions."""
    kind = st.selectbox("Embedding", EMBEDDING_KINDS, key="embedding", format_func=EMBEDDING_HELP.get)
    if kind == "char codes":
        st.caption(f"d_model = {char_width(words)}: the longest word's length, one column per character.")
    else:
        slider("d_model (embedding width)", "d_model")
    slider("Heads", "n_heads")
    st.radio("Weight init", WEIGHT_INITS, key="weight_init", format_func=INIT_HELP.get)
    st.toggle("Sinusoidal positions", key="positions", help="Add position vectors to X.")


def mask_ui():
    """The mask, with its own width or length only when that mask is chosen."""
    mask = st.selectbox("Mask", MASK_KINDS, key="mask")
    if mask == "sliding window":
        slider("Sliding-window width", "window", help="Each token sees itself and the tokens before it.")
    if mask == "prefix":
        slider("Prefix length", "prefix", help="The first tokens see each other fully.")
    stepped(
        "Temperature τ", "temperature", TEMPERATURES, "softmax(scores / (τ·√d_k)); τ = 1 is standard.", "%.2f"
    )


def toy_ui():
    """The toy model's settings beyond the first screen's."""
    length_ui()
    model_ui(tokenize(st.session_state.get(SENTENCE, "")))
    mask_ui()
    st.session_state.setdefault(SHARED_RANGE, True)
    st.toggle(
        "Scores and scaled scores on one colour range",
        key=SHARED_RANGE,
        help="On: the scaled map looks paler by exactly the factor it is divided by.",
    )


def sidebar_ui():
    """Every other setting, in the sidebar; on the Pretrained model tab, the model's facts come first
    and the toy's settings wait, folded, below them (still drawn, so none is lost)."""
    with st.sidebar:
        if st.session_state.get(TAB) == PRETRAINED_TAB:
            sidebar_facts(st.session_state.get(SENTENCE, ""))
            with st.expander("The toy model's settings", expanded=False):
                toy_ui()
            return
        st.header("More settings")
        toy_ui()


def read_settings(notices):  # list[str] -> (Settings | None, list[str])
    """The settings the widgets describe; a widget not drawn this run stands at its default."""
    defaults = vars(Settings())
    values = {name: st.session_state.get(name, default) for name, default in defaults.items()}
    if not st.session_state.get(FIXED):
        values["seq_len"] = 0
    try:
        return Settings(**values), notices
    except ValueError as err:  # the widgets keep every value in range; only a combination can fail
        return None, [*notices, f"{err}. Choose another embedding or shorten the word."]


def controls():  # -> (Settings | None, list[str])
    """Draw the controls; return the settings they describe and any notices about the URL."""
    notices = load_url_once()
    first_screen_ui()
    sidebar_ui()
    settings, notices = read_settings(notices)
    if settings is not None:
        params = to_params(settings, st.session_state.get(CELL))
        if st.session_state.get(TAB, TABS[0]) != TABS[0]:
            params[TAB_KEY] = st.session_state[TAB]
        view = {name: st.session_state.get(key, DEFAULTS[name]) for name, key in VIEW_STATE.items()}
        kept = {k: st.query_params[k] for k in URL_KEYS.values() if k in st.query_params}
        st.query_params.from_dict(params | view_params(view) | kept)  # kept: written by their own tabs
    return settings, notices
