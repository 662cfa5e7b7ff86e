"""/tasks and /batches: list with filters, get one, cancel, delete (api.md §12–13, tasks.md §9–10)."""
from __future__ import annotations

from typing import Any, Callable

from aiohttp import web

import orjson

from engine.errors import LoupeError
from engine.settings.features import feature_not_enabled
from engine.tasks.queue import TaskFilter
from engine.tasks.task import STATUSES, TYPES, summary_view, task_view
from engine.tasks.timefmt import NS, parse_date_only_ns, parse_datetime_ns
from engine.settings.validate import param_error, parse_bool_param, parse_uint_param

from ..http import Router, json_response, query, validate_index_uid
from ..responses import batch_view

FILTER_PARAMS = ("uids", "batchUids", "canceledBy", "types", "statuses", "indexUids",
                 "afterEnqueuedAt", "beforeEnqueuedAt", "afterStartedAt", "beforeStartedAt",
                 "afterFinishedAt", "beforeFinishedAt")
LIST_PARAMS = ("limit", "from", "reverse") + FILTER_PARAMS
_DATES = {
    "afterEnqueuedAt": ("after_enqueued_at", "invalid_task_after_enqueued_at"),
    "beforeEnqueuedAt": ("before_enqueued_at", "invalid_task_before_enqueued_at"),
    "afterStartedAt": ("after_started_at", "invalid_task_after_started_at"),
    "beforeStartedAt": ("before_started_at", "invalid_task_before_started_at"),
    "afterFinishedAt": ("after_finished_at", "invalid_task_after_finished_at"),
    "beforeFinishedAt": ("before_finished_at", "invalid_task_before_finished_at"),
}
_STATUS_BY_LOWER = {s.lower(): s for s in STATUSES}
_TYPE_BY_LOWER = {t.lower(): t for t in TYPES}


def _items(raw: str) -> list[str]:
    return [p.strip() for p in raw.split(",")]


def _item_name(name: str, items: list[str], n: int) -> str:
    """How deserr names a bad item of a comma-separated parameter: the parameter itself for a
    single value (``uids``), its index in a list (``uids[1]``)."""
    return name if len(items) == 1 else f"{name}[{n}]"


def _checked(name: str, raw: str, check: Callable[[str, str], Any]) -> list[Any] | None:
    """Each item of a comma-separated parameter through ``check(item, name_of_item)``, in
    order (the first bad one is reported); None when one of them is ``*``."""
    items = _items(raw)
    out = [check(item, _item_name(name, items, n)) for n, item in enumerate(items) if item != "*"]
    return None if "*" in items else out


def _uint_list(name: str, raw: str, code: str) -> set[int] | None:
    def check(item: str, where: str) -> int:
        if not (item.isascii() and item.isdigit()):
            raise param_error(where, f"could not parse `{item}` as a positive integer", code)
        return int(item)
    found = _checked(name, raw, check)
    return None if found is None else set(found)


def _one_of(by_lower: dict[str, str], noun: str, plural: str, code: str) -> Callable[[str, str], str]:
    """A checker of one item naming a task type or status, case-insensitively."""
    listed = ", ".join(f"`{name}`" for name in by_lower.values())

    def check(item: str, where: str) -> str:
        if item.lower() not in by_lower:
            raise param_error(where, f"`{item}` is not a valid task {noun}. Available {plural} are {listed}.", code)
        return by_lower[item.lower()]
    return check


_type = _one_of(_TYPE_BY_LOWER, "type", "types", "invalid_task_types")
_status = _one_of(_STATUS_BY_LOWER, "status", "statuses", "invalid_task_statuses")


def _index_uid(item: str, where: str) -> str:
    try:
        return validate_index_uid(item)
    except LoupeError as error:
        raise param_error(where, error.message, "invalid_index_uid") from None


def parse_task_filter(q: dict[str, str]) -> TaskFilter:
    filt = TaskFilter()
    if "uids" in q:
        filt.uids = _uint_list("uids", q["uids"], "invalid_task_uids")
    if "batchUids" in q:
        filt.batch_uids = _uint_list("batchUids", q["batchUids"], "invalid_batch_uids")
    if "canceledBy" in q:
        filt.canceled_by = _uint_list("canceledBy", q["canceledBy"], "invalid_task_canceled_by")
    for param, attr, check in (("types", "types", _type), ("statuses", "statuses", _status),
                               ("indexUids", "index_uids", _index_uid)):
        if param in q:
            found = _checked(param, q[param], check)
            if found is not None:
                setattr(filt, attr, set(found))
    for param, (attr, code) in _DATES.items():
        if param in q:
            setattr(filt, attr, _parse_date(param, q[param], code, after=param.startswith("after")))
    return filt


def _parse_date(name: str, raw: str, code: str, *, after: bool) -> int | None:
    if raw.strip() == "*":
        return None
    value = parse_datetime_ns(raw)
    if value is None:
        day = parse_date_only_ns(raw)
        if day is None:
            raise param_error(name, f"`{raw}` is an invalid date-time. It should follow the YYYY-MM-DD or "
                                    "RFC 3339 date-time format.", code)
        value = day + (86_400 * NS if after else 0)
    return value


def _visible(request: web.Request):
    grant = request["grant"]
    return None if grant.allowed_indexes is None else grant.can_see_index


def _page_params(q: dict[str, str], from_code: str, limit_code: str, reverse_code: str) -> tuple[int, int | None, bool]:
    limit = parse_uint_param("limit", q["limit"], limit_code) if "limit" in q else 20
    start = parse_uint_param("from", q["from"], from_code) if "from" in q else None
    reverse = parse_bool_param("reverse", q["reverse"], reverse_code) if "reverse" in q else False
    return limit, start, reverse


