"""The first screen, headless: three maps of the head shown, numbers in the cells, what moved."""

import re

import numpy as np

from attention import Settings, run
from attention.moves import what_moved
from charts import figures as fg
from charts.weights import NUMBERS_LIMIT, cells_path, row_scaled, weights_map
from tests.apptest_helpers import (
    array,
    close,
    figures,
    page,
    sentence_box,
    status_line,
    texts,
    ticktext,
    weights,
    z,
)
from tests.streamlit_adapter import click_map
from views.common import literal


def shapes(fig, colour):  # figure -> set of (row, col) outlined in that colour
    """The cells a path shape of that colour outlines: one square "M x,y H.. V.. H.. Z" per cell."""
    found = set()
    for s in fig["layout"].get("shapes", []):
        if s.get("line", {}).get("color") == colour and s["type"] == "path":
            corners = re.findall(r"M([-\d.]+),([-\d.]+)H", s["path"])
            found |= {(round(float(y) + 0.5), round(float(x) + 0.5)) for x, y in corners}
    return found


def test_outlines_are_one_path_of_squares_per_colour():
    assert cells_path([(0, 0)]) == "M-0.5,-0.5H0.5V0.5H-0.5Z"
    assert cells_path([(2, 3), (0, 1)], 0.12) == "M2.62,1.62H3.38V2.38H2.62ZM0.62,-0.38H1.38V0.38H0.62Z"
    w = np.array([[0.7, 0.3], [0.4, 0.6]])
    moved = np.array([[True, False], [False, False]])
    shapes = weights_map(w, ["a", "b"], "t", moved=moved, focus_row=1)["layout"]["shapes"]
    assert [s["type"] for s in shapes] == ["rect", "path", "path"]  # the row's outline first: moves append
    assert shapes[1]["path"] == cells_path([(0, 0), (1, 1)])  # each row's largest weight
    assert shapes[2]["path"] == cells_path([(0, 0)], 0.12)  # the moved cell, inset


def test_the_three_maps_hold_the_scores_the_scaled_scores_and_the_weights():
    at = page()
    t = run(Settings())
    figs = figures(at)
    close(z(figs["scores"]), t.attention.scores[0], atol=1e-5)
    close(z(figs["scaled"]), t.attention.scaled[0], atol=1e-5)
    w = weights(figs["weights"])
    close(w, t.attention.weights[0])
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-6)
    assert ticktext(figs["weights"]) == list(t.tokens) and "[PAD]" not in ticktext(figs["weights"])
    zs = figs["scores"]["data"][0]
    assert (zs["zmin"], zs["zmax"]) == (figs["scaled"]["data"][0]["zmin"], figs["scaled"]["data"][0]["zmax"])


def test_up_to_numbers_limit_tokens_every_cell_sends_its_weight_to_print_where_it_fits():
    at = page()
    heat = figures(at)["weights"]["data"][0]
    assert heat["texttemplate"] == "%{text:.2f}"
    close(array(heat["text"]).astype(float), run(Settings()).attention.weights[0])
    words = " ".join(f"w{i}" for i in range(NUMBERS_LIMIT + 1))
    sentence_box(at).input(words).run()
    assert "texttemplate" not in figures(at)["weights"]["data"][0]  # 33 tokens: colours and hover only


def test_each_row_is_coloured_to_its_own_largest_weight_or_to_one():
    at = page()
    w = run(Settings()).attention.weights[0]
    heat = figures(at)["weights"]["data"][0]
    close(z(figures(at)["weights"]), row_scaled(w))
    assert np.allclose(np.nanmax(z(figures(at)["weights"]), axis=1), 1.0)
    assert heat["colorbar"]["title"]["text"] == "÷ row max"
    at.segmented_control(key="colour").set_value("0-1").run()
    close(z(figures(at)["weights"]), w)
    assert figures(at)["weights"]["data"][0]["colorbar"]["title"]["text"] == "weight"


def test_the_row_maxima_are_outlined():
    at = page()
    w = run(Settings()).attention.weights[0]
    assert shapes(figures(at)["weights"], "#ff6b00") == {(i, int(np.argmax(w[i]))) for i in range(len(w))}


