"""Plotly figures for the page: pure functions from arrays and labels to figures.

The maps every rerun draws (`heatmap`, and `weights_map`, `heatmap_row`, `line_view` beside it) are
built as the plain dicts Plotly reads (`figure`): constructing and validating `plotly.graph_objects`
costs 2-20 ms a figure, half of a rerun's script. The tests validate every such dict against
Plotly's schema (`go.Figure(d)` must accept it). The bars, and the scaling lab's sweep and products
(charts/lab.py), are plain dicts too; only the pretrained model's figures (charts/model.py), built once
per sentence, keep `go.Figure`.

They never compute model quantities and never call Streamlit. Shared styling lives here, once:
a diverging scale centred on 0 for signed matrices (scores, Q, K, V, X, weights of projections),
a sequential 0..1 scale for attention weights, both colour-blind safe and set explicitly so that
light and dark themes draw the same colours.

Tokens are labels that need care. Each axis position gets a unique category ("#3 the"), so a
repeated word keeps its own row (Plotly merges repeated category names), the hover names the exact
token at any size, and the tick text shows the bare token. Every label is HTML-escaped: Plotly
renders tags such as <b> and <a href> in labels.

Labels are thinned to every k-th token so that no two overlap: the figures do not know the pixel
width they will get, so k is chosen for the width a map is assumed to be drawn at (NARROW for
`heatmap`, the page's narrowest map; WIDE for a bare `axis`), and never more than LABEL_LIMIT
labels, because hundreds of tick labels take the browser tens of seconds to paint. A 12 px label's
box is 14 px tall: labels read across the axis (the rows, and `heatmap`'s upright column labels)
need LINE px each; labels slanted at 45° need SLANT px along the axis to keep their boxes apart.
Colour bars read in plain decimals (0.5, 2000, 1e-16), never with SI prefixes such as "5f" or "1µ".
"""

import functools
import html
import math
import re
import unicodedata

import numpy as np
import plotly.colors as pc

# ColorBrewer RdBu, blue < 0 < red with a near-white 0, colour-blind safe. Spelled out: plotly.py reads
# "RdBu_r" as this list, but plotly.js, which receives the plain dicts, knows no "_r" names and would
# draw its own default scale (a grey centre) instead.
SIGNED = [[k / 10, c] for k, c in enumerate(pc.diverging.RdBu_r)]
WEIGHTS = "Viridis"  # perceptually uniform, colour-blind safe, dark = 0 and yellow = 1
MASK = [[0, "#f1f3f5"], [1, "#364fc7"]]  # masked = pale, may attend = dark blue
LABEL_LIMIT = 40  # at most this many tick labels per axis
LONG_LABEL = 18  # characters; longer tick labels get Plotly's (slower) automatic margins
LINE = 14.5  # px along the axis per label read across it: a 14 px box and half a pixel between
SLANT = 19.5  # px along the axis per label slanted at 45°: the boxes sit 13.8 px apart (14 px tall)
NARROW = 250  # px, the page's narrowest map without its colour bar (the first screen's scores)
WIDE = 320  # px, a map in a third of the page without its colour bar: what `axis` assumes untold
CHAR = 7  # px, a generous width of one character of a 12 px label
UPRIGHT = -89.9  # column labels read upwards; at exactly -90 Plotly sets the axis title over long labels
TICKFORMAT = "~g"  # colour bar ticks: 0.5, 12, 2000, 1e-16; never "5f", "1µ" or "2e+3"
# A colour bar starts at the plot's right edge (x = 1, not Plotly's 1.02 of the plot's width) in a right
# margin of BAR_ROOM px: plotly.js pushes the margin to 44 px (2 × xpad, the bar, the labels' gap) + its
# labels' width (measured in Chromium), so labels up to 36 px ("−0.15", "−2000": 34 px) leave the plot's
# size as it is and a new colour range is drawn in place; wider ones ("−1.5e-17") still push it, and
# the map is replotted.
COLOURBAR = {"thickness": 12, "len": 0.9, "outlinewidth": 0, "tickformat": TICKFORMAT, "x": 1}
BAR_ROOM = 80  # px, as static/live_chart.js COLOURBAR_ROOM
FONT = {"family": "Inter, Segoe UI, sans-serif", "size": 12, "color": "#343a40"}


INVISIBLE = ("Cf", "Cc", "Zl", "Zp")  # Unicode categories that change how the rest reads, unseen


