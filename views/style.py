"""The page's own CSS: less blank space above the title, and a layout that works on a phone.

The rules are static/page.css, each with a comment on what it does. A page links them with a
one-line `@import`, injected once per run with `st.html`: the browser fetches the file once (its URL
changes with its content), and every session gets a message of 148 bytes instead of 2 kB. The
rules hold no user text. The keyed elements they name: intro (app.py), first_maps, the charts in it
(live_first-0, -1, -2) and first_row (views/first.py), dk_row (views/controls.py), first_menus
(views/source.py), the watcher of the parts near the screen (views/near.py WATCHER), lesson, sentence.
"""

import streamlit as st

from views.live_chart import static_url

STYLE = f'<style>@import url("{static_url("page.css")}");</style>'  # static: no user text


def apply_style():
    """Link the page's CSS (call once per run, before the first element)."""
    st.html(STYLE)
