"""Several serving processes on one port (`--http-workers`), one task worker.

Properties, with a real `loupe --http-workers 2`:
1. two serving processes and one worker run under the master; GET /health answers the same
   everywhere (503 in every process while the worker is dead, 200 again after its restart);
2. what one process writes the other sees at once: a key created (or deleted) through one
   connection authenticates (or is refused) on every fresh connection; documents of each new
   batch are found by searches on every fresh connection (per-process caches follow batches);
3. while one connection runs a long multi-search, /health on fresh connections keeps answering
   within a second (the idle process takes them);
4. a serving process that dies is restarted and the server keeps answering;
5. a multi-search whose answer would pass `LOUPE_MULTI_SEARCH_MAX_BYTES` is refused with 400
   `bad_request` (and a smaller one is answered);
6. `--http-workers 1` serves from the master process itself (no serving children).
"""
from __future__ import annotations

import os
import re
import signal
import threading
import time

import pytest
import requests

from support import LoupeProcess, child_pids


def fresh(url: str, method: str = "GET", key: str | None = None, **kwargs) -> requests.Response:
    """One request on a new connection (so that either serving process may take it)."""
    headers = {"Connection": "close"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return requests.request(method, url, headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    server = LoupeProcess(tmp_path_factory.mktemp("two") / "data.ms", extra=["--http-workers", "2"],
                          env={"LOUPE_MULTI_SEARCH_MAX_BYTES": "2000000"}).start()
    yield server
    server.stop()


def serving_pids(server: LoupeProcess) -> list[int]:
    worker = server.worker_pid()
    pids = []
    for pid in child_pids(server.proc.pid):
        try:
            if b"spawn_main" in open(f"/proc/{pid}/cmdline", "rb").read() and pid != worker:
                pids.append(pid)
        except OSError:
            pass
    return pids


def test_processes_and_shared_health(two):
    assert "2 serving processes" in two.log()
    assert len(serving_pids(two)) == 2
    worker = two.worker_pid()
    os.kill(worker, signal.SIGKILL)
    answers = [fresh(two.url + "/health") for _ in range(30)]
    assert {r.status_code for r in answers} <= {200, 503}
    two.worker_pid(other_than=worker)
    deadline = time.monotonic() + 30
    while not all(fresh(two.url + "/health").status_code == 200 for _ in range(10)):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_keys_and_batches_seen_by_every_process(two):
    client = two.client()
    key = client.create_key({"actions": ["search"], "indexes": ["seen"], "expiresAt": None})
    index = client.index("seen")
    for n in range(3):
        task = index.add_documents([{"id": n, "title": f"word{n} common"}])
        assert client.wait_for_task(task.task_uid).status == "succeeded"
        for _ in range(10):
            hits = fresh(two.url + "/indexes/seen/search", "POST", key.key, json={"q": "common"}).json()["hits"]
            assert sorted(h["id"] for h in hits) == list(range(n + 1))
    client.delete_key(key.key)
    assert {fresh(two.url + "/indexes/seen/search", "POST", key.key, json={"q": "x"}).status_code
            for _ in range(10)} == {403}


def test_long_search_does_not_hold_other_requests(two):
    client = two.client()
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
    docs = [{"id": i, "text": " ".join(words[(i * j) % 12] for j in range(1, 30))} for i in range(2000)]
    client.wait_for_task(client.index("long").add_documents(docs).task_uid)
    queries = [{"indexUid": "long", "q": f"{words[i % 12]} {words[(i + 3) % 12]}", "limit": 1,
                "attributesToRetrieve": ["id"]} for i in range(5000)]
    took: list[float] = []
    answers: list[tuple[int, int]] = []

    def long_search() -> None:
        started = time.monotonic()
        response = fresh(two.url + "/multi-search", "POST", two.master_key, json={"queries": queries})
        took.append(time.monotonic() - started)
        answers.append((response.status_code, len(response.json().get("results", []))))

    thread = threading.Thread(target=long_search)
    thread.start()
    time.sleep(0.3)
    latencies = []
    while thread.is_alive():
        started = time.monotonic()
        assert fresh(two.url + "/health").status_code == 200
        latencies.append(time.monotonic() - started)
        time.sleep(0.05)
    thread.join()
    assert answers == [(200, 5000)]
    assert took[0] > 1.0, took  # it did hold its process for a while
    assert latencies and max(latencies) < 1.0, (max(latencies), took)


def test_multi_search_answer_is_bounded(two):
    client = two.client()
    client.wait_for_task(client.index("big").add_documents(
        [{"id": i, "text": "padding " * 100} for i in range(50)]).task_uid)
    small = fresh(two.url + "/multi-search", "POST", two.master_key,
                  json={"queries": [{"indexUid": "big", "q": "padding", "limit": 5}]})
    assert small.status_code == 200 and len(small.json()["results"][0]["hits"]) == 5
    big = fresh(two.url + "/multi-search", "POST", two.master_key,
                json={"queries": [{"indexUid": "big", "q": "padding", "limit": 50}] * 100})
    assert big.status_code == 400
    body = big.json()
    assert body["code"] == "bad_request" and body["type"] == "invalid_request"
    assert re.match(r"The answer to this multi-search would be larger than 2000000 bytes \(reached at "
                    r"`\.queries\[\d+\]`\)\. Send its queries in several requests, or lower their `limit`\.$",
                    body["message"]), body["message"]


def test_dead_serving_process_is_restarted(two):
    victim = serving_pids(two)[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while True:
        pids = serving_pids(two)
        if len(pids) == 2 and victim not in pids:
            break
        assert time.monotonic() < deadline, pids
        time.sleep(0.05)
    assert all(fresh(two.url + "/health").status_code in (200, 503) for _ in range(10))
    assert re.search(rf"serving process \d \(pid {victim}\) died", two.log())


def test_single_process_mode(fresh_server):
    server = fresh_server(extra=["--http-workers", "1"])
    assert "1 serving process)" in server.log()
    assert len([p for p in child_pids(server.proc.pid)
                if b"spawn_main" in open(f"/proc/{p}/cmdline", "rb").read()]) == 1  # the worker only
    client = server.client()
    assert client.wait_for_task(client.index("one").add_documents([{"id": 1}]).task_uid).status == "succeeded"
