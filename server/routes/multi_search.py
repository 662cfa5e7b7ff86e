"""POST /multi-search: several searches in one request, optionally federated (api.md §6).

Non-federated: one search response per query, in order, each with its `indexUid`.
Federated: the queries' hits merged into one list by weighted ranking score (score x weight;
ties keep query order), each hit tagged with `_federation`.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from aiohttp import web

from engine.errors import LoupeError
from engine.index import Index
from engine.search.params import parse_multi_search_body

from ..http import Router, json_body, json_response
from .search import with_tenant_filter


def _prefixed(exc: LoupeError, i: int) -> LoupeError:
    return exc.with_prefix(f"Inside `.queries[{i}]`: ")


def _run_one(request: web.Request, i: int, uid: str, query: Any) -> dict[str, Any]:
    grant = request["grant"]
    try:
        if not grant.can_see_index(uid):
            raise LoupeError("invalid_api_key", "The provided API key is invalid.")
        return Index(request.app["engine"], uid).run_search(with_tenant_filter(request, uid, query))
    except LoupeError as exc:
        raise _prefixed(exc, i) from None


async def multi_search(request: web.Request) -> web.Response:
    started = time.perf_counter()
    body = parse_multi_search_body(await json_body(request))
    if not body.is_federated:
        results = []
        for i, mq in enumerate(body.queries):
            result = _run_one(request, i, mq.index_uid, mq.query)
            results.append({"indexUid": mq.index_uid, **result})
        return json_response({"results": results})
    fed = body.federation
    if fed.is_finite_pagination():
        per_page = fed.hits_per_page if fed.hits_per_page is not None else 20
        page = fed.page if fed.page is not None else 1
        offset, limit = (page - 1) * per_page if page else 0, per_page if page else 0
    else:
        offset, limit = fed.offset, fed.limit
    merged: list[tuple[float, int, int, dict[str, Any]]] = []
    total = 0
    for i, mq in enumerate(body.queries):
        wanted_score = mq.query.show_ranking_score
        query = replace(mq.query, offset=0, limit=offset + limit, page=None, hits_per_page=None,
                        show_ranking_score=True)
        result = _run_one(request, i, mq.index_uid, query)
        total += result.get("estimatedTotalHits", 0)
        weight = mq.federation_options.weight if mq.federation_options else 1.0
        for position, hit in enumerate(result["hits"]):
            score = hit["_rankingScore"] if wanted_score else hit.pop("_rankingScore")
            hit["_federation"] = {"indexUid": mq.index_uid, "queriesPosition": i,
                                  "weightedRankingScore": score * weight}
            merged.append((-score * weight, i, position, hit))
    merged.sort(key=lambda item: item[:3])
    hits = [item[3] for item in merged[offset:offset + limit]]
    response: dict[str, Any] = {"hits": hits, "processingTimeMs": int((time.perf_counter() - started) * 1000)}
    if fed.is_finite_pagination():
        per_page = fed.hits_per_page if fed.hits_per_page is not None else 20
        response.update(hitsPerPage=per_page, page=fed.page if fed.page is not None else 1,
                        totalPages=-(-total // per_page) if per_page else 0, totalHits=total)
    else:
        response.update(limit=limit, offset=offset, estimatedTotalHits=total)
    return json_response(response)


def register(router: Router) -> None:
    router.add("POST", "/multi-search", multi_search, "search")
