"""Figures of several matrices at once: matrices side by side, every head as small multiples, the
heads' outputs concatenated (with a line between heads), and the before/after difference maps.

Like every figure here they are drawn on category axes with thinned labels (charts.figures), sized
for the page's main column (PAGE px at a 1440 px window) unless told otherwise.
"""

import math

import numpy as np

from charts.figures import (
    BAR_ROOM,
    COLOURBAR,
    LINE,
    NARROW,
    SIGNED,
    UPRIGHT,
    WEIGHTS,
    axis,
    categories,
    figure,
    fitted,
    heatmap,
    hover,
    layout,
    margin,
    rulers,
    subplot,
    symmetric_range,
)

PAGE = 960  # px, the page's main column at a 1440 px window, a little less
BAR = 70  # px a shared colour bar takes at the right
HEAD_LINE = {"color": "#212529", "width": 1.5}  # the line between two heads' columns
OUTLINE = {"color": "#212529", "width": 2.5}  # a changed word's row and column
HEAD_TITLE = 11  # px: "head 3" is 35 px wide, a phone's small map about 55
# The diverging scale with an exact white at 0, so a difference of exactly 0 is drawn white.
RDBU = ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#ffffff"]  # ColorBrewer RdBu, white centre
RDBU += ["#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f"]
DIFFERENCE = [[k / 10, c] for k, c in enumerate(RDBU)]


def heatmap_row(mats, rows, cols, title, titles, names=("token", "dimension"), value="value"):
    """Several matrices side by side in one figure, on one signed colour range, labels fitted in the browser.

    One figure instead of several: the browser lays out and draws each figure on its own, so
    fewer figures make every rerun faster. mats: [rows, cols] each; titles: one per matrix.
    """
    n, gap = len(mats), 0.03
    zrange = symmetric_range(*mats)
    height, room = min(580, 200 + 18 * max(len(rows), 8)), margin(rows, cols) | {"t": 76, "r": BAR_ROOM}
    traces, axes, notes, ruled = [], {}, [], []
    for k, (m, name) in enumerate(zip(mats, titles, strict=True), start=1):
        x, y, xname, yname = subplot(k)
        lo, hi = (k - 1) / n + gap / 2, k / n - gap / 2
        traces.append(
            {
                "type": "heatmap",
                "z": np.asarray(m, dtype=np.float32),
                "x": categories(cols),
                "y": categories(rows),
                "xaxis": x,
                "yaxis": y,
                "coloraxis": "coloraxis",
                "hoverongaps": False,
                "hovertemplate": f"{name}<br>" + hover(names, value),
            }
        )
        middle = k == (n + 1) // 2  # one title under the row: side by side, narrow maps' titles overprint
        axes[xname] = axis(cols, names[1] if middle else "", math.inf, LINE) | {
            "domain": [lo, hi], "anchor": y, "tickangle": UPRIGHT
        }  # fmt: skip
        shared = {"anchor": x, "autorange": "reversed", "showticklabels": k == 1}  # one set of rows
        axes[yname] = axis(rows, names[0] if k == 1 else "", math.inf, LINE) | shared
        notes.append(_note(name, (lo + hi) / 2, 1))
        ruled += rulers(**{x: cols, y: rows})
    colours = {"colorscale": SIGNED, "cmin": -zrange, "cmax": zrange, "colorbar": dict(COLOURBAR)}
    extra = {"coloraxis": colours, "annotations": notes, "margin": room}
    return fitted(figure(traces, layout(title, height) | axes | extra), ruled)


def _note(text, x, y, size=13):  # -> a subplot title as an annotation centred at paper (x, y), size px
    return {"text": text, "x": x, "y": y, "xref": "paper", "yref": "paper", "yanchor": "bottom",
            "showarrow": False, "font": {"size": size}}  # fmt: skip


