"""The sidebar as drawn depends on what views.controls.sidebar_inputs reads: the page below the
introduction reruns alone and compares those to know when the sidebar must be drawn again."""

import pytest

from tests.apptest_helpers import page
from views.controls import SIDEBAR_DRAWN, SIDEBAR_KEYS

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
def test_every_widget_of_the_sidebar_is_among_what_it_is_drawn_from(params):
    at = page(params)
    keys = widget_keys(at.sidebar)
    assert keys, "no widget found in the sidebar"
    assert keys - FOLLOWS <= set(SIDEBAR_KEYS)


def test_a_run_records_what_the_sidebar_was_drawn_from():
    at = page({"emb": "char codes"})
    drawn = at.session_state[SIDEBAR_DRAWN]
    assert drawn[1] == at.session_state["sentence"]  # char codes: the sidebar's caption reads the words
    state = at.session_state
    assert drawn[2:] == tuple(state[k] if k in state else None for k in SIDEBAR_KEYS)  # noqa: SIM401
