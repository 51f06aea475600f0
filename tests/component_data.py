"""What the in-place chart components of a page carry, read from an AppTest run.

AppTest runs no JavaScript, so a page test reads the numbers each map would show from the
component's payload: the same bytes the browser receives.
"""

from charts.wire import unpack
from views.live_chart import KEY_PREFIX

COMPONENT = "attention_live_charts"


def live_figures(at):  # AppTest -> dict[key -> list of figure dicts with numpy arrays]
    """Every live_charts component on the page, by the key the view gave it, with its figures in order."""
    found = {}
    for element in at.get("bidi_component"):
        if element.proto.component_name != COMPONENT:
            continue
        key = element.key or element.proto.id
        found[key.removeprefix(KEY_PREFIX)] = unpack(element.proto.bytes)
    return found
