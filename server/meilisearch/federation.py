"""Federated search (api.md §6): the queries' typed results merged into one ranked list.

Each query runs with scores, from the first hit to the end of the federation's page; its hits are
ordered by weighted ranking score (global score × the query's weight), ties kept in query order,
then in each query's own order.  Only the page's hits are rendered, each with `_federation`.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Callable

from engine.search.query import Hit, Query, SearchResult

from .multi_search import Federation, MultiSearchQuery
from .render import HitRenderer
from .search_params import DEFAULT_LIMIT

Execute = Callable[[int, MultiSearchQuery, Query], SearchResult]
"""(query position, the query, its engine query) -> result; the caller checks access and merges
tenant filters."""


def federation_window(federation: Federation) -> tuple[int, int]:
    """(offset, limit) of the federated page: ``page``/``hitsPerPage`` win, page 0 has no hit."""
    if not federation.is_finite_pagination():
        return federation.offset, federation.limit
    per_page = federation.hits_per_page if federation.hits_per_page is not None else DEFAULT_LIMIT
    page = federation.page if federation.page is not None else 1
    return ((page - 1) * per_page, per_page) if page else (0, 0)


def federated_search(federation: Federation, queries: tuple[MultiSearchQuery, ...], execute: Execute) -> dict[str, Any]:
    started = time.perf_counter()
    offset, limit = federation_window(federation)
    ranked: list[tuple[float, int, int, Hit, HitRenderer, str]] = []
    total = 0
    for i, entry in enumerate(queries):
        query = replace(entry.params.to_query(), offset=0, limit=offset + limit, exhaustive=False, scores=True)
        result = execute(i, entry, query)
        total += result.total
        weight = entry.federation_options.weight if entry.federation_options else 1.0
        renderer = HitRenderer(entry.params, result.displayed)
        for position, hit in enumerate(result.hits):
            ranked.append((-hit.score * weight, i, position, hit, renderer, entry.index_uid))
    ranked.sort(key=lambda item: item[:3])
    hits = []
    for negative_score, i, _position, hit, renderer, uid in ranked[offset:offset + limit]:
        rendered = renderer.render(hit)
        rendered["_federation"] = {"indexUid": uid, "queriesPosition": i, "weightedRankingScore": -negative_score}
        hits.append(rendered)
    response: dict[str, Any] = {"hits": hits, "processingTimeMs": int((time.perf_counter() - started) * 1000)}
    if federation.is_finite_pagination():
        per_page = federation.hits_per_page if federation.hits_per_page is not None else DEFAULT_LIMIT
        response.update(hitsPerPage=per_page, page=federation.page if federation.page is not None else 1,
                        totalPages=-(-total // per_page) if per_page else 0, totalHits=total)
    else:
        response.update(limit=limit, offset=offset, estimatedTotalHits=total)
    return response
