"""The similars routes (seed `similars-api.md`; writes added by issue 18 §3).

    GET    /v1/similars/{user}/{project}/{id}   search          neighbours of a stored embedding
    POST   /v1/similars/{user}/{project}        search          neighbours of {"vector": [...]}
    GET    /v1/embeddings/{user}/{project}      documents.get   the embeddings, by id, paginated
    POST   /v1/embeddings/{user}/{project}      documents.add   {"embeddings": [...]} -> {"upserted": N}
    DELETE /v1/embeddings/{user}/{project}      indexes.delete  the project -> {"deleted": N}
    DELETE /v1/embeddings/{user}/{project}/{id} documents.delete one embedding -> {"deleted": 1}
    GET    /v1/projects/{user}                  indexes.get     the user's visible projects, paginated

The action is the Loupe key action checked against the project's index uid (`projects`).  Writes
answer once the task applied them (searchable); creating a project also needs `indexes.create`.
"""
from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from engine.errors import LoupeError
from engine.index import Index
from engine.search.hybrid import f32_vector
from engine.settings import task_details, validate_settings_patch

from ..access import Authenticator
from ..http import Handler, Router, json_body, json_response, make_dispatcher
from ..waiting import task_finished
from . import errors
from .errors import bad_request, not_found
from .params import Page, parse_page, parse_similar
from .projects import EMBEDDER, dimensions_of, handles_of, project_settings, project_uid, user_prefix
from .ranking import similars

_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def _query(request: web.Request) -> dict[str, str]:
    q = request.rel_url.query
    return {k: q[k] for k in q.keys()}


def _project(request: web.Request, user: str, project: str) -> tuple[Index, dict[str, Any]]:
    """The project's index handle and settings (404 when the project does not exist)."""
    uid = project_uid(user, project)
    index = Index(request.app["engine"], uid)
    try:
        return index, index.settings()
    except LoupeError as exc:
        if exc.code == "index_not_found":
            raise not_found(f"Project `{user}/{project}` not found.") from None
        raise


def _vector(value: Any, where: str, dimensions: int | None) -> list[float]:
    if not isinstance(value, list) or not value:
        raise bad_request(f"{where} must be a non-empty array of numbers")
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in value):
        raise bad_request(f"{where} must contain only finite numbers")
    if dimensions is not None and len(value) != dimensions:
        raise bad_request(f"{where} has {len(value)} dimensions, the project's embeddings have {dimensions}")
    if not any(value):
        raise bad_request(f"{where} must not be all zeros (its cosine similarity is undefined)")
    return [float(x) for x in value]


def _results(user: str, project: str, found: list) -> dict[str, Any]:
    return {"user_handle": user, "project_handle": project,
            "results": [{"id": f.id, "similarity": f.similarity} for f in found]}


def _paginated(items: list[Any], page: Page, total: int) -> dict[str, Any]:
    return {"items": items, "total_count": total, "limit": page.limit, "offset": page.offset,
            "has_more": page.offset + len(items) < total}


# -- similarity -------------------------------------------------------------------------------------

async def similars_of_id(request: web.Request, user: str, project: str, id: str) -> web.Response:
    params = parse_similar(_query(request))
    index, _settings = _project(request, user, project)
    try:
        document = index.get_document(id, retrieve_vectors=True)
    except LoupeError as exc:
        if exc.code == "document_not_found":
            raise not_found(f"Embedding `{id}` not found in project `{user}/{project}`.") from None
        raise
    tenant = request["grant"].filter_for_index(index.uid)
    if tenant is not None and not index.get_documents(0, 1, ids=[id], filter=tenant)[1]:
        raise not_found(f"Embedding `{id}` not found in project `{user}/{project}`.")  # hidden from the token
    embeddings = document["_vectors"][EMBEDDER]["embeddings"]
    if not embeddings:
        raise not_found(f"Embedding `{id}` has no vector.")
    found = similars(index, embeddings[0], params, exclude_id=id, tenant=tenant)
    return json_response(_results(user, project, found))


async def similars_of_vector(request: web.Request, user: str, project: str) -> web.Response:
    params = parse_similar(_query(request))
    body = await json_body(request)
    if not isinstance(body, dict) or "vector" not in body:
        raise bad_request("the body must be a JSON object with a `vector` array")
    index, settings = _project(request, user, project)
    vector = _vector(body["vector"], "vector", dimensions_of(settings))
    tenant = request["grant"].filter_for_index(index.uid)
    return json_response(_results(user, project, similars(index, vector, params, tenant=tenant)))


# -- embeddings -------------------------------------------------------------------------------------

async def list_embeddings(request: web.Request, user: str, project: str) -> web.Response:
    page = parse_page(_query(request))
    index, _settings = _project(request, user, project)
    documents, total = index.get_documents(page.offset, page.limit, sort=["id:asc"], retrieve_vectors=True)
    items = [{"id": d["id"], "vector": list(f32_vector(d["_vectors"][EMBEDDER]["embeddings"][0]))
              if d["_vectors"][EMBEDDER]["embeddings"] else None, "metadata": d.get("metadata", {})}
             for d in documents]
    return json_response(_paginated(items, page, total))


