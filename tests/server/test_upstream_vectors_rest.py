"""Meilisearch's `rest` embedder integration tests (crates/meilisearch/tests/vector/rest.rs), ported
to Loupe's HTTP routes. Upstream mounts wiremock servers; `MockServer` below plays them on
loopback with the same behaviour (text → embedding tables, the same refusals, the same bodies).

Expected bodies are upstream's snapshots (uids, dates, durations redacted as upstream does; the
`url` upstream redacts as "[url]" is the mock's). Two deliberate differences, both version
dependent and both following v1.50 (hybrid.md, milli's rest.rs):
* a `request` template error ends with the note milli's `rest::Request::new` appends since the
  multimodal fragments ("this template is using a document template …"); the stored test
  snapshots predate it;
* the batch's embedder counters are `embedderRequests {total, failed, lastError}` (tasks.md), where
  the stored snapshot of `last_error_stats` reads `embedder {totalCount, errorCount, lastError}`.
"""
from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from embedding_server import allow_loopback
from upstream_harness import added, error, same, task

import engine.embedders.base as embedders_base
from engine.embedders import RetryPolicy

Answer = tuple[int, Any]  # status, JSON value (or raw text when a str is wanted verbatim)
KNOWN = {"kefir": [0.0, 0.0, 0.0], "intel": [1.0, 1.0, 1.0]}
UNKNOWN = [99.0, 99.0, 99.0]


def compact(value: Any) -> str:
    """What serde_json writes (the mock's bodies appear verbatim in Meilisearch's messages)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class MockServer:
    """A loopback HTTP server answering every POST with ``respond(headers, raw body)``."""

    def __init__(self, respond: Callable[[dict[str, str], bytes], Answer]) -> None:
        mock = self
        self.respond = respond
        self.count = 0
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with mock.lock:
                    mock.count += 1
                status, payload = mock.respond({k.lower(): v for k, v in self.headers.items()}, raw)
                body = (payload if isinstance(payload, str) else compact(payload)).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serde_refusal(raw: bytes, expected: str) -> Answer:
    """wiremock's 400 when the body is a JSON string where a struct was expected (serde's words)."""
    text = json.loads(raw)
    return 400, {"error": f"Invalid request: invalid type: string {json.dumps(text, ensure_ascii=False)}, "
                          f"expected struct {expected} at line 1 column {len(raw.decode())}"}


def data_mock(_headers, raw) -> Answer:
    """`create_mock`: a JSON string in, `{"data": embedding}` out."""
    return 200, {"data": KNOWN.get(json.loads(raw), UNKNOWN)}


def default_template_mock(_headers, raw) -> Answer:
    """`create_mock_default_template`: only the default template's rendering of kefir is known."""
    text = json.loads(raw)
    if text == "name: kefir\n":
        return 200, {"data": [0.0, 0.1, 0.2]}
    return 404, {"error": "text not found", "text": text}


def multiple_mock(_headers, raw) -> Answer:
    """`create_mock_multiple`: `{"input": [texts]}` in, `{"output": [{text, embedding}]}` out."""
    body = json.loads(raw)
    if not isinstance(body, dict):
        return serde_refusal(raw, "MultipleRequest")
    return 200, {"output": [{"text": t, "embedding": KNOWN.get(t, UNKNOWN)} for t in body["input"]]}


def single_in_array_mock(_headers, raw) -> Answer:
    """`create_mock_single_response_in_array`: `{"input": text}` in, a one-item `output` out."""
    text = json.loads(raw)["input"]
    return 200, {"output": [{"text": text, "embedding": KNOWN.get(text, UNKNOWN)}]}


def raw_mock(_headers, raw) -> Answer:
    """`create_mock_raw`: a JSON string in, the bare embedding out."""
    return 200, KNOWN.get(json.loads(raw), UNKNOWN)


def header_mock(headers, raw) -> Answer:
    """`create_mock_raw_with_custom_header`: `create_mock_raw` behind a custom auth header."""
    auth = headers.get("my-nonstandard-auth")
    if auth is None:
        return 401, {"error": "missing header 'my-nonstandard-auth'"}
    if auth != "bearer of the ring":
        return 401, {"error": f"thou shall not pass, {auth}"}
    return raw_mock(headers, raw)


def rest(mock: MockServer, **fields: Any) -> dict[str, Any]:
    return {"source": "rest", "url": mock.uri, **fields}


