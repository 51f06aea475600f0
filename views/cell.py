"""Explain this cell: the whole arithmetic of one attention weight, from q·k to its rank in the row."""

import numpy as np
import streamlit as st

from attention.explain import explain_trace_cell
from charts import lab as lf
from views import link
from views.common import literal
from views.live_chart import draw
from views.page import CELL


def as_shown(x):  # float -> str, formatted as the heatmaps' hover shows it (float32, 6 digits)
    return f"{float(np.float32(x)):.6g}"


def cell_changed():
    """A box was changed by hand: that cell is now the selected one."""
    link.select_cell(st.session_state["cell_q"], st.session_state["cell_k"])


def cell_ui(trace, h):  # -> (i, j), the selected query and key
    """Two select boxes (kept in step with clicks on the weights) and the explanation below them."""
    n = len(trace.tokens)
    i, j = st.session_state.get(CELL) or (0, 0)
    i, j = min(i, n - 1), min(j, n - 1)
    st.session_state.update(cell_q=i, cell_k=j)  # reflect a click or a clamped link before drawing
    st.subheader("Explain this cell")
    label = dict(enumerate(trace.tokens)).get
    left, right = st.columns(2)
    i, j = (
        box.selectbox(
            name, range(n), key=key, on_change=cell_changed, format_func=lambda p: f"#{p} {label(p)}"
        )
        for box, name, key in ((left, "Query (row)", "cell_q"), (right, "Key (column)", "cell_k"))
    )
    link.select_cell(i, j)
    explain_ui(trace, h, i, j)
    return i, j


def explain_ui(trace, h, i, j):
    e = explain_trace_cell(trace, h, i, j)
    s = trace.settings
    st.markdown(
        f"Query #{i} {literal(trace.tokens[i])} looking at key #{j} {literal(trace.tokens[j])}, head {h}:"
    )
    draw({"products": lf.products_chart(e.products, e.top)}, key="products")
    biggest = ", ".join(f"m={m} ({e.products[m]:+.4g})" for m in e.top)
    divisor = 1 / e.scale
    lines = [
        f"1. **score** = q·k = sum of the {e.products.size} products = **{as_shown(e.score)}** "
        f"(largest contributors: {biggest})",
        f"2. **scaled** = score ÷ {divisor:.4g} = **{as_shown(e.scaled)}** "
        + (
            "(÷√d_k" + (f" and τ = {s.temperature:g})" if s.temperature != 1 else ")")
            if s.scaling
            else f"(scaling off; ÷τ = {s.temperature:g})"
        ),
    ]
    if e.masked:
        lines.append(
            "3. this key is **masked**: its score becomes −∞ before the softmax, "
            "so its weight is exactly **0**."
        )
    else:
        lines += [
            f"3. minus the row's largest scaled score {e.row_max:.6g}: {e.shifted:.6g}",
            f"4. exp of that: {e.exp:.6g}",
            f"5. ÷ the row's sum of exps over its {e.n_allowed} allowed keys, {e.exp_sum:.6g}",
            f"6. **weight = {as_shown(e.weight)}**, rank **{e.rank}** of {e.n_allowed} in the row.",
        ]
    st.markdown("\n".join(lines))
