"""Fixtures for the browser tests: the app served by Streamlit, a headless Chromium, a fresh page.

The app runs as a real server process (what a visitor gets), from the repository or from the
folder named by ATTENTION_APP_DIR, and is always stopped at the end of the session. The browser is
Debian's Chromium driven by Playwright; without it the browser tests are skipped, or fail when
ATTENTION_REQUIRE_BROWSER=1 (continuous integration must not pass by skipping them).
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
START_TIMEOUT = 60  # seconds for the server to answer its health check


def free_port():  # -> int
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(port):  # int -> list[str]
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]


def healthy(url):  # str -> bool
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
            return reply.read() == b"ok"
    except OSError:
        return False


def wait_until_healthy(process, url, log):
    """Poll the health endpoint; fail with the server's output if it exits or never answers."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the app server exited with {process.returncode}:\n{Path(log.name).read_text()}")
        if healthy(url):
            return
        time.sleep(0.25)
    pytest.fail(f"the app server did not answer within {START_TIMEOUT} s:\n{Path(log.name).read_text()}")


@pytest.fixture(scope="session")
def app_server():
    """The base URL of the app, served from the repository (or ATTENTION_APP_DIR) on a free port."""
    app_dir = Path(os.environ.get("ATTENTION_APP_DIR", ROOT))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.NamedTemporaryFile("w+", prefix="streamlit-", suffix=".log") as log:
        process = subprocess.Popen(server_command(port), cwd=app_dir, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_healthy(process, url, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def missing(reason):
    """Skip the browser tests, unless continuous integration requires them."""
    if os.environ.get("ATTENTION_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def chromium_path():  # -> str | None
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium; Playwright never downloads a browser here."""
    executable = chromium_path()
    if executable is None:
        missing(
            "Chromium not found: install it with `sudo apt-get install chromium` to run the browser tests"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed: `pip install -r requirements-dev.txt` to run the browser tests")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page_log():
    """What the page did that a visitor would notice: script errors and dialogs (dismissed)."""
    return {"errors": [], "dialogs": []}


@pytest.fixture
def page(browser, page_log):
    """A fresh browser context and page per test, tall enough to lay out the whole app."""
    context = browser.new_context(viewport={"width": 1400, "height": 5200})
    context.set_default_timeout(60_000)
    tab = context.new_page()
    tab.on("pageerror", lambda error: page_log["errors"].append(str(error)))

    def dialog(d):
        page_log["dialogs"].append(f"{d.type}: {d.message}")
        d.dismiss()

    tab.on("dialog", dialog)
    try:
        yield tab
    finally:
        context.close()


def rerun_finished(page):
    """Wait for the rerun an interaction started: give it time to begin, then for the script to end."""
    page.wait_for_timeout(200)
    page.wait_for_selector(IDLE)


@pytest.fixture
def wait_rerun():
    """`wait_rerun(page)`: wait ~200 ms, then until the app's script is no longer running."""
    return rerun_finished
