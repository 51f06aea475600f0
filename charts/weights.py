"""The weights map of the first screen: numbers in the cells, a colour range per row, what moved, [PAD].

Typical rows of attention peak at 0.1-0.5, so on a fixed 0..1 scale most of the map is dark. By
default each row is coloured from 0 to its own largest weight (the colour then says "how much of
this row's attention", the number in the cell says the weight itself); 0..1 stays one click away.
Up to NUMBERS_LIMIT tokens every cell prints its weight where it fits. Each row's largest weight is
outlined (all of a tie), cells that moved since the last change are marked with a dashed outline
(above SHAPES_LIMIT tokens both are filled in a layer over the weights), and [PAD] rows and columns
are greyed.
"""

import math

import numpy as np

from charts.figures import WEIGHTS, axis, categories, figure, fitted, layout, margin

NUMBERS_LIMIT = 32  # tokens; up to this many, every cell's weight is sent (printed where it fits: `fitted`)
SHAPES_LIMIT = 40  # tokens; up to this many, outlines are drawn as shapes that grow with the cell
RANGES = ("row", "0-1")  # colour from 0 to each row's largest weight, or from 0 to 1
TOP, MOVED, PAD_GREY = "#ff6b00", "#d6336c", "rgba(134, 142, 150, 0.55)"
FOCUS = "#1c7ed6"  # the outline of a row to look at


def row_scaled(weights):  # [rows, cols] -> [rows, cols], each row divided by its largest weight (NaN kept)
    top = np.nanmax(np.where(np.isnan(weights), -np.inf, weights), axis=1, keepdims=True)
    return np.where(top > 0, weights / np.where(top > 0, top, 1), 0.0 * weights)


def row_tops(weights):  # [rows, cols] -> [(row, col)] of each row's largest weight, every one of a tie
    """A repeated word gets the same weight as its twin, so a row's maximum is often shared: all of
    its holders are outlined (to 1e-12 of the maximum, float noise), none in a row of zeros."""
    w = np.nan_to_num(np.asarray(weights, dtype=np.float64))
    top = w.max(axis=1, keepdims=True)
    tied = (w >= top - 1e-12 * top) & (top > 0)
    return [(int(i), int(j)) for i, j in zip(*np.nonzero(tied), strict=True)]


def cells_path(cells, inset=0.0):  # [(row, col)] -> an SVG path of the cells' outlines, in cell positions
    lo, hi = -0.5 + inset, 0.5 - inset
    return "".join(f"M{j + lo:g},{i + lo:g}H{j + hi:g}V{i + hi:g}H{j + lo:g}Z" for i, j in cells)


def _outlines(cells, colour, dash="solid", width=2.5, inset=0.0):  # -> [] or [a path shape around them all]
    """The cells' outlines as one shape: Plotly draws and moves each shape on its own (two nodes each),
    so up to SHAPES_LIMIT² outlines would cost as many shapes."""
    if not cells:
        return []
    line = {"color": colour, "width": width, "dash": dash}
    return [{"type": "path", "path": cells_path(cells, inset), "line": line, "layer": "above"}]


def _band(first, last, along):  # -> a grey band over rows (along="y") or columns (along="x")
    other = "x" if along == "y" else "y"
    band = {f"{along}0": first - 0.5, f"{along}1": last + 0.5, f"{other}ref": "paper", f"{other}0": 0}
    return band | {
        f"{other}1": 1,
        "type": "rect",
        "fillcolor": PAD_GREY,
        "line": {"width": 0},
        "layer": "above",
    }


def _marks(cats, tops, moved, is_pad, focus=()):  # labels, cells, cells, bool [seq], shapes -> shapes, traces
    """Outlines of the row maxima and the moved cells, and the [PAD] bands; `focus` (a row's outline)
    comes before the outlines, so that moved cells marked after a change are a shape added at the end
    (the browser moves the others in place).

    On a category axis a number is a category's position, so the outlines sit on cells by index: the
    row maxima's one path shape, the moved cells' another (`_outlines`). Above
    SHAPES_LIMIT tokens, where a cell is a few pixels, the marks are one more heatmap over the weights
    instead (`marks_layer`): its cells are repainted in place with the weights', where shapes or
    markers that moved would make the browser replot the map.
    """
    n, shapes = len(cats), []
    if is_pad is not None and np.any(is_pad):
        first = int(np.argmax(is_pad))  # padding is always at the end
        shapes += [_band(first, n - 1, "y"), _band(first, n - 1, "x")]
    shapes += list(focus)
    moved_cells = [] if moved is None else list(zip(*np.nonzero(moved), strict=True))
    if n <= SHAPES_LIMIT:
        shapes += _outlines(tops, TOP)
        shapes += _outlines([(int(i), int(j)) for i, j in moved_cells], MOVED, "dot", 1.5, 0.12)
        return shapes, []
    return shapes, [marks_layer(cats, tops, moved_cells)]


