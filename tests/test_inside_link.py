"""Tests of exchange.inside: the Beyond the weights tab's keys in the link, read against the text shown.

A bad value never fails: it is clamped or falls back to its default, and the notice quotes the key
and the text the visitor wrote.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.inside import DEFAULTS, KEYS, fits, from_params, model_limits, nearest, to_params, toy_limits

TOY, MODEL = toy_limits(7), model_limits(6, 12, 15)


def test_no_link_gives_the_defaults_and_writes_nothing():
    values, notices = from_params({}, TOY)
    assert notices == [] and values == {name: DEFAULTS[name] for name in TOY}
    assert to_params(values) == {}
    values, notices = from_params({}, MODEL)
    assert notices == [] and values == {"layer": None, "head": None, "model_row": 1, "sink": 0, "eps": 0.3}


def test_every_value_survives_a_round_trip():
    chosen = {"part": "tiled", "model": "minilm", "row": 3, "plus_one": True, "offset": 2.5}
    chosen |= {"prefill": 3, "step": 2, "block": 3, "shown": 2}
    params = to_params(chosen)
    assert params == {"bp": "tiled", "bm": "minilm", "bq": "3", "b1": "1", "bo": "2.5", "bf": "3",
                      "bs": "2", "bb": "3", "bn": "2"}  # fmt: skip
    assert from_params(params, TOY) == (chosen, [])
    model = {"layer": 4, "head": 2, "model_row": 10, "sink": 14, "eps": 0.55}
    assert from_params(to_params(model), MODEL) == (model, [])


@pytest.mark.parametrize(
    ("params", "name", "value", "notice"),
    [
        ({"bq": "99"}, "row", 6, "bq=99 is above 6; using 6"),
        ({"bq": "-3"}, "row", 0, "bq=-3 is below 0; using 0"),
        ({"bq": "two"}, "row", 0, "bq='two' is not a whole number; using the default 0"),
        ({"bo": "nan"}, "offset", 0.0, "bo='nan' is not a number; using the default 0.0"),
        ({"bo": "1e9"}, "offset", 20.0, "bo=1e9 is above 20.0; using 20.0"),
        ({"b1": "yes"}, "plus_one", False, "b1='yes' is not 0 or 1; using the default 0"),
        ({"bp": "<b>x</b>"}, "part", "contributions", "bp='<b>x</b>' is not one of contributions"),
        ({"bf": "4", "bs": "9"}, "step", 3, "bs=9 is above 3; using 3"),  # 7 tokens, 4 read at once
        ({"bb": "3", "bn": "4"}, "shown", 3, "bn=4 is above 3; using 3"),  # 7 keys in blocks of 3
        ({"bq": "9" * 500}, "row", 0, "bq='" + "9" * 30 + "…' is not a whole number"),
    ],
)
def test_a_bad_value_is_named_with_its_key_and_replaced(params, name, value, notice):
    values, notices = from_params(params, TOY)
    assert values[name] == value
    assert len(notices) == 1 and notices[0].startswith(notice), notices


def test_model_values_are_bounded_by_the_model_and_a_layer_needs_its_head():
    values, notices = from_params({"bl": "9", "bh": "3", "bk": "40", "be": "1"}, MODEL)
    assert (values["layer"], values["head"], values["sink"], values["eps"]) == (5, 3, 14, 0.95)
    assert notices == [
        "bl=9 is above 5; using 5",
        "bk=40 is above 14; using 14",
        "be=1 is above 0.95; using 0.95",
    ]
    values, notices = from_params({"bl": "2"}, MODEL)
    assert values["layer"] is None and values["head"] is None
    assert notices == ["bl='2' names no head without bh; ignored"]


def test_fits_and_nearest_follow_the_ranges_the_text_allows():
    assert fits("row", 6, TOY) and not fits("row", 7, TOY) and not fits("row", None, TOY)
    assert fits("step", 3, TOY, {"prefill": 4}) and not fits("step", 4, TOY, {"prefill": 4})
    assert nearest("step", 6, TOY, {"prefill": 4}) == 3 and nearest("part", "x", TOY) == "contributions"
    assert fits("plus_one", True, TOY) and not fits("part", None, TOY)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(list(KEYS.values())), st.text(max_size=40)))
def test_reading_any_link_never_fails_and_lands_in_range(params):
    for limits in (TOY, MODEL):
        values, notices = from_params(params, limits)
        assert all(isinstance(n, str) for n in notices)
        for name, value in values.items():
            assert value is None or fits(name, value, limits, values), (name, value)