def visible(text):  # str -> str, every invisible format or control character as ⟨U+XXXX⟩
    """The text with bidi overrides, zero-width and control characters named, so no token can pose as
    another ("abc⟨U+202E⟩fed"); a zero-width joiner inside an emoji sequence (👩‍💻) is kept."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(
        f"⟨U+{ord(c):04X}⟩" if unicodedata.category(c) in INVISIBLE and not _joins_emoji(text, i) else c
        for i, c in enumerate(text)
    )


def _joins_emoji(text, i):  # str, int -> bool, text[i] is a zero-width joiner between two symbols
    before, after = text[i - 1 : i], text[i + 1 : i + 2]
    if text[i] != "\u200d" or not before or not after:
        return False
    symbol = ("So", "Sk", "Mn")  # a pictograph, a skin tone, a variation selector (U+FE0F)
    return unicodedata.category(before) in symbol and unicodedata.category(after) == "So"


def _escape(token):
    return html.escape(visible(token), quote=False)


SHORT = 64  # characters: a token this short is escaped once per process, a longer one each time
# A 512-token page escapes each token for every map that names it. A bound on the entries' length
# bounds the cache: 4096 entries of at most 64 characters and their escaped form, at most about 6 MB.
_escape_short = functools.lru_cache(maxsize=4096)(_escape)


def escape(token):  # str -> str
    """A token as Plotly must receive it to show it literally, its invisible characters named."""
    return _escape_short(token) if len(token) <= SHORT else _escape(token)


def categories(tokens):  # list[str] -> list[str]
    """One unique, escaped category per position: "#0 The", "#1 weather", ..."""
    return [f"#{i} {escape(t)}" for i, t in enumerate(tokens)]


def label_step(n, span, pitch):  # int, px, px -> int, label every k-th of n positions along span px
    """The smallest k that leaves `pitch` px per label and at most LABEL_LIMIT labels."""
    if span <= 0:
        return max(n, 1)
    return max(1, math.ceil(n / LABEL_LIMIT), math.ceil(pitch * n / span - 1e-9))


class Ruler(list):
    """Numbered labels of feature columns (d0, d1, ..), labelled as a ruler is: every 2^j-th, so that a
    longer ruler (a d_k step) keeps every label drawn before, or every 2nd, 4th, .. one, and in the
    browser at one font size at any length (`fitted`), so that the map can be redrawn in place."""


def ruler_step(step):  # int -> the power of two at or above it
    return 1 << (step - 1).bit_length()


def label_width(tokens):  # list[str] -> int, characters of the longest tick label
    return max((len(t) for t in tokens), default=1)


def left(rows):  # labels -> px of left margin: room for the row labels and the axis title
    return 44 + CHAR * min(label_width(rows), LONG_LABEL)


def default_span(tokens):  # labels -> px, the axis length assumed when the caller does not say
    return WIDE - left(tokens) - 10


def shown_ticks(tokens, span=None, pitch=SLANT):  # list[str], px -> range of positions with a label
    """Every k-th position, k chosen so labels `pitch` px apart fit `span` px (default: see WIDE).

    Labels longer than LONG_LABEL get automatic margins, so the span cannot be known here: they are
    thinned by LABEL_LIMIT alone.
    """
    if label_width(tokens) > LONG_LABEL:
        span = math.inf
    step = label_step(len(tokens), default_span(tokens) if span is None else span, pitch)
    return range(0, len(tokens), ruler_step(step) if isinstance(tokens, Ruler) else step)


def axis(tokens, title, span=None, pitch=SLANT):  # list[str], str, px, px -> dict
    """A category axis with a tick per token, or every k-th token where they would not fit.

    span: the axis length in px as drawn (default: a map a third of the page wide); pitch: the px
    one label needs along the axis (SLANT for labels at 45°, LINE for labels read across it).
    Margins are sized from the labels (see `margin`) instead of Plotly's automargin, which lays
    every figure out twice in the browser; only labels too long for that keep automargin.
    """
    cats = categories(tokens)
    shown = shown_ticks(tokens, span, pitch)
    step = shown.step
    suffix = "" if step == 1 or not title else f" (1 in {step} labelled)"  # short: a narrow map centres it
    return {
        "type": "category",
        "title": {"text": title + suffix},
        "tickmode": "array",
        "tickvals": [cats[i] for i in shown],
        "ticktext": [escape(tokens[i]) for i in shown],
        "range": [-0.5, len(tokens) - 0.5],  # the cells only: overlay markers must not pad the axis
        "showgrid": False,
        "zeroline": False,
        "automargin": label_width(tokens) > LONG_LABEL,
    }


def subplot(k):  # int >= 1 -> (x axis id, y axis id, x axis name, y axis name) of the k-th subplot
    """As plotly.js names them: the first subplot's axes are "x"/"xaxis", not "x1"/"xaxis1" (which it
    renames on its own, so code that reads a drawn plot would find neither the one nor the other)."""
    n = "" if k == 1 else str(k)
    return f"x{n}", f"y{n}", f"xaxis{n}", f"yaxis{n}"


def margin(rows, cols):  # labels, labels -> dict of margins in pixels, room for the tick labels
    """Left room for the row labels, bottom room for the column labels (upright or slanted)."""
    return {"l": left(rows), "r": 10, "t": 50, "b": 44 + CHAR * min(label_width(cols), LONG_LABEL)}


def layout(title, height):  # str, int -> dict
    """The layout every figure shares, as one dict, so Plotly validates it once.

    Template "none": Plotly's default template adds ~3.7 kB to every figure and ~12 ms of
    validation, and everything it would set is set here.
    """
    return {
        "template": "none",
        "title": {"text": title, "x": 0, "font": {"size": 15}},
        "font": dict(FONT),
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
        "paper_bgcolor": "white",  # an exported PNG stays readable in any image viewer
        "plot_bgcolor": "white",  # masked (NaN) cells stay blank
    }


def figure(data, layout):  # list of trace dicts, layout dict -> {"data", "layout"}
    """A figure as the plain dict Plotly reads, never built or validated through plotly.graph_objects."""
    return {"data": list(data), "layout": layout}


def style(fig, title, height):  # go.Figure, str, int -> go.Figure
    """Apply the shared layout to a figure built in steps (subplots, added traces)."""
    fig.update_layout(layout(title, height))
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def symmetric_range(*mats):  # arrays -> float, the half-width of one signed colour range for all
    """The largest finite |value| across the matrices, rounded up to a round number (`round_up`), so
    they share one colour range whose bar ends on a readable number, and an edit that moves the
    largest value a little keeps the range (and every other cell's colour)."""
    tops = [np.abs(m[np.isfinite(m)]).max(initial=0.0) for m in map(np.asarray, mats)]
    return round_up(float(max(tops, default=0.0)))


STEPS = (1, 1.5, 2, 3, 4, 5, 6, 8, 10)  # round numbers: a range at most 1.5 × its largest value


def round_up(x):  # float >= 0 -> the smallest STEPS[i] · 10^k at least x (1 for 0)
    if not x > 0 or not math.isfinite(x):
        return 1.0
    k = math.floor(math.log10(x))
    return next(v for v in (float(f"{step}e{k}") for step in STEPS) if v >= x)


def colour(kind, z, zrange=None):  # str, [rows, cols] -> dict of heatmap colour settings
    """Colour settings for a matrix kind: "signed", "weights" or "mask"."""
    if kind == "weights":
        return {"colorscale": WEIGHTS, "zmin": 0.0, "zmax": 1.0}
    if kind == "mask":
        return {"colorscale": MASK, "zmin": 0, "zmax": 1, "showscale": False}
    zrange = symmetric_range(z) if zrange is None else zrange
    return {"colorscale": SIGNED, "zmin": -zrange, "zmax": zrange}


def hover(names, value, precision=".6g"):  # (row name, column name), str -> a Plotly hovertemplate
    """The hover of a matrix cell: its row, its column (both as "#position token") and its value."""
    return f"{names[0]} %{{y}}<br>{names[1]} %{{x}}<br>{value} %{{z:{precision}}}<extra></extra>"


def heatmap(
    z,
    rows,
    cols,
    title,
    kind="signed",
    zrange=None,
    names=("query", "key"),
    value="value",
    width=NARROW,
    fit=False,
    bar=True,
):
    """A matrix [rows, cols] as a heatmap; NaN cells are drawn blank.

    rows, cols: labels (tokens, or dimension names); names: the two axis titles; value: what one
    cell is called in the hover; zrange: the half-width of a signed colour range to share; width:
    the px the page gives the map without its colour bar, for thinning the column labels; fit: every
    label is sent and the browser fits them to the map as drawn (`fitted`); bar: False where another
    map's colour bar serves this one (a shared zrange).
    """
    z = np.asarray(z, dtype=np.uint8 if kind == "mask" else np.float32)  # sent as a compact typed array
    if z.shape != (len(rows), len(cols)):
        fits = f"{len(rows)} rows × {len(cols)} columns"
        raise ValueError(f"{title!r}: z of shape {z.shape} does not fit {fits}")
    trace = {
        "type": "heatmap",
        "z": z,
        "x": categories(cols),
        "y": categories(rows),
        "hovertemplate": hover(names, value, "d" if kind == "mask" else ".6g"),
        "hoverongaps": False,
        "colorbar": dict(COLOURBAR),
    } | colour(kind, z, zrange)
    if not bar:
        trace["showscale"] = False
    height, room = min(720, 160 + 22 * max(len(rows), 8)), margin(rows, cols)
    spans = (math.inf, math.inf) if fit else (width - room["l"] - room["r"], height - room["t"] - room["b"])
    axes = {
        "xaxis": axis(cols, names[1], spans[0], LINE) | {"side": "bottom", "tickangle": UPRIGHT},
        "yaxis": axis(rows, names[0], spans[1], LINE) | {"autorange": "reversed"},
    }
    if trace.get("showscale", True):
        room["r"] = BAR_ROOM  # after the spans: `width` is the map's alone
    fig = figure([trace], layout(title, height) | axes | {"margin": room})
    return fitted(fig, rulers(x=cols, y=rows)) if fit else fig


def row_window(fig, tokens, first, size):  # figure dict of a [seq, ..] map, labels, int, int -> the figure
    """The map scrolled to `size` query rows from row `first`, each labelled: every row is still sent
    (hover, clicks and the share link keep their positions), the y axis shows a window of them."""
    cats, yaxis = categories(tokens), fig["layout"]["yaxis"]
    bare = re.sub(r" \(1 in \d+ labelled\)$", "", yaxis.get("title", {}).get("text", ""))
    yaxis |= {
        "title": yaxis.get("title", {}) | {"text": bare},
        "range": [first + size - 0.5, first - 0.5],  # reversed: the first row on top
        "autorange": False,
        "tickvals": cats,
        "ticktext": [escape(t) for t in tokens],
    }
    return fig


def fitted(fig, ruled=()):  # figure dict, axis ids -> the figure, labels and numbers fitted in the browser
    """Mark a figure whose axes carry every label (up to LABEL_LIMIT): the chart component measures the
    axes as drawn and picks the largest label font (12 down to 9 px) at which no two labels touch,
    labelling every k-th only when even 9 px is too big, and prints the cells' numbers only at a size
    (11 down to 9 px) that fits inside a cell. The figure never knows its pixel width; the browser does.
    The axes `ruled` ("x", "y2", ..) carry a `Ruler`: one font size at any length, every 2^j-th label."""
    meta = fig["layout"].setdefault("meta", {})  # a figure fitted twice keeps its rulers
    meta |= {"fit": True} | ({"rulers": list(ruled)} if ruled else {})
    return fig


def rulers(**axes):  # axis id -> its labels; -> the ids of the axes whose labels are a Ruler
    return [axis for axis, labels in axes.items() if isinstance(labels, Ruler)]


def dims(n, prefix="d"):  # int -> Ruler
    """Labels for feature columns: d0, d1, ..."""
    return Ruler(f"{prefix}{i}" for i in range(n))


def bars(values, labels, title, value="value", height=260):  # [n], list[str] -> figure dict
    """A bar per label, e.g. one attention weight per word."""
    bar = {
        "type": "bar",
        "x": categories(labels),
        "y": np.asarray(values, dtype=np.float64),
        "marker": {"color": "#3b5bdb"},
        "hovertemplate": f"%{{x}}<br>{value} %{{y:.6g}}<extra></extra>",
    }
    axes = {
        "xaxis": axis(labels, "") | {"automargin": True},
        "yaxis": {"title": {"text": value}, "automargin": True},
    }
    return figure([bar], layout(title, height) | axes)


def blank(z, mask):  # [.., rows, cols], bool [.., rows, cols] | None -> [.., rows, cols]
    """The matrix with masked cells set to NaN, which the heatmaps draw blank."""
    return z if mask is None else np.where(mask, z, np.nan)
