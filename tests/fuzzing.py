"""Fuzzing of the HTTP API with hypothesis: strategies, a server harness and the property checked.

Shared by the CI-sized run (tests/server/test_fuzz.py) and the long run (bench/fuzz.py).

The property (issue 19, point 6): whatever the input,
* no 5xx and no hang (each request answers within `REQUEST_TIMEOUT` seconds);
* every error is exactly Meilisearch's four-key object: a known `code`, the `type` and HTTP
  status that code implies, `link` = the docs URL + code;
* every task an input enqueues ends `succeeded` or `failed` with such an object, never `internal`.

The harness runs the app in-process (aiohttp's test server on a private event loop) with no
worker thread: `process()` runs the worker on the caller's thread, so tasks enqueued by one
example are batched together as concurrent clients' would be, and all is deterministic.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
import string
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from hypothesis import strategies as st

from engine.errors import ERROR_LINK, error_status, error_type

REQUEST_TIMEOUT = 30.0
MASTER = "fuzzing-master-key-0123456789"
SPEC = Path(__file__).resolve().parent.parent.parent / "shared" / "spec"
ERROR_TYPES = {"invalid_request", "auth", "internal", "system"}
_CODE_SHAPE = re.compile(r"^[a-z]+(_[a-z0-9]+)*$")
#: Families the spec names by pattern (errors-auth.md §2.1): any code of theirs is known.
_CODE_FAMILIES = re.compile(r"^(invalid|missing|immutable)_[a-z0-9_]+$")


def _spec_codes() -> frozenset[str]:
    """Every backquoted snake_case word of the spec: the codes it names, among other words."""
    words: set[str] = set()
    for page in SPEC.glob("*.md"):
        words.update(re.findall(r"`([a-z]+(?:_[a-z0-9]+)+)`", page.read_text()))
    return frozenset(words)


KNOWN_CODES = _spec_codes()


class PropertyBroken(AssertionError):
    """An input broke the property; the message says how."""


def check_error(status: int, body: Any, where: str) -> None:
    """An error answer must be a well-formed Meilisearch error object, never internal."""
    if not isinstance(body, dict) or list(body) != ["message", "code", "type", "link"]:
        raise PropertyBroken(f"{where}: {status} with a body that is no error object: {body!r:.300}")
    code = body["code"]
    if code == "internal" or body["type"] == "internal":
        raise PropertyBroken(f"{where}: internal error: {body}")
    if not (isinstance(code, str) and _CODE_SHAPE.match(code)) or not (
            code in KNOWN_CODES or _CODE_FAMILIES.match(code)):
        raise PropertyBroken(f"{where}: unknown code {code!r}: {body}")
    if body["type"] not in ERROR_TYPES or body["type"] != error_type(code):
        raise PropertyBroken(f"{where}: type {body['type']!r} for {code}: {body}")
    if body["link"] != ERROR_LINK + code or not isinstance(body["message"], str) or not body["message"]:
        raise PropertyBroken(f"{where}: bad link or message: {body}")
    if status and status != error_status(code):
        raise PropertyBroken(f"{where}: status {status} for {code}: {body}")


class _ErrorLog(logging.Handler):
    """Errors logged anywhere (the cache warmer's thread, the worker...): a failure the HTTP
    answer does not show is still a failure."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()}"[:2000])


