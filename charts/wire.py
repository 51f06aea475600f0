"""One Plotly figure as a compact bytes payload for a chart component, and back.

A page draws several large heatmaps; sending each as Plotly JSON costs a base64 copy of every matrix
and a remount in the browser. Here a figure travels as one payload:

    [uint32 little-endian: n] [n bytes: the UTF-8 JSON header, zlib-compressed] [0-3 zero bytes] [body]

The header is compressed because it is most of a small map's bytes (axes, colour scale, hover text:
about 2 kB for 7 tokens, 15 kB for a line view of 4 heads) and repeats itself; the browser inflates
it with `DecompressionStream("deflate")`. The body starts at the next 4-byte boundary after it. A body
of 4 kB to 300 kB travels compressed in four byte planes when that is smaller (charts/planes.py); the
header then says {"body": "planes", "size": its bytes}.

The header is {"version", "name", "group", "hash", "frame", "form", "labels", "spec", "config"}, with
"body" and "size" for a compressed body. "name" is the figure's name on the page, "group" names the
payloads whose maps the browser links on hover. "labels" maps a short digest (of the list's JSON) to a
list of strings: category labels shared by every trace that uses them, sent once. In the spec
({"data", "layout"}, and "frames" for an animation) every array is {"$array": dtype, "shape": [...],
"offset": k}, k counted in bytes from the start of the body (as packed, before compression), a long
list of strings is {"$labels": digest}, and a long list drawn from few strings (an overlay's x/y) is
{"$labels": digest, "index": <int32 array>}. Arrays are float32 (NaN kept, so masked cells stay
blank), uint8 (masks, booleans) or int32, each starting on a 4-byte boundary so the browser can view
them in place; a short 1-D float64 array (a bar chart's heights) keeps float64, so the few numbers it
holds reach the hover with every digit. "hash" covers the spec, config, labels, bytes and shared bases
(not the name or group), so the browser redraws the figure only when what it shows changed. "frame"
covers the same but the cells (each heatmap's "z" and "text" arrays), the heatmaps' category names,
the axes' ticks, the title and the shapes, their sizes kept: when only those changed, the browser
repaints the cells and renames the labels in place instead of replotting the figure. "form" leaves
out the sizes and the axes' ranges too: a figure of the same form with more or fewer columns (a new
d_k) is drawn anew on the same plot, its axes' new ticks added to those drawn.

The styling every map shares (fonts, colour scales, axis kinds: `BASES`, the file
static/chart_bases.json the browser reads too) is sent by name: a dict that holds every item of a
base travels as {"$base": name, ...its other items}, and is made whole again where it is read.

A heatmap whose "z" can be made where it is drawn says how in its `meta.z` (`DERIVED`): from its
"text" ({"$derive": "text" | "row_scaled(text)"}: the weights of the first screen travel once), or
from its few cells that are not blank ({"$derive": "cells", "shape", "at": int32 flat positions,
"value": uint8}: a layer of marks over a 512 × 512 map is a few kB, not a megabyte of NaN).
"""

import base64
import copy
import hashlib
import json
import math
import re
import struct
import zlib
from numbers import Real
from pathlib import Path

import numpy as np

from charts import planes
from charts.weights import row_scaled

VERSION = 4  # one figure per payload, its header compressed, its body too when that pays
MIN_LIST = 16  # number lists shorter than this stay plain JSON: a reference would not be smaller
MIN_LABELS = 64  # characters: string lists shorter than this stay plain JSON, longer ones are shared
TYPED = {"float32": np.float32, "float64": np.float64, "uint8": np.uint8, "int32": np.int32}
EXACT_LIMIT = 4096  # a 1-D float64 array this short (bar heights, a row) keeps every digit
PLOTLY_DTYPES = {"f4": "float32", "f8": "float64", "i1": "int8", "u1": "uint8", "i2": "int16"}
PLOTLY_DTYPES |= {"u2": "uint16", "i4": "int32", "u4": "uint32", "u1c": "uint8"}
# The styling many maps share, served beside the chart script, which reads it too.
BASES_FILE = Path(__file__).resolve().parent.parent / "static" / "chart_bases.json"
BASES_TEXT = BASES_FILE.read_bytes()
BASES = json.loads(BASES_TEXT)  # name -> the items of a dict that many maps share


