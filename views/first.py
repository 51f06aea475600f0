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
    return moves.changed, describe(moves, trace.tokens)


def status(trace):  # Trace -> str
    """What part of the sentence is shown: "showing 7 tokens + 3 padding"."""
    n_real = len(trace.words)
    if trace.n_dropped:
        return f"Showing the first {n_real} of {trace.n_words} tokens."
    return f"Showing {n_real} tokens" + (f" + {trace.n_pad} padding." if trace.n_pad else ".")


def clicked(click):
    """A click on a map selects its cell for "Explain this cell" (and the share link)."""
    if click and click.get("row") is not None and click.get("col") is not None:
        link.select_cell(click["row"], click["col"])


def figures(maps, colour, moved=None, is_pad=None, focus_row=None):  # -> dict name -> figure
    """The first screen's three maps from (tokens, scores, scaled, weights, divisor), NaN = masked."""
    tokens, scores, scaled, weights, divisor = maps
    shared = st.session_state.get(SHARED_RANGE, True)
    zrange = fg.symmetric_range(scores, scaled) if shared else None
    scores_fig = fg.heatmap(scores, tokens, tokens, "Scores Q·Kᵀ", zrange=zrange, value="score")
    scores_fig["data"][0][
        "showscale"
    ] = not shared  # shared: one colour bar, beside the scaled map, serves both
    return {
        "scores": scores_fig,
        "scaled": fg.heatmap(
            scaled, tokens, tokens, f"Scaled: ÷{divisor:.3g}", zrange=zrange, value="scaled score"
        ),
        "weights": weights_map(weights, tokens, "Softmax weights", colour, moved, is_pad, focus_row),
    }


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
    left, middle, right = st.columns([2.7, 0.9, 1.1], vertical_alignment="center")
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
        hint = "change the sentence or a setting: the cells whose weight moves are outlined."
        moves = moved or hint[0].upper() + hint[1:]
        line.caption(f"{source_line(trace.settings)} {status(trace)} {moves}")
        figs = figures(toy_maps(trace, h), colour or "row", moved_cells, trace.is_pad, focus_row)
        draw(figs, key="first", columns=[0.85, 1, 1.3], on_click=clicked)
        return
    model_trace, layer, head, text = model
    line.caption(text)
    figs = figures(source.maps(model_trace, layer, head), colour or "row")
    draw(figs, key="first", columns=[0.85, 1, 1.3])
