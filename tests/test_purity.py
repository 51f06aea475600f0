"""The three layers keep to their rooms: the maths loads no UI, plotting or file-format library.

Each check runs in a fresh interpreter, so modules imported by other tests cannot hide a leak.
"""

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


def modules_after(statement):  # str -> set[str], top-level modules loaded by running `statement`
    code = f"import sys\n{statement}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return set(done.stdout.split())


def every_module(package):  # module -> list[str], the dotted names of all its modules
    return [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]


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