def equal(a, b):  # two JSON-like values -> bool, equal as JSON: a bool is no number, an array no list
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(map(equal, a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    containers = (np.ndarray, dict, list, tuple)
    return not isinstance(a, containers) and not isinstance(b, containers) and a == b


def base_of(d):  # dict -> the name of the largest base whose every item d holds, or None
    keys = d.keys()  # most dicts lack some key of every base: then no value is compared
    held = [n for n, b in BASES.items() if b.keys() <= keys and all(equal(d[k], v) for k, v in b.items())]
    return max(held, key=lambda name: len(BASES[name]), default=None)


def item(packed, key):  # a packed dict, key -> its item, its base's if it has none of its own, or None
    return packed.get(key, BASES.get(packed.get("$base"), {}).get(key))


def from_cells(z):  # {"shape", "at", "value"} -> [rows, cols] float32, NaN where no cell was sent
    out = np.full(math.prod(z["shape"]), np.nan, dtype=np.float32)
    out[np.asarray(z["at"], dtype=np.int64)] = z["value"]
    return out.reshape(z["shape"])


DERIVED = {  # a heatmap's meta.z -> its z (float32) made from the trace as restored, here and in the browser
    "text": lambda trace: trace["text"],
    "row_scaled(text)": lambda trace: row_scaled(trace["text"]),  # each row divided by its largest weight
    "cells": lambda trace: from_cells(trace["z"]),  # small integer codes; every other cell blank
}
FROM_TEXT = ("text", "row_scaled(text)")


def digest(data):  # bytes -> str, 16 hex digits
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def wire_array(a):  # np.ndarray -> np.ndarray in float32, uint8 or int32
    """The array in the type it travels as: floats as float32, booleans and uint8 as uint8, ints as int32."""
    if a.dtype == np.bool_ or a.dtype == np.uint8:
        return np.ascontiguousarray(a, dtype=np.uint8)
    if np.issubdtype(a.dtype, np.integer):
        if a.size and (a.min() < np.iinfo(np.int32).min or a.max() > np.iinfo(np.int32).max):
            raise ValueError(f"integers outside int32 cannot be sent: {a.min()}..{a.max()}")
        return np.ascontiguousarray(a, dtype=np.int32)
    if np.issubdtype(a.dtype, np.floating):
        return np.ascontiguousarray(a, dtype=np.float32)
    raise TypeError(f"an array of {a.dtype} cannot be sent as numbers")


def plotly_typed(value):  # dict -> np.ndarray | None, a Plotly {"dtype", "bdata", "shape"} array
    if set(value) - {"shape"} != {"dtype", "bdata"} or not isinstance(value["bdata"], str):
        return None
    a = np.frombuffer(base64.b64decode(value["bdata"]), dtype=PLOTLY_DTYPES[value["dtype"]])
    shape = value.get("shape")
    return a if shape is None else a.reshape([int(s) for s in str(shape).split(",")])


class Packer:
    """A figure's arrays collected into a body, and the label lists it refers to."""

    def __init__(self, labels):
        self.labels, self.chunks, self.offsets, self.size = labels, [], [], 0

    def array(self, a):  # np.ndarray -> reference
        if a.dtype.kind in "OUS":
            return self.value(a.tolist())
        exact = a.dtype == np.float64 and a.ndim == 1 and a.size <= EXACT_LIMIT
        a = a if exact else wire_array(a)
        ref = {"$array": a.dtype.name, "shape": list(a.shape), "offset": self.size}
        data = a.tobytes()
        self.offsets.append(self.size)
        self.chunks.append(data + b"\0" * (-len(data) % 4))
        self.size += len(data) + (-len(data) % 4)
        return ref

    def strings(self, items):  # list[str] -> reference to a shared label list
        unique = list(dict.fromkeys(items))
        if 2 * len(unique) > len(items):
            return {"$labels": self.label_list(items)}
        position = {s: k for k, s in enumerate(unique)}
        index = np.fromiter((position[s] for s in items), dtype=np.int32, count=len(items))
        return {"$labels": self.label_list(unique), "index": self.array(index)}

    def label_list(self, items):  # list[str] -> digest
        key = digest(json.dumps(items, ensure_ascii=False).encode())
        self.labels.setdefault(key, list(items))
        return key

    def value(self, v):
        """The JSON form of any part of a figure, arrays and long label lists replaced by references."""
        if isinstance(v, np.ndarray):
            return self.array(v)
        if isinstance(v, dict):
            typed = plotly_typed(v) if "bdata" in v else None
            if typed is not None:
                return self.array(typed)
            name = base_of(v)
            rest = {k: self.value(x) for k, x in v.items() if name is None or k not in BASES[name]}
            return rest if name is None else {"$base": name} | rest
        if isinstance(v, (list, tuple)):
            if all(isinstance(x, str) for x in v) and sum(len(x) + 3 for x in v) >= MIN_LABELS:
                return self.strings(list(v))
            if len(v) >= MIN_LIST and all(isinstance(x, Real) and not isinstance(x, bool) for x in v):
                return self.array(np.asarray(v))
            return [self.value(x) for x in v]
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            return None  # JSON has no NaN; Plotly reads null as "not set"
        return v


def plotly_properties(fig):  # go.Figure -> (list of trace dicts, layout dict)
    """A go.Figure's validated trace and layout properties, numpy arrays untouched. Written for plotly.py 7.1.

    Reads the private `BaseFigure._data` and `BaseFigure._layout`, the dicts plotly.py keeps its
    validated properties in. The public `to_dict()` and `to_plotly_json()` deep-copy them (and
    `to_dict()` base64-encodes every array): 208 ms for one 512-token map with a clickable overlay,
    more than packing it.
    """
    return fig._data, fig._layout


def figure_parts(fig):  # go.Figure | dict -> (list of trace dicts, layout dict, list of frame dicts)
    """The figure's own data, layout and animation frames, numpy arrays untouched (no base64 round trip)."""
    if isinstance(fig, dict):
        return fig.get("data", []), fig.get("layout", {}), fig.get("frames", [])
    data, layout = plotly_properties(fig)
    return data, layout, [f.to_plotly_json() for f in fig.frames]


HOT = ("z", "text")  # a heatmap's arrays the browser can repaint without replotting
NAMES = ("x", "y")  # a heatmap's category names, renamed in place when only their text changed
REPAINTED = ("title", "shapes")  # layout parts the browser can change without replotting
TICKS = ("tickvals", "ticktext")  # an axis's ticks, which follow the category names
AXIS = re.compile(r"[xy]axis\d*")
RANGES = {"heatmap": ("zmin", "zmax"), "coloraxis": ("cmin", "cmax")}  # colour ranges, changed in place
COLOUR_AXIS = re.compile(r"coloraxis\d*")


def ranged(d, kind):  # a trace or colour axis dict -> it with its colour range's values left out
    """Whether it has a range stays in the frame (a range Plotly chooses replots); its values do not."""
    return d | {k: "range" for k in RANGES[kind] if k in d}


def frame_digest(spec, config, packer, sized=True):  # -> str, the digest of what cannot change in place
    """What a figure is drawn on: two figures of one frame differ only in their heatmaps' cells (`HOT`)
    and category names (`NAMES`), the axes' ticks, the colour ranges (`RANGES`) and what `REPAINTED`
    names. Sizes stay in the frame (a hot array's shape, the number of names and ticks): a new size
    replots, unless the figures share a form (sized=False: the sizes, the axes' ranges and titles left
    out too), which the browser draws anew on the same plot (more or fewer columns after a d_k step)."""
    hot, data = set(), []
    for trace in spec["data"]:
        if item(trace, "type") == "heatmap":
            trace = ranged(trace, "heatmap") | {k: hot_form(trace[k], hot, sized) for k in HOT if k in trace}
            trace |= {k: {"names": count(trace[k], packer) if sized else "any"} for k in NAMES if k in trace}
        data.append(trace)
    layout = {k: v for k, v in spec["layout"].items() if k not in REPAINTED}
    for name in filter(AXIS.fullmatch, layout):
        ticks = {k: count(layout[name][k], packer) if sized else "any" for k in TICKS if k in layout[name]}
        sizes = {} if sized else {"range": "any", "title": "any"}  # "(1 in k labelled)" follows the size
        layout[name] = layout[name] | ticks | sizes
    shared = elsewhere(spec["data"])
    for name in filter(COLOUR_AXIS.fullmatch, layout):  # a range only heatmaps use: they are repainted
        if name not in shared:
            layout[name] = ranged(layout[name], "coloraxis")
    cold = b"".join(c for at, c in zip(packer.offsets, packer.chunks, strict=True) if at not in hot)
    rest = {k: v for k, v in spec.items() if k not in ("data", "layout")}
    text = json.dumps({"data": data, "layout": layout, "rest": rest, "config": config}, ensure_ascii=False)
    return digest(text.encode() + cold)


def elsewhere(data):  # trace dicts -> the colour axes a trace other than a heatmap uses
    other = (t for t in data if item(t, "type") != "heatmap")
    return {a for t in other for a in (item(t, "coloraxis"), (item(t, "marker") or {}).get("coloraxis")) if a}


def hot_form(v, hot, sized=True):  # a packed z or text -> its form in the frame; its arrays' offsets to hot
    """An array by its type and shape; a map made of cells by its shape alone (how many cells it sends
    changes with the cells). sized=False: the shapes left out."""
    if isinstance(v, dict) and "offset" in v:
        hot.add(v["offset"])
        return {"$array": v["$array"], "shape": v["shape"] if sized else "any"}
    if isinstance(v, dict) and v.get("$derive") == "cells":
        hot.update((v["at"]["offset"], v["value"]["offset"]))
        return {"$derive": "cells", "shape": v["shape"] if sized else "any"}
    return v


def count(v, packer):  # a packed list (plain, or a shared label list) -> its length, or v itself
    if isinstance(v, dict) and "$labels" in v and "index" not in v:
        return len(packer.labels[v["$labels"]])
    return len(v) if isinstance(v, list) else v


def derived(trace):  # a trace dict -> the name of how its z is made where it is drawn, or None
    meta = trace.get("meta") if isinstance(trace, dict) else None
    rule = meta.get("z") if isinstance(meta, dict) else None
    if rule not in DERIVED or trace.get("type") != "heatmap" or (rule in FROM_TEXT and "text" not in trace):
        return None
    return rule


def cells(packer, z):  # [rows, cols] of small integers and NaN -> {"$derive": "cells", ...}
    z = np.asarray(z, dtype=np.float32)
    at = np.flatnonzero(~np.isnan(z))
    value = z.ravel()[at]
    if value.size and (value.min() < 0 or value.max() > 255 or np.any(value != np.round(value))):
        raise ValueError("a layer of cells holds codes 0-255")
    shape = list(z.shape)
    return {
        "$derive": "cells",
        "shape": shape,
        "at": packer.array(at.astype(np.int32)),
        "value": packer.array(value.astype(np.uint8)),
    }


def trace_value(packer, trace):  # -> the trace's JSON form; a derived z is named, not sent
    rule = derived(trace)
    if rule is None:
        return packer.value(trace)
    z = cells(packer, trace["z"]) if rule == "cells" else {"$derive": rule}
    return packer.value({k: v for k, v in trace.items() if k != "z"}) | {"z": z}


def pack(figure, config=None, name=None, group=None):  # go.Figure | dict -> bytes
    """The figure as one payload; config: its Plotly config dict; name: its name on the page (or None).

    group: a name shared by payloads whose maps the browser links (hover outlines), or None.
    """
    labels = {}
    packer = Packer(labels)
    data, layout, frames = figure_parts(figure)
    spec = {"data": [trace_value(packer, t) for t in data], "layout": packer.value(layout)}
    if frames:  # an animation: Plotly plays them in the browser, no rerun per frame
        spec["frames"] = [packer.value(f) for f in frames]
    config = config or {}
    arrays = b"".join(packer.chunks)
    cells = digest(arrays)  # the numbers', also the key of their compressed body (charts/planes.py)
    text = json.dumps({"spec": spec, "config": config}, ensure_ascii=False, allow_nan=False)
    h = digest((text + cells).encode() + BASES_TEXT)  # labels enter by their digests, bases by their text
    frame, form = frame_digest(spec, config, packer), frame_digest(spec, config, packer, sized=False)
    head = {"version": VERSION, "name": name, "group": group, "hash": h, "frame": frame, "form": form}
    head["labels"] = labels
    sent = planes.compress(arrays, cells)
    if sent is not None:
        head |= {"body": "planes", "size": len(arrays)}
    raw = json.dumps(head | {"spec": spec, "config": config}, ensure_ascii=False, allow_nan=False).encode()
    raw = zlib.compress(raw, 6)
    return struct.pack("<I", len(raw)) + raw + b"\0" * (-len(raw) % 4) + (arrays if sent is None else sent)


def body(payload):  # bytes -> bytes, the payload's body as packed (restored if it travels compressed)
    head, sent = header(payload), payload[body_start(payload) :]
    return planes.restore(sent, head["size"]) if head.get("body") == "planes" else bytes(sent)


def body_start(payload):  # bytes -> int, where the body starts: after the header, on a 4-byte boundary
    (n,) = struct.unpack_from("<I", payload)
    return 4 + n + (-n % 4)


def header(payload):  # bytes -> dict, the payload's JSON header
    (n,) = struct.unpack_from("<I", payload)
    return json.loads(zlib.decompress(bytes(payload[4 : 4 + n])))


def unpack(payload):  # bytes -> {"data", "layout"} with numpy arrays and plain label lists
    """The figure a payload carries, as a figure dict: what the browser receives, for tests and checks."""
    head, data = header(payload), body(payload)

    def restore(v):
        if isinstance(v, list):
            return [restore(x) for x in v]
        if not isinstance(v, dict):
            return v
        if "$array" in v:
            count = math.prod(v["shape"])
            flat = np.frombuffer(data, dtype=TYPED[v["$array"]], count=count, offset=v["offset"])
            return flat.reshape(v["shape"]).copy()
        if "$labels" in v:
            items = head["labels"][v["$labels"]]
            return list(items) if "index" not in v else [items[i] for i in restore(v["index"])]
        out = {k: restore(x) for k, x in v.items() if k != "$base"}
        out = copy.deepcopy(BASES[v["$base"]]) | out if "$base" in v else out
        rule = out.get("z", {}).get("$derive") if isinstance(out.get("z"), dict) else None
        return out | {"z": DERIVED[rule](out).astype(np.float32)} if rule else out

    return restore(head["spec"])
