"""The single writer: takes batches off the queue and applies them atomically (tasks.md §5, §7).

One iteration of the loop:

1. `select_batch` picks the next batch; its tasks are marked ``processing`` (queue env);
2. the batch is applied in ONE write transaction of the index env, which also stores a journal
   entry with the tasks' final records;
3. the final records are written to the queue env, then the journal entry is dropped.

A crash after 2 and before 3 is repaired by `recover()` from the journal; a crash before 2
commits leaves nothing applied, and `recover()` puts the tasks back to ``enqueued``.  A
cancelation that targets the running batch makes `should_stop` raise `Aborted`: the write
transaction is dropped and the tasks go back to ``enqueued``, to be canceled next.
"""
from __future__ import annotations

import copy
import logging
import os
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable

import orjson

from ..documents.payloads import decode_update_file
from ..documents.shape import check_shapes
from ..errors import LoupeError, error_object
from ..store.registry import Registry
from ..settings import apply_patch, reindex_needed
from ..store import Store
from ..store.codecs import dumps, loads, read_u64, u64
from ..store.space import space_error
from .timefmt import format_trace_duration, now_ns
from .batcher import may_create_index, select_batch
from .queue import TaskQueue
from .task import CANCELED, ENQUEUED, FAILED, FINISHED, PROCESSING, SUCCEEDED, zeroed_details
from ..filters.parser import ALL_FILTER_FEATURES
from ..filters.stored import filter_docids
from ..indexer.apply import IndexWriter
from ..indexer.parallel import paused_gc
from ..search_rules.store import apply_rule_task

log = logging.getLogger("loupe.worker")

Task = dict[str, Any]


class Aborted(Exception):
    """The running batch was targeted by a cancelation."""


