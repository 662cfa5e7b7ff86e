"""Every route that returns task or batch data honours the key's index patterns (issue 19, point 4).

A store holds tasks and batches of four indexes (`movies`, `moviesArchive`, `books`, `secret`),
failed tasks, a swap, a cancelation and a task deletion.  Two keys walk every task and batch
route: one scoped to `["movies"]`, one scoped by the pattern `["movies*"]`.

Properties:
1. GET /tasks (every page, every filter) lists exactly the tasks of the key's indexes, never a
   task that concerns no single index (swap, cancelation, deletion), and `total` counts only those;
2. GET /tasks/{uid} answers exactly those tasks, and 404 `task_not_found` for every other uid;
3. GET /batches and GET /batches/{uid} answer exactly the batches of the key's indexes, 404
   `batch_not_found` for every other uid (the bug: GET /batches/{uid} showed any batch);
4. POST /tasks/cancel and DELETE /tasks only match (and so only touch) the key's tasks, and the
   tasks they enqueue are themselves hidden from the key;
5. GET /tasks/{uid}/documents answers `task_not_found` for another index's enqueued task, and a
   running batch of another index (its `progress`, `stats.indexUids`) stays hidden too;
6. no answer to either key contains the name of an index it cannot see.
"""
from __future__ import annotations

import asyncio
import time

import orjson
import pytest

from engine.engine import Engine
from engine.tasks.worker import Worker
from server.app import create_app

MASTER = "index-scope-master-key-0123"
ALL = {"Authorization": f"Bearer {MASTER}"}
INDEXES = ("movies", "moviesArchive", "books", "secret")
SCOPES = {("movies",): {"movies"}, ("movies*",): {"movies", "moviesArchive"}}
HIDDEN_NAMES = ("books", "secret")
TASK_FILTERS = ("", "statuses=failed", "statuses=succeeded,failed", "types=documentAdditionOrUpdate",
                "types=indexSwap,taskDeletion,taskCancelation", "indexUids=books", "indexUids=movies,secret",
                "indexUids=*", "uids=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20", "batchUids=0,1,2,3,4",
                "canceledBy=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20", "afterEnqueuedAt=2000-01-01",
                "reverse=true", "limit=1", "limit=2&from=10")


def not_found(kind: str, uid: int) -> dict:
    code = f"{kind}_not_found"
    return {"message": f"{kind.capitalize()} `{uid}` not found.", "code": code, "type": "invalid_request",
            "link": f"https://docs.meilisearch.com/errors#{code}"}


async def _call(client, method: str, path: str, headers: dict, *, visible_names: set[str] | None = None):
    response = await client.request(method, path, headers=headers)
    text = await response.text()
    if visible_names is not None:
        for name in HIDDEN_NAMES:
            assert name not in text, f"{method} {path} leaks `{name}`: {text}"
    return response.status, orjson.loads(text) if text else None


async def _wait_idle(client) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _, body = await _call(client, "GET", "/tasks?statuses=enqueued,processing&limit=1", ALL)
        if body["total"] == 0:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("tasks still pending")


async def _key(client, indexes: list[str]) -> dict:
    response = await client.post("/keys", json={"actions": ["*"], "indexes": indexes, "expiresAt": None},
                                 headers=ALL)
    assert response.status == 201
    return {"Authorization": f"Bearer {(await response.json())['key']}"}


async def _populate(client) -> None:
    """Tasks of every index, failures, a swap, a cancelation and a deletion of tasks."""
    for uid in INDEXES:
        r = await client.post(f"/indexes/{uid}/documents", json=[{"id": 1, "title": "x"}], headers=ALL)
        assert r.status == 202
        r = await client.patch(f"/indexes/{uid}/settings", json={"filterableAttributes": ["title"]}, headers=ALL)
        assert r.status == 202
        r = await client.post(f"/indexes/{uid}/documents/delete", json={"filter": "nope = 1"}, headers=ALL)
        assert r.status == 202  # fails: `nope` is not filterable
    await _wait_idle(client)
    r = await client.post("/swap-indexes", json=[{"indexes": ["books", "secret"]}], headers=ALL)
    assert r.status == 202
    await _wait_idle(client)
    r = await client.post("/tasks/cancel?statuses=enqueued", headers=ALL)
    assert r.status == 200
    r = await client.delete("/tasks?uids=2", headers=ALL)
    assert r.status == 200
    await _wait_idle(client)


async def _everything(client, path: str) -> list[dict]:
    _, body = await _call(client, "GET", f"{path}?limit=1000", ALL)
    return body["results"]


def _task_visible(task: dict, indexes: set[str]) -> bool:
    return task["indexUid"] in indexes


def _batch_visible(batch: dict, indexes: set[str]) -> bool:
    return set(batch["stats"]["indexUids"]) <= indexes and bool(batch["stats"]["indexUids"]) and not (
        {"indexSwap", "taskCancelation", "taskDeletion"} & set(batch["stats"]["types"]))


@pytest.fixture
async def scoped(tmp_path, aiohttp_client):
    engine = Engine(tmp_path / "db", worker="thread")
    client = await aiohttp_client(create_app(engine, master_key=MASTER))
    await _populate(client)
    yield client
    engine.close()


