"""The `/qdrant` route table and handlers.

    GET    /qdrant                                        (open)          version info (client check)
    GET    /qdrant/collections                            indexes.get     visible collections
    GET    /qdrant/collections/{c}                        indexes.get     CollectionInfo
    GET    /qdrant/collections/{c}/exists                 indexes.get
    PUT    /qdrant/collections/{c}                        indexes.create
    DELETE /qdrant/collections/{c}                        indexes.delete
    PUT    /qdrant/collections/{c}/points[?wait=true]     documents.add   upsert
    POST   /qdrant/collections/{c}/points                 documents.get   retrieve by ids
    GET    /qdrant/collections/{c}/points/{id}            documents.get
    POST   /qdrant/collections/{c}/points/{search,recommend,query}[/batch|/groups]   search

The key check uses the collection's index uid (`collections.uid_or_none`); `api-key` (Qdrant's
header) or `Authorization: Bearer` carry a Loupe key.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from itertools import islice
from typing import Any, Callable

import numpy as np
from aiohttp import web

from engine.errors import LoupeError
from engine.index import Index
from engine.settings import task_details, validate_settings_patch

from ..access import Authenticator
from ..auth import _OPEN, authenticate
from ..http import Handler, Router, json_body, make_dispatcher
from ..waiting import task_finished
from . import errors
from .collections import Collection, from_settings, index_settings, index_uid, info_view, name_of, parse_vectors
from .errors import bad_request, collection_not_found, conflict, ok
from .filters import values_at
from .points import enqueue_upsert, hidden, parse_points, point_id
from .requests import Grouping, Search, grouping, query_request, recommend_request, search_request
from .search import Scored, point_count, ranked
from .selectors import payload_selector, vector_selector

def f32(value: float) -> float:
    """A float32 score as Qdrant prints it: the shortest decimal of the float32 (0.6, not 0.6000000238)."""
    return float(str(np.float32(value)))


API_VERSION = "1.20.0"  # the Qdrant REST version whose client the tests pin (qdrant-client 1.20)


# -- collections ------------------------------------------------------------------------------------

def _collection(request: web.Request, name: str) -> tuple[Index, Collection]:
    uid = index_uid(name)
    index = Index(request.app["engine"], uid)
    try:
        settings = index.settings()
    except LoupeError as exc:
        if exc.code == "index_not_found":
            raise collection_not_found(name) from None
        raise
    return index, from_settings(name, settings)


async def root(request: web.Request) -> web.Response:
    return web.json_response({"title": "qdrant - vector search engine (Loupe)", "version": API_VERSION})


async def list_collections(request: web.Request) -> web.Response:
    grant = request["grant"]
    names = [name_of(r["uid"]) for r in request.app["engine"].list_indexes() if grant.can_see_index(r["uid"])]
    return ok(request, {"collections": [{"name": n} for n in names if n is not None]})


async def get_collection(request: web.Request, collection: str) -> web.Response:
    index, config = _collection(request, collection)
    return ok(request, info_view(config, point_count(index)))


async def collection_exists(request: web.Request, collection: str) -> web.Response:
    uid = index_uid(collection)
    return ok(request, {"exists": any(r["uid"] == uid for r in request.app["engine"].list_indexes())})


async def create_collection(request: web.Request, collection: str) -> web.Response:
    uid = index_uid(collection)
    spaces = parse_vectors(await json_body(request))
    engine = request.app["engine"]
    if any(r["uid"] == uid for r in engine.list_indexes()):
        raise conflict(f"Collection `{collection}` already exists!")
    patch = validate_settings_patch(index_settings(spaces))
    tasks = [engine.create_index(uid, "id"), engine.update_settings(uid, patch, task_details(patch))]
    for task in tasks:
        _succeeded(await task_finished(engine, task["uid"]))
    return ok(request, True)


async def delete_collection(request: web.Request, collection: str) -> web.Response:
    uid = index_uid(collection)
    engine = request.app["engine"]
    if not any(r["uid"] == uid for r in engine.list_indexes()):
        return ok(request, False)
    _succeeded(await task_finished(engine, engine.delete_index(uid)["uid"]))
    return ok(request, True)


def _succeeded(task: dict[str, Any]) -> None:
    if task["status"] != "succeeded":
        error = task.get("error") or {"message": f"the operation was {task['status']}"}
        raise bad_request(error["message"])


# -- points -----------------------------------------------------------------------------------------

def _wait(request: web.Request) -> bool:
    value = request.rel_url.query.get("wait", "false").lower()
    if value not in ("true", "false"):
        raise bad_request(f"Query deserialize error: `wait` must be true or false, got `{value}`")
    return value == "true"


async def upsert_points(request: web.Request, collection: str) -> web.Response:
    wait = _wait(request)
    index, config = _collection(request, collection)
    documents = parse_points(config, await json_body(request))
    engine = request.app["engine"]
    task = enqueue_upsert(engine, index.uid, documents)
    if wait:
        _succeeded(await task_finished(engine, task["uid"]))
    return ok(request, {"operation_id": task["uid"], "status": "completed" if wait else "acknowledged"})


def _record(index: Index, config: Collection, raw_id: Any, payload: Any, vectors: Any) -> dict[str, Any] | None:
    pid = point_id(raw_id)
    try:
        document = index.get_document(str(pid), retrieve_vectors=vectors.enabled)
    except LoupeError as exc:
        if exc.code == "document_not_found":
            return None
        raise
    record: dict[str, Any] = {"id": document["id"]}
    shown = payload.apply(document.get("payload") or {})
    if shown is not None:
        record["payload"] = shown
    if vectors.enabled:
        record["vector"] = vectors.apply(config, document.get("_vectors"))
    return record


async def retrieve_points(request: web.Request, collection: str) -> web.Response:
    index, config = _collection(request, collection)
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("ids"), list):
        raise bad_request("Format error in JSON body: missing field `ids`")
    payload = payload_selector(body.get("with_payload", True))
    vectors = vector_selector(body.get("with_vector", body.get("with_vectors")))
    records = [_record(index, config, i, payload, vectors) for i in body["ids"]]
    return ok(request, [r for r in records if r is not None])


async def get_point(request: web.Request, collection: str, id: str) -> web.Response:
    index, config = _collection(request, collection)
    raw: Any = int(id) if id.isdigit() else id
    record = _record(index, config, raw, payload_selector(True), vector_selector(True))
    if record is None:
        raise errors.not_found(f"No point with id {point_id(raw)} found")
    return ok(request, record)


# -- search -----------------------------------------------------------------------------------------

def _view(config: Collection, search: Search, point: Scored) -> dict[str, Any]:
    out: dict[str, Any] = {"id": point.id, "version": point.version, "score": f32(point.score)}
    payload = search.payload.apply(point.payload)
    if payload is not None:
        out["payload"] = payload
    if search.vectors.enabled:
        out["vector"] = search.vectors.apply(config, point.vectors)
    return out


def _top(index: Index, config: Collection, search: Search) -> list[dict[str, Any]]:
    points = islice(ranked(index, search.plan), search.offset, search.offset + search.limit)
    return [_view(config, search, p) for p in points]


def _group_keys(payload: dict[str, Any], key: str) -> list[Any]:
    keys = []
    for value in values_at(payload, key):
        if (isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))) and value not in keys:
            keys.append(value)
    return keys


def _groups(request: web.Request, index: Index, config: Collection, search: Search, spec: Grouping) -> dict[str, Any]:
    if spec.lookup is not None:  # the key must see the lookup collection too
        request["grant"].require_index(index_uid(spec.lookup["collection"]))
    groups: dict[Any, list[Scored]] = {}
    search.plan.wanted = spec.limit * spec.group_size
    for point in ranked(index, search.plan):
        for key in _group_keys(point.payload, spec.group_by):
            if key in groups:
                if len(groups[key]) < spec.group_size:
                    groups[key].append(point)
            elif len(groups) < spec.limit:
                groups[key] = [point]
        if len(groups) == spec.limit and all(len(hits) == spec.group_size for hits in groups.values()):
            break
    out = []
    for key, hits in groups.items():
        group: dict[str, Any] = {"hits": [_view(config, search, p) for p in hits], "id": key}
        if spec.lookup is not None:
            found = _lookup(request, spec.lookup, key)
            if found is not None:
                group["lookup"] = found
        out.append(group)
    return {"groups": out}


def _lookup(request: web.Request, lookup: dict[str, Any], key: Any) -> dict[str, Any] | None:
    """The point ``key`` of the lookup collection, which the request's key must see too (and whose
    tenant-token filter hides what it hides)."""
    index, config = _collection(request, lookup["collection"])
    payload = payload_selector(_default(lookup.get("with_payload"), True))  # the seed: both true by default
    vectors = vector_selector(_default(lookup.get("with_vectors", lookup.get("with_vector")), True))
    try:
        if hidden(index, point_id(key), _tenant(request, index)):
            return None
        return _record(index, config, key, payload, vectors)
    except LoupeError:
        return None  # a group value that is no point id finds nothing


def _default(value: Any, default: Any) -> Any:
    return default if value is None else value


Reader = Callable[[Index, Collection, Any, Any], Search]


def _tenant(request: web.Request, index: Index) -> Any:
    """A tenant token's filter for the collection (None for API keys)."""
    return request["grant"].filter_for_index(index.uid)


