"""POST /render-template (`renderRoute` feature): upstream's order of checks — the key holds both
`settings.get` and `documents.get`, the body parses, the feature is on, the key covers the indexes
the body names; then engine/meilisearch/render_template does the work."""
from __future__ import annotations

from aiohttp import web

from engine.meilisearch.render_template import parse_render_body, render_route_disabled, render_template

from ..auth import invalid_api_key
from ..http import Router, json_body, json_response


async def render_post(request: web.Request) -> web.Response:
    query = parse_render_body(await json_body(request))
    enabled = request.app["features"].enabled()
    if "renderRoute" not in enabled:
        raise render_route_disabled()
    grant = request["grant"]
    if not all(grant.can_see_index(uid) for uid in query.index_uids()):
        raise invalid_api_key()
    return json_response(render_template(request.app["engine"], query, enabled))


def register(router: Router) -> None:
    router.add("POST", "/render-template", render_post, ("settings.get", "documents.get"))
