"""/webhooks: list, get, create, update, delete the URLs told about finished tasks (api.md §17).

The records and their checks live in `engine.tasks.webhooks`; this module parses the path uuid (as
Rust's `Uuid::from_str`: simple, hyphenated, braced and urn forms, any case) and picks statuses.
Upstream extracts the JSON body before the handler runs, so PATCH reports a body error before a
malformed uuid; the order here is the same.

The CLI webhook is read from ``app["cli_webhook"]`` (an `engine.tasks.webhooks.cli_webhook` record or
None).
"""
from __future__ import annotations

from aiohttp import web

from engine.errors import LoupeError
from engine.tasks.webhooks import WebhookStore, parse_body, webhook_view

from ..http import Router, json_body, json_response
from ..keys import parse_uuid


def _store(request: web.Request) -> WebhookStore:
    return WebhookStore(request.app["engine"].store, cli=request.app.get("cli_webhook"))


def _uuid(raw: str) -> str:
    try:
        return parse_uuid(raw)
    except ValueError as exc:
        raise LoupeError("invalid_webhook_uuid", f"Invalid UUID: {exc}") from None


async def list_webhooks(request: web.Request) -> web.Response:
    hooks = _store(request).all()
    return json_response({"results": [webhook_view(uid, hook) for uid, hook in hooks.items()]})


async def get_webhook(request: web.Request, uuid: str) -> web.Response:
    uid = _uuid(uuid)
    return json_response(webhook_view(uid, _store(request).get(uid)))


async def create_webhook(request: web.Request) -> web.Response:
    patch = parse_body(await json_body(request))
    uid, hook = _store(request).create(patch)
    return json_response(webhook_view(uid, hook), status=201)


async def update_webhook(request: web.Request, uuid: str) -> web.Response:
    patch = parse_body(await json_body(request))
    uid = _uuid(uuid)
    return json_response(webhook_view(uid, _store(request).update(uid, patch)))


async def delete_webhook(request: web.Request, uuid: str) -> web.Response:
    _store(request).delete(_uuid(uuid))
    return web.Response(status=204)


def register(router: Router) -> None:
    router.add("GET", "/webhooks", list_webhooks, "webhooks.get")
    router.add("POST", "/webhooks", create_webhook, "webhooks.create")
    router.add("GET", "/webhooks/{uuid}", get_webhook, "webhooks.get")
    router.add("PATCH", "/webhooks/{uuid}", update_webhook, "webhooks.update")
    router.add("DELETE", "/webhooks/{uuid}", delete_webhook, "webhooks.delete")
