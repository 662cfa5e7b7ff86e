"""Poison documents fail only their own task, with Meilisearch's error for them (issue 19, point 3).

Each test enqueues a healthy task, a poison one and another healthy one for the same index, then
lets one worker run them: they form ONE batch, as they would for concurrent clients.

Properties:
1. a field value nested 128 levels deep or more (serde_json's recursion limit, which upstream's
   indexer meets) fails its task with `malformed_payload` locating the bracket, for JSON and NDJSON
   payloads alike, up to the 1,024 levels the payload parser accepts; 127 levels are indexed;
2. a document that would take its index past 65,535 fields fails with `max_fields_limit_exceeded`,
   and so does a task whose new fields, added to those the index already holds, pass the limit;
3. document ids of 508 to 511 bytes (the most Meilisearch accepts) are stored, fetched, replaced
   and deleted like any other; 512 bytes fail with `invalid_document_id`;
4. an unexpected error while applying one task (not a Meilisearch error at all) fails that task
   alone with `internal`; the other tasks of the batch are applied, once;
5. in every case the healthy tasks succeed in the same batch and their documents are searchable.
"""
from __future__ import annotations

import orjson
import pytest

from engine.engine import Engine
from engine.indexer.apply import IndexWriter
from engine.tasks.worker import Worker
from server.app import create_app

KEY = "poison-documents-master-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
JSON = {**AUTH, "Content-Type": "application/json"}
NDJSON = {**AUTH, "Content-Type": "application/x-ndjson"}


def error(code: str, message: str, kind: str = "invalid_request") -> dict:
    return {"message": message, "code": code, "type": kind, "link": f"https://docs.meilisearch.com/errors#{code}"}


def nested(levels: int) -> bytes:
    """A field value of ``levels`` nested arrays and objects, alternating, as JSON text."""
    text = b"1"
    for level in range(levels):
        text = b'{"k":' + text + b"}" if level % 2 else b"[" + text + b"]"
    return text


def column_of_level(prefix: bytes, value: bytes, level: int = 128) -> int:
    """1-based column of the bracket opening ``level`` in ``value`` written after ``prefix``."""
    brackets = [i for i, byte in enumerate(value) if byte in b"[{"]
    return len(prefix) + brackets[level - 1] + 1


@pytest.fixture
async def server(tmp_path, aiohttp_client):
    engine = Engine(tmp_path / "db", worker="none")  # the test runs the worker itself
    client = await aiohttp_client(create_app(engine, master_key=KEY))
    yield engine, client
    engine.close()


async def post(client, body: bytes, headers: dict = JSON) -> int:
    response = await client.post("/indexes/movies/documents?primaryKey=id", data=body, headers=headers)
    assert response.status == 202, await response.text()
    return (await response.json())["taskUid"]


def run_worker(engine: Engine) -> None:
    worker = Worker(engine.store, engine.queue)
    while worker.tick():
        pass


async def task(client, uid: int) -> dict:
    response = await client.get(f"/tasks/{uid}", headers=AUTH)
    return await response.json()


async def between_healthy(server, poison: bytes, headers: dict = JSON) -> dict:
    """Enqueue healthy, poison, healthy; run them; check the healthy ones; return the poison task."""
    engine, client = server
    first = await post(client, b'[{"id": "h1", "title": "healthy one"}]')
    bad = await post(client, poison, headers)
    last = await post(client, b'{"id": "h2", "title": "healthy two"}\n', NDJSON)
    run_worker(engine)
    tasks = [await task(client, uid) for uid in (first, bad, last)]
    assert len({t["batchUid"] for t in tasks}) == 1, "the three tasks were not batched together"
    for healthy in (tasks[0], tasks[2]):
        assert (healthy["status"], healthy["error"], healthy["details"]["indexedDocuments"]) == ("succeeded", None, 1)
    response = await client.post("/indexes/movies/search", json={"q": "healthy"}, headers=AUTH)
    assert sorted(hit["id"] for hit in (await response.json())["hits"]) == ["h1", "h2"]
    return tasks[1]


def failed_with(poison_task: dict, expected: dict) -> None:
    assert (poison_task["status"], poison_task["error"], poison_task["details"]["indexedDocuments"]) == (
        "failed", expected, 0)


@pytest.mark.parametrize("levels", [128, 254, 600, 1022])
async def test_too_deep_json_fails_alone(server, levels):
    body = b'[{"id": "p", "v": ' + nested(levels) + b"}]"
    column = column_of_level(b'[{"id": "p", "v": ', nested(levels))
    failed_with(await between_healthy(server, body), error(
        "malformed_payload", "The `json` payload provided is malformed. `Couldn't serialize document value: "
                             f"recursion limit exceeded at line 1 column {column}`."))


