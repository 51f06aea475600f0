"""Tests of exchange.share: settings to URL parameters and back.

Two promises: a link made from any valid state reads back as exactly that state, and reading any
parameters at all (hand-edited, truncated, hostile) never raises, with a notice for each value that
could not be used.
"""

from dataclasses import fields

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import exchange.share as share
from attention.pipeline import CHOICES, LIMITS, MAX_CHARS, Settings
from exchange.share import CELL_KEY, KEYS, from_params, to_params

FAST = settings(max_examples=100, deadline=None)


def ints(name):
    return st.integers(*LIMITS[name])


valid_settings = st.builds(
    Settings,
    sentence=st.text(max_size=80),
    seq_len=ints("seq_len"),
    d_model=ints("d_model"),
    d_k=ints("d_k"),
    n_heads=ints("n_heads"),
    seed=ints("seed"),
    embedding=st.sampled_from(CHOICES["embedding"]),
    weight_init=st.sampled_from(CHOICES["weight_init"]),
    mask=st.sampled_from(CHOICES["mask"]),
    window=ints("window"),
    prefix=ints("prefix"),
    scaling=st.booleans(),
    temperature=st.floats(*LIMITS["temperature"]),
    positions=st.booleans(),
)


def test_every_setting_has_its_own_short_key():
    assert set(KEYS) == {f.name for f in fields(Settings)}
    assert len(set(KEYS.values())) == len(KEYS) and CELL_KEY not in KEYS.values()


def test_the_default_state_is_an_empty_link():
    assert to_params(Settings()) == {}
    assert from_params({}) == (Settings(), None, [])


def test_only_changed_settings_are_written():
    s = Settings(d_k=8, positions=True, temperature=0.5, mask="sliding window")
    assert to_params(s, cell=(2, 3)) == {
        "dk": "8",
        "pos": "1",
        "tau": "0.5",
        "mask": "sliding window",
        "cell": "2,3",
    }


@FAST
@given(valid_settings, st.none() | st.tuples(st.integers(0, 511), st.integers(0, 511)))
def test_a_link_reads_back_as_the_same_state(s, cell):
    n = s.length  # 0 for an empty sentence that the sequence follows: no cell to select
    cell = None if cell is None or n == 0 else (cell[0] % n, cell[1] % n)
    params = to_params(s, cell)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
    assert from_params(params) == (s, cell, [])


@pytest.mark.parametrize(
    ("params", "notice"),
    [
        ({"dk": "-3"}, "dk=-3 is below 1; using 1"),
        ({"h": "12"}, f"h=12 is above {LIMITS['n_heads'][1]}; using {LIMITS['n_heads'][1]}"),
        ({"dk": "abc"}, "dk='abc' is not a whole number; using the default 16"),
        ({"foo": "1"}, "unknown setting 'foo' ignored"),
        ({"s": "x" * 1_000_000}, f"s: sentence of 1000000 characters cut to {MAX_CHARS}"),
        ({"emb": "xyz"}, "emb='xyz' unknown; using 'hashed'"),
        ({"tau": "nan"}, "tau='nan' is not a finite number; using the default 1.0"),
        ({"tau": "-inf"}, "tau='-inf' is not a finite number; using the default 1.0"),
        ({"tau": "1e999"}, "tau='1e999' is not a finite number; using the default 1.0"),
        (
            {"tau": "0.001"},
            f"tau=0.001 is below {LIMITS['temperature'][0]}; using {LIMITS['temperature'][0]}",
        ),
        ({"scale": "maybe"}, "scale='maybe' is not true/false (1/0); using the default on"),
        ({"cell": "3;4"}, "cell='3;4' is not two whole numbers \"i,j\"; ignored"),
        ({"cell": "3,40"}, "cell='3,40' is outside the 7×7 grid; ignored"),
    ],
)
def test_each_bad_value_gets_a_plain_notice(params, notice):
    s, cell, notices = from_params(params)
    assert notices == [notice]
    assert cell is None


