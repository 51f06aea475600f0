"""Plotly figures drawn by components that update them in place.

`st.plotly_chart` hashes the whole figure into its element id, so every data change unmounts the
chart and draws a new one. Here each figure is one component instance with a stable key: its plot
lives as long as the page, gets a compact payload (charts/wire.py) and is redrawn with
`Plotly.react` only when its content changed. One instance per figure, not one for all, because
Streamlit sends an unchanged element's message (over 10 kB) as a reference to the copy the browser
already holds: when one map of nine changes, only that map's bytes travel.

The script (views/live_chart.js) and plotly.js are served from the app's static folder
(`server.enableStaticServing`), loaded once per page; the component itself carries a two-line
loader, since its code travels in every rerun's message. A click on a cell comes back as a trigger
value (present in the rerun the click started, None otherwise); hovering a cell outlines its row
and column in every map of the same `live_charts` call drawn on the same labels.
"""

import hashlib
import os
import re
import tempfile
from pathlib import Path

import plotly
import streamlit as st

from charts import wire

SCRIPT = Path(__file__).with_name("live_chart.js")
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
VERSION = hashlib.blake2b(SCRIPT.read_bytes(), digest_size=6).hexdigest()  # a new URL for a new script
LOADER = f"""const url = new URL("app/static/live_chart.js?v={VERSION}", document.baseURI).href;
export default async function (component) {{ return (await import(url)).default(component); }}"""
CSS = """
.lc-fig { position: relative; }
.lc-over { position: absolute; inset: 0; pointer-events: none; overflow: hidden; }
.lc-band { position: absolute; display: none; background: rgba(255, 146, 43, 0.14);
  box-shadow: inset 0 0 0 1px rgba(232, 89, 12, 0.9); }
.lc-error { color: #c92a2a; }
"""
KEY_PREFIX = "live_"  # the components' session-state keys, never clashing with a widget's key
COMPONENT = "attention_live_charts"

_component = st.components.v2.component(COMPONENT, js=LOADER, css=CSS, isolate_styles=False)


def app_folder():  # -> Path, the folder of the script Streamlit runs (where its static/ folder lives)
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return Path(ctx.main_script_path).parent if ctx else Path.cwd()


def publish(source, folder):  # Path, Path | None -> Path of the served copy in <folder>/static/
    """Copy a file into the static folder, unless an identical copy is there.

    A copy, not a link: Streamlit resolves links and refuses files outside the static folder. The
    copy is written under a temporary name and renamed, so two servers starting at once never
    serve half a file.
    """
    target = Path(folder or app_folder()) / "static" / source.name
    same_size = target.exists() and target.stat().st_size == source.stat().st_size
    if same_size and (source.stat().st_size > 1_000_000 or target.read_bytes() == source.read_bytes()):
        return target  # plotly.min.js: the same size means the same release
    target.parent.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        out.write(source.read_bytes())
    os.replace(tmp, target)
    return target


def ensure_plotly_static(folder=None):  # Path | None -> Path of the served plotly.min.js
    """Put the installed plotly.min.js and the component's script where Streamlit serves them."""
    publish(SCRIPT, folder)
    return publish(PLOTLY_JS, folder)


def export_config(fig):  # go.Figure | dict -> Plotly config: a PNG export named after the title
    """The title up to its first colon or comma: what follows (sizes, d_k) changes with the settings,
    and a config that changes makes Plotly.react rebuild the plot from scratch instead of updating it."""
    layout = fig.get("layout", {}) if isinstance(fig, dict) else fig.layout.to_plotly_json()
    title = layout.get("title") or {}
    text = (title.get("text") if isinstance(title, dict) else title) or "attention"
    name = re.split("[:,]", text)[0].strip().replace(" ", "_")
    return {"toImageButtonOptions": {"format": "png", "filename": name, "scale": 2}}


def payloads(figures, group=None):  # list | dict of figures -> list of bytes, one per figure
    names = list(figures) if isinstance(figures, dict) else [None] * len(figures)
    figs = list(figures.values()) if isinstance(figures, dict) else list(figures)
    return [wire.pack([f], [export_config(f)], [name], group) for f, name in zip(figs, names, strict=True)]


def live_charts(figures, key, height=None, on_click=None, columns=1, group=None):
    """Draw figures (a list, or a dict name -> figure) in place, one component each; -> click or None.

    The click is the dict the browser sent for the rerun it started: {"figure": index, "name":
    dict key or None, "trace", "x", "y", "z", "row", "col", "customdata"}. on_click(click), if
    given, is called before the script reruns, like a widget callback. height: pixels per figure
    (None: the figure's own); columns: figures side by side, in that many columns; group: maps
    linked on hover across calls (default: this call's key). Needs
    `server.enableStaticServing = true`; without it the page says that plotly.js could not be loaded.
    """
    ensure_plotly_static()
    clicks = []
    many = not isinstance(columns, int) or columns > 1
    places = st.columns(columns) if many else [st.container()]
    for k, data in enumerate(payloads(figures, group=group or key)):
        state_key = f"{KEY_PREFIX}{key}.{k}"

        def clicked(state_key=state_key, k=k):
            if on_click is not None:
                on_click(st.session_state[state_key].get("click") | {"figure": k})

        with places[k % len(places)]:
            result = _component(
                key=state_key,
                data=data,
                height="content" if height is None else height,
                on_click_change=clicked,
            )
        clicks.append(result.get("click") and result["click"] | {"figure": k})
    return next((c for c in clicks if c), None)
