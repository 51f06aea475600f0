"""Parts of a long tab built only near the screen.

A map far from the screen already waits to be drawn (static/live_chart.js), but its part of the page was
still built, sent and rendered by the browser on every change: at 7 tokens in a laptop's window, the
Step by step tab's stages below the screen took about a third of the browser's time on a d_k step. Here
a watcher in the browser (static/near.js) tells the page which parts, keyed PART…, lie more than 500 px
above or below the screen (its MARGINS), and how tall each was. Such a part is drawn as an empty slot of
that height, so the page keeps its length and nothing below it moves. Once it is scrolled within 400 px
the watcher says so, and the part is built again (a map in it is drawn within 300). Until the watcher
has spoken (a session's first run, or a page without a browser, such as a test's) every part is built. A
part left out is not on the page at all: the browser's find, a printout or a screen reader sees it once
it has been scrolled near.
"""

import math
from collections.abc import Mapping

import streamlit as st

from views.live_chart import loader, static_url

PART = "near_"  # every part's key starts so: the watcher finds the parts by it (static/near.js PART)
WATCHER = "watch"  # the watcher's key; static/page.css hides its element by it
MIN_HEIGHT, MAX_HEIGHT = 1, 20_000  # px: a slot's height as the browser reported it, within reason

SCRIPT = static_url("near.js")
_watcher = st.components.v2.component("attention_near", js=loader(SCRIPT), isolate_styles=False)


def heights(reported, keys):  # the watcher's state -> {key: px} of the parts it found far
    """The parts the browser said are far, with their heights in whole pixels. What the browser sends is
    not trusted: a key not watched or a height that is no finite number is dropped (that part is
    built), and a height is kept within MIN_HEIGHT and MAX_HEIGHT."""
    far = reported.get("far") if isinstance(reported, Mapping) else None
    if not isinstance(far, Mapping):
        return {}
    return {k: min(max(int(h), MIN_HEIGHT), MAX_HEIGHT) for k, h in far.items() if k in keys and number(h)}


def number(h):  # -> whether h is a finite number of pixels (an int of any size is clamped, never a bool)
    if isinstance(h, bool):
        return False
    return isinstance(h, int) or (isinstance(h, float) and math.isfinite(h))


def far_parts(keys):  # [str] -> {key: px} of the parts to leave out of this run
    """Watch the page's parts (containers keyed PART…, drawn with `part(key, far)`); -> those of `keys`
    the browser last found far, with the height each had. The watcher is one element, keyed WATCHER,
    that takes no room."""
    # a state value needs a callback, or Streamlit refuses its default; the rerun is all it needs
    result = _watcher(key=WATCHER, default={"far": {}}, on_far_change=lambda: None)
    return heights(result, keys)


def part(key, far):  # -> the container to draw part `key` in, or None when it is left out as far
    """The part's slot: its container, or an empty one of the height it had when it went far."""
    if key in far:
        st.container(key=key, height=far[key], border=False)
        return None
    return st.container(key=key)
