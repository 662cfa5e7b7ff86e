"""JSON views of engine records: index objects, pagination envelopes, tasks and batches."""
from __future__ import annotations

from typing import Any

from engine.tasks.task import task_view
from engine.tasks.timefmt import format_date, format_duration


def index_view(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "uid": record["uid"],
        "createdAt": format_date(record["createdAt"]),
        "updatedAt": format_date(record["updatedAt"]),
        "primaryKey": record["primaryKey"],
    }


def paginated(results: list[Any], offset: int, limit: int, total: int) -> dict[str, Any]:
    return {"results": results, "offset": offset, "limit": limit, "total": total}


def batch_view(batch: dict[str, Any]) -> dict[str, Any]:
    started, finished = batch.get("startedAt"), batch.get("finishedAt")
    progress = None if finished is not None else batch.get("progress") or {
        "steps": [{"currentStep": "processing tasks", "finished": 0, "total": batch["stats"]["totalNbTasks"]}],
        "percentage": 0.0}
    return {
        "uid": batch["uid"],
        "progress": progress,
        "details": batch["details"],
        "stats": batch["stats"],
        "duration": format_duration(finished - started) if finished is not None else None,
        "startedAt": format_date(started),
        "finishedAt": format_date(finished),
        "batchStrategy": batch.get("batchStrategy", ""),
    }


__all__ = ["index_view", "paginated", "batch_view", "task_view"]
