"""Plotly figures drawn by a component that updates them in place.

`st.plotly_chart` hashes the whole figure into its element id, so every data change unmounts the
chart and draws a new one. Here each figure is one component instance with a stable key: its plot
lives as long as the page, gets a compact payload (charts/wire.py) and is redrawn only when its
content changed: in place when only the cells, the category names, the title, the shapes or the colour
range changed (the cells repainted on the plot as drawn, its axes and numbers' nodes kept, shapes moved
in place, a colour bar redrawn alone), on the same plot when only its sizes changed (more or fewer
columns after a d_k step: the cells computed anew, the resized axes redrawn, their remaining tick
labels kept), with `Plotly.react` otherwise. One
instance per figure, because Streamlit sends an unchanged element's message (of 250 bytes or more,
`global.minCachedMessageSize` in .streamlit/config.toml) as a reference to the copy the browser
already holds: when one map of nine changes, only that map's bytes travel. A chart far from the
screen is drawn when it is scrolled near (static/live_chart.js, "Drawn near the screen").

The component's script and plotly.js are files of the repository, static/live_chart.js and
static/plotly.min.js (the plotly.js release the pinned plotly.py was built for), served by Streamlit's
static file serving (`server.enableStaticServing` in .streamlit/config.toml) and loaded once per page.
Nothing is written at run time, so the app draws from a read-only checkout. The component itself
carries a two-line loader and no CSS (the script adds its rules to the page once), since what it
carries travels in every rerun's message. A click on a cell comes
back as a trigger value (present in the rerun the click started, None otherwise); hovering a cell
outlines its row and column in every map of the same hover group drawn on the same labels.
"""

import hashlib
import re
from contextlib import nullcontext
from pathlib import Path

import streamlit as st

from charts import wire

STATIC = Path(__file__).resolve().parent.parent / "static"  # served at app/static/ beside app.py
SCRIPT = STATIC / "live_chart.js"


def static_url(name, *reads):  # file name in static/, paths of what it reads -> its URL, as the page asks
    """A new URL whenever the file, or a file it reads, changes: a browser never runs an old copy."""
    content = b"".join(path.read_bytes() for path in (STATIC / name, *reads))
    return f"app/static/{name}?v={hashlib.blake2b(content, digest_size=6).hexdigest()}"


def loader(url):  # a static file's URL (static_url) -> a component's JS: the file, imported once per page
    """Short, since it travels in every message of the component; two lines, or Streamlit takes it for
    a path."""
    return f'export default async (c) =>\n(await import(new URL("{url}", document.baseURI))).default(c);'


URL = static_url("live_chart.js", wire.BASES_FILE)  # it reads the styling the maps share, beside it
LOADER = loader(URL)
KEY_PREFIX = "live_"  # the components' session-state keys, never clashing with a widget's key
COMPONENT = "attention_live_chart"

_component = st.components.v2.component(COMPONENT, js=LOADER, isolate_styles=False)  # its CSS: in the script


def export_config(fig):  # go.Figure | dict -> Plotly config: a PNG export named after the title
    """The title up to its first colon or comma: what follows (sizes, d_k) changes with the settings,
    and a config that changes makes Plotly.react rebuild the plot from scratch instead of updating it."""
    if isinstance(fig, dict):
        title = fig.get("layout", {}).get("title") or {}
        text = title.get("text") if isinstance(title, dict) else title
    else:
        text = fig.layout.title.text
    name = re.split("[:,]", text or "attention")[0].strip().replace(" ", "_")
    return {"toImageButtonOptions": {"format": "png", "filename": name, "scale": 2}}


def named(figures, key):  # dict name -> figure, or one figure -> dict name -> figure
    """The figures by name; one figure alone is named after the key."""
    one = not isinstance(figures, dict) or isinstance(figures.get("data"), (list, tuple))  # a figure dict
    return {key: figures} if one else figures


def draw(figures, key, columns=1, on_click=None, group="page", into=None):
    """Draw figures (a dict name -> figure, or one figure) in place, one component each; -> click or None.

    columns: figures side by side, an int or a list of widths as for st.columns (figure k in column k
    mod their number; 1: one under the other, without a wrapper). into: a container to draw them all in
    instead (one horizontal container holds a row in one layout block, where columns take one per column
    and one around them). group: charts whose maps are linked on hover, across calls (None: linked to
    none). The click is the dict the browser sent for the rerun it started: {"figure": index in this
    call, "name", "trace", "x", "y", "z", "row", "col", "customdata"}. on_click(click), if given, is
    called before the script reruns, like a widget callback.
    """
    places = [into] if into is not None else [nullcontext()] if columns == 1 else st.columns(columns)
    clicks = []
    for k, (name, fig) in enumerate(named(figures, key).items()):
        state_key, where = f"{KEY_PREFIX}{key}.{k}", {"figure": k, "name": name}

        def clicked(state_key=state_key, where=where):
            if on_click is not None:
                on_click(st.session_state[state_key]["click"] | where)

        with places[k % len(places)]:
            data = wire.pack(fig, export_config(fig), name, group)
            result = _component(key=state_key, data=data, height="content", on_click_change=clicked)
        clicks.append(result.get("click") and result["click"] | where)
    return next((c for c in clicks if c), None)
