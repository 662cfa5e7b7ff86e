"""Helpers shared by the benchmark commands: start a server, call it, summarise timings."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DATASETS = SHARED / "datasets"


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `loupe` process on a free port with a fresh temporary store."""

    def __init__(self, extra: list[str] | None = None):
        self.tmp = tempfile.mkdtemp(prefix="loupe-bench-")
        self.db = Path(self.tmp) / "data.ms"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "server", "--http-addr", f"127.0.0.1:{self.port}", "--db-path", str(self.db),
                "--log-level", "WARN", *(extra or [])]
        # the server runs this checkout's code, not whichever one the interpreter has installed
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen(args, cwd=self.tmp, env=env)
        for _ in range(300):
            try:
                urllib.request.urlopen(self.url + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)

    def call(self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json"):
        request = urllib.request.Request(self.url + path, data=body, method=method)
        if body is not None:
            request.add_header("Content-Type", content_type)
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read() or b"null")

    def wait(self, task_uid: int) -> dict:
        while True:
            task = self.call("GET", f"/tasks/{task_uid}")
            if task["status"] not in ("enqueued", "processing"):
                return task
            time.sleep(0.02)

    def rss_mb(self) -> float:
        """Peak RSS of the server and its worker child (VmHWM), in MiB."""
        total = 0
        pids = [self.proc.pid]
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            pids += [int(c) for c in children]
        except OSError:
            pass
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024

    def cpu_seconds(self) -> float:
        """CPU (user + system) spent so far by the server and every process below it (serving
        processes, the worker, its reaped helpers), from /proc; 0 where /proc is missing."""
        tick = os.sysconf("SC_CLK_TCK")

        def tree(pid: int) -> list[int]:
            found = [pid]
            try:
                for tid in os.listdir(f"/proc/{pid}/task"):
                    for child in Path(f"/proc/{pid}/task/{tid}/children").read_text().split():
                        found += tree(int(child))
            except OSError:
                pass
            return found

        total = 0
        for pid in tree(self.proc.pid):
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
        return total / tick

    def disk_mb(self) -> float:
        size = 0
        for root, _d, files in os.walk(self.db):
            for f in files:
                size += os.stat(os.path.join(root, f)).st_blocks * 512
        return size / 2**20

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def percentiles(samples: list[float], points=(50, 90, 99)) -> dict[int, float]:
    ordered = sorted(samples)
    out = {}
    for p in points:
        k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        out[p] = ordered[k]
    return out
