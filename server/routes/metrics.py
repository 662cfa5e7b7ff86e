"""GET /metrics: Prometheus text, behind the `metrics` experimental feature (api.md §18).

Order of checks, as upstream: the key must hold `metrics.get` (the dispatcher), the feature must be
on (400 `feature_not_enabled`), and the key must cover every index (403 `invalid_api_key`) —
per-index numbers of indexes the key cannot see would leak otherwise.

The traffic registry is ``app["metrics"]`` (a `server.metrics.MetricsRegistry`); without one the
route still answers, with the state gauges only.
"""
from __future__ import annotations

import asyncio

from aiohttp import web

from engine.errors import LoupeError
from engine.settings.features import feature_not_enabled

from ..http import Router
from ..metrics import CONTENT_TYPE, MetricsRegistry, render

FEATURE_LINK = "https://github.com/meilisearch/product/discussions/625"


async def get_metrics(request: web.Request) -> web.Response:
    if not request.app["features"].get()["metrics"]:
        raise feature_not_enabled("Getting metrics", "metrics", FEATURE_LINK)
    if not request["grant"].all_indexes_authorized:
        raise LoupeError("invalid_api_key", "The provided API key is invalid. The API key for the `/metrics` "
                                            "route must allow access to all indexes.")
    registry = request.app.get("metrics") or MetricsRegistry()
    # Walking the task queue and the db directory is blocking I/O: keep it off the event loop.
    text = await asyncio.get_running_loop().run_in_executor(None, render, registry, request.app["engine"])
    return web.Response(body=text.encode(), headers={"Content-Type": CONTENT_TYPE})


def register(router: Router) -> None:
    router.add("GET", "/metrics", get_metrics, "metrics.get")
