"""Webhooks: /webhooks routes, stored records, and delivery of finished tasks (api.md §17, tasks.md §12).

Properties proven:
 1. GET /webhooks on a fresh instance is exactly `{"results": []}`.
 2. POST answers 201 with `{uuid (v4), isEditable, url, headers}` in that order; GET one and the
    list return the same object; the list is ordered by uuid.
 3. `Authorization` values (any case) are masked on every output like API keys — `Bearer ` kept,
    2/3/5 leading bytes kept by secret length, `XXX...` tails — while the stored value and the
    delivered header stay intact; other headers are shown as given, sorted by name.
 4. The CLI webhook is listed first with the nil uuid and `isEditable: false`, its Authorization
    masked; PATCH and DELETE on it answer 400 `immutable_webhook`; it does not count toward 20.
 5. Body validation, first problem wins, with upstream's codes and messages: wrong body type,
    unknown and immutable fields, url missing/null/empty/wrong type/unparsable, headers wrong
    type, bad header name or value, more than 200 headers.
 6. At most 20 runtime webhooks: the 21st POST answers 400 `invalid_webhooks`.
 7. PATCH: url replaces, headers merge, a null header is removed, `"headers": null` clears them,
    `"url": null` is a missing url; unknown uuid 404, malformed uuid 400; a body error is reported
    before a malformed uuid (upstream extracts the body first).
 8. DELETE answers 204 with an empty body; the webhook is gone (404 `webhook_not_found`).
 9. Path uuids are read like Rust's `Uuid::from_str`: upper case and the simple form name the same
    webhook; malformed ones get uuid's error message.
10. URL checks follow the WHATWG parser's verdicts on the usual mistakes.
11. Delivery: after a batch, every webhook receives one POST of gzip NDJSON, one `task_view` per
    finished task, with `Content-Type: application/x-ndjson`, `Content-Encoding: gzip` and its own
    headers (names as written; they override the fixed ones on a clash).
12. Delivery never blocks the caller and never raises: a hanging endpoint does not delay
    `notify_batch`, and a dead endpoint does not stop delivery to the next webhook.
13. Nothing is queued without webhooks or without finished tasks; unbound notifiers do nothing;
    a BatchNotifier survives pickling (it crosses into the worker process) without its store.
14. A dump's webhooks can be installed wholesale, sorted and checked like creations.
"""
from __future__ import annotations

import asyncio
import gzip
import pickle
import re
import time

import orjson
import pytest
from aiohttp import web

import server.app as app_module
from engine.engine import Engine
from engine.errors import LoupeError
from engine.tasks.task import task_view
from engine.tasks.webhooks import (
    NIL_UUID,
    WebhookPatch,
    WebhookStore,
    cli_webhook,
    parse_body,
    redact_authorization,
    url_problem,
)
from server import notify
from server.routes import metrics as metrics_routes
from server.routes import webhooks as webhook_routes

KEY = "a-master-key-of-16-bytes"
UUID_V4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
URL = "https://example.com/hook"


def _build_router():
    router = _ORIGINAL_BUILD()
    webhook_routes.register(router)
    metrics_routes.register(router)
    return router


_ORIGINAL_BUILD = app_module.build_router


@pytest.fixture
def engine(tmp_path):
    engine = Engine(tmp_path / "db", worker="thread")
    yield engine
    engine.close()


async def _client(engine, aiohttp_client, monkeypatch, cli=None):
    monkeypatch.setattr(app_module, "build_router", _build_router)
    app = app_module.create_app(engine, master_key=KEY)
    app["cli_webhook"] = cli
    client = await aiohttp_client(app)
    client.headers = {"Authorization": f"Bearer {KEY}"}
    return client


@pytest.fixture
async def http(engine, aiohttp_client, monkeypatch):
    return await _client(engine, aiohttp_client, monkeypatch)


async def call(http, method, path, body=None, status=200):
    kwargs = {"headers": http.headers}
    if body is not None:
        kwargs["data"] = orjson.dumps(body)
        kwargs["headers"] = {**http.headers, "Content-Type": "application/json"}
    r = await http.request(method, path, **kwargs)
    text = await r.read()
    assert r.status == status, text
    return orjson.loads(text) if text else None