def _single(reader: Reader) -> Handler:
    async def handler(request: web.Request, collection: str) -> web.Response:
        index, config = _collection(request, collection)
        body = await json_body(request)
        return ok(request, _top(index, config, reader(index, config, body, _tenant(request, index))))
    return handler


def _searches(body: Any) -> list:
    """The ``searches`` of a batch body (every batch route, Query API or the seed's)."""
    if not isinstance(body, dict) or not isinstance(body.get("searches"), list):
        raise bad_request("Format error in JSON body: missing field `searches`")
    return body["searches"]


def _batch(reader: Reader) -> Handler:
    async def handler(request: web.Request, collection: str) -> web.Response:
        index, config = _collection(request, collection)
        searches = _searches(await json_body(request))
        with index.snapshot() as pinned:
            tenant = _tenant(request, index)
            return ok(request, [_top(pinned, config, reader(pinned, config, one, tenant)) for one in searches])
    return handler


def _grouped(reader: Reader) -> Handler:
    async def handler(request: web.Request, collection: str) -> web.Response:
        index, config = _collection(request, collection)
        body = await json_body(request)
        spec = grouping(body if isinstance(body, dict) else {})
        search = reader(index, config, body, _tenant(request, index))
        return ok(request, _groups(request, index, config, search, spec))
    return handler