def test_bad_values_fall_back_or_clamp():
    s, _, _ = from_params(
        {"dk": "-3", "h": "12", "dm": "abc", "s": "x" * 6000, "tau": "0.001", "seed": "9" * 5000}
    )
    assert (s.d_k, s.n_heads, s.d_model) == (1, LIMITS["n_heads"][1], Settings().d_model)
    assert s.sentence == "x" * MAX_CHARS
    assert s.temperature == LIMITS["temperature"][0] and s.seed == LIMITS["seed"][1]


@pytest.mark.parametrize(
    ("text", "value"), [("1", True), ("0", False), ("true", True), ("FALSE", False), (" on ", True)]
)
def test_flags(text, value):
    assert from_params({"pos": text, "scale": text})[0].positions is value
    assert from_params({"scale": text})[0].scaling is value


def test_choices_forgive_case_underscores_and_dashes():
    s, _, notices = from_params({"emb": "Char_Codes", "mask": "sliding-window", "init": "UNIFORM"})
    assert (s.embedding, s.mask, s.weight_init, notices) == ("char codes", "sliding window", "uniform", [])


def test_a_repeated_key_uses_its_last_value_and_an_empty_list_is_absent():
    s, _, notices = from_params({"dk": ["4", "8"], "h": [], "tau": "2"})
    assert (s.d_k, s.n_heads, s.temperature, notices) == (8, 1, 2.0, [])


def test_keys_the_page_uses_elsewhere_can_be_ignored():
    assert from_params({"tab": "weights", "n": "4"}, ignore={"tab"}) == (Settings(seq_len=4), None, [])


def test_the_cell_is_checked_against_the_linked_length():
    assert from_params({"n": "4", "cell": "3,2"})[1] == (3, 2)
    assert from_params({"n": "4", "cell": "4,2"})[1] is None


def test_a_combination_settings_rejects_falls_back_to_defaults(monkeypatch):
    class Strict(Settings):  # a rule across two fields, like ones Settings may gain
        def __post_init__(self):
            super().__post_init__()
            if self.d_k > self.d_model:
                raise ValueError(f"d_k={self.d_k} is wider than d_model={self.d_model}")

    monkeypatch.setattr(share, "Settings", Strict)
    s, _, notices = from_params({"dm": "4", "dk": "8"})
    assert isinstance(s, Strict) and (s.d_model, s.d_k) == (16, 16)  # the default d_k=16 needs d_model=16 too
    assert notices == [
        "dk=8 is wider than dm=4; using the default dk=16",
        "dk=16 is wider than dm=4; using the default dm=16",
    ]


anything = st.one_of(st.text(max_size=30), st.lists(st.text(max_size=30), max_size=3))
known_key = st.sampled_from([*KEYS.values(), CELL_KEY])


@FAST
@given(st.dictionaries(st.one_of(st.text(max_size=10), known_key), anything, max_size=8))
def test_reading_any_parameters_never_raises(params):
    s, cell, notices = from_params(params)
    assert isinstance(s, Settings)
    assert cell is None or (0 <= cell[0] < s.seq_len and 0 <= cell[1] < s.seq_len)
    assert all(isinstance(n, str) and n for n in notices)
    unknown = [k for k in params if k not in KEYS.values() and k != CELL_KEY]
    assert sum("unknown setting" in n for n in notices) == len(unknown)


numberish = st.one_of(
    st.text(alphabet="0123456789+-.eEinfa_ ,", max_size=12),
    st.floats().map(repr),
    st.integers(-(10**40), 10**40).map(str),
)


@FAST
@given(st.dictionaries(known_key, numberish, max_size=len(KEYS)))
def test_number_like_values_never_raise_and_land_in_range(params):
    s, cell, _ = from_params(params)
    for name, (low, high) in LIMITS.items():
        assert low <= getattr(s, name) <= high
