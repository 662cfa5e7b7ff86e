"""POST /indexes/{uid}/documents/edit (api.md §3.12) through aiohttp's test client.

Properties:
1. Off by default: 400 `feature_not_enabled` with Meilisearch's sentence; the body is read first
   (a bad body is refused by its own code even with the feature off).
2. The body is read as deserr reads it: not an object, an unknown field, a function that is no
   string, a missing function; then a function that does not compile (400 `bad_request`, located),
   a filter of the wrong type / empty / malformed (`invalid_document_filter`), a context that is
   no object (`invalid_document_edition_context`).
3. 202 with a summarized `documentEdition` task whose details are `{deletedDocuments: null,
   editedDocuments: null, originalFilter: <json string or null>, context, function}`.
4. The worker runs the function over the filtered documents (all without a filter); both counts
   are the number of selected documents, as upstream; the edits reach the word and facet indexes
   and the stats; `doc = ()` deletes.
5. A run-time error, a changed primary key, a document that is no longer an object, a missing
   index or a filter on a non-filterable attribute fail the task with upstream's message, and
   nothing is written.
6. An edition runs alone in its batch.
"""
from __future__ import annotations

import pytest

from engine.engine import Engine
from server.app import create_app

KEY = "a-master-key-of-16-bytes"
AUTH = {"Authorization": f"Bearer {KEY}"}
MOVIES = [
    {"id": 1, "title": "Nemo", "genre": "animation", "year": 2003},
    {"id": 2, "title": "Up", "genre": "animation", "year": 2009},
    {"id": 3, "title": "Alien", "genre": "horror", "year": 1979},
    {"id": 4, "title": "Heat", "genre": "crime", "year": 1995},
]


def error(code: str, message: str, kind: str = "invalid_request") -> dict:
    return {"message": message, "code": code, "type": kind, "link": "https://docs.meilisearch.com/errors#" + code}


@pytest.fixture
async def setup(tmp_path, aiohttp_client):
    engine = Engine(tmp_path / "db", worker="thread")
    client = await aiohttp_client(create_app(engine, master_key=KEY))
    yield engine, client
    engine.close()


async def _enable(client) -> None:
    r = await client.patch("/experimental-features", json={"editDocumentsByFunction": True}, headers=AUTH)
    assert r.status == 200


async def _movies(engine, client, filterable=("id", "genre")) -> None:
    r = await client.post("/indexes/movies/documents", json=MOVIES, headers=AUTH)
    assert engine.wait_for_task((await r.json())["taskUid"])["status"] == "succeeded"
    r = await client.put("/indexes/movies/settings/filterable-attributes", json=list(filterable), headers=AUTH)
    assert engine.wait_for_task((await r.json())["taskUid"])["status"] == "succeeded"


async def _edit(engine, client, body: dict, index: str = "movies") -> dict:
    r = await client.post(f"/indexes/{index}/documents/edit", json=body, headers=AUTH)
    assert r.status == 202, await r.text()
    summary = await r.json()
    assert summary["type"] == "documentEdition" and summary["status"] == "enqueued"
    assert summary["indexUid"] == index
    engine.wait_for_task(summary["taskUid"])
    r = await client.get(f"/tasks/{summary['taskUid']}", headers=AUTH)
    return await r.json()


async def _documents(client) -> list[dict]:
    r = await client.post("/indexes/movies/documents/fetch", json={"limit": 100}, headers=AUTH)
    return sorted((await r.json())["results"], key=lambda d: d["id"])


async def test_feature_is_off_by_default(setup):
    engine, client = setup
    r = await client.post("/indexes/movies/documents/edit", json={"function": "doc.a = 1"}, headers=AUTH)
    assert (r.status, await r.json()) == (400, error(
        "feature_not_enabled",
        "Using the documents edit route requires enabling the `edit documents by function` experimental "
        "feature. See https://github.com/orgs/meilisearch/discussions/762"))
    r = await client.post("/indexes/movies/documents/edit", json={"filter": "id = 1"}, headers=AUTH)
    assert (r.status, await r.json()) == (400, error("missing_document_edition_function", "Missing field `function`"))