class Harness:
    """An in-process Loupe (master key set) whose worker runs only when `process()` is called."""

    def __init__(self, path: Path):
        from aiohttp.test_utils import TestClient, TestServer

        from engine.engine import Engine
        from engine.tasks.worker import Worker
        from server.app import create_app

        self.engine = Engine(path / "db", worker="none")
        self.worker = Worker(self.engine.store, self.engine.queue, dump_dir=path / "dumps",
                             snapshot_dir=path / "snapshots")
        self.worker.recover()
        self.loop = asyncio.new_event_loop()
        self.client = TestClient(TestServer(create_app(self.engine, master_key=MASTER)), loop=self.loop)
        self.loop.run_until_complete(self.client.start_server())
        self.requests = 0
        self.tasks_checked = 0
        self._seen_task = -1
        self._errors = _ErrorLog()
        logging.getLogger().addHandler(self._errors)

    def _check_logs(self, where: str) -> None:
        if self._errors.records:
            logged, self._errors.records = self._errors.records, []
            raise PropertyBroken(f"{where}: logged an error: {logged[0]}")

    def prepare(self) -> None:
        """The indexes the fuzzers use: `films` (a few documents, filterable) for filters, `docs`
        (every field filterable, facet-searchable and comparable) for document payloads."""
        for path, body in (("/indexes/films/settings", FILTER_SETTINGS), ("/indexes/docs/settings", DOCUMENT_SETTINGS),
                           ("/indexes/films/documents?primaryKey=id", FILTER_DOCUMENTS)):
            status, _ = self.request("PATCH" if path.endswith("settings") else "POST", path, orjson.dumps(body))
            assert status == 202, (path, status)
        tasks = self.process()
        assert [t["status"] for t in tasks] == ["succeeded"] * 3, tasks

    def close(self) -> None:
        logging.getLogger().removeHandler(self._errors)
        self.loop.run_until_complete(self.client.close())
        self.loop.close()
        self.engine.close()

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str = "application/json") -> tuple[int, Any]:
        """One request; checks the property on its answer and returns (status, decoded body)."""
        headers = {"Authorization": f"Bearer {MASTER}"}
        if body is not None:
            headers["Content-Type"] = content_type
        where = f"{method} {path} {body[:200]!r}" if body is not None else f"{method} {path}"

        async def send() -> tuple[int, bytes]:
            response = await self.client.request(method, path, data=body, headers=headers)
            return response.status, await response.read()
        try:
            status, raw = self.loop.run_until_complete(asyncio.wait_for(send(), REQUEST_TIMEOUT))
        except asyncio.TimeoutError:
            raise PropertyBroken(f"{where}: no answer within {REQUEST_TIMEOUT} s") from None
        self.requests += 1
        self._check_logs(where)
        if status >= 500:
            raise PropertyBroken(f"{where}: {status} {raw[:500]!r}")
        decoded = orjson.loads(raw) if raw and raw[:1] in b"{[" else raw
        if status >= 400 and status not in (404, 405) or (status == 404 and raw):
            check_error(status, decoded, where)
        return status, decoded

    def process(self, deadline: float = 120.0) -> list[dict[str, Any]]:
        """Run the worker until the queue is empty; check and return the tasks it finished."""
        start = time.monotonic()
        while self.worker.tick():
            if time.monotonic() - start > deadline:
                raise PropertyBroken(f"the worker still had work after {deadline} s")
        self._check_logs("processing tasks")
        finished = [task for task in self.engine.queue.iter_tasks(reverse=False) if task["uid"] > self._seen_task]
        for task in finished:
            self._seen_task = task["uid"]
            self.tasks_checked += 1
            if task["status"] not in ("succeeded", "failed", "canceled"):
                raise PropertyBroken(f"task {task['uid']} ({task['type']}) still {task['status']}")
            if task["status"] == "failed":
                check_error(0, task["error"], f"task {task['uid']} ({task['type']})")
        return finished


# -- JSON values ---------------------------------------------------------------------------------

EDGE_INTEGERS = st.sampled_from([0, -1, 1, 2**31 - 1, -2**31, 2**32, 2**53, -2**53, 2**53 + 1, 2**63 - 1, -2**63,
                                 2**64 - 1])
EDGE_FLOATS = st.sampled_from([0.0, -0.0, 0.1, -1.5, 1e-300, 5e-324, 1.7976931348623157e308, -1.7976931348623157e308,
                               1e21, 123456789012345680.0])
ODD_TEXT = st.sampled_from(["", " ", "f" * 40, "é" * 300, "n" * 600, "\u0000", "\u200b", "🦀", "é", "e\u0301", "ß", "İ", "\ufeff", "\\", "\"",
                            "a.b", "_geo", "_vectors", "*", "id", "ID", "-", "_", "null", "true", "1e5", "NaN",
                            "日本語の文", "Ünïcödé wörds", "a" * 300, "x " * 2000, "<em>", "\n\t"])
