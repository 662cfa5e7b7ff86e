"""GET /tasks/{uid}/documents (`getTaskDocumentsRoute`, api.md §12) through aiohttp's test client.

Properties:
1. Off by default: `feature_not_enabled` with Meilisearch's sentence.
2. Once enabled, a document task still enqueued answers its documents as NDJSON, one object per
   line, whatever format they were sent in (JSON array, NDJSON, CSV).
3. A task that carries no documents (another type, or one already processed) is 404
   `task_file_not_found`; an unknown task 404 `task_not_found`; a uid that is no number 400.
"""
import orjson
import pytest

from engine.engine import Engine
from server.app import create_app

KEY = "a-master-key-of-16-bytes"
AUTH = {"Authorization": f"Bearer {KEY}"}


async def _client(tmp_path, aiohttp_client, worker):
    engine = Engine(tmp_path / "db", worker=worker)
    client = await aiohttp_client(create_app(engine, master_key=KEY))
    return engine, client


async def _enable(client):
    r = await client.patch("/experimental-features", json={"getTaskDocumentsRoute": True}, headers=AUTH)
    assert r.status == 200


def error(code, message):
    return {"message": message, "code": code, "type": "invalid_request",
            "link": "https://docs.meilisearch.com/errors#" + code}


async def test_documents_of_enqueued_tasks(tmp_path, aiohttp_client):
    engine, client = await _client(tmp_path, aiohttp_client, "none")  # nothing is ever processed
    try:
        r = await client.get("/tasks/0/documents", headers=AUTH)
        assert (r.status, await r.json()) == (400, {
            "message": "Getting the documents of an enqueued task requires enabling the `get task documents route` "
                       "experimental feature. See https://github.com/orgs/meilisearch/discussions/808",
            "code": "feature_not_enabled", "type": "invalid_request",
            "link": "https://docs.meilisearch.com/errors#feature_not_enabled"})
        await _enable(client)
        sent = [
            (b'[{"id": 1, "title": "Nemo"}, {"id": 2, "title": "Up", "tags": ["a"]}]', "application/json"),
            (b'{"id": 3, "title": "Cars"}\n{"id": 4}\n', "application/x-ndjson"),
            (b"id,title\n5,Coco\n", "text/csv"),
        ]
        for body, content_type in sent:
            r = await client.post("/indexes/movies/documents", data=body, headers={**AUTH, "Content-Type": content_type})
            assert r.status == 202
        expected = [[{"id": 1, "title": "Nemo"}, {"id": 2, "title": "Up", "tags": ["a"]}],
                    [{"id": 3, "title": "Cars"}, {"id": 4}], [{"id": "5", "title": "Coco"}]]
        for uid, documents in enumerate(expected):
            r = await client.get(f"/tasks/{uid}/documents", headers=AUTH)
            assert r.status == 200 and r.headers["Content-Type"].startswith("application/x-ndjson")
            text = await r.read()
            assert text.endswith(b"\n") and [orjson.loads(line) for line in text.splitlines()] == documents
        r = await client.patch("/indexes/movies/settings", json={"filterableAttributes": ["id"]}, headers=AUTH)
        assert r.status == 202
        r = await client.get("/tasks/3/documents", headers=AUTH)
        assert (r.status, await r.json()) == (404, error(
            "task_file_not_found", "Task `3` does not contain any documents. Only `documentAdditionOrUpdate` tasks "
                                   "with the statuses `enqueued` or `processing` contain documents"))
        r = await client.get("/tasks/99/documents", headers=AUTH)
        assert (r.status, await r.json()) == (404, error("task_not_found", "Task `99` not found."))
        r = await client.get("/tasks/x1/documents", headers=AUTH)
        assert (r.status, (await r.json())["code"]) == (400, "invalid_task_uids")
    finally:
        engine.close()


async def test_processed_tasks_hold_no_documents(tmp_path, aiohttp_client):
    engine, client = await _client(tmp_path, aiohttp_client, "thread")
    try:
        await _enable(client)
        r = await client.post("/indexes/movies/documents", json=[{"id": 1}], headers=AUTH)
        uid = (await r.json())["taskUid"]
        assert engine.wait_for_task(uid)["status"] == "succeeded"
        r = await client.get(f"/tasks/{uid}/documents", headers=AUTH)
        assert r.status == 404 and (await r.json())["code"] == "task_file_not_found"
    finally:
        engine.close()