def test_a_tied_maximum_is_outlined_in_every_cell_that_holds_it():
    """A repeated word gets exactly its twin's weight: both hold the row's maximum."""
    sentence = "the cat and the cat"
    at = page()
    sentence_box(at).input(sentence).run()
    w = run(Settings(sentence=sentence)).attention.weights[0]
    tied = {(i, j) for i in range(len(w)) for j in range(len(w)) if w[i, j] >= w[i].max() * (1 - 1e-12)}
    assert any(sum(1 for i, _ in tied if i == r) > 1 for r in range(len(w)))  # a real tie is on the page
    assert shapes(figures(at)["weights"], "#ff6b00") == tied


def test_after_a_change_the_moved_cells_are_marked_and_the_biggest_move_named():
    at = page()
    assert not shapes(figures(at)["weights"], "#d6336c")  # nothing moved yet
    at.number_input(key="d_k").set_value(32).run()
    before, after = run(Settings()), run(Settings(d_k=32))
    moves = what_moved(before, after)
    marked = shapes(figures(at)["weights"], "#d6336c")
    assert marked == {(int(i), int(j)) for i, j in zip(*np.nonzero(moves.changed), strict=True)}
    assert 0 < len(marked) < 49
    word = after.tokens[moves.query]
    line = status_line(at)
    assert f"d_k 16 → 32: the largest weight of {literal(word)}" in line  # the word as typed, never rendered
    assert f"from {moves.before_max:.2f} to {moves.after_max:.2f}" in line


def test_padding_is_greyed_when_the_length_is_fixed():
    at = page({"n": "10"})
    grey = [s for s in figures(at)["weights"]["layout"]["shapes"] if s.get("fillcolor")]
    assert len(grey) == 2  # the [PAD] rows and the [PAD] columns
    assert {(s.get("y0"), s.get("x0")) for s in grey} == {(6.5, 0), (0, 6.5)}


def test_a_click_on_the_weights_selects_that_cell_for_the_share_link():
    at = page()
    click_map(at, "weights", 2, 4)
    assert at.session_state["cell"] == (2, 4) and at.query_params["cell"] == "2,4"


def test_the_first_two_maps_share_one_colour_range_unless_switched_off():
    at = page()
    scores, scaled = (figures(at)[name]["data"][0] for name in ("scores", "scaled"))
    assert scores["zmax"] == scaled["zmax"] and scores["showscale"] is False
    at.toggle(key="shared_range").set_value(False).run()
    scores, scaled = (figures(at)[name]["data"][0] for name in ("scores", "scaled"))
    t = run(Settings())
    assert scores["zmax"] == fg.round_up(np.abs(t.attention.scores[0]).max())  # each its own range
    assert scaled["zmax"] == fg.round_up(np.abs(t.attention.scaled[0]).max())


def test_the_step_by_step_tab_has_a_line_view_of_the_weights():
    at = page()
    fig = figures(at)["lines"]
    w = run(Settings()).attention.weights[0]
    drawn = {tuple(int(p[1:]) for p in shape["name"].split()[1:]) for shape in fig["layout"]["shapes"]}
    assert drawn == {(i, j) for i in range(7) for j in range(7) if w[i, j] >= 0.05}
    assert len(fig["data"]) == 3  # the token ends on each side and the legend: the lines are shapes


def test_the_first_screen_says_its_weights_are_untrained_and_which_random_draw_they_are():
    at = page()
    line = next(t for t in texts(at.caption) if t.startswith("Untrained weights"))
    assert "seed 0" in line and "normal" in line and "a fixed random vector per word" in line
    assert "Pretrained model tab" in line and "Showing 7 tokens." in line  # one line, above the maps
    assert line.endswith("Orange marks each row's largest weight; change the sentence or a setting and the "
                         "cells whose weight moves get a pink mark.")  # fmt: skip
    at.slider(key="seed").set_value(7).run()
    at.radio(key="weight_init").set_value("uniform").run()
    line = next(t for t in texts(at.caption) if t.startswith("Untrained weights"))
    assert "seed 7" in line and "uniform [0, 1)" in line