async def error(http, method, path, body, status, code, message):
    got = await call(http, method, path, body, status)
    assert got == {"message": message, "code": code, "type": "invalid_request",
                   "link": "https://docs.meilisearch.com/errors#" + code}


# 1 -------------------------------------------------------------------------------------------------

async def test_fresh_list_is_empty(http):
    assert await call(http, "GET", "/webhooks") == {"results": []}


# 2 -------------------------------------------------------------------------------------------------

async def test_create_get_and_list(http):
    created = await call(http, "POST", "/webhooks", {"url": URL, "headers": {"X-Team": "search"}}, 201)
    assert list(created) == ["uuid", "isEditable", "url", "headers"]
    assert UUID_V4.fullmatch(created["uuid"])
    assert created == {"uuid": created["uuid"], "isEditable": True, "url": URL, "headers": {"X-Team": "search"}}
    assert await call(http, "GET", f"/webhooks/{created['uuid']}") == created
    other = await call(http, "POST", "/webhooks", {"url": URL + "2"}, 201)
    assert other["headers"] == {}
    listed = (await call(http, "GET", "/webhooks"))["results"]
    assert listed == sorted([created, other], key=lambda w: w["uuid"])


# 3 -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [
    ("Bearer short", "Bearer XXX..."),                                   # 5 bytes after Bearer
    ("Bearer 0123456789", "Bearer 01XXXX..."),                           # 10
    ("Bearer 01234567890123456789", "Bearer 012XXXXX..."),               # 20
    ("Bearer 012345678901234567890123456789", "Bearer 01234XXXXXX..."),  # 30
    ("Basic dXNlcjpwYXNzd29yZA==", "BasXXXXX..."),                       # 26, no Bearer: whole value
    ("token", "XXX..."),
    ("bearer 0123456789", "beXXXX..."),                                  # prefix is case-sensitive
])
def test_redaction_rule(value, shown):
    assert redact_authorization(value) == shown


async def test_authorization_masked_in_any_case_but_stored_intact(http, engine):
    headers = {"authorization": "Bearer 0123456789", "AUTHORIZATION": "abc", "X-Key": "Bearer 0123456789"}
    created = await call(http, "POST", "/webhooks", {"url": URL, "headers": headers}, 201)
    expected = {"AUTHORIZATION": "XXX...", "X-Key": "Bearer 0123456789", "authorization": "Bearer 01XXXX..."}
    assert created["headers"] == expected and list(created["headers"]) == list(expected)
    assert (await call(http, "GET", f"/webhooks/{created['uuid']}"))["headers"] == expected
    assert WebhookStore(engine.store).runtime()[created["uuid"]]["headers"] == dict(sorted(headers.items()))


# 4 -------------------------------------------------------------------------------------------------

async def test_cli_webhook(engine, aiohttp_client, monkeypatch):
    http = await _client(engine, aiohttp_client, monkeypatch,
                         cli=cli_webhook("http://cli.example/notify", "Bearer abcdefghijklmnop"))
    nil_view = {"uuid": NIL_UUID, "isEditable": False, "url": "http://cli.example/notify",
                "headers": {"Authorization": "Bearer abXXXX..."}}
    assert await call(http, "GET", "/webhooks") == {"results": [nil_view]}
    assert await call(http, "GET", f"/webhooks/{NIL_UUID}") == nil_view
    message = (f"Webhook `{NIL_UUID}` is immutable. The webhook defined from the command line cannot be "
               "modified using the API.")
    await error(http, "PATCH", f"/webhooks/{NIL_UUID}", {"url": URL}, 400, "immutable_webhook", message)
    await error(http, "DELETE", f"/webhooks/{NIL_UUID}", None, 400, "immutable_webhook", message)
    for n in range(20):
        await call(http, "POST", "/webhooks", {"url": f"{URL}/{n}"}, 201)
    results = (await call(http, "GET", "/webhooks"))["results"]
    assert len(results) == 21 and results[0] == nil_view


