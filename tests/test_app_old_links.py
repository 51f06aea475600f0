"""Links made by the page at commit 34a4652 open the same state today.

`tests/data/links_34a4652.json` was written by running `state_of` (below) against that commit's
app, for each link: the address the page wrote back after its first run, the state of every widget
and view, and the notices. Each link is opened here in a fresh session and must give the same, except for
the notices reworded since then to name the key as the link wrote it (REWORDED).
"""

import json
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from tests.apptest_helpers import start

RECORDED = json.loads((Path(__file__).parent / "data" / "links_34a4652.json").read_text())
REWORDED = {  # a notice recorded at 34a4652 -> today's words: the key written (dk=, hd=), not the setting
    "d\\_k\\=\\'abc\\' is not a whole number\\; using the default 16": (
        "dk\\=\\'abc\\' is not a whole number\\; using the default 16"
    ),
    "head \\'7\\' is not one of 0\\.\\.0\\; ignored": "hd\\=\\'7\\' is not a head 0\\.\\.0\\; ignored",
}
KEYS = [  # the session-state keys of every setting, view and tab state a link can carry
    *("sentence", "seq_len", "fixed_length", "d_model", "d_k", "n_heads", "seed", "embedding"),
    *("weight_init", "mask", "window", "prefix", "scaling", "temperature", "positions", "cell", "tab"),
    *("head", "colour", "shared_range", "animate_dk", "pinned"),
    *("pt_layer", "pt_head", "pt_query", "pt_key", "pt_view", "pt_hide", "lesson_step", "lesson_active"),
]


def state_of(at):  # AppTest after a run -> dict, what a link restores (JSON-like)
    state = {}
    for k in KEYS:
        try:
            v = at.session_state[k]
        except KeyError:
            continue
        state[k] = list(v) if isinstance(v, tuple) else v
    state["pinned"] = vars(state["pinned"]) if state.get("pinned") is not None else None
    if not state.get("fixed_length"):
        state.pop("seq_len", None)  # the slider's leftover value: a sequence following the sentence
    return state


def cases():  # one pytest.param per recorded link, the Pretrained tab's marked model
    model = lambda case: "pl=" in case["link"] and "tab=Pretrained" in case["link"]  # noqa: E731
    return [
        pytest.param(case, id=case["link"][:40], marks=[pytest.mark.model] if model(case) else [])
        for case in RECORDED
    ]


@pytest.mark.parametrize("case", cases())
def test_an_old_link_opens_the_same_state_and_writes_the_same_address(case):
    at = start(dict(parse_qsl(case["link"], keep_blank_values=True))).run()
    assert not at.exception, [e.value for e in at.exception]
    assert dict(at.query_params.items()) == case["address"]
    assert json.loads(json.dumps(state_of(at), default=str)) == case["state"]
    assert sorted(w.value for w in at.warning) == sorted(REWORDED.get(w, w) for w in case["warnings"])
