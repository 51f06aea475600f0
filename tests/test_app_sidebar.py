"""The sidebar as drawn depends on what views.controls.sidebar_inputs reads: the page below the
introduction reruns alone and compares those to know when the sidebar must be drawn again."""

import pytest

from tests.apptest_helpers import page
from views.controls import SIDEBAR_DRAWN, shown_keys, sidebar_inputs

FOLLOWS = {"temperature_step"}  # the temperature slider's step, set from the temperature on every run


def widget_keys(node):  # an AppTest node -> set of the keys of every widget under it
    keys = set()
    key = getattr(node, "key", None)
    if key is not None and hasattr(node, "value"):
        keys.add(key)
    for child in getattr(node, "children", {}).values():
        keys |= widget_keys(child)
    return keys


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"n": "9"},  # a fixed length: its slider
        {"emb": "char codes"},  # d_model follows the words: a caption instead of its slider
        {"mask": "sliding window", "w": "3"},
        {"mask": "prefix", "p": "2"},
    ],
)
def test_the_sidebar_draws_exactly_the_widgets_it_is_said_to_be_drawn_from(params):
    at = page(params)
    keys = widget_keys(at.sidebar)
    assert keys, "no widget found in the sidebar"
    assert keys - FOLLOWS == set(shown_keys(at.session_state))


def test_a_slider_the_sidebar_hides_leaves_no_difference_behind():
    """After the run that hides the window's slider, Streamlit has forgotten its state: what the
    sidebar was drawn from still equals the state, so the next change below reruns that part alone."""
    at = page({"mask": "sliding window", "w": "3"})
    at.selectbox(key="mask").set_value("none").run()
    assert not at.exception and "window" not in widget_keys(at.sidebar)
    assert at.session_state[SIDEBAR_DRAWN] == sidebar_inputs(None, at.session_state)


def test_what_the_sidebar_reads_of_the_sentence_is_recorded_only_when_it_reads_it():
    plain_run, codes = page(), page({"emb": "char codes"})
    assert plain_run.session_state[SIDEBAR_DRAWN][1] is None  # hashed embedding, no tab sidebar
    assert codes.session_state[SIDEBAR_DRAWN][1] == codes.session_state["sentence"]  # d_model's caption