DATA_SETTING = {"dimensions": 3, "request": "{{text}}", "response": {"data": "{{embedding}}"},
                "documentTemplate": "{{doc.name}}"}
MULTIPLE_SETTING = {"dimensions": 3, "request": {"input": ["{{text}}", "{{..}}"]},
                    "response": {"output": [{"embedding": "{{embedding}}"}, "{{..}}"]},
                    "documentTemplate": "{{doc.name}}"}
SINGLE_IN_ARRAY_SETTING = {"dimensions": 3, "request": {"input": "{{text}}"},
                           "response": {"output": [{"embedding": "{{embedding}}"}]}, "documentTemplate": "{{doc.name}}"}
RAW_SETTING = {"dimensions": 3, "request": "{{text}}", "response": "{{embedding}}", "documentTemplate": "{{doc.name}}"}


@pytest.fixture(autouse=True)
def loopback_allowed(monkeypatch):
    """The mocks are on loopback (upstream's tests allow it the same way)."""
    allow_loopback(monkeypatch)


@pytest.fixture(autouse=True)
def no_sleeping_retries(monkeypatch):
    monkeypatch.setattr(embedders_base, "DEFAULT_RETRY", RetryPolicy(retries=10, delay_scale=0.0, timeout=5.0))


@pytest.fixture
def mocks():
    started: list[MockServer] = []

    def start(respond):
        started.append(MockServer(respond))
        return started[-1]

    yield start
    for mock in started:
        mock.close()


def embedding_error(message: str) -> dict[str, str]:
    return error("vector_embedding_error", message)


def generation_error(detail: str) -> dict[str, str]:
    return embedding_error(f"Error while generating embeddings: user error: {detail}")


def dimensions_failure(detail: str) -> dict[str, str]:
    return embedding_error("Index `doggo`: Error while generating embeddings: runtime error: could not determine "
                           f"model dimensions:\n  - test embedding failed with {detail}")


REQUEST_NOTE = ('\n  - Note: this template is using a document template, and so expects to contain the placeholder '
                '"{{text}}" rather than "{{fragment}}"')


def page(results):
    return {"results": results, "offset": 0, "limit": 20, "total": len(results)}


def rest_vectors(vector, regenerate):
    return {"rest": {"embeddings": [vector], "regenerate": regenerate}}


# `dummy_testing_the_mock` ---------------------------------------------------------------------------

def test_dummy_testing_the_mock(mocks):
    """rest.rs `dummy_testing_the_mock`: the stand-in answers as wiremock does."""
    import urllib.request
    mock = mocks(data_mock)
    for text, body in [("kefir", '{"data":[0.0,0.0,0.0]}'), ("intel", '{"data":[1.0,1.0,1.0]}'),
                       ("kefir", '{"data":[0.0,0.0,0.0]}')]:
        request = urllib.request.Request(mock.uri, data=json.dumps(text).encode(), method="POST")
        with urllib.request.urlopen(request) as answer:
            assert answer.read().decode() == body


# `bad_request` / `bad_response`: template refusals at request time --------------------------------

BAD_REQUESTS = [
    ("54", 'in `request`: "{{text}}" not found'),
    ({"input": [{"input": ["{{text}}", "{{..}}"]}, "{{..}}"]},
     'in `request.input.input`: "{{..}}" appears nested inside of a value that is itself repeated'),
    ({"input": {"input": "{{text}}", "repeat": "{{..}}"}}, ('in `request.input.repeat`: "{{..}}" appears outside of '
                                                            'an array')),
    ({"input": ["{{..}}", "{{text}}"]}, 'in `request.input`: "{{..}}" expected at position #1, but found at position #0'),
    ({"input": ["{{text}}", "42", "{{..}}"]},
     'in `request.input`: "{{..}}" expected at position #1, but found at position #2'),
    ({"input": ["42", "{{..}}"]}, 'in `request.input[0]`: Expected "{{text}}" inside of the repeated value'),
    ({"input": ["{{text}}", "{{..}}"], "data": ["42", "{{..}}"]},
     'in `request.data`: Found "{{..}}", but it was already present in `request.input`'),
    ({"input": "{{text}}", "data": "{{text}}"},
     'in `request.data`: Found "{{text}}", but it was already present in `request.input`'),
    ({"repeated": [{"input": "{{text}}", "data": [42, "{{text}}"]}, "{{..}}"]},
     'in `request.repeated.data[1]`: Found "{{text}}", but it was already present in `request.repeated.input`'),
    ({"input": ["{{text}}", "{{..}}"], "data": "{{text}}"},
     'in `request.data`: Found "{{text}}", but it was already present in `request.input[0]` (repeated)'),
]


