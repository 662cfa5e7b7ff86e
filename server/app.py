"""`create_app(engine, config)`: the aiohttp application.

All requests go through one dispatcher (`http.make_dispatcher`) that resolves Loupe's route table,
authenticates against the route's action, and renders errors as Meilisearch error objects.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from engine.engine import Engine

from .access import Authenticator
from .http import Router, make_dispatcher
from engine.features import Features

from .metrics import MetricsRegistry
from .routes import admin, documents, indexes, keys, metrics, multi_search, search, settings, tasks, webhooks


def build_router() -> Router:
    router = Router()
    for module in (admin, indexes, documents, settings, search, multi_search, tasks, keys, webhooks, metrics):
        module.register(router)
    return router


def create_app(engine: Engine, *, master_key: str | None = None, payload_limit: int = 100_000_000,
               payload_limit_text: str = "100 MB", env: str = "development",
               forced_features: frozenset[str] = frozenset(), cli_webhook: dict | None = None,
               metrics_registry: MetricsRegistry | None = None) -> web.Application:
    app = web.Application(client_max_size=payload_limit + 1024)
    app["engine"] = engine
    app["payload_limit"] = payload_limit
    app["payload_limit_text"] = payload_limit_text
    app["env"] = env
    app["features"] = Features(engine.store, forced_features)
    authenticator = Authenticator(engine, master_key)
    app["auth"] = authenticator
    app["cli_webhook"] = cli_webhook
    app["metrics"] = metrics_registry or MetricsRegistry()
    app.router.add_route("*", "/{tail:.*}", make_dispatcher(build_router(), authenticator, app["metrics"]))
    return app
