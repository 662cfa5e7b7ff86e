"""The `/tpuf` route table and handlers.

    POST   /tpuf/v2/namespaces/{ns}          documents.add (+ documents.delete for deletes, indexes.create
                                             for a new namespace)   write, answered once searchable
    DELETE /tpuf/v2/namespaces/{ns}          indexes.delete
    POST   /tpuf/v2/namespaces/{ns}/query    search   one query, or {"queries": [...]} (the client's
                                             `?stainless_overload=multiQuery`), one snapshot
    GET    /tpuf/v1/namespaces               indexes.get   the visible namespaces

The key check uses the namespace's index uid; `Authorization: Bearer` carries a Loupe key.
"""
from __future__ import annotations

import time
from typing import Any

import orjson
from aiohttp import web

from engine.errors import LoupeError
from engine.index import Index
from engine.settings import task_details, validate_settings_patch

from ..access import Authenticator
from ..http import Handler, Router, json_body, json_response, make_dispatcher
from ..waiting import task_finished
from . import errors
from .errors import bad_request, not_found
from .filters import parse_filter
from .namespaces import PREFIX, Namespace, from_settings, index_uid, settings_patch, uid_or_none
from .query import run_query
from .rows import all_rows
from .writes import full_text_attributes, parse_write

MAX_QUERIES = 16


def _namespace(request: web.Request, name: str, *, required: bool = True) -> tuple[Index, Namespace | None]:
    index = Index(request.app["engine"], index_uid(name))
    try:
        return index, from_settings(name, index.settings())
    except LoupeError as exc:
        if exc.code == "index_not_found" and not required:
            return index, None
        if exc.code == "index_not_found":
            raise not_found(f"namespace '{name}' was not found") from None
        raise


def _performance(started: float, size: int) -> dict[str, Any]:
    ms = int((time.perf_counter() - started) * 1000)
    return {"cache_hit_ratio": 1.0, "cache_temperature": "hot", "server_total_ms": ms, "query_execution_ms": ms,
            "exhaustive_search_count": 0, "approx_namespace_size": size}


async def write(request: web.Request, namespace: str) -> web.Response:
    index, found = _namespace(request, namespace, required=False)
    body = await json_body(request)
    documents, deletes, metric, dimensions = parse_write(found, body)
    engine = request.app["engine"]
    if found is None and not request["grant"].can_create_index(index.uid):
        raise LoupeError("invalid_api_key", "The provided API key is invalid.")
    by_filter = body.get("delete_by_filter")
    if deletes or by_filter is not None:
        request["reauthenticate"](request, "documents.delete", index.uid)
    tasks = []
    if found is None:
        tasks.append(engine.create_index(index.uid, "id"))
    patch = settings_patch(found, metric, dimensions, full_text_attributes(body.get("schema")))
    if patch:
        patch = validate_settings_patch(patch)
        tasks.append(engine.update_settings(index.uid, patch, task_details(patch)))
    embedder = f"vector~{metric}" if metric is not None else None
    stored = [{"id": d["id"], "attrs": d["attrs"], **({"_vectors": {embedder: d.get("vector")}} if embedder else {})}
              for d in documents]
    if stored:
        tasks.append(engine.add_documents(index.uid, stored, primary_key="id", allow_index_creation=False))
    if by_filter is not None and found is not None:
        predicate = parse_filter(by_filter, frozenset(found.full_text))
        deletes = deletes + [r.values["id"] for r in all_rows(index, None, False) if predicate(r.values)]
    if deletes:
        tasks.append(engine.delete_documents(index.uid, [str(i) for i in deletes]))
    for task in tasks:
        done = await task_finished(engine, task["uid"])
        if done["status"] != "succeeded":
            raise bad_request((done.get("error") or {}).get("message", f"the write was {done['status']}"))
    written = len(orjson.dumps(body)) if isinstance(body, dict) else 0
    return json_response({"status": "OK", "message": f"{len(stored)} rows upserted, {len(deletes)} deleted",
                          "rows_affected": len(stored) + len(deletes), "rows_upserted": len(stored),
                          "rows_deleted": len(deletes), "billing": {"billable_logical_bytes_written": written}})


async def delete_namespace(request: web.Request, namespace: str) -> web.Response:
    index, _found = _namespace(request, namespace)
    engine = request.app["engine"]
    done = await task_finished(engine, engine.delete_index(index.uid)["uid"])
    if done["status"] != "succeeded":
        raise bad_request((done.get("error") or {}).get("message", "the deletion failed"))
    return json_response({"status": "OK"})


async def query(request: web.Request, namespace: str) -> web.Response:
    started = time.perf_counter()
    index, found = _namespace(request, namespace)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise bad_request("the query body must be a JSON object")
    multi = request.rel_url.query.get("stainless_overload") == "multiQuery" or "queries" in body
    tenant = request["grant"].filter_for_index(index.uid)
    with index.snapshot() as pinned:
        size = _size(pinned)
        if multi:
            queries = body.get("queries")
            extra = sorted(set(body) - {"queries", "vector_encoding", "consistency"})
            if not isinstance(queries, list) or not 1 <= len(queries) <= MAX_QUERIES or extra:
                raise bad_request(f"a multi-query is {{\"queries\": [1 to {MAX_QUERIES} query objects]}}")
            results = [run_query(pinned, found, one, body.get("vector_encoding"), tenant) for one in queries]
            answer: dict[str, Any] = {"results": results}
        else:
            answer = run_query(pinned, found, body, tenant=tenant)
    returned = len(orjson.dumps(answer))
    answer["billing"] = {"billable_logical_bytes_queried": returned, "billable_logical_bytes_returned": returned}
    answer["performance"] = _performance(started, size)
    return json_response(answer)


def _size(index: Index) -> int:
    engine = index.engine
    with engine.store.index_env.begin() as txn:
        return len(engine.registry.all_docids(txn, index.record(txn)["iid"]))


async def list_namespaces(request: web.Request) -> web.Response:
    grant = request["grant"]
    names = [r["uid"][len(PREFIX):] for r in request.app["engine"].list_indexes()
             if r["uid"].startswith(PREFIX) and grant.can_see_index(r["uid"])]
    return json_response({"namespaces": [{"id": n} for n in names], "next_cursor": None})


def build_router() -> Router:
    router = Router()
    router.add("POST", "/tpuf/v2/namespaces/{namespace}", write, "documents.add")
    router.add("DELETE", "/tpuf/v2/namespaces/{namespace}", delete_namespace, "indexes.delete")
    router.add("POST", "/tpuf/v2/namespaces/{namespace}/query", query, "search")
    router.add("GET", "/tpuf/v1/namespaces", list_namespaces, "indexes.get")
    return router


class TpufAuth:
    """Loupe's key check; handlers may check a second action (`request["reauthenticate"]`)."""

    def __init__(self, authenticator: Authenticator):
        self.authenticator = authenticator

    def __call__(self, request: web.Request, action: str | None, uid: str | None) -> Any:
        request["reauthenticate"] = self.authenticator
        return self.authenticator(request, action, uid)


def dispatcher(authenticator: Authenticator, metrics: Any) -> Handler:
    return make_dispatcher(build_router(), TpufAuth(authenticator), metrics, render_error=errors.render,
                           index_of=uid_or_none, unknown_route=errors.unknown_route)
