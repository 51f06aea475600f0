"""What every part of the page shares: its context, how a tab declares itself, limits and state keys."""

from collections.abc import Callable
from dataclasses import dataclass

from attention import Settings, Trace

LARGE = 64  # tokens; above this the page draws fewer large maps and cells are picked with boxes
GRID_LIMIT = 48  # above this many tokens the per-head grids give way to the head pickers

# Session-state keys the page reads in more than one place (widget keys stay with their widget).
CELL = "cell"  # the selected (query, key) of the weights
TAB = "tab"  # the open tab
PRETRAINED = "Pretrained model"  # the title of the tab with a trained model's attention
PINNED = "pinned"  # the Settings pinned on the Compare tab
SENTENCE = "sentence"  # the sentence box
FIXED = "fixed_length"  # the toggle: a fixed sequence length instead of one position per word
SHARED_RANGE = "shared_range"  # the toggle: the first two maps on one colour range
HEAD, COLOUR = "head", "colour"  # the head the stages show; the weights' colour range
ANIMATE = "animate_dk"  # the toggle that plays d_k from 1 to 512
COMBINED = "combined"  # whether the heads' concatenation and W_O are open (the expander keeps its own key)
VIEW_STATE = {  # exchange.view's names -> their session-state keys
    "head": HEAD,
    "colour": COLOUR,
    "shared_range": SHARED_RANGE,
    "animate": ANIMATE,
    "pinned": PINNED,
    "combined": COMBINED,
}


@dataclass(frozen=True)
class Page:
    """What a section draws from: the settings, their trace and the head the stages show."""

    settings: Settings
    trace: Trace
    head: int


@dataclass(frozen=True)
class LinkKeys:
    """The URL keys a part of the page owns, beyond the settings and the view state.

    The address's owner (views.link) keeps their values in the link for the part to read and
    replace; `on_open(values)`, if given, runs once when a session opens and returns notices.
    """

    owner: str  # the part's name: a tab's title, or "lesson"
    keys: tuple[str, ...]
    on_open: Callable[[dict], list[str]] | None = None


@dataclass(frozen=True)
class Tab:
    """One tab of the page, declared by its own module and listed in views.tabs."""

    title: str
    section: Callable[[Page], None]  # draws the tab's body
    # (sentence) -> None, drawn above the toy's settings; it may read only the sentence and draw no widget
    # (the page below the sidebar reruns alone and redraws the app when that changes: views/controls.py)
    sidebar: Callable[[str], None] | None = None
    link: LinkKeys | None = None  # URL keys of the tab's own state
