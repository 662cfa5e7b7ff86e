"""Which enqueued tasks form the next batch (tasks.md §7).

Priority tasks (cancelation, deletion, compaction, export, snapshots, dumps) run apart from
index work.  Otherwise the oldest enqueued task picks the index, and the consecutive tasks of
that index are grouped while they are compatible:

    imports (+ deletions by id)  → one document batch, applied in uid order
    (a task that may create the missing index never joins a batch begun by one that may not)
    settings + settings          → one settings batch
    ... then an indexDeletion    → joins and ends the batch (earlier writes succeed with 0 results)

Anything else runs alone.  Batch boundaries are invisible to clients except through `batchUid`,
so the grouping is deliberately conservative.
"""
from __future__ import annotations

from typing import Any, Callable

Task = dict[str, Any]

_ALONE_FIRST = {"indexCreation", "indexUpdate", "indexSwap", "documentEdition", "indexDeletion"}


def _kind(task: Task) -> str:
    if task["type"] == "documentAdditionOrUpdate":
        return "import"
    if task["type"] == "documentDeletion":
        return {"ids": "delete", "filter": "filter", "clear": "clear"}[task["op"]["kind"]]
    if task["type"] == "settingsUpdate":
        return "settings"
    return task["type"]


def may_create_index(task: Task) -> bool | None:
    """Whether a task may create its missing index: None for kinds that never create one.

    While the index is missing, the batch takes its first task's answer, so a task that may
    create the index never joins a batch begun by one that may not (upstream's
    `IndexCreationMismatch`): it would fail with it (`index_not_found`) through no fault of its
    own."""
    kind = _kind(task)
    if kind == "import":
        return bool(task["op"].get("allowIndexCreation", True))
    if kind == "settings":
        return bool(task["op"].get("allowIndexCreation", True)) and not task["op"].get("reset")
    return None


def select_batch(enqueued: list[Task], max_tasks: int | None = None,
                 index_exists: Callable[[str], bool] | None = None) -> tuple[list[Task], str]:
    """``enqueued``: the enqueued tasks in uid order.  Returns the batch and its reason text.

    ``index_exists`` tells whether an index is there already (unknown: assumed missing, which
    only ever makes batches smaller)."""
    if not enqueued:
        return [], ""
    by_type: dict[str, list[Task]] = {}
    for task in enqueued:
        by_type.setdefault(task["type"], []).append(task)
    if "taskCancelation" in by_type:
        task = by_type["taskCancelation"][-1]
        return [task], f"created batch containing only task with id {task['uid']} of type `taskCancelation` that cannot be batched with any other task."
    if "taskDeletion" in by_type:
        return by_type["taskDeletion"], "batched all enqueued task deletions"
    for kind in ("indexCompaction", "export"):
        if kind in by_type:
            task = by_type[kind][0]
            return [task], f"created batch containing only task with id {task['uid']} of type `{kind}` that cannot be batched with any other task."
    if "snapshotCreation" in by_type:
        return by_type["snapshotCreation"], "batched all enqueued snapshot creations"
    if "dumpCreation" in by_type:
        task = by_type["dumpCreation"][0]
        return [task], f"created batch containing only task with id {task['uid']} of type `dumpCreation` that cannot be batched with any other task."
    first = enqueued[0]
    if first["type"] in _ALONE_FIRST or first["indexUid"] is None:
        return [first], (f"created batch containing only task with id {first['uid']} of type "
                         f"`{first['type']}` that cannot be batched with any other task.")
    exists = index_exists is not None and index_exists(first["indexUid"])
    tasks = [t for t in enqueued if t["indexUid"] == first["indexUid"]]
    return _autobatch(tasks, max_tasks, exists, every_enqueued=len(tasks) == len(enqueued))


def _autobatch(tasks: list[Task], max_tasks: int | None, index_exists: bool,
               every_enqueued: bool = False) -> tuple[list[Task], str]:
    """The index's batch; when it takes all of ``tasks`` the reason says whether those were every
    enqueued task (upstream: "batched all enqueued tasks") or only the index's."""
    first = tasks[0]
    first_kind = _kind(first)
    batch = [first]
    uid = first["indexUid"]
    if first_kind in ("filter", "clear"):
        compatible: set[str] = set()
    elif first_kind in ("import", "delete"):
        compatible = {"import", "delete"}
    elif first_kind == "settings":
        compatible = {"settings"}
    else:
        compatible = set()
    primary_key = first["op"].get("primaryKey") if first_kind == "import" else None
    may_create = may_create_index(first)
    for task in tasks[1:]:
        if max_tasks is not None and len(batch) >= max_tasks:
            return batch, f"batched up to configured batch limit of {max_tasks} tasks"
        kind = _kind(task)
        if kind == "indexDeletion":
            batch.append(task)
            return batch, f"stopped after task with id {task['uid']} because it deletes the index"
        if kind not in compatible:
            return batch, f"stopped before task with id {task['uid']} because it cannot be batched with the previous tasks"
        if not index_exists and may_create is not True and may_create_index(task):
            return batch, (f"stopped batching before task with id {task['uid']} because its index creation rules "
                           "differ from the ones from the batch")
        if kind == "import":
            param = task["op"].get("primaryKey")
            if param is not None and primary_key is not None and param != primary_key:
                return batch, f"stopped before task with id {task['uid']} because it changes the primary key"
            if param is not None and primary_key is None and any(_kind(t) == "import" for t in batch):
                return batch, f"stopped before task with id {task['uid']} because it sets a primary key"
            primary_key = primary_key or param
        batch.append(task)
    if every_enqueued:
        return batch, "batched all enqueued tasks"
    return batch, f"batched all enqueued tasks for index `{uid}`"