@pytest.mark.parametrize("request_template,detail", BAD_REQUESTS)
async def test_bad_request(meili, mocks, request_template, detail):
    """rest.rs `bad_request` (with v1.50's note, see the module docstring)."""
    mock = mocks(data_mock)
    embedder = rest(mock, request=request_template, response="{{embedding}}")
    same(await meili.refused_settings("doggo", {"embedders": {"rest": embedder}}),
         (400, generation_error(detail + REQUEST_NOTE)))


BAD_RESPONSES = [
    ("{{text}}", "42", 'in `response`: "{{embedding}}" not found'),
    ("{{text}}", {"output": [{"output": ["{{embedding}}", "{{..}}"]}, "{{..}}"]},
     'in `response.output.output`: "{{..}}" appears nested inside of a value that is itself repeated'),
    ("{{text}}", {"output": {"output": "{{embedding}}", "repeat": "{{..}}"}},
     'in `response.output.repeat`: "{{..}}" appears outside of an array'),
    ("{{text}}", {"output": ["{{..}}", "{{embedding}}"]},
     'in `response.output`: "{{..}}" expected at position #1, but found at position #0'),
    ("{{text}}", {"output": ["{{embedding}}", "42", "{{..}}"]},
     'in `response.output`: "{{..}}" expected at position #1, but found at position #2'),
    ("{{text}}", {"output": ["42", "{{..}}"]},
     'in `response.output[0]`: Expected "{{embedding}}" inside of the repeated value'),
    ("{{text}}", {"output": ["{{embedding}}", "{{..}}"], "data": ["42", "{{..}}"]},
     'in `response.data`: Found "{{..}}", but it was already present in `response.output`'),
    ("{{text}}", {"output": [{"type": "data", "data": "{{embedding}}"}], "data": "{{embedding}}"},
     'in `response.data`: Found "{{embedding}}", but it was already present in `response.output[0].data`'),
    ("{{text}}", {"repeated": [{"output": "{{embedding}}", "data": [42, "{{embedding}}"]}, "{{..}}"]},
     ('in `response.repeated.data[1]`: Found "{{embedding}}", but it was already present in '
     '`response.repeated.output`')),
    ("{{text}}", {"output": ["{{embedding}}", "{{..}}"], "data": "{{embedding}}"},
     'in `response.data`: Found "{{embedding}}", but it was already present in `response.output[0]` (repeated)'),
    ("{{text}}", {"data": ["{{embedding}}", "{{..}}"]},
     "in `response`: `response` has multiple embeddings, but `request` has only one text to embed"),
    ({"data": ["{{text}}", "{{..}}"]}, {"data": "{{embedding}}"},
     "in `response`: `response` has a single embedding, but `request` has multiple texts to embed"),
]


@pytest.mark.parametrize("request_template,response_template,detail", BAD_RESPONSES)
async def test_bad_response(meili, mocks, request_template, response_template, detail):
    """rest.rs `bad_response`."""
    mock = mocks(data_mock)
    embedder = rest(mock, request=request_template, response=response_template)
    same(await meili.refused_settings("doggo", {"embedders": {"rest": embedder}}), (400, generation_error(detail)))


# `bad_settings` -----------------------------------------------------------------------------------

