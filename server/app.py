"""`create_app(engine, config)`: the aiohttp application.

All requests go through one dispatcher (`http.make_dispatcher`) that resolves Loupe's route table,
authenticates against the route's action, and renders errors as Meilisearch error objects.
"""
from __future__ import annotations


from aiohttp import web

from engine.engine import Engine

from .access import Authenticator
from .http import Router, make_dispatcher

from .metrics import MetricsRegistry
from .qdrant import routes as qdrant_routes
from .similars import routes as similars_routes
from .tpuf import routes as tpuf_routes
from .routes import (admin, documents, indexes, keys, metrics, multi_search, preview, render, search, search_rules,
                     settings, tasks, webhooks)


def build_router() -> Router:
    router = Router()
    for module in (admin, indexes, documents, settings, search, multi_search, render, tasks, keys, webhooks, metrics,
                   search_rules, preview):
        module.register(router)
    return router


def create_app(engine: Engine, *, master_key: str | None = None, payload_limit: int = 100_000_000,
               payload_limit_text: str = "100 MB", env: str = "development",
               forced_features: frozenset[str] = frozenset(), cli_webhook: dict | None = None,
               metrics_registry: MetricsRegistry | None = None, search_preview: bool = True) -> web.Application:
    app = web.Application(client_max_size=payload_limit + 1024)
    app["engine"] = engine
    app["payload_limit"] = payload_limit
    app["payload_limit_text"] = payload_limit_text
    app["env"] = env
    app["search_preview"] = search_preview and env == "development"  # routes/preview.py
    engine.forced_features = frozenset(forced_features)  # searches read them through the engine too
    app["features"] = engine.features()
    authenticator = Authenticator(engine, master_key)
    app["auth"] = authenticator
    app["cli_webhook"] = cli_webhook
    app["metrics"] = metrics_registry or MetricsRegistry()
    app.router.add_route("*", "/v1/{tail:.*}", similars_routes.dispatcher(authenticator, app["metrics"]))
    qdrant = qdrant_routes.dispatcher(authenticator, app["metrics"])
    app.router.add_route("*", "/qdrant", qdrant)
    app.router.add_route("*", "/qdrant/{tail:.*}", qdrant)
    app.router.add_route("*", "/tpuf/{tail:.*}", tpuf_routes.dispatcher(authenticator, app["metrics"]))
    # [\s\S]: every path reaches the dispatcher, even one with a decoded CR or LF (`%0D%0A`)
    app.router.add_route("*", "/{tail:[\\s\\S]*}", make_dispatcher(build_router(), authenticator, app["metrics"]))
    app.on_startup.append(_start_warmer)
    app.on_cleanup.append(_stop_warmer)
    return app


async def _start_warmer(app: web.Application) -> None:
    app["warmer"] = CacheWarmer(app["engine"])
    app["warmer"].start()


async def _stop_warmer(app: web.Application) -> None:
    app["warmer"].stop()


class CacheWarmer:
    """Background thread: when an index's version changes, rebuild its read caches before searches do.

    A version is warmed once the index has no task enqueued or processing: while a bulk load
    streams in, each version is replaced within seconds, and warming it (the embedders' matrices
    and their projections, facet values, sort arrays, in every serving process) would only take
    the cores the worker indexes with.  A search meanwhile builds what it needs, as without warming.
    """

    def __init__(self, engine: Engine, interval: float = 0.5):
        import threading
        self.engine, self.interval = engine, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loupe-cache-warmer", daemon=True)
        self._versions: dict[str, int] = {}

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        import logging
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:  # warming is an optimisation: never let it take the server down
                if self._stop.is_set():
                    return  # shutting down: the store was closed under the warm in progress
                logging.getLogger("loupe.warmer").exception("cache warming failed")

    def tick(self) -> list[str]:
        """Warm every index whose version changed and that has no task pending; their uids."""
        from engine.search.context import warm_index
        with self.engine.store.index_env.begin() as txn:
            current = {r["uid"]: self.engine.registry.get_meta(txn, r["iid"], "version", 0)
                       for r in self.engine.registry.all(txn)}
        warmed = []
        for uid, version in current.items():
            if self._versions.get(uid) != version and not self.engine.queue.has_pending(uid):
                warm_index(self.engine.store, self.engine.registry, uid)
                self._versions[uid] = version
                warmed.append(uid)
        return warmed