async def test_too_deep_ndjson_is_located_on_its_line(server):
    body = b'{"id": "a"}\n{"id": "b", "v": ' + nested(300) + b"}\n"
    column = column_of_level(b'{"id": "b", "v": ', nested(300))
    failed_with(await between_healthy(server, body, NDJSON), error(
        "malformed_payload", "The `ndjson` payload provided is malformed. `Couldn't serialize document value: "
                             f"recursion limit exceeded at line 2 column {column}`."))


async def test_127_levels_are_indexed(server):
    engine, client = server
    poison = await between_healthy(server, b'{"id": "deep", "v": ' + nested(127) + b"}")
    assert (poison["status"], poison["error"]) == ("succeeded", None)
    response = await client.get("/indexes/movies/documents/deep", headers=AUTH)
    assert response.status == 200 and orjson.dumps((await response.json())["v"]) == nested(127)


async def test_payload_deeper_than_the_parser_is_refused(server):
    _, client = server
    response = await client.post("/indexes/movies/documents", data=b'[{"id": 1, "v": ' + nested(1100) + b"}]",
                                 headers=JSON)
    body = await response.json()
    assert (response.status, body["code"], body["type"]) == (400, "malformed_payload", "invalid_request")


FIELDS_LIMIT = error("max_fields_limit_exceeded", "A document cannot contain more than 65,535 fields.")


async def test_a_document_with_100000_fields_fails_alone(server):
    document = {"id": "wide", **{f"f{n}": n for n in range(100_000)}}
    failed_with(await between_healthy(server, orjson.dumps(document)), FIELDS_LIMIT)


async def test_fields_already_in_the_index_count(server):
    engine, client = server
    first = await post(client, orjson.dumps({"id": "w1", **{f"a{n}": "x" for n in range(40_000)}}))
    run_worker(engine)
    assert (await task(client, first))["status"] == "succeeded"
    nested_fields = {"id": "w2", "b": {f"c{n}": "x" for n in range(30_000)}}  # b + 30,000 paths b.cN
    failed_with(await between_healthy(server, orjson.dumps(nested_fields)), FIELDS_LIMIT)


@pytest.mark.parametrize("size", [508, 509, 510, 511])
async def test_ids_up_to_511_bytes_are_stored(server, size):
    engine, client = server
    long_id = "i" * size
    poison = await between_healthy(server, orjson.dumps({"id": long_id, "title": "first"}))
    assert (poison["status"], poison["error"]) == ("succeeded", None)
    uid = await post(client, orjson.dumps({"id": long_id, "title": "second"}))
    run_worker(engine)
    assert (await task(client, uid))["status"] == "succeeded"
    response = await client.get(f"/indexes/movies/documents/{long_id}", headers=AUTH)
    assert (response.status, await response.json()) == (200, {"id": long_id, "title": "second"})
    stats = await (await client.get("/indexes/movies/stats", headers=AUTH)).json()
    assert stats["numberOfDocuments"] == 3
    response = await client.delete(f"/indexes/movies/documents/{long_id}", headers=AUTH)
    run_worker(engine)
    assert (await task(client, (await response.json())["taskUid"]))["details"]["deletedDocuments"] == 1
    response = await client.get(f"/indexes/movies/documents/{long_id}", headers=AUTH)
    assert response.status == 404


async def test_a_512_byte_id_is_invalid(server):
    long_id = "i" * 512
    failed_with(await between_healthy(server, orjson.dumps({"id": long_id})), error(
        "invalid_document_id", f"Document identifier `\"{long_id}\"` is invalid. A document identifier can be of type "
        "integer or string, only composed of alphanumeric characters (a-z A-Z 0-9), hyphens (-) and underscores "
        "(_), and can not be more than 511 bytes."))


async def test_an_unexpected_error_fails_only_its_task(server, monkeypatch):
    calls: list[str] = []
    add_documents = IndexWriter.add_documents

    def exploding(self, documents, *args, **kwargs):
        calls.append(documents[0]["id"])
        if documents[0]["id"] == "boom":
            self.txn.put(b"written before the failure", b"x", db=self.store.i["documents"])
            raise struct_error()
        return add_documents(self, documents, *args, **kwargs)

    monkeypatch.setattr(IndexWriter, "add_documents", exploding)
    poison = await between_healthy(server, b'{"id": "boom", "title": "healthy"}')
    failed_with(poison, error("internal", "An internal error has occurred. `'H' format requires 0 <= number <= 65535`.",
                              "internal"))
    assert calls == ["h1", "boom", "h1", "boom", "h2"]  # the batch, then each task alone
    engine, _ = server
    with engine.store.index_env.begin() as txn:
        assert txn.get(b"written before the failure", db=engine.store.i["documents"]) is None


def struct_error() -> Exception:
    import struct
    try:
        struct.pack(">H", 70_000)
    except struct.error as exc:
        return exc
    raise AssertionError("struct.pack accepted 70,000 as a u16")


