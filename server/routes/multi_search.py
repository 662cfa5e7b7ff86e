"""POST /multi-search: several searches in one request, optionally federated (api.md §6).

Non-federated: one search response per query, in order, each with its `indexUid` first.
Federated: engine/meilisearch/federation.py merges the queries' typed results.  Every error tied
to one query carries the ``Inside `.queries[i]`: `` prefix; a query on an index the key cannot see
is refused like an invalid key.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

from aiohttp import web

from engine.errors import LoupeError
from engine.index import Index
from engine.meilisearch.federation import federated_search
from engine.meilisearch.multi_search import parse_multi_search_body
from engine.meilisearch.request_uid import new_request_uid
from engine.meilisearch.search import run_search

from ..http import Router, json_body, json_response
from .search import tenant_filter

T = TypeVar("T")


def _for_query(request: web.Request, i: int, uid: str, run: Callable[[Index], T]) -> T:
    """Runs one query's search on its index, errors prefixed with the query's position."""
    try:
        if not request["grant"].can_see_index(uid):
            raise LoupeError("invalid_api_key", "The provided API key is invalid.")
        return run(Index(request.app["engine"], uid))
    except LoupeError as exc:
        raise _as_multi_search(exc.with_prefix(f"Inside `.queries[{i}]`: ")) from None


def _as_multi_search(exc: LoupeError) -> LoupeError:
    """Inside /multi-search a missing index is a bad request (400), not the usual 404."""
    return exc.with_status(400) if exc.code == "index_not_found" else exc


async def multi_search(request: web.Request) -> web.Response:
    body = parse_multi_search_body(await json_body(request))
    request_uid = new_request_uid()
    if body.federation is None:
        results: list[dict[str, Any]] = []
        for i, entry in enumerate(body.queries):
            uid, params = entry.index_uid, entry.params
            result = _for_query(request, i, uid, lambda index: run_search(
                index, params, filter=tenant_filter(request, uid, params.filter), request_uid=request_uid))
            results.append({"indexUid": uid, **result})
        return json_response({"results": results})

    # Meilisearch checks the key for every query before anything else of a federated request
    filters = []
    for i, entry in enumerate(body.queries):
        uid = entry.index_uid
        _for_query(request, i, uid, lambda index: None)
        filters.append(tenant_filter(request, uid, entry.params.filter))
    engine = request.app["engine"]
    network = "network" in request.app["features"].enabled()
    try:
        response = federated_search(lambda uid: Index(engine, uid), body.federation, body.queries, filters,
                                    network=network, request_uid=request_uid)
    except LoupeError as exc:
        raise _as_multi_search(exc) from None
    return json_response(response)


def register(router: Router) -> None:
    router.add("POST", "/multi-search", multi_search, "search")
