"""The controls: the first screen's sentence, d_k, √d_k and seed, the rest in the sidebar; all in the URL."""

import math

import streamlit as st

from attention import EMBEDDING_KINDS, MASK_KINDS, WEIGHT_INITS, Settings, tokenize
from attention.embed import char_width
from attention.pipeline import LIMITS
from exchange.share import cut_sentence
from views import link
from views.page import FIXED, SENTENCE, SHARED_RANGE

EMBEDDING_NAMES = {  # short enough for the sidebar's menu, which cuts a longer one off
    "hashed": "hashed: one vector per word",
    "char codes": "character codes: a=1 … z=26",
    "random": "random: ignores the words",
}
EMBEDDING_HELP = (
    "- **hashed**: each word gets its own fixed random vector (same word, same vector)\n"
    "- **character codes**: a=1 … z=26, as the Letters to numbers tab does\n"
    "- **random**: X = rand(seq, d_model), which ignores the words"
)
INIT_HELP = {
    "normal": "normal, variance 1/d_model",
    "uniform": "uniform [0, 1): all positive, so scores grow like d_k",
}
D_K_STEPS = tuple(2**p for p in range(10))  # 1, 2, 4, .., 512
TEMPERATURES = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0)  # ≈ log-spaced


D_K_HELP = (
    "Scores are divided by √d_k. A wider d_k keeps the dimensions a head already had and adds new ones "
    "(the first 16 columns of W_Q and W_K are the same at 16, 32 or 512), so a step changes only d_k."
)


def slider(label, name, help=None):
    low, high = LIMITS[name]
    low = 1 if name == "seq_len" else low  # seq_len 0 (follow the sentence) is the toggle's, not the slider's
    return st.slider(label, low, high, key=name, help=help)


def nearest(options, value):  # sorted numbers, number -> the option closest to value on a log scale
    return min(options, key=lambda o: abs(math.log(o) - math.log(value)))


def step_changed(name, step):
    """The log-spaced slider moved: the exact value follows it."""
    link.set_settings(**{name: st.session_state[step]})


def stepped(label, name, options, help=None, fmt="%d", places=None):
    """A slider over a few log-spaced steps beside a box for the exact value, both bound to `name`.

    The slider shows the step nearest the exact value, whoever set it (a link, the lesson, the box).
    places: the slider's and the box's containers (one row the caller draws, twice, puts them side by
    side), or None for two columns of their own.
    """
    step = f"{name}_step"
    value = st.session_state.setdefault(name, getattr(Settings(), name))
    st.session_state[step] = nearest(options, value)
    low, high = LIMITS[name]
    bounds = f"The box beside takes any value from {low:g} to {high:g}."  # what its red mark means past them
    help = f"{help} {bounds}" if help else bounds
    left, right = places or st.columns([3, 1], vertical_alignment="bottom")
    left.select_slider(label, options, key=step, on_change=step_changed, args=(name, step), help=help)
    kind = type(options[0])
    right.number_input(
        f"exact {label.split(' ')[0]}",
        kind(low),
        kind(high),
        key=name,
        format=fmt,
        label_visibility="collapsed",
    )


def fit_changed():
    """Fixing the length starts from the sentence's own length; releasing it follows the sentence again."""
    if st.session_state[FIXED]:
        words = len(tokenize(st.session_state.get(SENTENCE, "")))
        link.set_settings(seq_len=min(max(words, 1), LIMITS["seq_len"][1]))


CUT = "sentence_cut"  # the notice of a sentence typed or pasted past MAX_CHARS, shown on the next run


def sentence_changed():
    """A sentence past MAX_CHARS is cut there, with a notice. The box sets no limit of its own: a
    browser cuts a paste at an input's limit without a word, and Streamlit drops a longer value."""
    text, notice = cut_sentence(st.session_state.get(SENTENCE, ""))
    if notice:
        st.session_state[SENTENCE], st.session_state[CUT] = text, notice


PARAGRAPH = 100  # characters: a longer text is edited in a box of several lines
PARAGRAPH_HEIGHT = 108  # px, the label and about four lines; the box scrolls beyond


BOX = "sentence_box"  # which box held the sentence on the last run: "line" or "lines"


def sentence_box():
    """One line for a sentence (Enter applies it); a text past PARAGRAPH characters or with a line break,
    typed or pasted or from a link, gets a box of several lines on the next run, where Enter starts a
    new line (a one-line box would drop the break and join two words). A widget of another kind under
    the same key starts empty, so a switch hands it the text first."""
    text = st.session_state.get(SENTENCE, "")
    breaks = "\n" in text or "\r" in text  # an input would drop them
    kind = "lines" if len(text) > PARAGRAPH or breaks else "line"
    if st.session_state.get(BOX, kind) != kind:
        st.session_state[SENTENCE] = text
    st.session_state[BOX] = kind
    if kind == "lines":
        help = "Words are split on spaces; press Ctrl+Enter (⌘+Enter on a Mac) or click outside to apply."
        st.text_area("Sentence", key=SENTENCE, on_change=sentence_changed, help=help, height=PARAGRAPH_HEIGHT)
        return
    st.text_input(
        "Sentence",
        key=SENTENCE,
        on_change=sentence_changed,
        help="Words are split on spaces; press Enter to apply.",
        placeholder="Type a sentence and press Enter",
    )


