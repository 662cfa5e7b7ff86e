"""Dumps: a portable, versioned export of a whole instance that `--import-dump` rebuilds from.

A dump is a blueprint, not a copy: it holds what clients gave us (documents, settings, keys, the
task queue), never derived structures, so importing it re-runs the indexer.  The layout follows
Meilisearch's V6 dumps (a gzipped tarball) with Loupe's own record shapes inside:

    20250116-164516003.dump
    ├── metadata.json              {"dumpVersion": "V6", "dbVersion": "1.50.0", "dumpDate": "..."}
    ├── keys.jsonl                 one API key record a line (uid, actions, indexes, dates...)
    ├── experimental-features.json runtime features as PATCH /experimental-features stored them
    ├── instance-meta.json         every other instance setting of the queue env (webhooks...)
    ├── tasks/queue.jsonl          task records, private ``op`` included, uid order
    ├── tasks/update_files/<name>  payloads of the enqueued document tasks, byte for byte
    ├── batches/queue.jsonl        batch records
    └── indexes/<uid>/metadata.json   {uid, primaryKey, createdAt, updatedAt}
                      settings.json   stored settings
                      documents.jsonl documents in internal-id order

    >>> uid = create_dump(store, Path("dumps"), now_ns(), task)          # doctest: +SKIP
    >>> import_dump(Path("dumps") / f"{uid}.dump", Path("restored.ms"))  # doctest: +SKIP

Both directions stream: documents go cursor -> file and file -> writer in chunks, so an index is
never held in memory.  Both are atomic: the dump is written to a temporary file and renamed; an
import builds a temporary database next to ``db_path`` and renames it into place, so a failed
import never leaves a half-built database that the next start would take for a real one.

Consistency: `create_dump` runs inside the worker (a ``dumpCreation`` batch runs alone), so the
index environment cannot change while it reads; the queue is read in one read transaction, and no
update file can disappear meanwhile because only the worker deletes them.
"""
from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson

from ..errors import LoupeError
from ..indexer.apply import IndexWriter
from ..settings import default_settings
from ..store import Store
from ..store.codecs import dumps, index_key, loads, read_u32, u64
from ..store.registry import Registry
from ..tasks.task import ENQUEUED, PROCESSING, SUCCEEDED
from ..tasks.timefmt import format_date, parse_datetime_ns
from .archive import extract_all

DUMP_VERSION = "V6"
DB_VERSION = "1.50.0"
#: gzip level of the tarball.  A dump blocks the worker, so speed wins: on packages.ndjson
#: (52 MiB) level 3 takes 0.9 s for 11 MiB where zlib's default 6 takes 2.3 s for 10 MiB.
DUMP_COMPRESSION_LEVEL = 3
#: Documents handed to `IndexWriter.add_documents` at once on import: bounds memory, while the
#: whole index still lands in one write transaction.
IMPORT_CHUNK_DOCUMENTS = 10_000
#: Documents after which the import flushes the indexers' in-memory deltas (a new `IndexWriter`,
#: same transaction).  The word indexer buffers a batch's postings until `finish`, so one flush
#: per index would need memory in proportion to the index; on packages.ndjson (63,666 docs)
#: flushing every 20,000 costs ~15% time (59 s vs 52 s) and halves the peak RSS (540 vs 990 MiB).
IMPORT_FLUSH_DOCUMENTS = 20_000
FEATURES_KEY = b"experimental-features"

IndexersFor = Callable[..., Any]


# -- names -------------------------------------------------------------------------------------

def dump_uid_for(now_ns: int) -> str:
    """``YYYYMMDD-HHMMSSmmm`` in UTC, Meilisearch's dump uid.

    >>> dump_uid_for(1_737_045_916_003_570_092)
    '20250116-164516003'
    """
    seconds, frac = divmod(now_ns, 1_000_000_000)
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime(seconds)) + f"{frac // 1_000_000:03d}"


# -- export ------------------------------------------------------------------------------------

