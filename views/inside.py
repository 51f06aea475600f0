"""Beyond the weights: what a key contributes, where unused weight goes, decoding with a KV cache,
the tiled (online) softmax, and √d_k on a trained model.

One part is drawn at a time (the segmented control), so the tab costs one part's work; MiniLM's
parts (views.inside_model) run the encoder only when one of them is open. Each control's value is
in the link (exchange.inside): read against the text shown, and a value it cannot use is named.
"""

import streamlit as st

from attention.core import causal_mask
from attention.inside import marked_shares, toy_contributions, with_null
from attention.replay import decode_step, online_against_dense
from charts import inside as fig
from charts.figures import blank
from exchange import inside as inside_link
from views import inside_model, link
from views.common import plain
from views.inside_model import CONTRIBUTIONS, marked_line, shares_ui
from views.live_chart import draw
from views.page import LinkKeys, Tab
from views.traces import TRACES

TITLE = "Beyond the weights"
WIDGETS = {name: f"bw_{name}" for name in inside_link.KEYS}  # tab state -> its widget's key
READ = "bw_read"  # the groups of keys ("toy", "model") whose link notices were shown
PARTS = {
    "contributions": "Contributions",
    "sinks": "Attention sinks",
    "kv-cache": "KV cache",
    "tiled": "Tiled softmax",
    "sqrt-dk": "√d_k in MiniLM",
}
MODELS = {"toy": "Toy", "minilm": "MiniLM"}
TEXTS = {  # part -> what it shows, in two or three plain sentences
    "contributions": CONTRIBUTIONS,
    "sinks": (
        "Softmax must hand out all of a row's weight, even when no key matches: lower every score by the "
        "same amount and the weights do not change at all. Softmax + 1 adds one extra logit fixed at 0 "
        "that belongs to no token, so a row whose scores are all low can give its mass to nothing (the "
        "last column) instead of parking it on some key."
    ),
    "kv-cache": (
        "A decoder writes one token at a time, and causal attention lets token t see only tokens 0..t, so "
        "the earlier rows never change. A KV cache keeps the keys and values computed so far: each step "
        "appends one row to K and V and computes only the new query's row against them. Queries are not "
        "cached: each is used once, at its own step."
    ),
    "tiled": (
        "Softmax seems to need a whole row of scores before it can divide. The online softmax behind "
        "FlashAttention reads the keys a block at a time and keeps, per query, a running maximum m and a "
        "running sum l of exp(s − m); when a block brings a larger score, what was summed so far is "
        "rescaled by exp(m_old − m_new). Nothing is approximated: after the last block it is softmax."
    ),
}


def settle(limits, group):  # dict name -> limit, "toy" | "model" -> dict name -> value
    """The widgets' values: their own when the text can use them, else the link's (clamped).

    The link's notices are shown the first time its group is read, quoting what the visitor wrote.
    """
    values, notices = inside_link.from_params(link.owned(TITLE), limits)
    read = st.session_state.setdefault(READ, set())
    if group not in read:
        read.add(group)
        for notice in notices:
            st.warning(plain(f"Ignored in the link: {notice}."))
    current = {}
    for name, value in values.items():
        key = WIDGETS[name]
        held = st.session_state.get(key)
        if value is not None and (
            key not in st.session_state or not inside_link.fits(name, held, limits, current)
        ):
            st.session_state[key] = inside_link.nearest(name, value, limits, current)
        current[name] = st.session_state.get(key, value)
    return current


def put(values):  # dict name -> value of the names read this run; the others keep the link's text
    read = {inside_link.KEYS[name] for name in values}
    kept = {key: text for key, text in link.owned(TITLE).items() if key not in read}
    link.put(TITLE, kept | inside_link.to_params(values))


def contributions(page):
    trace, h = page.trace, page.head
    tokens = list(trace.tokens)
    c = TRACES.get(("beyond the weights: toy", trace.settings, h), lambda: toy_contributions(trace, h))
    draw(
        fig.weights_and_norms(c.weights, c.norms, tokens, f"head {h}", trace.mask),
        key="bw_contrib",
        columns=2,
    )
    st.caption(
        f"The pair vectors of each row, summed over the keys, are head {h}'s part of the output "
        f"(weights · V · W_O^h): max |Δ| = {c.sum_error:.1e} (float64)."
    )
    shares_ui(c.shares, tokens, WIDGETS["row"])
    marked_line(marked_shares(c.shares, trace.tokens))