async def test_long_filterable_field_names_and_values(server):
    """Facet keys hold the field name: a long name beside a long value once overflowed LMDB's
    511-byte keys.  Such documents are indexed and filter like any other."""
    engine, client = server
    wide, huge = "f" * 100, "g" * 600
    response = await client.patch("/indexes/movies/settings", json={"filterableAttributes": [wide, huge, "n"]},
                                  headers=AUTH)
    assert response.status == 202
    documents = [{"id": "a", wide: "v" * 500 + "a"}, {"id": "b", wide: "v" * 500 + "b"}, {"id": "c", huge: 7},
                 {"id": "d", "n": {"m" * 300: {"o" * 300: "z"}}}]
    poison = await between_healthy(server, orjson.dumps(documents))
    assert (poison["status"], poison["error"]) == ("succeeded", None)
    for filter, ids in [(f'{wide} = "{"v" * 500 + "a"}"', ["a", "b"]),  # cut to the same key, as upstream cuts
                        (f"{huge} = 7", ["c"]), (f"{huge} > 6", ["c"]), (f"{wide} EXISTS", ["a", "b"]),
                        (f"n.{'m' * 300}.{'o' * 300} = z", ["d"])]:
        response = await client.post("/indexes/movies/search", json={"filter": filter}, headers=AUTH)
        body = await response.json()
        assert sorted(hit["id"] for hit in body.get("hits", [])) == ids, (filter[:40], body)


async def test_field_names_holding_nul(server):
    """Facet keys separate the field name from the value with a NUL byte: the values of `a\\0b`
    once showed up as values of `a` (wrong filter answers, and a facet distribution that failed
    on them).  Found by bench/fuzz.py."""
    engine, client = server
    response = await client.patch("/indexes/movies/settings", json={"filterableAttributes": ["a", "a\u0000b"]},
                                  headers=AUTH)
    assert response.status == 202
    documents = [{"id": "n1", "a": 5}, {"id": "n2", "a\u0000b": 5}, {"id": "n3", "a\u0000b": "x"}]
    poison = await between_healthy(server, orjson.dumps(documents))
    assert (poison["status"], poison["error"]) == ("succeeded", None)
    for filter, ids in [("a = 5", ["n1"]), ("a > 1", ["n1"]), ("a EXISTS", ["n1"]), ("a = x", [])]:
        response = await client.post("/indexes/movies/search", json={"filter": filter}, headers=AUTH)
        assert sorted(hit["id"] for hit in (await response.json())["hits"]) == ids, filter
    response = await client.post("/indexes/movies/search", json={"facets": ["a", "a\u0000b"]}, headers=AUTH)
    assert (response.status, (await response.json())["facetDistribution"]) == (
        200, {"a": {"5": 1}, "a\u0000b": {"5": 1, "x": 1}})


async def test_creation_rights_of_one_client_never_fail_another(server):
    """A client whose key may not create indexes writes first to a missing index; another, who
    may, writes next: the first fails alone with `index_not_found`, the second creates the index,
    and a third write without the right joins the second's batch and succeeds."""
    engine, client = server
    response = await client.post("/keys", json={"actions": ["documents.add"], "indexes": ["*"], "expiresAt": None},
                                 headers=AUTH)
    cannot_create = {"Authorization": f"Bearer {(await response.json())['key']}", "Content-Type": "application/json"}
    first = await post(client, b'[{"id": "c1"}]', cannot_create)
    second = await post(client, b'[{"id": "c2"}]')
    third = await post(client, b'[{"id": "c3"}]', cannot_create)
    run_worker(engine)
    tasks = [await task(client, uid) for uid in (first, second, third)]
    assert [(t["status"], t["error"]) for t in tasks] == [
        ("failed", error("index_not_found", "Index `movies` not found.")), ("succeeded", None), ("succeeded", None)]
    assert tasks[0]["batchUid"] != tasks[1]["batchUid"] == tasks[2]["batchUid"]


async def test_an_error_after_partial_writes_leaves_nothing_behind(server, monkeypatch):
    """A task's own error raised once it had written something (here: after storing its first
    document) fails that task with its error, and none of its writes stay; the others stand."""
    from engine.errors import LoupeError
    add_documents = IndexWriter.add_documents

    def half_done(self, documents, *args, **kwargs):
        if documents[0]["id"] == "half":
            add_documents(self, documents[:1], *args, **kwargs)
            raise LoupeError("invalid_document_geo_field", "The `_geo` field in the document is invalid.")
        return add_documents(self, documents, *args, **kwargs)

    monkeypatch.setattr(IndexWriter, "add_documents", half_done)
    poison = await between_healthy(server, b'[{"id": "half", "title": "healthy"}, {"id": "other"}]')
    failed_with(poison, error("invalid_document_geo_field", "The `_geo` field in the document is invalid."))
    _, client = server
    response = await client.get("/indexes/movies/documents/half", headers=AUTH)
    assert response.status == 404
    stats = await (await client.get("/indexes/movies/stats", headers=AUTH)).json()
    assert stats["numberOfDocuments"] == 2
