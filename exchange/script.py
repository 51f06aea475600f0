"""A standalone Python script (numpy only) that recomputes every matrix of the page.

The script is the package's own code, not a copy kept by hand: `to_script` reads the source of the
functions `run` needs (and of `export.matrices`), keeps only those, and adds the settings as
literals. So the script computes exactly what the page shows, and cannot drift from it.
"""

import ast
import importlib.util
import inspect
from dataclasses import fields
from typing import NamedTuple

import numpy as np

from attention import pipeline
from exchange import export

SCRIPT_NAME = "reproduce_attention.py"


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
    modules = _in_dependency_order(pipeline, []) + [export]  # export for `matrices`
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
