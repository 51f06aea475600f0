"""deploy/cluster.sh: two replicas behind nginx serve real sessions, stick to a browser, stop cleanly,
and a replica killed under load loses only its open sessions and comes back on its port.

Needs Debian's nginx (`apt-get install nginx`); without it these tests are skipped, or fail when
ATTENTION_REQUIRE_NGINX=1 (continuous integration must not pass by skipping them).
"""

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.cluster import Cluster, tree
from harness.protocol import Outcome, health, load_page, query, run_apart
from harness.server import free_port, healthy

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]
SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "cluster.sh"
BROWSERS = 16  # distinct route cookies; all on one replica by chance: 2 ** -15
USERS, ROUNDS = 20, 3  # the class the kill test runs: 20 browsers opening 3 sessions each, all at once
BACK_WITHIN = 60  # seconds for a killed replica to be healthy again on its port


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


def link(user, session=0):  # -> the query string of one small page: 10 tokens, 2 heads
    params = {"s": f"student {user} reads the cat sat on the mat", "n": 10, "h": 2, "seed": user + session}
    return query(params)


def page(cluster, cookie, user=0):  # -> Outcome of one small page load through nginx
    return run_apart(load_page(cluster.url, link(user), timeout=120, cookie=cookie))


def run_script(*args, **env):  # -> CompletedProcess of deploy/cluster.sh args with env set on top
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=os.environ | env, capture_output=True, text=True, timeout=30
    )


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
    done = run_script("1", "1", FRAME_ANCESTORS="'self'; } server { listen 1")
    assert done.returncode == 64 and "FRAME_ANCESTORS must be CSP sources" in done.stderr


@pytest.mark.parametrize(
    "ports",
    ["8601", "8601 8602 8603", "8601 8601", "8601 0", "8601 65536", "8601 123456", "8601,8602",
     "8601 http", "8601\n8602", "8601 8600"],
)  # fmt: skip
def test_replica_ports_that_are_not_two_distinct_free_port_numbers_are_refused(ports):
    done = run_script("2", "8600", REPLICA_PORTS=ports)  # 8600 is nginx's own port
    assert done.returncode == 64
    assert "REPLICA_PORTS must be 2 distinct port numbers 1..65535 other than 8600" in done.stderr


def distinct_free_ports(n):  # -> n different loopback ports nothing listens on right now
    ports = []
    while len(ports) < n:
        port = free_port()
        ports += [] if port in ports else [port]
    return ports


def test_replicas_listen_on_the_ports_replica_ports_names(nginx):
    port, *fixed = distinct_free_ports(3)
    with Cluster(2, port=port, env={"REPLICA_PORTS": " ".join(map(str, fixed))}) as cluster:
        assert [p for _, p in cluster.replicas()] == fixed
        assert all(healthy(f"http://127.0.0.1:{p}") for p in fixed)
        upstreams = re.findall(r"server 127\.0\.0\.1:(\d+)", (cluster.workdir() / "nginx.conf").read_text())
        assert [int(p) for p in upstreams] == fixed
        assert page(cluster, health(cluster.url)[1]).ok


