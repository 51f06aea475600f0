"""Tests of exchange.export: every matrix, labelled, out as CSV, zip, .npz, JSON and a script.

Each format is read back with the standard reader for it (csv, zipfile, np.load, json) and compared
with the trace number for number. The exported script is run in a fresh interpreter where the
`attention` package cannot be imported, and must reproduce every matrix of `run` bit for bit.
"""

import ast
import csv
import io
import json
import os
import re
import subprocess
import sys
import tracemalloc
import zipfile
from dataclasses import asdict

import numpy as np
import pytest

from attention.pipeline import LIMITS, PAD, Settings, run
from exchange.export import (
    PER_HEAD,
    _plain,
    labels,
    matrices,
    safe_label,
    text_bytes,
    to_csv,
    to_json,
    to_npz,
    to_zip_of_csvs,
)
from exchange.script import SCRIPT_NAME, to_script

MULTI = Settings(n_heads=3, d_k=5, mask="causal")


def read_csv(text):  # str -> (corner, column labels, row labels, values as floats)
    rows = list(csv.reader(io.StringIO(text)))
    return (
        rows[0][0],
        rows[0][1:],
        [r[0] for r in rows[1:]],
        np.array([[float(v) for v in r[1:]] for r in rows[1:]]),
    )


# ---- matrices and labels ----


def test_single_head_names_in_pipeline_order():
    names = list(matrices(run(Settings())))
    per_head = [f"head0/{p}" for p in ("q", "k", "v", "scores", "scaled", "weights", "heads")]
    assert names == ["x", "w_q", "w_k", "w_v", "mask", *per_head, "concat", "output"]


def test_multi_head_has_w_o_and_every_head_and_no_mask_when_none():
    trace = run(MULTI.replace(mask="none"))
    arrays = matrices(trace)
    assert "w_o" in arrays and "mask" not in arrays
    for h in range(3):
        for part in PER_HEAD:
            assert np.array_equal(arrays[f"head{h}/{part}"], getattr(trace.attention, part)[h])
    assert "head3/q" not in arrays
    assert np.array_equal(arrays["output"], trace.attention.output)


@pytest.mark.parametrize("s", [Settings(), MULTI, Settings(embedding="char codes", n_heads=2, d_k=3)])
def test_labels_fit_every_matrix(s):
    trace = run(s)
    arrays, names = matrices(trace), labels(trace)
    assert list(names) == list(arrays)
    for name, (rows, cols) in names.items():
        assert arrays[name].shape == (len(rows), len(cols)), name
    assert names["head0/weights"] == (trace.tokens, trace.tokens)
    assert names["x"][1][:2] == ("dim 0", "dim 1")
    assert names["w_q"][1][s.d_k - 1] == f"head 0 dim {s.d_k - 1}"
    assert names["w_q"][1][-1] == f"head {s.n_heads - 1} dim {s.d_k - 1}"


# ---- CSV ----

TRICKY = ["a,b", 'say "hi"', "line\nbreak", "😀猫", "=SUM(A1)", "+1", "-x", "@cmd", "plain", PAD]


def test_csv_round_trips_tricky_labels_and_exact_values():
    values = np.random.default_rng(1).standard_normal((len(TRICKY), 3)) * 1e-7
    text = to_csv("head0/weights", values, TRICKY, ['é, "q"', "=1", "k"])
    corner, cols, rows, back = read_csv(text)
    assert corner == "head0/weights"
    assert cols == ['é, "q"', "'=1", "k"]
    assert rows == [("'" + t if t[0] in "=+-@" else t) for t in TRICKY]
    assert np.array_equal(back, values)  # repr keeps every bit


def test_safe_label_prefixes_only_formula_starts():
    assert [safe_label(t) for t in ["=1", "+a", "-b", "@c", "\tx", "\ry", "a=1", "1-"]] == [
        "'=1",
        "'+a",
        "'-b",
        "'@c",
        "'\tx",
        "'\ry",
        "a=1",
        "1-",
    ]
    assert safe_label("\udc80x") == "\\udc80x"  # a lone surrogate becomes encodable text


def test_csv_writes_a_mask_as_ones_and_zeros():
    corner, _, _, back = read_csv(to_csv("mask", np.array([[True, False]]), ["a"], ["a", "b"]))
    assert back.tolist() == [[1.0, 0.0]]


def test_csv_refuses_labels_that_do_not_fit():
    with pytest.raises(ValueError, match="does not fit"):
        to_csv("x", np.zeros((2, 3)), ["a", "b"], ["c"])