def test_cli_webhook_without_authorization():
    assert cli_webhook(None) is None
    assert cli_webhook("http://a.b") == {"url": "http://a.b", "headers": {}}


# 5 -------------------------------------------------------------------------------------------------

FIXED_UUID = "11111111-2222-4333-8444-555555555555"


def _create_error(engine, body):
    store = WebhookStore(engine.store, new_uuid=lambda: FIXED_UUID)
    with pytest.raises(LoupeError) as info:
        store.create(parse_body(body))
    return info.value.code, info.value.message


@pytest.mark.parametrize("body, code, message", [
    ([], "bad_request", "Invalid value type: expected an object, but found an array: `[]`"),
    ({"url": URL, "events": []}, "bad_request", "Unknown field `events`: expected one of `url`, `headers`"),
    ({"uuid": FIXED_UUID}, "immutable_webhook_uuid", "Immutable field `uuid`: expected one of `url`, `headers`"),
    ({"isEditable": False}, "immutable_webhook_is_editable",
     "Immutable field `isEditable`: expected one of `url`, `headers`"),
    ({}, "invalid_webhook_url", f"The URL for the webhook `{FIXED_UUID}` is missing."),
    ({"url": None}, "invalid_webhook_url", f"The URL for the webhook `{FIXED_UUID}` is missing."),
    ({"url": ""}, "invalid_webhook_url", f"The URL for the webhook `{FIXED_UUID}` is missing."),
    ({"url": 1}, "invalid_webhook_url", "Invalid value type at `.url`: expected a string, but found a positive integer: `1`"),
    ({"url": "doggo"}, "invalid_webhook_url", "Invalid URL `doggo`: relative URL without a base"),
    ({"url": URL, "headers": ["a"]}, "invalid_webhook_headers",
     'Invalid value type at `.headers`: expected an object, but found an array: `["a"]`'),
    ({"url": URL, "headers": {"X-A": 1}}, "invalid_webhook_headers",
     "Invalid value type at `.headers.X-A`: expected a string, but found a positive integer: `1`"),
    ({"url": URL, "headers": {"bad name": "v"}}, "invalid_webhook_headers",
     "Invalid header name `bad name`: invalid HTTP header name"),
    ({"url": URL, "headers": {"X-A": "line\nbreak"}}, "invalid_webhook_headers",
     "Invalid header value `X-A`: failed to parse header value"),
    ({"url": URL, "headers": {f"h{n}": "v" for n in range(201)}}, "invalid_webhook_headers",
     f"Too many headers for the webhook `{FIXED_UUID}`. Please limit the number of headers to 200. "
     "Hint: To remove an already defined header set its value to `null`"),
    # header names are checked in sorted order, before the URL
    ({"url": "doggo", "headers": {"z z": "v", "a a": "v"}}, "invalid_webhook_headers",
     "Invalid header name `a a`: invalid HTTP header name"),
])
def test_create_validation(engine, body, code, message):
    assert _create_error(engine, body) == (code, message)
    assert WebhookStore(engine.store).runtime() == {}


async def test_validation_through_http(http):
    got = await call(http, "POST", "/webhooks", {"headers": {}}, 400)
    assert got["code"] == "invalid_webhook_url"
    assert re.fullmatch(r"The URL for the webhook `[0-9a-f-]{36}` is missing\.", got["message"])
    await error(http, "POST", "/webhooks", {"url": "http://"}, 400, "invalid_webhook_url",
                "Invalid URL `http://`: empty host")


def test_null_header_on_create_is_an_empty_value(engine):
    uid, hook = WebhookStore(engine.store).create(parse_body({"url": URL, "headers": {"X-A": None}}))
    assert hook == {"url": URL, "headers": {"X-A": ""}}
    assert parse_body({"url": URL, "headers": None}) == WebhookPatch(URL, None)


def test_exactly_200_headers_accepted(engine):
    _, hook = WebhookStore(engine.store).create(parse_body({"url": URL, "headers": {f"h{n}": "v" for n in range(200)}}))
    assert len(hook["headers"]) == 200


# 6 -------------------------------------------------------------------------------------------------

