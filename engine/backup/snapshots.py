"""Snapshots: a byte copy of the database that `--import-snapshot` restores as is.

Where a dump is a blueprint that must be re-indexed, a snapshot is the store itself, so restoring
one is as fast as unpacking a tar:

    data.ms.snapshot  (an uncompressed tar)
    ├── snapshot.json        {"format": "loupe-snapshot", "dbVersion": "1.50.0", "createdAt": "..."}
    ├── indexes/data.mdb     compacted copy of the index environment
    ├── queue/data.mdb       compacted copy of the queue environment
    └── update_files/<name>  payloads of the tasks still enqueued

    >>> create_snapshot(store, Path("snapshots"), "data.ms")   # doctest: +SKIP
    PosixPath('snapshots/data.ms.snapshot')
    >>> import_snapshot(Path("snapshots/data.ms.snapshot"), Path("restored.ms"))  # doctest: +SKIP

Consistency.  ``env.copy`` is consistent within one environment (it reads one snapshot), but
the two environments are copied one after the other, and a batch commits in two steps (index env
with a journal entry, then queue env; see store/env.py).  `create_snapshot` is meant to run in
the worker (a ``snapshotCreation`` batch runs alone), where the index env is quiescent and its
journal empty; only the queue env still moves (HTTP enqueues, key and feature edits).  Hence the
order:

1. index env first — it cannot change during the whole snapshot;
2. queue env second — it may hold tasks enqueued after step 1, which is harmless: they are
   ``enqueued`` and have no effect on the indexes yet;
3. update files last, for the tasks enqueued in the *copied* queue — a payload is written before
   its task is enqueued and only the (busy) worker deletes payloads, so every one is found.

Taken from outside the worker, the same order stays safe for any batch that commits entirely
before step 1 or after step 2; one committing in between would show its effects in neither copy
or only in the queue's records, so do not.  Like Meilisearch, the running ``snapshotCreation``
tasks (and their unfinished batch) are removed from the copy, so a restored instance does not
take the snapshot again.
"""
from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import lmdb
import orjson

from ..errors import LoupeError
from ..store import Store
from ..store.codecs import loads, u64
from ..store.env import QUEUE_DBS, QUEUE_MAP_SIZE
from ..tasks.task import ENQUEUED, PROCESSING
from ..tasks.timefmt import format_date, now_ns
from .archive import extract_all
from .dumps import DB_VERSION, _fsync_dir, _has_entries, _unlink, write_archive

SNAPSHOT_FORMAT = "loupe-snapshot"
SNAPSHOT_EXTENSION = ".snapshot"
ENVIRONMENTS = ("indexes", "queue")  # copy order matters: see the module docstring


def create_snapshot(store: Store, snapshot_dir: Path, db_dir_name: str) -> Path:
    """Write ``<snapshot_dir>/<db_dir_name>.snapshot`` (temp file + rename) and return its path."""
    snapshot_dir = Path(snapshot_dir)
    snapshot_dir.mkdir(parents=True, exist_ok=True)
    target = snapshot_dir / f"{db_dir_name}{SNAPSHOT_EXTENSION}"
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=snapshot_dir))
    try:
        for name in ENVIRONMENTS:
            (staging / name).mkdir()
            env = store.index_env if name == "indexes" else store.queue_env
            env.copy(str(staging / name), compact=True)
        enqueued_files = _drop_running_snapshot_tasks(staging / "queue")
        (staging / "update_files").mkdir()
        for file_name in enqueued_files:
            try:
                shutil.copyfile(store.update_files / file_name, staging / "update_files" / file_name)
            except FileNotFoundError:
                pass  # already missing in the live database: the task fails the same way there
        (staging / "snapshot.json").write_bytes(orjson.dumps(
            {"format": SNAPSHOT_FORMAT, "dbVersion": DB_VERSION, "createdAt": format_date(now_ns())}))
        _pack(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _drop_running_snapshot_tasks(queue_copy: Path) -> list[str]:
    """Edit the *copy*: remove processing snapshot tasks and their batches; list enqueued payloads."""
    env = lmdb.open(str(queue_copy), map_size=QUEUE_MAP_SIZE, max_dbs=len(QUEUE_DBS) + 1, subdir=True)
    try:
        tasks_db, batches_db = env.open_db(b"tasks"), env.open_db(b"batches")
        files: list[str] = []
        with env.begin(write=True) as txn:
            running: list[dict[str, Any]] = []
            for _key, raw in txn.cursor(tasks_db):
                task = loads(raw)
                if task["type"] == "snapshotCreation" and task["status"] == PROCESSING:
                    running.append(task)
                elif task["status"] in (ENQUEUED, PROCESSING) and (task.get("op") or {}).get("file"):
                    files.append(task["op"]["file"])
            for task in running:
                txn.delete(u64(task["uid"]), db=tasks_db)
                if task.get("batchUid") is not None:
                    txn.delete(u64(task["batchUid"]), db=batches_db)
        env.sync(True)
        return files
    finally:
        env.close()
        _unlink(queue_copy / "lock.mdb")


def _pack(staging: Path, target: Path) -> None:
    write_archive(target, [staging / "snapshot.json", *(staging / name for name in (*ENVIRONMENTS, "update_files"))], "w")


def import_snapshot(snapshot_path: Path, db_path: Path) -> None:
    """Restore a snapshot into ``db_path``, which must be absent or empty.

    The files are unpacked next to ``db_path`` and renamed into place, so a failed restore leaves
    no half database behind.
    """
    snapshot_path, db_path = Path(snapshot_path), Path(db_path)
    if _has_entries(db_path):
        raise LoupeError("invalid_state",
                         f"Cannot import a snapshot into `{db_path}`: a database already exists there.")
    if not snapshot_path.is_file():
        raise LoupeError("invalid_state", f"The snapshot file `{snapshot_path}` does not exist.")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{db_path.name}.restore-", dir=db_path.parent))
    try:
        try:
            with tarfile.open(snapshot_path, mode="r:*") as tar:
                extract_all(tar, work)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise _corrupted(snapshot_path, str(exc)) from exc
        _check(snapshot_path, work)
        (work / "update_files").mkdir(exist_ok=True)
        (work / "snapshot.json").unlink()
        if db_path.exists():
            db_path.rmdir()
        os.replace(work, db_path)
        _fsync_dir(db_path.parent)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check(snapshot_path: Path, root: Path) -> None:
    try:
        marker = orjson.loads((root / "snapshot.json").read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise _corrupted(snapshot_path, f"`snapshot.json` is missing or invalid ({exc})") from exc
    if not isinstance(marker, dict) or marker.get("format") != SNAPSHOT_FORMAT:
        raise _corrupted(snapshot_path, "`snapshot.json` does not name the Loupe snapshot format")
    for name in ENVIRONMENTS:
        if not (root / name / "data.mdb").is_file():
            raise _corrupted(snapshot_path, f"`{name}/data.mdb` is missing")


def _corrupted(path: Path, why: str) -> LoupeError:
    return LoupeError("invalid_state", f"The snapshot file `{path}` is corrupted or not a Loupe snapshot: {why}")


__all__ = ["create_snapshot", "import_snapshot", "SNAPSHOT_EXTENSION"]
