"""What every section of the page shares: its context, its limits and its state keys, spelled once."""

from dataclasses import dataclass

from attention import Settings, Trace

LARGE = 64  # tokens; above this the page draws fewer large maps and cells are picked with boxes
GRID_LIMIT = 48  # above this many tokens the per-head grids give way to the head pickers

# Session-state keys the page reads in more than one place (widget keys stay with their widget).
CELL = "cell"  # the selected (query, key) of the weights
TAB = "tab"  # the open tab
PINNED = "pinned"  # the Settings pinned on the Compare tab
SENTENCE = "sentence"  # the sentence box
SHARED_RANGE = "shared_range"  # the toggle: the first two maps on one colour range
HEAD, COLOUR = "head", "colour"  # the head the stages show; the weights' colour range
ANIMATE = "animate_dk"  # the toggle that plays d_k from 1 to 512
VIEW_STATE = {
    "head": HEAD,
    "colour": COLOUR,
    "shared_range": SHARED_RANGE,
    "animate": ANIMATE,
    "pinned": PINNED,
}


@dataclass(frozen=True)
class Page:
    """What a section draws from: the settings, their trace, the head the stages show, the tab names."""

    settings: Settings
    trace: Trace
    head: int
    tabs: tuple