async def test_bad_settings(meili, mocks):
    """rest.rs `bad_settings`: request-time refusals in milli's order (templates before the
    mandatory fields; the URL before the templates), then a configuration whose test embedding
    cannot be read, then dimensions the server does not honour."""
    mock = mocks(data_mock)
    refusals = [
        ({"source": "rest", "request": 42, "response": 42},
         generation_error('in `request`: "{{text}}" not found' + REQUEST_NOTE)),
        ({"source": "rest", "url": "kefir", "request": 42, "response": 42},
         error("invalid_settings_embedders", "`.embedders.rest.url`: could not parse `kefir`: relative URL without "
                                             "a base")),
        (rest(mock, response="{{text}}"), error("invalid_settings_embedders", "`.embedders.rest`: Missing field "
                                                "`request` (note: this field is mandatory for source `rest`)")),
        (rest(mock, request="{{text}}"), error("invalid_settings_embedders", "`.embedders.rest`: Missing field "
                                               "`response` (note: this field is mandatory for source `rest`)")),
        (rest(mock, request="{{text}}", response=42), generation_error('in `response`: "{{embedding}}" not found')),
    ]
    for embedder, refusal in refusals:
        same(await meili.refused_settings("doggo", {"embedders": {"rest": embedder}}), (400, refusal))
    embedder = rest(mock, request="{{text}}", response="{{embedding}}")
    same(await meili.settings("doggo", {"embedders": {"rest": embedder}}), task(
        "doggo", "failed", "settingsUpdate", {"embedders": {"rest": embedder}}, dimensions_failure(
            "runtime error: error extracting embeddings from the response:\n  - in `response`, while extracting a "
            'single "{{embedding}}", expected `response` to be an array of numbers, but failed to parse server '
            "response:\n  - invalid type: map, expected a sequence")))
    embedder = rest(mock, request="{{text}}", response={"data": "{{embedding}}"}, dimensions=2,
                    documentTemplate="{{doc.name}}")
    same((await meili.settings("doggo", {"embedders": {"rest": embedder}}))["status"], "succeeded")
    same(await meili.add("doggo", {"id": 1, "name": "kefir"}), task(
        "doggo", "failed", "documentAdditionOrUpdate", added(1, 0), embedding_error(
            "Index `doggo`: While embedding documents for embedder `rest`: runtime error: was expecting embeddings of "
            "dimension `2`, got embeddings of dimensions `3`")))


# generated and user-provided embeddings side by side ------------------------------------------------

ADDED = [{"id": 0, "name": "kefir"}, {"id": 1, "name": "echo", "_vectors": {"rest": [1, 1, 1]}},
         {"id": 2, "name": "intel"}]
RETRIEVED = page([{"id": 0, "name": "kefir", "_vectors": rest_vectors([0.0, 0.0, 0.0], True)},
                  {"id": 1, "name": "echo", "_vectors": rest_vectors([1.0, 1.0, 1.0], False)},
                  {"id": 2, "name": "intel", "_vectors": rest_vectors([1.0, 1.0, 1.0], True)}])


@pytest.mark.parametrize("respond,setting", [
    pytest.param(data_mock, DATA_SETTING, id="add_vector_and_user_provided"),
    pytest.param(multiple_mock, MULTIPLE_SETTING, id="server_returns_multiple"),
    pytest.param(single_in_array_mock, SINGLE_IN_ARRAY_SETTING, id="server_single_input_returns_in_array"),
    pytest.param(raw_mock, RAW_SETTING, id="server_raw"),
])
async def test_generated_and_user_provided(meili, mocks, respond, setting):
    """rest.rs `add_vector_and_user_provided`, `server_returns_multiple`,
    `server_single_input_returns_in_array` and `server_raw`: one document brings its own vector
    (`regenerate: false`), the others are embedded through the mock (`regenerate: true`)."""
    mock = mocks(respond)
    same((await meili.settings("doggo", {"embedders": {"rest": rest(mock, **setting)}}))["status"], "succeeded")
    same(await meili.add("doggo", ADDED), task("doggo", "succeeded", "documentAdditionOrUpdate", added(3, 3)))
    same(await meili.documents("doggo"), RETRIEVED)


# the server refuses or answers in another shape ----------------------------------------------------

