"""The page's other tabs, headless: masks, before and after, the notebook walkthrough, share and export."""

import io
import json
import threading
import zipfile

import numpy as np
import pytest

from attention import MASK_KINDS, Settings, run
from attention.diff import shuffle_words
from exchange import export
from exchange.script import SCRIPT_NAME
from tests.apptest_helpers import (
    array,
    arrays_reachable,
    close,
    figures,
    fix_length,
    outside_code,
    page,
    sentence_box,
    shown,
    texts,
    ticktext,
    z,
)
from tests.streamlit_adapter import record_downloads
from views.export import FILES, files
from views.traces import TRACES, compute


def test_masks_tab_draws_every_mask_beside_its_weights():
    figs = figures(page(tab="Masks"))
    drawn = {name for name in figs if name.startswith("pg_")}
    assert {f"pg_mask_{k}" for k in MASK_KINDS} | {f"pg_weights_{k}" for k in MASK_KINDS} == drawn
    for kind in MASK_KINDS:
        t = run(Settings(mask=kind))
        mask = np.ones((7, 7), bool) if t.mask is None else t.mask
        np.testing.assert_array_equal(z(figs[f"pg_mask_{kind}"]), mask.astype(float), err_msg=kind)
        close(z(figs[f"pg_weights_{kind}"]), np.where(mask, t.attention.weights[0], np.nan))


def test_compare_tab_shows_after_minus_before():
    at = page(tab="Compare")
    assert "Nothing pinned yet." in texts(at.info)
    at.button(key="pin").click().run()
    assert "The pinned state is the current one: change something to see a difference." in texts(at.info)
    at.slider(key="seed").set_value(5).run()
    assert not at.exception
    before, after = run(Settings()), run(Settings(seed=5))
    figs = figures(at)
    for name in ("scores", "scaled", "weights"):
        expected = getattr(after.attention, name)[0] - getattr(before.attention, name)[0]
        close(z(figs[f"diff_{name}"]), expected, atol=1e-5)
        assert np.abs(expected).max() > 0.01  # the seed really changed the map
    assert "- changed **seed**: `0` → `5`" in texts(at.markdown)


def test_a_changed_word_is_named_and_shown_literally():
    at = page(tab="Compare")
    at.button(key="pin").click().run()
    words = Settings().sentence.split()
    words[1], words[3] = "**weather**", "[link](https://example.com)![i](https://example.com/i.png)"
    sentence_box(at).input(" ".join(words)).run()
    assert not at.exception
    notes = [w for w in texts(at.warning) if "replaced" in w]
    seen = [shown(note) for note in notes]
    assert len(notes) == 2 and '"**weather**"' in seen[0] and "https://example.com/i.png" in seen[1]
    for note in notes:  # a word is text: never bold, never a link or a fetched image
        rendered = outside_code(note)
        assert "**" not in rendered and "](" not in rendered, note


def edit_warnings(at):  # AppTest -> the warnings naming an edit between the two states
    return [w for w in texts(at.warning) if any(k in w for k in ("replaced", "inserted", "removed"))]


def diff_maps(at):  # AppTest -> dict of the three difference maps' z, by map name
    figs = figures(at)
    return {name: z(figs[f"diff_{name}"]) for name in ("scores", "scaled", "weights")}


def test_differences_that_are_only_rounding_are_exactly_zero():
    at = page(tab="Compare")
    at.number_input(key="d_k").set_value(9)
    at.number_input(key="temperature").set_value(0.1).run()
    at.button(key="pin").click().run()
    # ÷ (0.1·√9) and ÷ 0.3 are the same division, up to rounding
    at.toggle(key="scaling").set_value(False)
    at.number_input(key="temperature").set_value(0.3).run()
    assert not at.exception
    raw = run(Settings(d_k=9, temperature=0.3, scaling=False)).attention.weights[0]
    raw = raw - run(Settings(d_k=9, temperature=0.1)).attention.weights[0]
    assert 0 < np.abs(raw).max() < 1e-12  # the two states really differ, by rounding only
    for name, m in diff_maps(at).items():
        assert not m.any(), name  # exactly zero: drawn white
    [note] = [c for c in texts(at.caption) if c.startswith("Largest |after − before|")]
    largest = float(note.split("weights ")[1].split(".")[0] + "." + note.split("weights ")[1].split(".")[1])
    assert 0 < largest < 1e-12