async def query(request: web.Request, collection: str) -> web.Response:
    index, config = _collection(request, collection)
    search = query_request(index, config, await json_body(request), _tenant(request, index))
    return ok(request, {"points": _top(index, config, search)})


async def query_batch(request: web.Request, collection: str) -> web.Response:
    index, config = _collection(request, collection)
    searches = _searches(await json_body(request))
    with index.snapshot() as pinned:
        tenant = _tenant(request, index)
        return ok(request, [{"points": _top(pinned, config, query_request(pinned, config, one, tenant))}
                            for one in searches])


async def query_groups(request: web.Request, collection: str) -> web.Response:
    index, config = _collection(request, collection)
    body = await json_body(request)
    spec = grouping(body if isinstance(body, dict) else {})
    return ok(request, _groups(request, index, config, query_request(index, config, body, _tenant(request, index)),
                               spec))


# -- wiring -----------------------------------------------------------------------------------------

def build_router() -> Router:
    router = Router()
    add = router.add
    c = "/qdrant/collections/{collection}"
    add("GET", "/qdrant", root, None)
    add("GET", "/qdrant/collections", list_collections, "indexes.get")
    add("GET", c, get_collection, "indexes.get")
    add("GET", c + "/exists", collection_exists, "indexes.get")
    add("PUT", c, create_collection, "indexes.create")
    add("DELETE", c, delete_collection, "indexes.delete")
    add("PUT", c + "/points", upsert_points, "documents.add")
    add("POST", c + "/points", retrieve_points, "documents.get")
    add("GET", c + "/points/{id}", get_point, "documents.get")
    add("POST", c + "/points/search", _single(search_request), "search")
    add("POST", c + "/points/search/batch", _batch(search_request), "search")
    add("POST", c + "/points/search/groups", _grouped(lambda i, k, b, t: search_request(i, k, b, t, default_limit=10)),
        "search")
    add("POST", c + "/points/recommend", _single(recommend_request), "search")
    add("POST", c + "/points/recommend/batch", _batch(recommend_request), "search")
    add("POST", c + "/points/recommend/groups",
        _grouped(lambda i, k, b, t: recommend_request(i, k, b, t, default_limit=10)), "search")
    add("POST", c + "/points/query", query, "search")
    add("POST", c + "/points/query/batch", query_batch, "search")
    add("POST", c + "/points/query/groups", query_groups, "search")
    return router


class QdrantAuth:
    """Loupe's key check with Qdrant's header: `api-key: KEY` reads as `Authorization: Bearer KEY`."""

    def __init__(self, authenticator: Authenticator):
        self.authenticator = authenticator

    def __call__(self, request: web.Request, action: str | None, uid: str | None) -> Any:
        request["qdrant_started"] = time.perf_counter()
        if action is None:
            return _OPEN
        key = request.headers.get("api-key")
        header = f"Bearer {key}" if key is not None else request.headers.get("Authorization")
        a = self.authenticator
        return authenticate(header, action, uid, a.master_key, a.keys, datetime.now(timezone.utc))


def dispatcher(authenticator: Authenticator, metrics: Any) -> Handler:
    from .collections import uid_or_none
    return make_dispatcher(build_router(), QdrantAuth(authenticator), metrics, render_error=errors.render,
                           index_of=uid_or_none, unknown_route=errors.unknown_route)
