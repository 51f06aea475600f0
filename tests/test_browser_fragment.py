"""Everything below the introduction reruns alone (app.py): a change made there sends nothing for the
introduction or the sidebar, and a change made there that moves what the sidebar shows has the whole
app drawn again, so the sidebar never shows a stale setting."""

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from harness.browser import open_page

SIDEBAR = "[data-testid=stSidebar]"


def deltas(frames):  # websocket payloads received -> [(delta path, element type or "block")]
    found = []
    for payload in frames:
        msg = ForwardMsg()
        msg.ParseFromString(payload)
        if msg.WhichOneof("type") != "delta":
            continue
        kind = msg.delta.WhichOneof("type")
        element = msg.delta.new_element.WhichOneof("type") if kind == "new_element" else "block"
        found.append((tuple(msg.metadata.delta_path), element))
    return found


def listen(page):  # -> the list the page's websocket frames received are appended to
    received = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(payload)))
    return received


def test_a_d_k_step_sends_nothing_for_the_introduction_or_the_sidebar(page, app_server, wait_rerun):
    received = listen(page)
    open_page(page, app_server, plots=3)
    loaded = deltas(received)
    below = next(path for path, kind in loaded if kind == "text_input")[:-1]  # the sentence box's parent
    outside = [path for path, _ in loaded if path[: len(below)] != below]
    assert any(p[0] == 1 for p in outside) and any(p[0] == 0 for p in outside)  # sidebar, introduction
    start = len(received)
    page.locator(".st-key-d_k_step").get_by_role("slider").focus()
    page.keyboard.press("ArrowRight")
    wait_rerun(page)
    page.wait_for_function("document.querySelector('.st-key-d_k input').value === '32'")
    stepped = [path for path, _ in deltas(received[start:])]
    assert stepped  # the page below the introduction was drawn again, and nothing else
    assert [path for path in stepped if path[: len(below)] != below] == []
    assert page.locator(SIDEBAR).get_by_text("More settings").is_visible()  # the sidebar stays on the page


def test_a_change_below_that_moves_the_sidebar_redraws_it(page, app_server, wait_rerun):
    open_page(page, f"{app_server}/?s=one+two+three+four+five&n=3", plots=3)
    sidebar = page.locator(SIDEBAR)
    fixed = sidebar.get_by_role("switch", name="Fixed sequence length")
    assert fixed.is_checked() and sidebar.get_by_text("Sequence length", exact=True).count() == 1
    page.get_by_role("button", name="Fit to the sentence").click()  # below the introduction: seq_len 0
    wait_rerun(page)
    page.wait_for_function("!document.body.innerText.includes('Fit to the sentence')")
    assert not fixed.is_checked()  # the sidebar follows: its toggle is off and the length slider gone
    assert sidebar.get_by_text("Sequence length", exact=True).count() == 0
