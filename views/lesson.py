"""The guided lesson: ten steps over the live first screen, four of them "predict, then reveal".

The panel sits above the maps and stays short, so the map a step names is on screen without
scrolling (at 1440 × 900, tests/test_browser_lesson.py measures it): the title, the tally and the
way on in one row, the step in one paragraph, a question's choices in one row. Each step applies its
settings to the page's own widgets (in a button's callback, so the widgets show them on the next
run), says what to look at, and may ask for a prediction before applying the change it asks about.
Only a question the page determines whatever the seed is graded; a guess about the random weights
is shown, not marked. `?tour=N` opens step N; leaving keeps whatever the lesson set.
"""

import streamlit as st

from attention import lesson
from exchange.view import TOUR, step_from_link
from views import link, source
from views.lesson_reveal import NUMBERS, REVEALS
from views.lesson_steps import STEPS, WORD
from views.page import LinkKeys

OWNER = "lesson"  # its part of the address: TOUR, the 1-based step
STEP, ACTIVE, ANSWERS = "lesson_step", "lesson_active", "lesson_answers"  # 0-based step, on, {step: record}
PICK = "lesson_pick_{}"  # the answer widget of a step
BESIDE = ("lab", "model")  # numbers drawn beside the step's text; a row's or the heads' line goes below it


def apply(settings, tab=None):
    """Put a whole state into the widgets (the first screen on the toy's random projections, which the
    steps talk about); call from a callback, before the widgets are drawn."""
    link.set_settings(**vars(settings))
    st.session_state[source.SOURCE] = source.RANDOM
    if tab is not None:
        link.show_tab(tab)


def answers():  # -> dict of step -> record of the learner's answer
    return st.session_state.setdefault(ANSWERS, {})


def go(i):
    """Open step i with its settings (and its revealed change, once answered)."""
    step = STEPS[i]
    record = answers().get(i)
    apply(step.settings.replace(**(record["changes"] if record else {})), step.tab)
    st.session_state.update({STEP: i, ACTIVE: True})


def leave():
    st.session_state[ACTIVE] = False


def open_from_link(values):  # dict of this part's URL values -> list[str] notices
    """?tour=N opens the lesson at step N, whose settings replace the link's (the session is opening)."""
    i, notice = step_from_link(values.get(TOUR), len(STEPS))
    if i is None:
        return [notice] if notice else []
    apply(STEPS[i].settings, STEPS[i].tab)
    st.session_state.update({STEP: i, ACTIVE: True})
    return []


LINK = LinkKeys(OWNER, (TOUR,), on_open=open_from_link)


def focus_row(step, trace):  # Step, Trace -> int | None, the row the step asks the learner to watch
    if step.focus == "first":
        return 0
    if step.focus == "word":
        return lesson.find_word(trace.words, WORD)
    return None


def answered(i, reveal, before):
    """Record the learner's first answer, then apply the change the question asked about to `before`."""
    choice = st.session_state.get(PICK.format(i))
    if choice is None or i in answers():
        return
    graded = STEPS[i].question.graded
    record = {"choice": reveal.labels[choice], "right": graded and choice in reveal.right, "graded": graded}
    answers()[i] = record | {"changes": reveal.changes, "answer": reveal.answer, "why": reveal.why}
    if reveal.changes:
        apply(before.replace(**reveal.changes))


def question_ui(i, question, page, query):
    record = answers().get(i)
    if record is None:
        reveal = REVEALS[question.kind](page, question, query)
        first = "**Predict first:**" if question.graded else "**Guess first:**"
        st.pills(
            f"{first} {question.prompt}",
            list(reveal.labels),
            format_func=reveal.labels.get,
            key=PICK.format(i),
            on_change=answered,
            args=(i, reveal, page.settings),
        )
        return
    choice, answer = record["choice"], record["answer"]
    if not record["graded"]:
        verdict = f":blue-badge[Not graded] You guessed {choice}; the page shows {answer}."
    elif record["right"]:
        verdict = f":green-badge[:material/check: Right] You predicted {choice}, and so it is."
    else:
        verdict = f":red-badge[Not so] You predicted {choice}; the page shows {answer}."
    st.markdown(f"{verdict} **Why.** {record['why']}")  # one paragraph, no box: the map stays on screen


def tally_line():  # -> str, the graded predictions so far
    right, wrong = lesson.tally(r["right"] for r in answers().values() if r["graded"])
    asked = sum(1 for s in STEPS if s.question and s.question.graded)
    return f"Predictions: {right} right, {wrong} wrong, {asked - right - wrong} to go."


def nav_ui(i):
    """Back, Next (Finish at the end), Leave and the step's link."""
    st.button("← Back", on_click=go, args=(i - 1,), disabled=i == 0, key="lesson_back")
    if i + 1 < len(STEPS):
        st.button("Next →", on_click=go, args=(i + 1,), key="lesson_next", type="primary")
    else:
        st.button("Finish", on_click=leave, key="lesson_finish", type="primary")
    st.button("Leave the lesson", on_click=leave, key="lesson_leave")
    with st.popover("Link", icon=":material/link:", help="A link that opens the lesson at this step"):
        st.caption("Opens the lesson at this step, with its settings: for a class.")
        st.code(link.address({TOUR: str(i + 1)}), language=None, wrap_lines=True)


def header_ui(i, step):
    """The step's title, the tally and the way on, in one row that wraps on a phone."""
    with st.container(horizontal=True, vertical_alignment="center", key="lesson_header"):
        st.markdown(f"**Lesson, step {i + 1} of {len(STEPS)}:** {step.title}", width="content")
        st.caption(tally_line(), width="content")
        st.space("stretch")
        nav_ui(i)


def lesson_panel(page):  # Page -> int | None, the row of the weights map to outline
    """The lesson's current step above the first screen, or a button to start it."""
    if not st.session_state.get(ACTIVE):
        link.put(OWNER, {})
        label = f"Guided lesson: {len(STEPS)} steps, predict then reveal"
        st.button(
            label, on_click=go, args=(0,), key="lesson_start", type="tertiary", icon=":material/school:"
        )
        return None
    i = min(st.session_state.get(STEP, 0), len(STEPS) - 1)
    step = STEPS[i]
    link.put(OWNER, {TOUR: str(i + 1)})  # the address bar opens this step too
    focus = focus_row(step, page.trace)
    with st.container(border=True, key="lesson", gap="xsmall"):
        header_ui(i, step)
        beside = step.numbers in BESIDE
        words, numbers = st.columns([3, 2], gap="medium") if beside else (st.container(), st.container())
        words.markdown(f"{step.text} **Look at:** {step.look}")
        if step.numbers:
            with numbers:
                NUMBERS[step.numbers](page, focus)
        if step.question:
            question_ui(i, step.question, page, focus)
    return focus