async def test_twenty_webhooks_at_most(http):
    for n in range(20):
        await call(http, "POST", "/webhooks", {"url": f"{URL}/{n}"}, 201)
    await error(http, "POST", "/webhooks", {"url": URL}, 400, "invalid_webhooks",
                "Defining too many webhooks would crush the server. Please limit the number of webhooks to 20. "
                "You may use a third-party proxy server to dispatch events to more than 20 endpoints.")
    assert len((await call(http, "GET", "/webhooks"))["results"]) == 20


# 7 -------------------------------------------------------------------------------------------------

async def test_patch_merges(http):
    created = await call(http, "POST", "/webhooks",
                         {"url": URL, "headers": {"X-A": "1", "X-B": "2", "X-C": "3"}}, 201)
    path = f"/webhooks/{created['uuid']}"
    got = await call(http, "PATCH", path, {"headers": {"X-A": "one", "X-B": None, "X-D": "4"}})
    assert got == {"uuid": created["uuid"], "isEditable": True, "url": URL,
                   "headers": {"X-A": "one", "X-C": "3", "X-D": "4"}}
    got = await call(http, "PATCH", path, {"url": "http://new.example"})
    assert got["url"] == "http://new.example" and got["headers"] == {"X-A": "one", "X-C": "3", "X-D": "4"}
    got = await call(http, "PATCH", path, {"headers": None})
    assert got["headers"] == {}
    assert await call(http, "GET", path) == got
    await error(http, "PATCH", path, {"url": None}, 400, "invalid_webhook_url",
                f"The URL for the webhook `{created['uuid']}` is missing.")
    await error(http, "PATCH", path, {"url": "doggo"}, 400, "invalid_webhook_url",
                "Invalid URL `doggo`: relative URL without a base")
    assert await call(http, "GET", path) == got  # failed patches change nothing


async def test_patch_errors(http):
    missing = "9bb3bd8e-8c1c-4b3e-9d3c-1c7d2c0c2f6a"
    await error(http, "PATCH", f"/webhooks/{missing}", {"url": URL}, 404, "webhook_not_found",
                f"Webhook `{missing}` not found.")
    await error(http, "PATCH", "/webhooks/doggo", {"url": URL}, 400, "invalid_webhook_uuid",
                "Invalid UUID: invalid character: expected an optional prefix of `urn:uuid:` followed by "
                "[0-9a-fA-F-], found `o` at 2")
    await error(http, "PATCH", "/webhooks/doggo", {"uuid": "x"}, 400, "immutable_webhook_uuid",
                "Immutable field `uuid`: expected one of `url`, `headers`")


# 8 -------------------------------------------------------------------------------------------------

async def test_delete(http):
    created = await call(http, "POST", "/webhooks", {"url": URL}, 201)
    path = f"/webhooks/{created['uuid']}"
    r = await http.delete(path, headers=http.headers)
    assert r.status == 204 and await r.read() == b""
    await error(http, "GET", path, None, 404, "webhook_not_found", f"Webhook `{created['uuid']}` not found.")
    await error(http, "DELETE", path, None, 404, "webhook_not_found", f"Webhook `{created['uuid']}` not found.")
    await error(http, "DELETE", "/webhooks/123", None, 400, "invalid_webhook_uuid",
                "Invalid UUID: invalid length: expected length 32 for simple format, found 3")
    assert await call(http, "GET", "/webhooks") == {"results": []}


# 9 -------------------------------------------------------------------------------------------------

async def test_uuid_forms(http):
    created = await call(http, "POST", "/webhooks", {"url": URL}, 201)
    uid = created["uuid"]
    assert await call(http, "GET", f"/webhooks/{uid.upper()}") == created
    assert await call(http, "GET", f"/webhooks/{uid.replace('-', '')}") == created
    await error(http, "GET", "/webhooks/1234-5678", None, 400, "invalid_webhook_uuid",
                "Invalid UUID: invalid group count: expected 5, found 2")


async def test_auth_is_required(http):
    r = await http.get("/webhooks")
    assert r.status == 401 and (await r.json())["code"] == "missing_authorization_header"


