"""Share and export: a link that restores the page, and every number as data or as a script."""

import threading

import streamlit as st

from exchange import export
from exchange.script import SCRIPT_NAME, to_script
from exchange.share import TAB_KEY
from views import link
from views.copy import copy_button
from views.page import Tab
from views.trace_cache import TraceCache
from views.traces import HEAVY_TOKENS, compute, heavy

FILES = TraceCache(80 * 2**20)  # files made, for every session: the largest, a 512 × 8-head .npz, is 67 MB
TEXT_LIMIT = 64 * 2**20  # bytes; past this the CSV and JSON files are not made (the .npz and script are)
TEXT_FILES = ("attention_matrices.zip", "attention_state.json")
EXPORTING = "export_lock"  # session state: held while one of the session's files is being made


def address(settings, tab):  # Settings, str -> str, the page's address: every piece of state, on `tab`
    params = {k: v for k, v in link.params(settings).items() if k != TAB_KEY}
    params |= {TAB_KEY: tab} if tab != link.tab_titles()[0] else {}
    return link.address(params)


def files(settings, one_at_a_time):  # Settings, Lock -> dict of name -> (callable making the file, mime)
    """Each file is made when its button is clicked (at 512 tokens they take seconds and 100s of MB),
    once per state for every session, one at a time per session, large ones in the heavy-work queue.

    The makers hold the settings, never the trace: a session keeps them while it lives, 120 s after
    its visitor left, and the trace comes back from the shared cache when a file is asked for."""
    makers = {
        "attention_matrices.zip": (export.to_zip_of_csvs, "application/zip"),
        "attention_matrices.npz": (export.to_npz, "application/octet-stream"),
        "attention_state.json": (export.to_json, "application/json"),
        SCRIPT_NAME: (lambda trace: to_script(trace.settings), "text/x-python"),
    }

    def made(name, make):
        def queued():
            with heavy(settings.length >= HEAVY_TOKENS):
                return make(compute(settings))

        def build():
            with one_at_a_time:
                return FILES.get((name, settings), queued)

        return build

    return {name: (made(name, make), mime) for name, (make, mime) in makers.items()}


def section(page):
    trace = page.trace
    st.header("Share and export")
    st.markdown(
        "**Link to this exact page.** Every setting lives in the address, so this link opens the "
        "page as you see it now: the sentence, every setting, the selected cell, the head and colours "
        "shown, the pinned state and the pretrained model's head. Copy it and hand it out."
    )
    tab = st.selectbox("The link opens on the tab", link.tab_titles(), key=link.LINK_TAB)
    url = address(trace.settings, tab)
    st.code(url, language=None, wrap_lines=True)
    copy_button(url, key="copy_link")
    st.markdown(
        "**Every number.** The CSV files have token labels as headers (one file per matrix and head); "
        "the `.npz` and JSON files hold the same matrices at full precision with the settings; the "
        "script needs only numpy and recomputes every matrix of this page from the same settings."
    )
    described = {
        "attention_matrices.zip": "CSV files (zip)",
        "attention_matrices.npz": "NumPy .npz",
        "attention_state.json": "JSON",
        SCRIPT_NAME: "Python script",
    }
    too_large = export.text_bytes(trace) > TEXT_LIMIT
    lock = st.session_state.setdefault(EXPORTING, threading.Lock())
    for col, (name, (data, mime)) in zip(st.columns(4), files(trace.settings, lock).items(), strict=True):
        with col:
            st.download_button(
                described[name],
                data,
                file_name=name,
                mime=mime,
                on_click="ignore",
                key=f"download_{name}",
                width="stretch",
                disabled=too_large and name in TEXT_FILES,
            )
    if too_large:
        st.caption(
            f"At this size the CSV and JSON files would be about {export.text_bytes(trace) / 2**20:.0f} MB "
            f"(past {TEXT_LIMIT // 2**20} MB they are not made here): the .npz holds every matrix at full "
            "precision in a third of that, and the script recomputes them all."
        )
    st.caption(
        "Each chart's camera icon (top right of the chart) saves it as a PNG with its title and labels."
    )


TAB = Tab("Share & export", section)