def test_shuffling_without_positions_shows_white_maps_and_no_edits():
    at = page(tab="Compare")
    at.button(key="shuffle").click().run()
    assert not at.exception
    shuffled = sentence_box(at).value
    assert sorted(shuffled.split()) == sorted(Settings().sentence.split()) and shuffled != Settings().sentence
    assert edit_warnings(at) == []  # a pure reordering: no "replaced" or "inserted" warnings
    for name, m in diff_maps(at).items():
        assert m.shape == (7, 7) and not m.any(), name
    assert ticktext(figures(at)["diff_weights"]) == Settings().sentence.split()  # the pinned order
    [note] = [s for s in texts(at.success) if "Without positions" in s]
    assert "every map above is white" in note


def test_shuffling_with_positions_changes_the_weights():
    at = page(tab="Compare")
    at.toggle(key="positions").set_value(True).run()
    sentence_box(at).input("one two three four five six seven").run()
    at.button(key="shuffle").click().run()
    expected = shuffle_words("one two three four five six seven", seed=0)  # the page's seed
    assert sentence_box(at).value == expected != "one two three four five six seven"
    assert not at.exception and edit_warnings(at) == []
    [note] = [i for i in texts(at.info) if "Reordering changes the attention" in i]
    assert "positions are added to X" in note
    assert np.abs(diff_maps(at)["weights"]).max() > 1e-3


def test_shuffling_words_a_fixed_length_cut_says_so_and_keeps_the_point():
    at = page(tab="Compare")
    fix_length(at, 5).run()
    at.button(key="shuffle").click().run()
    assert not at.exception
    words = sentence_box(at).value.split()
    assert words[5:] == ["in", "Melbourne"] and sorted(words[:5]) == sorted(Settings().sentence.split()[:5])
    assert edit_warnings(at) == [] and not any("not compared" in w for w in texts(at.warning))
    [note] = [i for i in texts(at.info) if "fixed length of 5" in i]
    assert "keeps 5 words" in note and "in Melbourne" in note
    for name, m in diff_maps(at).items():
        assert m.shape == (5, 5) and not m.any(), name
    assert any("Without positions" in s for s in texts(at.success))


def test_a_replaced_word_keeps_its_row_and_column_outlined():
    at = page(tab="Compare")
    at.button(key="pin").click().run()
    sentence_box(at).input(Settings().sentence.replace("beautiful", "gloomy")).run()
    assert not at.exception
    figs = figures(at)
    assert ticktext(figs["diff_weights"])[3] == "gloomy"
    before, after = (
        run(Settings()),
        run(Settings(sentence=Settings().sentence.replace("beautiful", "gloomy"))),
    )
    close(z(figs["diff_scores"]), after.attention.scores[0] - before.attention.scores[0], atol=1e-5)
    for name in ("diff_scores", "diff_scaled", "diff_weights"):
        rects = {(s["x0"], s["x1"], s["y0"], s["y1"]) for s in figs[name]["layout"]["shapes"]}
        assert rects == {(-0.5, 6.5, 2.5, 3.5), (2.5, 3.5, -0.5, 6.5)}, name  # row 3 and column 3
    assert any("keeps its row and column, outlined" in c for c in texts(at.caption))


def test_an_inserted_word_is_named_and_left_out_of_the_maps():
    at = page(tab="Compare")
    at.button(key="pin").click().run()
    sentence_box(at).input(Settings().sentence.replace("is", "is very")).run()
    assert 'inserted \\"very\\" at position 3' in texts(at.warning)
    assert any("their rows and columns are left out" in c for c in texts(at.caption))
    assert z(figures(at)["diff_weights"]).shape == (7, 7) and not figures(at)["diff_weights"]["layout"].get(
        "shapes"
    )


def test_notebook_tab_reproduces_the_walkthrough_without_its_bugs():
    at = page(tab="Letters to numbers")
    figs = figures(at)
    codes = z(figs["char_codes"])
    assert codes.shape == (7, 9)
    np.testing.assert_array_equal(codes[0, :4], [20, 8, 5, 0])  # "The": t h e, zero-padded
    weights = array(figs["length_weights"]["data"][0]["y"])
    np.testing.assert_allclose(weights, np.array([3, 7, 2, 9, 5, 2, 9]) / 37)
    assert round(weights[0], 3) == 0.081 and round(weights[-1], 3) == 0.243
    frame = at.dataframe[0].value
    assert frame.shape == (1, 9)
    np.testing.assert_allclose(frame.iloc[0, :2], [13.297297297297, 7.837837837838], rtol=1e-12)
    assert at.metric[0].value == "78.4864864865"


