"""`Engine(path)`: the library's entry point — indexes, documents and the task queue.

    >>> engine = Engine("./data.ms")                          # doctest: +SKIP
    >>> task = engine.add_documents("movies", [{"id": 1, "title": "Carol"}])
    >>> engine.wait_for_task(task["uid"])["status"]
    'succeeded'
    >>> engine.index("movies").get_document("1")
    {'id': 1, 'title': 'Carol'}

Writes are tasks: they are validated, stored durably, and applied later by the single worker
(`tasks/worker.py`), which runs in a thread of this process (``worker="thread"``, the library
default), in a child process (``worker="process"``, what the server uses so that indexing never
holds the GIL of the process answering searches), or nowhere (``worker="none"``, for a read-only
handle beside another process's worker), or in a process of its own that this handle only wakes up
(``worker="external"``: each of several serving processes).
"""
from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import orjson
from pyroaring import BitMap

from .documents.payloads import decode_update_file, encode_update_file
from .errors import LoupeError, index_not_found
from .filters.stored import filter_docids
from .filters.parser import FilterFeatures, parse_with
from .index import Index
from .store.registry import Registry
from .store import Store
from .store.space import space_error
from .tasks.queue import TaskFilter, TaskQueue
from .tasks.task import FINISHED, PROCESSING
from .tasks.supervisor import WorkerSupervisor
from .tasks.wakeup import Waker
from .tasks.worker import Worker

if TYPE_CHECKING:
    from .settings.features import Features


