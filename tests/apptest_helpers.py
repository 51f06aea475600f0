"""Shared pieces of the headless page tests: start the page, find its figures, decode their numbers.

The page is driven with Streamlit's AppTest (no browser). Every chart arrives in the in-place chart
component's payload; `figures` finds each figure by the name its view gave it, with its arrays
decoded back into numpy, and `array` reads an array or a plain list with None for blank cells.
"""

import gc
import re
import sys
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from attention import Settings
from tests.component_data import named_figures
from views.animation import frames
from views.export import FILES
from views.traces import TRACES

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 60  # seconds; a cold first run on two cores takes a few


def start(params=None, tab=None):  # dict[str, str] | None, str | None -> AppTest (not yet run)
    """A fresh session of the page, opened with URL parameters and on a tab, with empty trace caches.

    The caches are global to the process, so no test sees another's traces. The Scaling lab's sweep
    is left cached: it depends on no setting but the init, and recomputing it made each lab test slow.
    """
    TRACES.clear()
    FILES.clear()
    frames.clear()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(params or {})
    if tab is not None:
        at.session_state["tab"] = tab
    return at


def page(params=None, tab=None):  # -> AppTest after its first run, which must not raise
    at = start(params, tab).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def figures(at):  # AppTest -> dict[str, dict], figure name ("x", "weights", ...) -> figure
    """Every figure on the page by the name its view gave it: the page draws every chart with the
    in-place chart component, so this is every named figure of every component on the page."""
    assert not at.get("plotly_chart"), "a chart drawn without the in-place component"
    return named_figures(at)


def array(value):  # np.ndarray | list -> np.ndarray of float64, NaN where a value is None
    if isinstance(value, np.ndarray):
        return value.astype(np.float64)
    return np.array([np.nan if v is None else v for v in value], dtype=float)


def z(fig, trace=0):  # figure JSON -> [rows, cols] float64 (NaN where a cell is blank)
    return array(fig["data"][trace]["z"]).astype(np.float64)


def weights(fig):  # the first screen's weights figure -> [rows, cols] float64, the weights themselves
    """The weights a map shows in its cells and hover (its `text`; its z is the colour, ÷ row max)."""
    return array(fig["data"][0]["text"]).astype(np.float64)


def ticktext(fig, axis="xaxis"):  # figure JSON -> list[str]
    return fig["layout"][axis]["ticktext"]


def title(fig):  # figure JSON -> str
    return fig["layout"]["title"]["text"]


def status_line(at):  # AppTest -> str, the first screen's line on what is shown and what moved
    (line,) = [c for c in texts(at.caption) if c.startswith("Untrained weights") and "Showing " in c]
    return line[line.index("Showing ") :]


def texts(elements):  # ElementList -> list[str]
    return [e.value for e in elements]


def paragraphs(at):  # AppTest -> list[str], every paragraph of every Markdown element (a stage's text is one)
    return [p for m in texts(at.markdown) for p in m.split("\n\n")]


def fix_length(at, n):  # AppTest, int -> the seq_len slider set to n (the page not yet run again)
    """Switch on a fixed sequence length (a run draws its slider), then set it to n."""
    at.toggle(key="fixed_length").set_value(True).run()
    return at.slider(key="seq_len").set_value(n)


def optional(at, key, default):  # AppTest, str, value -> the slider's value, or the default when hidden
    found = [w for w in at.slider if w.key == key]
    return found[0].value if found else default


def sentence_box(at):  # AppTest -> the sentence's widget: one line, or several for a paragraph
    boxes = [w for w in at.text_area if w.key == "sentence"]
    return boxes[0] if boxes else at.text_input(key="sentence")


def widget_values(at):  # AppTest -> dict[str, value] of every setting on the page, by Settings field
    fixed = at.toggle(key="fixed_length").value
    return {
        "sentence": sentence_box(at).value,
        "seq_len": at.slider(key="seq_len").value if fixed else 0,
        **{k: at.number_input(key=k).value for k in ("d_k", "temperature")},
        **{k: at.slider(key=k).value for k in ("seed", "n_heads")},
        **{k: optional(at, k, getattr(Settings(), k)) for k in ("d_model", "window", "prefix")},
        "embedding": at.selectbox(key="embedding").value,
        "mask": at.selectbox(key="mask").value,
        "weight_init": at.radio(key="weight_init").value,
        "scaling": at.toggle(key="scaling").value,
        "positions": at.toggle(key="positions").value,
    }


def close(actual, expected, rtol=2e-6, atol=1e-6):  # figures carry float32: compare at that precision
    """Assert two arrays agree to float32 precision, NaN where the other is NaN."""
    np.testing.assert_allclose(actual, np.asarray(expected, dtype=np.float64), rtol=rtol, atol=atol)


def outside_code(markdown):  # str -> str, the text outside code spans, backslash-escaped marks removed
    """What Markdown would still interpret: everything outside `code spans`, minus escaped characters."""
    out, i = [], 0
    while i < len(markdown):
        fence = re.match(r"`+", markdown[i:])
        if fence:
            n = len(fence.group())
            close_ = re.compile(rf"(?<!`)`{{{n}}}(?!`)").search(markdown, i + n)
            if close_:
                i = close_.end()
                continue
        out.append(markdown[i])
        i += 1
    return re.sub(r"\\[!-/:-@\[-`{-~]", "", "".join(out))


def shown(markdown):  # str -> str, the text a reader sees of backslash-escaped Markdown
    """Undo Markdown's backslash escapes of punctuation, as the page renders them."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def arrays_reachable(root):  # object -> total bytes of the numpy arrays reachable from root
    """Walk what root refers to (closures, their cells, containers), never into modules, their
    globals or classes: what a session keeps alive of its own, beside the process's shared caches."""
    seen = {id(vars(m)) for m in list(sys.modules.values()) if m is not None}
    todo, total = [root], 0
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, type | type(sys)):
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            total += obj.nbytes
            continue
        todo += gc.get_referents(obj)
    return total
