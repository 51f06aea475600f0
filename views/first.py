"""The first screen: the card's three maps side by side, what moved since the last change, and a click.

The line above the maps first says where their numbers come from: untrained random projections, and
which draw, with the tab where a trained model's attention is.

Scores Q·Kᵀ, scaled scores and the softmax weights of the head shown, in one in-place chart
component (so hovering a cell outlines its row and column in all three). After any change the
cells whose weight moved are marked and one line names the biggest move.
"""

import streamlit as st

from attention.moves import describe, what_moved
from charts import figures as fg
from charts.weights import RANGES, weights_map
from views import link, source
from views.common import literal
from views.live_chart import draw
from views.page import COLOUR, PRETRAINED, SHARED_RANGE
from views.traces import compute

SHOWN, BEFORE = "first_shown", "first_before"  # the settings drawn last, and the ones before them
RANGE_NAMES = {"row": "0 – row max", "0-1": "0 – 1"}


def remember(settings):  # Settings -> Settings | None, the state before the last change
    """Keep the settings shown before the latest change, so the page can say what it moved."""
    if st.session_state.get(SHOWN) != settings:
        st.session_state[BEFORE] = st.session_state.get(SHOWN)
        st.session_state[SHOWN] = settings
    return st.session_state.get(BEFORE)


def moved_line(trace, h):  # -> (bool [seq, seq] | None, str)
    before = remember(trace.settings)
    if before is None:
        return None, ""
    moves = what_moved(compute(before), trace, h)
    return moves.changed, describe(moves, trace.tokens, literal)  # a word is user text: shown, never rendered


def status(trace):  # Trace -> str
    """What part of the sentence is shown: "showing 7 tokens + 3 padding"."""
    n_real = len(trace.words)
    if trace.n_dropped:
        return f"Showing the first {n_real} of {trace.n_words} tokens."
    return f"Showing {n_real} tokens" + (f" + {trace.n_pad} padding." if trace.n_pad else ".")


def as_sentence(line):  # "the sentence changed: …" -> "The sentence changed: ….", a setting's name kept
    named = "_" in line.split(" ", 1)[0]  # "d_k 16 → 32: …" starts with a setting, as it is spelled
    return (line if named else line[0].upper() + line[1:]) + "."


def clicked(click):
    """A click on a map selects its cell for "Explain this cell" (and the share link)."""
    if click and click.get("row") is not None and click.get("col") is not None:
        link.select_cell(click["row"], click["col"])


def figures(maps, colour, moved=None, is_pad=None, focus_row=None):  # -> dict name -> figure
    """The first screen's three maps from (tokens, scores, scaled, weights, divisor), NaN = masked."""
    tokens, scores, scaled, weights, divisor = maps
    shared = st.session_state.get(SHARED_RANGE, True)
    zrange = fg.symmetric_range(scores, scaled) if shared else None
    # shared: one colour bar, beside the scaled map, serves both
    scores_fig = fg.heatmap(
        scores, tokens, tokens, "Scores Q·Kᵀ", zrange=zrange, value="score", fit=True, bar=not shared
    )
    scaled_title = f"Scaled: ÷{divisor:.3g}"
    return {
        "scores": scores_fig,
        "scaled": fg.heatmap(
            scaled, tokens, tokens, scaled_title, zrange=zrange, value="scaled score", fit=True
        ),
        "weights": weights_map(weights, tokens, "Softmax weights", colour, moved, is_pad, focus_row),
    }


WINDOW = 24  # query rows the maps show at a time, when asked, past this many tokens
ROWS_ON, ROWS_FROM = "first_window", "first_window_from"


def window_ui(tokens):  # -> the first query row of a window of WINDOW rows, or None: every row
    """Past WINDOW tokens the rows are too thin to label: the visitor may read WINDOW rows at a time,
    each with its label, every key still in its column."""
    n = len(tokens)
    if n <= WINDOW:
        return None
    on, where = st.columns([1, 3], vertical_alignment="center")
    help = f"The maps show {WINDOW} query rows with their labels; hover, clicks and the keys are unchanged."
    if not on.toggle(f"Read {WINDOW} rows at a time", key=ROWS_ON, help=help):
        return None
    top = n - WINDOW + 1
    st.session_state[ROWS_FROM] = min(max(int(st.session_state.get(ROWS_FROM, 1)), 1), top)
    first = where.slider(f"First row shown (of {n})", 1, top, key=ROWS_FROM)
    return first - 1