def create_dump(store: Store, dump_dir: Path, now_ns: int, current_task: dict[str, Any]) -> str:
    """Write ``<dump_dir>/<dumpUid>.dump`` and return the dumpUid.

    ``current_task`` is the running ``dumpCreation`` task.  Like Meilisearch, the dump records it
    as already ``succeeded`` (with its dumpUid), so that an instance built from the dump does not
    create the dump again; its batch is recorded as finished for the same reason.
    """
    dump_dir = Path(dump_dir)
    dump_dir.mkdir(parents=True, exist_ok=True)
    uid = dump_uid_for(now_ns)
    staging = Path(tempfile.mkdtemp(prefix=f".{uid}.", dir=dump_dir))
    try:
        _write_json(staging / "metadata.json",
                    {"dumpVersion": DUMP_VERSION, "dbVersion": DB_VERSION, "dumpDate": format_date(now_ns)})
        _export_queue(store, staging, now_ns, current_task, uid)
        _export_indexes(store, staging)
        _pack(staging, dump_dir / f"{uid}.dump")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return uid


def _export_queue(store: Store, out: Path, now_ns: int, current: dict[str, Any], dump_uid: str) -> None:
    (out / "tasks" / "update_files").mkdir(parents=True)
    (out / "batches").mkdir()
    with store.queue_env.begin() as txn:
        with open(out / "keys.jsonl", "wb") as f:
            for key, raw in txn.cursor(store.q["keys"]):
                if not key.startswith(b"\x00"):  # the key store's version counter is no key
                    f.write(_line(loads(raw)))
        with open(out / "tasks" / "queue.jsonl", "wb") as f:
            for _key, raw in txn.cursor(store.q["tasks"]):
                task = loads(raw)
                if task["uid"] == current["uid"]:
                    task = _as_succeeded(task, current, now_ns, dump_uid)
                elif task["status"] in (ENQUEUED, PROCESSING):
                    _copy_update_file(store, task, out / "tasks" / "update_files")
                f.write(_line(task))
        with open(out / "batches" / "queue.jsonl", "wb") as f:
            for _key, raw in txn.cursor(store.q["batches"]):
                batch = loads(raw)
                if batch.get("finishedAt") is None:
                    if batch["uid"] != current.get("batchUid"):
                        continue  # an interrupted batch: start-up recovery would drop it anyway
                    batch = _batch_as_succeeded(batch, now_ns, dump_uid)
                f.write(_line(batch))
        features: dict[str, Any] = {}
        others: dict[str, Any] = {}
        for key, raw in txn.cursor(store.q["meta"]):
            if bytes(key) == FEATURES_KEY:
                features = loads(raw)
            else:
                others[bytes(key).decode()] = loads(raw)
    _write_json(out / "experimental-features.json", features)
    _write_json(out / "instance-meta.json", others)


def _as_succeeded(task: dict[str, Any], current: dict[str, Any], now_ns: int, dump_uid: str) -> dict[str, Any]:
    return {**task, "status": SUCCEEDED, "details": {"dumpUid": dump_uid}, "error": None,
            "startedAt": current.get("startedAt") or task.get("startedAt") or now_ns, "finishedAt": now_ns}


def _batch_as_succeeded(batch: dict[str, Any], now_ns: int, dump_uid: str) -> dict[str, Any]:
    stats = dict(batch.get("stats") or {})
    stats["status"] = {SUCCEEDED: stats.get("totalNbTasks", 1)}
    stats["progressTrace"] = {}  # timed once the dump is written, after this copy of it
    # The worker writes the strategy when the batch ends; a dump always runs alone (tasks.md §7.1).
    strategy = batch.get("batchStrategy") or (
        f"created batch containing only task with id {batch.get('_tasks', ['?'])[0]} of type `dumpCreation` "
        "that cannot be batched with any other task.")
    return {**batch, "stats": stats, "details": {"dumpUid": dump_uid}, "finishedAt": now_ns,
            "batchStrategy": strategy}