class Engine:
    def __init__(self, path: str | os.PathLike = "./data.ms", *, worker: str = "thread",
                 worker_options: dict[str, Any] | None = None,
                 worker_health: Callable[[], bool] | None = None):
        """``worker="external"``: another process runs the worker (several serving processes
        share one); this handle wakes it up after each enqueue and reports ``worker_health()``."""
        self.path = Path(path)
        self.store = Store(self.path)
        self.registry = Registry(self.store)
        self.worker_options = worker_options or {}
        # experimental features switched on by the command line (the server sets them)
        self.forced_features: frozenset[str] = frozenset()
        self._stop: Any = None
        self._wake: Any = None
        self._thread: threading.Thread | None = None
        self.supervisor: WorkerSupervisor | None = None
        self._health: Callable[[], bool] | None = None
        self.queue = TaskQueue(self.store, notify=self._notify)
        if worker == "thread":
            self._stop, self._wake = threading.Event(), threading.Event()
            w = Worker(self.store, self.queue, **self.worker_options)
            self._thread = threading.Thread(target=w.run, args=(self._stop, self._wake), name="loupe-worker",
                                            daemon=True)
            self._thread.start()
        elif worker == "process":
            self._wake = Waker(self.path)
            self.supervisor = WorkerSupervisor(str(self.path), self.worker_options)
            self.supervisor.start()
        elif worker == "external":
            self._wake = Waker(self.path)
            self._health = worker_health
        elif worker != "none":
            raise ValueError(f"unknown worker mode {worker!r}")

    def _notify(self) -> None:
        """Wake the worker up; never blocks (a dead worker process must not hang enqueue)."""
        if self._wake is not None:
            self._wake.set()

    def close(self, worker_timeout: float = 1.0) -> None:
        """Stop the worker and close the store.  A worker process still busy after
        ``worker_timeout`` s is killed: its batch is rolled back and re-run at the next start."""
        if self._stop is not None:
            self._stop.set()
            self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.supervisor is not None:
            self.supervisor.stop(worker_timeout)
        if isinstance(self._wake, Waker):
            self._wake.close()
        from .vectors.ann import stop_builds
        stop_builds(self.store)
        self.store.close()

    def worker_alive(self) -> bool:
        """False while the worker cannot index (a worker process dead, or restarting)."""
        if self._thread is not None:
            return self._thread.is_alive()
        if self.supervisor is not None:
            return self.supervisor.healthy()
        if self._health is not None:
            return self._health()
        return True

    # -- reads ---------------------------------------------------------------------------------
    def index(self, uid: str) -> Index:
        handle = Index(self, uid)
        handle.record()  # raises index_not_found
        return handle

    def list_indexes(self) -> list[dict[str, Any]]:
        with self.store.index_env.begin() as txn:
            return sorted(self.registry.all(txn), key=lambda r: r["uid"].encode())

    def get_index(self, uid: str) -> dict[str, Any]:
        with self.store.index_env.begin() as txn:
            record = self.registry.get(txn, uid)
        if record is None:
            raise index_not_found(uid)
        return record

    def is_indexing(self, uid: str) -> bool:
        return any(t["status"] == PROCESSING and t["indexUid"] == uid for t in self.queue.iter_tasks())

    def filter_docids(self, txn: Any, record: dict[str, Any], filter: Any, code: str) -> BitMap:
        """Documents of an index matching a filter, inside the caller's read transaction.  Its
        errors name no index: the documents routes answer them without upstream's
        ``Index `uid`: `` prefix (a deletion task adds it in the worker)."""
        iid = record["iid"]
        settings = self.registry.get_meta(txn, iid, "settings")
        return filter_docids(self.store, txn, iid, settings, self.registry.all_docids(txn, iid), filter,
                             code=code, index_uid=None, features=self.filter_features())

    def features(self) -> "Features":
        """The runtime experimental features: stored by PATCH /experimental-features, or forced on."""
        from .settings.features import Features
        return Features(self.store, self.forced_features)

    def filter_features(self) -> FilterFeatures:
        """The experimental filter features switched on (`containsFilter`, `multimodal`)."""
        enabled = self.features().enabled()
        return FilterFeatures(contains="containsFilter" in enabled, multimodal="multimodal" in enabled)

    def search_rules(self) -> list[dict[str, Any]]:
        """The dynamic search rules searches apply: none unless the `dynamicSearchRules`
        experimental feature is on (disabling it keeps the rules but stops applying them)."""
        from .search_rules.store import rules_in_force
        return rules_in_force(self.store, forced="dynamicSearchRules" in self.forced_features)

    def check_filter_syntax(self, filter: Any, code: str) -> None:
        """A filter a task will apply, checked when it is enqueued (syntax and experimental features)."""
        parse_with(filter, code, self.filter_features())

    # -- writes (enqueue) ----------------------------------------------------------------------
    def create_index(self, uid: str, primary_key: str | None = None) -> dict[str, Any]:
        return self.queue.enqueue("indexCreation", uid, {"primaryKey": primary_key}, {"primaryKey": primary_key})

    def update_index(self, uid: str, primary_key: str | None = None, new_uid: str | None = None) -> dict[str, Any]:
        details: dict[str, Any] = {"primaryKey": primary_key}
        if new_uid is not None:
            details.update(oldIndexUid=uid, newIndexUid=new_uid)
        return self.queue.enqueue("indexUpdate", uid, details, {"primaryKey": primary_key, "newUid": new_uid})

    def delete_index(self, uid: str) -> dict[str, Any]:
        return self.queue.enqueue("indexDeletion", uid, {"deletedDocuments": None})

    def swap_indexes(self, swaps: list[dict[str, Any]]) -> dict[str, Any]:
        return self.queue.enqueue("indexSwap", None, {"swaps": swaps}, {"swaps": swaps})

    def add_documents(self, uid: str, documents: list[dict[str, Any]], *, method: str = "replace",
                      primary_key: str | None = None, custom_metadata: str | None = None,
                      allow_index_creation: bool = True, skip_creation: bool = False) -> dict[str, Any]:
        """Enqueue a document addition (``method`` "replace" = POST, "update" = PUT)."""
        return self.add_payload(uid, encode_update_file(documents), "ndjson", len(documents), method=method,
                                primary_key=primary_key, custom_metadata=custom_metadata,
                                allow_index_creation=allow_index_creation, skip_creation=skip_creation)

    def add_payload(self, uid: str, payload: bytes, fmt: str, count: int, *, method: str = "replace",
                    primary_key: str | None = None, custom_metadata: str | None = None,
                    allow_index_creation: bool = True, skip_creation: bool = False) -> dict[str, Any]:
        """Store a validated payload durably (fsync) and enqueue its task."""
        name = f"{uuid.uuid4()}.{fmt}"
        path = self.store.update_files / name
        try:
            with open(path, "wb") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise space_error(exc, self.store.path) or exc
        op = {"file": name, "format": fmt, "method": method, "primaryKey": primary_key,
              "allowIndexCreation": allow_index_creation, "skipCreation": skip_creation}
        details = {"receivedDocuments": count, "indexedDocuments": None}
        return self.queue.enqueue("documentAdditionOrUpdate", uid, details, op, custom_metadata)

    def task_documents(self, task: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The documents a document task carries while it waits or runs (its update file), None
        for any other task or once the file is gone."""
        op = task.get("op") or {}
        if task.get("type") != "documentAdditionOrUpdate" or not op.get("file") or task.get("status") not in (
                "enqueued", "processing"):
            return None  # a finished task's file may linger a moment: it holds nothing any more
        try:
            raw = (self.store.update_files / op["file"]).read_bytes()
        except FileNotFoundError:
            return None
        return decode_update_file(raw, op.get("format", "ndjson"))

    def delete_documents(self, uid: str, ids: list[str], custom_metadata: str | None = None) -> dict[str, Any]:
        details = {"providedIds": len(ids), "deletedDocuments": None, "originalFilter": None}
        return self.queue.enqueue("documentDeletion", uid, details, {"kind": "ids", "ids": ids}, custom_metadata)

    def delete_documents_by_filter(self, uid: str, filter: Any, original: str,
                                   custom_metadata: str | None = None) -> dict[str, Any]:
        details = {"providedIds": 0, "deletedDocuments": None, "originalFilter": original}
        return self.queue.enqueue("documentDeletion", uid, details, {"kind": "filter", "filter": filter},
                                  custom_metadata)

    def edit_documents(self, uid: str, function: str, filter: Any = None, context: dict[str, Any] | None = None,
                       custom_metadata: str | None = None) -> dict[str, Any]:
        """Enqueue a `documentEdition`: ``function`` (already compiled by the caller) runs over the
        documents ``filter`` selects, or all of them (api.md §3.12)."""
        original = None if filter is None else orjson.dumps(filter).decode()
        details = {"deletedDocuments": None, "editedDocuments": None, "originalFilter": original,
                   "context": context, "function": function}
        op = {"function": function, "filter": filter, "context": context}
        return self.queue.enqueue("documentEdition", uid, details, op, custom_metadata)

    def clear_documents(self, uid: str, custom_metadata: str | None = None) -> dict[str, Any]:
        return self.queue.enqueue("documentDeletion", uid, {"deletedDocuments": None}, {"kind": "clear"},
                                  custom_metadata)

    def update_settings(self, uid: str, patch: dict[str, Any], details: dict[str, Any], *,
                        reset: bool = False, reset_all: bool = False,
                        allow_index_creation: bool = True) -> dict[str, Any]:
        op = {"patch": patch, "reset": reset, "reset_all": reset_all, "allowIndexCreation": allow_index_creation}
        return self.queue.enqueue("settingsUpdate", uid, details, op)

    def compact_index(self, uid: str) -> dict[str, Any]:
        return self.queue.enqueue("indexCompaction", uid, {})

    def cancel_tasks(self, filt: TaskFilter, original_filter: str) -> dict[str, Any]:
        return self._global_task_with_matches("taskCancelation", filt, original_filter, "canceledTasks")

    def delete_tasks(self, filt: TaskFilter, original_filter: str) -> dict[str, Any]:
        return self._global_task_with_matches("taskDeletion", filt, original_filter, "deletedTasks")

    def _global_task_with_matches(self, kind: str, filt: TaskFilter, original: str, counter: str) -> dict[str, Any]:
        def prepare(uid: int) -> dict[str, Any]:
            matched = self.queue.matching_uids(filt, below=uid)
            details = {"matchedTasks": len(matched), counter: None, "originalFilter": original}
            return {"details": details, "op": {"matched": matched}}
        return self.queue.enqueue(kind, None, None, {}, prepare=prepare)

    def update_search_rule(self, uid: str, update: dict[str, Any], custom_metadata: str | None = None
                           ) -> dict[str, Any]:
        """Enqueue a `dsrUpdate` creating or patching rule ``uid`` with a checked update
        (`engine.search_rules.model.parse_update`)."""
        return self.queue.enqueue("dsrUpdate", None, None, {"kind": "update", "uid": uid, "update": update},
                                  custom_metadata)

    def delete_search_rule(self, uid: str, custom_metadata: str | None = None) -> dict[str, Any]:
        return self.queue.enqueue("dsrUpdate", None, None, {"kind": "delete", "uid": uid}, custom_metadata)

    def clear_search_rules(self, custom_metadata: str | None = None) -> dict[str, Any]:
        return self.queue.enqueue("dsrClear", None, None, {}, custom_metadata)

    def create_dump(self) -> dict[str, Any]:
        return self.queue.enqueue("dumpCreation", None, {"dumpUid": None})

    def create_snapshot(self) -> dict[str, Any]:
        return self.queue.enqueue("snapshotCreation", None, None)

    def wait_for_task(self, uid: int, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            task = self.queue.get(uid)
            if task is None:
                raise LoupeError("task_not_found", f"Task `{uid}` not found.")
            if task["status"] in FINISHED:
                return task
            if time.monotonic() > deadline:
                raise TimeoutError(f"task {uid} still {task['status']} after {timeout}s")
            time.sleep(0.005)

