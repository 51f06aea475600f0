"""The page's address, headless: every setting survives a link, and a bad link never breaks the page."""

from urllib.parse import parse_qsl, urlsplit

import pytest

from attention import Settings
from attention.pipeline import MAX_CHARS
from exchange.share import KEYS
from tests.apptest_helpers import figures, outside_code, page, sentence_box, shown, texts, widget_values

CHANGED = {  # a non-default value for every setting
    "sentence": "one two three two one",
    "seq_len": 12,
    "d_k": 8,
    "seed": 3,
    "embedding": "random",
    "d_model": 24,
    "n_heads": 2,
    "mask": "sliding window",
    "window": 4,
    "prefix": 2,  # the default: its control is shown only for the prefix mask (tested on its own below)
    "scaling": False,
    "temperature": 1.5,
    "weight_init": "uniform",
    "positions": True,
}
DEFAULTS = vars(Settings())


def change_everything(at):  # AppTest -> AppTest, every widget set to CHANGED, not yet run
    sentence_box(at).input(CHANGED["sentence"])
    at.selectbox(key="embedding").set_value(CHANGED["embedding"])
    at.selectbox(key="mask").set_value(CHANGED["mask"])
    at.toggle(key="fixed_length").set_value(True).run()  # draws the length and the window sliders
    for name in ("seq_len", "seed", "d_model", "n_heads", "window"):
        at.slider(key=name).set_value(CHANGED[name])
    for name in ("d_k", "temperature"):
        at.number_input(key=name).set_value(CHANGED[name])
    at.radio(key="weight_init").set_value(CHANGED["weight_init"])
    at.toggle(key="scaling").set_value(CHANGED["scaling"])
    at.toggle(key="positions").set_value(CHANGED["positions"])
    return at


def test_the_default_page_has_a_clean_address():
    at = page()
    assert at.query_params == {}
    assert widget_values(at) == DEFAULTS


def test_every_control_survives_a_round_trip_through_the_address():
    at = page()
    change_everything(at).run()
    at.session_state["tab"] = "Compare"
    at.run()
    assert not at.exception
    assert widget_values(at) == CHANGED
    params = dict(at.query_params)
    assert set(params) == set(KEYS.values()) - {"p"} | {"tab"}  # every setting but the prefix changed
    assert params["dk"] == "8" and params["tab"] == "Compare" and params["scale"] == "0"
    again = page(params=params)
    assert widget_values(again) == CHANGED
    assert again.session_state["tab"] == "Compare"
    assert "Before and after" in texts(again.header)
    assert not again.warning
    assert dict(again.query_params) == params  # reading the link does not rewrite it


def test_a_masks_own_control_round_trips_when_that_mask_is_chosen():
    at = page({"mask": "prefix", "p": "3"})
    assert at.slider(key="prefix").value == 3 and widget_values(at)["prefix"] == 3
    assert "window" not in [w.key for w in at.slider]
    at.slider(key="prefix").set_value(5).run()
    assert at.query_params["p"] == "5"


def test_the_share_link_restores_the_page():
    at = page()
    change_everything(at).run()
    at.session_state["tab"] = "Share & export"
    at.run()
    [link] = texts(at.code)
    again = page(params=dict(parse_qsl(urlsplit(link).query, keep_blank_values=True)))
    assert widget_values(again) == CHANGED
    assert not again.warning


@pytest.mark.parametrize(
    "params, setting, value, notice",
    [
        ({"dk": "-3"}, "d_k", 1, "dk=-3 is below 1; using 1"),
        ({"dk": "abc"}, "d_k", 16, "dk='abc' is not a whole number; using the default 16"),
        (
            {"s": "word " * 100_000},
            "sentence",
            ("word " * 1000)[:MAX_CHARS],
            "s: sentence of 500000 characters cut to 5000",
        ),
        ({"emb": "xyz"}, "embedding", "hashed", "emb='xyz' unknown; using 'hashed'"),
        ({"foo": "1"}, None, None, "unknown setting 'foo' ignored"),
        ({"n": "99999"}, "seq_len", 512, "n=99999 is above 512; using 512"),
        (
            {"tau": "nan"},
            "temperature",
            1.0,
            "tau='nan' is not a finite number; using the default 1.0",
        ),
        ({"cell": "x"}, None, None, "cell='x' is not two whole numbers"),
    ],
)
def test_a_bad_value_in_the_address_falls_back_with_a_notice(params, setting, value, notice):
    at = page(params=params)
    assert not at.exception
    expected = DEFAULTS if setting is None else DEFAULTS | {setting: value}
    assert widget_values(at) == expected
    assert [w for w in texts(at.warning) if notice in shown(w)], texts(at.warning)
    assert figures(at)  # the page still draws
    assert set(at.query_params) <= set(KEYS.values())  # the unusable value is gone from the address


def test_an_unknown_tab_in_the_address_opens_the_first_tab():
    at = page(params={"tab": "<script>"})
    assert not at.exception
    assert "tab" not in at.query_params and figures(at)
    assert "Before and after" not in texts(at.header)


def test_a_link_with_a_renamed_tab_opens_it_under_its_new_name():
    at = page(params={"tab": "From the notebook"})
    assert at.session_state["tab"] == "Letters to numbers" and at.query_params["tab"] == "Letters to numbers"
    assert "Letters to numbers, by hand" in texts(at.header) and not at.warning


def test_a_megabyte_link_opens_the_default_page():
    """Streamlit drops a query string over 512 KiB before the page can read it, so no notice is possible."""
    at = page(params={"s": "x" * 1_000_000, "dk": "64"})
    assert not at.exception
    assert widget_values(at) == DEFAULTS
    assert figures(at) and at.query_params == {}


def test_a_link_cannot_put_markup_on_the_page():
    at = page(params={"emb": "[click](https://example.com)", "![i](https://example.com/i.png)": "1"})
    notes = texts(at.warning)
    assert len(notes) == 2 and all("https://example.com" in shown(n) for n in notes)
    for note in notes:  # shown as typed: never a live link or a fetched image
        assert "](" not in outside_code(note), note


def test_a_word_too_wide_for_character_codes_is_refused_with_a_notice():
    at = page(params={"s": "a" * 600, "emb": "char codes"})
    assert not at.exception
    assert widget_values(at)["embedding"] == "hashed"  # the link's combination falls back
    assert any("char codes" in shown(w) for w in texts(at.warning)), texts(at.warning)
    at.selectbox(key="embedding").set_value("char codes").run()  # chosen by hand: a notice, no traceback
    assert not at.exception and not figures(at)
    assert any("Choose another embedding" in shown(w) for w in texts(at.warning))