@pytest.fixture
def downloads(monkeypatch):  # -> dict of file name -> bytes, as each download button would give them
    return record_downloads(monkeypatch)


def test_share_tab_links_to_this_state_and_offers_every_number(downloads):
    at = page(tab="Share & export")
    at.number_input(key="d_k").set_value(64)
    at.selectbox(key="mask").set_value("causal").run()
    assert not at.exception
    [link] = texts(at.code)
    assert link.startswith("http://") and "dk=64" in link and "mask=causal" in link
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["CSV files (zip)", "NumPy .npz", "JSON", "Python script"]
    t = run(Settings(d_k=64, mask="causal"))
    with np.load(io.BytesIO(downloads["attention_matrices.npz"])) as npz:
        np.testing.assert_array_equal(npz["head0/weights"], t.attention.weights[0])
        np.testing.assert_array_equal(npz["mask"], t.mask)
    state = json.loads(downloads["attention_state.json"])
    assert state["settings"]["d_k"] == 64 and state["tokens"] == list(t.tokens)
    with zipfile.ZipFile(io.BytesIO(downloads["attention_matrices.zip"])) as archive:
        assert "head0/weights.csv" in archive.namelist()
        assert json.loads(archive.read("settings.json"))["settings"]["mask"] == "causal"
    script = downloads[SCRIPT_NAME].decode()
    assert "'d_k': 64," in script and "'mask': 'causal'," in script


def test_the_share_link_can_open_another_tab():
    at = page(tab="Share & export")
    at.selectbox(key="link_tab").set_value("Scaling lab").run()
    [link] = texts(at.code)
    assert "tab=Scaling+lab" in link
    at.selectbox(key="link_tab").set_value("Step by step").run()
    [link] = texts(at.code)
    assert "tab=" not in link and link.endswith("/")  # the default page: no parameters at all


def test_the_share_link_opens_on_the_tab_viewed_before_share_and_export():
    at = page(tab="Masks")
    at.session_state["tab"] = "Share & export"  # what st.tabs reports when the visitor switches
    at.run()
    assert at.selectbox(key="link_tab").value == "Masks"
    [link] = texts(at.code)
    assert "tab=Masks" in link
    at.selectbox(key="link_tab").set_value("Compare").run()  # the visitor's pick stays until the next switch
    assert at.selectbox(key="link_tab").value == "Compare" and "tab=Compare" in texts(at.code)[0]


def test_a_file_is_made_once_per_state_for_every_session_that_asks(monkeypatch):
    made, real = [], export.to_npz
    monkeypatch.setattr(export, "to_npz", lambda trace: made.append(trace) or real(trace))
    FILES.clear()
    trace = run(Settings())
    first, second = (files(trace.settings, threading.Lock())["attention_matrices.npz"][0] for _ in range(2))
    assert first() is second() and len(made) == 1


def test_a_session_makes_one_file_at_a_time():
    FILES.clear()
    busy, out = threading.Lock(), []
    build = files(Settings(), busy)[SCRIPT_NAME][0]
    busy.acquire()  # another of the session's files is being made
    thread = threading.Thread(target=lambda: out.append(build()))
    thread.start()
    thread.join(0.5)
    assert thread.is_alive() and out == []
    busy.release()
    thread.join(30)
    assert out and b"'d_k'" in out[0].encode()


def test_past_the_text_limit_only_the_npz_and_the_script_are_offered(downloads):
    long = {"s": " ".join(f"w{i}" for i in range(256)), "h": "8", "dm": "512", "dk": "64"}
    at = page(long, tab="Share & export")
    offered = {b.proto.label: not b.proto.disabled for b in at.get("download_button")}
    assert offered == {"CSV files (zip)": False, "NumPy .npz": True, "JSON": False, "Python script": True}
    assert any("the .npz holds every matrix" in c for c in texts(at.caption))
    with np.load(io.BytesIO(downloads["attention_matrices.npz"])) as npz:
        assert npz["head7/weights"].shape == (256, 256)


def test_the_file_makers_a_session_keeps_hold_no_matrix():
    large = Settings(sentence=" ".join(f"w{i}" for i in range(128)), n_heads=8, d_model=512, d_k=64)
    TRACES.clear()
    makers = files(large, threading.Lock())
    compute(large)  # the trace in the shared cache, as when the tab was drawn
    assert arrays_reachable(makers) < 100_000
