"""The Step by step tab builds only the stages near the screen (views/near.py).

The browser's watcher reports the stages far from the screen, with their heights, as its state; here
that state is set by hand, as the browser would. A stage reported far is an empty slot of its height,
every other stage is built exactly as before, and nothing else moves.
"""

import math

import pytest

from tests.apptest_helpers import figures, page
from tests.test_app_slots import places
from views.near import MAX_HEIGHT, MIN_HEIGHT, WATCHER, heights

STAGE_FIGURES = {"near_s1": {"projections", "qkv"}, "near_s5": {"head_out"}}


def stage_blocks(at):  # AppTest -> {stage key: (pixel height or None, number of children)}
    found = {}

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and proto.DESCRIPTOR.name == "Block" and "-near_s" in proto.id:
            fixed = proto.height_config.HasField("pixel_height")
            height = proto.height_config.pixel_height if fixed else None
            found["near_" + proto.id.rsplit("-near_", 1)[1]] = (height, len(getattr(node, "children", {})))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def test_without_a_report_every_stage_is_built():
    at = page()
    blocks = stage_blocks(at)
    assert sorted(blocks) == [f"near_s{k}" for k in range(6)]
    assert all(height is None and children > 0 for height, children in blocks.values())
    assert {"x", "projections", "qkv", "mask", "masked", "lines", "head_out"} <= set(figures(at))


def test_a_stage_reported_far_is_an_empty_slot_of_its_height_and_nothing_else_changes():
    at = page()
    built, before = figures(at), places(at)
    at.session_state[WATCHER] = {"far": {"near_s1": 900, "near_s5": 412}}
    at.run()
    assert not at.exception
    blocks = stage_blocks(at)
    assert blocks["near_s1"] == (900, 0) and blocks["near_s5"] == (412, 0)
    built_stages = ("near_s0", "near_s2", "near_s3", "near_s4")
    assert all(blocks[k][0] is None and blocks[k][1] > 0 for k in built_stages)
    shown = figures(at)
    assert set(built) - set(shown) == STAGE_FIGURES["near_s1"] | STAGE_FIGURES["near_s5"]
    for name in shown:  # the stages and maps still built are the same, at the same places
        assert repr(shown[name]) == repr(built[name]), name
    kept = places(at)
    assert all(kept[key] == before[key] for key in kept)


def test_a_stage_scrolled_near_again_is_built_as_before():
    at = page()
    built = figures(at)
    at.session_state[WATCHER] = {"far": {"near_s5": 400}}
    at.run()
    assert "head_out" not in figures(at)
    at.session_state[WATCHER] = {"far": {}}
    at.run()
    assert stage_blocks(at)["near_s5"][0] is None
    assert repr(figures(at)["head_out"]) == repr(built["head_out"])


@pytest.mark.parametrize(
    "reported, expected",
    [
        (None, {}),
        ("far", {}),
        ({"far": None}, {}),
        ({"far": ["near_s1"]}, {}),
        ({"far": {"near_s1": 812.6}}, {"near_s1": 812}),
        ({"far": {"near_s1": 0, "near_s2": -40}}, {"near_s1": MIN_HEIGHT, "near_s2": MIN_HEIGHT}),
        ({"far": {"near_s1": 10**9}}, {"near_s1": MAX_HEIGHT}),
        (
            {"far": {"near_s1": 10**400, "near_s2": -(10**400)}},
            {"near_s1": MAX_HEIGHT, "near_s2": MIN_HEIGHT},
        ),
        (
            {
                "far": {
                    "near_s1": True,
                    "near_s2": "300",
                    "near_s3": math.nan,
                    "near_s4": math.inf,
                }
            },
            {},
        ),
        ({"far": {"near_s9": 300, "intro": 300, "near_s2": 300}}, {"near_s2": 300}),
    ],
)
def test_only_watched_parts_with_a_finite_height_are_left_out(reported, expected):
    assert heights(reported, [f"near_s{k}" for k in range(6)]) == expected


def test_a_report_of_nonsense_builds_every_stage():
    at = page()
    at.session_state[WATCHER] = {"far": {"near_s1": "tall", "near_s7": 300, "near_s2": None}}
    at.run()
    assert not at.exception
    assert all(height is None for height, _ in stage_blocks(at).values())