def sinks(page):
    trace, h = page.trace, page.head
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    plus_one = left.toggle("Softmax + 1 (an extra zero logit)", key=WIDGETS["plus_one"])
    offset = right.slider("Lower every scaled score by", 0.0, 20.0, step=0.5, key=WIDGETS["offset"])
    null = with_null(trace.attention.scaled[h], trace.mask, offset, plus_one)
    name = "softmax + 1" if plus_one else "softmax"
    title = f"Weights with {name}, scores − {offset:g}, head {h}"
    draw({"bw_null": fig.null_map(null.weights, list(trace.tokens), title)}, key="bw_null")
    st.markdown(
        f"Each row gives **{null.least:.1%} to {null.most:.1%}** of its weight to the keys; "
        f"the rest ({fig.NOTHING}) goes to no key."
    )


def head_of(page):  # Page -> (trace, its attention, the head shown, its tokens as a list)
    return page.trace, page.trace.attention, page.head, list(page.trace.tokens)


def kv_cache(page):
    trace, a, h, tokens = head_of(page)
    n = len(tokens)
    if n < 2:
        st.info("Decoding needs at least two tokens: type a longer sentence.")
        return
    left, right = st.columns(2)
    prefill = left.slider("Prefill: tokens read in one pass", 1, n, key=WIDGETS["prefill"])
    step = 0
    if prefill < n:
        step = right.slider("Step (0: the prefill)", 0, n - prefill, key=WIDGETS["step"])
    else:
        right.caption("The prefill read every token: there is nothing left to decode.")
    d = decode_step(a.q[h], a.k[h], a.v[h], prefill, step)
    times = d.recompute_so_far / max(d.cached_so_far, 1)
    st.markdown(
        f"**Multiplications so far** (q·kᵀ and weights·V): **{d.cached_so_far:,}** with the cache, "
        f"**{d.recompute_so_far:,}** recomputing causal attention at every step ({times:.1f}×)."
    )
    draw(fig.cache_maps(d.k_cache, d.v_cache, tokens, d.first), key="bw_cache", columns=2)
    recompute = blank(d.recompute, causal_mask(n))
    draw(fig.decode_maps(d.rows, recompute, tokens, d.first, d.last), key="bw_decode", columns=2)
    rows = (
        f"row {d.last} equals that row" if d.first == d.last else f"rows {d.first}–{d.last} equal those rows"
    )
    st.markdown(
        f"The cached {rows} of the full causal recompute: **max |Δ| = "
        f"{d.row_error:.1e}**; the outputs so far: max |Δ| = {d.output_error:.1e}."
    )


def tiled(page):
    trace, a, h, tokens = head_of(page)
    n, (left, right) = len(tokens), st.columns(2)
    block = left.slider("Keys per block", 1, n, key=WIDGETS["block"]) if n > 1 else 1
    o = online_against_dense(a.q[h], a.k[h], a.v[h], block, a.weights[h], a.heads[h], a.scale, trace.mask)
    t, n_blocks = o.trace, len(o.trace.running_max)
    shown = (
        right.slider("Partial output after block", 1, n_blocks, key=WIDGETS["shown"]) if n_blocks > 1 else 1
    )
    running = fig.running_maps(t.running_max, t.running_sum, t.rescale, tokens, shown)
    draw(running, key="bw_running", columns=3)
    draw(
        fig.partial_maps(t.partial[shown - 1], a.heads[h], tokens, shown, n_blocks),
        key="bw_partial",
        columns=2,
    )
    st.markdown(
        f"After the last of {n_blocks} blocks, against the dense softmax: weights **max |Δ| = "
        f"{o.weight_error:.1e}**, output **max |Δ| = {o.output_error:.1e}**."
    )


TOY = {"contributions": contributions, "sinks": sinks, "kv-cache": kv_cache, "tiled": tiled}


def section(page):
    st.header("Beyond the weights")
    st.markdown(
        "The weights map is not the whole story of attention. Here: how much each key really moves "
        "the output, where weight goes when nothing matches, how a decoder reuses its keys and values, "
        "how softmax is computed a block at a time, and how a trained model's scores compare with the "
        "textbook's √d_k."
    )
    values = settle(inside_link.toy_limits(len(page.trace.tokens)), "toy")
    picked = st.segmented_control("Part", list(PARTS), key=WIDGETS["part"], format_func=PARTS.get)
    part = values["part"] = picked or inside_link.DEFAULTS["part"]
    if part in ("contributions", "sinks"):
        chosen = st.segmented_control("Model", list(MODELS), key=WIDGETS["model"], format_func=MODELS.get)
        values["model"] = chosen or inside_link.DEFAULTS["model"]
    if part == "sqrt-dk" or (part in ("contributions", "sinks") and values["model"] == "minilm"):
        values |= inside_model.section(page, part, settle)
    else:
        st.markdown(TEXTS[part])
        TOY[part](page)
    put(values)


TAB = Tab(TITLE, section, link=LinkKeys(TITLE, tuple(inside_link.KEYS.values())))
