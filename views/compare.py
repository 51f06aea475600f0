"""Before and after: pin a state, change anything, see the difference; shuffle to test positions."""

import streamlit as st

from attention.diff import MAPS, diff_traces, largest_note, position_reasons, shuffle_words
from charts import grids
from views import link
from views.common import literal, plain
from views.live_chart import draw
from views.page import PINNED, Tab
from views.traces import compute

TITLES = {"scores": "Scores Q·Kᵀ", "scaled": "Scaled scores", "weights": "Weights"}


def pin(settings):
    st.session_state[PINNED] = settings


def shuffle(settings):
    """Pin the current state, then reorder the words a fixed length keeps, by the page's seed."""
    pin(settings)
    link.set_settings(sentence=shuffle_words(settings.sentence, settings.seed, keep=settings.length))


def cut_note(before, after, reordered):
    """Say plainly which words a fixed sequence length left out of the comparison."""
    for trace, state in ((before, "pinned"), (after, "current")):
        if not trace.n_dropped:
            continue
        kept = len(trace.words)
        words = literal(" ".join(trace.dropped))
        if reordered:
            st.info(
                f"The fixed length of {len(trace.tokens)} keeps {kept} words of the {state} sentence: the "
                f"shuffle reordered those {kept}, and the cut words stay cut in both states: {words}"
            )
            return
        st.warning(
            f"The fixed length of {len(trace.tokens)} cuts the {state} sentence: {words} are not compared."
        )


def edit_notes(d):
    """Name every edit; say which words have no row in the shared grid."""
    for edit in d.alignment.edits:
        st.warning(plain(edit.describe()))  # the words are user text: never render them
    if d.replaced:
        st.caption("A word replaced by one other word keeps its row and column, outlined in the maps below.")
    if any(e.kind != "replaced" or len(e.before) != len(e.after) for e in d.alignment.edits):
        st.caption(
            "Inserted or removed words have no partner in the other state: their rows and columns are "
            "left out of the maps below."
        )


def differences(before, after, h):
    d = diff_traces(before, after)
    for name, old, new in d.changed:
        st.markdown(
            f"- changed **{name}**: `{old!r}` → `{new!r}`" if name != "sentence" else "- the sentence changed"
        )
    cut_note(before, after, d.reordered)
    if not d.reordered:
        edit_notes(d)
    if d.incompatible:
        st.info(f"No difference maps: {d.incompatible}.")
        return d
    if d.reordered:
        st.caption("Each word is compared with itself: the maps undo the shuffle (rows in the pinned order).")
    else:
        st.caption(
            f"Compared on the {len(d.labels)} tokens present in both states; red = grew, blue = shrank."
        )
    titles = {f"diff_{n}": f"{TITLES[n]}: after − before" for n in MAPS}
    maps = {f"diff_{n}": getattr(d, n)[h] for n in MAPS}
    draw(grids.difference_maps(maps, list(d.labels), titles, d.replaced), key="diff", columns=3)
    st.caption(largest_note(d.largest))
    return d


def positions_check(d, after):
    """After a shuffle: the point it makes, with or without positions."""
    if not d.reordered or d.incompatible:
        return
    if not any(getattr(d, n).any() for n in MAPS):
        st.success(
            "Without positions, attention only follows the words: after the shuffle every word attends "
            "exactly as before, so every map above is white. Switch on *Sinusoidal positions* under "
            "More settings to see that change."
        )
    else:
        why = "; ".join(position_reasons(after.settings)) or "the settings depend on word order"
        st.info(f"Reordering changes the attention itself here: {why}.")


def section(page):
    trace, h = page.trace, page.head
    st.header("Before and after")
    st.markdown(
        "Pin the current state, then change anything (a word, the seed, d_k, the mask): the maps below "
        "show after − before on the tokens both states share, and inserted or removed words are named "
        "instead of being silently misaligned. *Shuffle words* pins the state and reorders the sentence."
    )
    left, right = st.columns(2)
    left.button("Pin this state", icon=":material/push_pin:", on_click=pin, args=(trace.settings,), key="pin")
    shuffle_icon = ":material/shuffle:"  # icons, not emoji: they draw without an emoji font
    right.button("Shuffle words", icon=shuffle_icon, on_click=shuffle, args=(trace.settings,), key="shuffle")
    pinned = st.session_state.get(PINNED)
    if pinned is None:
        st.info("Nothing pinned yet.")
        return
    before = compute(pinned)
    if before.settings == trace.settings:
        st.info("The pinned state is the current one: change something to see a difference.")
    d = differences(before, trace, min(h, before.settings.n_heads - 1))
    positions_check(d, trace)


TAB = Tab("Compare", section)
