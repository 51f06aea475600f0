"""The private Streamlit entry points the page tests need, in one place (written for streamlit 1.67).

AppTest has no wrapper for a chart component's click or for a widget set to a value only the browser
sends, and no way to read a deferred download; these helpers reach into its internals for that:
the element-id format ("...-<key>"), `AppTest._run` with widget states, the session's SessionState, and
`MediaFileManager.add_deferred`, and the trigger widget behind a chart component's clicks. When
Streamlit changes them, only this file changes.
"""

import json

from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.runtime.media_file_manager import MediaFileManager


def session_state_object(at):  # AppTest -> the SessionState behind at.session_state (widget metadata too)
    state = at.session_state._state
    return getattr(state, "_state", state)  # SafeSessionState wraps the SessionState itself


def widget_id(at, key):  # AppTest, str -> str, the full element id of the widget with user key `key`
    (found,) = [w.id for w in at.main.root.get_widget_states().widgets if w.id.endswith(f"-{key}")]
    return found


def rerun_with(at, state):  # AppTest, WidgetState -> AppTest after the rerun
    """Rerun as the browser does after one widget reported a new value; the others keep theirs:
    the run starts with the last run's widget states, that one replaced."""
    states = at.main.root.get_widget_states()
    kept = [w for w in states.widgets if w.id != state.id]
    del states.widgets[:]
    states.widgets.extend([*kept, state])
    at._run(states)
    assert not at.exception, [e.value for e in at.exception]
    return at


def send(at, widget_id, string_value):  # AppTest, str, str -> AppTest after the rerun
    """A widget's value as the browser sends it, as a string (e.g. a select box's shown option)."""
    return rerun_with(at, WidgetState(id=widget_id, string_value=string_value))


def click_map(at, name, row, col, **extra):  # AppTest, figure name, int, int -> AppTest after the rerun
    """A click on cell (row, col) of the in-place chart that draws the figure `name`, as the browser
    sends it: the component's trigger widget ("<id>__events") with [{"event": "click", "value": ..}]."""
    from streamlit.components.v2.bidi_component.main import _make_trigger_id

    from charts.wire import header
    from tests.component_data import COMPONENT

    for element in at.get("bidi_component"):
        if element.proto.component_name == COMPONENT and header(element.proto.bytes)["name"] == name:
            payload = [{"event": "click", "value": {"row": row, "col": col} | extra}]
            return send_json(at, _make_trigger_id(element.proto.id, "events"), json.dumps(payload))
    raise KeyError(f"no chart draws a figure named {name!r}")


def send_json(at, widget_id, json_value):  # AppTest, str, str -> AppTest after the rerun of a trigger
    return rerun_with(at, WidgetState(id=widget_id, json_trigger_value=json_value))


def record_downloads(monkeypatch):  # -> dict of file name -> bytes, filled by every download button drawn
    """Record what the page hands to its download buttons: the makers of the files, run on a click."""
    makers, add = {}, MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        makers[file_name] = data_callable
        return add(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return Clicked(makers)


class Clicked(dict):
    """The bytes each download button gives when clicked (its maker runs on first access)."""

    def __init__(self, makers):
        super().__init__()
        self.makers = makers

    def __missing__(self, name):
        data = self.makers[name]()
        return data.encode() if isinstance(data, str) else data


def component_click(at, state_key, click):  # AppTest, str, dict -> AppTest after the rerun
    """Rerun as after a click on the chart component with session-state key `state_key`.

    The component reports a click through its trigger: a JSON list of {"event", "value"} payloads
    on a hidden widget whose id is derived from the component's own (Streamlit's `_make_trigger_id`).
    """
    from streamlit.components.v2.bidi_component.main import _make_trigger_id

    (element,) = [e for e in at.get("bidi_component") if e.key == state_key]
    payload = json.dumps([{"event": "click", "value": click}])
    return send_json(at, _make_trigger_id(element.proto.id, "events"), payload)