@pytest.mark.parametrize("body, expected", [
    ([], error("bad_request", "Invalid value type: expected an object, but found an array: `[]`")),
    ({"function": "doc.a = 1", "lol": 1}, error(
        "bad_request", "Unknown field `lol`: expected one of `filter`, `context`, `function`")),
    ({"function": 3}, error("invalid_document_edition_function_filter",
                            "Invalid value type at `.function`: expected a string, but found a positive integer: `3`")),
    ({"function": None}, error("invalid_document_edition_function_filter",
                               "Invalid value type at `.function`: expected a string, but found null")),
    ({"context": {}}, error("missing_document_edition_function", "Missing field `function`")),
    ({"function": "doc.a = "}, error("bad_request", "Script is incomplete (line 1, position 9)")),
    ({"function": "doc.a = 1 doc.b = 2"}, error(
        "bad_request", "Expecting ';' to terminate this statement (line 1, position 11)")),
    ({"function": "fn f() { 1 }"}, error(
        "bad_request", "Loupe does not support the `fn` keyword of Rhai: edition functions may use `let`, `const`, "
        "assignments, `if`/`else`, `for … in`, `while`, `loop`, `break`, `continue`, `return`, `throw`, operators, "
        "literals, template strings, and the built-in functions (line 1, position 1)")),
    ({"function": "doc.a = 1", "filter": 3}, error(
        "invalid_document_filter", "Invalid syntax for the filter parameter: `expected String, Array, found: 3`.")),
    ({"function": "doc.a = 1", "filter": ""}, error("invalid_document_filter", "Sending an empty filter is forbidden.")),
    ({"function": "doc.a = 1", "filter": []}, error("invalid_document_filter", "Sending an empty filter is forbidden.")),
    ({"function": "doc.a = 1", "context": []}, error("invalid_document_edition_context", "The context must be an object")),
    ({"function": "doc.a = 1", "context": "hello"}, error(
        "invalid_document_edition_context", "The context must be an object")),
    ({"function": "doc.a = ", "filter": 3, "context": 1}, error(
        "bad_request", "Script is incomplete (line 1, position 9)")),
    ({"function": "doc.a = 1", "filter": 3, "context": 1}, error(
        "invalid_document_filter", "Invalid syntax for the filter parameter: `expected String, Array, found: 3`.")),
])
async def test_refused_bodies(setup, body, expected):
    engine, client = setup
    await _enable(client)
    r = await client.post("/indexes/movies/documents/edit", json=body, headers=AUTH)
    assert (r.status, await r.json()) == (400, expected)


async def test_malformed_filter_is_refused_with_the_filter_message(setup):
    engine, client = setup
    await _enable(client)
    r = await client.post("/indexes/movies/documents/edit", json={"function": "doc.a = 1", "filter": "id >"},
                          headers=AUTH)
    body = await r.json()
    assert r.status == 400 and body["code"] == "invalid_document_filter"
    assert body["message"].startswith("Was expecting a value but instead got nothing.")


async def test_bad_index_uid(setup):
    engine, client = setup
    await _enable(client)
    r = await client.post("/indexes/bad%20uid/documents/edit", json={"function": "doc.a = 1"}, headers=AUTH)
    assert r.status == 400 and (await r.json())["code"] == "invalid_index_uid"


async def test_edit_with_filter_and_context(setup):
    engine, client = setup
    await _enable(client)
    await _movies(engine, client)
    function = "doc.title = `${doc.title.to_upper()} ${context.mark}`; doc.genre = context.genre"
    task = await _edit(engine, client, {"function": function, "filter": "id > 2",
                                        "context": {"mark": "!", "genre": "classic"}})
    assert task["status"] == "succeeded" and task["error"] is None
    assert task["details"] == {"deletedDocuments": 2, "editedDocuments": 2, "originalFilter": "\"id > 2\"",
                               "context": {"mark": "!", "genre": "classic"}, "function": function}
    assert await _documents(client) == [
        MOVIES[0], MOVIES[1],
        {"id": 3, "title": "ALIEN !", "genre": "classic", "year": 1979},
        {"id": 4, "title": "HEAT !", "genre": "classic", "year": 1995},
    ]
    # the facet index follows the edit: the old value is gone, the new one is there
    r = await client.post("/indexes/movies/search", json={"filter": "genre = classic"}, headers=AUTH)
    assert sorted(h["id"] for h in (await r.json())["hits"]) == [3, 4]
    r = await client.post("/indexes/movies/search", json={"filter": "genre = horror"}, headers=AUTH)
    assert (await r.json())["hits"] == []


