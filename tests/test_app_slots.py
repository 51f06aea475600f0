"""Every chart keeps its place on the page when padding, a cut sentence or the length changes.

The browser keeps an element (and the plot in it) only while it sits at the same place in the page's
tree; an element that appears above it moves it, and the chart is then drawn again from nothing. So
each part that comes and goes (the [PAD] caption, the cut-sentence notice, the link's notices, the
maps left out above LARGE tokens) holds one slot, filled or empty.
"""

from tests.apptest_helpers import fix_length, page, sentence_box
from views.live_chart import COMPONENT
from views.page import LARGE


def places(at):  # AppTest -> {component key: its path of child indices in the page's tree}
    found = {}

    def walk(node, path):
        proto = getattr(node, "proto", None)
        if getattr(proto, "component_name", None) == COMPONENT:
            found[node.key] = path
        for index, child in getattr(node, "children", {}).items():
            walk(child, (*path, index))

    walk(at._tree, ())
    return found


def words(n):  # int -> a sentence of n distinct words
    return " ".join(f"w{i}" for i in range(n))


def test_padding_coming_and_going_moves_no_chart():
    at = page()
    fix_length(at, 12).run()
    sentence_box(at).set_value(words(7)).run()  # 5 [PAD] positions
    padded = places(at)
    sentence_box(at).set_value(words(12)).run()  # none
    assert not at.exception
    full = places(at)
    assert set(padded) == set(full) and padded == full
    sentence_box(at).set_value(words(15)).run()  # cut: a notice above the maps
    assert any("drops 3 words" in w.value for w in at.warning)
    assert places(at) == full


def test_crossing_the_large_length_moves_no_chart_that_stays():
    at = page()
    sentence_box(at).set_value(words(LARGE)).run()
    small = places(at)
    sentence_box(at).set_value(words(LARGE + 1)).run()
    assert not at.exception
    large = places(at)
    assert "live_lines.0" in small and "live_lines.0" not in large  # the line view is left out above LARGE
    assert {k: p for k, p in small.items() if k in large} == large


def test_a_notice_from_the_link_moves_no_chart_on_the_next_run():
    at = page({"d_k": "banana"})
    assert at.warning  # the link's bad value is named
    before = places(at)
    sentence_box(at).set_value("the cat sat").run()
    assert not at.warning and places(at) == before
