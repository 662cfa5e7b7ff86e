"""Instance-wide routes: health, version, stats, swap-indexes, dumps, snapshots, experimental features."""
from __future__ import annotations

from aiohttp import web

from engine.errors import LoupeError
from engine.tasks.task import summary_view
from engine.tasks.timefmt import format_date
from engine.settings.validate import type_error, unknown_field

from ..http import Router, json_body, json_response, validate_index_uid
from engine.store.sizes import human_size
from . import preview
from .indexes import index_stats_view, stats_params

VERSION = {"commitSha": "unknown", "commitDate": "unknown", "pkgVersion": "1.50.0"}


async def root(request: web.Request) -> web.Response:
    if preview.preview_enabled(request) and preview.wants_html(request):
        return preview.page_response()
    return json_response({"status": "Meilisearch is running"})


async def health(request: web.Request) -> web.Response:
    """200 `available` while the server can index; 503 `unavailable` (with Retry-After) while its
    task worker is dead or restarting.  Upstream's only other answer, 500 `mustRestart`, means an
    operator must act; here the supervisor restarts the worker by itself within a second or so,
    so the answer is the temporary one, and clients' `is_healthy()` reads it as not healthy."""
    if not request.app["engine"].worker_alive():
        return json_response({"status": "unavailable"}, status=503, headers={"Retry-After": "1"})
    return json_response({"status": "available"})


async def version(request: web.Request) -> web.Response:
    return json_response(VERSION)


async def global_stats(request: web.Request) -> web.Response:
    internal, human = stats_params(request)
    engine = request.app["engine"]
    grant = request["grant"]
    indexes = {}
    last_update = None
    for record in engine.list_indexes():
        if not grant.can_see_index(record["uid"]):
            continue
        stats = engine.index(record["uid"]).stats()
        indexes[record["uid"]] = index_stats_view(stats, internal, human)
        last_update = max(last_update or 0, record["updatedAt"])
    size, used = engine.store.size_on_disk(), engine.store.used_size()
    return json_response({
        "databaseSize": human_size(size) if human else size,
        "usedDatabaseSize": human_size(used) if human else used,
        "lastUpdate": format_date(last_update) if last_update is not None else None,
        "indexes": dict(sorted(indexes.items())),
    })


async def swap_indexes(request: web.Request) -> web.Response:
    body = await json_body(request)
    if not isinstance(body, list):
        raise type_error("", "an array", body, "bad_request")
    swaps, seen = [], set()
    grant = request["grant"]
    for n, item in enumerate(body):
        if not isinstance(item, dict):
            raise type_error(f"[{n}]", "an object", item, "bad_request")
        for key in item:
            if key not in ("indexes", "rename"):
                raise unknown_field(key, ["indexes", "rename"], "bad_request", inside=f"[{n}]")
        if "indexes" not in item:
            raise LoupeError("missing_swap_indexes", f"Missing field `[{n}].indexes`")
        uids = item["indexes"]
        if not isinstance(uids, list):
            raise type_error(f"[{n}].indexes", "an array", uids, "invalid_swap_indexes")
        for m, uid in enumerate(uids):
            if not isinstance(uid, str):
                raise type_error(f"[{n}].indexes[{m}]", "a string", uid, "invalid_swap_indexes")
            validate_index_uid(uid, f"[{n}].indexes[{m}]")
        rename = item.get("rename", False)
        if not isinstance(rename, bool):
            raise type_error(f"[{n}].rename", "a boolean", rename, "invalid_swap_rename")
        if len(uids) != 2:
            listed = "[" + ", ".join(f'"{u}"' for u in uids) + "]"
            raise LoupeError("invalid_swap_indexes",
                             f"Two indexes must be given for each swap. The list `{listed}` contains {len(uids)} indexes.")
        for uid in uids:
            if uid in seen:
                raise LoupeError("invalid_swap_duplicate_index_found",
                                 f"Indexes must be declared only once during a swap. `{uid}` was specified several times.")
            seen.add(uid)
            if not grant.can_see_index(uid):
                raise LoupeError("invalid_api_key", "The provided API key is invalid.")
        swaps.append({"indexes": uids, "rename": rename})
    task = request.app["engine"].swap_indexes(swaps)
    return json_response(summary_view(task), status=202)


async def create_dump(request: web.Request) -> web.Response:
    return json_response(summary_view(request.app["engine"].create_dump()), status=202)


async def create_snapshot(request: web.Request) -> web.Response:
    return json_response(summary_view(request.app["engine"].create_snapshot()), status=202)


async def compact_index(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    return json_response(summary_view(request.app["engine"].compact_index(index_uid)), status=202)


async def get_features(request: web.Request) -> web.Response:
    return json_response(request.app["features"].get())


async def patch_features(request: web.Request) -> web.Response:
    return json_response(request.app["features"].patch(await json_body(request)))


def _network_enabled(request: web.Request) -> None:
    if "network" not in request.app["features"].enabled():
        from engine.settings.features import feature_not_enabled
        raise feature_not_enabled("Using the /network route", "network",
                                  "https://github.com/orgs/meilisearch/discussions/805")


async def get_network(request: web.Request) -> web.Response:
    """GET /network: this instance's name and its remotes (api.md §19)."""
    from engine.network import read_network
    _network_enabled(request)
    return json_response(read_network(request.app["engine"].store))


async def patch_network(request: web.Request) -> web.Response:
    """PATCH /network: merge a change into the network object and answer the result."""
    from engine.network import patch_network as merge
    _network_enabled(request)
    return json_response(merge(request.app["engine"].store, await json_body(request)))


def register(router: Router) -> None:
    router.add("GET", "/network", get_network, "network.get")
    router.add("PATCH", "/network", patch_network, "network.update")
    router.add("GET", "/experimental-features", get_features, "experimental.get")
    router.add("PATCH", "/experimental-features", patch_features, "experimental.update")
    router.add("GET", "/", root, None)
    router.add("GET", "/health", health, None)
    router.add("GET", "/version", version, "version")
    router.add("GET", "/stats", global_stats, "stats.get")
    router.add("POST", "/swap-indexes", swap_indexes, "indexes.swap")
    router.add("POST", "/dumps", create_dump, "dumps.create")
    router.add("POST", "/snapshots", create_snapshot, "snapshots.create")
    router.add("POST", "/indexes/{index_uid}/compact", compact_index, "indexes.compact")