def windowed(figs, tokens, first):  # dict name -> figure, labels, int | None -> the figures
    if first is None:
        return figs
    return {name: fg.row_window(fig, tokens, first, WINDOW) for name, fig in figs.items()}


SIDE_BY_SIDE = 10  # tokens; up to this many the three maps share a row, beyond it the weights get one


def place(figs, n, on_click=None):
    """The three maps in one row while their labels fit a third of the page; for a longer sentence the
    weights take the whole width (every label and number legible up to 30 tokens) and the two score maps
    share the row below. One chart per map either way, linked on hover. On a phone, where the maps
    stack, the weights come first either way.

    The row is one horizontal container (one layout block; columns take one more per map): the maps'
    widths 0.85 : 1 : 1.3 and their order on a phone are set by their keys in static/page.css, which
    names the charts' elements st-key-live_first-0, -1, -2 (draw's keys, in the order of `figures`)."""
    if n <= SIDE_BY_SIDE:
        row = st.container(key="first_maps", horizontal=True)
        return draw(figs, key="first", into=row, on_click=on_click)
    draw({"weights": figs["weights"]}, key="first_wide", on_click=on_click)
    return draw({k: figs[k] for k in ("scores", "scaled")}, key="first_pair", columns=2, on_click=on_click)


def toy_maps(trace, h):  # Trace, int -> (tokens, scores, scaled, weights, divisor) of head h
    a = trace.attention
    return (
        list(trace.tokens),
        a.scores[h],
        a.scaled[h],
        fg.blank(a.weights[h], trace.mask),
        trace.settings.divisor,
    )


WORDS = {  # what X is made of, by embedding kind
    "hashed": "a fixed random vector per word",
    "char codes": "the words' character codes",
    "random": "random vectors that ignore the words",
}
INITS = {"normal": "normal", "uniform": "uniform [0, 1)"}


def source_line(settings):  # Settings -> str, where the maps' numbers come from, in one line
    """Said before the maps: nothing here is trained, so a pattern is the mechanism's, not language's."""
    return (
        f"Untrained weights: random W_Q, W_K, W_V ({INITS[settings.weight_init]}, seed {settings.seed}) of "
        f"{WORDS[settings.embedding]}, so the maps show how attention computes, not what a trained model "
        f"attends to ({PRETRAINED} tab below)."
    )


def fit_to_sentence():
    link.set_settings(seq_len=0)


def cut_notice(trace):
    """A fixed length that cut the sentence says which words were dropped, with a way back."""
    words = " ".join(trace.dropped)
    shown = words if len(words) <= 120 else words[:120] + "…"
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.warning(f"The fixed length of {len(trace.tokens)} drops {trace.n_dropped} words: {literal(shown)}")
    right.button("Fit to the sentence", on_click=fit_to_sentence, key="fit", width="stretch")


def first_screen(page, focus_row=None):
    """The three maps, the source and colour-range choices and the line saying what moved."""
    trace, h = page.trace, page.head
    with st.container():  # a slot either way, so the maps below keep their place (and are never redrawn anew)
        if trace.n_dropped:
            cut_notice(trace)
    row = st.container(key="first_row")  # keyed: two by two on a phone (static/page.css)
    left, middle, right = row.columns([2.7, 0.9, 1.1], vertical_alignment="center")
    with middle:
        trained = source.choice() == source.TRAINED
    with right:
        st.session_state.setdefault(COLOUR, "row")
        colour = st.segmented_control(
            "Colours of the weights", RANGES, key=COLOUR, format_func=RANGE_NAMES.get
        )
    with left:
        line = st.empty()  # the line on where the numbers come from, above the trained head's menus
        with st.container():  # a slot either way: the trained head's menus
            model = source.trained_head(trace.settings.sentence) if trained else None
    if model is None:
        link.put(source.OWNER, {})
        moved_cells, moved = moved_line(trace, h)
        hint = (  # what the marks on the weights mean, until something moved
            "Orange marks each row's largest weight; change the sentence or a setting and the cells whose "
            "weight moves get a pink mark."
        )
        moves = as_sentence(moved) if moved else hint
        line.caption(f"{source_line(trace.settings)} {status(trace)} {moves}")
        maps = toy_maps(trace, h)
        figs = figures(maps, colour or "row", moved_cells, trace.is_pad, focus_row)
    else:
        model_trace, layer, head, text = model
        line.caption(text)
        maps = source.maps(model_trace, layer, head)
        figs = figures(maps, colour or "row")
    with st.container():  # a slot either way: the row window of a long text
        first = window_ui(maps[0])
    place(windowed(figs, maps[0], first), len(maps[0]), clicked if model is None else None)
