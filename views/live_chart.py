"""Plotly figures drawn by one component that updates them in place.

`st.plotly_chart` hashes the whole figure into its element id, so every data change unmounts the
chart and draws a new one. This component keeps one plot per figure for the life of the page, sends
the figures as one compact payload (charts/wire.py) and redraws only those whose content changed,
with `Plotly.react`. plotly.js comes from the app's static folder (`server.enableStaticServing`),
loaded once per page; `ensure_plotly_static` copies it there from the installed plotly package.

A click on a cell comes back as a trigger value (present in the rerun the click started, None
otherwise); hovering a cell outlines its row and column in every map drawn on the same labels.
"""

import os
import shutil
import tempfile
from pathlib import Path

import plotly
import streamlit as st

from charts import wire


def compact(js):  # str -> str: the script without comment lines and indentation
    """The component's script travels in every rerun's message: send it without its comments."""
    lines = (line.strip() for line in js.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


JS = compact(Path(__file__).with_name("live_chart.js").read_text())
CSS = """
.lc-fig { position: relative; }
.lc-over { position: absolute; inset: 0; pointer-events: none; overflow: hidden; }
.lc-band { position: absolute; display: none; background: rgba(255, 146, 43, 0.14);
  box-shadow: inset 0 0 0 1px rgba(232, 89, 12, 0.9); }
.lc-error { color: #c92a2a; }
"""
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
KEY_PREFIX = "live_"  # the component's session-state key, never clashing with a widget's key

_component = st.components.v2.component("attention_live_charts", js=JS, css=CSS, isolate_styles=False)


def app_folder():  # -> Path, the folder of the script Streamlit runs (where its static/ folder lives)
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return Path(ctx.main_script_path).parent if ctx else Path.cwd()


def ensure_plotly_static(folder=None):  # Path | None -> Path of the served copy
    """Copy the installed plotly.min.js to <app folder>/static/, where Streamlit serves it.

    A copy, not a link: Streamlit resolves links and refuses files outside the static folder. The
    copy is written under a temporary name and renamed, so two servers starting at once never
    serve half a file; it is refreshed when the installed plotly changes size.
    """
    target = Path(folder or app_folder()) / "static" / "plotly.min.js"
    if target.exists() and target.stat().st_size == PLOTLY_JS.stat().st_size:
        return target
    target.parent.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    shutil.copyfile(PLOTLY_JS, tmp)
    os.replace(tmp, target)
    return target


def export_config(fig):  # go.Figure | dict -> Plotly config: a PNG export named after the title
    layout = fig.get("layout", {}) if isinstance(fig, dict) else fig.layout.to_plotly_json()
    title = layout.get("title") or {}
    text = (title.get("text") if isinstance(title, dict) else title) or "attention"
    name = text.split(":")[0].strip().replace(" ", "_")
    return {"toImageButtonOptions": {"format": "png", "filename": name, "scale": 2}}


def payload(figures):  # list | dict of figures -> bytes
    names = list(figures) if isinstance(figures, dict) else None
    figs = list(figures.values()) if isinstance(figures, dict) else list(figures)
    return wire.pack(figs, [export_config(f) for f in figs], names)


def live_charts(figures, key, height=None, on_click=None):
    """Draw figures (a list, or a dict name -> figure) in one in-place component; -> click or None.

    The click is the dict the browser sent for the rerun it started: {"figure": index, "name":
    dict key or None, "trace", "x", "y", "z", "row", "col", "customdata"}. on_click(click), if
    given, is called before the script reruns, like a widget callback. Needs
    `server.enableStaticServing = true`; without it the component says it could not load plotly.js.
    """
    ensure_plotly_static()
    state_key = KEY_PREFIX + key

    def clicked():
        if on_click is not None:
            on_click(st.session_state[state_key].get("click"))

    result = _component(
        key=state_key,
        data=payload(figures),
        height="content" if height is None else height,
        on_click_change=clicked,
    )
    return result.get("click")