def _embedding(item: Any, n: int, dimensions: int | None) -> dict[str, Any]:
    where = f"embeddings[{n}]"
    if not isinstance(item, dict):
        raise bad_request(f"{where} must be an object with `id`, `vector` and optional `metadata`")
    unknown = sorted(set(item) - {"id", "vector", "metadata"})
    if unknown:
        raise bad_request(f"{where} has an unknown field `{unknown[0]}`")
    doc_id = item.get("id")
    if not isinstance(doc_id, str) or not doc_id or len(doc_id.encode()) > 511 or not set(doc_id) <= _ID_CHARS:
        raise bad_request(f"{where}.id must be a string of 1 to 511 bytes: letters, digits, hyphens or underscores")
    if "vector" not in item:
        raise bad_request(f"{where}.vector is missing")
    vector = _vector(item["vector"], f"{where}.vector", dimensions)
    metadata = item.get("metadata", {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise bad_request(f"{where}.metadata must be an object")
    return {"id": doc_id, "metadata": metadata, "_vectors": {EMBEDDER: vector}}


async def upsert_embeddings(request: web.Request, user: str, project: str) -> web.Response:
    uid = project_uid(user, project)
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("embeddings"), list):
        raise bad_request("the body must be a JSON object with an `embeddings` array")
    engine = request.app["engine"]
    try:
        dimensions = dimensions_of(Index(engine, uid).settings())
    except LoupeError as exc:
        if exc.code != "index_not_found":
            raise
        dimensions = None
    items = body["embeddings"]
    if not items:
        return json_response({"upserted": 0})
    if dimensions is None and isinstance(items[0], dict) and isinstance(items[0].get("vector"), list):
        dimensions = len(items[0]["vector"]) or None  # a new project takes its first vector's size
        creating = True
    else:
        creating = False
    documents = [_embedding(item, n, dimensions) for n, item in enumerate(items)]
    tasks = []
    if creating:
        if not request["grant"].can_create_index(uid):
            raise LoupeError("invalid_api_key", "The provided API key is invalid.")
        patch = validate_settings_patch(project_settings(len(documents[0]["_vectors"][EMBEDDER])))
        tasks.append(engine.update_settings(uid, patch, task_details(patch)))
    tasks.append(engine.add_documents(uid, documents, primary_key="id"))
    for task in tasks:
        _succeeded(await task_finished(engine, task["uid"]))
    return json_response({"upserted": len({d["id"] for d in documents})})


def _succeeded(task: dict[str, Any]) -> None:
    if task["status"] != "succeeded":
        error = task.get("error") or {"message": f"the write was {task['status']}", "code": "internal"}
        raise LoupeError(error.get("code", "internal"), error["message"],
                         500 if error.get("type") == "internal" else 400)


async def delete_project(request: web.Request, user: str, project: str) -> web.Response:
    index, _settings = _project(request, user, project)
    count = index.stats()["numberOfDocuments"]
    engine = request.app["engine"]
    _succeeded(await task_finished(engine, engine.delete_index(index.uid)["uid"]))
    return json_response({"deleted": count})


async def delete_embedding(request: web.Request, user: str, project: str, id: str) -> web.Response:
    index, _settings = _project(request, user, project)
    try:
        index.get_document(id)
    except LoupeError as exc:
        if exc.code == "document_not_found":
            raise not_found(f"Embedding `{id}` not found in project `{user}/{project}`.") from None
        raise
    engine = request.app["engine"]
    _succeeded(await task_finished(engine, engine.delete_documents(index.uid, [id])["uid"]))
    return json_response({"deleted": 1})


# -- projects ---------------------------------------------------------------------------------------

async def list_projects(request: web.Request, user: str) -> web.Response:
    page = parse_page(_query(request))
    prefix = user_prefix(user)
    grant = request["grant"]
    engine = request.app["engine"]
    records = [r for r in engine.list_indexes()
               if r["uid"].startswith(prefix) and handles_of(r["uid"]) and grant.can_see_index(r["uid"])]
    records.sort(key=lambda r: handles_of(r["uid"])[1])
    items = [_project_view(engine, r) for r in records[page.offset:page.offset + page.limit]]
    return json_response(_paginated(items, page, len(records)))


def _project_view(engine: Any, record: dict[str, Any]) -> dict[str, Any]:
    from engine.tasks.timefmt import format_date
    user, project = handles_of(record["uid"])
    index = Index(engine, record["uid"])
    return {"user_handle": user, "project_handle": project,
            "embedding_count": index.stats()["numberOfDocuments"],
            "dimensions": dimensions_of(index.settings()),
            "created_at": format_date(record["createdAt"]), "updated_at": format_date(record["updatedAt"])}


# -- wiring -----------------------------------------------------------------------------------------

def build_router() -> Router:
    router = Router()
    router.add("GET", "/v1/similars/{user}/{project}/{id}", similars_of_id, "search")
    router.add("POST", "/v1/similars/{user}/{project}", similars_of_vector, "search")
    router.add("GET", "/v1/embeddings/{user}/{project}", list_embeddings, "documents.get")
    router.add("POST", "/v1/embeddings/{user}/{project}", upsert_embeddings, "documents.add")
    router.add("DELETE", "/v1/embeddings/{user}/{project}", delete_project, "indexes.delete")
    router.add("DELETE", "/v1/embeddings/{user}/{project}/{id}", delete_embedding, "documents.delete")
    router.add("GET", "/v1/projects/{user}", list_projects, "indexes.get")
    return router


def dispatcher(authenticator: Authenticator, metrics: Any) -> Handler:
    from .projects import uid_or_none
    return make_dispatcher(build_router(), authenticator, metrics, render_error=errors.render,
                           index_of=uid_or_none, unknown_route=errors.unknown_route)
