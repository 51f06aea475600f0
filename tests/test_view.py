"""The view state in a link: head, colours, shared range and the pinned state, read back exactly."""

import pytest

from attention import Settings
from exchange.view import DEFAULTS, VIEW_KEYS, from_view_params, view_params


def test_the_default_view_adds_nothing_to_the_link():
    assert view_params(DEFAULTS) == {} and view_params({}) == {}
    assert from_view_params({}, 1) == ({}, [])


def test_a_view_reads_back_as_the_same_view():
    pinned = Settings(sentence="the cat <b>sat</b> & ran", d_k=32, mask="causal")
    view = {"head": 2, "colour": "0-1", "shared_range": False, "animate": True, "pinned": pinned}
    params = view_params(view)
    assert set(params) == set(VIEW_KEYS.values())
    assert from_view_params(params, n_heads=4) == (view, [])


@pytest.mark.parametrize(
    ("params", "notice"),
    [
        ({"hd": "5"}, "head '5' is not one of 0..3; ignored"),
        ({"hd": "9" * 5000}, "is not one of 0..3; ignored"),
        ({"hd": "-1"}, "head '-1' is not one of 0..3; ignored"),
        ({"col": "<b>"}, "colours '<b>' unknown; ignored"),
        ({"sr": "maybe"}, "sr='maybe' is not 0 or 1; ignored"),
        ({"pin": "dk=abc"}, "the pinned state: d_k='abc' is not a whole number"),
    ],
)
def test_a_bad_value_is_dropped_with_a_notice(params, notice):
    view, notices = from_view_params(params, n_heads=4)
    assert "head" not in view and "colour" not in view and "shared_range" not in view
    assert len(notices) == 1 and notice in notices[0]
