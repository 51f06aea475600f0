"""Streamlit servers on loopback, started and stopped by the test or benchmark that needs them.

`streamlit_server()` is the one place that starts `streamlit run`: a free port, the command, the
server's output in a temporary file, the health endpoint polled until it answers, and a clean stop
(SIGTERM, a wait, then SIGKILL for the whole process group). `Process` is the same care for any
child process (bench/servers.py runs deploy/cluster.sh with it).
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEALTH_PATH = "/_stcore/health"
START_TIMEOUT = 90  # seconds for a server to answer on a busy machine
STOP_TIMEOUT = 15  # seconds for a server to exit after SIGTERM before it is killed


class ServerFailed(RuntimeError):
    """The server exited or never became ready; the message ends with its output."""


def free_port():  # -> int, a loopback port nothing listens on right now
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_command(script, port, args=()):  # str, int, [str] -> list[str]
    return [
        sys.executable, "-m", "streamlit", "run", script,
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        *args,
    ]  # fmt: skip


def health(url, timeout=5.0):  # str -> (bool, cookie header | None)
    """GET the health endpoint: is it "ok", and the cookies set on the way (a proxy's route)."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + HEALTH_PATH, timeout=timeout) as reply:
            cookies = [c.split(";", 1)[0] for c in reply.headers.get_all("Set-Cookie") or []]
            return reply.read() == b"ok", "; ".join(cookies) or None
    except OSError:
        return False, None


def healthy(url):  # str -> bool, the server at url answers its health check
    return health(url, timeout=2.0)[0]


class Process:
    """A child process in a session of its own, its output in a temporary file; stopped for sure on exit.

    env: variables set on top of this process's environment.
    """

    def __init__(self, command, cwd=ROOT, env=None):
        self.log = tempfile.NamedTemporaryFile("w+", prefix="harness-", suffix=".log")  # noqa: SIM115 closed on exit
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill reaches what it started, nothing else
        )

    def output(self):  # -> str, everything the process printed so far
        return Path(self.log.name).read_text(errors="replace")

    def wait_until(self, ready, timeout=START_TIMEOUT):
        """Poll ready() until true; if the process exits or time runs out, stop it and raise ServerFailed."""
        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                done = self.process.poll()
                why = f"exited with {done}" if done is not None else f"was not ready within {timeout} s"
                failure = ServerFailed(f"the server {why}:\n{self.output()}")
                self.__exit__()
                raise failure
            time.sleep(0.25)

    def stop(self):
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self.log.close()


class StreamlitServer(Process):
    """`streamlit run script` from app_dir (and its .streamlit/ config) on a free port; `url` once healthy."""

    def __init__(self, app_dir=ROOT, script="app.py", env=None, args=(), timeout=START_TIMEOUT):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        super().__init__(streamlit_command(script, port, args), cwd=app_dir, env=env)
        self.wait_until(lambda: healthy(self.url), timeout)


@contextmanager
def streamlit_server(app_dir=ROOT, script="app.py", env=None, args=(), timeout=START_TIMEOUT):
    """Serve script from app_dir on a free loopback port; yield its base URL "http://127.0.0.1:PORT".

    env: variables set for the server on top of this environment; args: more `streamlit run` options.
    Raises ServerFailed, with the server's output, when it exits or does not answer within timeout s.
    """
    with StreamlitServer(app_dir, script, env, args, timeout) as server:
        yield server.url
