"""/indexes/{uid}/search (POST and GET) and facet search: Meilisearch's parameters parsed and the
engine's answer rendered by engine/meilisearch.

A tenant token's rule filter for the index is merged into the request's filter (errors-auth.md §6).
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from engine.index import Index
from engine.meilisearch.facet_search import parse_facet_search_body
from engine.meilisearch.search import run_facet_search, run_search
from engine.meilisearch.search_params import parse_search_body, parse_search_query_string
from engine.meilisearch.similar import parse_similar_body, parse_similar_query_string, run_similar

from ..auth import merge_filters
from ..http import Router, json_body, json_response, validate_index_uid


def tenant_filter(request: web.Request, index_uid: str, filter: Any) -> Any:
    """``filter`` with the caller's tenant-token filter for this index ANDed in."""
    return merge_filters(filter, request["grant"].filter_for_index(index_uid))


async def search_post(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    params = parse_search_body(await json_body(request))
    return _run(request, index_uid, params)


async def search_get(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    query_string = {k: request.rel_url.query[k] for k in request.rel_url.query.keys()}
    return _run(request, index_uid, parse_search_query_string(query_string))


def _run(request: web.Request, index_uid: str, params: Any) -> web.Response:
    index = Index(request.app["engine"], index_uid)
    return json_response(run_search(index, params, filter=tenant_filter(request, index_uid, params.filter),
                                    as_fragments=True))


async def facet_search(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    params = parse_facet_search_body(await json_body(request))
    index = Index(request.app["engine"], index_uid)
    return json_response(run_facet_search(index, params, filter=tenant_filter(request, index_uid, params.filter)))


async def similar_post(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    return _similar(request, index_uid, parse_similar_body(await json_body(request)))


async def similar_get(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    query_string = {k: request.rel_url.query[k] for k in request.rel_url.query.keys()}
    return _similar(request, index_uid, parse_similar_query_string(query_string))


def _similar(request: web.Request, index_uid: str, params: Any) -> web.Response:
    index = Index(request.app["engine"], index_uid)
    return json_response(run_similar(index, params, tenant_filter=request["grant"].filter_for_index(index_uid)))


def register(router: Router) -> None:
    router.add("POST", "/indexes/{index_uid}/similar", similar_post, "search")
    router.add("GET", "/indexes/{index_uid}/similar", similar_get, "search")
    router.add("POST", "/indexes/{index_uid}/facet-search", facet_search, "search")
    router.add("POST", "/indexes/{index_uid}/search", search_post, "search")
    router.add("GET", "/indexes/{index_uid}/search", search_get, "search")
