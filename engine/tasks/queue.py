"""The persistent task queue and its query language (tasks.md §8–§10).

Tasks live in the queue environment keyed by big-endian uid, so "newest first" is a reverse
cursor walk.  Filters are plain data (`TaskFilter`) evaluated per record: the queue is small in
practice (clients delete finished tasks), and a record read is a few microseconds.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator

import lmdb

from ..store import Store
from ..store.codecs import dumps, loads, read_u64, u64
from ..store.space import space_error
from .timefmt import now_ns
from .task import ENQUEUED, FINISHED, GLOBAL_TYPES, PROCESSING


@dataclass
class TaskFilter:
    uids: set[int] | None = None
    batch_uids: set[int] | None = None
    statuses: set[str] | None = None
    types: set[str] | None = None
    index_uids: set[str] | None = None
    canceled_by: set[int] | None = None
    before_enqueued_at: int | None = None
    after_enqueued_at: int | None = None
    before_started_at: int | None = None
    after_started_at: int | None = None
    before_finished_at: int | None = None
    after_finished_at: int | None = None
    # Index visibility of the caller's key: None = every index and global tasks.
    visible: Callable[[str], bool] | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in (
            "uids", "batch_uids", "statuses", "types", "index_uids", "canceled_by",
            "before_enqueued_at", "after_enqueued_at", "before_started_at", "after_started_at",
            "before_finished_at", "after_finished_at"))

    def matches(self, task: dict[str, Any]) -> bool:
        if self.uids is not None and task["uid"] not in self.uids:
            return False
        if self.batch_uids is not None and task.get("batchUid") not in self.batch_uids:
            return False
        if self.statuses is not None and task["status"] not in self.statuses:
            return False
        if self.types is not None and task["type"] not in self.types:
            return False
        index_uid = task["indexUid"]
        if self.index_uids is not None or self.visible is not None:
            if task["type"] in GLOBAL_TYPES or index_uid is None:
                return False
            if self.index_uids is not None and index_uid not in self.index_uids:
                return False
            if self.visible is not None and not self.visible(index_uid):
                return False
        if self.canceled_by is not None and task.get("canceledBy") not in self.canceled_by:
            return False
        return (
            _within(task["enqueuedAt"], self.after_enqueued_at, self.before_enqueued_at)
            and _within(task.get("startedAt"), self.after_started_at, self.before_started_at)
            and _within(task.get("finishedAt"), self.after_finished_at, self.before_finished_at)
        )


def batch_is_visible(batch: dict[str, Any], visible: Callable[[str], bool] | None) -> bool:
    """Whether a key that sees only the indexes ``visible`` accepts may see this batch.

    As upstream (`get_batch_ids_from_authorized_indexes`), a batch is judged on its own record,
    not on its tasks (which may have been deleted since): one holding a task type that concerns no
    single index (swaps, cancelations, dumps...) is hidden from every index-scoped key, and any
    other batch is shown when it touched at least one visible index.  Loupe never batches tasks
    of two indexes together, so a batch shown to a key names no index the key cannot see.
    """
    if visible is None:
        return True
    stats = batch["stats"]
    if any(kind in GLOBAL_TYPES for kind in stats["types"]):
        return False
    return any(visible(index_uid) for index_uid in stats["indexUids"])


def _within(value: int | None, after: int | None, before: int | None) -> bool:
    if after is None and before is None:
        return True
    if value is None:
        return False
    if after is not None and not value > after:
        return False
    if before is not None and not value < before:
        return False
    return True


@dataclass
class Page:
    results: list[dict[str, Any]]
    total: int
    limit: int
    first: int | None
    next: int | None


class TaskQueue:
    """Enqueue, read and list tasks and batches.  Thread-safe; usable from any process."""

    def __init__(self, store: Store, notify: Callable[[], None] | None = None):
        self.store = store
        self.tasks_db = store.q["tasks"]
        self.batches_db = store.q["batches"]
        self._lock = threading.Lock()
        self._notify = notify

    # -- writing -------------------------------------------------------------------------------
    def enqueue(self, kind: str, index_uid: str | None, details: dict[str, Any] | None,
                op: dict[str, Any] | None = None, custom_metadata: str | None = None,
                prepare: Callable[[int], dict[str, Any]] | None = None) -> dict[str, Any]:
        """Append a task durably and return its record (uid = largest uid + 1).

        ``prepare(uid)`` may complete ``details``/``op`` once the uid is known (cancel and delete
        tasks freeze the tasks they match, which must have smaller uids).
        """
        try:
            task = self._append(kind, index_uid, details, op, custom_metadata, prepare)
        except (lmdb.Error, OSError) as exc:
            raise space_error(exc, self.store.path) or exc
        if self._notify:
            self._notify()
        return task

    def _append(self, kind: str, index_uid: str | None, details: dict[str, Any] | None, op: dict[str, Any] | None,
                custom_metadata: str | None, prepare: Callable[[int], dict[str, Any]] | None) -> dict[str, Any]:
        with self._lock, self.store.queue_env.begin(write=True) as txn:
            cursor = txn.cursor(self.tasks_db)
            uid = read_u64(cursor.key()) + 1 if cursor.last() else 0
            task: dict[str, Any] = {
                "uid": uid, "batchUid": None, "indexUid": index_uid, "status": ENQUEUED,
                "type": kind, "canceledBy": None, "details": details, "error": None,
                "enqueuedAt": now_ns(), "startedAt": None, "finishedAt": None,
            }
            if custom_metadata is not None:
                task["customMetadata"] = custom_metadata
            task["op"] = op or {}
            if prepare is not None:
                extra = prepare(uid)
                task["details"] = extra.get("details", task["details"])
                task["op"].update(extra.get("op", {}))
            txn.put(u64(uid), dumps(task), db=self.tasks_db)
        return task

    # -- reading -------------------------------------------------------------------------------
    def get(self, uid: int) -> dict[str, Any] | None:
        with self.store.queue_env.begin() as txn:
            raw = txn.get(u64(uid), db=self.tasks_db)
            return loads(raw) if raw is not None else None

    def iter_tasks(self, reverse: bool = True) -> Iterator[dict[str, Any]]:
        with self.store.queue_env.begin() as txn:
            cursor = txn.cursor(self.tasks_db)
            items = cursor.iterprev(keys=False) if reverse else cursor.iternext(keys=False)
            if reverse:
                if not cursor.last():
                    return
            for raw in items:
                yield loads(raw)

    def list_tasks(self, filt: TaskFilter, limit: int = 20, start: int | None = None,
                   reverse: bool = False) -> Page:
        newest_first = not reverse
        results, total, nxt = [], 0, None
        for task in self.iter_tasks(reverse=newest_first):
            if not filt.matches(task):
                continue
            total += 1
            if start is not None and (task["uid"] > start if newest_first else task["uid"] < start):
                continue
            if len(results) < limit:
                results.append(task)
            elif nxt is None:
                nxt = task["uid"]
        first = results[0]["uid"] if results else None
        return Page(results, total, limit, first, nxt)

    def matching_uids(self, filt: TaskFilter, below: int | None = None) -> list[int]:
        return [t["uid"] for t in self.iter_tasks(reverse=False)
                if (below is None or t["uid"] < below) and filt.matches(t)]

    def has_pending(self, index_uid: str) -> bool:
        """Whether a task of ``index_uid`` is enqueued or processing, looking back from the newest
        task to the first finished one (tasks end roughly in uid order, so pending ones are the
        newest; one left behind an autobatch that skipped it may be missed).  Cheap whatever the
        length of the history: meant for optimisations, which may be wrong either way."""
        with self.store.queue_env.begin() as txn:
            cursor = txn.cursor(self.tasks_db)
            if not cursor.last():
                return False
            for raw in cursor.iterprev(keys=False):
                task = loads(raw)
                if task["status"] not in (ENQUEUED, PROCESSING):
                    return False
                if task["indexUid"] == index_uid:
                    return True
        return False

    def count_pending(self) -> int:
        return sum(1 for t in self.iter_tasks() if t["status"] in (ENQUEUED, PROCESSING))

    # -- batches -------------------------------------------------------------------------------
    def get_batch(self, uid: int, visible: Callable[[str], bool] | None = None) -> dict[str, Any] | None:
        """The batch, or None when it does not exist or ``visible`` (a key's index scope) hides it."""
        with self.store.queue_env.begin() as txn:
            raw = txn.get(u64(uid), db=self.batches_db)
        batch = loads(raw) if raw is not None else None
        return batch if batch is not None and batch_is_visible(batch, visible) else None

    def list_batches(self, filt: TaskFilter, limit: int = 20, start: int | None = None,
                     reverse: bool = False) -> Page:
        """The batches of the tasks ``filt`` matches; its ``visible`` scope is applied to each batch
        record (`batch_is_visible`)."""
        filtered = not filt.is_empty()
        matching: set[int] = set()
        if filtered:
            by_task = replace(filt, visible=None)
            for task in self.iter_tasks():
                if task.get("batchUid") is not None and by_task.matches(task):
                    matching.add(task["batchUid"])
        newest_first = not reverse
        results, total, nxt = [], 0, None
        with self.store.queue_env.begin() as txn:
            cursor = txn.cursor(self.batches_db)
            if newest_first:
                if not cursor.last():
                    return Page([], 0, limit, None, None)
                walk = cursor.iterprev()
            else:
                walk = cursor.iternext()
            for key, raw in walk:
                uid = read_u64(key)
                if filtered and uid not in matching:
                    continue
                batch = loads(raw)
                if not batch_is_visible(batch, filt.visible):
                    continue
                total += 1
                if start is not None and (uid > start if newest_first else uid < start):
                    continue
                if len(results) < limit:
                    results.append(batch)
                elif nxt is None:
                    nxt = uid
        first = results[0]["uid"] if results else None
        return Page(results, total, limit, first, nxt)


def is_finished(task: dict[str, Any]) -> bool:
    return task["status"] in FINISHED