TEXT = st.one_of(st.text(max_size=40), ODD_TEXT)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**63, max_value=2**64 - 1), EDGE_INTEGERS,
                    st.floats(allow_nan=False, allow_infinity=False), EDGE_FLOATS, TEXT)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(TEXT, inner, max_size=5)), max_leaves=20)


def nested_value(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def encode(value: Any) -> bytes:
    """JSON text of any value, deeper than orjson's 254 levels included."""
    try:
        return orjson.dumps(value)
    except (orjson.JSONEncodeError, TypeError):
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 20_000))
        try:
            return json.dumps(value, ensure_ascii=False).encode()
        finally:
            sys.setrecursionlimit(limit)


# -- documents -----------------------------------------------------------------------------------

DOCUMENT_IDS = st.one_of(
    st.integers(min_value=-2**63, max_value=2**64 - 1), EDGE_INTEGERS, EDGE_FLOATS, st.booleans(), st.none(),
    st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=20),
    st.integers(min_value=500, max_value=520).map(lambda n: "i" * n), TEXT,
    st.lists(st.integers(), max_size=2), st.dictionaries(TEXT, st.integers(), max_size=2))
FIELD_NAMES = st.one_of(st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8), TEXT)


@st.composite
def documents(draw: Any) -> dict[str, Any]:
    """A document as a client might send it: an id of any kind, fields of any kind, sometimes deep
    nesting, many fields, huge strings or reserved fields."""
    document: dict[str, Any] = {}
    if draw(st.integers(0, 9)):
        document["id"] = draw(DOCUMENT_IDS)
    document.update(draw(st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=6)))
    shape = draw(st.integers(0, 19))
    if shape == 0:
        document["deep"] = nested_value(draw(st.sampled_from([100, 126, 127, 128, 129, 200, 254, 255, 600, 1020])))
    elif shape == 1:
        document.update({f"f{n}": n for n in range(draw(st.sampled_from([500, 5_000, 65_536])))})
    elif shape == 2:
        document["big"] = draw(st.sampled_from(["w" * 100_000, "word " * 50_000, "é" * 70_000]))
    elif shape == 3:
        document["_geo"] = draw(st.one_of(JSON_VALUES, st.fixed_dictionaries({"lat": SCALARS, "lng": SCALARS})))
    elif shape == 4:
        document["_vectors"] = draw(JSON_VALUES)
    return document


PAYLOADS = st.one_of(
    st.lists(documents(), min_size=0, max_size=4).map(lambda docs: (encode(docs), "application/json")),
    documents().map(lambda doc: (encode(doc), "application/json")),
    st.lists(documents(), min_size=1, max_size=4).map(
        lambda docs: (b"\n".join(encode(d) for d in docs), "application/x-ndjson")),
    st.binary(max_size=200).map(lambda raw: (raw, "application/json")),
    st.binary(max_size=200).map(lambda raw: (raw, "text/csv")),
)

# -- settings of the documents' index -----------------------------------------------------------

NAMES = st.lists(st.one_of(FIELD_NAMES, st.sampled_from(["*", "id", "title", "deep", "big", "_geo", "f1", "a.b"])),
                 max_size=4)
RANKING_RULES = st.lists(st.one_of(st.sampled_from(["words", "typo", "proximity", "attribute", "sort", "exactness",
                                                    "attributeRank", "wordPosition"]),
                                   FIELD_NAMES.map(lambda f: f + ":asc"), FIELD_NAMES.map(lambda f: f + ":desc")),
                         max_size=8)
