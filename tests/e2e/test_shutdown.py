"""Shutdown within 2 s of SIGTERM or SIGINT, to the server or to its whole process group.

Properties, with a real `loupe` process, for each signal and each target, in each state:
1. idle: the process exits (status 0) within 2 s (the issue's bound);
2. mid-request (a 5,000-query multi-search holding the event loop): within 2 s;
3. mid-body (a client sent half a body and stalls): within 2 s, with no traceback logged;
4. mid-batch (the worker is indexing): within 2 s; the batch was rolled back, and after a restart
   its task is processed again and every document is there.
No worker process outlives the server.
"""
from __future__ import annotations

import os
import signal
import socket
import threading
import time

import pytest
import requests

from support import child_pids

SIGNALS = [(signal.SIGTERM, "server"), (signal.SIGINT, "server"), (signal.SIGTERM, "group"),
           (signal.SIGINT, "group")]
IDS = ["TERM-server", "INT-server", "TERM-group", "INT-group"]
# The default runs one serving process per core (a master and its children); `--http-workers 1`
# serves from the master itself: both are stopped the same way.
BUSY = [(*case, []) for case in SIGNALS] + [(signal.SIGTERM, "server", ["--http-workers", "1"]),
                                            (signal.SIGINT, "group", ["--http-workers", "1"])]
BUSY_IDS = IDS + ["TERM-server-1-process", "INT-group-1-process"]


def stop_with(server, signum: int, target: str) -> float:
    """Send ``signum`` to the server or its process group; seconds until the server exited."""
    workers = child_pids(server.proc.pid)
    started = time.monotonic()
    if target == "group":
        os.killpg(server.proc.pid, signum)
    else:
        server.proc.send_signal(signum)
    server.proc.wait(30)
    elapsed = time.monotonic() - started
    print(f"shutdown: {signal.Signals(signum).name} to the {target}: {elapsed:.3f} s")
    assert server.proc.returncode == 0, server.log()
    time.sleep(0.2)
    assert not [pid for pid in workers if os.path.exists(f"/proc/{pid}") and _alive(pid)], "a child outlived the server"
    return elapsed


def _alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("signum,target", SIGNALS, ids=IDS)
def test_idle(fresh_server, signum, target):
    server = fresh_server()
    assert stop_with(server, signum, target) < 2.0
    assert f"{signal.Signals(signum).name} received: shutting down" in server.log()


@pytest.mark.parametrize("signum,target,extra", BUSY, ids=BUSY_IDS)
def test_mid_request(fresh_server, signum, target, extra):
    server = fresh_server(extra=extra)
    client = server.client()
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
    docs = [{"id": i, "text": " ".join(words[(i * j) % 12] for j in range(1, 30))} for i in range(2000)]
    client.wait_for_task(client.index("m").add_documents(docs).task_uid)
    queries = [{"indexUid": "m", "q": f"{words[i % 12]} {words[(i + 3) % 12]}", "limit": 50} for i in range(5000)]
    headers = {"Authorization": f"Bearer {server.master_key}"}

    def long_search() -> None:
        try:
            requests.post(server.url + "/multi-search", json={"queries": queries}, headers=headers, timeout=60)
        except requests.RequestException:
            pass  # the server went away mid-answer: expected

    thread = threading.Thread(target=long_search, daemon=True)
    thread.start()
    time.sleep(0.7)  # the search is running on the event loop
    assert stop_with(server, signum, target) < 2.0
    thread.join(10)


@pytest.mark.parametrize("signum,target,extra", BUSY, ids=BUSY_IDS)
def test_mid_body(fresh_server, signum, target, extra):
    server = fresh_server(extra=extra)
    stalled = socket.create_connection(("127.0.0.1", server.port))
    stalled.sendall(b"POST /indexes/a/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + server.master_key.encode() + b"\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 1000\r\n\r\n[{\"id\": 1")
    time.sleep(0.3)
    try:
        assert stop_with(server, signum, target) < 2.0
    finally:
        stalled.close()
    assert "Traceback" not in server.log()


@pytest.mark.parametrize("signum,target,extra", BUSY, ids=BUSY_IDS)
def test_mid_batch(fresh_server, signum, target, extra):
    server = fresh_server(extra=extra)
    client = server.client()
    docs = [{"id": i, "text": "lorem ipsum dolor sit amet " * 10} for i in range(20000)]
    uid = client.index("batch").add_documents(docs).task_uid
    deadline = time.monotonic() + 60
    while client.get_task(uid).status != "processing":
        assert time.monotonic() < deadline, "the batch never started"
        time.sleep(0.01)
    assert stop_with(server, signum, target) < 2.0
    server.start()
    client = server.client()
    assert client.get_task(uid).status in ("enqueued", "processing")  # rolled back, not half applied
    assert client.wait_for_task(uid, timeout_in_ms=120000).status == "succeeded"
    assert client.index("batch").get_stats().number_of_documents == 20000
