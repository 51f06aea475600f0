"""deploy/cluster.sh: two replicas behind nginx serve real sessions, stick to a browser, stop cleanly.

Needs Debian's nginx (`apt-get install nginx`); without it these tests are skipped, or fail when
ATTENTION_REQUIRE_NGINX=1 (continuous integration must not pass by skipping them).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from harness.cluster import Cluster, tree
from harness.protocol import health, load_page, query, run_apart

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]
BROWSERS = 16  # distinct route cookies; all on one replica by chance: 2 ** -15


def nginx_missing():  # -> str | None, why the tests cannot run
    if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
        return None
    return "nginx not found: install it with `sudo apt-get install nginx` to run the cluster tests"


@pytest.fixture(scope="module")
def nginx():
    reason = nginx_missing()
    if reason and os.environ.get("ATTENTION_REQUIRE_NGINX") == "1":
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def cluster(nginx):
    with Cluster(2) as running:
        yield running


def page(cluster, cookie, user=0):  # -> Outcome of one small page load through nginx
    params = {"s": f"student {user} reads the cat sat on the mat", "n": 10, "h": 2, "seed": user}
    coroutine = load_page(cluster.url, query(params), timeout=120, cookie=cookie)
    return run_apart(coroutine)


def test_health_passes_through_nginx_and_sets_a_route_cookie(cluster):
    ok, cookie = health(cluster.url)
    assert ok
    assert re.search(r"attention_route=[0-9a-f]{32}", cookie)


def headers(url):  # -> the response headers of the page itself, through nginx
    with urllib.request.urlopen(url + "/", timeout=10) as reply:
        return reply.headers


def test_every_response_says_nosniff_and_only_this_site_may_frame_the_page(cluster):
    got = headers(cluster.url)
    assert got["X-Content-Type-Options"] == "nosniff"
    assert got["Content-Security-Policy"] == "frame-ancestors 'self'"


def test_a_course_site_named_in_frame_ancestors_may_frame_the_page(nginx):
    with Cluster(1, env={"FRAME_ANCESTORS": "'self' https://course.example.org"}) as one:
        got = headers(one.url)
    assert got["Content-Security-Policy"] == "frame-ancestors 'self' https://course.example.org"


def test_frame_ancestors_that_could_inject_configuration_are_refused(nginx):
    script = Path(__file__).resolve().parents[1] / "deploy" / "cluster.sh"
    env = os.environ | {"FRAME_ANCESTORS": "'self'; } server { listen 1"}
    done = subprocess.run(
        ["bash", str(script), "1", "1"], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 64 and "FRAME_ANCESTORS must be CSP sources" in done.stderr


def test_a_session_is_served_through_nginx(cluster):
    outcome = page(cluster, health(cluster.url)[1])
    assert outcome.error is None and outcome.ok
    assert outcome.exceptions == []
    assert outcome.messages > 5 and outcome.bytes > 10_000  # a real page, not an error screen


def stream_routes(cluster):  # -> {route cookie: {replica ports its websockets reached}}
    routes = {}
    for line in (cluster.workdir() / "access.log").read_text().splitlines():
        match = re.search(r"GET /_stcore/stream .* route=(\w+) upstream=127\.0\.0\.1:(\d+)$", line)
        if match:
            routes.setdefault(match.group(1), set()).add(int(match.group(2)))
    return routes


def test_browsers_spread_over_both_replicas_and_each_sticks_to_one(cluster):
    cookies = [health(cluster.url)[1] for _ in range(BROWSERS)]
    for user, cookie in enumerate(cookies):
        for _ in range(2):  # two tabs of one browser
            assert page(cluster, cookie, user).ok
    mine = {re.search(r"attention_route=(\w+)", cookie).group(1) for cookie in cookies}
    routes = {key: ports for key, ports in stream_routes(cluster).items() if key in mine}
    assert len(routes) == BROWSERS
    assert all(len(ports) == 1 for ports in routes.values())  # sticky: one replica per browser
    assert set.union(*routes.values()) == {port for _, port in cluster.replicas()}


def listening(port):  # int -> bool
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_sigterm_stops_every_process_and_frees_every_port(nginx):
    with Cluster(2) as other:
        pids = tree(other.process.pid)  # the script, its replicas, nginx and nginx's workers
        ports = [other.port] + [port for _, port in other.replicas()]
        workdir = other.workdir()
        assert len(pids) >= 5 and all(listening(p) for p in ports)
        other.process.send_signal(signal.SIGTERM)
        assert other.process.wait(timeout=60) == 128 + signal.SIGTERM
    deadline = time.monotonic() + 10  # reaped children disappear from /proc a moment later
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
        time.sleep(0.1)
    assert [p for p in pids if Path(f"/proc/{p}").exists()] == []
    assert [p for p in ports if listening(p)] == []
    assert not workdir.exists()