# 10 ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, problem", [
    ("https://example.com/hook?x=1#f", None),
    ("http://127.0.0.1:7700/", None),
    ("http://[::1]:8080/x", None),
    ("http://user:pw@example.com", None),
    ("mailto:someone@example.com", None),
    ("http://exämple.com", None),
    ("example.com/hook", "relative URL without a base"),
    ("://x", "relative URL without a base"),
    ("http://", "empty host"),
    ("https:///path", None),          # special schemes skip any number of slashes: host `path`
    ("http://:80/x", "empty host"),
    ("http://example.com:99999", "invalid port number"),
    ("http://example.com:8o", "invalid port number"),
    ("http://exa mple.com", "invalid domain character"),
    ("http://[::1", "invalid IPv6 address"),
    ("http://256.1.1.1", "invalid IPv4 address"),
    ("http://1.2.3.4.5", "invalid IPv4 address"),
])
def test_url_problems(url, problem):
    assert url_problem(url) == problem


# 11 ------------------------------------------------------------------------------------------------

@pytest.fixture
async def receiver(aiohttp_server):
    """A local endpoint recording each POST as (path, headers, decompressed body)."""
    received: list[tuple[str, dict[str, str], bytes]] = []
    arrived = asyncio.Event()

    async def hook(request):
        raw = await request.read()
        headers = {k.decode(): v.decode() for k, v in request.raw_headers}  # names as sent
        received.append((request.path, headers, gzip.decompress(raw)))
        arrived.set()
        return web.Response(status=202)

    async def slow(request):
        await asyncio.sleep(3)
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    app.router.add_post("/other", hook)
    app.router.add_post("/slow", slow)
    server = await aiohttp_server(app, auto_decompress=False)  # prove the body really is gzip
    server.received, server.arrived = received, arrived
    return server


async def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_delivery_after_a_batch(tmp_path, receiver):
    notifier = notify.BatchNotifier()
    engine = Engine(tmp_path / "db", worker="thread", worker_options={"on_batch": notifier})
    try:
        notifier.bind(engine.store)
        WebhookStore(engine.store).create(parse_body({
            "url": f"http://127.0.0.1:{receiver.port}/hook",
            "headers": {"Authorization": "Bearer the-secret", "X-Custom": "1", "content-type": "application/json+x"}}))
        task = engine.add_documents("movies", [{"id": 1, "title": "Carol"}])
        await _wait_for(lambda: receiver.received)
        path, headers, body = receiver.received[0]
        final = engine.queue.get(task["uid"])
        assert path == "/hook"
        assert [orjson.loads(line) for line in body.splitlines()] == [task_view(final)]
        assert body.endswith(b"\n")
        assert headers["Content-Encoding"] == "gzip"
        assert headers["Authorization"] == "Bearer the-secret"
        assert headers["X-Custom"] == "1"
        assert headers["content-type"] == "application/json+x" and "Content-Type" not in headers
    finally:
        engine.close()


async def test_every_webhook_gets_the_batch(engine, receiver):
    store = WebhookStore(engine.store, cli=cli_webhook(f"http://127.0.0.1:{receiver.port}/other", "Bearer cli"))
    store.create(parse_body({"url": f"http://127.0.0.1:{receiver.port}/hook"}))
    tasks = [{"uid": n, "batchUid": 3, "indexUid": "movies", "status": status, "type": "indexCreation",
              "canceledBy": None, "details": {"primaryKey": None}, "error": None, "enqueuedAt": 0,
              "startedAt": 1_000_000, "finishedAt": 3_000_000}
             for n, status in enumerate(["succeeded", "failed", "processing"])]
    assert notify.notify_batch(engine.store, tasks, store.cli)
    await _wait_for(lambda: len(receiver.received) == 2)
    by_path = {path: (headers, body) for path, headers, body in receiver.received}
    assert set(by_path) == {"/hook", "/other"}
    assert by_path["/other"][0]["Authorization"] == "Bearer cli"
    lines = [orjson.loads(line) for line in by_path["/hook"][1].splitlines()]
    assert [t["uid"] for t in lines] == [0, 1] and lines[0]["duration"] == "PT0.002S"
    assert by_path["/hook"][0]["Content-Type"] == "application/x-ndjson"


