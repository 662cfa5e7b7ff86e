"""HTTP plumbing through aiohttp's test client: routing, CORS, content types, error objects.

Properties:
1. unknown path → bare 404; known path, wrong method → bare 405; trailing slashes are trimmed;
2. CORS headers on every answer, and OPTIONS preflights answered for any route;
3. JSON routes: missing/invalid content type (415), empty body, malformed and deeply nested JSON,
   unknown fields and wrong types — each with Meilisearch's error object, never a 500;
4. bodies over the payload limit → 413 `payload_too_large`;
5. with a master key: no header → 401, wrong key → 403, `Bearer` without token → 403; /health open;
6. request bodies compressed with `Content-Encoding: br`, `gzip` or `deflate` are read as sent.
"""
import pytest

from engine.engine import Engine
from server.app import create_app

KEY = "a-master-key-of-16-bytes"


@pytest.fixture
async def http(tmp_path, aiohttp_client):
    engine = Engine(tmp_path / "db", worker="thread")
    app = create_app(engine, master_key=KEY, payload_limit=100_000, payload_limit_text="100 KB")
    client = await aiohttp_client(app)
    client.headers = {"Authorization": f"Bearer {KEY}"}
    yield client
    engine.close()


async def _error(response, status, code):
    assert response.status == status
    body = await response.json()
    assert list(body) == ["message", "code", "type", "link"]
    assert body["code"] == code
    assert body["link"] == "https://docs.meilisearch.com/errors#" + code
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return body


async def test_unknown_route_and_method(http):
    r = await http.get("/nope", headers=http.headers)
    assert r.status == 404 and await r.read() == b""
    r = await http.put("/indexes", headers=http.headers)
    assert r.status == 405 and await r.read() == b""
    r = await http.get("/indexes/", headers=http.headers)
    assert r.status == 200 and (await r.json())["results"] == []


async def test_cors_preflight(http):
    r = await http.options("/multi-search", headers={"Origin": "http://example.com",
                                                     "Access-Control-Request-Method": "POST",
                                                     "Access-Control-Request-Headers": "authorization,content-type"})
    assert r.status == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Access-Control-Allow-Headers"] == "authorization,content-type"
    assert r.headers["Access-Control-Max-Age"] == "86400"
    r = await http.get("/health")
    assert r.headers["Access-Control-Allow-Origin"] == "*"


async def test_content_type_and_payload_errors(http):
    h = http.headers
    body = await _error(await http.post("/indexes", data=b'{"uid": "a"}', headers=h,
                                        skip_auto_headers=["Content-Type"]), 415, "missing_content_type")
    assert body["message"] == ("A Content-Type header is missing. Accepted values for the Content-Type header are: "
                               "`application/json`")
    body = await _error(await http.post("/indexes", data=b"x", headers={**h, "Content-Type": "text/plain"}),
                        415, "invalid_content_type")
    assert body["message"].startswith("The Content-Type `text/plain` is invalid.")
    json_h = {**h, "Content-Type": "application/json"}
    body = await _error(await http.post("/indexes", data=b"", headers=json_h), 400, "missing_payload")
    assert body["message"] == "A json payload is missing."
    await _error(await http.post("/indexes", data=b"{", headers=json_h), 400, "malformed_payload")
    await _error(await http.post("/indexes", data=b"[" * 900 + b"]" * 900, headers=json_h), 400, "bad_request")
    await _error(await http.post("/indexes", data=b"[" * 5000, headers=json_h), 400, "malformed_payload")
    body = await _error(await http.post("/indexes", json={"uid": "a", "doggo": 1}, headers=h), 400, "bad_request")
    assert body["message"] == "Unknown field `doggo`: expected one of `uid`, `primaryKey`"
    body = await _error(await http.post("/indexes", json={"primaryKey": "id"}, headers=h), 400, "missing_index_uid")
    assert body["message"] == "Missing field `uid`"
    body = await _error(await http.post("/indexes", json={"uid": 12}, headers=h), 400, "invalid_index_uid")
    assert body["message"] == "Invalid value type at `.uid`: expected a string, but found a positive integer: `12`"
    body = await _error(await http.post("/indexes", data=b"null", headers=json_h), 400, "bad_request")
    assert body["message"] == "Invalid value type: expected an object, but found null"


@pytest.mark.parametrize("raw, message", [
    # upstream's delete_documents_batch snapshot, then serde_json's positions for the other kinds
    (b'"doggo"', 'invalid type: string "doggo", expected a sequence at line 1 column 7'),
    (b'{"id": 1}', "invalid type: map, expected a sequence at line 1 column 0"),
    (b'\n  {"id": 1}', "invalid type: map, expected a sequence at line 2 column 2"),
    (b"12 ", "invalid type: integer `12`, expected a sequence at line 1 column 2"),
    (b"\n null\n", "invalid type: null, expected a sequence at line 2 column 5"),
    (b"true", "invalid type: boolean `true`, expected a sequence at line 1 column 4"),
])
async def test_json_deserialize_errors(http, raw, message):
    r = await http.post("/indexes/movies/documents/delete-batch", data=raw,
                        headers={**http.headers, "Content-Type": "application/json"})
    body = await _error(r, 400, "bad_request")
    assert body["message"] == f"Json deserialize error: {message}"


