"""/indexes/{uid}/search (POST and GET) — parameters parsed by engine.search.params."""
from __future__ import annotations

from aiohttp import web

from engine.index import run_search
from engine.search.params import parse_facet_search_body, parse_search_body, parse_search_query_string

from ..auth import merge_filters
from ..http import Router, json_body, json_response, validate_index_uid


def _tenant_filter(request: web.Request, index_uid: str):
    grant = request["grant"]
    return grant.filter_for_index(index_uid) if hasattr(grant, "filter_for_index") else None


async def search_post(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    query = parse_search_body(await json_body(request))
    return await _run(request, index_uid, query)


async def search_get(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    params = {k: request.rel_url.query[k] for k in request.rel_url.query.keys()}
    query = parse_search_query_string(params)
    return await _run(request, index_uid, query)


async def _run(request: web.Request, index_uid: str, query) -> web.Response:
    index = request.app["engine"].index(index_uid)
    extra = _tenant_filter(request, index_uid)
    if extra is not None and query.filter is not None:
        from dataclasses import replace
        query = replace(query, filter=merge_filters(query.filter, extra))
        extra = None
    return json_response(run_search(index, query, extra_filter=extra))


async def facet_search(request: web.Request, index_uid: str) -> web.Response:
    from engine.search.search import facet_search as run_facet_search
    validate_index_uid(index_uid)
    fquery = parse_facet_search_body(await json_body(request))
    engine = request.app["engine"]
    index = engine.index(index_uid)
    extra = _tenant_filter(request, index_uid)
    with engine.store.index_env.begin() as txn:
        record = index.record(txn)
    return json_response(run_facet_search(engine.store, engine.registry, record, fquery,
                                          contains_enabled=engine.contains_enabled(), extra_filter=extra))


def register(router: Router) -> None:
    router.add("POST", "/indexes/{index_uid}/facet-search", facet_search, "search")
    router.add("POST", "/indexes/{index_uid}/search", search_post, "search")
    router.add("GET", "/indexes/{index_uid}/search", search_get, "search")
