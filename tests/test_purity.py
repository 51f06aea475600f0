"""The compute package stays pure: importing it never pulls in the UI or plotting libraries.

Each check runs in a fresh interpreter, so modules imported by other tests cannot hide a leak.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def modules_after(statement):  # str -> set[str], top-level modules loaded by running `statement`
    code = f"import sys\n{statement}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return set(done.stdout.split())


def test_the_check_sees_what_a_statement_imports():
    assert "json" in modules_after("import json")


def test_importing_the_package_does_not_import_streamlit():
    loaded = modules_after("import attention")
    assert "attention" in loaded
    assert "streamlit" not in loaded


@pytest.mark.parametrize("library", ["plotly", "streamlit"])
def test_the_compute_modules_do_not_import_plotting_or_ui_libraries(library):
    loaded = modules_after("import attention.core, attention.pipeline")
    assert "numpy" in loaded
    assert library not in loaded
