"""Figures of the pretrained model: every layer and head at once, and one token followed through all."""

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts.figures import WEIGHTS, categories, escape, heatmap, style


def model_grid(attentions, tokens):  # [n_layers, n_heads, seq, seq], list[str] -> go.Figure
    """Small multiples of every head's weights, a row per layer; a click on one reports (layer, head)."""
    n_layers, n_heads = attentions.shape[:2]
    fig = make_subplots(
        n_layers,
        n_heads,
        horizontal_spacing=0.006,
        vertical_spacing=0.02,
        column_titles=[f"head {h}" for h in range(n_heads)],
        row_titles=[f"layer {layer}" for layer in range(n_layers)],
    )
    cats = categories(tokens)
    middle = cats[len(cats) // 2]
    for layer in range(n_layers):
        for h in range(n_heads):
            fig.add_trace(
                go.Heatmap(
                    z=np.asarray(attentions[layer, h], dtype=np.float32),
                    x=cats,
                    y=cats,
                    coloraxis="coloraxis",
                    hoverinfo="skip",
                ),
                row=layer + 1,
                col=h + 1,
            )
            fig.add_trace(
                go.Scatter(
                    x=[middle],
                    y=[middle],
                    customdata=[[layer, h]],
                    mode="markers",
                    marker={"symbol": "square", "size": 70, "opacity": 0},
                    showlegend=False,
                    hovertemplate=f"layer {layer}, head {h}<extra>click to open</extra>",
                ),
                row=layer + 1,
                col=h + 1,
            )
    fig.update_layout(
        coloraxis={"colorscale": WEIGHTS, "cmin": 0, "cmax": 1, "showscale": False},
        clickmode="event+select",
        dragmode=False,
    )
    fig.update_xaxes(type="category", showticklabels=False)
    fig.update_yaxes(type="category", showticklabels=False, autorange="reversed")
    return style(fig, "All heads: a row per layer (click one to open it)", height=110 * n_layers + 80)


def follow_token(weights, keys, token):  # [n_layers, n_heads, seq_k], list[str], str -> go.Figure
    """Where one token looks in every head: its row of weights, one row per (layer, head)."""
    n_layers, n_heads = weights.shape[:2]
    rows = [f"L{layer} H{h}" for layer in range(n_layers) for h in range(n_heads)]
    z = weights.reshape(n_layers * n_heads, -1)
    title = f"Where {escape(token)} looks, in all {len(rows)} heads"
    return heatmap(z, rows, keys, title, kind="weights", names=("layer and head", "key"), value="weight")
