"""Before and after: pin a state, change anything, see the difference; shuffle to test positions."""

import streamlit as st

from attention.diff import MAPS, diff_traces, permutation, permuted_gap, shuffle_words
from charts import figures as fg
from views.common import compute, draw, plain
from views.page import PINNED, SENTENCE

TAB = "Compare"

TITLES = {"scores": "Scores Q·Kᵀ", "scaled": "Scaled scores", "weights": "Weights"}


def pin(settings):
    st.session_state[PINNED] = settings


def shuffle(settings):
    """Pin the current state, then reorder the sentence's words by the page's seed (before the next rerun)."""
    pin(settings)
    st.session_state[SENTENCE] = shuffle_words(settings.sentence, settings.seed)


def differences(before, after, h):
    d = diff_traces(before, after)
    for name, old, new in d.changed:
        st.markdown(
            f"- changed **{name}**: `{old!r}` → `{new!r}`" if name != "sentence" else "- the sentence changed"
        )
    for edit in d.alignment.edits:
        st.warning(plain(edit.describe()))  # the words are user text: never render them
    if d.incompatible:
        st.info(f"No difference maps: {d.incompatible}.")
        return
    st.caption(f"Compared on the {len(d.labels)} tokens present in both states; red = grew, blue = shrank.")
    labels = list(d.labels)
    figs = {
        f"diff_{name}": fg.heatmap(
            getattr(d, name)[h], labels, labels, f"{TITLES[name]}: after − before", value="difference"
        )
        for name in MAPS
    }
    draw(figs, key="diff", columns=3)


def positions_check(before, after, h):
    p = permutation(before.tokens, after.tokens)
    if p is None or before.settings.replace(sentence=after.settings.sentence) != after.settings:
        return
    gap = permuted_gap(before.attention.weights[h], after.attention.weights[h], p)
    if after.settings.positions:
        st.info(
            f"With positions, reordering changes the attention itself: after undoing the shuffle the "
            f"weights still differ by up to {gap:.3g}."
        )
    else:
        st.success(
            f"Without positions, attention only follows the words around: after undoing the shuffle "
            f"the weights are the same numbers (largest difference {gap:.3g}), and a repeated word "
            "has identical rows. Switch on positions under *Advanced* to see that change."
        )


def section(page):
    trace, h = page.trace, page.head
    st.header("Before and after")
    st.markdown(
        "Pin the current state, then change anything (a word, the seed, d_k, the mask): the maps below "
        "show after − before on the tokens both states share, and inserted or removed words are named "
        "instead of being silently misaligned. *Shuffle words* pins the state and reorders the sentence."
    )
    left, right = st.columns(2)
    left.button("📌 Pin this state", on_click=pin, args=(trace.settings,), key="pin")
    right.button("🔀 Shuffle words", on_click=shuffle, args=(trace.settings,), key="shuffle")
    pinned = st.session_state.get(PINNED)
    if pinned is None:
        st.info("Nothing pinned yet.")
        return
    before = compute(pinned)
    if before.settings == trace.settings:
        st.info("The pinned state is the current one: change something to see a difference.")
    differences(before, trace, min(h, before.settings.n_heads - 1))
    positions_check(before, trace, h)
