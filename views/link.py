"""The page's address and the state it carries: read once when a session opens, written once a run.

Every part of the address has one parser in `exchange/` (the settings, the view state, the tabs' own
keys, the lesson's step) and this module is the only one that touches `st.query_params`. The order
a session opens in is `open_session`'s: the link's settings and view state go into the widgets
first, then each part that owns keys (a tab, the lesson) gets its values and may override them.
Callbacks change settings only through `set_settings` and the selected cell only through
`select_cell`, so the widgets that follow a setting (the fixed-length toggle, the cell) stay in step.

The address follows the tab being viewed (st.tabs reports it under TAB and reruns on a switch). The
Share & export tab's link, which the visitor reads on that tab, opens on the tab viewed before it:
each switch of tab puts the tab left into that link's menu (LINK_TAB), until the visitor picks another.
"""

from urllib.parse import urlencode

import streamlit as st

from attention import Settings
from exchange.share import OLD_TABS, TAB_KEY, from_params, to_params
from exchange.view import DEFAULTS, VIEW_KEYS, from_view_params, view_params
from views.page import CELL, FIXED, TAB, VIEW_STATE

OPENED = "link_opened"  # the address the session opened with
OWNED = "link_owned"  # owner -> the URL parameters it last put (the link's own, until it does)
TITLES = "link_tabs"  # the tabs' titles, in order
VIEWED = "link_viewed"  # the tab open on the last run
LINK_TAB = "link_tab"  # the Share & export tab's menu of the tab its link opens on (views/export.py)
FIELDS = tuple(vars(Settings()))


def open_session(tabs, parts=()):  # tuple[Tab], tuple[LinkKeys] -> list[str] notices
    """On a session's first run, put the address into the widgets; later runs return at once."""
    if OPENED in st.session_state:
        return []
    params = st.query_params.to_dict()
    st.session_state[OPENED] = params
    parts = tuple(t.link for t in tabs if t.link) + tuple(parts)
    owned = {k for part in parts for k in part.keys}
    settings, cell, notices = from_params(params, ignore={TAB_KEY, *VIEW_KEYS.values(), *owned})
    view, view_notices = from_view_params(params, settings.n_heads)
    st.session_state.update({VIEW_STATE[name]: value for name, value in view.items()})
    set_settings(**vars(settings))
    select_cell(*(cell or (None, None)))
    st.session_state[TITLES] = tuple(t.title for t in tabs)
    notices += view_notices + _open_tab(params.get(TAB_KEY))
    st.session_state[OWNED] = {}
    for part in parts:
        values = {k: params[k] for k in part.keys if k in params}
        st.session_state[OWNED][part.owner] = values
        notices += part.on_open(values) if part.on_open else []
    return notices


def _open_tab(title):  # str | None -> list[str] notices
    if title is None:
        return []
    title = OLD_TABS.get(title, title)
    if title in tab_titles():
        show_tab(title)
        return []
    return [f"unknown tab {title[:40]!r} ignored; showing {tab_titles()[0]!r}"]


def tab_titles():  # -> tuple[str]
    return st.session_state.get(TITLES, ())


def show_tab(title):
    """Open a tab (from a callback, or before the tabs are drawn)."""
    st.session_state[TAB] = title


def open_tab(tabs):  # tuple[Tab] -> Tab, the one open now (call before the tabs are drawn)
    """The tab open now; on a switch, the tab left becomes the one the Share & export link opens on."""
    tab = next((t for t in tabs if t.title == st.session_state.get(TAB)), tabs[0])
    left = st.session_state.get(VIEWED)
    if left is not None and left != tab.title:
        st.session_state[LINK_TAB] = left
    st.session_state[VIEWED] = tab.title
    return tab


def settings():  # -> Settings, or ValueError for a combination the widgets allow but Settings rejects
    """The settings the widgets describe; a widget not drawn this run stands at its default."""
    defaults = vars(Settings())
    values = {name: st.session_state.get(name, default) for name, default in defaults.items()}
    if not st.session_state.get(FIXED):
        values["seq_len"] = 0
    return Settings(**values)


def set_settings(**changes):
    """Change settings (Settings field names), each in its widget; the only way a callback does it.

    seq_len 0 (follow the sentence) switches the fixed-length toggle off and leaves its slider where
    it was; any other length switches it on. A selected cell the new length cannot hold is cleared.
    """
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"not a setting: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        if name == "seq_len":
            st.session_state[FIXED] = value > 0
            if value > 0:
                st.session_state[name] = value
        else:
            st.session_state[name] = value
    cell = st.session_state.get(CELL)
    if cell is not None:
        try:
            fits = max(cell) < settings().length
        except ValueError:
            fits = True  # the combination is refused below the maps; the cell waits for a valid one
        if not fits:
            st.session_state[CELL] = None


def select_cell(i, j):  # int | None, int | None
    """Select the (query, key) cell the page explains and the link carries; None, None clears it."""
    st.session_state[CELL] = None if i is None or j is None else (int(i), int(j))


def owned(owner):  # str -> dict[str, str], the URL parameters a part owns: the link's until it puts its own
    return dict(st.session_state.get(OWNED, {}).get(owner, {}))


def put(owner, params):  # str, dict[str, str]
    """Replace a part's URL parameters; they are written with the rest at the end of the run."""
    st.session_state.setdefault(OWNED, {})[owner] = dict(params)


def params(current):  # Settings -> dict[str, str], the whole address of the page as it is now
    out = to_params(current, st.session_state.get(CELL))
    titles = tab_titles()
    if titles and st.session_state.get(TAB, titles[0]) != titles[0]:
        out[TAB_KEY] = st.session_state[TAB]
    view = {name: st.session_state.get(key, DEFAULTS[name]) for name, key in VIEW_STATE.items()}
    out |= view_params(view)
    for values in st.session_state.get(OWNED, {}).values():
        out |= values
    return out


def address(query):  # dict[str, str] -> str, the page's URL with these parameters
    base = (st.context.url or "http://localhost:8501/").split("?")[0].rstrip("/") + "/"
    return base + ("?" + urlencode(query) if query else "")


def write(current):  # Settings | None
    """Write the address once, at the end of a run; an unusable combination leaves the last one."""
    if current is not None:
        st.query_params.from_dict(params(current))
