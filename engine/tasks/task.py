"""Task records and their two wire views (tasks.md §1).

A task is stored as one JSON record; timestamps are epoch nanoseconds and the private ``op`` key
holds what the worker needs to apply it (payload file, ids, filter, settings patch...).  The HTTP
views are derived from the record, never stored:

* `summary_view` — the 202 answer of a write (`taskUid`, ...);
* `task_view`    — the full object of `GET /tasks` (`uid`, `batchUid`, ..., `duration`).
"""
from __future__ import annotations

from typing import Any

from .timefmt import format_date, format_duration

ENQUEUED, PROCESSING, SUCCEEDED, FAILED, CANCELED = "enqueued", "processing", "succeeded", "failed", "canceled"
STATUSES = (ENQUEUED, PROCESSING, SUCCEEDED, FAILED, CANCELED)
FINISHED = frozenset((SUCCEEDED, FAILED, CANCELED))

TYPES = (
    "documentAdditionOrUpdate", "documentEdition", "documentDeletion", "settingsUpdate",
    "indexCreation", "indexDeletion", "indexUpdate", "indexSwap", "taskCancelation",
    "taskDeletion", "dumpCreation", "snapshotCreation", "export", "upgradeDatabase",
    "indexCompaction", "networkTopologyChange", "dsrUpdate", "dsrClear",
)
GLOBAL_TYPES = frozenset((
    "taskCancelation", "taskDeletion", "dumpCreation", "snapshotCreation", "indexSwap", "export",
    "upgradeDatabase", "networkTopologyChange", "dsrUpdate", "dsrClear",
))


def summary_view(task: dict[str, Any]) -> dict[str, Any]:
    view = {
        "taskUid": task["uid"],
        "indexUid": task["indexUid"],
        "status": ENQUEUED,
        "type": task["type"],
        "enqueuedAt": format_date(task["enqueuedAt"]),
    }
    if "customMetadata" in task:
        view["customMetadata"] = task["customMetadata"]
    return view


def task_view(task: dict[str, Any]) -> dict[str, Any]:
    started, finished = task.get("startedAt"), task.get("finishedAt")
    view: dict[str, Any] = {
        "uid": task["uid"],
        "batchUid": task.get("batchUid"),
        "indexUid": task["indexUid"],
        "status": task["status"],
        "type": task["type"],
        "canceledBy": task.get("canceledBy"),
    }
    if task.get("details") is not None:
        view["details"] = task["details"]
    view["error"] = task.get("error")
    view["duration"] = format_duration(finished - started) if started is not None and finished is not None else None
    view["enqueuedAt"] = format_date(task["enqueuedAt"])
    view["startedAt"] = format_date(started)
    view["finishedAt"] = format_date(finished)
    if "customMetadata" in task:
        view["customMetadata"] = task["customMetadata"]
    return view


def zeroed_details(task: dict[str, Any]) -> dict[str, Any] | None:
    """Details of a failed or canceled task: result counts forced to 0 (tasks.md §3)."""
    details = task.get("details")
    if details is None:
        return None
    details = dict(details)
    kind = task["type"]
    if kind == "documentAdditionOrUpdate":
        details["indexedDocuments"] = 0
    elif kind in ("documentDeletion", "indexDeletion"):
        details["deletedDocuments"] = 0
    elif kind == "documentEdition":
        details["editedDocuments"] = 0
        details["deletedDocuments"] = 0
    elif kind == "taskCancelation":
        details["canceledTasks"] = 0
    elif kind == "taskDeletion":
        details["deletedTasks"] = 0
    elif kind == "dumpCreation":
        details["dumpUid"] = None
    return details