async def test_edit_every_document_reaches_the_word_index_and_the_stats(setup):
    engine, client = setup
    await _enable(client)
    await _movies(engine, client)
    task = await _edit(engine, client, {"function": "doc.remove(\"year\"); doc.tagline = `zanzibar ${doc.id}`"})
    assert task["details"] == {"deletedDocuments": 4, "editedDocuments": 4, "originalFilter": None,
                               "context": None, "function": "doc.remove(\"year\"); doc.tagline = `zanzibar ${doc.id}`"}
    r = await client.post("/indexes/movies/search", json={"q": "zanzibar"}, headers=AUTH)
    assert sorted(h["id"] for h in (await r.json())["hits"]) == [1, 2, 3, 4]
    r = await client.get("/indexes/movies/stats", headers=AUTH)
    stats = await r.json()
    assert stats["numberOfDocuments"] == 4
    assert stats["fieldDistribution"] == {"genre": 4, "id": 4, "tagline": 4, "title": 4}


async def test_setting_doc_to_unit_deletes(setup):
    engine, client = setup
    await _enable(client)
    await _movies(engine, client)
    task = await _edit(engine, client, {"function": "if doc.id % 2 == 0 { doc = () } else { doc.odd = true }"})
    assert task["status"] == "succeeded"
    assert (task["details"]["deletedDocuments"], task["details"]["editedDocuments"]) == (4, 4)
    assert await _documents(client) == [{**MOVIES[0], "odd": True}, {**MOVIES[2], "odd": True}]
    r = await client.get("/indexes/movies/stats", headers=AUTH)
    assert (await r.json())["numberOfDocuments"] == 2
    r = await client.post("/indexes/movies/search", json={"q": "up"}, headers=AUTH)
    assert (await r.json())["hits"] == []


async def test_a_filter_matching_nothing_counts_zero(setup):
    engine, client = setup
    await _enable(client)
    await _movies(engine, client)
    task = await _edit(engine, client, {"function": "doc.a = 1", "filter": "id > 100"})
    assert task["status"] == "succeeded"
    assert (task["details"]["deletedDocuments"], task["details"]["editedDocuments"]) == (0, 0)
    assert await _documents(client) == MOVIES


@pytest.mark.parametrize("function, message", [
    ("doc.id = 42", "Index `movies`: Document editions cannot modify a document's primary key"),
    ("doc = 5", "Index `movies`: Document editions must keep documents as objects"),
    ("if doc.id == 4 { doc.title = doc.year.to_upper() }",
     "Index `movies`: Document edition runtime error encountered while running the function: "
     "Function not found: to_upper (i64) (line 1, position 39)"),
    ("doc.title = context.title",
     "Index `movies`: Document edition runtime error encountered while running the function: "
     "Variable not found: context (line 1, position 13)"),
    ("doc.ratio = doc.year / (doc.id - 3)",
     "Index `movies`: Document edition runtime error encountered while running the function: "
     "Division by zero: 1979 / 0 (line 1, position 22)"),
    ("loop { doc.n = 1 }",
     "Index `movies`: Document edition runtime error encountered while running the function: "
     "Too many operations (line 1, position 8)"),
])
async def test_failing_functions_write_nothing(setup, function, message):
    engine, client = setup
    await _enable(client)
    await _movies(engine, client)
    task = await _edit(engine, client, {"function": function})
    assert task["status"] == "failed"
    assert task["error"] == error("edit_documents_by_function_error", message)
    assert task["details"] == {"deletedDocuments": 0, "editedDocuments": 0, "originalFilter": None,
                               "context": None, "function": function}
    assert await _documents(client) == MOVIES


async def test_missing_index_and_unfilterable_attribute(setup):
    engine, client = setup
    await _enable(client)
    task = await _edit(engine, client, {"function": "doc.a = 1"}, index="nope")
    assert task["status"] == "failed" and task["error"] == error("index_not_found", "Index `nope` not found.")
    r = await client.get("/indexes/nope", headers=AUTH)
    assert r.status == 404  # an edition never creates its index
    await _movies(engine, client, filterable=["id"])
    task = await _edit(engine, client, {"function": "doc.a = 1", "filter": "title = Up"})
    assert task["status"] == "failed"
    assert task["error"] == error(
        "invalid_document_filter",
        "Index `movies`: Attribute `title` is not filterable. Available filterable attribute patterns are: `id`.\n"
        "1:6 title = Up")
    assert await _documents(client) == MOVIES


