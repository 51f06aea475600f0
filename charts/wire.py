"""Plotly figures as one compact bytes payload for a chart component, and back.

A page draws several large heatmaps; sending each as Plotly JSON costs a base64 copy of every matrix
and a remount in the browser. Here the figures travel as one payload:

    [uint32 little-endian: n] [n bytes: UTF-8 JSON header, space-padded to 4 bytes] [body]

The header is {"version", "group", "labels", "figures"}. "group" names the payloads whose maps the
browser links on hover. "labels" maps a short digest (of the list's JSON) to a list of strings: category
labels shared by every trace and figure of the payload that uses them, sent once. Each figure is
{"hash", "offset", "size", "spec": {"data", "layout"}, "config"}: in the spec every array is
{"$array": dtype, "shape": [...], "offset": k} with k counted from the figure's own "offset" in the
body, a long list of strings is {"$labels": digest}, and a long list drawn from few strings (an
overlay's x/y) is {"$labels": digest, "index": <int32 array>}. Arrays are float32 (NaN kept, so
masked cells stay blank), uint8 (masks, booleans) or int32, each starting on a 4-byte boundary so the
browser can view them in place; a short 1-D float64 array (a bar chart's heights) keeps float64, so
the few numbers it holds reach the hover with every digit. A figure's "hash" covers its spec,
config, labels and bytes and nothing of the other figures, so the browser redraws only the figures
whose hash changed.
"""

import base64
import hashlib
import json
import math
import struct
from numbers import Real

import numpy as np

VERSION = 1
MIN_LIST = 16  # number lists shorter than this stay plain JSON: a reference would not be smaller
MIN_LABELS = 64  # characters: string lists shorter than this stay plain JSON, longer ones are shared
TYPED = {"float32": np.float32, "float64": np.float64, "uint8": np.uint8, "int32": np.int32}
EXACT_LIMIT = 4096  # a 1-D float64 array this short (bar heights, a row) keeps every digit
PLOTLY_DTYPES = {"f4": "float32", "f8": "float64", "i1": "int8", "u1": "uint8", "i2": "int16"}
PLOTLY_DTYPES |= {"u2": "uint16", "i4": "int32", "u4": "uint32", "u1c": "uint8"}


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
    """One figure's arrays collected into a body, and the labels it refers to."""

    def __init__(self, labels):
        self.labels, self.chunks, self.size = labels, [], 0

    def array(self, a):  # np.ndarray -> reference
        if a.dtype.kind in "OUS":
            return self.value(a.tolist())
        exact = a.dtype == np.float64 and a.ndim == 1 and a.size <= EXACT_LIMIT
        a = a if exact else wire_array(a)
        ref = {"$array": a.dtype.name, "shape": list(a.shape), "offset": self.size}
        data = a.tobytes()
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
            return self.array(typed) if typed is not None else {k: self.value(x) for k, x in v.items()}
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


def figure_parts(fig):  # go.Figure | dict -> (list of trace dicts, layout dict, list of frame dicts)
    """The figure's own data, layout and animation frames, numpy arrays untouched (no base64 round trip)."""
    if isinstance(fig, dict):
        return fig.get("data", []), fig.get("layout", {}), fig.get("frames", [])
    frames = [f.to_plotly_json() for f in fig.frames]
    return fig._data, fig._layout, frames  # a go.Figure's validated properties, arrays still numpy


def encode(fig, config, labels):  # -> (figure header entry without offset, body bytes)
    packer = Packer(labels)
    data, layout, frames = figure_parts(fig)
    spec = {"data": [packer.value(t) for t in data], "layout": packer.value(layout)}
    if frames:  # an animation: Plotly plays them in the browser, no rerun per frame
        spec["frames"] = [packer.value(f) for f in frames]
    text = json.dumps({"spec": spec, "config": config}, ensure_ascii=False, allow_nan=False)
    body = b"".join(packer.chunks)
    h = digest(text.encode() + body)  # label lists enter through their digests in the text
    return {"hash": h, "size": len(body), "spec": spec, "config": config}, body


def pack(figures, configs=None, names=None, group=None):  # list of go.Figure | dict -> bytes
    """The figures as one payload; configs: Plotly config dicts, names: one name per figure (or None).

    group: a name shared by payloads whose maps the browser links (hover outlines), or None.
    """
    configs = configs or [{} for _ in figures]
    labels, entries, bodies, offset = {}, [], [], 0
    for k, (fig, config) in enumerate(zip(figures, configs, strict=True)):
        entry, body = encode(fig, config, labels)
        entries.append(entry | {"offset": offset, "name": None if names is None else names[k]})
        bodies.append(body)
        offset += len(body)
    head = {"version": VERSION, "group": group, "labels": labels, "figures": entries}
    header = json.dumps(head, ensure_ascii=False)
    head = header.encode()
    head += b" " * (-len(head) % 4)
    return struct.pack("<I", len(head)) + head + b"".join(bodies)


def header(payload):  # bytes -> dict, the payload's JSON header
    (n,) = struct.unpack_from("<I", payload)
    return json.loads(bytes(payload[4 : 4 + n]))


def unpack(payload):  # bytes -> list of {"data", "layout"} with numpy arrays and plain label lists
    """The figures a payload carries, as figure dicts: what the browser receives, for tests and checks."""
    head = header(payload)
    body = memoryview(payload)[4 + struct.unpack_from("<I", payload)[0] :]

    def restore(v, base):
        if isinstance(v, list):
            return [restore(x, base) for x in v]
        if not isinstance(v, dict):
            return v
        if "$array" in v:
            count = math.prod(v["shape"])
            start = base + v["offset"]
            flat = np.frombuffer(body, dtype=TYPED[v["$array"]], count=count, offset=start)
            return flat.reshape(v["shape"]).copy()
        if "$labels" in v:
            items = head["labels"][v["$labels"]]
            return list(items) if "index" not in v else [items[i] for i in restore(v["index"], base)]
        return {k: restore(x, base) for k, x in v.items()}

    return [restore(f["spec"], f["offset"]) for f in head["figures"]]