MARK_TOP, MARK_MOVED = 0.0, 1.0  # the marks layer's values: largest in its row, moved


def marks_layer(cats, tops, moved_cells):  # labels, cells, cells -> a heatmap trace dict
    """The row maxima (orange) and the moved cells (pink) as cells of a heatmap drawn over the weights,
    every other cell blank (NaN); a row maximum that also moved shows as a maximum. Not hovered: the
    weights' own hover and clicks answer through it."""
    n = len(cats)
    z = np.full((n, n), np.nan, dtype=np.float32)
    for i, j in moved_cells:
        z[i, j] = MARK_MOVED
    for i, j in tops:
        z[i, j] = MARK_TOP
    return {
        "type": "heatmap",
        "z": z,
        "x": cats,
        "y": cats,
        "zmin": MARK_TOP,
        "zmax": MARK_MOVED,
        "colorscale": [[0, TOP], [1, MOVED]],
        "showscale": False,
        "opacity": 0.85,
        "hoverinfo": "skip",
        "hoverongaps": False,
        "name": "largest in its row (orange), moved (pink)",
        "meta": {"z": "cells"},  # it travels as its few marked cells (charts.wire)
    }


def weights_map(weights, tokens, title, colour="row", moved=None, is_pad=None, focus_row=None):
    """The weights [seq, seq] (NaN = masked, drawn blank) as the first screen draws them.

    colour: "row" or "0-1"; moved: bool [seq, seq] of cells to mark; is_pad: bool [seq];
    focus_row: a query row to outline as a whole, or None. Every label and (up to NUMBERS_LIMIT
    tokens) every number is sent, and the browser keeps those that fit the map as drawn (`fitted`).
    """
    w = np.asarray(weights, dtype=np.float32)
    n = len(tokens)
    if w.shape != (n, n):
        raise ValueError(f"{title!r}: weights of shape {w.shape} do not fit {n} tokens")
    z = row_scaled(w) if colour == "row" else w
    numbers = {"texttemplate": "%{text:.2f}", "textfont": {"size": 11}} if n <= NUMBERS_LIMIT else {}
    heat = {
        "type": "heatmap",
        "z": z,
        "text": w,  # the weight itself, for the numbers and the hover
        "meta": {"z": "row_scaled(text)" if colour == "row" else "text"},  # z travels as this (charts.wire)
        "x": categories(tokens),
        "y": categories(tokens),
        "colorscale": WEIGHTS,
        "zmin": 0.0,
        "zmax": 1.0,
        "hovertemplate": "query %{y}<br>key %{x}<br>weight %{text:.6g}<extra></extra>",
        "hoverongaps": False,
        "colorbar": {"thickness": 12, "len": 0.9, "outlinewidth": 0, "title": _bar_title(colour)},
    } | numbers
    focus = [_focus(focus_row, n)] if focus_row is not None and 0 <= focus_row < n else []
    shapes, layers = _marks(categories(tokens), row_tops(w), moved, is_pad, focus)
    axes = {
        "xaxis": axis(tokens, "key", math.inf) | {"side": "bottom", "tickangle": -45},
        "yaxis": axis(tokens, "query", math.inf) | {"autorange": "reversed"},
    }
    height = min(720, 160 + 22 * max(n, 8))
    extra = {"margin": margin(tokens, tokens), "shapes": shapes, "showlegend": False}
    return fitted(figure([heat, *layers], layout(title, height) | axes | extra))


def _focus(row, n):  # -> a rectangle around the whole of query row `row`
    line = {"color": FOCUS, "width": 3.5}
    return {"type": "rect", "x0": -0.5, "x1": n - 0.5, "y0": row - 0.5, "y1": row + 0.5, "line": line}


def _bar_title(colour):  # -> the colour bar's title, above it so the map keeps its width
    return {"text": "÷ row max" if colour == "row" else "weight", "side": "top", "font": {"size": 11}}