def _copy_update_file(store: Store, task: dict[str, Any], into: Path) -> None:
    name = (task.get("op") or {}).get("file")
    if not name:
        return
    try:
        shutil.copyfile(store.update_files / name, into / name)
    except FileNotFoundError:
        pass  # already broken before the dump: the task will fail the same way after import


def _export_indexes(store: Store, out: Path) -> None:
    registry = Registry(store)
    documents = store.i["documents"]
    with store.index_env.begin() as txn:
        for record in registry.all(txn):
            folder = out / "indexes" / record["uid"]
            folder.mkdir(parents=True)
            _write_json(folder / "metadata.json", {
                "uid": record["uid"], "primaryKey": record["primaryKey"],
                "createdAt": format_date(record["createdAt"]), "updatedAt": format_date(record["updatedAt"]),
            })
            settings = registry.get_meta(txn, record["iid"], "settings")
            _write_json(folder / "settings.json", settings)
            prefix = index_key(record["iid"])
            embedders = bool((settings or {}).get("embedders"))
            with open(folder / "documents.jsonl", "wb") as f:
                cursor = txn.cursor(documents)
                if cursor.set_range(prefix):
                    for key, raw in cursor:
                        if key[:4] != prefix:
                            break
                        if embedders:  # the embeddings live in the vectors table: back into `_vectors`
                            raw = _with_vectors(store, txn, record["iid"], settings, read_u32(key, 4), raw)
                        f.write(raw)  # stored as compact orjson: one line, no re-encoding
                        f.write(b"\n")


def _with_vectors(store: Store, txn: Any, iid: int, settings: dict[str, Any], docid: int, raw: bytes) -> bytes:
    """A document as a dump holds it: `_vectors` with every configured embedder's embeddings, in the
    shape `retrieveVectors` shows (re-parsed on import)."""
    from ..vectors.view import with_vectors
    return orjson.dumps(with_vectors(store, txn, iid, settings, docid, orjson.loads(raw)))


def _pack(staging: Path, target: Path) -> None:
    """Tar+gzip ``staging``'s children at the archive root (metadata first) into ``target``."""
    members = [staging / "metadata.json"] + [c for c in sorted(staging.iterdir()) if c.name != "metadata.json"]
    write_archive(target, members, "w:gz", compresslevel=DUMP_COMPRESSION_LEVEL)


