"""POST /multi-search: several searches in one request, optionally federated (api.md §6).

Non-federated: one search response per query, in order, each with its `indexUid` first.  The
answer's size is bounded: each query's result is rendered as soon as it is computed, and a request
whose answer would pass `MAX_ANSWER_BYTES` (``LOUPE_MULTI_SEARCH_MAX_BYTES``) stops there and is
refused (400 `bad_request`) rather than built — a 10,000-query request used to build a 203 MB answer
(RSS 154 → 793 MB) while holding its process; refusing (not streaming) keeps the answer one valid
JSON document, which is what every client parses, and the client can split its queries.  A
federated answer is bounded by its `limit` already.
Federated: engine/meilisearch/federation.py merges the queries' typed results.  Every error tied
to one query carries the ``Inside `.queries[i]`: `` prefix; a query on an index the key cannot see
is refused like an invalid key.
"""
from __future__ import annotations

import os
from typing import Callable, TypeVar

import orjson
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

MAX_ANSWER_BYTES = int(os.environ.get("LOUPE_MULTI_SEARCH_MAX_BYTES", 64 * 2**20))


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
        parts: list[bytes] = []
        size = 0
        for i, entry in enumerate(body.queries):
            uid, params = entry.index_uid, entry.params
            result = _for_query(request, i, uid, lambda index: run_search(
                index, params, filter=tenant_filter(request, uid, params.filter), request_uid=request_uid))
            parts.append(orjson.dumps({"indexUid": uid, **result}))
            size += len(parts[-1])
            if size > MAX_ANSWER_BYTES:
                raise answer_too_large(i)
        return web.Response(body=b'{"results":[' + b",".join(parts) + b"]}", content_type="application/json")

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


def answer_too_large(position: int) -> LoupeError:
    return LoupeError("bad_request",
                      f"The answer to this multi-search would be larger than {MAX_ANSWER_BYTES} bytes (reached at "
                      f"`.queries[{position}]`). Send its queries in several requests, or lower their `limit`.")


def register(router: Router) -> None:
    router.add("POST", "/multi-search", multi_search, "search")