async def test_server_returns_bad_request(meili, mocks):
    """rest.rs `server_returns_bad_request`: a 400 from the server is the user's fault, with the
    server's reply, at the test embedding and when embedding documents."""
    mock = mocks(multiple_mock)
    embedder = rest(mock, request="{{text}}", response="{{embedding}}")
    refusal = ("user error: sent a bad request to embedding server\n  - Hint: check that the `request` in the embedder "
               "configuration matches the remote server's API\n  - server replied with `{}`")
    reply = compact({"error": 'Invalid request: invalid type: string "test", expected struct MultipleRequest at '
                              "line 1 column 6"})
    same(await meili.settings("doggo", {"embedders": {"rest": embedder}}), task(
        "doggo", "failed", "settingsUpdate", {"embedders": {"rest": embedder}},
        dimensions_failure(refusal.format(reply))))
    body = {"searchableAttributes": ["name", "missing_field"], "embedders": {"rest": {**embedder, "dimensions": 3}}}
    same(await meili.settings("doggo", body), task("doggo", "succeeded", "settingsUpdate", {
        "searchableAttributes": ["name", "missing_field"],
        "embedders": {"rest": {"source": "rest", "dimensions": 3, "url": mock.uri, "request": "{{text}}",
                               "response": "{{embedding}}"}}}))
    reply = compact({"error": 'Invalid request: invalid type: string "name: kefir\\n", expected struct '
                              "MultipleRequest at line 1 column 15"})
    same(await meili.add("doggo", {"id": 1, "name": "kefir"}), task(
        "doggo", "failed", "documentAdditionOrUpdate", added(1, 0), embedding_error(
            "Index `doggo`: While embedding documents for embedder `rest`: " + refusal.format(reply))))


def extraction_failure(detail: str) -> dict[str, str]:
    return dimensions_failure(f"runtime error: error extracting embeddings from the response:\n  - {detail}")


BAD_SHAPES = [
    ({"input": ["{{text}}", "{{..}}"]}, ["{{embedding}}", "{{..}}"],
     ('in `response`, while extracting the array of "{{embedding}}"s, configuration expects `response` to be an '
     "array with at least 1 item(s) but server sent an object with 1 field(s)")),
    ({"input": ["{{text}}", "{{..}}"]}, {"output": ["{{embedding}}", "{{..}}"]},
     ('in `response`, while extracting item #0 from the array of "{{embedding}}"s, expected `response` to be an array '
     "of numbers, but failed to parse server response:\n  - invalid type: map, expected a sequence")),
    ({"input": ["{{text}}"]}, {"output": "{{embedding}}"},
     ('in `response.output`, while extracting a single "{{embedding}}", expected `output` to be an array of numbers, '
     "but failed to parse server response:\n  - invalid type: map, expected f32")),
    ({"input": ["{{text}}", "{{..}}"]}, {"output": [{"embedding": {"data": "{{embedding}}"}}, "{{..}}"]},
     ('in `response.embedding`, while extracting item #0 from the array of "{{embedding}}"s, configuration expects '
     "`embedding` to be an object with key `data` but server sent an array of size 3")),
    ({"input": ["{{text}}"]}, {"output": [{"embeddings": {"data": "{{embedding}}"}}]},
     ('in `response.output[0]`, while extracting a single "{{embedding}}", configuration expects key "embeddings", '
     "which is missing in response\n  - Hint: item #0 inside `output` has key `embedding`, did you mean "
     "`response.output[0].embedding` in embedder configuration?")),
]


@pytest.mark.parametrize("request_template,response_template,detail", BAD_SHAPES)
async def test_server_returns_bad_response(meili, mocks, request_template, response_template, detail):
    """rest.rs `server_returns_bad_response`: the test embedding's answer does not fit `response`."""
    mock = mocks(multiple_mock)
    embedder = rest(mock, request=request_template, response=response_template)
    same(await meili.settings("doggo", {"embedders": {"rest": embedder}}), task(
        "doggo", "failed", "settingsUpdate", {"embedders": {"rest": embedder}}, extraction_failure(detail)))


async def test_server_custom_header(meili, mocks):
    """rest.rs `server_custom_header`: `headers` are sent as given; a 401 blames the apiKey."""
    mock = mocks(header_mock)
    unauthorized = ("user error: could not authenticate against embedding server\n  - server replied with `{}`\n"
                    "  - Hint: Check the `apiKey` parameter in the embedder configuration")
    for headers, reply in [(None, '{"error":"missing header \'my-nonstandard-auth\'"}'),
                           ({"my-nonstandard-auth": "Balrog"}, '{"error":"thou shall not pass, Balrog"}')]:
        embedder = rest(mock, request="{{text}}", response="{{embedding}}")
        if headers:
            embedder["headers"] = headers
        same(await meili.settings("doggo", {"embedders": {"rest": embedder}}), task(
            "doggo", "failed", "settingsUpdate", {"embedders": {"rest": embedder}},
            dimensions_failure(unauthorized.format(reply))))
    embedder = rest(mock, request="{{text}}", response="{{embedding}}",
                    headers={"my-nonstandard-auth": "bearer of the ring"}, documentTemplate="{{doc.name}}")
    same(await meili.settings("doggo", {"embedders": {"rest": embedder}}), task(
        "doggo", "succeeded", "settingsUpdate", {"embedders": {"rest": {
            "source": "rest", "documentTemplate": "{{doc.name}}", "url": mock.uri, "request": "{{text}}",
            "response": "{{embedding}}", "headers": {"my-nonstandard-auth": "bearer of the ring"}}}}))