@pytest.mark.parametrize("patterns", list(SCOPES), ids=["movies", "movies*"])
async def test_task_and_batch_reads_stay_in_scope(scoped, patterns):
    client, indexes = scoped, SCOPES[patterns]
    key = await _key(client, list(patterns))
    tasks = await _everything(client, "/tasks")
    batches = await _everything(client, "/batches")
    assert {t["type"] for t in tasks} >= {"indexSwap", "taskCancelation", "taskDeletion", "documentDeletion"}
    visible_tasks = [t for t in tasks if _task_visible(t, indexes)]
    visible_batches = [b for b in batches if _batch_visible(b, indexes)]
    assert visible_tasks and len(visible_tasks) < len(tasks)
    assert visible_batches and len(visible_batches) < len(batches)

    for query in TASK_FILTERS:
        status, body = await _call(client, "GET", f"/tasks?{query}", key, visible_names=indexes)
        _, everyone = await _call(client, "GET", f"/tasks?{query}", ALL)
        expected = [t for t in everyone["results"] if _task_visible(t, indexes)]
        assert status == 200 and {t["uid"] for t in body["results"]} <= {t["uid"] for t in visible_tasks}
        if "limit" not in query:
            assert (body["results"], body["total"]) == (expected, len(expected)), query

    for task in tasks:
        status, body = await _call(client, "GET", f"/tasks/{task['uid']}", key, visible_names=indexes)
        if _task_visible(task, indexes):
            assert (status, body) == (200, task)
        else:
            assert (status, body) == (404, not_found("task", task["uid"]))

    status, body = await _call(client, "GET", "/batches?limit=1000", key, visible_names=indexes)
    assert (status, body["results"], body["total"]) == (200, visible_batches, len(visible_batches))
    for query in TASK_FILTERS:
        status, body = await _call(client, "GET", f"/batches?{query}", key, visible_names=indexes)
        assert status == 200 and {b["uid"] for b in body["results"]} <= {b["uid"] for b in visible_batches}
    for batch in batches:
        status, body = await _call(client, "GET", f"/batches/{batch['uid']}", key, visible_names=indexes)
        if _batch_visible(batch, indexes):
            assert (status, body) == (200, batch)
        else:
            assert (status, body) == (404, not_found("batch", batch["uid"]))


@pytest.mark.parametrize("patterns", list(SCOPES), ids=["movies", "movies*"])
async def test_cancel_and_delete_touch_only_the_keys_tasks(scoped, patterns):
    client, indexes = scoped, SCOPES[patterns]
    key = await _key(client, list(patterns))
    before = await _everything(client, "/tasks")
    mine = [t["uid"] for t in before if _task_visible(t, indexes)]

    status, body = await _call(client, "POST", "/tasks/cancel?statuses=succeeded,failed", key,
                               visible_names=indexes)
    assert (status, body["type"], body["indexUid"]) == (200, "taskCancelation", None)
    cancel_uid = body["taskUid"]
    status, body = await _call(client, "DELETE", "/tasks?statuses=succeeded,failed", key, visible_names=indexes)
    assert (status, body["type"], body["indexUid"]) == (200, "taskDeletion", None)
    deletion_uid = body["taskUid"]
    await _wait_idle(client)

    for uid in (cancel_uid, deletion_uid):
        assert await _call(client, "GET", f"/tasks/{uid}", key) == (404, not_found("task", uid))
    _, deletion = await _call(client, "GET", f"/tasks/{deletion_uid}", ALL)
    assert deletion["details"]["matchedTasks"] == deletion["details"]["deletedTasks"] == len(mine)
    after = {t["uid"] for t in await _everything(client, "/tasks")}
    assert after == {t["uid"] for t in before if t["uid"] not in mine} | {cancel_uid, deletion_uid}
    for path in ("/tasks", "/batches"):
        status, body = await _call(client, "GET", path, key, visible_names=indexes)
        assert (status, body["results"], body["total"]) == (200, [], 0)


async def test_enqueued_and_running_work_of_other_indexes_stays_hidden(tmp_path, aiohttp_client):
    engine = Engine(tmp_path / "db", worker="none")  # nothing runs unless this test runs it
    client = await aiohttp_client(create_app(engine, master_key=MASTER))
    try:
        r = await client.patch("/experimental-features", json={"getTaskDocumentsRoute": True}, headers=ALL)
        assert r.status == 200
        for uid in ("books", "movies"):
            r = await client.post(f"/indexes/{uid}/documents", json=[{"id": 1}], headers=ALL)
            assert r.status == 202
        key = await _key(client, ["movies*"])
        assert await _call(client, "GET", "/tasks/0/documents", key) == (404, not_found("task", 0))
        status, body = await _call(client, "GET", "/tasks/1/documents", key)
        assert (status, body) == (200, {"id": 1})

        worker = Worker(engine.store, engine.queue)
        worker._start([engine.queue.get(0)], time.time_ns())  # books' batch 0 is now running
        _, running = await _call(client, "GET", "/batches/0", ALL)
        assert running["progress"] is not None and running["stats"]["indexUids"] == {"books": 1}
        assert await _call(client, "GET", "/batches/0", key) == (404, not_found("batch", 0))
        status, body = await _call(client, "GET", "/batches", key, visible_names={"movies"})
        assert (status, body["results"], body["total"]) == (200, [], 0)
        status, body = await _call(client, "GET", "/tasks?statuses=processing", key, visible_names={"movies"})
        assert (status, body["results"], body["total"]) == (200, [], 0)
    finally:
        engine.close()
