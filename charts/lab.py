"""Figures of the scaling lab: the spread sweep, one cell's products, a row's softmax Jacobian."""

import math

import numpy as np

from charts.figures import categories, dims, figure, heatmap, layout, subplot

RAW, SCALED, REFERENCE = "#e8590c", "#1c7ed6", "#868e96"  # orange / blue: distinct for colour-blind eyes
SPREAD_TITLES = ("Std of scores", "Largest weight", "Entropy (bits)")  # short: fit a phone
SPREAD_GAP = 0.07  # between the three plots, a fraction of the width


def plot_title(text, x):  # -> a plot's title above it, centred at paper x, as make_subplots places it
    return {"text": text, "x": x, "y": 1.0, "xref": "paper", "yref": "paper", "xanchor": "center",
            "yanchor": "bottom", "showarrow": False, "font": {"size": 13}}  # fmt: skip


def current(d_k, x, y):  # -> the dashed line at the current d_k across the plot on axes x, y
    line = {"color": "#212529", "dash": "dash", "width": 1}
    return {"type": "line", "x0": d_k, "x1": d_k, "xref": x, "y0": 0, "y1": 1, "yref": f"{y} domain",
            "line": line}  # fmt: skip


def _lines(table, k, raw, scaled, dash):  # SpreadTable, int, [n_d_k] x2, str -> the k-th plot's 2 line dicts
    x, y, _, _ = subplot(k)
    return [
        {
            "type": "scatter",
            "x": table.d_k,
            "y": values,
            "name": f"{name} ({table.weight_init} init)",
            "mode": "lines+markers",
            "line": {"color": colour, "dash": dash},
            "legendgroup": f"{name}{dash}",
            "showlegend": k == 1,
            "hovertemplate": "d_k %{x}<br>%{y:.4g}<extra>" + name + "</extra>",
            "xaxis": x,
            "yaxis": y,
        }
        for name, values, colour in (("unscaled", raw, RAW), ("÷√d_k", scaled, SCALED))
    ]


def spread_chart(tables, d_k):  # list[SpreadTable], int -> figure dict
    """Std of the scores, mean largest weight and mean entropy against d_k, unscaled vs ÷√d_k.

    Three plots side by side, laid out as `plotly.subplots.make_subplots` would, as a plain dict: it is
    built on every d_k change (the dashed line moves), where a validated figure took 50 ms."""
    wide = (1 - 2 * SPREAD_GAP) / 3
    log_d_k = {"type": "log", "dtick": math.log10(2) * 2, "title": {"text": "d_k (log scale)"}}
    traces, axes, notes, marks = [], {}, [], []
    for k, name in enumerate(SPREAD_TITLES, start=1):
        x, y, xname, yname = subplot(k)
        lo = (k - 1) * (wide + SPREAD_GAP)
        axes[xname] = {"anchor": y, "domain": [lo, lo + wide], "automargin": True} | log_d_k
        axes[yname] = {"anchor": x, "domain": [0.0, 1.0], "automargin": True}
        notes.append(plot_title(name, lo + wide / 2))
        marks.append(current(d_k, x, y))
    axes["yaxis"]["type"] = "log"
    axes["yaxis2"]["range"] = [0, 1.02]
    for table, dash in zip(tables, ("solid", "dot"), strict=False):
        traces += _lines(table, 1, table.raw_std, table.scaled_std, dash)
        traces += _lines(table, 2, table.raw_largest, table.scaled_largest, dash)
        traces += _lines(table, 3, table.raw_entropy, table.scaled_entropy, dash)
    d = tables[0].d_k
    traces.append(
        {"type": "scatter", "x": d, "y": np.sqrt(d), "name": "√d_k", "mode": "lines",
         "line": {"color": REFERENCE, "width": 1}, "hoverinfo": "skip", "xaxis": "x", "yaxis": "y"}
    )  # fmt: skip
    title = f"Sweep over d_k, {tables[0].n_seeds} seeds (dashed: current d_k = {d_k})"
    extra = {"annotations": notes, "shapes": marks, "legend": {"orientation": "h", "y": -0.25}}
    return figure(traces, layout(title, 430) | axes | extra)


def products_chart(products, top):  # [d_k], int [n] -> figure dict
    """The d_k products q_i[m]·k_j[m] that add up to one score; the largest in size highlighted."""
    colour = np.full(products.size, "#adb5bd", dtype=object)
    colour[np.asarray(top, dtype=int)] = np.where(products[top] >= 0, "#c92a2a", "#1864ab")
    bar = {
        "type": "bar",
        "x": list(dims(products.size)),
        "y": products,
        "marker": {"color": list(colour)},
        "hovertemplate": "%{x}: q·k product %{y:.6g}<extra></extra>",
    }
    axes = {
        "xaxis": {"type": "category", "title": {"text": "dimension m"}, "automargin": True},
        "yaxis": {"title": {"text": "q_i[m] · k_j[m]"}, "zeroline": True, "automargin": True},
    }
    return figure([bar], layout("The products that add up to the score (largest in colour)", 280) | axes)


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
