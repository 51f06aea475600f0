"""The view state in a link: head, colours, shared range, the heads' combination open, pinned state, lesson
step; read back exactly."""

import pytest

from attention import Settings
from exchange.view import DEFAULTS, VIEW_KEYS, from_view_params, step_from_link, view_params


def test_the_default_view_adds_nothing_to_the_link():
    assert view_params(DEFAULTS) == {} and view_params({}) == {}
    assert from_view_params({}, 1) == ({}, [])


def test_a_view_reads_back_as_the_same_view():
    pinned = Settings(sentence="the cat <b>sat</b> & ran", d_k=32, mask="causal")
    view = {
        "head": 2,
        "colour": "0-1",
        "shared_range": False,
        "animate": True,
        "pinned": pinned,
        "combined": True,
    }
    params = view_params(view)
    assert set(params) == set(VIEW_KEYS.values())
    assert from_view_params(params, n_heads=4) == (view, [])


@pytest.mark.parametrize(
    ("params", "notice"),
    [
        ({"hd": "5"}, "hd='5' is not a head 0..3; ignored"),
        ({"hd": "9" * 5000}, "is not a head 0..3; ignored"),
        ({"hd": "-1"}, "hd='-1' is not a head 0..3; ignored"),
        ({"col": "<b>"}, "col='<b>' is not row or 0-1; ignored"),
        ({"sr": "maybe"}, "sr='maybe' is not 0 or 1; ignored"),
        ({"comb": "<b>yes</b>"}, "comb='<b>yes</b>' is not 0 or 1; ignored"),
        ({"pin": "dk=abc"}, "pin (the pinned state): dk='abc' is not a whole number"),
    ],
)
def test_a_bad_value_is_dropped_with_a_notice(params, notice):
    view, notices = from_view_params(params, n_heads=4)
    assert "head" not in view and "colour" not in view and "shared_range" not in view
    assert len(notices) == 1 and notice in notices[0]


@pytest.mark.parametrize(("text", "step"), [("1", 0), ("3", 2), (" 10 ", 9), ("0003", 2)])
def test_a_link_names_a_step_from_one(text, step):
    assert step_from_link(text, 10) == (step, None)


@pytest.mark.parametrize("text", ["0", "11", "999", "abc", "", "-1", "2.0", "1e1", "٣", "9" * 5000])
def test_a_link_naming_no_step_gives_a_notice_and_no_step(text):
    step, notice = step_from_link(text, 10)
    assert step is None and notice.startswith("tour=") and "1 to 10" in notice
    assert len(notice) < 120  # a huge value is shortened, not repeated


def test_no_tour_in_the_link_is_no_notice():
    assert step_from_link(None, 10) == (None, None)