async def test_edition_runs_alone_in_its_batch(tmp_path):
    engine = Engine(tmp_path / "db", worker="none")
    try:
        engine.add_documents("movies", MOVIES)
        engine.edit_documents("movies", "doc.title = doc.title.to_lower()")
        engine.add_documents("movies", [{"id": 5, "title": "Coco"}])
        engine.add_documents("movies", [{"id": 6, "title": "Soul"}])
    finally:
        engine.close()
    engine = Engine(tmp_path / "db", worker="thread")
    try:
        last = engine.wait_for_task(3)
        tasks = [engine.queue.get(uid) for uid in range(4)]
        assert [t["status"] for t in tasks] == ["succeeded"] * 4 and last["status"] == "succeeded"
        batches = [t["batchUid"] for t in tasks]
        assert batches[0] != batches[1] != batches[2] and batches[2] == batches[3]
        titles = sorted(d["title"] for d in engine.index("movies").get_documents(0, 10)[0])
        assert titles == ["Coco", "Soul", "alien", "heat", "nemo", "up"]
    finally:
        engine.close()


async def test_deleting_most_documents_deletes_every_selected_one(setup):
    """meilisearch#4849: deleting documents by function must delete all of them, not some."""
    engine, client = setup
    await _enable(client)
    r = await client.post("/indexes/mieli/documents", json=[{"id": i} for i in range(101)], headers=AUTH)
    assert engine.wait_for_task((await r.json())["taskUid"])["status"] == "succeeded"
    r = await client.post("/indexes/mieli/documents/edit", headers=AUTH, json={
        "function": "if doc.id % 3 != 0 { doc = (); } else { doc.title = \"kefir\"; }"})
    task = engine.wait_for_task((await r.json())["taskUid"])
    assert task["status"] == "succeeded"
    r = await client.get("/indexes/mieli/documents?limit=200", headers=AUTH)
    documents = sorted((await r.json())["results"], key=lambda d: d["id"])
    assert documents == [{"id": i, "title": "kefir"} for i in range(0, 101, 3)]
    r = await client.post("/indexes/mieli/search", json={"q": "kefir", "limit": 200}, headers=AUTH)
    assert (await r.json())["estimatedTotalHits"] == 34


async def test_the_documentations_example(setup):
    """The docs' and meilisearch#4956's example: sparkles around the upper-cased titles of a filter."""
    engine, client = setup
    await _enable(client)
    r = await client.post("/indexes/movies/documents", headers=AUTH, json=[
        {"id": 2999, "title": "Ariel"}, {"id": 3001, "title": "Star Wars"}, {"id": 3002, "title": "Amélie"}])
    assert engine.wait_for_task((await r.json())["taskUid"])["status"] == "succeeded"
    r = await client.put("/indexes/movies/settings/filterable-attributes", json=["id"], headers=AUTH)
    engine.wait_for_task((await r.json())["taskUid"])
    task = await _edit(engine, client, {"filter": "id > 3000", "function": "doc.title = `✨ ${doc.title.to_upper()} ✨`"})
    assert task["status"] == "succeeded"
    assert task["details"] == {"deletedDocuments": 2, "editedDocuments": 2, "originalFilter": "\"id > 3000\"",
                               "context": None, "function": "doc.title = `✨ ${doc.title.to_upper()} ✨`"}
    r = await client.get("/indexes/movies/documents", headers=AUTH)
    assert sorted((d["id"], d["title"]) for d in (await r.json())["results"]) == [
        (2999, "Ariel"), (3001, "✨ STAR WARS ✨"), (3002, "✨ AMÉLIE ✨")]


async def test_null_filter_and_context_are_absent_ones_and_metadata_is_kept(setup):
    engine, client = setup
    await _enable(client)
    await _movies(engine, client)
    r = await client.post("/indexes/movies/documents/edit?customMetadata=nightly", headers=AUTH,
                          json={"function": "doc.n = 1", "filter": None, "context": None})
    assert r.status == 202
    summary = await r.json()
    task = engine.wait_for_task(summary["taskUid"])
    r = await client.get(f"/tasks/{summary['taskUid']}", headers=AUTH)
    view = await r.json()
    assert task["status"] == "succeeded" and view["customMetadata"] == "nightly"
    assert view["details"] == {"deletedDocuments": 4, "editedDocuments": 4, "originalFilter": None, "context": None,
                               "function": "doc.n = 1"}
    assert [d["n"] for d in await _documents(client)] == [1, 1, 1, 1]