def test_zip_holds_one_csv_per_matrix_that_reads_back_exactly():
    trace = run(MULTI.replace(sentence='a,b "c" =d 😀 lone\udc80surrogate'))
    data = to_zip_of_csvs(trace)
    assert data == to_zip_of_csvs(trace)  # same state, same bytes
    arrays = matrices(trace)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert set(z.namelist()) == {f"{n}.csv" for n in arrays} | {"settings.json"}
        meta = json.loads(z.read("settings.json"))
        assert meta == {"settings": asdict(trace.settings), "tokens": list(trace.tokens)}
        for name, array in arrays.items():
            corner, cols, rows, back = read_csv(z.read(f"{name}.csv").decode("utf-8"))
            assert corner == name and np.array_equal(back, array.astype(float)), name
        rows = read_csv(z.read("head2/scores.csv").decode("utf-8"))[2]
        assert rows[:5] == ["a,b", '"c"', "'=d", "😀", "lone\\udc80surrogate"]


# ---- npz and JSON ----


def test_npz_holds_every_matrix_the_tokens_and_the_settings():
    trace = run(MULTI.replace(sentence="the cat 😀 the"))
    with np.load(io.BytesIO(to_npz(trace)), allow_pickle=False) as npz:
        for name, array in matrices(trace).items():
            assert np.array_equal(npz[name], array) and npz[name].dtype == array.dtype, name
        assert tuple(npz["tokens"].tolist()) == trace.tokens
        assert Settings(**json.loads(str(npz["settings"]))) == trace.settings


def refuse(constant):
    raise AssertionError(f"{constant} in strict JSON")


def test_json_is_strict_and_holds_every_number():
    trace = run(MULTI.replace(sentence='quote " back\\slash 猫'))
    text = to_json(trace)
    data = json.loads(text, parse_constant=refuse)
    assert Settings(**data["settings"]) == trace.settings
    assert tuple(data["tokens"]) == trace.tokens
    for name, array in matrices(trace).items():
        assert np.array_equal(np.array(data["matrices"][name]), array), name
        assert data["labels"][name]["rows"] == list(labels(trace)[name][0])
    assert data["matrices"]["mask"][0][:2] == [True, False]  # causal: row 0 sees only itself


def test_json_written_a_matrix_at_a_time_is_json_dumps_of_the_whole_document():
    trace = run(MULTI.replace(sentence='quote " back\\slash 猫', mask="none"))
    whole = {
        "settings": asdict(trace.settings),
        "tokens": list(trace.tokens),
        "labels": {name: {"rows": r, "cols": c} for name, (r, c) in labels(trace).items()},
        "matrices": {name: _plain(a) for name, a in matrices(trace).items()},
    }
    assert to_json(trace) == json.dumps(whole, allow_nan=False).encode()


WORDS = " ".join(f"w{i}" for i in range(512))
LARGE = Settings(sentence=WORDS, seq_len=512, n_heads=8, d_model=512, d_k=64)  # the largest state
MEDIUM = LARGE.replace(seq_len=64)


def sizes_of_text(trace):  # -> (JSON bytes, the CSVs' bytes unzipped)
    with zipfile.ZipFile(io.BytesIO(to_zip_of_csvs(trace))) as z:
        csvs = sum(info.file_size for info in z.infolist())
    return len(to_json(trace)), csvs


@pytest.mark.parametrize("s", [Settings(), MULTI, MEDIUM], ids=["default", "3 heads", "64 x 8 heads"])
def test_the_text_size_is_estimated_within_a_fifth_before_anything_is_built(s):
    trace = run(s)
    for actual in sizes_of_text(trace):
        assert 0.8 < text_bytes(trace) / actual < 1.2


def peak_over_size(make, trace):  # -> the peak memory making a file takes, over the file's size
    tracemalloc.start()
    try:
        data = make(trace)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / len(data)


def test_the_npz_of_the_largest_state_takes_at_most_twice_its_size_in_memory():
    assert peak_over_size(to_npz, run(LARGE)) <= 2


@pytest.mark.parametrize("make", [to_json, to_zip_of_csvs], ids=["json", "zip of csv"])
def test_a_text_file_takes_at_most_twice_its_size_in_memory(make):
    assert peak_over_size(make, run(MEDIUM)) <= 2


