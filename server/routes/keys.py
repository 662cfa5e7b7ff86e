"""/keys: create, list, get, update, delete API keys (api.md §14, errors-auth.md §5)."""
from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from engine.settings.validate import parse_uint_param

from ..http import Router, json_body, json_response, query
from ..keys import apply_key_update, check_uid_free, find_key, key_view, validate_key_create, validate_key_update
from ..responses import paginated


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def create_key(request: web.Request) -> web.Response:
    auth = request.app["auth"]
    record = validate_key_create(await json_body(request), _now())
    check_uid_free(auth.keys, record["uid"])
    auth.keys.put(record)
    return json_response(key_view(record, auth.master_key), status=201)


async def list_keys(request: web.Request) -> web.Response:
    q = query(request, ("offset", "limit"))
    offset = parse_uint_param("offset", q["offset"], "invalid_api_key_offset") if "offset" in q else 0
    limit = parse_uint_param("limit", q["limit"], "invalid_api_key_limit") if "limit" in q else 20
    auth = request.app["auth"]
    records = auth.keys.all()
    page = [key_view(r, auth.master_key) for r in records[offset:offset + limit]]
    return json_response(paginated(page, offset, limit, len(records)))


async def get_key(request: web.Request, key: str) -> web.Response:
    auth = request.app["auth"]
    return json_response(key_view(find_key(auth.keys, key, auth.master_key), auth.master_key))


async def update_key(request: web.Request, key: str) -> web.Response:
    auth = request.app["auth"]
    record = find_key(auth.keys, key, auth.master_key)
    patch = validate_key_update(await json_body(request))
    updated = apply_key_update(record, patch, _now())
    auth.keys.put(updated)
    return json_response(key_view(updated, auth.master_key))


async def delete_key(request: web.Request, key: str) -> web.Response:
    auth = request.app["auth"]
    record = find_key(auth.keys, key, auth.master_key)
    auth.keys.delete(record["uid"])
    return web.Response(status=204)


def register(router: Router) -> None:
    router.add("POST", "/keys", create_key, "keys.create")
    router.add("GET", "/keys", list_keys, "keys.get")
    router.add("GET", "/keys/{key}", get_key, "keys.get")
    router.add("PATCH", "/keys/{key}", update_key, "keys.update")
    router.add("DELETE", "/keys/{key}", delete_key, "keys.delete")
