"""/dynamic-search-rules: list, get, create or update, delete and clear the rules that pin documents
in search results (api.md §19; the rules themselves live in `engine.search_rules`).

Every route needs the `dynamicSearchRules` experimental feature.  As upstream's extractors do, the
path, the query string and the body are checked before the feature is; writes are tasks
(`dsrUpdate`, `dsrClear`, ``indexUid: null``) answered 202.
"""
from __future__ import annotations

from aiohttp import web

from engine.search_rules.listing import list_rules as page_of_rules
from engine.search_rules.listing import parse_list_body
from engine.search_rules.model import parse_update, rule_key_error
from engine.search_rules.store import get_rule as read_rule
from engine.settings.features import feature_not_enabled
from engine.tasks.task import summary_view

from ..http import Router, json_body, json_response, query, validate_index_uid

_LINK = "https://github.com/orgs/meilisearch/discussions/884"
_ROUTES = "Using the `/dynamic-search-rules` routes"


def _require_feature(request: web.Request, action: str) -> None:
    if "dynamicSearchRules" not in request.app["features"].enabled():
        raise feature_not_enabled(action, "dynamic search rules", _LINK)


def _custom_metadata(request: web.Request) -> str | None:
    return query(request, ("customMetadata",)).get("customMetadata")


async def list_rules(request: web.Request) -> web.Response:
    offset, limit, text, active = parse_list_body(await json_body(request))
    _require_feature(request, "Calling the `POST /dynamic-search-rules` route")
    return json_response(page_of_rules(request.app["engine"].store, offset, limit, text, active))


async def get_rule(request: web.Request, uid: str) -> web.Response:
    validate_index_uid(uid)
    _require_feature(request, "Calling the `GET /dynamic-search-rules/{:ruleUid}` route")
    rule = read_rule(request.app["engine"].store, uid)
    if rule is None:
        raise rule_key_error(uid)
    return json_response(rule)


async def update_rule(request: web.Request, uid: str) -> web.Response:
    validate_index_uid(uid)
    metadata = _custom_metadata(request)
    update = parse_update(await json_body(request))
    _require_feature(request, _ROUTES)
    task = request.app["engine"].update_search_rule(uid, update, metadata)
    return json_response(summary_view(task), status=202)


async def delete_rule(request: web.Request, uid: str) -> web.Response:
    metadata = _custom_metadata(request)
    validate_index_uid(uid)
    _require_feature(request, _ROUTES)
    return json_response(summary_view(request.app["engine"].delete_search_rule(uid, metadata)), status=202)


async def clear_rules(request: web.Request) -> web.Response:
    metadata = _custom_metadata(request)
    _require_feature(request, _ROUTES)
    return json_response(summary_view(request.app["engine"].clear_search_rules(metadata)), status=202)


def register(router: Router) -> None:
    router.add("POST", "/dynamic-search-rules", list_rules, "dynamicSearchRules.get")
    router.add("DELETE", "/dynamic-search-rules", clear_rules, "dynamicSearchRules.delete")
    router.add("GET", "/dynamic-search-rules/{uid}", get_rule, "dynamicSearchRules.get")
    router.add("PATCH", "/dynamic-search-rules/{uid}", update_rule, "dynamicSearchRules.update")
    router.add("DELETE", "/dynamic-search-rules/{uid}", delete_rule, "dynamicSearchRules.delete")