def test_non_finite_numbers_become_none():
    assert _plain(np.array([[1.0, -np.inf], [np.nan, 2.0]])) == [[1.0, None], [None, 2.0]]
    assert _plain(np.array([True, False])) == [True, False]


# ---- the standalone script ----

SCRIPT_CASES = {
    "default": Settings(),
    "char codes, causal": Settings(embedding="char codes", mask="causal"),
    "random, sliding window": Settings(embedding="random", mask="sliding window", window=2),
    "prefix, 3 heads": Settings(mask="prefix", prefix=3, n_heads=3, d_k=5, d_model=12),
    "no mask, positions, unscaled": Settings(mask="none", positions=True, scaling=False),
    "temperature 2, uniform": Settings(temperature=2.0, weight_init="uniform", seed=LIMITS["seed"][1]),
    "random, 3 heads, positions": Settings(embedding="random", n_heads=3, d_k=2, positions=True),
    "cut to 3 tokens": Settings(seq_len=3, d_model=4, d_k=3),
    "unicode": Settings(sentence='He said "hi" \\ back\\slash 😀 猫が好き it\'s naïve', n_heads=3),
    "lone surrogate": Settings(sentence="a \udc80b c", embedding="hashed"),
    "triple quotes": Settings(sentence="a \"\"\"b\"\"\" {c} '''d''' {{e}} %s \\n {0!r}", seq_len=12),
}


def clean_env():  # os.environ without anything that would make `attention` importable
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}


def run_script(script, tmp_path, *args):  # str, Path -> CompletedProcess
    path = tmp_path / SCRIPT_NAME
    path.write_text(script, encoding="utf-8")
    command = [sys.executable, str(path), *args]
    return subprocess.run(command, cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=120)


def test_the_script_environment_cannot_import_the_package(tmp_path):
    probe = "import importlib.util; print(importlib.util.find_spec('attention'))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=clean_env(), capture_output=True, text=True
    )
    assert done.stdout.strip() == "None"


@pytest.mark.parametrize("s", SCRIPT_CASES.values(), ids=SCRIPT_CASES.keys())
def test_the_script_reproduces_every_matrix_bit_for_bit(s, tmp_path):
    done = run_script(to_script(s), tmp_path, "out.npz")
    assert done.returncode == 0, done.stderr
    trace = run(s)
    with np.load(tmp_path / "out.npz", allow_pickle=False) as npz:
        assert set(npz.files) == set(matrices(trace)) | {"tokens"}
        assert tuple(npz["tokens"].tolist()) == trace.tokens
        for name, array in matrices(trace).items():
            assert np.array_equal(npz[name], array), name


def imported_modules(script):  # str -> set[str], the top-level modules a script imports
    tree = ast.parse(script)
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    return {n.split(".")[0] for n in names}


@pytest.mark.parametrize("s", SCRIPT_CASES.values(), ids=SCRIPT_CASES.keys())
def test_the_script_needs_only_numpy_and_the_standard_library(s):
    script = to_script(s)
    modules = imported_modules(script)
    assert "numpy" in modules and "attention" not in modules
    assert modules - {"numpy"} <= set(sys.stdlib_module_names)
    assert not re.search(r"^\s*(import|from)\s+attention\b", script, re.MULTILINE)


def page_settings(script):  # str -> dict, the PAGE_SETTINGS literal read without running anything
    for node in ast.parse(script).body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "PAGE_SETTINGS":
            return ast.literal_eval(node.value)
    raise AssertionError("no PAGE_SETTINGS in the script")


def test_the_sentence_is_a_literal_never_code(tmp_path):
    hostile = "'); open('pwned', 'w'); (' \"\"\"); open('pwned', 'w'); (\"\"\" {open('pwned','w')}"
    s = Settings(sentence=hostile)
    script = to_script(s)
    assert page_settings(script) == asdict(s)
    assert run_script(script, tmp_path, "out.npz").returncode == 0
    assert not (tmp_path / "pwned").exists()


def test_the_script_prints_the_matrices_without_arguments(tmp_path):
    done = run_script(to_script(Settings(sentence="the cat 😀", seq_len=4)), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "head0/weights (4, 4)" in done.stdout and "'😀'" in done.stdout


def test_the_script_is_built_from_the_package_source():
    import inspect

    from attention import core, pipeline

    script = to_script(Settings())
    for function in (core.softmax, core.scaled_dot_product_attention, pipeline.run, pipeline.embed):
        assert inspect.getsource(function) in script
    assert "def length_weights" not in script  # only what `run` needs
