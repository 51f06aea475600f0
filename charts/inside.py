"""The "Beyond the weights" tab's figures, as plain figure dicts: arrays and labels in, pictures out.

Contributions beside weights, the shares of one row, the special tokens' shares in every head, the
sink rates per layer and one sink's vectors, softmax + 1 with its column for "no key", the KV
cache, the online softmax's running statistics, and the spread of MiniLM's scores per head.
"""

import numpy as np

from charts.figures import (
    SIGNED,
    WEIGHTS,
    blank,
    categories,
    dims,
    escape,
    figure,
    fitted,
    heatmap,
    layout,
    round_up,
    symmetric_range,
)
from charts.weights import NUMBERS_LIMIT

WEIGHT_BLUE, CONTRIBUTION_ORANGE, SINK_RED = "#3b5bdb", "#f08c00", "#e03131"
NOTHING = "∅ no key"  # the column of softmax + 1's extra zero logit
HEAD_MAP = 260  # px, the height of a layers × heads map (6 rows)


def numbers(fig, values, fmt=".2f", limit=NUMBERS_LIMIT):  # figure dict, [rows, cols] -> the figure
    """Print each cell's value (where it fits: the browser fits them) when the map is small enough."""
    trace = fig["data"][0]
    if max(np.shape(values)) <= limit:
        trace |= {"text": np.asarray(values, dtype=np.float32), "texttemplate": f"%{{text:{fmt}}}"}
        trace["textfont"] = {"size": 11}
    return fitted(fig)


def sequential(fig, top):  # figure dict, float -> the figure coloured 0..top on the weights' scale
    fig["data"][0] |= {"colorscale": WEIGHTS, "zmin": 0.0, "zmax": float(top)}
    return fig


def weights_and_norms(weights, norms, tokens, name, mask=None):  # [q, k] × 2, labels, str -> two figures
    """The weights α_ij beside the lengths ‖α_ij · v_j W_O^h‖ of what each key adds; masked cells blank."""
    weights, norms = blank(weights, mask), blank(norms, mask)
    w = heatmap(weights, tokens, tokens, f"Weights α, {name}", kind="weights", value="weight", fit=True)
    title = f"Contributions ‖α·v·W_O‖, {name}"
    n = heatmap(norms, tokens, tokens, title, value="‖α v W_O‖", fit=True)
    finite = np.asarray(norms)[np.isfinite(norms)]
    return {
        "bw_weights": numbers(w, weights),
        "bw_norms": numbers(sequential(n, round_up(finite.max(initial=0))), norms),
    }


def bar(values, labels, name, colour, fmt=".3f"):  # [n], labels, str, str -> bar trace dict
    return {
        "type": "bar",
        "name": name,
        "x": labels,
        "y": np.asarray(values, dtype=np.float64),
        "marker": {"color": colour},
        "hovertemplate": f"%{{x}}<br>{name} %{{y:{fmt}}}<extra></extra>",
    }


