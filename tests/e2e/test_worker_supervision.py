"""The task worker process is supervised: killing it never hangs the server nor loses a write.

Properties, with a real `loupe` process whose worker is killed with SIGKILL (the OOM killer's way):
1. killed while idle: the next document write is answered at once (202), `/health` keeps answering
   (503 `unavailable` while no worker can index, within a second of the kill, then 200 again),
   a new worker is started and the write's task ends `succeeded`;
2. killed while busy: the tasks of its batch do not stay `processing`; the restarted worker
   recovers the batch from the journal and every task ends `succeeded` with all its documents;
3. the death and the restart are logged (one WARNING naming the signal, one INFO when ready).
"""
from __future__ import annotations

import os
import signal
import threading
import time
import urllib.error
import urllib.request


def health(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url + "/health", timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class HealthWatch:
    """Polls GET /health from a thread, recording (seconds since start, status) of each answer."""

    def __init__(self, url: str):
        self.url, self.seen, self.started = url, [], time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            status, body = health(self.url)
            self.seen.append((time.monotonic() - self.started, status, body))
            time.sleep(0.01)

    def stop(self) -> list[tuple[float, int, bytes]]:
        self._stop.set()
        self._thread.join(10)
        return self.seen


def test_worker_killed_while_idle(fresh_server):
    server = fresh_server()
    client = server.client()
    index = client.index("idle")
    assert client.wait_for_task(index.add_documents([{"id": 0}]).task_uid).status == "succeeded"
    old = server.worker_pid()
    watch = HealthWatch(server.url)
    os.kill(old, signal.SIGKILL)
    started = time.monotonic()
    task = index.add_documents([{"id": 1, "title": "after the kill"}])  # used to block for ever
    answered_in = time.monotonic() - started
    new = server.worker_pid(other_than=old)
    assert client.wait_for_task(task.task_uid, timeout_in_ms=60000).status == "succeeded"
    assert index.get_document(1).title == "after the kill"
    seen = watch.stop()
    assert answered_in < 5, answered_in
    statuses = [status for _, status, _ in seen]
    assert set(statuses) <= {200, 503}
    first_503 = next(t for t, status, _ in seen if status == 503)
    assert first_503 < 1.0, f"dead worker noticed after {first_503:.3f} s"  # the bound
    assert (503, b'{"status":"unavailable"}') in [(s, b) for _, s, b in seen]
    assert health(server.url) == (200, b'{"status":"available"}')
    log = server.log()
    assert f"task worker (pid {old}) died (killed by SIGKILL); restarting it" in log
    assert f"task worker (pid {new}) ready" in log
    assert "Traceback" not in log


def test_worker_killed_while_busy(fresh_server):
    server = fresh_server()
    client = server.client()
    index = client.index("busy")
    uids = []
    for batch in range(3):  # replace, update, replace: three batches (methods never batch together)
        docs = [{"id": batch * 10000 + i, "text": "lorem ipsum dolor sit amet " * 10} for i in range(10000)]
        uids.append(index.add_documents(docs).task_uid if batch != 1 else index.update_documents(docs).task_uid)
    deadline = time.monotonic() + 60
    while client.get_tasks({"statuses": ["processing"]}).total == 0:
        assert time.monotonic() < deadline, "no batch started"
        time.sleep(0.02)
    processing = [t.uid for t in client.get_tasks({"statuses": ["processing"]}).results]
    old = server.worker_pid()
    os.kill(old, signal.SIGKILL)
    watch = HealthWatch(server.url)
    for uid in uids:
        assert client.wait_for_task(uid, timeout_in_ms=180000).status == "succeeded"
    seen = watch.stop()
    assert {status for _, status, _ in seen} <= {200, 503}
    assert index.get_stats().number_of_documents == 30000
    assert client.get_tasks({"statuses": ["processing", "enqueued"]}).total == 0
    for uid in processing:  # the interrupted batch was rolled back and run again by the new worker
        assert client.get_task(uid).status == "succeeded"
    assert health(server.url) == (200, b'{"status":"available"}')
    assert f"task worker (pid {old}) died (killed by SIGKILL)" in server.log()
