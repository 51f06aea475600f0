"""Every matrix of one state, out of the page: CSV (one file or a zip), .npz, JSON, or a Python script.

The script is the package's own code, not a copy kept by hand: `to_script` reads the source of the
functions `run` needs (and of `matrices`), keeps only those, and adds the settings as literals. So
the script computes exactly what the page shows, and cannot drift from it.

CSV cells are written for spreadsheets: a label that starts with =, +, -, @, a tab or a carriage
return is prefixed with a single quote ('), so a token such as "=HYPERLINK(..)" stays text instead of
becoming a formula. Numbers are written in full precision (repr), so they read back exactly.
"""

import ast
import csv
import importlib.util
import inspect
import io
import json
import sys
import zipfile
from dataclasses import asdict, fields
from typing import NamedTuple

import numpy as np

from attention import pipeline

PER_HEAD = ("q", "k", "v", "scores", "scaled", "weights", "heads")  # one [seq, ..] matrix per head each
SCRIPT_NAME = "reproduce_attention.py"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets may read as a formula
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # a fixed timestamp: the same state gives the same bytes


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


def to_json(trace):  # Trace -> str
    """Settings, tokens and every matrix as nested lists. Strict JSON: no NaN or Infinity anywhere."""
    data = {
        "settings": asdict(trace.settings),
        "tokens": list(trace.tokens),
        "labels": {name: {"rows": r, "cols": c} for name, (r, c) in labels(trace).items()},
        "matrices": {name: _plain(a) for name, a in matrices(trace).items()},
    }
    return json.dumps(data, allow_nan=False)


def _package_modules(node):  # ast import -> list of attention modules it names
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif node.module == "attention":  # `from attention import core, Settings`: submodules or the package
        names = [f"attention.{a.name}" for a in node.names]
        names = [n if importlib.util.find_spec(n) else "attention" for n in names]
    else:
        names = [node.module]
    return [importlib.import_module(n) for n in names if n == "attention" or n.startswith("attention.")]


def _in_dependency_order(module, order):  # module, list -> list of modules, each after what it imports
    """The package modules `module` imports, transitively, dependencies first, then `module`."""
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for dependency in _package_modules(node):
                if dependency not in order and dependency is not module:
                    _in_dependency_order(dependency, order)
    if module not in order:
        order.append(module)
    return order


class _Part(NamedTuple):
    """One top-level statement of a package module: a definition or an import."""

    bound: set  # the names it defines
    used: set  # the names it reads
    text: str  # its source, decorators and comments included
    is_import: bool
    module: str


def _top_level(module):  # module -> list[_Part]
    """The top-level definitions and outside imports of a module, with the names each binds and uses."""
    source = inspect.getsource(module)
    lines, parts = source.splitlines(), []
    for node in ast.parse(source).body:
        is_import = isinstance(node, ast.Import | ast.ImportFrom)
        if is_import and not _package_modules(node):
            bound = {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            bound = {node.name}
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        else:
            continue  # docstrings and the package's own imports
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        text = "\n".join(lines[first - 1 : node.end_lineno])
        parts.append(_Part(bound, used, text, is_import, module.__name__))
    return parts


def _needed_source(roots):  # names -> (import lines, [_Part] of definitions)
    """The imports and definitions that `roots` need, transitively, in their original order."""
    modules = _in_dependency_order(pipeline, []) + [sys.modules[__name__]]  # this one for `matrices`
    parts = [p for m in modules for p in _top_level(m)]
    providers = {}
    for index, part in enumerate(parts):
        for name in part.bound:
            providers.setdefault(name, []).append(index)
    needed, todo = set(), list(roots)
    while todo:
        candidates = providers.get(todo.pop(), [])
        found = [i for i in candidates if not parts[i].is_import] or candidates[:1]
        if len(found) > 1:
            raise RuntimeError(f"{parts[found[0]].bound} is defined twice in the package: ambiguous")
        if found and found[0] not in needed:
            needed.add(found[0])
            todo.extend(parts[found[0]].used)
    kept = [parts[i] for i in sorted(needed)]
    return list(dict.fromkeys(p.text for p in kept if p.is_import)), [p for p in kept if not p.is_import]


_SCRIPT_DOC = '''"""Reproduces every number of the attention page for the settings in PAGE_SETTINGS.

    python {name}            print every matrix
    python {name} out.npz    save every matrix (and the tokens) with np.savez

Needs only numpy. The functions below are the page's own code, taken from its `attention` package.
Made with numpy {numpy}; its random streams are stable across versions, the last bits of sums may not be.
"""
'''

_SCRIPT_MAIN = """

def main(argv):
    trace = run(Settings(**PAGE_SETTINGS))
    arrays = matrices(trace)
    if len(argv) > 1:
        np.savez(argv[1], tokens=np.array(trace.tokens, dtype=str), **arrays)
        print(f"wrote {len(arrays)} matrices to {argv[1]}")
        return
    sys.stdout.reconfigure(errors="backslashreplace")
    np.set_printoptions(precision=4, suppress=True, linewidth=120)
    print("tokens:", trace.tokens)
    for name, array in arrays.items():
        print(f"\\n{name} {array.shape}\\n{array}")


if __name__ == "__main__":
    main(sys.argv)
"""


def to_script(settings):  # Settings -> str
    """A standalone Python script (numpy only) that recomputes every matrix of `matrices` for `settings`."""
    imports, sections = _needed_source(("run", "Settings", "matrices"))
    literal = "".join(f"    {f.name!r}: {getattr(settings, f.name)!r},\n" for f in fields(settings))
    out = [_SCRIPT_DOC.format(name=SCRIPT_NAME, numpy=np.__version__), "import sys", *imports, ""]
    out += ["# The settings of the page; change them to explore.", "PAGE_SETTINGS = {\n" + literal + "}"]
    for index, part in enumerate(sections):
        if index == 0 or part.module != sections[index - 1].module:
            out += ["", f"# ---- from {part.module.replace('.', '/')}.py ----"]
        out += ["", part.text, ""]
    return "\n".join(out) + _SCRIPT_MAIN