def started_from(checkout, static=()):  # a checkout holding cluster.sh and these static files -> its run
    (checkout / "deploy").mkdir()
    (checkout / "static").mkdir()
    shutil.copy(SCRIPT, checkout / "deploy" / "cluster.sh")
    for name in static:
        shutil.copy(SCRIPT.parent.parent / "static" / name, checkout / "static" / name)
    script = checkout / "deploy" / "cluster.sh"
    return subprocess.run(["bash", str(script), "1", "1"], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(
    ("static", "missing"),
    [
        ((), "live_chart.js"),  # no static files
        (("live_chart.js", "plotly.min.js", "page.css"), "near.js"),  # no watcher of the parts near it
        (("live_chart.js", "near.js", "plotly.min.js"), "page.css"),  # no CSS
    ],
)
def test_a_checkout_without_a_static_file_is_refused_before_anything_starts(tmp_path, static, missing):
    done = started_from(tmp_path, static)
    assert done.returncode == 66 and f"static/{missing} is missing or empty" in done.stderr
    assert done.stdout == ""  # no replica was started


def test_a_session_is_served_through_nginx(cluster):
    outcome = page(cluster, health(cluster.url)[1])
    assert outcome.error is None and outcome.ok
    assert outcome.exceptions == []
    assert outcome.messages > 5 and outcome.bytes > 10_000  # a real page, not an error screen


def log_size(cluster):  # -> bytes in nginx's access log so far: where the next lines start
    return (cluster.workdir() / "access.log").stat().st_size


def stream_routes(cluster, since=0):  # -> {route cookie: {replica ports its websockets reached}}
    """Read off the access log from byte `since`. A websocket is logged when it closes, with every
    replica nginx tried ("127.0.0.1:A, 127.0.0.1:B"); the last one served it."""
    routes = {}
    text = (cluster.workdir() / "access.log").read_bytes()[since:].decode(errors="replace")
    for line in text.splitlines():
        match = re.search(r"GET /_stcore/stream .* route=(\w+) upstream=(.*)$", line)
        tried = re.findall(r"127\.0\.0\.1:(\d+)", match.group(2)) if match else []
        if tried:
            routes.setdefault(match.group(1), set()).add(int(tried[-1]))
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


def route(cookie):  # "attention_route=HEX" -> HEX, the key nginx hashes to pick a replica
    return re.search(r"attention_route=(\w+)", cookie).group(1)


def wait_for(check, timeout, what):  # -> check()'s first true value, polled; fails after timeout s
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(0.2)
    return found


def running(pid):  # int -> bool, the process exists and is not a zombie waiting to be reaped
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


async def together(url, cookies):  # -> [Outcome], one session per browser, all opened at once
    pages = [load_page(url, link(user), timeout=120, cookie=c) for user, c in enumerate(cookies)]
    return await asyncio.gather(*pages)


def one_round(cluster, cookies):  # -> {route: {ports}}, where one session per browser went
    since = log_size(cluster)
    outcomes = run_apart(together(cluster.url, cookies))
    assert [o.error for o in outcomes if not o.ok] == []
    mine = {route(c) for c in cookies}
    logged = lambda: (found := stream_routes(cluster, since)).keys() >= mine and found  # noqa: E731
    return wait_for(logged, 30, "every session of the round in the access log")


@dataclass
class Visit:
    """One session of the class: which browser, when it was opened and when it ended, what it got."""

    route: str
    start: float  # time.monotonic()
    end: float
    outcome: Outcome


async def browse(url, cookie, user, visits):  # one browser opening ROUNDS sessions one after the other
    for session in range(ROUNDS):
        start = time.monotonic()
        outcome = await load_page(url, link(user, session), timeout=120, cookie=cookie)
        visits.append(Visit(route(cookie), start, time.monotonic(), outcome))


async def kill_when(visits, count, pid, moment):
    """SIGKILL pid once `count` sessions have ended; note when the signal went and when pid was gone."""
    deadline = time.monotonic() + 120  # bounded like a session: the class may have stalled
    while len(visits) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    moment["sent"] = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    while running(pid):  # its sockets are closed once it is a zombie or reaped
        await asyncio.sleep(0.01)
    moment["dead"] = time.monotonic()


async def class_with_a_kill(url, cookies, pid):  # -> (visits, {"sent": t, "dead": t})
    visits, moment = [], {}
    killer = asyncio.ensure_future(kill_when(visits, USERS * ROUNDS // 3, pid, moment))
    await asyncio.gather(*(browse(url, cookie, user, visits) for user, cookie in enumerate(cookies)))
    await killer
    return visits, moment


def restarted(cluster, number, old_pid):  # -> the replica's new pid once it is back and healthy, else None
    pid, port = cluster.replicas()[number - 1]
    logged = f"replica {number} (pid {old_pid}) exited with status 137; restarting in 1 s" in cluster.output()
    return pid if pid != old_pid and logged and healthy(f"http://127.0.0.1:{port}") else None


def busiest(cluster, homes):  # -> (replica number, pid, port) of the replica most browsers stick to
    counted = [(list(homes.values()).count(port), number, pid, port)
               for number, (pid, port) in enumerate(cluster.replicas(), 1)]  # fmt: skip
    return max(counted)[1:]


def home_again(cluster, cookies, homes):  # -> True once a round of sessions went where it went before
    return one_round(cluster, cookies) == {key: {port} for key, port in homes.items()}


def test_a_killed_replica_loses_only_its_open_sessions_and_comes_back(nginx):
    with Cluster(2) as cluster:
        cookies = [health(cluster.url)[1] for _ in range(USERS)]
        homes = {key: ports.pop() for key, ports in one_round(cluster, cookies).items()}  # sticky: one each
        assert set(homes.values()) == {port for _, port in cluster.replicas()}
        number, pid, port = busiest(cluster, homes)
        visits, moment = run_apart(class_with_a_kill(cluster.url, cookies, pid))
        new_pid = wait_for(lambda: restarted(cluster, number, pid), BACK_WITHIN, f"replica {number} back")
        back_after = time.monotonic() - moment["dead"]
        # Back on its port, it gets its browsers again once nginx tries it again (fail_timeout=10s);
        # every round's sessions must be served meanwhile, by whichever replica nginx picks.
        wait_for(lambda: home_again(cluster, cookies, homes), 60, "every browser on its own replica again")
        home_after = time.monotonic() - moment["dead"]
        log = (cluster.workdir() / f"replica{number}.log").read_text()
    mine = [v for v in visits if homes[v.route] == port]  # the killed replica's browsers' sessions
    open_at_kill = [v for v in mine if v.start < moment["sent"] < v.end]
    opened_while_dying = [v for v in mine if moment["sent"] <= v.start < moment["dead"]]
    lost = [v for v in visits if not v.outcome.ok]
    after = [v for v in visits if v.start > moment["dead"]]
    print(
        f"killed replica {number} (pid {pid}) with {len(open_at_kill)} sessions open on it and "
        f"{len(opened_while_dying)} opened in the {moment['dead'] - moment['sent']:.3f} s it took to die; "
        f"lost {len(lost)} of {len(visits)}; {len(after)} opened after it was gone, all served; "
        f"back as pid {new_pid} after {back_after:.1f} s; its browsers on it again after {home_after:.1f} s"
    )
    assert len(visits) == USERS * ROUNDS and open_at_kill  # the kill came while the class was on it
    assert all(v in open_at_kill + opened_while_dying for v in lost), [v.outcome.error for v in lost]
    assert after and all(v.outcome.ok for v in after)  # a new session is served by the survivor at once
    assert [v.outcome.exceptions for v in visits if v.outcome.exceptions] == []
    assert new_pid != pid and back_after < BACK_WITHIN
    assert log.count("--- restarted") == 1 and log.index("--- restarted") > 0  # appended to the old log
