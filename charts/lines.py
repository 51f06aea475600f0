"""The line view (BertViz's head view): queries on the left, keys on the right, one line per pair.

A line joins a query to a key; its width is proportional to the weight and its opacity grows with
it, so a head's pattern reads at a glance. Lines below a threshold are left out: a few hundred
hairlines would hide the lines that matter. Several heads are drawn over the same tokens, each in
its own colour.

One trace per line, because Plotly gives a trace a single width. The lines of one query token share
a legend group named after the token, and the legend isolates a group on click: click a token in
the legend to see only its lines, click it again to see them all.
"""

import numpy as np

from charts.figures import FONT, categories, escape, figure, layout

THRESHOLD = 0.05  # weights below this draw no line
WIDTH = 8.0  # pixels of line for a weight of 1
COLOURS = ("#1c7ed6", "#e8590c", "#2f9e44", "#ae3ec9")  # one per head, colour-blind distinguishable
MAX_HEADS = len(COLOURS)
ROW = 24  # pixels per token row


def stacked(weights):  # [seq, seq] | [n_heads, seq, seq] -> [n_heads, seq, seq]
    w = np.asarray(weights, dtype=np.float64)
    w = w[None] if w.ndim == 2 else w
    if w.ndim != 3 or w.shape[-1] != w.shape[-2]:
        raise ValueError(f"weights must be [seq, seq] or [n_heads, seq, seq], got {np.shape(weights)}")
    if len(w) > MAX_HEADS:
        raise ValueError(f"at most {MAX_HEADS} heads fit one line view, got {len(w)}")
    return w


def pairs(weights, threshold=THRESHOLD):  # [n_heads, seq, seq] -> list of (head, query, key, weight)
    """Every (head, query, key) whose weight reaches the threshold (NaN, a masked cell, never does)."""
    found = np.argwhere(np.nan_to_num(weights, nan=0.0) >= threshold)  # [n_lines, 3] in (h, q, k) order
    return [(int(h), int(q), int(k), float(weights[h, q, k])) for h, q, k in found]


def line(head, query, key, weight, name, cats):  # -> a scatter trace dict, one query→key line
    where = f"{escape(name)}<br>{cats[query]} → {cats[key]}"
    return {
        "type": "scatter",
        "x": [0, 1],
        "y": [query, key],
        "mode": "lines",
        "line": {"width": WIDTH * weight, "color": COLOURS[head]},
        "opacity": min(1.0, 0.25 + weight),
        "legendgroup": f"q{query}",
        "showlegend": False,
        "meta": {"head": head, "query": query, "key": key, "weight": weight},
        "hovertemplate": f"{where}<br>weight {weight:.4f}<extra></extra>",
    }


def column(tokens, x, axis, role):  # list[str], 0 | 1, "y" | "y2", str -> a scatter trace of the token ends
    n = len(tokens)
    return {
        "type": "scatter",
        "x": [x] * n,
        "y": list(range(n)),
        "yaxis": axis,
        "mode": "markers",
        "marker": {"size": 7, "color": "#868e96"},
        "customdata": list(range(n)),
        "text": categories(tokens),
        "hovertemplate": f"{role} %{{text}}<extra></extra>",
        "showlegend": False,
    }


def legend_entries(tokens, names):  # -> list of trace dicts: a query token's group, then a head's colour
    blank = {"type": "scatter", "x": [None], "y": [None], "mode": "lines", "showlegend": True}
    tokens_ = [
        blank | {"line": {"width": 3, "color": "#495057"}, "name": cat, "legendgroup": f"q{q}"}
        for q, cat in enumerate(categories(tokens))
    ]
    heads = [
        blank | {"line": {"width": 4, "color": COLOURS[h]}, "name": escape(n), "legend": "legend2"}
        for h, n in enumerate(names)
    ]
    return tokens_ + heads


def axes(tokens, side):  # list[str], "left" | "right" -> dict of a token axis
    n = len(tokens)
    return {
        "range": [n - 0.5, -0.5],
        "tickmode": "array",
        "tickvals": list(range(n)),
        "ticktext": [escape(t) for t in tokens],
        "side": side,
        "showgrid": False,
        "zeroline": False,
        "automargin": True,
        "fixedrange": True,
    }


def line_view(weights, tokens, title, names=None, threshold=THRESHOLD):
    """Queries (left) joined to keys (right) by lines whose width is WIDTH × weight.

    weights: [seq, seq] or [n_heads, seq, seq] (at most MAX_HEADS), rows = queries; tokens: seq
    labels; names: one per head, shown in the colour legend.
    """
    w = stacked(weights)
    if w.shape[-1] != len(tokens):
        raise ValueError(f"{len(tokens)} tokens for weights over {w.shape[-1]} positions")
    names = list(names or (["weights"] if len(w) == 1 else [f"head {h}" for h in range(len(w))]))
    if len(names) != len(w):
        raise ValueError(f"{len(names)} names for {len(w)} heads")
    cats = categories(tokens)
    traces = [line(h, q, k, v, names[h], cats) for h, q, k, v in pairs(w, threshold)]
    traces += [column(tokens, 0, "y", "query"), column(tokens, 1, "y2", "key")]
    traces += legend_entries(tokens, names)
    legend = {"orientation": "h", "yanchor": "top", "y": -0.02, "x": 0, "font": FONT | {"size": 11}}
    isolate = {
        "itemclick": "toggleothers",
        "itemdoubleclick": False,
        "title": {"text": "query (click one: its lines only)", "side": "top"},
    }
    extra = {
        "xaxis": {"range": [-0.03, 1.03], "visible": False, "fixedrange": True},
        "yaxis": axes(tokens, "left"),
        "yaxis2": axes(tokens, "right") | {"overlaying": "y"},
        "legend": legend | isolate,
        "legend2": legend | {"y": 1.0, "yanchor": "bottom", "itemclick": False, "itemdoubleclick": False},
        "margin": {"l": 10, "r": 10, "t": 80, "b": 10},
        "hovermode": "closest",
        "dragmode": False,
    }
    height = 150 + ROW * len(tokens) + 22 * (1 + len(tokens) // 6)  # rows, then the wrapped legend
    return figure(traces, layout(title, height) | extra)
