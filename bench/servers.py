"""The servers a benchmark talks to, started and stopped by the run itself, on loopback only.

`Server` is one `streamlit run` process (harness.server); `Cluster` is `deploy/cluster.sh`, replicas
behind nginx (harness.cluster). Both run the app from ATTENTION_APP_DIR when set (another checkout),
else from this one, and report their memory: read from /proc (VmHWM, the peak resident set of each
process of the server's tree), so nothing beyond the standard library is needed to measure it.
"""

import re
from pathlib import Path

from harness import cluster
from harness.cluster import APP_DIR, tree
from harness.server import ROOT, StreamlitServer

__all__ = ["APP_DIR", "ROOT", "Cluster", "Server", "peak_rss_mb", "tree"]


def status_kb(pid, field):  # int, "VmHWM" | "VmRSS" -> int kB, 0 once the process is gone
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def peak_rss_mb(pid):  # int -> float, the sum of every process's peak RSS in the tree, in MB
    return sum(status_kb(p, "VmHWM") for p in tree(pid)) / 1024


class Measured:
    def peak_rss_mb(self):  # -> float MB, the peak resident set of the server's whole process tree
        return peak_rss_mb(self.process.pid)


class Server(Measured, StreamlitServer):
    """`streamlit run script` on a free loopback port, from the folder cwd (its .streamlit/ config)."""

    def __init__(self, script="app.py", cwd=APP_DIR, args=(), env=None):
        super().__init__(app_dir=cwd, script=script, args=args, env=env)


class Cluster(Measured, cluster.Cluster):
    """`deploy/cluster.sh replicas port`: replicas behind nginx; knows each replica's pid and port."""