def test_a_long_text_can_be_read_twenty_four_rows_at_a_time_each_labelled():
    words = [f"w{i}" for i in range(40)]
    at = page({"s": " ".join(words)})
    assert figures(at)["weights"]["layout"]["yaxis"]["autorange"] == "reversed"  # every row, by default
    at.toggle(key="first_window").set_value(True).run()
    at.slider(key="first_window_from").set_value(10).run()
    figs = figures(at)
    assert set(figs) >= {"scores", "scaled", "weights"}
    for fig in (figs["scores"], figs["scaled"], figs["weights"]):
        yaxis = fig["layout"]["yaxis"]
        assert yaxis["range"] == [9 + 24 - 0.5, 9 - 0.5]  # rows 10-33 (9-32 from 0), the first on top
        assert yaxis["ticktext"] == words and "labelled" not in yaxis["title"]["text"]
        assert len(z(fig)) == 40  # every row still sent: hover and clicks keep their positions
    sentence_box(at).input(" ".join(words[:30])).run()  # a shorter text: the window stays inside
    assert at.slider(key="first_window_from").value == 7
    assert figures(at)["weights"]["layout"]["yaxis"]["range"] == [6 + 24 - 0.5, 6 - 0.5]
    sentence_box(at).input(" ".join(words[:24])).run()
    assert "first_window" not in [t.key for t in at.toggle]  # 24 rows fit: no window to offer


def test_each_exact_box_says_its_range_beside_it():
    """A value past the range gets the box's red mark; the slider's help says why before it happens."""
    at = page()
    helps = {s.key: s.help for s in at.select_slider}
    assert "any value from 0.05 to 20" in helps["temperature_step"]
    assert "any value from 1 to 512" in helps["d_k_step"]


def test_a_paragraph_is_edited_in_a_box_of_several_lines_and_a_sentence_in_one_line():
    paragraph = " ".join(f"word{i}" for i in range(30))  # 229 characters
    at = page({"s": paragraph})
    assert [w.key for w in at.text_area] == ["sentence"]
    assert not [w for w in at.text_input if w.key == "sentence"]
    box = at.text_area(key="sentence")
    assert box.value == paragraph and "Ctrl+Enter" in box.help
    at.text_area(key="sentence").input("a short one").run()  # back to one line, the text kept
    assert sentence_box(at).value == "a short one" and at.query_params["s"] == "a short one"
    assert not [w for w in at.text_area if w.key == "sentence"]
    sentence_box(at).input(paragraph).run()  # and to several lines again, the text kept
    assert at.text_area(key="sentence").value == paragraph and at.query_params["s"] == paragraph
    assert status_line(at).startswith("Showing 30 tokens")


def test_the_line_on_what_moved_is_a_sentence_and_keeps_a_settings_name():
    at = page()
    sentence_box(at).input("a dog ran").run()
    assert status_line(at).endswith("The sentence changed: every word is new.")  # capital, full stop
    at.number_input(key="d_k").set_value(32).run()
    line = status_line(at)
    assert " d_k 16 → 32: " in line and line.endswith(".") and "D_k" not in line  # the setting as named


def test_the_word_in_the_line_on_what_moved_is_shown_literally():
    hostile = "**a** [b](https://e.example) ![c](https://e.example/c.png) `d` <b>e</b>"
    at = page({"s": hostile})
    at.number_input(key="d_k").set_value(2).run()
    before, after = run(Settings(sentence=hostile)), run(Settings(sentence=hostile, d_k=2))
    word = after.tokens[what_moved(before, after).query]
    line = status_line(at)
    assert f"the largest weight of {literal(word)} " in line and f'"{word}"' not in line


def test_a_text_with_a_line_break_keeps_its_box_of_several_lines():
    at = page({"s": "The cat\nsat on the mat"})  # short, but an input would drop the break
    assert at.text_area(key="sentence").value == "The cat\nsat on the mat"
    assert status_line(at).startswith("Showing 6 tokens")
