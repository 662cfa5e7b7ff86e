"""Awaiting a task's end from a request handler.

Meilisearch answers writes with 202 and a task; the other dialects (similars' `{"upserted": N}`,
Qdrant's `?wait=true`) answer once the write is searchable.  The worker applies tasks in another
thread or process, so a handler polls the task queue with `asyncio.sleep` between looks: the
event loop keeps serving other requests meanwhile.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any

from engine.errors import LoupeError
from engine.tasks.task import FINISHED

POLL_SECONDS = 0.005


async def task_finished(engine: Any, uid: int, timeout: float = 600.0) -> dict[str, Any]:
    """The task record once it succeeded, failed or was canceled (an ``internal`` error after
    ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    delay = POLL_SECONDS
    while True:
        task = engine.queue.get(uid)
        if task is None:
            raise LoupeError("task_not_found", f"Task `{uid}` not found.")
        if task["status"] in FINISHED:
            return task
        if time.monotonic() > deadline:
            raise LoupeError("internal", f"Task `{uid}` is still {task['status']} after {timeout:g}s.")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)


async def all_finished(engine: Any, uids: list[int]) -> list[dict[str, Any]]:
    """Every task of ``uids`` finished, in order (tasks run in enqueue order: the last one ends last)."""
    return [await task_finished(engine, uid) for uid in uids]
