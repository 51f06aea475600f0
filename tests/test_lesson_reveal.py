"""The lesson grades only what the page determines: each question's own answer function, over 20 seeds.

A graded question must have one answer at every seed of its step's settings (the mechanism decides
it, not the draw); an ungraded one is ungraded because the draw decides it, which is checked too.
"""

import pytest

from views.lesson import focus_row
from views.lesson_reveal import REVEALS, SEEDS, seeds_top
from views.lesson_steps import STEPS, WORD
from views.page import Page
from views.traces import compute

QUESTIONS = [pytest.param(i, id=s.title) for i, s in enumerate(STEPS) if s.question]


def answers_over_seeds(i):  # step index -> list of the choices counted right, one frozenset per seed
    step, found = STEPS[i], []
    for seed in SEEDS:
        settings = step.settings.replace(seed=seed)
        trace = compute(settings)
        reveal = REVEALS[step.question.kind](Page(settings, trace, 0), step.question, focus_row(step, trace))
        found.append(reveal.right)
    return found


def test_twenty_seeds_are_asked():
    assert list(SEEDS) == list(range(20))


@pytest.mark.parametrize("i", QUESTIONS)
def test_a_question_is_graded_exactly_when_every_seed_gives_it_one_answer(i):
    found = answers_over_seeds(i)
    assert all(len(right) == 1 for right in found) or not STEPS[i].question.graded  # one right choice
    assert (len(set(found)) == 1) == STEPS[i].question.graded, (STEPS[i].title, sorted(map(sorted, found)))


def test_the_guess_about_random_weights_is_ungraded_and_says_how_many_words_the_seeds_pick():
    (i,) = [i for i, s in enumerate(STEPS) if s.question and not s.question.graded]
    step = STEPS[i]
    settings = step.settings.replace(**step.question.reveal)
    tops = set()
    for seed in SEEDS:  # a plain loop: the word "it" looks at most, seed by seed
        trace = compute(settings.replace(seed=seed))
        row = trace.attention.weights[0][trace.tokens.index(WORD)]
        tops.add(trace.tokens[int(row.argmax())])
    assert seeds_top(settings, 0) == tops and len(tops) > 1
    reveal = REVEALS[step.question.kind](Page(step.settings, compute(step.settings), 0), step.question, None)
    assert f"pick {len(tops)} different words" in reveal.why


def test_when_the_settings_leave_the_row_no_choice_the_reveal_says_so_not_that_seeds_disagree():
    (i,) = [i for i, s in enumerate(STEPS) if s.question and not s.question.graded]
    step = STEPS[i]
    narrow = step.settings.replace(mask="sliding window", window=1)  # each word sees only itself
    reveal = REVEALS[step.question.kind](Page(narrow, compute(narrow), 0), step.question, None)
    assert "all pick ` it `: the settings leave that row no other choice" in reveal.why
    assert "different words" not in reveal.why
