"""Test support importable from any test module (the tests folder is on pytest's pythonpath)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
MASTER_KEY = "masterKey-for-tests-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoupeProcess:
    """A real `loupe` server on a free port, driven like a user would drive it."""

    def __init__(self, db_path: Path, master_key: str | None = MASTER_KEY, extra: list[str] | None = None,
                 env: dict[str, str] | None = None):
        self.db_path = db_path
        self.master_key = master_key
        self.extra = extra or []
        self.env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = db_path.parent / f"loupe-{self.port}.log"

    def start(self, timeout: float = 30.0) -> "LoupeProcess":
        args = [sys.executable, "-m", "server", "--http-addr", f"127.0.0.1:{self.port}",
                "--db-path", str(self.db_path), "--no-analytics", *self.extra]
        if self.master_key:
            args += ["--master-key", self.master_key]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEILI_")}
        env.update(self.env)
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, cwd=self.db_path.parent, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        import urllib.request
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"loupe exited: {self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("loupe did not become healthy")

    def client(self, key: str | None = "master"):
        import meilisearch
        return meilisearch.Client(self.url, self.master_key if key == "master" else key)

    def kill(self) -> None:
        """kill -9 the whole process group (server and its worker process)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(10)

    def worker_pid(self, other_than: int | None = None, timeout: float = 30.0) -> int:
        """The pid of the server's task worker process, from its "ready" log line; with
        ``other_than``, waits for a worker with another pid (a restarted one)."""
        import re
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = [int(p) for p in re.findall(r"task worker \(pid (\d+)\) ready", self.log())]
            if pids and pids[-1] != other_than:
                return pids[-1]
            time.sleep(0.02)
        raise AssertionError("no task worker process found")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None):
            self._log.close()




def child_pids(pid: int) -> list[int]:
    """Live children of ``pid`` (Linux /proc)."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return children


def index_documents(engine: Any, uid: str, docs: list[dict], settings: dict | None = None) -> None:
    """Index `uid` of an in-process `Engine` with `settings` applied, then `docs` (primary key `id`),
    both tasks waited for and required to succeed."""
    from engine.settings import task_details, validate_settings_patch
    if settings:
        patch = validate_settings_patch(settings)
        done = engine.wait_for_task(engine.update_settings(uid, patch, task_details(patch))["uid"])
        assert done["status"] == "succeeded", done["error"]
    done = engine.wait_for_task(engine.add_documents(uid, docs, primary_key="id")["uid"])
    assert done["status"] == "succeeded", done["error"]


async def post_json(http: Any, path: str, body: Any, key: str, status: int = 200) -> Any:
    """POST `body` as JSON with a bearer `key` through aiohttp's test client; the answer must have
    `status`; returns the decoded body."""
    import orjson
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    response = await http.post(path, data=orjson.dumps(body), headers=headers)
    text = await response.read()
    assert response.status == status, text
    return orjson.loads(text)


def pop_request_uid(body: dict) -> str:
    """Takes `requestUid` out of a search response, checking it is a UUID v7 (RFC 9562)."""
    import uuid
    value = body.pop("requestUid")
    parsed = uuid.UUID(value)
    assert (parsed.version, parsed.variant, str(parsed)) == (7, uuid.RFC_4122, value)
    return value
