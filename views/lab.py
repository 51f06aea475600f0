"""Scaling lab: why scores are divided by √d_k, measured row by row, across widths, and in the gradient."""

import numpy as np
import pandas
import streamlit as st

from attention.scaling import (
    SATURATING_D_K,
    SPREAD_SEEDS,
    jacobian_norm,
    row_stats,
    saturation_summary,
    score_spread,
    softmax_jacobian,
)
from charts import lab as lf
from charts.figures import symmetric_range
from views import link
from views.cell import cell_ui
from views.common import literal
from views.live_chart import draw
from views.page import LARGE, Tab
from views.traces import compute
from views.weights import weights_figure


@st.cache_data(max_entries=4, show_spinner=f"Sweeping d_k over {SPREAD_SEEDS} seeds…")
def sweep(weight_init: str):
    return score_spread(weight_init=weight_init)


def try_saturation():
    link.set_settings(d_k=SATURATING_D_K, scaling=False)


def rows_ui(trace, h):
    """The weights of the current head, each row's measures beside them, and the summary line."""
    a, n = trace.attention, len(trace.tokens)
    stats = row_stats(a.weights[h])
    st.markdown(f"**{saturation_summary(stats)}.**")
    left, right = st.columns([3, 2])
    with left:
        fig = weights_figure(trace, h, "Attention weights (click a cell to explain it)")
        if n <= LARGE:
            fig = lf.clickable(fig, trace.tokens, trace.tokens, a.weights[h])
        draw({"lab_weights": fig}, key="lab_weights", on_click=pick_clicked)
    with right:
        measures(trace.tokens, stats)
    if n > LARGE:
        st.caption(f"With more than {LARGE} tokens, pick the cell with the boxes below.")


NUMBERS = ("largest weight", "entropy (bits)", "effective keys")
ALT = "Each query's largest weight, its entropy in bits, the number of keys it mixes and if it is saturated"


def measures(tokens, stats):  # list[str] [n], RowStats of n rows -> None: a table of each row's measures
    """A plain table while it is short: the browser lays it out with the page, where a data grid paints
    a canvas and updates its cells for screen readers a frame later (about 150 ms after the maps at 7
    tokens). A longer one scrolls in a data grid, which draws only the rows in view."""
    short = len(tokens) <= LARGE  # a plain table's cells are Markdown: each word a literal code span
    table = pandas.DataFrame(
        {
            "query": [literal(t) for t in tokens] if short else list(tokens),
            "largest weight": stats.largest,
            "entropy (bits)": stats.entropy_bits,
            "effective keys": stats.effective_keys,
            "saturated": np.where(stats.saturated, "yes", "no"),
        }
    )
    height = min(560, 38 + 35 * len(tokens))  # px: a long table scrolls beside the map
    if short:
        st.table(table, hide_index=True, height="content" if height < 560 else height, alt=ALT)
    else:
        formats = {c: st.column_config.NumberColumn(format="%.4f") for c in NUMBERS}
        st.dataframe(table, hide_index=True, height=height, column_config=formats)


def pick_clicked(click):
    """A click on a cell of the weights: that cell is explained below."""
    if click and click.get("row") is not None and click.get("col") is not None:
        link.select_cell(click["row"], click["col"])


def spread_ui(settings):
    st.subheader("Why: the spread of the scores grows like √d_k")
    st.markdown(
        "A score q·k adds up d_k products. With entries of mean 0 and variance 1 each product has "
        "variance 1, so the sum has variance d_k and its spread grows like √d_k (grey line). Wide "
        "heads would then saturate softmax; ÷√d_k keeps the spread near 1 at every width. "
        "Uniform [0, 1) weights (dotted; “Weight init” in the sidebar) are worse: all positive, so "
        "scores grow like d_k and even ÷√d_k cannot stop their rows from saturating."
    )
    draw({"spread": lf.spread_chart([sweep("normal"), sweep("uniform")], settings.d_k)}, key="spread")


def gradient_ui(trace, h, i):
    st.subheader("What saturation costs: the gradient")
    st.markdown(
        "Learning adjusts the scores through softmax's Jacobian, ∂wᵢ/∂sⱼ = wᵢ(δᵢⱼ − wⱼ). When a row "
        "is saturated (one weight near 1) every entry is near 0: the gradient vanishes and the scores "
        "stop learning. Here is the selected row with scaling on and off, on one colour range."
    )
    other = compute(trace.settings.replace(scaling=not trace.settings.scaling))
    on, off = (trace, other) if trace.settings.scaling else (other, trace)
    rows = {"with ÷√d_k": on.attention.weights[h][i], "without scaling": off.attention.weights[h][i]}
    jacobians = {name: softmax_jacobian(w) for name, w in rows.items()}
    zrange = symmetric_range(*jacobians.values())
    figs = {
        f"jac_{name}": lf.jacobian_heatmap(
            jac, trace.tokens, f"{name}: ‖J‖ = {jacobian_norm(rows[name]):.3g}", zrange
        )
        for name, jac in jacobians.items()
    }
    draw(figs, key="jacobians", columns=2)


def section(page):
    trace, h = page.trace, page.head
    st.header("Scaling lab: why divide by √d_k?")
    st.markdown(
        "Softmax is sensitive to the size of its inputs: spread the scores out and it puts nearly all "
        "of a row's weight on one key (the row is *saturated*). Below, each row's largest weight, its "
        "entropy (0 bits = one key takes everything; log₂ n = spread evenly) and the effective number "
        "of keys it mixes (2^entropy)."
    )
    st.button(
        f"Try it: d_k = {SATURATING_D_K} with scaling off",
        on_click=try_saturation,
        key="try_saturation",
        help="Switch *Divide by √d_k* back on above the maps to compare.",
    )
    rows_ui(trace, h)
    i, _ = cell_ui(trace, h)
    gradient_ui(trace, h, i)
    spread_ui(trace.settings)


TAB = Tab("Scaling lab", section)
