"""d_k in motion: two weight maps (with and without ÷√d_k) whose frames step d_k through 1 … 512.

The frames travel with the figure and Plotly plays them in the browser (its own slider and play
button), so stepping d_k costs no round trip to the server.
"""

import numpy as np

from charts.figures import WEIGHTS, axis, categories, layout, margin, subplot

TITLES = ("with ÷√d_k", "without scaling")


def _heat(z, cats, k):  # [seq, seq], labels, subplot number -> a heatmap trace dict
    return {
        "type": "heatmap",
        "z": np.asarray(z, dtype=np.float32),
        "x": cats,
        "y": cats,
        "xaxis": subplot(k)[0],
        "yaxis": subplot(k)[1],
        "coloraxis": "coloraxis",
        "hoverongaps": False,
        "hovertemplate": f"{TITLES[k - 1]}<br>query %{{y}}<br>key %{{x}}<br>weight %{{z:.4f}}<extra></extra>",
    }


def _controls(d_ks):  # -> (updatemenus, sliders): a play button and a d_k slider over the frames
    step = {"mode": "immediate", "frame": {"duration": 700, "redraw": True}, "transition": {"duration": 0}}
    play = {"label": "▶ play", "method": "animate", "args": [None, step | {"fromcurrent": True}]}
    pause = {"label": "❚❚", "method": "animate", "args": [[None], step | {"frame": {"duration": 0}}]}
    menu = {
        "type": "buttons",
        "buttons": [play, pause],
        "x": 0,
        "y": 0.06,
        "xanchor": "left",
        "yanchor": "bottom",
        "direction": "left",
    }
    slider = {
        "active": 0,
        "x": 0.12,
        "len": 0.88,
        "y": 0,
        "yanchor": "bottom",
        "currentvalue": {"prefix": "d_k = "},
        "steps": [{"label": str(d), "method": "animate", "args": [[str(d)], step]} for d in d_ks],
    }
    return [menu], [slider]


def dk_animation(frames, blank):  # DkFrames, ([seq, seq], mask) -> NaN-blanked -> figure dict with frames
    """Both maps at the first d_k, and one frame per d_k; `blank(z, mask)` hides masked cells."""
    tokens = list(frames.tokens)
    cats = categories(tokens)
    pairs = [
        (blank(s, frames.mask), blank(u, frames.mask))
        for s, u in zip(frames.scaled, frames.unscaled, strict=True)
    ]
    axes = {}
    for k in (1, 2):
        lo, hi = (k - 1) / 2 + 0.02, k / 2 - 0.02
        x, y, xname, yname = subplot(k)
        axes[xname] = axis(tokens, "key") | {"domain": [lo, hi], "anchor": y, "tickangle": -45}
        axes[yname] = axis(tokens, "query" if k == 1 else "") | {
            "anchor": x, "autorange": "reversed", "showticklabels": k == 1, "domain": [0.36, 1]
        }  # fmt: skip
    notes = [
        {"text": t, "x": k / 2 - 0.25, "y": 1, "xref": "paper", "yref": "paper", "yanchor": "bottom",
         "showarrow": False, "font": {"size": 13}}
        for k, t in enumerate(TITLES, start=1)
    ]  # fmt: skip
    menus, sliders = _controls(frames.d_ks)
    look = layout("The weights as d_k grows (press play)", min(760, 360 + 18 * max(len(tokens), 8)))
    extra = {
        "coloraxis": {"colorscale": WEIGHTS, "cmin": 0, "cmax": 1, "colorbar": {"title": {"text": "weight"}}},
        "annotations": notes,
        "updatemenus": menus,
        "sliders": sliders,
        "margin": margin(tokens, tokens) | {"t": 76, "b": 20},
    }
    return {
        "data": [_heat(pairs[0][0], cats, 1), _heat(pairs[0][1], cats, 2)],
        "layout": look | axes | extra,
        "frames": [
            {
                "name": str(d),
                "data": [{"z": np.asarray(s, np.float32)}, {"z": np.asarray(u, np.float32)}],
                "traces": [0, 1],
            }
            for d, (s, u) in zip(frames.d_ks, pairs, strict=True)
        ],  # fmt: skip
    }