async def test_delete_batch_takes_any_json_value_as_an_id(http):
    r = await http.post("/indexes/movies/documents/delete-batch", json=[1, "a", {"b": 2}, 1.5, True, None],
                        headers=http.headers)
    assert r.status == 202
    task = await (await http.get(f"/tasks/{(await r.json())['taskUid']}", headers=http.headers)).json()
    assert task["details"]["providedIds"] == 6


async def test_payload_too_large(http):
    body = await _error(await http.post("/indexes/big/documents", data=b"[" + b" " * 200_000 + b"]",
                                        headers={**http.headers, "Content-Type": "application/json"}),
                        413, "payload_too_large")
    assert body["message"] == ("The provided payload reached the size limit. The maximum accepted payload size "
                               "is 100 KB.")


async def test_authentication(http):
    body = await _error(await http.get("/indexes"), 401, "missing_authorization_header")
    assert body["type"] == "auth"
    body = await _error(await http.get("/indexes", headers={"Authorization": "Bearer nope"}), 403, "invalid_api_key")
    assert body["message"] == "The provided API key is invalid."
    await _error(await http.get("/indexes", headers={"Authorization": "Bearer"}), 403, "invalid_api_key")
    await _error(await http.get("/indexes", headers={"Authorization": "Basic x"}), 401, "missing_authorization_header")
    r = await http.get("/health")
    assert r.status == 200 and await r.json() == {"status": "available"}


async def test_index_and_document_routes(http):
    h = http.headers
    r = await http.post("/indexes", json={"uid": "movies", "primaryKey": "id"}, headers=h)
    assert r.status == 202
    task = await r.json()
    assert list(task) == ["taskUid", "indexUid", "status", "type", "enqueuedAt"]
    assert (task["indexUid"], task["status"], task["type"]) == ("movies", "enqueued", "indexCreation")
    await _error(await http.get("/indexes/bad%20uid", headers=h), 400, "invalid_index_uid")
    await _error(await http.get("/indexes/missing", headers=h), 404, "index_not_found")
    r = await http.post("/indexes/movies/documents?customMetadata=hello", json=[{"id": 1}], headers=h)
    task = await r.json()
    assert task["customMetadata"] == "hello"
    await _error(await http.post("/indexes/movies/documents?csvDelimiter=;", json=[{"id": 1}], headers=h),
                 415, "invalid_content_type")
    await _error(await http.post("/indexes/movies/documents?doggo=1", json=[{"id": 1}], headers=h),
                 400, "bad_request")
    r = await http.post("/indexes/movies/documents/delete", json={"filter": ""}, headers=h)
    body = await _error(r, 400, "invalid_document_filter")
    assert body["message"] == "Sending an empty filter is forbidden."
    r = await http.post("/indexes/movies/documents/delete", json={}, headers=h)
    await _error(r, 400, "missing_document_filter")
    r = await http.get("/tasks/abc", headers=h)
    body = await _error(r, 400, "invalid_task_uids")
    assert body["message"] == "Task uid `abc` is invalid. It should only contain numeric characters."


@pytest.mark.parametrize("encoding", ["br", "gzip", "deflate"])
async def test_compressed_request_bodies(http, encoding):
    import gzip
    import zlib

    import brotli
    body = b'{"q": "carol", "limit": 3}'
    compressed = {"br": brotli.compress, "gzip": gzip.compress, "deflate": zlib.compress}[encoding](body)
    headers = {**http.headers, "Content-Type": "application/json", "Content-Encoding": encoding}
    response = await http.post("/indexes/nothing/search", data=compressed, headers=headers)
    await _error(response, 404, "index_not_found")  # parsed: the index lookup is what fails


INVALID_UID = ("is not a valid index uid. Index uid can be an integer or a string containing only alphanumeric "
               "characters, hyphens (-) and underscores (_), and can not be more than 512 bytes.")


@pytest.mark.parametrize("query, code, message", [
    # deserr names a single value by its parameter, an item of a list by its index
    ("uids=cat", "invalid_task_uids", "Invalid value in parameter `uids`: could not parse `cat` as a positive integer"),
    ("uids=78,hello,world", "invalid_task_uids",
     "Invalid value in parameter `uids[1]`: could not parse `hello` as a positive integer"),
    ("uids=cat,*,dog", "invalid_task_uids",
     "Invalid value in parameter `uids[0]`: could not parse `cat` as a positive integer"),
    ("batchUids=x", "invalid_batch_uids", "Invalid value in parameter `batchUids`: could not parse `x` as a positive integer"),
    ("canceledBy=1,x", "invalid_task_canceled_by",
     "Invalid value in parameter `canceledBy[1]`: could not parse `x` as a positive integer"),
    ("indexUids=the%20good%20doggo", "invalid_index_uid",
     f"Invalid value in parameter `indexUids`: `the good doggo` {INVALID_UID}"),
    ("indexUids=1,h%C3%A9", "invalid_index_uid", f"Invalid value in parameter `indexUids[1]`: `hé` {INVALID_UID}"),
    ("statuses=succeeded,finished", "invalid_task_statuses",
     "Invalid value in parameter `statuses[1]`: `finished` is not a valid task status. Available statuses are "
     "`enqueued`, `processing`, `succeeded`, `failed`, `canceled`."),
])
@pytest.mark.parametrize("route", ["/tasks", "/batches"])
async def test_task_filter_parameters(http, route, query, code, message):
    r = await http.get(f"{route}?{query}", headers=http.headers)
    body = await _error(r, 400, code)
    assert body["message"] == message
