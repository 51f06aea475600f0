"""Figures of the pretrained model: every head at once, the heads ranked for one cell, the heads grouped
by pattern, one opened head as a large map, and one token followed through all heads."""

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts.figures import WEIGHTS, categories, escape, heatmap, style

MAP_HEIGHT = (600, 900)  # pixels: the opened head's map is at least this tall, and at most


def head_cell(fig, z, cats, layer, head, row, col):  # one small map, and a marker that reports (layer, head)
    fig.add_trace(
        go.Heatmap(z=np.asarray(z, np.float32), x=cats, y=cats, coloraxis="coloraxis", hoverinfo="skip"),
        row=row,
        col=col,
    )
    middle = cats[len(cats) // 2]
    fig.add_trace(
        go.Scatter(
            x=[middle],
            y=[middle],
            customdata=[[layer, head]],
            mode="markers",
            marker={"symbol": "square", "size": 70, "opacity": 0},
            showlegend=False,
            hovertemplate=f"layer {layer}, head {head}<extra>click to open</extra>",
        ),
        row=row,
        col=col,
    )


def small_multiples(fig, title, height):  # go.Figure -> go.Figure, the grids' shared styling
    fig.update_layout(
        coloraxis={"colorscale": WEIGHTS, "cmin": 0, "cmax": 1, "showscale": False},
        clickmode="event+select",
        dragmode=False,
    )
    fig.update_xaxes(type="category", showticklabels=False, ticks="")
    fig.update_yaxes(type="category", showticklabels=False, ticks="", autorange="reversed")
    return style(fig, title, height=height)


def model_grid(attentions, tokens):  # [n_layers, n_heads, seq, seq], list[str] -> go.Figure
    """Small multiples of every head's weights, a row per layer; a click on one reports (layer, head)."""
    n_layers, n_heads = attentions.shape[:2]
    fig = make_subplots(
        n_layers,
        n_heads,
        horizontal_spacing=0.006,
        vertical_spacing=0.02,
        column_titles=[str(h) for h in range(n_heads)],  # short: twelve of them share a phone's width
        row_titles=[f"L{layer}" for layer in range(n_layers)],
    )
    cats = categories(tokens)
    for layer in range(n_layers):
        for h in range(n_heads):
            head_cell(fig, attentions[layer, h], cats, layer, h, layer + 1, h + 1)
    title = "All heads: a row per layer L, a column per head (click one to open it)"
    return small_multiples(fig, title, 110 * n_layers + 80)


def pattern_grid(attentions, tokens, groups, per_row=12):
    """The heads grouped by pattern, a row per pattern (its strongest per_row heads); a click reports
    (layer, head). attentions: [n_layers, n_heads, seq, seq]; groups: pattern -> [(layer, head)]."""
    cols = max(1, min(per_row, max((len(hs) for hs in groups.values()), default=1)))
    shown = {p: hs[:cols] for p, hs in groups.items()}
    names = {
        p: [f"L{lay}<br>h{h}" for lay, h in hs] for p, hs in shown.items()
    }  # two short lines: narrow cells
    titles = [t for ns in names.values() for t in ns + [""] * (cols - len(ns))]
    fig = make_subplots(
        len(groups),
        cols,
        horizontal_spacing=0.006,
        vertical_spacing=0.09 if len(groups) > 1 else 0.0,
        subplot_titles=titles,
        row_titles=[f"{escape(p)} ({len(groups[p])})" for p in groups],
    )
    cats = categories(tokens)
    for row, heads in enumerate(shown.values(), start=1):
        for col, (layer, h) in enumerate(heads, start=1):
            head_cell(fig, attentions[layer, h], cats, layer, h, row, col)
    fig.update_annotations(font={"size": 10})
    title = f"Heads by pattern (the strongest {cols} of each; click to open)"
    fig = small_multiples(fig, title, 130 * len(groups) + 110)
    return fig.update_layout(margin={"t": 84})  # room for the two-line head names under the title


def ranking(ranked, top, title):  # [(layer, head, weight)] best first, int, str -> go.Figure
    """The top heads of a ranking as bars, best on top; a click on a bar reports (layer, head)."""
    best = ranked[:top]
    fig = go.Figure(
        go.Bar(
            x=np.array([w for *_, w in best], dtype=np.float64),
            y=[f"L{layer} H{h}" for layer, h, _ in best],
            orientation="h",
            customdata=np.array([[layer, h] for layer, h, _ in best], dtype=np.int32).reshape(-1, 2),
            marker_color="#3b5bdb",
            text=[f"{w:.3f}" for *_, w in best],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="layer %{customdata[0]}, head %{customdata[1]}<br>weight %{x:.6g}"
            "<extra>click to open</extra>",
        )
    )
    fig.update_xaxes(range=[0, 1.12], title={"text": "weight"}, fixedrange=True)
    fig.update_yaxes(type="category", autorange="reversed", fixedrange=True)
    fig.update_layout(dragmode=False)
    return style(fig, title, height=90 + 26 * len(best))


def opened_map(z, tokens, title, kind, value, cell=None):  # [seq, seq], list[str], ... -> figure dict
    """One head's matrix as a large map; cell (row, col), if given, outlined."""
    fig = heatmap(z, tokens, tokens, title, kind=kind, value=value, fit=True)
    fig["layout"]["height"] = int(np.clip(fig["layout"]["height"] + 100, *MAP_HEIGHT))
    if cell is not None:
        cats = categories(tokens)
        marker = {"symbol": "square-open", "size": 18, "color": "#ff6b00", "line": {"width": 2}}
        fig["data"].append({"type": "scatter", "x": [cats[cell[1]]], "y": [cats[cell[0]]], "mode": "markers",
                            "marker": marker, "hoverinfo": "skip", "showlegend": False})  # fmt: skip
    return fig


def follow_token(weights, keys, token):  # [n_layers, n_heads, seq_k], list[str], str -> figure dict
    """Where one token looks in every head: its row of weights, one row per (layer, head)."""
    n_layers, n_heads = weights.shape[:2]
    rows = [f"L{layer} H{h}" for layer in range(n_layers) for h in range(n_heads)]
    z = weights.reshape(n_layers * n_heads, -1)
    title = f"Where {escape(token)} looks, in all {len(rows)} heads"
    return heatmap(z, rows, keys, title, kind="weights", names=("layer and head", "key"), value="weight")
