"""The pipeline, stage by stage: tokens -> X -> Q, K, V -> scores -> scaled -> mask -> weights -> output."""

import streamlit as st

from charts import figures as fg
from charts import grids
from views import weights
from views.common import chip_row, formula, prose
from views.live_chart import draw
from views.near import PART, far_parts, part
from views.page import HEAD, Tab


def head_picker(n_heads):  # int -> int
    """Which head the stage views show."""
    if n_heads == 1:
        return 0
    if st.session_state.get(HEAD, 0) >= n_heads:
        st.session_state[HEAD] = 0  # fewer heads than before: back to the first
    st.session_state.setdefault(HEAD, 0)
    label = "Head shown on the maps and in the stages"
    return st.segmented_control(label, list(range(n_heads)), key=HEAD, format_func=lambda h: f"head {h}") or 0


def tokens_stage(trace):
    s = trace.settings
    padding = f"{trace.n_pad} [PAD] positions fill the sequence: zero vectors, masked as keys."
    prose(  # the text, the chips and the padding in one element: X keeps its place as padding comes and goes
        "1 · Tokens and embeddings X",
        "The sentence is split into tokens, and each token becomes a vector of d_model numbers: "
        "one row of **X**. A real model learns these vectors; here they are "
        + {
            "hashed": "drawn at random but fixed per word, so the same word always gets the same row.",
            "char codes": "each character's code minus 96, as the Letters to numbers tab does by hand: "
            "a = 1 … z = 26 (other characters fall outside, e.g. digits are negative).",
            "random": "uniform random numbers that ignore the words.",
        }[s.embedding]
        + (
            " Sinusoidal position vectors are added, so equal words at different places differ."
            if s.positions
            else ""
        ),
        chip_row(trace.words),
        *([padding] if trace.n_pad else []),
    )
    title = f"X: {trace.x.shape[0]} tokens × d_model = {trace.x.shape[1]}"
    x = fg.heatmap(
        trace.x, trace.tokens, fg.dims(trace.x.shape[1]), title, names=("token", "dimension"), value="x"
    )
    draw({"x": x}, key="x")


def projections_stage(trace, h):
    a, s = trace.attention, trace.settings
    prose(
        "2 · Queries, keys and values",
        "Three learned matrices project every row of X into three roles. A **query** says what a token "
        "is looking for, a **key** what it offers to be found by, and a **value** what it passes on "
        "once found. Keeping them separate lets a model match on one aspect of a word and copy another.",
        formula(r"Q = X W_Q \qquad K = X W_K \qquad V = X W_V"),
    )
    d_model, tokens = trace.x.shape[1], trace.tokens
    ws = trace.head_projections(h)
    title = f"The projections, each d_model × d_k = {d_model} × {s.d_k}" + (
        f" (head {h})" if s.n_heads > 1 else ""
    )
    names = ("dimension of x", "dimension of q/k/v")
    w = grids.heatmap_row(ws, fg.dims(d_model), fg.dims(s.d_k), title, ("W_Q", "W_K", "W_V"), names, "weight")
    title = f"Queries, keys and values, each {len(tokens)} tokens × d_k = {s.d_k}"
    qkv = grids.heatmap_row([a.q[h], a.k[h], a.v[h]], tokens, fg.dims(s.d_k), title, ("Q", "K", "V"))
    draw({"projections": w, "qkv": qkv}, key="projections")


def scores_stage(trace):
    s = trace.settings
    divisor = r"\tau\sqrt{d_k}" if s.scaling else r"\tau"  # the formula the page is computing now
    if s.scaling:
        root = s.root_d_k
        tau = f"τ·√d_k = {s.temperature:g} × {root:.2f}" if s.temperature != 1 else "√d_k"
        now = f"**÷{tau} = ÷{s.divisor:.2f}** for d_k = {s.d_k}."
    else:
        now = f"**Scaling is off**: scaled = scores ÷ τ = scores ÷ {s.temperature:g}."
    prose(
        "3 · Scores Q·Kᵀ and 4 · scaled scores",
        "Every query is compared with every key by a dot product: a large score means the key matches "
        "what the query looks for. A dot product sums d_k products, so its spread grows like √d_k; "
        "dividing by √d_k keeps the scores near ±1 whatever d_k is, so softmax does not saturate.",
        formula(rf"\text{{scores}} = Q K^\top \qquad \text{{scaled}} = \frac{{Q K^\top}}{{{divisor}}}"),
        now,
        "The first two maps at the top of the page are the scores and the scaled scores, on one colour "
        "range: the scaled map looks paler by exactly this factor.",
    )


def section(page):
    """The Step-by-step tab: every stage of the formula, in order, for the head chosen above."""
    trace, h = page.trace, page.head
    stages = (
        lambda: tokens_stage(trace),
        lambda: projections_stage(trace, h),
        lambda: scores_stage(trace),
        lambda: weights.mask_stage(trace, h),
        lambda: weights.weights_stage(trace, h),
        lambda: weights.output_stage(trace, h),
    )
    keys = [f"{PART}s{k}" for k in range(len(stages))]  # short: keys travel in every run's message
    far = far_parts(keys)  # stages far from the screen: left out, their slots kept
    for key, stage in zip(keys, stages, strict=True):
        slot = part(key, far)  # one slot per stage: a stage that grows or shrinks never moves the next
        if slot is not None:
            with slot:
                stage()


TAB = Tab("Step by step", section)
