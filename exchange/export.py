"""Every matrix of one state, out of the page: CSV (one file or a zip), .npz or JSON.

A standalone script that recomputes them is made by `exchange.script`.

CSV and JSON spell every number in about 20 characters, so they are some 2.5 times the size of the
arrays (180 MB at 512 tokens and 8 heads, against a 67 MB .npz): `text_bytes` estimates them before
anything is built, for a page to offer only the .npz past a size.

CSV cells are written for spreadsheets: a label that starts with =, +, -, @, a tab or a carriage
return is prefixed with a single quote ('), so a token such as "=HYPERLINK(..)" stays text instead of
becoming a formula. Numbers are written in full precision (repr), so they read back exactly.
"""

import csv
import io
import json
import zipfile
from dataclasses import asdict
from functools import partial

import numpy as np

PER_HEAD = ("q", "k", "v", "scores", "scaled", "weights", "heads")  # one [seq, ..] matrix per head each
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets may read as a formula
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # a fixed timestamp: the same state gives the same bytes
CHARS_PER_NUMBER = 21  # a float's repr (about 19 characters) and its separator, as measured at 512 tokens


def matrices(trace):  # Trace -> dict[str, array]
    """Every matrix of the state by a stable name, in pipeline order: per-head ones as "head0/scores"."""
    out = {"x": trace.x, "w_q": trace.w_q, "w_k": trace.w_k, "w_v": trace.w_v}
    if trace.w_o is not None:
        out["w_o"] = trace.w_o
    if trace.mask is not None:
        out["mask"] = trace.mask
    for h in range(trace.attention.q.shape[0]):
        for part in PER_HEAD:
            out[f"head{h}/{part}"] = getattr(trace.attention, part)[h]
    out["concat"], out["output"] = trace.attention.concat, trace.attention.output
    return out


def text_bytes(trace):  # Trace -> int, about the size of the CSV (unzipped) or JSON of a state
    """The bytes the text formats spell the state's numbers in, estimated from how many there are."""
    return CHARS_PER_NUMBER * sum(np.size(a) for a in matrices(trace).values())


def _dims(n):  # int -> tuple[str]
    return tuple(f"dim {i}" for i in range(n))


def _head_dims(n_heads, width):  # int, int -> tuple[str], the n_heads·d axis of concat and the weights
    d = width // n_heads
    return tuple(f"head {i // d} dim {i % d}" for i in range(width))


def labels(trace):  # Trace -> dict[str, (row labels, column labels)]
    """The row and column labels of each matrix of `matrices`: tokens on seq axes, "dim i" on the rest."""
    tokens, n_heads = tuple(trace.tokens), trace.settings.n_heads
    heads_axis = _head_dims(n_heads, trace.w_q.shape[1])
    values_axis = _head_dims(n_heads, trace.w_v.shape[1])
    out = {}
    for name, array in matrices(trace).items():
        part = name.split("/")[-1]
        if name in ("w_q", "w_k", "w_v"):
            out[name] = (_dims(array.shape[0]), heads_axis if name != "w_v" else values_axis)
        elif name == "w_o":
            out[name] = (values_axis, _dims(array.shape[1]))
        elif name == "concat":
            out[name] = (tokens, values_axis)
        elif part in ("scores", "scaled", "weights", "mask"):
            out[name] = (tokens, tokens)
        else:  # x, q, k, v, heads, output: one row per token
            out[name] = (tokens, _dims(array.shape[1]))
    return out


def safe_label(text):  # str -> str
    """A label a spreadsheet shows as text: a leading formula character gets a ' in front."""
    text = str(text).encode("utf-8", "backslashreplace").decode("utf-8")  # a lone surrogate as \udXXX
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def to_csv(name, array, row_labels, col_labels):  # str, [rows, cols], labels -> str
    """One matrix as CSV: the name in the corner, column labels on top, one labelled row per line."""
    array = np.asarray(array)
    if array.ndim != 2 or array.shape != (len(row_labels), len(col_labels)):
        raise ValueError(f"{name}: {array.shape} does not fit {len(row_labels)}×{len(col_labels)} labels")
    if array.dtype == np.bool_:
        array = array.astype(int)  # 1 = may attend, 0 = masked
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([safe_label(name)] + [safe_label(c) for c in col_labels])
    for label, row in zip(row_labels, array.tolist(), strict=True):
        writer.writerow([safe_label(label)] + [repr(v) for v in row])
    return buffer.getvalue()


def to_zip_of_csvs(trace):  # Trace -> bytes
    """A zip with one CSV per matrix (per-head ones in a folder per head) and settings.json."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        meta = {"settings": asdict(trace.settings), "tokens": list(trace.tokens)}
        z.writestr(zipfile.ZipInfo("settings.json", ZIP_DATE), json.dumps(meta, indent=2))
        arrays = matrices(trace)
        for name, (rows, cols) in labels(trace).items():
            z.writestr(zipfile.ZipInfo(f"{name}.csv", ZIP_DATE), to_csv(name, arrays[name], rows, cols))
    return buffer.getvalue()


def to_npz(trace):  # Trace -> bytes
    """Every matrix in one compressed .npz, plus `tokens` (str array) and `settings` (a JSON string)."""
    buffer = io.BytesIO()
    tokens, settings = np.array(trace.tokens, dtype=str), np.array(json.dumps(asdict(trace.settings)))
    np.savez_compressed(buffer, **matrices(trace), tokens=tokens, settings=settings)
    return buffer.getvalue()


def _plain(array):  # array -> nested lists, non-finite numbers as None
    array = np.asarray(array)
    if array.dtype == np.bool_ or np.isfinite(array).all():
        return array.tolist()
    return np.where(np.isfinite(array), array, None).tolist()


def to_json(trace):  # Trace -> bytes, UTF-8
    """Settings, tokens and every matrix as nested lists. Strict JSON: no NaN or Infinity anywhere.

    Written one matrix at a time into one buffer, so only one matrix's nested lists are held at once
    and the text is never copied whole: the bytes are exactly `json.dumps` of the whole document.
    """
    dumps = partial(json.dumps, allow_nan=False)
    head = {
        "settings": asdict(trace.settings),
        "tokens": list(trace.tokens),
        "labels": {name: {"rows": r, "cols": c} for name, (r, c) in labels(trace).items()},
    }
    buffer = io.BytesIO()
    buffer.write(dumps(head)[:-1].encode() + b', "matrices": {')
    for i, (name, array) in enumerate(matrices(trace).items()):
        buffer.write(((", " if i else "") + dumps(name) + ": " + dumps(_plain(array))).encode())
    buffer.write(b"}}")
    return buffer.getvalue()
