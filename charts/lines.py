"""The line view (BertViz's head view): queries on the left, keys on the right, one line per pair.

A line joins a query to a key; its width is proportional to the weight and its opacity grows with
it, so a head's pattern reads at a glance. Lines below a threshold are left out: a few hundred
hairlines would hide the lines that matter. Several heads are drawn over the same tokens, each in
its own colour.

Each line is a layout shape, which has a width of its own: the figure's traces are only the two
columns of token ends (and the heads' colour legend), so a change of weights changes only the
shapes, which the chart component redraws with `Plotly.relayout` instead of replotting. A shape's
`name` says what it joins ("h0 q3 k5"). Hovering (or tapping) a token on either side shows only its
lines (static/live_chart.js); the weights map beside it has every number.
"""

import numpy as np

from charts.figures import FONT, escape, figure, layout

THRESHOLD = 0.05  # weights below this draw no line
WIDTH = 8.0  # pixels of line for a weight of 1
# Widths and opacities travel rounded: no eye tells 0.01 px or 0.001 apart, and 17-digit floats were
# most of the view's bytes (the weights map beside it has every digit).
WIDTH_DECIMALS = 2  # 0.01 px
OPACITY_DECIMALS = 3
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


def line(head, query, key, weight):  # -> a layout shape dict, one query→key line
    return {
        "type": "line",
        "xref": "x",
        "yref": "y",
        "x0": 0,
        "y0": query,
        "x1": 1,
        "y1": key,
        "line": {"width": round(WIDTH * weight, WIDTH_DECIMALS), "color": COLOURS[head]},
        "opacity": round(min(1.0, 0.25 + weight), OPACITY_DECIMALS),
        "layer": "below",
        "name": f"h{head} q{query} k{key}",
    }


def column(n, x, axis, role):  # int, 0 | 1, "y" | "y2", str -> a scatter trace of one side's token ends
    """One side's token ends; `meta.side` tells the chart which end of a line ("q" or "k") they are.
    They carry positions, not words (the axis beside them names each): new words of the same number
    then change only the axes' ticks and the shapes, which the chart redraws in place."""
    return {
        "type": "scatter",
        "x": [x] * n,
        "y": list(range(n)),
        "yaxis": axis,
        "mode": "markers",
        "marker": {"size": 9, "color": "#868e96"},
        "customdata": list(range(n)),
        "hovertemplate": f"{role} #%{{customdata}}: its lines only<extra></extra>",
        "showlegend": False,
        "meta": {"side": role[0]},
    }


def legend_entries(names):  # -> list of trace dicts, a head's colour each
    blank = {"type": "scatter", "x": [None], "y": [None], "mode": "lines", "showlegend": True}
    return [
        blank | {"line": {"width": 4, "color": COLOURS[h]}, "name": escape(n), "legend": "legend2"}
        for h, n in enumerate(names)
    ]


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
    shapes = [line(h, q, k, v) for h, q, k, v in pairs(w, threshold)]
    n = len(tokens)
    traces = [column(n, 0, "y", "query"), column(n, 1, "y2", "key"), *legend_entries(names)]
    legend = {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "font": FONT | {"size": 11}}
    extra = {
        "xaxis": {"range": [-0.03, 1.03], "visible": False, "fixedrange": True},
        "yaxis": axes(tokens, "left"),
        "yaxis2": axes(tokens, "right") | {"overlaying": "y"},
        "legend2": legend | {"itemclick": False, "itemdoubleclick": False},
        "shapes": shapes,
        "margin": {"l": 10, "r": 10, "t": 80, "b": 10},
        "hovermode": "closest",
        "dragmode": False,
    }
    return figure(traces, layout(title, 120 + ROW * len(tokens)) | extra)
