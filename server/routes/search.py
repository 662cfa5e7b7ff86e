"""/indexes/{uid}/search (POST and GET) and facet search — parameters parsed by engine.search.params.

A tenant token's rule filter for the index is merged into the request's filter (errors-auth.md §6).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiohttp import web

from engine.index import Index
from engine.search.params import parse_facet_search_body, parse_search_body, parse_search_query_string

from ..auth import merge_filters
from ..http import Router, json_body, json_response, validate_index_uid


def with_tenant_filter(request: web.Request, index_uid: str, query: Any) -> Any:
    """The query with the caller's tenant-token filter for this index ANDed into `filter`."""
    rule = request["grant"].filter_for_index(index_uid)
    return query if rule is None else replace(query, filter=merge_filters(query.filter, rule))


async def search_post(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    query = parse_search_body(await json_body(request))
    return _run(request, index_uid, query)


async def search_get(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    params = {k: request.rel_url.query[k] for k in request.rel_url.query.keys()}
    return _run(request, index_uid, parse_search_query_string(params))


def _run(request: web.Request, index_uid: str, query: Any) -> web.Response:
    index = Index(request.app["engine"], index_uid)
    return json_response(index.run_search(with_tenant_filter(request, index_uid, query), raw_hits=True))


async def facet_search(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    fquery = with_tenant_filter(request, index_uid, parse_facet_search_body(await json_body(request)))
    return json_response(Index(request.app["engine"], index_uid).facet_search(fquery))


def register(router: Router) -> None:
    router.add("POST", "/indexes/{index_uid}/facet-search", facet_search, "search")
    router.add("POST", "/indexes/{index_uid}/search", search_post, "search")
    router.add("GET", "/indexes/{index_uid}/search", search_get, "search")