def _listing(request: web.Request, kind: str):
    """Shared parsing of GET /tasks and GET /batches: (page parameters, filter)."""
    q = query(request, LIST_PARAMS)
    limit, start, reverse = _page_params(q, f"invalid_{kind}_from", f"invalid_{kind}_limit", f"invalid_{kind}_reverse")
    filt = parse_task_filter(q)
    filt.visible = _visible(request)
    return limit, start, reverse, filt


def _page_view(page, view) -> dict:
    return {"results": [view(item) for item in page.results], "total": page.total, "limit": page.limit,
            "from": page.first, "next": page.next}


async def list_tasks(request: web.Request) -> web.Response:
    limit, start, reverse, filt = _listing(request, "task")
    return json_response(_page_view(request.app["engine"].queue.list_tasks(filt, limit, start, reverse), task_view))


async def get_task(request: web.Request, task_uid: str) -> web.Response:
    if not (task_uid.isascii() and task_uid.isdigit()):
        raise LoupeError("invalid_task_uids", f"Task uid `{task_uid}` is invalid. It should only contain numeric characters.")
    task = request.app["engine"].queue.get(int(task_uid))
    visible = _visible(request)
    if task is None or (visible is not None and not TaskFilter(visible=visible).matches(task)):
        raise LoupeError("task_not_found", f"Task `{task_uid}` not found.")
    return json_response(task_view(task))


async def get_task_documents(request: web.Request, task_uid: str) -> web.Response:
    """GET /tasks/{uid}/documents (`getTaskDocumentsRoute`): the documents of a document task
    still waiting or processing, one JSON object per line (api.md §12)."""
    if "getTaskDocumentsRoute" not in request.app["features"].enabled():
        raise feature_not_enabled("Getting the documents of an enqueued task", "get task documents route",
                                  "https://github.com/orgs/meilisearch/discussions/808")
    if not (task_uid.isascii() and task_uid.isdigit()):
        raise LoupeError("invalid_task_uids", f"Task uid `{task_uid}` is invalid. It should only contain numeric characters.")
    engine = request.app["engine"]
    task = engine.queue.get(int(task_uid))
    visible = _visible(request)
    if task is None or (visible is not None and not TaskFilter(visible=visible).matches(task)):
        raise LoupeError("task_not_found", f"Task `{task_uid}` not found.")
    documents = engine.task_documents(task)
    if documents is None:
        raise LoupeError("task_file_not_found",
                         f"Task `{task_uid}` does not contain any documents. Only `documentAdditionOrUpdate` tasks "
                         "with the statuses `enqueued` or `processing` contain documents")
    body = b"".join(orjson.dumps(document) + b"\n" for document in documents)
    return web.Response(body=body, content_type="application/x-ndjson")


def _raw_query(request: web.Request) -> str:
    return "?" + request.rel_url.raw_query_string


def _missing_filters(verb: str) -> LoupeError:
    return LoupeError(
        "missing_task_filters",
        f"Query parameters to filter the tasks to {verb} are missing. Available query parameters are: `uids`, "
        "`indexUids`, `statuses`, `types`, `canceledBy`, `beforeEnqueuedAt`, `afterEnqueuedAt`, "
        "`beforeStartedAt`, `afterStartedAt`, `beforeFinishedAt`, `afterFinishedAt`.")


async def _cancel_or_delete(request: web.Request, verb: str) -> web.Response:
    q = query(request, FILTER_PARAMS)
    if not q:
        raise _missing_filters(verb)
    filt = parse_task_filter(q)
    filt.visible = _visible(request)
    engine = request.app["engine"]
    enqueue = engine.cancel_tasks if verb == "cancel" else engine.delete_tasks
    return json_response(summary_view(enqueue(filt, _raw_query(request))), status=200)


async def cancel_tasks(request: web.Request) -> web.Response:
    return await _cancel_or_delete(request, "cancel")


async def delete_tasks(request: web.Request) -> web.Response:
    return await _cancel_or_delete(request, "delete")


async def list_batches(request: web.Request) -> web.Response:
    limit, start, reverse, filt = _listing(request, "batch")
    return json_response(_page_view(request.app["engine"].queue.list_batches(filt, limit, start, reverse), batch_view))


async def get_batch(request: web.Request, batch_uid: str) -> web.Response:
    if not (batch_uid.isascii() and batch_uid.isdigit()):
        raise LoupeError("invalid_batch_uids", f"Batch uid `{batch_uid}` is invalid. It should only contain numeric characters.")
    batch = request.app["engine"].queue.get_batch(int(batch_uid), _visible(request))
    if batch is None:
        raise LoupeError("batch_not_found", f"Batch `{batch_uid}` not found.")
    return json_response(batch_view(batch))


def register(router: Router) -> None:
    router.add("GET", "/tasks", list_tasks, "tasks.get")
    router.add("DELETE", "/tasks", delete_tasks, "tasks.delete")
    router.add("POST", "/tasks/cancel", cancel_tasks, "tasks.cancel")
    router.add("GET", "/tasks/{task_uid}", get_task, "tasks.get")
    router.add("GET", "/tasks/{task_uid}/documents", get_task_documents, "tasks.get")
    router.add("GET", "/batches", list_batches, "tasks.get")
    router.add("GET", "/batches/{batch_uid}", get_batch, "tasks.get")
