"""The servers a load run talks to, started and stopped by the run itself, on loopback only.

`Server` is one `streamlit run` process; `Cluster` is `deploy/cluster.sh`, replicas behind nginx. The app
runs from ATTENTION_APP_DIR when set (another checkout), else from this one.
Memory is read from /proc (VmHWM, the peak resident set of each process of the server's tree), so
nothing beyond the standard library is needed to measure it.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.protocol import health

ROOT = Path(__file__).resolve().parents[1]
APP_DIR = Path(os.environ.get("ATTENTION_APP_DIR", ROOT)).resolve()
CLUSTER = APP_DIR / "deploy" / "cluster.sh"
START_TIMEOUT = 90  # seconds for a server to answer its health check on a busy machine
STOP_TIMEOUT = 15  # seconds for a server to exit after SIGTERM before it is killed


def free_port():  # -> int, a port nothing listens on right now
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_command(script, port):  # str, int -> list[str]
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script,
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


def _children(pid):  # int -> list[int], direct children from /proc
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def tree(pid):  # int -> list[int], pid and all its descendants
    pids, todo = [], [pid]
    while todo and len(pids) < 10_000:
        current = todo.pop()
        pids.append(current)
        todo += _children(current)
    return pids


def status_kb(pid, field):  # int, "VmHWM" | "VmRSS" -> int kB, 0 once the process is gone
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def peak_rss_mb(pid):  # int -> float, the sum of every process's peak RSS in the tree, in MB
    return sum(status_kb(p, "VmHWM") for p in tree(pid)) / 1024


class _Process:
    """A child process with its output in a temporary file, stopped for sure on exit."""

    url = ""
    process = None

    def _spawn(self, command, env=None, cwd=APP_DIR):
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench-", suffix=".log")  # noqa: SIM115 closed on exit
        self.process = subprocess.Popen(
            command, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )

    def output(self):
        return Path(self.log.name).read_text(errors="replace")

    def _wait(self, ready):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.output()}")
            if ready():
                return
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"the server was not ready within {START_TIMEOUT} s:\n{self.output()}")

    def peak_rss_mb(self):
        return peak_rss_mb(self.process.pid)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: only what it started
            self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self.log.close()


class Server(_Process):
    """`streamlit run script` on a free loopback port, from the folder cwd (its .streamlit/ config)."""

    def __init__(self, script="app.py", cwd=APP_DIR):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._spawn(streamlit_command(script, port), cwd=cwd)
        self._wait(lambda: health(self.url)[0])


class Cluster(_Process):
    """`deploy/cluster.sh replicas port`: replicas behind nginx; knows each replica's pid and port."""

    def __init__(self, replicas=2, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, PYTHON=sys.executable)
        self._spawn(["bash", str(CLUSTER), str(replicas), str(self.port)], env=env)
        self._wait(lambda: "ready" in self.output())

    def replicas(self):  # -> list of (pid, port), in the order the script started them
        found = re.findall(r"^replica \d+ pid (\d+) port (\d+)", self.output(), re.MULTILINE)
        return [(int(pid), int(port)) for pid, port in found]

    def nginx_pid(self):  # -> int
        return int(re.search(r"^nginx pid (\d+)", self.output(), re.MULTILINE).group(1))

    def workdir(self):  # -> Path, where the script keeps nginx.conf and the logs
        return Path(re.search(r"^workdir (\S+)", self.output(), re.MULTILINE).group(1))
