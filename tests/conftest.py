"""Fixtures and markers shared by the tests: the app served by Streamlit, a headless Chromium, fresh pages.

The app runs as a real server process (what a visitor gets), from the repository or from the
folder named by ATTENTION_APP_DIR, and is always stopped at the end of the session (harness.server).
The browser is Debian's Chromium driven by Playwright (harness.browser); without it the browser tests
are skipped, or fail when ATTENTION_REQUIRE_BROWSER=1 (continuous integration must not pass by
skipping them).

Markers (pyproject.toml): `browser`, every test that uses the `browser` fixture (through `page`,
`page_at` or directly); `model`, the tests that need the shipped all-MiniLM-L6-v2 or torch and
transformers, marked here for the modules listed in NEEDS_MODEL; `cluster`, deploy/cluster.sh.
The fast loop leaves all three out: `python -m pytest -m "not browser and not cluster and not model"`.
"""

import os
from pathlib import Path

import pytest
from hypothesis import settings

from harness.browser import chromium_path, launch, rerun_finished
from harness.server import ROOT, ServerFailed, streamlit_server

settings.register_profile("attention", deadline=None, max_examples=50)  # a test may ask for more or fewer
settings.load_profile("attention")

# Modules whose tests need the real model, and the fixtures there that load it (None: every test).
NEEDS_MODEL = {
    "test_app_inside_model": {"model"},
    "test_app_pretrained": {"model"},
    "test_app_source": {"model"},
    "test_bert_float32": {"encoder"},
    "test_pretrained_reference": None,
    "test_traces": {"model"},
}


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in item.fixturenames:
            item.add_marker(pytest.mark.browser)
        module = item.module.__name__.rpartition(".")[2] if item.module else ""
        if module in NEEDS_MODEL:
            fixtures = NEEDS_MODEL[module]
            if fixtures is None or fixtures & set(item.fixturenames):
                item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session")
def app_server():
    """The base URL of the app, served from the repository (or ATTENTION_APP_DIR) on a free port."""
    try:
        with streamlit_server(Path(os.environ.get("ATTENTION_APP_DIR", ROOT))) as url:
            yield url
    except ServerFailed as failure:
        pytest.fail(str(failure))


@pytest.fixture(scope="module")
def script_app(request):
    """The base URL of a test page, the module's SCRIPT, served by its own Streamlit process."""
    try:
        with streamlit_server(script=request.module.SCRIPT) as url:
            yield url
    except ServerFailed as failure:
        pytest.fail(str(failure))


def missing(reason):
    """Skip the browser tests, unless continuous integration requires them."""
    if os.environ.get("ATTENTION_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium; Playwright never downloads a browser here."""
    if chromium_path() is None:
        missing(
            "Chromium not found: install it with `sudo apt-get install chromium` to run the browser tests"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed: `pip install -r requirements-dev.txt` to run the browser tests")
    with sync_playwright() as pw:
        chromium = launch(pw)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page_log():
    """What the page did that a visitor would notice: script errors and dialogs (dismissed)."""
    return {"errors": [], "dialogs": []}


@pytest.fixture
def page_at(browser, page_log):
    """`page_at(width, height, timeout=60_000, **context_options)`: a fresh page of a window that size.

    Each page has a browser context of its own, closed after the test; its script errors and dialogs
    (dismissed) go to page_log. context_options are Playwright's (is_mobile, has_touch, ...).
    """
    contexts = []

    def dialog(d):
        page_log["dialogs"].append(f"{d.type}: {d.message}")
        d.dismiss()

    def new_page(width, height, timeout=60_000, **context_options):
        context = browser.new_context(viewport={"width": width, "height": height}, **context_options)
        contexts.append(context)
        context.set_default_timeout(timeout)
        tab = context.new_page()
        tab.on("pageerror", lambda error: page_log["errors"].append(str(error)))
        tab.on("dialog", dialog)
        return tab

    try:
        yield new_page
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def page(page_at):
    """A fresh page, tall enough to lay out the whole app."""
    return page_at(1400, 5200)


@pytest.fixture
def wait_rerun():
    """`wait_rerun(page)`: wait ~200 ms, then until the app's script is no longer running."""
    return rerun_finished
