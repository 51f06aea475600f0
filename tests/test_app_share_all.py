"""Every piece of state a person can set, on every tab, is in the share link and restored by it.

The walk visits each tab, finds every keyed widget the page draws there, gives it a value other
than its own, follows the page's address into a fresh session and checks the widget shows that
value again. A few widgets are not state: they are listed with the reason.
"""

import json

import pytest

from tests.apptest_helpers import page

TABS = ("Step by step", "Scaling lab", "Masks", "Compare", "Pretrained model", "Letters to numbers")
TABS += ("Share & export",)
KINDS = ("text_input", "number_input", "slider", "select_slider", "selectbox", "toggle", "radio")
KINDS += ("segmented_control", "multiselect")
NOT_STATE = {
    "link_tab": "chooses which tab the shown link opens on; the page itself does not change",
    "d_k_step": "the powers-of-two slider mirrors d_k, which the walk sets",
    "temperature_step": "the log-step slider mirrors the temperature, which the walk sets",
    "pt_follow": "follows the query chosen above it (pq), which the walk sets",
    "pt_more": "extra heads drawn beside the opened one in the line view: a momentary comparison",
}
LAST = ("fixed_length", "mask")  # changed last: each hides another control (the length, the window)
START = {"h": "2", "mask": "sliding window", "n": "9"}  # two heads, the window's own control, a fixed length


def widgets(at):  # AppTest -> dict key -> (kind, widget) of every keyed widget on the page
    found = {}
    for kind in KINDS:
        for w in at.get(kind):
            if w.key and w.key not in NOT_STATE and not w.key.startswith("$$"):
                found[w.key] = (kind, w)
    return found


CHOICES = {  # a value other than the start's for each choice widget, as its own option value
    "colour": "0-1",
    "head": 1,
    "embedding": "random",
    "weight_init": "uniform",
    "mask": "causal",
    "cell_q": 2,
    "cell_k": 3,
    "pt_layer": 3,
    "pt_head": 5,
    "pt_query": 2,
    "pt_key": 3,
    "pt_view": "scores",
    "first_source": "trained",
    "first_layer": 3,
    "first_head": 5,
}


def other_value(key, kind, w):  # a value the widget does not hold now
    if key in CHOICES:
        return CHOICES[key]
    assert kind not in ("selectbox", "radio", "segmented_control", "select_slider"), f"add {key} to CHOICES"
    if kind == "text_input":
        return "a changed sentence of words"
    if kind == "toggle":
        return not w.value
    step = 0.5 if isinstance(w.value, float) else 1
    return w.value - step if w.max is not None and w.value + step > w.max else w.value + step


@pytest.fixture(scope="module")
def everywhere():  # -> set of the widget keys every tab draws (the controls above the tabs)
    return set.intersection(*(set(widgets(page(START, tab=tab))) for tab in TABS))


@pytest.mark.parametrize("tab", TABS)
def test_every_keyed_widget_of_a_tab_survives_the_link(tab, everywhere):
    at = page(START, tab=tab)
    assert len(everywhere) >= 15, everywhere
    own = set(widgets(at)) if tab == TABS[0] else set(widgets(at)) - everywhere  # the controls: walked once
    keys = sorted(own, key=lambda k: (k in LAST, k))
    for key in keys:
        kind, w = widgets(at)[key]
        before = w.value
        w.set_value(other_value(key, kind, w)).run()
        assert not at.exception, (key, [e.value for e in at.exception])
        now = widgets(at).get(key)
        assert now is not None and now[1].value != before, f"{key} did not take a new value"
        again = page(dict(at.query_params), tab=tab)
        assert not again.exception
        found = widgets(again).get(key)
        assert found is not None, f"{key} is not drawn when the link is opened"
        assert found[1].value == now[1].value, (key, now[1].value, found[1].value)


def test_the_pinned_state_of_compare_survives_the_link():
    at = page(START, tab="Compare")
    at.button(key="pin").click().run()
    at.number_input(key="d_k").set_value(32).run()
    assert "pin" in at.query_params
    again = page(dict(at.query_params), tab="Compare")
    assert not again.exception and "Nothing pinned yet." not in [i.value for i in again.info]
    assert again.session_state["pinned"] == at.session_state["pinned"]
    assert "- changed **d_k**: `16` → `32`" in [m.value for m in again.markdown]


def test_the_share_tab_shows_the_whole_address_with_a_visible_copy_button():
    at = page(START | {"hd": "1", "col": "0-1"}, tab="Share & export")
    [shown] = [c.value for c in at.code]
    assert "hd=1" in shown and "col=0-1" in shown and "mask=sliding+window" in shown and "tab=" not in shown
    buttons = [e for e in at.get("bidi_component") if e.proto.component_name == "attention_copy_link"]
    assert len(buttons) == 1
    assert json.loads(buttons[0].proto.json) == {"text": shown, "label": "Copy link"}
    at.selectbox(key="link_tab").set_value("Scaling lab").run()
    assert [c.value for c in at.code][0].endswith("tab=Scaling+lab")
