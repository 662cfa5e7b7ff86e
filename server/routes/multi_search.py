"""POST /multi-search: several searches in one request, optionally federated (api.md §6).

Non-federated: one search response per query, in order, each with its `indexUid` first.
Federated: server/meilisearch/federation.py merges the queries' typed results.  Every error tied
to one query carries the ``Inside `.queries[i]`: `` prefix; a query on an index the key cannot see
is refused like an invalid key.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, TypeVar

from aiohttp import web

from engine.errors import LoupeError
from engine.index import Index
from engine.search.query import Query, SearchResult
from server.meilisearch.federation import federated_search
from server.meilisearch.multi_search import MultiSearchQuery, parse_multi_search_body
from server.meilisearch.search import run_search

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
        raise exc.with_prefix(f"Inside `.queries[{i}]`: ") from None


async def multi_search(request: web.Request) -> web.Response:
    body = parse_multi_search_body(await json_body(request))
    if body.federation is None:
        results: list[dict[str, Any]] = []
        for i, entry in enumerate(body.queries):
            uid, params = entry.index_uid, entry.params
            result = _for_query(request, i, uid, lambda index: run_search(
                index, params, filter=tenant_filter(request, uid, params.filter)))
            results.append({"indexUid": uid, **result})
        return json_response({"results": results})

    def execute(i: int, entry: MultiSearchQuery, query: Query) -> SearchResult:
        uid = entry.index_uid
        query = replace(query, filter=tenant_filter(request, uid, query.filter))
        return _for_query(request, i, uid, lambda index: index.execute(query))

    return json_response(federated_search(body.federation, body.queries, execute))


def register(router: Router) -> None:
    router.add("POST", "/multi-search", multi_search, "search")
