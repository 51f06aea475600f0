"""Figures of several matrices at once: matrices side by side, and every head as small multiples."""

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts.figures import SIGNED, WEIGHTS, axis, categories, hover, layout, margin, style, symmetric_range


def heatmap_row(mats, rows, cols, title, titles, names=("token", "dimension"), value="value"):
    """Several matrices side by side in one figure, on one signed colour range.

    One figure instead of several: the browser lays out and draws each figure on its own, so
    fewer figures make every rerun faster. mats: [rows, cols] each; titles: one per matrix.
    """
    n, gap = len(mats), 0.03
    zrange = symmetric_range(*mats)
    traces, axes, notes = [], {}, []
    for k, (m, name) in enumerate(zip(mats, titles, strict=True), start=1):
        lo, hi = (k - 1) / n + gap / 2, k / n - gap / 2
        traces.append(
            go.Heatmap(
                z=np.asarray(m, dtype=np.float32),
                x=categories(cols),
                y=categories(rows),
                xaxis=f"x{k}",
                yaxis=f"y{k}",
                coloraxis="coloraxis",
                hoverongaps=False,
                hovertemplate=f"{name}<br>" + hover(names, value),
            )
        )
        axes[f"xaxis{k}"] = axis(cols, names[1]) | {"domain": [lo, hi], "anchor": f"y{k}", "tickangle": -45}
        shared = {
            "anchor": f"x{k}",
            "autorange": "reversed",
            "showticklabels": k == 1,
        }  # one set of row labels
        axes[f"yaxis{k}"] = axis(rows, names[0] if k == 1 else "") | shared
        notes.append(
            {
                "text": name,
                "x": (lo + hi) / 2,
                "y": 1,
                "xref": "paper",
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 13},
            }
        )
    colours = {
        "colorscale": SIGNED,
        "cmin": -zrange,
        "cmax": zrange,
        "colorbar": {"thickness": 12, "len": 0.9, "outlinewidth": 0},
    }
    extra = {"coloraxis": colours, "annotations": notes, "margin": margin(rows, cols) | {"t": 76}}
    return go.Figure(traces, layout=layout(title, min(580, 200 + 18 * max(len(rows), 8))) | axes | extra)


def head_grid(weights, tokens, columns=4):  # [n_heads, seq, seq], list[str] -> go.Figure
    """Every head's weights as small multiples on one 0..1 colour range."""
    n = len(weights)
    rows = -(-n // columns)
    fig = make_subplots(
        rows,
        min(n, columns),
        subplot_titles=[f"head {h}" for h in range(n)],
        horizontal_spacing=0.03,
        vertical_spacing=0.08,
    )
    cats = categories(tokens)
    for h in range(n):
        fig.add_trace(
            go.Heatmap(
                z=np.asarray(weights[h], dtype=np.float32),
                x=cats,
                y=cats,
                coloraxis="coloraxis",
                hovertemplate=f"head {h}<br>query %{{y}}<br>key %{{x}}<br>weight %{{z:.6g}}<extra></extra>",
                hoverongaps=False,
            ),
            row=h // columns + 1,
            col=h % columns + 1,
        )
    fig.update_layout(coloraxis={"colorscale": WEIGHTS, "cmin": 0, "cmax": 1})
    fig.update_xaxes(type="category", showticklabels=False)
    fig.update_yaxes(type="category", showticklabels=False, autorange="reversed")
    return style(fig, "Each head's weights", height=60 + 220 * rows)
