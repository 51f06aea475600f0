"""The guided lesson: ten steps over the live first screen, four of them "predict, then reveal".

The panel sits above the maps. Each step applies its settings to the page's own widgets (in a
button's callback, so the widgets show them on the next run), says what to look at, and may ask
for a prediction before applying the change it asks about. `?tour=N` opens step N; leaving keeps
whatever the lesson set.
"""

from urllib.parse import urlencode

import streamlit as st

from attention import lesson
from exchange.share import TAB_KEY, to_params
from views.controls import D_K_STEPS, FIXED, TEMPERATURES, nearest
from views.lesson_reveal import NUMBERS, REVEALS
from views.lesson_steps import STEPS, WORD
from views.page import CELL, TAB

TOUR = "tour"  # the link's key: the 1-based step the lesson opens at
STEP, ACTIVE, ANSWERS = "lesson_step", "lesson_active", "lesson_answers"  # 0-based step, on, {step: record}
LINK_READ = "lesson_link_read"
PICK = "lesson_pick_{}"  # the answer widget of a step


def apply(settings, tab=None):
    """Put a state into the widgets; call from a callback, before the widgets are drawn."""
    st.session_state.update(vars(settings))
    st.session_state["d_k_step"] = nearest(D_K_STEPS, settings.d_k)
    st.session_state["temperature_step"] = nearest(TEMPERATURES, settings.temperature)
    st.session_state[FIXED] = settings.seq_len > 0
    cell = st.session_state.get(CELL)
    if cell is not None and max(cell) >= settings.length:
        st.session_state[CELL] = None
    if tab is not None:
        st.session_state[TAB] = tab


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


def open_from_link():  # -> list[str], notices about a `tour` value that names no step
    """On a session's first run, ?tour=N opens the lesson at step N: its settings replace the link's.

    Called before the controls read the address, which then carries step N's settings.
    """
    if LINK_READ in st.session_state:
        return []
    st.session_state[LINK_READ] = True
    i, notice = lesson.step_from_link(st.query_params.get(TOUR), len(STEPS))
    if i is None:
        return [notice] if notice else []
    tab = {TAB_KEY: STEPS[i].tab} if STEPS[i].tab else {}
    st.query_params.from_dict(to_params(STEPS[i].settings) | tab | {TOUR: str(i + 1)})
    st.session_state.update({STEP: i, ACTIVE: True})
    return []


def link(i):  # -> str, the page's address opening the lesson at step i (0-based)
    base = (st.context.url or "http://localhost:8501/").split("?")[0].rstrip("/") + "/"
    return base + "?" + urlencode({TOUR: i + 1})


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
    record = {"choice": reveal.labels[choice], "right": choice in reveal.right, "changes": reveal.changes}
    answers()[i] = record | {"answer": reveal.answer, "why": reveal.why}
    if reveal.changes:
        apply(before.replace(**reveal.changes))


def question_ui(i, question, page, query):
    record = answers().get(i)
    if record is None:
        reveal = REVEALS[question.kind](page, question, query)
        st.pills(
            f"**Predict first:** {question.prompt}",
            list(reveal.labels),
            format_func=reveal.labels.get,
            key=PICK.format(i),
            on_change=answered,
            args=(i, reveal, page.settings),
        )
        return
    if record["right"]:
        st.success(f"Right: you predicted {record['choice']}, and so it is.")
    else:
        st.error(f"You predicted {record['choice']}; the page shows {record['answer']}.")
    st.markdown(f"**Why.** {record['why']}")


def header_ui(i, step):
    n = len(STEPS)
    st.progress((i + 1) / n, text=f"**Lesson, step {i + 1} of {n}:** {step.title}")
    right, wrong = lesson.tally(r["right"] for r in answers().values())
    asked = sum(1 for s in STEPS if s.question)
    st.caption(f"Predictions: {right} right, {wrong} wrong, {asked - right - wrong} to go.")


def nav_ui(i):
    """Back, Next (Finish at the end), Leave and the step's link, in a row that wraps on a phone."""
    with st.container(horizontal=True):
        st.button("← Back", on_click=go, args=(i - 1,), disabled=i == 0, key="lesson_back")
        if i + 1 < len(STEPS):
            st.button("Next →", on_click=go, args=(i + 1,), key="lesson_next", type="primary")
        else:
            st.button("Finish", on_click=leave, key="lesson_finish", type="primary")
        st.button("Leave the lesson", on_click=leave, key="lesson_leave")
        with st.popover("Link to this step", icon=":material/link:"):
            st.caption("Opens the lesson at this step, with its settings: for a class.")
            st.code(link(i), language=None, wrap_lines=True)


def lesson_panel(page):  # Page -> int | None, the row of the weights map to outline
    """The lesson's current step above the first screen, or a button to start it."""
    if not st.session_state.get(ACTIVE):
        label = f"Guided lesson: {len(STEPS)} steps, predict then reveal"
        st.button(
            label, on_click=go, args=(0,), key="lesson_start", type="tertiary", icon=":material/school:"
        )
        return None
    i = min(st.session_state.get(STEP, 0), len(STEPS) - 1)
    step = STEPS[i]
    st.query_params[TOUR] = str(i + 1)  # the address bar opens this step too
    focus = focus_row(step, page.trace)
    with st.container(border=True, key="lesson"):
        header_ui(i, step)
        words, numbers = st.columns([3, 2], gap="medium") if step.numbers else (st.container(), None)
        words.markdown(f"{step.text}\n\n**Look at:** {step.look}")
        if numbers is not None:
            with numbers:
                NUMBERS[step.numbers](page, focus)
        if step.question:
            question_ui(i, step.question, page, focus)
        nav_ui(i)
    return focus