# 12 ------------------------------------------------------------------------------------------------

async def test_hanging_and_dead_endpoints_do_not_block(engine, receiver):
    store = WebhookStore(engine.store, new_uuid=iter(["00000000-0000-4000-8000-00000000000" + c
                                                      for c in "123"]).__next__)
    store.create(parse_body({"url": f"http://127.0.0.1:{receiver.port}/slow"}))
    store.create(parse_body({"url": "http://127.0.0.1:9/refused"}))
    store.create(parse_body({"url": f"http://127.0.0.1:{receiver.port}/hook"}))
    task = {"uid": 7, "batchUid": 1, "indexUid": None, "status": "succeeded", "type": "dumpCreation",
            "canceledBy": None, "details": {"dumpUid": None}, "error": None, "enqueuedAt": 0,
            "startedAt": 0, "finishedAt": 0}
    started = time.monotonic()
    assert notify.notify_batch(engine.store, [task], timeout=1.0)
    assert time.monotonic() - started < 0.2
    await _wait_for(lambda: receiver.received)  # after the slow one timed out and the dead one failed
    assert [orjson.loads(line)["uid"] for line in receiver.received[0][2].splitlines()] == [7]


# 13 ------------------------------------------------------------------------------------------------

def test_nothing_to_send(engine):
    done = {"uid": 1, "batchUid": 1, "indexUid": None, "status": "succeeded", "type": "dumpCreation",
            "canceledBy": None, "details": None, "error": None, "enqueuedAt": 0, "startedAt": 0, "finishedAt": 0}
    assert notify.notify_batch(engine.store, [done]) is False  # no webhook
    WebhookStore(engine.store).create(parse_body({"url": "http://127.0.0.1:9/x"}))
    assert notify.notify_batch(engine.store, [{**done, "status": "processing"}]) is False
    assert notify.BatchNotifier()([done]) is None  # unbound: no store, nothing happens


def test_notifier_pickles_without_store(engine):
    notifier = notify.BatchNotifier(cli_webhook("http://a.b", "x"), timeout=2.0).bind(engine.store)
    copy = pickle.loads(pickle.dumps(notifier))
    assert (copy.cli_webhook, copy.timeout, copy.store) == ({"url": "http://a.b", "headers": {"Authorization": "x"}},
                                                             2.0, None)


def test_encoding_and_headers():
    body = notify.encode_tasks([
        {"uid": 1, "batchUid": 0, "indexUid": "a", "status": "canceled", "type": "indexCreation",
         "canceledBy": 2, "details": None, "error": None, "enqueuedAt": 0, "startedAt": None, "finishedAt": 5},
        {"uid": 2, "status": "enqueued"},
    ])
    assert gzip.decompress(body) == orjson.dumps({
        "uid": 1, "batchUid": 0, "indexUid": "a", "status": "canceled", "type": "indexCreation", "canceledBy": 2,
        "error": None, "duration": None, "enqueuedAt": "1970-01-01T00:00:00Z", "startedAt": None,
        "finishedAt": "1970-01-01T00:00:00.000000005Z"}) + b"\n"
    assert notify.request_headers({"url": URL, "headers": {"CONTENT-ENCODING": "br", "X-A": "b"}}) == {
        "Content-Type": "application/x-ndjson", "CONTENT-ENCODING": "br", "X-A": "b"}


def test_replace_runtime_for_dump_import(engine):
    store = WebhookStore(engine.store)
    store.create(parse_body({"url": URL}))
    store.replace_runtime({FIXED_UUID: {"url": URL, "headers": {"b": "2", "a": "1"}}})
    assert store.runtime() == {FIXED_UUID: {"url": URL, "headers": {"a": "1", "b": "2"}}}
    with pytest.raises(LoupeError) as info:
        store.replace_runtime({NIL_UUID: {"url": URL, "headers": {}}})
    assert info.value.code == "immutable_webhook"
    assert list(store.runtime()) == [FIXED_UUID]
