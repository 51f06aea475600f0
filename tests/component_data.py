"""What the in-place chart components of a page carry, read from an AppTest run.

AppTest runs no JavaScript, so a page test reads the numbers each map would show from the
components' payloads: the same bytes the browser receives. `live_charts(figures, key=...)` mounts
one component per figure, keyed "live_<key>.<index>".
"""

from charts.wire import header, unpack
from views.live_chart import COMPONENT, KEY_PREFIX


def live_figures(at):  # AppTest -> dict[key -> list of figure dicts with numpy arrays]
    """Every live_charts call on the page, by the key the view gave it, with its figures in order."""
    found = {}
    for element in at.get("bidi_component"):
        if element.proto.component_name != COMPONENT or not (element.key or "").startswith(KEY_PREFIX):
            continue
        key, index = element.key.removeprefix(KEY_PREFIX).rsplit(".", 1)
        found.setdefault(key, []).append((int(index), unpack(element.proto.bytes)))
    return {key: [fig for _, figs in sorted(parts) for fig in figs] for key, parts in found.items()}


def named_figures(at):  # AppTest -> dict[figure name -> figure dict], every named figure of every call
    """Each figure drawn by the component, by the name the view gave it (calls with a dict of figures)."""
    found = {}
    for element in at.get("bidi_component"):
        if element.proto.component_name != COMPONENT or not (element.key or "").startswith(KEY_PREFIX):
            continue
        names = [f.get("name") for f in header(element.proto.bytes)["figures"]]
        for name, fig in zip(names, unpack(element.proto.bytes), strict=True):
            if name is not None:
                assert name not in found, f"two figures named {name!r}"
                found[name] = fig
    return found
