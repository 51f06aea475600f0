"""Beyond the weights on all-MiniLM-L6-v2: contributions in every head, attention sinks, and √d_k.

Drawn only when one of these parts is open, so the encoder runs (in the process's heavy-work
queue, views.traces) only for a visitor who asks for it. What is read of the trace for every head
at once (each head's W_O rows, the special tokens' shares, the spread of the scores) is cached
beside the trace, in the same cache bounded by bytes.
"""

from dataclasses import dataclass

import numpy as np
import streamlit as st

from attention.inside import (
    every_head_on,
    head_contributions,
    marked_positions,
    marked_shares,
    output_rows,
    sink_candidates,
    sink_rates_by_group,
    sink_view,
    widest_gap,
)
from attention.sinks import head_weight_on
from attention.spread import head_spread, spread_table, summary
from charts import inside as fig
from charts.figures import escape
from exchange import inside as inside_link
from exchange.checkpoint import INSTALL_HINT, ModelNotInstalled
from views.common import literal
from views.live_chart import draw
from views.traces import TRACES, encode, encoder, heavy

PICKED = "bw_picked"  # True once the visitor picked MiniLM's head (else: the widest gap is shown)
LAYER, HEAD, ROW, SINK, EPS = (f"bw_{n}" for n in ("layer", "head", "model_row", "sink", "eps"))


@dataclass(frozen=True)
class Readings:
    """What the tab reads of one sentence's trace for every head at once."""

    rows: np.ndarray  # [n_layers, n_heads, d_k, d_model]  each head's rows of W_O
    marked_weight: np.ndarray  # [n_layers, n_heads]  mean share of weight on [CLS], [SEP], punctuation
    marked_contribution: np.ndarray  # [n_layers, n_heads]  their mean share of the contribution
    spread: object  # attention.spread.HeadSpread of [n_layers, n_heads]


def readings(text):  # str -> Readings, cached beside the sentence's trace
    def read():
        trace = encode(text)
        with heavy():
            rows = output_rows(encoder().weights, trace.config.n_heads).astype(trace.v.dtype)
            keys = marked_positions(trace.tokens)
            weight, contribution = every_head_on(trace.weights, trace.v, rows, keys)
            return Readings(rows, weight, contribution, head_spread(trace.q, trace.k, trace.scale))

    return TRACES.get(("beyond the weights", str(text)), read)


def picked():
    st.session_state[PICKED] = True


def widest():
    st.session_state[PICKED] = False


CONTRIBUTIONS = (
    "A weight says how much of key j's value a query takes, not how much that moves the output: what "
    "key j adds to row i is the vector α_ij · v_j · W_O^h (W_O^h: the rows of the output projection "
    "that head h's values meet), and its length ‖α_ij · v_j · W_O^h‖ is the key's real influence "
    "(Kobayashi et al., 2020). A large weight on a short value vector adds almost nothing."
)


def head_ui(trace, values, best):  # -> (layer, head): the pickers, and the way back to the widest gap
    """The head shown: the visitor's (from the pickers or the link), else the widest gap's."""
    if PICKED not in st.session_state:
        st.session_state[PICKED] = values["layer"] is not None
    if not st.session_state[PICKED]:
        st.session_state.update({LAYER: best[0], HEAD: best[1]})
    c, cols = trace.config, st.columns([1, 1, 2], vertical_alignment="bottom")
    menu = {"on_change": picked}
    layer = cols[0].selectbox("Layer", range(c.n_layers), key=LAYER, format_func="layer {}".format, **menu)
    head = cols[1].selectbox("Head", range(c.n_heads), key=HEAD, format_func="head {}".format, **menu)
    label = f"Widest gap: layer {best[0]} head {best[1]}"
    cols[2].button(label, on_click=widest, key="bw_widest", disabled=(layer, head) == best)
    st.caption(
        "The widest gap: the head where special tokens and punctuation take the most weight beyond what "
        "they contribute; it opens until you pick another."
    )
    return layer, head


def marked_line(rows):  # [(token, weight share, contribution share)] -> None
    """One line: each special token's and punctuation key's share of the weight and of the contribution."""
    if not rows:
        st.caption("No special tokens or punctuation in this text.")
        return
    parts = [f"{literal(t)}: {w:.0%} of the weight, {c:.0%} of the contribution" for t, w, c in rows]
    st.markdown("Special tokens and punctuation, mean over the rows: " + "; ".join(parts).replace("%", " %"))


def shares_ui(s, tokens, key):  # ContributionShares of one head, labels, widget key of the row
    """The chosen row's shares of weight and contribution, and every key's mean over the rows."""
    row = st.selectbox("Query row", range(len(tokens)), key=key, format_func=lambda p: f"#{p} {tokens[p]}")
    title = f"Row #{row} {escape(tokens[row])}: share per key"
    figs = {
        "bw_row_shares": fig.share_bars(s.weight[row], s.contribution[row], tokens, title),
        "bw_key_shares": fig.share_bars(
            s.key_weight, s.key_contribution, tokens, "Every key: mean over the rows"
        ),
    }
    draw(figs, key="bw_shares", columns=2)