SETTINGS = st.fixed_dictionaries({}, optional={
    "searchableAttributes": NAMES, "displayedAttributes": NAMES, "sortableAttributes": NAMES,
    "filterableAttributes": st.one_of(NAMES, st.just([{"attributePatterns": ["*"], "features": {
        "facetSearch": True, "filter": {"equality": True, "comparison": True}}}])),
    "distinctAttribute": st.one_of(st.none(), FIELD_NAMES), "rankingRules": RANKING_RULES,
    "stopWords": st.lists(TEXT, max_size=3), "synonyms": st.dictionaries(TEXT, st.lists(TEXT, max_size=2), max_size=2),
    "dictionary": st.lists(TEXT, max_size=2), "separatorTokens": st.lists(TEXT, max_size=2),
    "nonSeparatorTokens": st.lists(TEXT, max_size=2),
    "proximityPrecision": st.sampled_from(["byWord", "byAttribute"]),
    "typoTolerance": st.fixed_dictionaries({}, optional={"enabled": st.booleans(), "disableOnNumbers": st.booleans(),
                                                         "disableOnAttributes": NAMES, "disableOnWords": NAMES}),
    "faceting": st.fixed_dictionaries({}, optional={"maxValuesPerFacet": st.integers(0, 10)}),
    "localizedAttributes": st.lists(st.fixed_dictionaries({"attributePatterns": NAMES, "locales": st.lists(
        st.sampled_from(["eng", "fra", "jpn", "cmn", "heb", "xx"]), max_size=2)}), max_size=2),
    "prefixSearch": st.sampled_from(["indexingTime", "disabled"]), "facetSearch": st.booleans(),
})

# -- bodies of every JSON route ------------------------------------------------------------------

PARAMETER_NAMES = (
    "q", "filter", "sort", "facets", "limit", "offset", "page", "hitsPerPage", "attributesToRetrieve",
    "attributesToCrop", "cropLength", "cropMarker", "attributesToHighlight", "highlightPreTag",
    "highlightPostTag", "showMatchesPosition", "matchingStrategy", "hybrid", "vector", "retrieveVectors",
    "rankingScoreThreshold", "locales", "distinct", "queries", "federation", "federationOptions", "indexUid",
    "facetName", "facetQuery", "uid", "primaryKey", "indexes", "actions", "expiresAt", "name", "description",
    "displayedAttributes", "searchableAttributes", "filterableAttributes", "sortableAttributes", "rankingRules",
    "stopWords", "synonyms", "distinctAttribute", "typoTolerance", "faceting", "pagination", "dictionary",
    "separatorTokens", "nonSeparatorTokens", "proximityPrecision", "searchCutoffMs", "localizedAttributes",
    "facetSearch", "prefixSearch", "ids", "fields", "function", "context", "showRankingScore",
    "showRankingScoreDetails", "attributesToSearchOn", "id", "embedder", "semanticRatio", "enabled",
    "minWordSizeForTypos", "disableOnAttributes", "disableOnWords", "disableOnNumbers", "maxValuesPerFacet",
    "sortFacetValuesBy", "maxTotalHits", "newUid", "rename", "exhaustiveFacetsCount", "weight", "media",
    "mergeFacets", "facetsByIndex", "oneTypo", "twoTypos", "filterableAttributes", "attributePatterns",
    "features", "facetSearch", "skipCreation", "headers", "url", "remotes", "self", "leader", "searchableAttributes",
)
PARAMETER_VALUES = st.one_of(JSON_VALUES, st.lists(TEXT, max_size=3), st.integers(-5, 1_100))
BODIES = st.one_of(
    st.dictionaries(st.sampled_from(PARAMETER_NAMES), PARAMETER_VALUES, max_size=4),
    JSON_VALUES,
    st.lists(st.dictionaries(st.sampled_from(PARAMETER_NAMES), PARAMETER_VALUES, max_size=3), max_size=3),
)

#: Routes whose handling reaches outside the process (remote machines, the whole store's files):
#: their bodies are fuzzed too, but their tasks are not run where they would call a remote.
OUTBOUND = {("POST", "/export")}


def json_body_routes() -> list[tuple[str, str]]:
    """(method, path) of every route that reads a JSON body, placeholders filled in."""
    from server.app import build_router
    fill = {"{index_uid}": "fuzz", "{document_id}": "1", "{task_uid}": "0", "{batch_uid}": "0",
            "{key}": "fuzz-key", "{uuid}": "0190f1ea-0000-7000-8000-000000000000", "{webhook_uuid}":
            "0190f1ea-0000-7000-8000-000000000000"}
    routes = []
    for route in build_router().routes:
        if route.method not in ("POST", "PUT", "PATCH"):
            continue
        path = "/" + "/".join(fill.get(s, "fuzz") if s.startswith("{") else s for s in route.segments)
        if path.endswith("/documents") and route.method in ("POST", "PUT"):
            continue  # the document payload has its own fuzzer
        routes.append((route.method, path))
    return routes