async def test_searchable_reindex(meili, mocks):
    """rest.rs `searchable_reindex`: the default template renders searchable fields only, so
    changing `searchableAttributes` embeds again — here a text the mock does not know (404)."""
    mock = mocks(default_template_mock)
    embedder = rest(mock, dimensions=3, request="{{text}}", response={"data": "{{embedding}}"})
    same(await meili.settings("doggo", {"searchableAttributes": ["name", "missing_field"],
                                        "embedders": {"rest": embedder}}),
         task("doggo", "succeeded", "settingsUpdate", {"searchableAttributes": ["name", "missing_field"],
                                                       "embedders": {"rest": {
                                                           "source": "rest", "dimensions": 3, "url": mock.uri,
                                                           "request": "{{text}}",
                                                           "response": {"data": "{{embedding}}"}}}}))
    same(await meili.add("doggo", {"id": 1, "name": "kefir", "breed": "patou"}),
         task("doggo", "succeeded", "documentAdditionOrUpdate", added(1, 1)))
    same(await meili.settings("doggo", {"searchableAttributes": ["breed"]}), task(
        "doggo", "failed", "settingsUpdate", {"searchableAttributes": ["breed"]}, embedding_error(
            "Index `doggo`: While embedding documents for embedder `rest`: error: received unexpected HTTP 404 from "
            'embedding server\n  - server replied with `{"error":"text not found","text":"breed: patou\\n"}`')))


async def settled_batch(meili, failed: int) -> dict[str, Any]:
    """The running batch once `failed` attempts are counted: Loupe embeds the three documents in
    parallel, so the 5th failure may be recorded just after the 6th request arrives (from then on
    every request is held, so the count stays there)."""
    for _ in range(300):
        _status, batches = await meili.call("GET", "/batches")
        batch = batches["results"][0]
        if batch["stats"].get("embedderRequests", {}).get("failed", 0) >= failed:
            return batch
        await asyncio.sleep(0.01)
    return batch


async def test_last_error_stats(meili, mocks, engine):
    """rest.rs `last_error_stats`: while a batch is still retrying, GET /batches shows the failed
    requests and the last error (its 6th request is held until the test ends)."""
    release, held = threading.Event(), threading.Event()

    def faulty(_headers, _raw) -> Answer:
        if mock.count > 5:
            held.set()
            release.wait(30)
        return 500, "Service Unavailable"

    mock = mocks(faulty)
    done = await meili.settings("doggo", {"embedders": {"rest": rest(mock, **RAW_SETTING)}})
    assert done["status"] == "succeeded", done["error"]
    status, enqueued = await meili.call("POST", "/indexes/doggo/documents", [
        {"id": 0, "name": "will_return_500"}, {"id": 1, "name": "will_error"}, {"id": 2, "name": "must_error"}])
    assert status == 202
    try:
        assert held.wait(30)
        batch = await settled_batch(meili, failed=5)
        for key in ("progress", "startedAt"):
            batch[key] = "[ignored]"
        batch["stats"]["embedderRequests"]["total"] = "[ignored]"
        same(batch, {
            "uid": 1, "progress": "[ignored]", "details": {"receivedDocuments": 3, "indexedDocuments": None},
            "stats": {"totalNbTasks": 1, "status": {"processing": 1}, "types": {"documentAdditionOrUpdate": 1},
                      "indexUids": {"doggo": 1}, "embedderRequests": {
                          "total": "[ignored]", "failed": 5, "lastError": "runtime error: received internal error "
                          "HTTP 500 from embedding server\n  - server replied with `Service Unavailable`"}},
            "duration": None, "startedAt": "[ignored]", "finishedAt": None,
            "batchStrategy": "batched all enqueued tasks"})
    finally:
        release.set()
        engine.wait_for_task(enqueued["taskUid"])