def contributions(trace, r, layer, head):
    tokens = trace.tokens
    c = TRACES.get(
        ("beyond the weights: head", trace.text, layer, head),
        lambda: head_contributions(trace.weights[layer, head], trace.v[layer, head], r.rows[layer, head]),
    )
    name = f"layer {layer} head {head}"
    draw(fig.weights_and_norms(c.weights, c.norms, tokens, name), key="bw_contrib", columns=2)
    st.caption(
        f"The pair vectors of each row, summed over the keys, are this head's part of the attention "
        f"output before its bias: max |Δ| = {c.sum_error:.1e} (float32, as the page runs the model)."
    )
    shares_ui(c.shares, tokens, ROW)
    marked_line(marked_shares(c.shares, tokens))
    st.subheader("Every head: [CLS], [SEP] and punctuation")
    figs = {
        "bw_marked_weight": fig.head_map(r.marked_weight, "Share of weight", "share of weight"),
        "bw_marked_contribution": fig.head_map(r.marked_contribution, "Share of contribution", "share"),
    }
    draw(figs, key="bw_marked", columns=2)


SINKS = (
    "Sink^ε (Gu et al., 2025) counts, per layer, the share of heads whose weight on a key, averaged "
    "over the queries, is more than ε. A sink key is one many heads park weight on whatever the query: "
    "its key points where the queries point, while its value is short, so the weight parked there adds "
    "little to the output (compare its value length with the others below)."
)


def sinks(trace, pick):  # EncoderTrace, () -> (layer, head) drawing the head pickers -> (layer, head)
    tokens, c = trace.tokens, trace.config
    label = "ε: a head sinks on a key when its mean weight there is above"
    eps = st.slider(label, 0.0, 0.95, step=0.05, key=EPS)
    rates = sink_rates_by_group(trace.weights, tokens, eps)
    draw({"bw_sink_rates": fig.sink_rates(rates, eps)}, key="bw_sink_rates")
    for name, rate in rates.items():
        shown = ", ".join(f"{x:.0%}".replace("%", " %") for x in rate)
        st.markdown(f"{literal(name)} in layers 0 to {c.n_layers - 1}: a sink in {shown} of the heads.")
    st.subheader("Why a key is a sink: one head")
    layer, head = pick()
    names = {p: f"#{p} {t}" for p, t in enumerate(tokens)}
    sink = st.selectbox("Sink key to inspect", sink_candidates(tokens), key=SINK, format_func=names.get)
    title = f"Mean weight on {escape(tokens[sink])}, every head"
    on_sink = fig.head_map(head_weight_on(trace.weights, sink), title, "mean weight")
    draw({"bw_sink_heads": on_sink}, key="bw_sink_heads")
    q, k, v, w = (x[layer, head] for x in (trace.q, trace.k, trace.v, trace.weights))
    sv = sink_view(q, k, v, w, sink)
    p, cols = sv.profile, st.columns(4)
    cols[0].metric(
        f"Weight on it, L{layer} H{head}", f"{sv.weight_on:.3f}", help="Averaged over the queries."
    )
    cols[1].metric(f"‖k‖ (median {p.key_norm_median:.2f})", f"{p.key_norm:.2f}")
    cols[2].metric("Mean cos(q, k)", f"{p.mean_cosine:.2f}")
    cols[3].metric(f"‖v‖ (median {p.value_norm_median:.2f})", f"{p.value_norm:.2f}")
    draw(
        fig.sink_vectors(sv.key_norms, sv.value_norms, p.cosines, tokens, sink),
        key="bw_sink_vectors",
        columns=2,
    )
    return layer, head


SPREAD = (
    "÷√d_k assumes the d_k entries of q and k are independent with mean 0 and variance 1, so that q·k "
    "spreads like √d_k and the scaled scores like 1. A trained model promises neither: below, each "
    "MiniLM head's measured spread, coloured by how many doublings it sits from the textbook (white: "
    "on it, red: wider, blue: narrower)."
)


def spread(trace, r):
    s, c = summary(r.spread), trace.config
    st.markdown(SPREAD)
    st.markdown(
        f"σ(q·k) runs from **{s.low:.1f}** (layer {s.low_head[0]} head {s.low_head[1]}) to **{s.high:.1f}** "
        f"(layer {s.high_head[0]} head {s.high_head[1]}), median {s.median:.1f}, against the i.i.d. "
        f"prediction √d_k = √{c.d_k} ≈ {r.spread.textbook:.2f}; the entries' σ has median "
        f"{s.median_q:.2f} for q and {s.median_k:.2f} for k (textbook: 1)."
    )
    draw(fig.spread_maps(r.spread), key="bw_spread", columns=2)
    numbers = {name: st.column_config.NumberColumn(format="%.3f") for name in spread_table(r.spread)}
    numbers = {name: kind for name, kind in numbers.items() if name not in ("layer", "head")}
    st.dataframe(spread_table(r.spread), hide_index=True, height=300, column_config=numbers)


def section(page, part, settle):  # Page, part name, the tab's settle -> dict name -> value for the link
    """MiniLM's part of the tab: the trace, the link's values for it, and the part drawn."""
    try:
        trace = encode(page.settings.sentence)
    except ModelNotInstalled:
        st.info(f"This part needs all-MiniLM-L6-v2: {INSTALL_HINT} (83 MB), then reload.")
        return {}
    c = trace.config
    values = settle(inside_link.model_limits(c.n_layers, c.n_heads, len(trace.tokens)), "model")
    st.markdown(" ".join(literal(t) for t in trace.tokens))
    r = readings(trace.text)
    if part == "sqrt-dk":
        spread(trace, r)
        return values
    best = widest_gap(r.marked_weight, r.marked_contribution)
    st.markdown(SINKS if part == "sinks" else CONTRIBUTIONS)
    if part == "sinks":
        layer, head = sinks(trace, lambda: head_ui(trace, values, best))
    else:
        layer, head = head_ui(trace, values, best)
        contributions(trace, r, layer, head)
    return values | (
        {"layer": layer, "head": head} if st.session_state[PICKED] else {"layer": None, "head": None}
    )