# -- the filter language -------------------------------------------------------------------------

FILTER_FIELDS = st.sampled_from(["genre", "year", "rating", "title", "nested.tag", "_geo", "missing", "tags",
                                 "genre.x", "`genre`", "'year'", "\"genre\"", "ye ar", "", "AND", "TO"])
FILTER_VALUES = st.one_of(
    st.integers(-10**20, 10**20).map(str), st.floats(allow_nan=False).map(repr), TEXT.map(json.dumps),
    TEXT.map(lambda t: "'" + t.replace("'", "\\'") + "'"), st.sampled_from(["NULL", "EMPTY", "true", "-0", "1e999",
                                                                           "nan", "inf", "0x10", "'", "\"", "\\"]))
COMPARATORS = st.sampled_from(["=", "!=", ">", ">=", "<", "<=", "IN", "NOT IN", "EXISTS", "NOT EXISTS", "IS NULL",
                               "IS NOT NULL", "IS EMPTY", "IS NOT EMPTY", "CONTAINS", "NOT CONTAINS", "STARTS WITH",
                               "TO", "==", "=>"])


@st.composite
def condition(draw: Any) -> str:
    kind = draw(st.integers(0, 5))
    field, op = draw(FILTER_FIELDS), draw(COMPARATORS)
    if kind == 0:
        return f"_geoRadius({', '.join(draw(st.lists(FILTER_VALUES, max_size=4)))})"
    if kind == 1:
        return f"_geoBoundingBox([{draw(FILTER_VALUES)}, {draw(FILTER_VALUES)}], [{draw(FILTER_VALUES)}])"
    if op in ("IN", "NOT IN"):
        return f"{field} {op} [{', '.join(draw(st.lists(FILTER_VALUES, max_size=4)))}]"
    if op == "TO":
        return f"{field} {draw(FILTER_VALUES)} TO {draw(FILTER_VALUES)}"
    if op.startswith(("EXISTS", "NOT EXISTS", "IS")):
        return f"{'NOT ' if draw(st.booleans()) else ''}{field} {op}"
    return f"{field} {op} {draw(FILTER_VALUES)}"


FILTER_EXPRESSIONS = st.recursive(condition(), lambda inner: st.one_of(
    st.tuples(inner, st.sampled_from([" AND ", " OR ", " and ", " ", " AND NOT ", " OR ("]), inner).map("".join),
    inner.map(lambda e: f"({e})"), inner.map(lambda e: f"NOT {e}"),
), max_leaves=12)
FILTERS = st.one_of(
    FILTER_EXPRESSIONS,
    st.text(alphabet="()[]'\"\\ =<>!,ANDORTINXSEMPYUL_geoRadius0123456789.-", max_size=60),
    st.integers(1, 400).map(lambda n: "(" * n + "genre = a" + ")" * n),
    st.integers(1, 3000).map(lambda n: " OR ".join(["genre = a"] * n)),
    st.lists(st.one_of(FILTER_EXPRESSIONS, st.lists(FILTER_EXPRESSIONS, max_size=3), JSON_VALUES), max_size=4),
    JSON_VALUES,
)
FILTER_DOCUMENTS = [
    {"id": 1, "genre": "drama", "year": 1999, "rating": 4.5, "title": "One", "nested": {"tag": "x"}, "tags": ["a"],
     "_geo": {"lat": 45.0, "lng": 3.0}},
    {"id": 2, "genre": ["comedy", "drama"], "year": None, "rating": -1, "title": "", "tags": []},
    {"id": 3, "year": "1999", "rating": 1e300, "nested": None},
]
DOCUMENT_SETTINGS = {"filterableAttributes": [{"attributePatterns": ["*"], "features": {
    "facetSearch": True, "filter": {"equality": True, "comparison": True}}}], "sortableAttributes": ["id", "title"]}
FILTER_SETTINGS = {"filterableAttributes": ["genre", "year", "rating", "title", "nested", "tags", "_geo"],
                   "sortableAttributes": ["year", "_geo"]}
