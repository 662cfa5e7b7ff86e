"""A small harness for ports of Meilisearch's integration tests (crates/meilisearch/tests/*):
the in-process app behind aiohttp's test client, tasks waited for through the engine, and
upstream's snapshot redactions (uids, dates, durations) so expected bodies can be transcribed
from the `.rs` / `.snap` files as they are.

`same(actual, expected)` compares values *and* key order (upstream snapshots are ordered JSON).
"""
from __future__ import annotations

import json
from typing import Any

import pytest

from engine.engine import Engine

KEY = "upstream-port-master-key-0123"
HEADERS = {"Authorization": f"Bearer {KEY}"}
TASK_REDACTIONS = {"uid": "[uid]", "batchUid": "[batch_uid]", "duration": "[duration]",
                   "enqueuedAt": "[date]", "startedAt": "[date]", "finishedAt": "[date]"}


def same(actual: Any, expected: Any) -> None:
    """Equal as values (pytest shows the diff) and as ordered JSON text (field order counts)."""
    shown = f"\nactual:   {json.dumps(actual)}\nexpected: {json.dumps(expected)}"
    assert actual == expected, shown
    assert json.dumps(actual) == json.dumps(expected), "same values, other field order" + shown


def error(code: str, message: str, kind: str = "invalid_request") -> dict[str, str]:
    return {"message": message, "code": code, "type": kind, "link": "https://docs.meilisearch.com/errors#" + code}


def task(uid: str, status: str, kind: str, details: dict[str, Any], err: dict[str, str] | None = None
         ) -> dict[str, Any]:
    """An upstream task snapshot, redacted as upstream's `wait_task` snapshots are."""
    return {"uid": "[uid]", "batchUid": "[batch_uid]", "indexUid": uid, "status": status, "type": kind,
            "canceledBy": None, "details": details, "error": err, "duration": "[duration]",
            "enqueuedAt": "[date]", "startedAt": "[date]", "finishedAt": "[date]"}


def added(received: int, indexed: int) -> dict[str, int]:
    return {"receivedDocuments": received, "indexedDocuments": indexed}


class Meili:
    """What upstream's `Server`/`Index` test helpers do, over HTTP on the in-process app."""

    def __init__(self, http: Any, engine: Engine) -> None:
        self.http = http
        self.engine = engine

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        response = await self.http.request(method, path, json=body, headers=HEADERS)
        return response.status, await response.json()

    async def wait(self, enqueued: dict[str, Any]) -> dict[str, Any]:
        """GET /tasks/{uid} once the task is finished, redacted like upstream's snapshots."""
        self.engine.wait_for_task(enqueued["taskUid"])
        status, done = await self.call("GET", f"/tasks/{enqueued['taskUid']}")
        assert status == 200, done
        return {key: TASK_REDACTIONS.get(key, value) for key, value in done.items()}

    async def enqueue(self, method: str, path: str, body: Any) -> dict[str, Any]:
        status, enqueued = await self.call(method, path, body)
        assert status == 202, enqueued
        return await self.wait(enqueued)

    async def settings(self, uid: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH settings, which must be accepted (202); the finished task."""
        return await self.enqueue("PATCH", f"/indexes/{uid}/settings", body)

    async def refused_settings(self, uid: str, body: dict[str, Any]) -> tuple[int, Any]:
        return await self.call("PATCH", f"/indexes/{uid}/settings", body)

    async def add(self, uid: str, documents: Any) -> dict[str, Any]:
        return await self.enqueue("POST", f"/indexes/{uid}/documents", documents)

    async def documents(self, uid: str, retrieve_vectors: bool = True) -> Any:
        query = "?retrieveVectors=true" if retrieve_vectors else ""
        status, body = await self.call("GET", f"/indexes/{uid}/documents{query}")
        assert status == 200, body
        return body

    async def search(self, uid: str, body: dict[str, Any]) -> tuple[int, Any]:
        """POST search; `processingTimeMs` redacted and `requestUid` dropped (upstream's snapshots
        predate it or redact it)."""
        status, answer = await self.call("POST", f"/indexes/{uid}/search", body)
        if status == 200:
            answer["processingTimeMs"] = "[duration]"
            answer.pop("requestUid", None)
        return status, answer


@pytest.fixture
def engine(tmp_path):
    """A fresh engine for each upstream test, as upstream's `Server::new` gives each a fresh index."""
    engine = Engine(tmp_path / "db", worker="thread")
    yield engine
    engine.close()


@pytest.fixture
async def meili(engine, aiohttp_client):
    """The HTTP routes over `engine`, behind the harness's master key."""
    from server.app import create_app
    return Meili(await aiohttp_client(create_app(engine, master_key=KEY)), engine)

