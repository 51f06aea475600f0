"""The three layers keep to their rooms: the maths loads no UI, plotting or file-format library.

Each check runs in a fresh interpreter, so modules imported by other tests cannot hide a leak.
"""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import attention
import charts
import exchange

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("plotly", "streamlit", "safetensors", "tokenizers", "pandas")
READERS = {"open", "read_text", "read_bytes", "load", "loadtxt", "genfromtxt", "fromfile", "memmap"}


def modules_after(statement):  # str -> set[str], top-level modules loaded by running `statement`
    code = f"import sys\n{statement}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return set(done.stdout.split())


def every_module(package):  # module -> list[str], the dotted names of all its modules
    return [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]


def file_access(source):  # str -> list[str], each import of exchange and each call that reads a file
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] == "exchange"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "exchange":
            found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            found += [f"{name}() on line {node.lineno}"] if name in READERS else []
    return found


def test_the_file_check_sees_imports_of_the_edge_and_reads():
    source = "import exchange.model\nfrom exchange import share\ndef f(p):\n    return open(p), np.load(p)"
    assert len(file_access(source)) == 4 and len(file_access("def f(p):\n    return p.read_text()")) == 1
    assert file_access("import numpy as np\ndef f(x):\n    return np.exp(x)") == []


@pytest.mark.parametrize("path", sorted((ROOT / "attention").glob("*.py")), ids=lambda p: p.name)
def test_the_maths_reads_no_files_and_never_imports_the_edge(path):
    assert file_access(path.read_text(encoding="utf-8")) == []


def test_the_check_sees_what_a_statement_imports():
    assert "json" in modules_after("import json")
    assert "plotly" in modules_after("import charts.figures")


def test_the_walk_finds_every_module_of_the_maths():
    names = every_module(attention)
    assert {"attention.core", "attention.pipeline", "attention.pretrained", "attention.bert"} <= set(names)
    assert len(names) == len(list((ROOT / "attention").glob("*.py"))) - 1  # all but __init__


def test_importing_every_module_of_the_maths_loads_only_numpy():
    loaded = modules_after("\n".join(f"import {name}" for name in every_module(attention)))
    assert "numpy" in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


@pytest.mark.parametrize("package", [charts, exchange], ids=["charts", "exchange"])
def test_the_figures_and_the_edge_never_load_streamlit(package):
    loaded = modules_after("\n".join(f"import {name}" for name in every_module(package)))
    assert "streamlit" not in loaded and "pandas" not in loaded
    assert "safetensors" not in loaded and "tokenizers" not in loaded  # readers import them on use
