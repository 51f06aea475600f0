"""The app draws its charts from a checkout it never writes to.

The committed tree (`git archive HEAD`) is unpacked into a temporary folder and started there as
README's run command does (`streamlit run app.py`, with the copy's .streamlit/config.toml). Once the
first screen's maps are drawn in Chromium and the server has stopped, every path, size and hash in
the copy must be as before: the chart component's plotly.js and script are files of the checkout,
not copies made at run time.
"""

import hashlib
import io
import os
import subprocess
import tarfile

import pytest

from harness.browser import open_page
from harness.server import ROOT, ServerFailed, streamlit_server

pytestmark = pytest.mark.browser

# The first n plots (the first screen's maps) each drawn with a heatmap holding numbers.
MAPS_DRAWN = """n => {
    const plots = [...document.querySelectorAll('.js-plotly-plot')].slice(0, n);
    const filled = (g) => (g._fullData || []).some(t => t.type === 'heatmap' && t.z && t.z.length > 0);
    return plots.length === n && plots.every(filled);
}"""


def committed_tree(folder):  # Path -> None, HEAD's files unpacked into folder
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: there is no committed tree to copy")
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="tar")


def listing(folder):  # Path -> dict relative path -> (kind, size, sha256 or link target)
    found = {}
    for top, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(top, name)
            rel = os.path.relpath(path, folder)
            if os.path.islink(path):
                found[rel] = ("link", None, os.readlink(path))
            elif os.path.isdir(path):
                found[rel] = ("dir", None, None)
            else:
                with open(path, "rb") as f:
                    found[rel] = ("file", os.path.getsize(path), hashlib.sha256(f.read()).hexdigest())
    return found


def test_the_first_screen_is_drawn_without_writing_to_the_checkout(tmp_path, page, page_log):
    app_dir, caches = tmp_path / "checkout", tmp_path / "pycache"
    app_dir.mkdir()
    committed_tree(app_dir)
    before = listing(app_dir)
    assert {"app.py", "static/plotly.min.js", "static/live_chart.js"} <= set(before)
    # Bytecode caches are Python's own, not the app's, and a read-only container simply skips
    # writing them: they go to a folder outside the copy.
    env = {"PYTHONPYCACHEPREFIX": str(caches)}
    try:
        with streamlit_server(app_dir=app_dir, script="app.py", env=env) as url:
            open_page(page, url)
            page.wait_for_function(MAPS_DRAWN, arg=3)
            errors = page.evaluate("[...document.querySelectorAll('.lc-error')].map(e => e.textContent)")
    except ServerFailed as failure:
        pytest.fail(str(failure))
    assert [e for e in errors if e] == [] and page_log["errors"] == []
    after = listing(app_dir)
    created = sorted(set(after) - set(before))
    changed = sorted(p for p in set(before) & set(after) if before[p] != after[p])
    removed = sorted(set(before) - set(after))
    assert (created, changed, removed) == ([], [], [])