def first_screen_ui():
    """The sentence and the controls that matter most, in the main area above the maps."""
    sentence_box()
    # one row, one element of the page: its widgets' shares of the width and the phone's layout are in
    # static/page.css, by their keys
    row = st.container(key="dk_row", horizontal=True, vertical_alignment="bottom")
    stepped("d_k (width of a query and a key)", "d_k", D_K_STEPS, D_K_HELP, places=(row, row))
    row.toggle("Divide by √d_k", key="scaling", help="Off: scores go to softmax unscaled (÷τ only).")
    with row:
        slider("Seed", "seed", "Draws the projection weights (and random embeddings).")


def length_ui():
    """The sequence follows the sentence unless a fixed length is chosen."""
    st.toggle("Fixed sequence length", key=FIXED, on_change=fit_changed, help="Off: one position per word.")
    if st.session_state.get(FIXED):
        slider("Sequence length", "seq_len", "Tokens beyond it are dropped; missing ones become [PAD].")


def model_ui(words):
    """Embedding, widths, heads, initialisation and positions."""
    names = EMBEDDING_NAMES.get
    kind = st.selectbox("Embedding", EMBEDDING_KINDS, key="embedding", format_func=names, help=EMBEDDING_HELP)
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


# The sidebar's widgets: what it shows, with the open tab's own facts and (when they depend on it) the
# sentence. The page below the introduction reruns alone when a widget of its own changes (app.py), so
# it checks whether anything moved these and, if so, has the whole app drawn again (sidebar_moved).
SIDEBAR_KEYS = (
    FIXED,
    "embedding",
    "n_heads",
    "weight_init",
    "positions",
    "mask",
    "temperature",
    SHARED_RANGE,
)
SIDEBAR_DRAWN = "sidebar_drawn"  # what the sidebar was drawn from, on the last run that drew it


def shown_keys(state):  # session state -> the keys of the sidebar's widgets drawn for it (toy_ui's logic)
    """A widget drawn only for some settings counts only then: Streamlit forgets the state of one not
    drawn, so after the run that hid it, its key reads as absent."""
    keys = list(SIDEBAR_KEYS)
    if state_value(state, FIXED):
        keys.append("seq_len")
    if state_value(state, "embedding") != "char codes":
        keys.append("d_model")
    extra = {"sliding window": "window", "prefix": "prefix"}.get(state_value(state, "mask"))
    return keys + ([extra] if extra else [])


def state_value(state, key):  # session state (a script's, or AppTest's), str -> its value or None
    return state[key] if key in state else None  # noqa: SIM401  AppTest's session state has no get()


def sidebar_inputs(tab_sidebar, state=None):  # -> tuple, everything the sidebar as drawn depends on
    """tab_sidebar: the open tab's own sidebar (a tab's sidebar reads only the sentence, and holds no
    widget); state: the session state (st.session_state by default)."""
    state = st.session_state if state is None else state
    reads_sentence = tab_sidebar is not None or state_value(state, "embedding") == "char codes"
    sentence = state_value(state, SENTENCE) if reads_sentence else None
    return (tab_sidebar, sentence, *((key, state_value(state, key)) for key in shown_keys(state)))


def sidebar_moved(tab_sidebar):  # -> bool, the sidebar as drawn no longer shows the state
    return st.session_state.get(SIDEBAR_DRAWN) != sidebar_inputs(tab_sidebar)


def sidebar_ui(tab_sidebar=None):
    """Every other setting, in the sidebar. A tab with a sidebar of its own (the Pretrained model's
    facts) draws it first, and the toy's settings wait, folded, below it (still drawn, so none is lost)."""
    with st.sidebar:
        if tab_sidebar is not None:
            tab_sidebar(st.session_state.get(SENTENCE, ""))
            with st.expander("The toy model's settings", expanded=False):
                toy_ui()
        else:
            st.header("More settings")
            toy_ui()
    st.session_state[SIDEBAR_DRAWN] = sidebar_inputs(tab_sidebar)


def controls():  # -> (Settings | None, list[str])
    """Draw the first screen's controls; return the settings all the controls describe (the sidebar's
    too, drawn before), or None and a notice why not."""
    first_screen_ui()
    cut = [st.session_state.pop(CUT)] if CUT in st.session_state else []
    try:
        return link.settings(), cut
    except ValueError as err:  # the widgets keep every value in range; only a combination can fail
        return None, [*cut, f"{err}. Choose another embedding or shorten the word."]