def write_archive(target: Path, members: list[Path], mode: str, **options: Any) -> None:
    """Write a tar of ``members`` (at the archive root) next to ``target``, fsync, rename into place:
    a reader never sees a half-written dump or snapshot."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode=mode, **options) as tar:
                for member in members:
                    tar.add(member, arcname=member.name)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, target)
    except BaseException:
        _unlink(Path(tmp))
        raise
    _fsync_dir(target.parent)


# -- import ------------------------------------------------------------------------------------

def import_dump(dump_path: Path, db_path: Path, indexers_for: IndexersFor | None = None) -> None:
    """Build a fresh database at ``db_path`` from a dump made by `create_dump`.

    Task uids, batch uids, keys and features are restored as they were; tasks caught
    ``processing`` come back ``enqueued`` with their payloads.  Every index is rebuilt through
    `IndexWriter` in one write transaction (flushed every `IMPORT_FLUSH_DOCUMENTS`), with
    ``indexers_for(store, txn, record)`` supplying extra indexers exactly as the worker's hook does.
    """
    dump_path, db_path = Path(dump_path), Path(db_path)
    if _has_entries(db_path):
        raise LoupeError("invalid_state", f"Cannot import a dump into `{db_path}`: a database already exists there.")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{db_path.name}.import-", dir=db_path.parent))
    try:
        dump = _DumpReader(dump_path, work / "dump")
        store = Store(work / "db")
        try:
            _import_queue(store, dump)
            _import_indexes(store, dump, indexers_for)
            store.queue_env.sync(True)
            store.index_env.sync(True)
        finally:
            store.close()
        if db_path.exists():
            db_path.rmdir()  # empty (checked above): the rename needs the name free
        os.replace(work / "db", db_path)
        _fsync_dir(db_path.parent)
    finally:
        shutil.rmtree(work, ignore_errors=True)


class _DumpReader:
    """An extracted dump; every read error names the dump and the file inside it."""

    def __init__(self, path: Path, into: Path):
        self.path, self.root = path, into
        if not path.is_file():
            raise LoupeError("invalid_state", f"The dump file `{path}` does not exist.")
        try:
            with tarfile.open(path, mode="r:*") as tar:
                extract_all(tar, into)  # refuses absolute paths, `..`, links out, devices
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise self.corrupted(str(exc)) from exc
        metadata = self.json("metadata.json")
        if not isinstance(metadata, dict) or "dumpVersion" not in metadata:
            raise self.corrupted("`metadata.json` has no `dumpVersion`")
        if metadata["dumpVersion"] != DUMP_VERSION:
            raise LoupeError("invalid_state", f"The dump file `{path}` has version `{metadata['dumpVersion']}`; "
                                              f"only `{DUMP_VERSION}` dumps can be imported.")

    def corrupted(self, why: str) -> LoupeError:
        return LoupeError("invalid_state", f"The dump file `{self.path}` is corrupted or not a Loupe dump: {why}")

    def json(self, name: str, default: Any = ...) -> Any:
        path = self.root / name
        if not path.is_file():
            if default is not ...:
                return default
            raise self.corrupted(f"`{name}` is missing")
        try:
            return orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise self.corrupted(f"`{name}` is not valid JSON ({exc})") from exc

    def jsonl(self, name: str, required: bool = True) -> Iterator[dict[str, Any]]:
        """Objects of a JSON-lines file, one line in memory at a time."""
        path = self.root / name
        if not path.is_file():
            if required:
                raise self.corrupted(f"`{name}` is missing")
            return
        with open(path, "rb") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    value = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise self.corrupted(f"line {number} of `{name}` is not valid JSON ({exc})") from exc
                if not isinstance(value, dict):
                    raise self.corrupted(f"line {number} of `{name}` is not an object")
                yield value

    def field(self, record: dict[str, Any], key: str, kind: type) -> Any:
        value = record.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise self.corrupted(f"a record has no {kind.__name__} `{key}`: {orjson.dumps(record)[:200]!r}")
        return value

    def date(self, metadata: dict[str, Any], key: str) -> int:
        value = metadata.get(key)
        ns = parse_datetime_ns(value) if isinstance(value, str) else None
        if ns is None:
            raise self.corrupted(f"index `{metadata.get('uid')}` has an invalid `{key}`: {value!r}")
        return ns


def _import_queue(store: Store, dump: _DumpReader) -> None:
    q = store.q
    with store.queue_env.begin(write=True) as txn:
        for record in dump.jsonl("keys.jsonl"):
            txn.put(dump.field(record, "uid", str).encode(), dumps(record), db=q["keys"])
        for task in dump.jsonl("tasks/queue.jsonl"):
            uid = dump.field(task, "uid", int)
            if task.get("status") in (ENQUEUED, PROCESSING):
                task.update(status=ENQUEUED, batchUid=None, startedAt=None, finishedAt=None)
                _restore_update_file(store, dump, task)
            txn.put(u64(uid), dumps(task), db=q["tasks"])
        for batch in dump.jsonl("batches/queue.jsonl"):
            txn.put(u64(dump.field(batch, "uid", int)), dumps(batch), db=q["batches"])
        features = dump.json("experimental-features.json", default={})
        if features:
            txn.put(FEATURES_KEY, dumps(features), db=q["meta"])
        for key, value in dump.json("instance-meta.json", default={}).items():
            txn.put(key.encode(), dumps(value), db=q["meta"])


def _restore_update_file(store: Store, dump: _DumpReader, task: dict[str, Any]) -> None:
    name = (task.get("op") or {}).get("file")
    if not name:
        return
    if not isinstance(name, str) or Path(name).name != name:
        raise dump.corrupted(f"task {task['uid']} names the update file {name!r}")
    source = dump.root / "tasks" / "update_files" / name
    if source.is_file():
        os.replace(source, store.update_files / name)


def _import_indexes(store: Store, dump: _DumpReader, indexers_for: IndexersFor | None) -> None:
    folder = dump.root / "indexes"
    entries = []
    for child in (folder.iterdir() if folder.is_dir() else ()):
        metadata = dump.json(f"indexes/{child.name}/metadata.json")
        if not isinstance(metadata, dict) or metadata.get("uid") != child.name:
            raise dump.corrupted(f"`indexes/{child.name}/metadata.json` does not describe `{child.name}`")
        entries.append((dump.date(metadata, "createdAt"), child.name, metadata))
    entries.sort(key=lambda e: (e[0], e[1]))  # internal ids in creation order, as the original got them
    registry = Registry(store)
    for created_at, uid, metadata in entries:
        primary_key = metadata.get("primaryKey")
        stored = dump.json(f"indexes/{uid}/settings.json", default={})
        settings = {**default_settings(), **stored}  # a setting newer than the dump gets its default
        with store.index_env.begin(write=True) as txn:
            record = registry.create(txn, uid, primary_key, created_at)
            # Settings land before the writer and its indexers exist, so every document is indexed
            # once, under its final settings, with no reindex afterwards.
            registry.put_meta(txn, record["iid"], "settings", settings)
            updated_at = dump.date(metadata, "updatedAt")
            writer, pending = _writer(store, txn, registry, record, indexers_for), 0
            for chunk in _chunks(dump.jsonl(f"indexes/{uid}/documents.jsonl", required=False)):
                if pending >= IMPORT_FLUSH_DOCUMENTS:
                    writer.finish(updated_at)
                    writer, pending = _writer(store, txn, registry, record, indexers_for), 0
                writer.add_documents(chunk, "replace", primary_key)
                pending += len(chunk)
            writer.finish(updated_at)


def _writer(store: Store, txn: Any, registry: Registry, record: dict[str, Any],
            indexers_for: IndexersFor | None) -> IndexWriter:
    indexers = indexers_for(store, txn, record) if indexers_for else ()
    return IndexWriter(store, txn, registry, record, indexers=indexers)


def _chunks(documents: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for document in documents:
        chunk.append(document)
        if len(chunk) >= IMPORT_CHUNK_DOCUMENTS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# -- CLI semantics -----------------------------------------------------------------------------

def should_import(db_path: Path, import_path: Path, ignore_missing: bool, ignore_if_db_exists: bool,
                  *, kind: str = "dump") -> bool:
    """Whether start-up must import ``import_path`` (cli-config.md §3, Meilisearch's order of checks).

    * empty/absent database and the file exists       -> True (import it);
    * a database exists and not ``ignore_if_db_exists`` -> error, even if the file is missing;
    * the file is missing and not ``ignore_missing``    -> error;
    * otherwise                                         -> False (start on the existing/new database).

    ``kind`` ("dump" or "snapshot") only words the messages.
    """
    db_path, import_path = Path(db_path), Path(import_path)
    empty_db = not _has_entries(db_path)
    exists = import_path.exists()
    if empty_db and exists:
        return True
    if not empty_db and not ignore_if_db_exists:
        raise LoupeError("invalid_state", f"database already exists at \"{db_path.resolve()}\", "
                                          "try to delete it or rename it")
    if not exists and not ignore_missing:
        raise LoupeError("invalid_state", f"{kind} doesn't exist at \"{import_path}\"")
    return False


# -- small helpers -----------------------------------------------------------------------------

def _has_entries(path: Path) -> bool:
    """A database "exists" when its directory has anything in it (Meilisearch's `is_empty_db`)."""
    try:
        return path.is_dir() and any(path.iterdir())
    except OSError:
        return False


def _line(value: Any) -> bytes:
    return orjson.dumps(value) + b"\n"


def _write_json(path: Path, value: Any) -> None:
    path.write_bytes(orjson.dumps(value))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


__all__ = ["create_dump", "import_dump", "should_import", "dump_uid_for", "DUMP_VERSION", "DB_VERSION"]