def head_grid(weights, tokens, columns=4, width=PAGE):  # [n_heads, seq, seq], list[str] -> figure dict
    """Every head's weights as small multiples on one 0..1 colour range.

    Row labels on the first column, column labels under each map with no map below it (titled once, at
    the bottom left: on a phone, four titles "key (1 in 2 labelled)" run into each other), all sent and
    fitted in the browser to the size each small map is drawn at (a phone's is a third of a laptop's;
    `width` sizes the figure's height only). Each map's title is small enough for four maps side by side
    on a phone. Laid out as `plotly.subplots.make_subplots` would (the same domains), as a plain dict.
    """
    n = len(weights)
    rows, cols = -(-n // columns), min(n, columns)
    room = margin(tokens, tokens) | {"t": 50}
    gap_x, gap_y = 0.03, 40  # a fraction of the width; px between rows (room for "head h")
    side = min(260, (width - room["l"] - room["r"] - BAR) * (1 - gap_x * (cols - 1)) / cols)
    plots = rows * (side + 24) + (rows - 1) * gap_y
    gap_h = gap_y / plots if rows > 1 else 0.0  # the same gap as a fraction of the height
    wide, tall = (1 - gap_x * (cols - 1)) / cols, (1 - gap_h * (rows - 1)) / rows
    cats = categories(tokens)
    x_axis, y_axis = axis(tokens, "key", math.inf, LINE), axis(tokens, "query", math.inf, LINE)
    traces, axes, notes = [], {}, []
    for h in range(n):
        r, c = h // columns, h % columns
        x, y, xname, yname = subplot(h + 1)
        x0, y0 = c * (wide + gap_x), (rows - 1 - r) * (tall + gap_h)  # from the left, from the bottom
        traces.append(
            {
                "type": "heatmap",
                "z": np.asarray(weights[h], dtype=np.float32),
                "x": cats,
                "y": cats,
                "xaxis": x,
                "yaxis": y,
                "coloraxis": "coloraxis",
                "hovertemplate": f"head {h}<br>" + hover(("query", "key"), "weight"),
                "hoverongaps": False,
            }
        )
        bottom = h + columns >= n  # no map below: label the keys
        axes[xname] = x_axis | {
            "tickangle": UPRIGHT,
            "showticklabels": bottom,
            "domain": [x0, min(1, x0 + wide)],
        }
        titled = bottom and c == 0  # one "key", at the bottom left
        axes[xname] |= {"anchor": y} | ({} if titled else {"title": None})
        axes[yname] = y_axis | {"autorange": "reversed", "showticklabels": c == 0}
        axes[yname] |= {"anchor": x, "domain": [y0, min(1, y0 + tall)]} | ({"title": None} if c else {})
        notes.append(_note(f"head {h}", x0 + wide / 2, min(1, y0 + tall), HEAD_TITLE))
    colours = {"colorscale": WEIGHTS, "cmin": 0, "cmax": 1, "colorbar": dict(COLOURBAR)}
    height = round(plots + room["t"] + room["b"])
    extra = {"coloraxis": colours, "annotations": notes, "margin": room}
    return fitted(figure(traces, layout("Each head's weights", height) | axes | extra))


def head_ticks(n_heads, d_v, span, pitch=LINE):  # int, int, px -> (positions, labels "h1 d0", ..)
    """Tick positions over n_heads blocks of d_v columns: every head's first column, and more of each
    head's columns where they fit `pitch` px apart in `span` px (never closer across a boundary)."""
    every = max(1, math.ceil(pitch * n_heads * d_v / max(span, 1) - 1e-9), math.ceil(n_heads * d_v / 40))
    if every >= d_v:
        positions = [h * d_v for h in range(0, n_heads, math.ceil(every / d_v))]
    else:
        positions = [h * d_v + j for h in range(n_heads) for j in range(0, d_v - every + 1, every)]
    return positions, [f"h{p // d_v} d{p % d_v}" for p in positions]


def head_labels(n_heads, d_v):  # -> ["h0 d0", "h0 d1", ..], one per column of the concatenation
    return [f"h{h} d{j}" for h in range(n_heads) for j in range(d_v)]


def by_head(fig, n_heads, d_v, along, span):  # figure dict, .., "x" or "y", px -> figure dict
    """Mark the heads' blocks along one axis: a line between two heads, ticks named "h1 d0"."""
    positions, text = head_ticks(n_heads, d_v, span)
    cats = categories(head_labels(n_heads, d_v))
    title = "dimension (head h, its dimension d)"
    layout = fig["layout"]
    ticks = {"tickvals": [cats[p] for p in positions], "ticktext": text, "title": {"text": title}}
    layout[f"{along}axis"] = layout[f"{along}axis"] | ticks
    other = "y" if along == "x" else "x"
    for h in range(1, n_heads):
        at = h * d_v - 0.5
        ends = {f"{along}0": at, f"{along}1": at, f"{other}ref": "paper", f"{other}0": 0, f"{other}1": 1}
        layout.setdefault("shapes", []).append({"type": "line", "line": HEAD_LINE, "layer": "above"} | ends)
    return fig


def concat_map(concat, tokens, n_heads, title, width=NARROW):  # [seq, n_heads·d_v] -> figure dict
    """The heads' outputs side by side, a line between heads, ticks named by head and dimension."""
    d_v = concat.shape[1] // n_heads
    cols = head_labels(n_heads, d_v)
    fig = heatmap(concat, tokens, cols, title, names=("token", "dimension"), value="output", width=width)
    room = margin(tokens, cols)  # `width` leaves out the colour bar's room
    return by_head(fig, n_heads, d_v, "x", width - room["l"] - room["r"])


def w_o_map(w_o, n_heads, outputs, title):  # [n_heads·d_v, d_model], labels [d_model] -> figure dict
    """W_O with a line between the rows that read each head's output."""
    d_v = w_o.shape[0] // n_heads
    names = ("input dimension", "output dimension")
    fig = heatmap(w_o, head_labels(n_heads, d_v), outputs, title, names=names, value="weight")
    room = fig["layout"]["margin"]
    return by_head(fig, n_heads, d_v, "y", fig["layout"]["height"] - room["t"] - room["b"])


def outline(fig, positions, n):  # figure dict, grid positions, int -> figure dict
    """Outline the whole row and the whole column of each position of an n × n map."""
    shapes = fig["layout"].setdefault("shapes", [])
    for k in positions:
        rect = {"type": "rect", "line": OUTLINE, "layer": "above"}
        shapes.append(rect | {"x0": -0.5, "x1": n - 0.5, "y0": k - 0.5, "y1": k + 0.5})
        shapes.append(rect | {"x0": k - 0.5, "x1": k + 0.5, "y0": -0.5, "y1": n - 0.5})
    return fig


def difference_maps(maps, labels, titles, outlined=()):  # {name: [m, m]}, labels, {name: title} -> figures
    """after − before for each map, white at exactly 0, the changed words' rows and columns outlined."""
    figs = {}
    for name, d in maps.items():
        fig = heatmap(d, labels, labels, titles[name], value="difference")
        fig["data"][0]["colorscale"] = DIFFERENCE
        figs[name] = outline(fig, outlined, len(labels))
    return figs
