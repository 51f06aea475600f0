"""What the in-place chart components of a page carry, read from an AppTest run.

AppTest runs no JavaScript, so a page test reads the numbers each map would show from the
components' payloads: the same bytes the browser receives. `draw(figures, key=...)` mounts one
component per figure, keyed "live_<key>.<index>", each payload naming its figure. The page builds
its figures as plain dicts, unvalidated; every figure read here is validated against Plotly's schema
first (`checked`), so a property Plotly would reject fails the test that drew it.
"""

import plotly.graph_objects as go

from charts.wire import header, unpack
from views.live_chart import COMPONENT, KEY_PREFIX

# The colour scales plotly.js (static/plotly.min.js) knows by name. plotly.py knows more ("RdBu_r",
# "Plasma") and turns them into lists, but a plain figure dict reaches plotly.js as it is.
PLOTLY_JS_SCALES = {"Blackbody", "Bluered", "Blues", "Cividis", "Earth", "Electric", "Greens", "Greys", "Hot"}
PLOTLY_JS_SCALES |= {"Jet", "Picnic", "Portland", "Rainbow", "RdBu", "Reds", "Viridis", "YlGnBu", "YlOrRd"}


def checked(figure):  # figure dict -> go.Figure, validated against plotly.py's schema (raises ValueError)
    """The figure through plotly.graph_objects, which rejects any property or value Plotly does not know,
    and with no colour scale named as only plotly.py would read it."""
    names = set(scale_names(figure))
    assert names <= PLOTLY_JS_SCALES, f"plotly.js does not know the colour scales {names - PLOTLY_JS_SCALES}"
    return go.Figure(figure)


def scale_names(v):  # any part of a figure dict -> iterator of the colour scales it names by a string
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "colorscale" and isinstance(x, str):
                yield x
            else:
                yield from scale_names(x)
    elif isinstance(v, (list, tuple)):
        for x in v:
            yield from scale_names(x)


def payloads(at):  # AppTest -> list of (key, index, payload bytes), in page order
    found = []
    for element in at.get("bidi_component"):
        if element.proto.component_name != COMPONENT or not (element.key or "").startswith(KEY_PREFIX):
            continue
        key, index = element.key.removeprefix(KEY_PREFIX).rsplit(".", 1)
        found.append((key, int(index), element.proto.bytes))
    return found


def live_figures(at):  # AppTest -> dict[key -> list of figure dicts with numpy arrays]
    """Every draw call on the page, by the key the view gave it, with its figures in order."""
    found = {}
    for key, index, payload in payloads(at):
        found.setdefault(key, []).append((index, valid(unpack(payload))))
    return {key: [fig for _, fig in sorted(parts, key=lambda p: p[0])] for key, parts in found.items()}


def named_figures(at):  # AppTest -> dict[figure name -> figure dict], every figure of every call
    """Each figure drawn by the component, by the name the view gave it (one figure: its call's key)."""
    found = {}
    for _, _, payload in payloads(at):
        name = header(payload)["name"]
        assert name not in found, f"two figures named {name!r}"
        found[name] = valid(unpack(payload))
    return found


def valid(figure):  # figure dict -> the same dict, once plotly.py's schema has accepted it
    checked(figure)
    return figure
