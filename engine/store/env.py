"""LMDB environments: one writer, many readers, across threads and processes.

The db path holds two environments (design.md "One process writes, many read"):

* ``queue/``   — tasks, batches, API keys, instance metadata.  Only short write transactions
  happen here (enqueueing a task, recording a batch's outcome), from the HTTP process and the
  worker alike, so an HTTP write never waits behind a long indexing batch.
* ``indexes/`` — everything about indexes: registry, settings, documents, posting lists.  Written
  only by the task worker, one write transaction per batch.

A batch therefore commits in two steps.  The index transaction also stores a *journal* entry with
the batch's final task records; the queue transaction then records them.  If the process dies in
between, `Worker.recover()` (run at start-up, tasks/worker.py) finds the journal entry and finishes the
second step, so a task is never half applied: either its effects and its final status are both
durable, or neither is and it is still enqueued.
"""
from __future__ import annotations

import os
from pathlib import Path

import lmdb

QUEUE_DBS = ("tasks", "batches", "keys", "meta")
INDEX_DBS = (
    "registry",      # uid -> index record {iid, uid, createdAt, updatedAt, primaryKey}
    "index_meta",    # iid + name -> json (settings, counters, field distribution...)
    "documents",     # iid + docid -> orjson document
    "external_ids",  # iid + external id -> docid
    "journal",       # batch uid -> final task records of a batch applied to this env
    "postings",      # iid + table tag + key -> serialized roaring bitmap
    "facets",        # iid + table tag + key -> facet data
    "vectors",       # iid + embedder + docid -> vectors
)

QUEUE_MAP_SIZE = 16 << 30
INDEX_MAP_SIZE = 256 << 30


def map_size(variable: str, default: int) -> int:
    """An environment's LMDB map size: ``default``, unless ``variable`` says otherwise (tests and
    bench/faults.py fill small maps this way; Meilisearch v1 has no size options any more, its
    stores grow as needed).  Processes inherit the variable, so server and worker agree."""
    value = os.environ.get(variable)
    return int(value) if value else default


class Store:
    """Opens (creating if needed) both environments of a db path.

    Open a Store once per process: LMDB forbids opening the same environment twice in one
    process, so the worker process opens its own.
    """

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "update_files").mkdir(exist_ok=True)
        self.queue_env = lmdb.open(
            str(self.path / "queue"), map_size=map_size("LOUPE_QUEUE_MAP_SIZE", QUEUE_MAP_SIZE), max_dbs=len(QUEUE_DBS) + 1,
            max_readers=512, readonly=readonly, subdir=True,
        )
        self.index_env = lmdb.open(
            str(self.path / "indexes"), map_size=map_size("LOUPE_INDEX_MAP_SIZE", INDEX_MAP_SIZE), max_dbs=len(INDEX_DBS) + 1,
            max_readers=512, readonly=readonly, subdir=True,
        )
        self.q = {name: self.queue_env.open_db(name.encode()) for name in QUEUE_DBS}
        self.i = {name: self.index_env.open_db(name.encode()) for name in INDEX_DBS}

    @property
    def update_files(self) -> Path:
        return self.path / "update_files"

    def size_on_disk(self) -> int:
        total = 0
        for root, _dirs, files in os.walk(self.path):
            for f in files:
                try:
                    total += os.stat(os.path.join(root, f)).st_blocks * 512
                except OSError:
                    pass
        return total

    def used_size(self) -> int:
        used = 0
        for env in (self.queue_env, self.index_env):
            info, stat = env.info(), env.stat()
            used += (info["last_pgno"] + 1) * stat["psize"]
        return used

    def close(self) -> None:
        self.queue_env.close()
        self.index_env.close()
