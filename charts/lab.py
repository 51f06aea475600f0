"""Figures of the scaling lab: the spread sweep, one cell's products, a row's softmax Jacobian."""

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts.figures import categories, dims, heatmap, style

RAW, SCALED, REFERENCE = "#e8590c", "#1c7ed6", "#868e96"  # orange / blue: distinct for colour-blind eyes


def _lines(fig, table, col, raw, scaled, dash):
    for name, values, colour in (("unscaled", raw, RAW), ("÷√d_k", scaled, SCALED)):
        fig.add_trace(
            go.Scatter(
                x=table.d_k,
                y=values,
                name=f"{name} ({table.weight_init} init)",
                mode="lines+markers",
                line={"color": colour, "dash": dash},
                legendgroup=f"{name}{dash}",
                showlegend=col == 1,
                hovertemplate="d_k %{x}<br>%{y:.4g}<extra>" + name + "</extra>",
            ),
            row=1,
            col=col,
        )


def spread_chart(tables, d_k):  # list[SpreadTable], int -> go.Figure
    """Std of the scores, mean largest weight and mean entropy against d_k, unscaled vs ÷√d_k."""
    fig = make_subplots(
        1,
        3,
        subplot_titles=("Std of scores", "Largest weight", "Entropy (bits)"),  # short: fit a phone
        horizontal_spacing=0.07,
    )
    for table, dash in zip(tables, ("solid", "dot"), strict=False):
        _lines(fig, table, 1, table.raw_std, table.scaled_std, dash)
        _lines(fig, table, 2, table.raw_largest, table.scaled_largest, dash)
        _lines(fig, table, 3, table.raw_entropy, table.scaled_entropy, dash)
    d = tables[0].d_k
    fig.add_trace(
        go.Scatter(
            x=d,
            y=np.sqrt(d),
            name="√d_k",
            mode="lines",
            line={"color": REFERENCE, "width": 1},
            hoverinfo="skip",
        ),
        row=1,
        col=1,
    )
    for col in (1, 2, 3):
        fig.add_vline(x=d_k, line={"color": "#212529", "dash": "dash", "width": 1}, row=1, col=col)
    fig.update_xaxes(type="log", title={"text": "d_k (log scale)"}, dtick=np.log10(2) * 2)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    fig.update_layout(legend={"orientation": "h", "y": -0.25})
    fig.update_annotations(font={"size": 13})  # the subplot titles, a third of a phone's width each
    return style(fig, f"Sweep over d_k, {tables[0].n_seeds} seeds (dashed: current d_k = {d_k})", 430)


def products_chart(products, top):  # [d_k], int [n] -> go.Figure
    """The d_k products q_i[m]·k_j[m] that add up to one score; the largest in size highlighted."""
    colour = np.full(products.size, "#adb5bd", dtype=object)
    colour[np.asarray(top, dtype=int)] = np.where(products[top] >= 0, "#c92a2a", "#1864ab")
    fig = go.Figure(
        go.Bar(
            x=dims(products.size),
            y=products,
            marker_color=list(colour),
            hovertemplate="%{x}: q·k product %{y:.6g}<extra></extra>",
        )
    )
    fig.update_xaxes(type="category", title={"text": "dimension m"}, automargin=True)
    fig.update_yaxes(title={"text": "q_i[m] · k_j[m]"}, zeroline=True)
    return style(fig, "The products that add up to the score (largest in colour)", 280)


def jacobian_heatmap(jacobian, tokens, title, zrange):  # [n, n], list[str], str, float -> figure dict
    """∂w_i/∂s_j for one row: near zero everywhere when the row is saturated."""
    return heatmap(
        jacobian, tokens, tokens, title, zrange=zrange, names=("weight of key", "score of key"), value="∂w/∂s"
    )


def clickable(fig, rows, cols, values, value="weight"):  # figure dict, labels, labels, [rows, cols]
    """An invisible marker on every cell, so a click selects it (a heatmap alone reports no click).

    The markers carry the hover text (query, key, value) and the heatmap's own hover is switched off.
    """
    i, j = (a.ravel() for a in np.indices((len(rows), len(cols))))
    rc, cc = categories(rows), categories(cols)
    for trace in fig["data"]:
        if trace["type"] == "heatmap":
            trace.pop("hovertemplate", None)
            trace["hoverinfo"] = "skip"
    fig["data"].append(
        {
            "type": "scatter",
            "x": [cc[b] for b in j],
            "y": [rc[a] for a in i],
            "customdata": np.stack([i, j, np.asarray(values, dtype=np.float32).ravel()], 1),
            "mode": "markers",
            "marker": {"symbol": "square", "size": 6, "opacity": 0},  # small: the nearest centre wins
            "hovertemplate": f"query %{{y}}<br>key %{{x}}<br>{value} %{{customdata[2]:.6g}}"
            "<extra>click to explain</extra>",
            "showlegend": False,
            "name": "select a cell",
        }
    )
    fig["layout"] |= {"clickmode": "event+select", "dragmode": False, "hoverdistance": 40}
    return fig
