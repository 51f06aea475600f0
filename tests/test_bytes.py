"""What the largest page sends: every tab opened at 512 tokens and 8 heads, counted on the websocket.

A session that opens a link to any tab of the largest state (512 tokens, 8 heads, d_model 512) is
sent at most SESSION_BOUND bytes, in no message larger than MESSAGE_BOUND: the maps travel once as
float32, only the open tab is drawn. `.streamlit/config.toml` states the measured figures beside its
`maxMessageSize`, and README's "Deploying" section the budget they give a replica.
"""

import pytest

from harness.protocol import load_page, query, run_apart
from views.tabs import TABS

MESSAGE_BOUND = 4 * 2**20  # bytes in one websocket message (measured: 2.0 MB, one 512 × 512 map's payload)
SESSION_BOUND = 12 * 2**20  # bytes a session is sent opening one tab (measured: 9.3 MB, Step by step)
LARGEST = {"s": " ".join(f"w{i}" for i in range(512)), "h": 8, "dm": 512, "dk": 64}


def tab_case(tab):
    marks = [pytest.mark.model] if tab.title == "Pretrained model" else []
    return pytest.param(tab.title, marks=marks, id=tab.title)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("title", [tab_case(t) for t in TABS])
def test_a_session_of_the_largest_state_is_sent_a_bounded_number_of_bytes(app_server, title):
    outcome = run_apart(load_page(app_server, query(LARGEST | {"tab": title}), timeout=300))
    assert outcome.ok and outcome.error is None and outcome.exceptions == []
    assert outcome.bytes > 3 * 2**20  # the three first-screen maps at least: a page, not an error
    assert outcome.largest <= MESSAGE_BOUND
    assert outcome.bytes <= SESSION_BOUND