def bars_layout(title, height, y_title, x_ticks=None):  # -> layout dict for bars over labelled positions
    axes = {"xaxis": {"type": "category", "automargin": True, "tickangle": -45, "fixedrange": True}}
    if x_ticks is not None:
        axes["xaxis"] |= {"tickmode": "array", "tickvals": x_ticks[0], "ticktext": x_ticks[1]}
    axes["yaxis"] = {"title": {"text": y_title}, "fixedrange": True, "rangemode": "tozero"}
    legend = {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"}
    return (
        layout(title, height)
        | axes
        | {"barmode": "group", "legend": legend, "margin": {"l": 60, "r": 10, "t": 80, "b": 10}}
    )


def token_ticks(tokens):  # labels -> (tickvals, ticktext): every position, its bare escaped token
    return categories(tokens), [escape(t) for t in tokens]


def share_bars(weight, contribution, tokens, title):  # [k], [k], labels, str -> figure dict
    """One row's (or the keys' mean) share of the weight beside its share of the contribution."""
    cats = categories(tokens)
    data = [
        bar(weight, cats, "share of weight", WEIGHT_BLUE),
        bar(contribution, cats, "share of contribution", CONTRIBUTION_ORANGE),
    ]
    return figure(data, bars_layout(title, 320, "share", token_ticks(tokens)))


def head_labels(n_layers, n_heads):  # -> (row labels, column labels) of a layers × heads map
    return [f"L{layer}" for layer in range(n_layers)], [f"H{h}" for h in range(n_heads)]


def head_map(z, title, value, text=None, fmt=".2f", kind="weights", zrange=None):  # [L, H] -> figure dict
    """One number per head, a row per layer; the numbers printed in the cells (text, else z)."""
    rows, cols = head_labels(*np.shape(z))
    fig = heatmap(
        z, rows, cols, title, kind=kind, zrange=zrange, names=("layer", "head"), value=value, fit=True
    )
    fig["layout"]["height"] = HEAD_MAP
    return numbers(fig, z if text is None else text, fmt)


def sink_rates(rates, eps):  # dict group -> [n_layers], float -> figure dict
    """Sink^ε per layer for each group of keys: the share of the layer's heads that sink on it."""
    colours = ("#1971c2", "#e8590c", "#2f9e44")
    n = len(next(iter(rates.values())))
    layers = [f"layer {i}" for i in range(n)]
    data = [
        bar(r, layers, escape(name), c, ".2f") for (name, r), c in zip(rates.items(), colours, strict=False)
    ]
    fig = figure(data, bars_layout(f"Sink rate per layer, ε = {eps:.2f}", 300, "share of heads"))
    fig["layout"]["yaxis"]["range"] = [0, 1.05]
    return fig


def sink_vectors(key_norms, value_norms, cosines, tokens, token):  # [seq] × 3, labels, int -> dict of 2 figs
    """Every key's and value's length (the sink's outlined in red), and each query's cosine to its key."""
    cats, line = categories(tokens), [SINK_RED if p == token else "rgba(0,0,0,0)" for p in range(len(tokens))]
    norms = [
        bar(key_norms, cats, "‖k_j‖", WEIGHT_BLUE, ".3g"),
        bar(value_norms, cats, "‖v_j‖", CONTRIBUTION_ORANGE, ".3g"),
    ]
    for trace in norms:
        trace["marker"]["line"] = {"color": line, "width": 3}
    sink = escape(tokens[token])
    cos = bar(cosines, cats, f"cos(q_i, k of {sink})", "#5f3dc4", ".3f")
    figs = {
        "bw_sink_norms": figure(
            norms, bars_layout(f"Key and value lengths; {sink} outlined", 320, "length", token_ticks(tokens))
        ),
        "bw_sink_cosines": figure(
            [cos],
            bars_layout(f"How each query points at the key of {sink}", 320, "cosine", token_ticks(tokens)),
        ),
    }
    figs["bw_sink_cosines"]["layout"]["yaxis"] |= {"range": [-1, 1], "rangemode": "normal"}
    return figs


def null_map(weights, tokens, title):  # [q, k + 1], labels, str -> figure dict
    """The weights with a last column for the mass that went to no key (softmax + 1's extra logit)."""
    fig = heatmap(weights, tokens, [*tokens, NOTHING], title, kind="weights", value="weight", fit=True)
    return numbers(fig, weights)


def signed_map(z, rows, cols, title, names, value, zrange=None):  # -> a signed map with its numbers
    fig = heatmap(z, rows, cols, title, zrange=zrange, names=names, value=value, fit=True)
    return numbers(fig, z)


def outline(fig, rows, row_span=None, col_span=None):  # figure dict, row labels, (first, last) -> figure
    """An orange box around rows first..last (all columns), or around columns first..last (all rows)."""
    cols = fig["data"][0]["x"]
    (r0, r1), (c0, c1) = row_span or (0, len(rows) - 1), col_span or (0, len(cols) - 1)
    box = {"type": "rect", "xref": "x", "yref": "y", "line": {"color": "#ff6b00", "width": 2.5}}
    fig["layout"]["shapes"] = [box | {"x0": c0 - 0.5, "x1": c1 + 0.5, "y0": r0 - 0.5, "y1": r1 + 0.5}]
    return fig


def cache_maps(k_cache, v_cache, tokens, first):  # [t, d_k], [t, d_v], labels, int -> dict of 2 figures
    """The K and V caches after a step: a row per token so far, the rows this step added outlined."""
    zrange, rows, n = symmetric_range(k_cache, v_cache), tokens[: len(k_cache)], len(k_cache)
    names = ("token", "dimension")
    maps = {}
    for name, cache in (("K", k_cache), ("V", v_cache)):
        m = signed_map(
            cache, rows, dims(cache.shape[1]), f"{name} cache: {n} rows", names, name.lower(), zrange
        )
        maps[f"bw_{name.lower()}_cache"] = outline(m, rows, (first, n - 1))
    return maps


def decode_maps(rows, recompute, tokens, first, last):  # [r, t + 1], [seq, seq], labels, int, int -> 2 figs
    """The step's query rows against the cache beside the full causal recompute (NaN: blank), those
    rows outlined in it."""
    queries, keys, kind = tokens[first : last + 1], tokens[: last + 1], {"kind": "weights", "value": "weight"}
    # the recompute beside it carries the colour bar
    step = heatmap(rows, queries, keys, "This step: new rows against the cache", fit=True, bar=False, **kind)
    step["layout"]["height"] = min(step["layout"]["height"], 200 + 30 * len(queries))
    full = heatmap(recompute, tokens, tokens, "Full causal recompute", fit=True, **kind)
    return {
        "bw_step_rows": numbers(step, rows),
        "bw_recompute": outline(numbers(full, recompute), tokens, (first, last)),
    }


def finite(x):  # array -> float64 array, ±inf as NaN (drawn blank)
    x = np.asarray(x, dtype=np.float64)
    return np.where(np.isfinite(x), x, np.nan)


def running_maps(running_max, running_sum, rescale, tokens, shown):  # [n_blocks, seq_q] × 3, labels, int
    """m, l and the rescale exp(m_old − m_new) after each block: a row per query, a column per block,
    block `shown`'s column (1-based) outlined. -> dict of 3 figures"""
    blocks = [f"block {b + 1}" for b in range(len(running_max))]
    m, total, c = (finite(x).T for x in (running_max, running_sum, rescale))
    names = {"names": ("query", "after block"), "fit": True}
    l_map = heatmap(total, tokens, blocks, "Running sum l", value="l", **names)
    c_map = heatmap(c, tokens, blocks, "Rescale exp(m_old − m_new)", kind="weights", value="rescale", **names)
    figs = {
        "bw_max": numbers(heatmap(m, tokens, blocks, "Running max m", value="m", **names), m),
        "bw_sum": numbers(sequential(l_map, round_up(np.nanmax(total, initial=0))), total),
        "bw_rescale": numbers(c_map, c),
    }
    return {name: outline(f, tokens, col_span=(shown - 1, shown - 1)) for name, f in figs.items()}


def partial_maps(partial, dense, tokens, block, n_blocks):  # [seq_q, d_v] × 2, labels, int, int -> 2 figs
    """The partial output o / l after a block beside the dense output, on one colour range."""
    zrange, names, cols = symmetric_range(partial, dense), ("query", "dimension"), dims(dense.shape[1])
    title = f"Partial output after block {block} of {n_blocks}"
    return {
        "bw_partial": signed_map(partial, tokens, cols, title, names, "output", zrange),
        "bw_dense": signed_map(dense, tokens, cols, "Dense output weights·V", names, "output", zrange),
    }


def spread_maps(spread):  # attention.spread.HeadSpread of [n_layers, n_heads] -> dict of 4 figures
    """σ_q and σ_k per head, and σ(q·k) and σ of the scaled scores coloured by log₂(σ(q·k) / √d_k)."""
    top = round_up(max(float(np.max(spread.q)), float(np.max(spread.k))))
    zrange, departure = symmetric_range(spread.departure), spread.departure
    sq = sequential(head_map(spread.q, "σ of the q entries (textbook 1)", "σ_q", kind="signed"), top)
    sk = sequential(head_map(spread.k, "σ of the k entries (textbook 1)", "σ_k", kind="signed"), top)
    title = f"σ(q·k), textbook √{spread.d_k} ≈ {spread.textbook:.2f}"
    scores = head_map(departure, title, "log₂(σ/√d_k)", spread.scores, ".1f", "signed", zrange)
    scaled_title = "σ of the scaled scores, textbook 1"
    scaled = head_map(departure, scaled_title, "log₂ σ", spread.scaled, ".2f", "signed", zrange)
    for fig in (scores, scaled):
        fig["data"][0]["colorbar"]["title"] = {"text": "log₂ of σ / textbook", "side": "right"}
        fig["data"][0]["colorscale"] = SIGNED
    return {"bw_sigma_q": sq, "bw_sigma_k": sk, "bw_sigma_scores": scores, "bw_sigma_scaled": scaled}