class Worker:
    def __init__(self, store: Store, queue: TaskQueue, *, max_batched_tasks: int | None = None,
                 dump_dir: Path | None = None, snapshot_dir: Path | None = None,
                 on_batch: Callable[[list[Task]], None] | None = None,
                 indexers_for: Callable[..., list[Any]] | None = None,
                 services: dict[str, Any] | None = None, allowed_ip_networks: Any = None):
        """``allowed_ip_networks``: --experimental-allowed-ip-networks, the non-global networks
        embedders may reach from this process (None: leave the process's allowance as it is)."""
        self.store, self.queue = store, queue
        if allowed_ip_networks is not None:
            from ..embedders.transport import allow_networks
            allow_networks(allowed_ip_networks)
        self.registry = Registry(store)
        self.max_batched_tasks = max_batched_tasks
        self.dump_dir, self.snapshot_dir = dump_dir, snapshot_dir
        self.on_batch = on_batch
        self.indexers_for = indexers_for or (lambda *a, **k: [])
        self.services = {**self._default_services(), **(services or {})}
        self._current: set[int] = set()
        self._strategy = ""  # the running batch's batchStrategy
        self._last_cancel_check = 0.0
        self._seen_uid = -1

    def _schedule_ann(self, tasks: list[Task]) -> None:
        """Annoy forests for the indexes a batch changed, built in the background (engine/vectors/ann.py)."""
        uids = {t["indexUid"] for t in tasks if t.get("status") == SUCCEEDED and isinstance(t.get("indexUid"), str)
                and t["type"] in ("documentAdditionOrUpdate", "documentDeletion", "settingsUpdate")}
        if not uids:
            return
        from ..vectors.ann import builder_for
        builder_for(self.store, self.registry).schedule(uids)

    def _default_services(self) -> dict[str, Callable[[Task], Any]]:
        """Instance-wide task types, each a function of the task returning its final details."""
        def dump(task: Task) -> dict[str, Any]:
            from ..backup.dumps import create_dump
            directory = self.dump_dir or (self.store.path.parent / "dumps")
            return {"dumpUid": create_dump(self.store, Path(directory), now_ns(), task)}

        def snapshot(task: Task) -> None:
            from ..backup.snapshots import create_snapshot
            directory = self.snapshot_dir or (self.store.path.parent / "snapshots")
            create_snapshot(self.store, Path(directory), self.store.path.name)

        return {"dumpCreation": dump, "snapshotCreation": snapshot, "indexCompaction": self._compact}

    def _compact(self, task: Task) -> dict[str, Any]:
        """A no-op compaction (LMDB reuses freed pages); reports the store size before and after."""
        from ..store.sizes import human_size
        with self.store.index_env.begin() as txn:
            self.registry.require(txn, task["indexUid"])
        size = human_size(self.store.used_size())
        return {"preCompactionSize": size, "postCompactionSize": size}

    # -- lifecycle -----------------------------------------------------------------------------
    def recover(self) -> None:
        """Finish half-recorded batches (journal) and re-enqueue interrupted ones."""
        journal = self.store.i["journal"]
        with self.store.index_env.begin() as txn:
            entries = [(read_u64(k), loads(v)) for k, v in txn.cursor(journal)]
        for batch_uid, entry in entries:
            recorded = self.queue.get_batch(batch_uid)
            if recorded is None or recorded.get("finishedAt") is None:
                self._record(entry)
            with self.store.index_env.begin(write=True) as txn:
                txn.delete(u64(batch_uid), db=journal)
        with self.store.queue_env.begin(write=True) as txn:
            for key, raw in txn.cursor(self.store.q["tasks"]):
                task = loads(raw)
                if task["status"] == PROCESSING:
                    task.update(status=ENQUEUED, batchUid=None, startedAt=None)
                    txn.put(key, dumps(task), db=self.store.q["tasks"])
            stale = [k for k, raw in txn.cursor(self.store.q["batches"]) if loads(raw).get("finishedAt") is None]
            for key in stale:
                txn.delete(key, db=self.store.q["batches"])

    def run(self, stop: threading.Event, wake: Any, ready: Callable[[], None] | None = None) -> None:
        """Process batches until ``stop`` is set; sleep on ``wake`` (an Event) when idle.

        ``ready`` is called once the journal is recovered: from then on the worker can index
        (its supervisor reports the server healthy again)."""
        self.recover()
        if ready is not None:
            ready()
        while not stop.is_set():
            try:
                worked = self.tick()
            except Exception:  # the loop must survive anything; the batch was already failed
                log.error("worker error: %s", traceback.format_exc())
                worked = False
            if not worked:
                wake.wait(0.5)
                wake.clear()

    def tick(self) -> bool:
        enqueued = [t for t in self.queue.iter_tasks(reverse=False) if t["status"] == ENQUEUED]
        batch, strategy = select_batch(enqueued, self.max_batched_tasks, self._index_exists)
        if not batch:
            return False
        self.process(batch, strategy)
        return True

    def _index_exists(self, uid: str) -> bool:
        with self.store.index_env.begin() as txn:
            return self.registry.get(txn, uid) is not None

    # -- one batch -----------------------------------------------------------------------------
    def process(self, batch: list[Task], strategy: str) -> None:
        started = now_ns()
        self._strategy = strategy  # shown by the running batch's record too
        batch_uid = self._start(batch, started)
        self._current = {t["uid"] for t in batch}
        self._seen_uid = max(self._current)
        clock = time.perf_counter_ns()
        try:
            entry = self._apply(batch, batch_uid, started)
        except Aborted:
            self._requeue(batch, batch_uid)
            return
        finally:
            self._current = set()
        trace = {**entry.pop("trace", {}), "processing tasks": time.perf_counter_ns() - clock}
        entry["batch"] = self._batch_record(batch_uid, entry["tasks"], started, entry["finishedAt"], strategy,
                                            trace, entry.get("embedderRequests"))
        self._record(entry)
        with self.store.index_env.begin(write=True) as txn:
            txn.delete(u64(batch_uid), db=self.store.i["journal"])
        for task in batch:
            self._drop_update_file(task)
        self._schedule_ann(entry["tasks"])
        if self.on_batch:
            try:
                self.on_batch(entry["tasks"])
            except Exception:
                log.warning("batch notification failed: %s", traceback.format_exc())

    def _start(self, batch: list[Task], started: int) -> int:
        with self.store.queue_env.begin(write=True) as txn:
            cursor = txn.cursor(self.store.q["batches"])
            batch_uid = read_u64(cursor.key()) + 1 if cursor.last() else 0
            for task in batch:
                task.update(status=PROCESSING, batchUid=batch_uid, startedAt=started)
                txn.put(u64(task["uid"]), dumps(task), db=self.store.q["tasks"])
            txn.put(u64(batch_uid), dumps(self._batch_record(batch_uid, batch, started, None, self._strategy)),
                    db=self.store.q["batches"])
        return batch_uid

    def _requeue(self, batch: list[Task], batch_uid: int) -> None:
        with self.store.queue_env.begin(write=True) as txn:
            for task in batch:
                raw = txn.get(u64(task["uid"]), db=self.store.q["tasks"])
                if raw is None:
                    continue
                current = loads(raw)
                current.update(status=ENQUEUED, batchUid=None, startedAt=None)
                txn.put(u64(task["uid"]), dumps(current), db=self.store.q["tasks"])
            txn.delete(u64(batch_uid), db=self.store.q["batches"])

    def _record(self, entry: dict[str, Any]) -> None:
        """Second step of a commit: final task records, retargeted uids, deletions, batch."""
        tasks_db, batches_db = self.store.q["tasks"], self.store.q["batches"]
        with self.store.queue_env.begin(write=True) as txn:
            for task in entry["tasks"]:
                txn.put(u64(task["uid"]), dumps(task), db=tasks_db)
            for old, new, below in entry.get("retarget", []):
                self._retarget(txn, old, new, below)
            for uid in entry.get("delete_tasks", []):
                txn.delete(u64(uid), db=tasks_db)
            for uid in entry.get("canceled", []):
                raw = txn.get(u64(uid), db=tasks_db)
                if raw is None:
                    continue
                task = loads(raw)
                if task["status"] in (ENQUEUED, PROCESSING):
                    cancel = entry["tasks"][0]
                    task.update(status=CANCELED, canceledBy=cancel["uid"], batchUid=cancel["batchUid"],
                                startedAt=cancel["startedAt"], finishedAt=cancel["finishedAt"],
                                details=zeroed_details(task))
                    txn.put(u64(uid), dumps(task), db=tasks_db)
            if entry.get("batch") is not None:
                txn.put(u64(entry["batch"]["uid"]), dumps(entry["batch"]), db=batches_db)
            for uid in entry.get("delete_batches", []):
                txn.delete(u64(uid), db=batches_db)

    def _retarget(self, txn: Any, old: str | list, new: str, below: int) -> None:
        """Older tasks follow their index through renames (old -> new) and swaps ([a, b])."""
        mapping = {old[0]: old[1], old[1]: old[0]} if isinstance(old, (list, tuple)) else {old: new}
        tasks_db = self.store.q["tasks"]
        updates = []
        for key, raw in txn.cursor(tasks_db):
            task = loads(raw)
            if task["uid"] >= below:
                break
            if task["indexUid"] in mapping:
                task["indexUid"] = mapping[task["indexUid"]]
                updates.append((key, task))
        for key, task in updates:
            txn.put(key, dumps(task), db=tasks_db)

    # -- cancelation of the running batch ------------------------------------------------------
    def should_stop(self) -> None:
        now = time.monotonic()
        if now - self._last_cancel_check < 0.05:
            return
        self._last_cancel_check = now
        with self.store.queue_env.begin() as txn:
            cursor = txn.cursor(self.store.q["tasks"])
            if not cursor.set_range(u64(self._seen_uid + 1)):
                return
            for key, raw in cursor:
                task = loads(raw)
                self._seen_uid = task["uid"]
                if task["type"] == "taskCancelation" and task["status"] == ENQUEUED:
                    if self._current.intersection(task["op"].get("matched", [])):
                        raise Aborted()

    # -- applying ------------------------------------------------------------------------------
    def _apply(self, batch: list[Task], batch_uid: int, started: int) -> dict[str, Any]:
        first = batch[0]
        kind = first["type"]
        entry: dict[str, Any] = {"tasks": []}
        if kind == "taskCancelation":
            entry["canceled"] = first["op"].get("matched", [])
            canceled = self._count_cancelable(entry["canceled"])
            self._finish(first, SUCCEEDED, details={**first["details"], "canceledTasks": canceled})
            entry["tasks"] = [first]
        elif kind == "taskDeletion":
            entry.update(self._delete_tasks(batch))
        elif kind in ("dsrUpdate", "dsrClear"):
            for task in batch:
                apply_rule_task(self.store, task)
                self._finish(task, SUCCEEDED)
                entry["tasks"].append(task)
        elif kind in ("dumpCreation", "snapshotCreation", "export", "indexCompaction"):
            handler = self.services.get(kind)
            for task in batch:
                try:
                    details = handler(task) if handler else _not_supported(kind)
                    self._finish(task, SUCCEEDED, details=details if details is not None else task.get("details"))
                except LoupeError as exc:
                    self._finish(task, FAILED, error=exc)
                entry["tasks"].append(task)
        else:
            from ..embedders.stats import PROGRESS, EmbedderRequests, counting
            shown = {"done": 0, "total": 0}
            requests = EmbedderRequests()
            showing = threading.Lock()  # request threads report failures too: no stale record last

            def show(done: int | None = None, total: int | None = None) -> None:
                with showing:
                    if done is not None:
                        shown.update(done=done, total=total)
                    self._show_embedding(batch_uid, batch, started, shown["done"], shown["total"], requests.view())
            requests.on_failure = show  # a failing remote shows in the running batch at once (tasks.md §6)
            token = PROGRESS.set(show)
            try:
                with counting(requests):
                    entry = self._apply_index_batch(batch, batch_uid)
            finally:
                PROGRESS.reset(token)
                requests.on_failure = None
            entry["embedderRequests"] = requests.view()
        finished = now_ns()
        for task in entry["tasks"]:
            task["finishedAt"] = finished
        entry["finishedAt"] = finished
        return entry

    def _show_embedding(self, batch_uid: int, batch: list[Task], started: int, done: int, total: int,
                        requests: dict[str, Any] | None = None) -> None:
        """The running batch's progress while documents are embedded (tasks.md §6): the batch's
        step, then how many of the texts to embed are done, and the embedder requests so far.
        Written to the queue, which has its own write transactions, while the index's stays open;
        GET /batches shows it."""
        record = self._batch_record(batch_uid, batch, started, None, self._strategy, embedder_requests=requests)
        steps = [{"currentStep": "processing tasks", "finished": 0, "total": len(batch)},
                 {"currentStep": "embedding documents", "finished": done, "total": max(total, 1)}]
        record["progress"] = {"steps": steps, "percentage": progress_percentage(steps)}
        with self.store.queue_env.begin(write=True) as txn:
            txn.put(u64(batch_uid), dumps(record), db=self.store.q["batches"])

    def _count_cancelable(self, uids: list[int]) -> int:
        count = 0
        for uid in uids:
            task = self.queue.get(uid)
            if task is not None and task["status"] in (ENQUEUED, PROCESSING):
                count += 1
        return count

    def _delete_tasks(self, batch: list[Task]) -> dict[str, Any]:
        doomed: set[int] = set()
        batch_of: dict[int, int] = {}
        for deletion in batch:
            count = 0
            for uid in deletion["op"].get("matched", []):
                task = self.queue.get(uid)
                if task is not None and task["status"] in FINISHED and uid not in doomed:
                    doomed.add(uid)
                    count += 1
                    if task.get("batchUid") is not None:
                        batch_of[uid] = task["batchUid"]
                    self._drop_update_file(task)
            self._finish(deletion, SUCCEEDED, details={**deletion["details"], "deletedTasks": count})
        emptied = []
        for batch_uid in set(batch_of.values()):
            record = self.queue.get_batch(batch_uid)
            if record is not None and set(record.get("_tasks", [])) <= doomed:
                emptied.append(batch_uid)
        return {"tasks": batch, "delete_tasks": sorted(doomed), "delete_batches": emptied}

    def _apply_index_batch(self, batch: list[Task], batch_uid: int) -> dict[str, Any]:
        """Apply an index's batch in one write transaction; should it fail unexpectedly, apply its
        tasks again one by one (`_apply_one_by_one`) so that the failure stays with its task."""
        entry: dict[str, Any] = {"tasks": batch, "retarget": []}
        trace: dict[str, int] = {}
        originals = [copy.deepcopy(task) for task in batch] if len(batch) > 1 else []
        try:
            clock = time.perf_counter_ns()
            with self.store.index_env.begin(write=True) as txn:
                self._apply_index_tasks(txn, batch, entry)
                txn.put(u64(batch_uid), orjson.dumps(entry),
                        db=self.store.i["journal"])
                applied = time.perf_counter_ns()
                trace["processing tasks > applying the tasks"] = applied - clock
            trace["processing tasks > committing the index"] = time.perf_counter_ns() - applied
        except Aborted:
            raise
        except LoupeError as exc:  # an error of the batch as a whole
            for task in batch:
                self._finish(task, FAILED, error=exc)
            entry["retarget"] = []
        except Exception as exc:
            space = space_error(exc, self.store.path)
            if space is not None:
                # A full disk or map fails every task alike; retrying them one by one would not help.
                for task in batch:
                    self._finish(task, FAILED, error=space)
                entry["retarget"] = []
            elif not originals:
                self._finish(batch[0], FAILED, error=self._task_error(exc))
                entry["retarget"] = []
            else:
                log.warning("batch of %d tasks failed (%s); applying its tasks one by one", len(batch), exc)
                for task, original in zip(batch, originals):
                    task.clear()
                    task.update(original)
                entry = self._apply_one_by_one(batch, batch_uid)
        entry["trace"] = trace
        return entry

    def _apply_one_by_one(self, batch: list[Task], batch_uid: int) -> dict[str, Any]:
        """Each task of a batch in its own nested transaction of one batch transaction: a task
        that fails, whatever the error, leaves nothing behind and fails alone; the others are
        committed together with the journal entry, as a batch is."""
        entry: dict[str, Any] = {"tasks": batch, "retarget": []}
        env = self.store.index_env
        with env.begin(write=True) as txn:
            for task in batch:
                child = env.begin(write=True, parent=txn)
                try:
                    self._apply_index_tasks(child, [task], entry)
                except Aborted:
                    child.abort()
                    raise
                except LoupeError as exc:
                    child.abort()
                    self._finish(task, FAILED, error=exc)
                except Exception as exc:
                    child.abort()
                    self._finish(task, FAILED, error=self._task_error(exc))
                else:
                    child.commit()
            txn.put(u64(batch_uid), orjson.dumps(entry), db=self.store.i["journal"])
        return entry

    def _task_error(self, exc: Exception) -> LoupeError:
        """The error of a task that failed alone, its writes dropped: its own error when it had
        one, the disk's when the store is full, else `internal` (and the traceback in the log)."""
        if isinstance(exc, _DirtyFailure):
            return exc.error
        space = space_error(exc, self.store.path)
        if space is not None:
            return space
        log.error("task failed: %s", "".join(traceback.format_exception(exc)))
        return _internal(exc)

    def _apply_index_tasks(self, txn: Any, batch: list[Task], entry: dict[str, Any]) -> None:
        now = now_ns()
        first = batch[0]
        uid = first["indexUid"]
        kind = first["type"]
        if kind == "indexSwap":
            self._swap(txn, first, entry)
            return
        if batch[-1]["type"] == "indexDeletion" and len(batch) > 1:
            for task in batch[:-1]:
                self._finish(task, SUCCEEDED, details=zeroed_details(task))
            batch = batch[-1:]
            first = batch[0]
            kind = "indexDeletion"
        if kind == "indexCreation":
            try:
                self.registry.create(txn, uid, first["op"].get("primaryKey"), now)
                self._finish(first, SUCCEEDED)
            except LoupeError as exc:
                self._finish(first, FAILED, error=exc)
            return
        if kind == "indexDeletion":
            try:
                record = self.registry.require(txn, uid)
                count = self.registry.get_meta(txn, record["iid"], "stats")["numberOfDocuments"]
                self.registry.delete(txn, uid)
                self._finish(first, SUCCEEDED, details={"deletedDocuments": count})
            except LoupeError as exc:
                self._finish(first, FAILED, error=exc)
            return
        if kind == "indexUpdate":
            self._update_index(txn, first, entry, now)
            return
        record = self.registry.get(txn, uid)
        if record is None:
            if not may_create_index(first):  # the batch's rule is its first task's (batcher.py)
                raise LoupeError("index_not_found", f"Index `{uid}` not found.")
            record = self.registry.create(txn, uid, None, now)
        writer = IndexWriter(self.store, txn, self.registry, record,
                             indexers=self.indexers_for(self.store, txn, record), should_stop=self.should_stop)
        for task in batch:
            self._apply_one(writer, task)
        writer.finish(now)

    def _apply_one(self, writer: IndexWriter, task: Task) -> None:
        """Apply one task of a batch; its own error fails it alone.  An error raised after the
        task changed something cannot be undone here (the writer's state is shared by the batch):
        it becomes `_DirtyFailure`, and the batch is applied again task by task."""
        op, kind = task["op"], task["type"]
        writes = writer.writes
        try:
            if kind == "documentAdditionOrUpdate":
                raw = (self.store.update_files / op["file"]).read_bytes()
                fmt = op.get("format", "ndjson")
                # the payload's documents are only allocated here: a collection would walk them all,
                # every list of an embedding's floats included, for nothing (parallel.paused_gc)
                with paused_gc():
                    documents = decode_update_file(raw, fmt)
                    check_shapes(documents, writer.fields.ids, fmt, raw)
                    indexed = writer.add_documents(documents, op["method"], op.get("primaryKey"),
                                                   op.get("skipCreation", False))
                self._finish(task, SUCCEEDED, details={**task["details"], "indexedDocuments": indexed})
            elif kind == "documentDeletion":
                if op["kind"] == "ids":
                    deleted = writer.delete_ids(op["ids"])
                elif op["kind"] == "clear":
                    deleted = writer.clear()
                else:
                    matched = filter_docids(self.store, writer.txn, writer.iid, writer.settings, writer.docids,
                                            op["filter"], code="invalid_document_filter",
                                            index_uid=writer.record["uid"], features=ALL_FILTER_FEATURES)
                    deleted = writer.delete_docids(matched)
                self._finish(task, SUCCEEDED, details={**task["details"], "deletedDocuments": deleted})
            elif kind == "documentEdition":
                self._finish(task, SUCCEEDED, details=self._edit(writer, task))
            elif kind == "settingsUpdate":
                current = writer.settings
                try:
                    new = apply_patch(current, op["patch"])
                except LoupeError as exc:  # milli's settings errors name the index in a task
                    raise exc.with_prefix(f"Index `{writer.record['uid']}`: ") from None
                writer.check_geo_for(new)
                writer.set_settings(new, rebuild=bool(reindex_needed(current, new) & {"search", "facets"}))
                self._finish(task, SUCCEEDED)
            elif kind == "indexCompaction":
                self._finish(task, SUCCEEDED)
            else:
                raise LoupeError("internal", f"Task type `{kind}` is not supported.")
        except LoupeError as exc:
            if writer.writes != writes:
                raise _DirtyFailure(exc) from exc
            self._finish(task, FAILED, error=exc)

    def _edit(self, writer: IndexWriter, task: Task) -> dict[str, Any]:
        """Run a task's edition function over the documents its filter selects (all without one).

        As upstream, both counts report the number of selected documents, whatever the function
        did to each; an error on any document fails the task and writes nothing."""
        from ..documents.edit import ScriptError, compile_script, edit_document
        from ..documents.edit.edition import CODE
        op = task["op"]
        uid = writer.record["uid"]
        try:
            program = compile_script(op["function"])
        except ScriptError as exc:
            raise LoupeError(CODE, f"Index `{uid}`: Document edition runtime error encountered while compiling "
                                   f"the function: {exc}") from None
        if op.get("filter") is None:
            candidates = writer.all_docids()
        else:
            candidates = filter_docids(self.store, writer.txn, writer.iid, writer.settings, writer.docids,
                                       op["filter"], code="invalid_document_filter", index_uid=uid,
                                       features=ALL_FILTER_FEATURES)
        count = len(candidates)
        if count:
            primary_key = writer.record["primaryKey"]
            context = op.get("context")

            def edit(document: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
                outcome = edit_document(program, document, context, primary_key)
                return outcome.document, outcome.changed
            try:
                writer.edit_documents(candidates, edit)
            except LoupeError as exc:
                raise exc.with_prefix(f"Index `{uid}`: ") from None
        return {**task["details"], "deletedDocuments": count, "editedDocuments": count}

    def _update_index(self, txn: Any, task: Task, entry: dict[str, Any], now: int) -> None:
        op = task["op"]
        uid = task["indexUid"]
        try:
            record = self.registry.require(txn, uid)
            if op.get("primaryKey") is not None and op["primaryKey"] != record["primaryKey"]:
                stats = self.registry.get_meta(txn, record["iid"], "stats")
                if stats["numberOfDocuments"] > 0:
                    raise LoupeError("index_primary_key_already_exists",
                                     f"Index `{uid}`: Index already has a primary key: `{record['primaryKey']}`.")
                record["primaryKey"] = op["primaryKey"]
            new_uid = op.get("newUid")
            if new_uid is not None and new_uid != uid:
                self.registry.put(txn, record)
                record = self.registry.rename(txn, uid, new_uid)
                entry["retarget"].append((uid, new_uid, task["uid"]))
            record["updatedAt"] = now
            self.registry.put(txn, record)
            self._finish(task, SUCCEEDED)
        except LoupeError as exc:
            self._finish(task, FAILED, error=exc)

    def _swap(self, txn: Any, task: Task, entry: dict[str, Any]) -> None:
        try:
            missing = []
            for swap in task["op"]["swaps"]:
                a, b = swap["indexes"]
                if self.registry.get(txn, a) is None:
                    missing.append(a)
                if not swap.get("rename") and self.registry.get(txn, b) is None:
                    missing.append(b)
            if missing:
                if len(missing) == 1:
                    raise LoupeError("index_not_found", f"Index `{missing[0]}` not found.")
                names = ", ".join(f"`{m}`" for m in missing)
                raise LoupeError("index_not_found", f"Indexes {names} not found.")
            for swap in task["op"]["swaps"]:
                a, b = swap["indexes"]
                if swap.get("rename"):
                    self.registry.rename(txn, a, b)
                    entry["retarget"].append((a, b, task["uid"]))
                else:
                    ra, rb = self.registry.require(txn, a), self.registry.require(txn, b)
                    ra["uid"], rb["uid"] = b, a
                    self.registry.put(txn, ra)
                    self.registry.put(txn, rb)
                    entry["retarget"].append(((a, b), "", task["uid"]))
            self._finish(task, SUCCEEDED)
        except LoupeError as exc:
            self._finish(task, FAILED, error=exc)
            entry["retarget"] = []

    # -- helpers -------------------------------------------------------------------------------
    def _finish(self, task: Task, status: str, *, details: Any = "keep", error: LoupeError | None = None) -> None:
        task["status"] = status
        if status == FAILED:
            task["error"] = error_object(error.code, error.message) if error else None
            task["details"] = zeroed_details(task)
        elif details != "keep":
            task["details"] = details

    def _batch_record(self, uid: int, tasks: list[Task], started: int, finished: int | None,
                      strategy: str, trace: dict[str, int] | None = None,
                      embedder_requests: dict[str, Any] | None = None) -> dict[str, Any]:
        """The batch as GET /batches shows it; ``embedder_requests`` (tasks.md §6) only when the
        batch sent requests to remote embedders."""
        status: dict[str, int] = {}
        types: dict[str, int] = {}
        index_uids: dict[str, int] = {}
        details: dict[str, Any] = {}
        for task in tasks:
            status[task["status"]] = status.get(task["status"], 0) + 1
            types[task["type"]] = types.get(task["type"], 0) + 1
            if task["indexUid"] is not None:
                index_uids[task["indexUid"]] = index_uids.get(task["indexUid"], 0) + 1
            _merge_details(details, task.get("details") or {})
        stats: dict[str, Any] = {
            "totalNbTasks": len(tasks), "status": status, "types": types, "indexUids": index_uids}
        if finished is not None:  # a running batch has no trace yet (upstream shows none)
            stats["progressTrace"] = {step: format_trace_duration(ns) for step, ns in (trace or {}).items()}
        if embedder_requests:
            stats["embedderRequests"] = embedder_requests
        return {
            "uid": uid, "details": details,
            "stats": stats,
            "startedAt": started, "finishedAt": finished, "batchStrategy": strategy,
            "_tasks": [t["uid"] for t in tasks],
        }

    def _drop_update_file(self, task: Task) -> None:
        name = task.get("op", {}).get("file")
        if name:
            try:
                os.unlink(self.store.update_files / name)
            except FileNotFoundError:
                pass


def _merge_details(into: dict[str, Any], details: dict[str, Any]) -> None:
    for key, value in details.items():
        current = into.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and isinstance(current, int):
            into[key] = current + value
        elif key == "originalFilter" and isinstance(value, str) and isinstance(current, str):
            into[key] = f"{current}&{value}"
        elif key not in into or current is None:
            into[key] = value


class _DirtyFailure(Exception):
    """A task's own error, raised after the task had changed the index: only dropping the
    transaction undoes that, so the batch is applied again task by task (`_apply_one_by_one`)."""

    def __init__(self, error: LoupeError):
        super().__init__(error.message)
        self.error = error


def _internal(exc: Exception) -> LoupeError:
    return LoupeError("internal", f"An internal error has occurred. `{exc}`.")


def _not_supported(kind: str) -> None:
    raise LoupeError("internal", f"`{kind}` is not supported by this server yet.")


def progress_percentage(steps: list[dict[str, Any]]) -> float:
    """Upstream's nesting: each step is a fraction of one unit of the step above it."""
    percentage, scale = 0.0, 1.0
    for step in steps:
        scale *= step["total"]
        percentage += step["finished"] / scale
    return round(percentage * 100, 2)

