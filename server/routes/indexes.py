"""/indexes: list, create, get, update, delete, stats (api.md §2, §1)."""
from __future__ import annotations

from aiohttp import web

from engine.errors import LoupeError
from engine.tasks.task import summary_view
from engine.settings.validate import (expect_object, immutable_field, missing_field, parse_uint_param,
                             type_error, unknown_field)

from ..http import Router, json_body, json_response, query, validate_index_uid
from ..responses import index_view, paginated
from engine.store.sizes import human_size


def _grant(request: web.Request):
    return request["grant"]


async def list_indexes(request: web.Request) -> web.Response:
    q = query(request, ("offset", "limit"))
    offset = parse_uint_param("offset", q["offset"], "invalid_index_offset") if "offset" in q else 0
    limit = parse_uint_param("limit", q["limit"], "invalid_index_limit") if "limit" in q else 20
    grant = _grant(request)
    records = [r for r in request.app["engine"].list_indexes() if grant.can_see_index(r["uid"])]
    page = [index_view(r) for r in records[offset:offset + limit]]
    return json_response(paginated(page, offset, limit, len(records)))


async def create_index(request: web.Request) -> web.Response:
    body = expect_object(await json_body(request))
    for key in body:
        if key not in ("uid", "primaryKey"):
            raise unknown_field(key, ["uid", "primaryKey"])
    if "uid" not in body:
        raise missing_field("uid", "missing_index_uid")
    uid = body["uid"]
    if not isinstance(uid, str):
        raise type_error(".uid", "a string", uid, "invalid_index_uid")
    validate_index_uid(uid, ".uid")
    primary_key = body.get("primaryKey")
    if primary_key is not None and not isinstance(primary_key, str):
        raise type_error(".primaryKey", "a string", primary_key, "invalid_index_primary_key")
    grant = _grant(request)
    if not grant.can_create_index(uid):
        raise LoupeError("invalid_api_key", "The provided API key is invalid.")
    task = request.app["engine"].create_index(uid, primary_key)
    return json_response(summary_view(task), status=202)


async def get_index(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    return json_response(index_view(request.app["engine"].get_index(index_uid)))


async def update_index(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    body = expect_object(await json_body(request))
    for key in body:
        if key == "createdAt":
            raise immutable_field("createdAt", ["primaryKey", "uid"], "immutable_index_created_at")
        if key == "updatedAt":
            raise immutable_field("updatedAt", ["primaryKey", "uid"], "immutable_index_updated_at")
        if key not in ("primaryKey", "uid"):
            raise unknown_field(key, ["primaryKey", "uid"])
    primary_key = body.get("primaryKey")
    if primary_key is not None and not isinstance(primary_key, str):
        raise type_error(".primaryKey", "a string", primary_key, "invalid_index_primary_key")
    new_uid = body.get("uid")
    if new_uid is not None:
        if not isinstance(new_uid, str):
            raise type_error(".uid", "a string", new_uid, "invalid_index_uid")
        validate_index_uid(new_uid, ".uid")
    task = request.app["engine"].update_index(index_uid, primary_key, new_uid)
    return json_response(summary_view(task), status=202)


async def delete_index(request: web.Request, index_uid: str) -> web.Response:
    validate_index_uid(index_uid)
    task = request.app["engine"].delete_index(index_uid)
    return json_response(summary_view(task), status=202)


def stats_params(request: web.Request) -> tuple[bool, bool]:
    from engine.settings.validate import parse_bool_param
    q = query(request, ("showInternalDatabaseSizes", "sizeFormat"))
    internal = parse_bool_param("showInternalDatabaseSizes", q["showInternalDatabaseSizes"],
                                "invalid_stats_show_internal_database_sizes") if "showInternalDatabaseSizes" in q else False
    fmt = q.get("sizeFormat", "raw")
    if fmt not in ("raw", "human"):
        from engine.settings.validate import param_error
        raise param_error("sizeFormat", f"Unknown value `{fmt}`: expected one of `raw`, `human`",
                          "invalid_stats_size_format")
    return internal, fmt == "human"


def index_stats_view(stats: dict, internal: bool, human: bool) -> dict:
    out = dict(stats)
    if internal:
        out["internalDatabaseSizes"] = {"documents": stats["rawDocumentDbSize"]}
    if human:
        out["rawDocumentDbSize"] = human_size(out["rawDocumentDbSize"])
        out["avgDocumentSize"] = human_size(out["avgDocumentSize"])
        if internal:
            out["internalDatabaseSizes"] = {k: human_size(v) for k, v in out["internalDatabaseSizes"].items()}
    ordered = {k: out[k] for k in ("numberOfDocuments", "rawDocumentDbSize", "avgDocumentSize", "isIndexing",
                                    "numberOfEmbeddings", "numberOfEmbeddedDocuments", "fieldDistribution")}
    if internal:
        ordered["internalDatabaseSizes"] = out["internalDatabaseSizes"]
    return ordered


async def index_fields(request: web.Request, index_uid: str) -> web.Response:
    """POST /indexes/{uid}/fields (api.md §9)."""
    from engine.meilisearch.index_fields import list_fields, parse_fields_body
    validate_index_uid(index_uid)
    params = parse_fields_body(await json_body(request))
    index = request.app["engine"].index(index_uid)
    with index.snapshot() as pinned:
        return json_response(list_fields(pinned.field_names(), pinned.settings(), params))


async def index_stats(request: web.Request, index_uid: str) -> web.Response:
    internal, human = stats_params(request)
    validate_index_uid(index_uid)
    stats = request.app["engine"].index(index_uid).stats()
    return json_response(index_stats_view(stats, internal, human))


def register(router: Router) -> None:
    router.add("GET", "/indexes", list_indexes, "indexes.get")
    router.add("POST", "/indexes", create_index, "indexes.create")
    router.add("GET", "/indexes/{index_uid}", get_index, "indexes.get")
    router.add("PATCH", "/indexes/{index_uid}", update_index, "indexes.update")
    router.add("DELETE", "/indexes/{index_uid}", delete_index, "indexes.delete")
    router.add("GET", "/indexes/{index_uid}/stats", index_stats, "stats.get")
    router.add("POST", "/indexes/{index_uid}/fields", index_fields, "fields.post")
