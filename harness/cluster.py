"""deploy/cluster.sh as a child process: replicas of the app behind nginx, and the processes it started.

The script prints what it started ("replica K pid P port Q", "nginx pid P", "workdir D") and then
"ready"; `Cluster` reads those lines. A replica that dies is started again on its port and printed
again with its new pid, so `replicas()` gives each replica's latest process. `tree` lists a process
and its descendants from /proc.
"""

import os
import re
import sys
from pathlib import Path

from harness.server import ROOT, Process, free_port

APP_DIR = Path(os.environ.get("ATTENTION_APP_DIR", ROOT)).resolve()


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


class Cluster(Process):
    """`deploy/cluster.sh replicas port` from app_dir: replicas behind nginx on `url`, once "ready".

    env: variables for the script (FRAME_ANCESTORS, REPLICA_PORTS) on top of this environment."""

    def __init__(self, replicas=2, port=None, app_dir=APP_DIR, env=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = ["bash", str(Path(app_dir) / "deploy" / "cluster.sh"), str(replicas), str(self.port)]
        super().__init__(command, cwd=app_dir, env={"PYTHON": sys.executable, **(env or {})})
        self.wait_until(lambda: "ready" in self.output())

    def started(self):  # -> list of (replica number, pid, port), every start and restart in order
        found = re.findall(r"^replica (\d+) pid (\d+) port (\d+)", self.output(), re.MULTILINE)
        return [(int(number), int(pid), int(port)) for number, pid, port in found]

    def replicas(self):  # -> list of (pid, port) by replica number, each replica's latest process
        latest = {number: (pid, port) for number, pid, port in self.started()}  # later lines win
        return [latest[number] for number in sorted(latest)]

    def nginx_pid(self):  # -> int
        return int(re.search(r"^nginx pid (\d+)", self.output(), re.MULTILINE).group(1))

    def workdir(self):  # -> Path, where the script keeps nginx.conf and the logs
        return Path(re.search(r"^workdir (\S+)", self.output(), re.MULTILINE).group(1))
