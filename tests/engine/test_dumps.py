"""Dumps: `create_dump` / `import_dump` round trips and the start-up import rules.

Properties proved:

1. A dump is ``<dump_dir>/<YYYYMMDD-HHMMSSmmm>.dump`` (UTC of ``now_ns``), a gzipped tar whose
   ``metadata.json`` comes first and says V6; no temporary file is left beside it.
2. Importing a dump reproduces every index record (uid, iid, primaryKey, createdAt, updatedAt),
   its settings, its documents in internal-id order (nested fields intact), its stats, the API
   keys, the experimental features, other instance metadata, and the tasks and batches.
3. The running dump task is recorded as succeeded with its dumpUid and the given finish time,
   its batch as finished; everything else is recorded as it was.
4. Tasks still enqueued keep their uid and payload, and run after import (a new task takes the
   next uid).
5. The import feeds every document, in order, to the `indexers_for` hook's indexers, and the
   engine's own derived structures are rebuilt: filters answer on the imported index, and
   flushing the writer every few documents gives the same store as one flush.
6. A corrupted, foreign or wrong-version dump fails with a coded message naming the file, and
   leaves nothing at the target path nor beside it.
7. Importing over an existing database is refused; a failed export leaves no file behind.
8. `should_import` follows cli-config.md §3 with Meilisearch's order of checks and messages.
"""
from __future__ import annotations

import io
import tarfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import orjson
import pytest

from engine.backup.dumps import create_dump, dump_uid_for, import_dump, should_import
from engine.engine import Engine
from engine.errors import LoupeError
from engine.settings.features import Features
from engine.store.registry import Registry
from engine.settings import task_details, validate_settings_patch
from engine.store.codecs import dumps, index_key, loads
from engine.tasks.batcher import select_batch
from engine.tasks.task import ENQUEUED
from engine.tasks.worker import Worker
from server.keys import default_keys
from server.keystore import LmdbKeyStore

# -- a small but complete database (also used by test_snapshots.py) ---------------------------
# Two indexes with non-default settings, nested documents and a deleted one (a gap in internal
# ids), API keys, experimental features, an instance-meta entry, succeeded and failed tasks, and
# three enqueued tasks with their payloads, left enqueued by a worker-less engine.

MOVIES = [
    {"id": 1, "title": "Carol", "genres": ["Romance", "Drama"], "meta": {"year": 2015, "cast": {"lead": "Cate"}}},
    {"id": 2, "title": "Wonder Woman", "genres": ["Action"], "meta": {"year": 2017, "cast": {"lead": "Gal"}}},
    {"id": "three", "title": "Life of Pi", "genres": [], "meta": None, "score": 7.9},
    {"id": 4, "title": "Mad Max", "genres": ["Action"], "meta": {"year": 2015}},
]
BOOKS = [{"sku": f"b-{n}", "name": f"Book {n}", "price": n * 1.5, "tags": {"lang": "en", "n": n}} for n in range(25)]
MOVIES_SETTINGS = {"filterableAttributes": ["genres", "meta.year"], "sortableAttributes": ["meta.year"],
                   "rankingRules": ["words", "typo", "sort", "proximity", "attribute", "exactness"],
                   "synonyms": {"wonder": ["marvel"]}, "stopWords": ["of"]}
BOOKS_SETTINGS = {"searchableAttributes": ["name"], "typoTolerance": {"enabled": False}, "distinctAttribute": "sku"}
WEBHOOKS = {"webhooks": [{"uuid": "9f0f6a2e-0000-4000-8000-000000000000", "url": "https://example.com/hook"}]}


def settings_task(engine: Engine, uid: str, body: dict[str, Any]) -> dict[str, Any]:
    patch = validate_settings_patch(body)
    return engine.update_settings(uid, patch, task_details(patch))


def build_source(path: Path) -> Engine:
    engine = Engine(path, worker="thread")
    tasks = [
        settings_task(engine, "movies", MOVIES_SETTINGS),
        engine.add_documents("movies", MOVIES, primary_key="id"),
        engine.create_index("books", primary_key="sku"),
        settings_task(engine, "books", BOOKS_SETTINGS),
        engine.add_documents("books", BOOKS),
        engine.delete_documents("movies", ["2"]),                       # leaves a gap in docids
        engine.add_documents("movies", [{"id": 5, "title": "Paddington", "meta": {"year": 2014}}]),
        engine.delete_index("missing"),                                  # fails: index_not_found
    ]
    for task in tasks:
        engine.wait_for_task(task["uid"])
    engine.close()
    engine = Engine(path, worker="none")
    keys = LmdbKeyStore(engine.store)
    now = datetime(2025, 1, 16, 16, 45, 16, 3000, tzinfo=timezone.utc)
    for record in default_keys(now):
        keys.put(record)
    keys.put({"uid": "5e6c3a0e-1f8d-4ae4-9c53-2a9f3b4a0b1c", "name": "reader", "description": None,
              "actions": ["search", "documents.get"], "indexes": ["movies*"],
              "expiresAt": now + timedelta(days=30), "createdAt": now, "updatedAt": now})
    Features(engine.store).patch({"containsFilter": True, "network": True})
    with engine.store.queue_env.begin(write=True) as txn:
        txn.put(b"webhooks", dumps(WEBHOOKS), db=engine.store.q["meta"])
    engine.add_documents("movies", [{"id": 6, "title": "Arrival", "meta": {"year": 2016}}])
    engine.add_documents("books", [{"sku": "b-1", "name": "Book one, revised"}], method="update")
    settings_task(engine, "movies", {"searchableAttributes": ["title"]})
    return engine


def run_priority_task(engine: Engine, service: str, handler: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """Process the next batch (a dump or snapshot task) exactly as the worker would, then return it."""
    worker = Worker(engine.store, engine.queue, services={service: handler})
    enqueued = [t for t in engine.queue.iter_tasks(reverse=False) if t["status"] == ENQUEUED]
    batch, strategy = select_batch(enqueued)
    assert [t["type"] for t in batch] == [service]
    worker.process(batch, strategy)
    return engine.queue.get(batch[0]["uid"])


def read_state(engine: Engine) -> dict[str, Any]:
    """Everything a dump or snapshot must preserve, read straight from the store."""
    store = engine.store
    registry = Registry(store)
    indexes = {}
    with store.index_env.begin() as txn:
        for record in registry.all(txn):
            stats = registry.get_meta(txn, record["iid"], "stats")
            prefix = index_key(record["iid"])
            docs = []
            cursor = txn.cursor(store.i["documents"])
            if cursor.set_range(prefix):
                for key, raw in cursor:
                    if key[:4] != prefix:
                        break
                    docs.append(loads(raw))
            indexes[record["uid"]] = {
                "record": record,
                "settings": registry.get_meta(txn, record["iid"], "settings"),
                "stats": {k: stats[k] for k in ("numberOfDocuments", "fieldDistribution", "documentBytes")},
                "documents": docs,
            }
    tasks = list(engine.queue.iter_tasks(reverse=False))
    with store.queue_env.begin() as txn:
        batches = [loads(raw) for _k, raw in txn.cursor(store.q["batches"])]
        meta = {bytes(k): loads(v) for k, v in txn.cursor(store.q["meta"])}
    files = {t["op"]["file"]: (store.update_files / t["op"]["file"]).read_bytes()
             for t in tasks if t["status"] == ENQUEUED and t["op"].get("file")}
    return {"indexes": indexes, "tasks": tasks, "batches": batches, "meta": meta, "update_files": files,
            "keys": LmdbKeyStore(store).all(), "features": Features(store).get()}


# -- the dump round trip ---------------------------------------------------------------------

DUMP_NOW = 1_737_045_916_003_570_092  # 2025-01-16T16:45:16.003570092Z


@pytest.fixture(scope="module")
def dumped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("dump")
    source = build_source(base / "source.ms")
    source.queue.enqueue("dumpCreation", None, {"dumpUid": None})
    task = run_priority_task(source, "dumpCreation",
                             lambda t: {"dumpUid": create_dump(source.store, base / "dumps", DUMP_NOW, t)})
    before = read_state(source)
    source.close()
    import_dump(base / "dumps" / f"{task['details']['dumpUid']}.dump", base / "imported.ms")
    imported = Engine(base / "imported.ms", worker="none")
    after = read_state(imported)
    imported.close()
    return {"base": base, "task": task, "before": before, "after": after}


def test_dump_file_name_and_layout(dumped: dict[str, Any]) -> None:
    assert dump_uid_for(DUMP_NOW) == "20250116-164516003"
    assert dumped["task"]["details"] == {"dumpUid": "20250116-164516003"}
    assert sorted(p.name for p in (dumped["base"] / "dumps").iterdir()) == ["20250116-164516003.dump"]
    with tarfile.open(dumped["base"] / "dumps" / "20250116-164516003.dump", "r:gz") as tar:
        names = tar.getnames()
        metadata = orjson.loads(tar.extractfile("metadata.json").read())
    assert names[0] == "metadata.json"
    assert metadata == {"dumpVersion": "V6", "dbVersion": "1.50.0", "dumpDate": "2025-01-16T16:45:16.003570092Z"}
    files = {n for n in names if "update_files/" not in n}
    assert files == {
        "metadata.json", "batches", "batches/queue.jsonl", "experimental-features.json", "instance-meta.json",
        "keys.jsonl", "tasks", "tasks/queue.jsonl", "tasks/update_files", "indexes",
        "indexes/books", "indexes/books/metadata.json", "indexes/books/settings.json", "indexes/books/documents.jsonl",
        "indexes/movies", "indexes/movies/metadata.json", "indexes/movies/settings.json",
        "indexes/movies/documents.jsonl",
    }
    assert len([n for n in names if "update_files/" in n]) == 2  # the two enqueued document tasks


def test_indexes_round_trip(dumped: dict[str, Any]) -> None:
    before, after = dumped["before"]["indexes"], dumped["after"]["indexes"]
    assert after == before
    assert [r["uid"] for r in (after["movies"]["record"], after["books"]["record"])] == ["movies", "books"]
    assert [r["record"]["iid"] for r in (after["movies"], after["books"])] == [0, 1]
    assert [d["id"] for d in after["movies"]["documents"]] == [1, "three", 4, 5]
    assert after["movies"]["documents"][0] == MOVIES[0]
    assert after["books"]["documents"][1] == {"sku": "b-1", "name": "Book 1", "price": 1.5,
                                              "tags": {"lang": "en", "n": 1}}
    assert after["movies"]["settings"]["synonyms"] == {"wonder": ["marvel"]}
    assert after["books"]["record"]["primaryKey"] == "sku"


def test_instance_round_trip(dumped: dict[str, Any]) -> None:
    before, after = dumped["before"], dumped["after"]
    assert after["keys"] == before["keys"] and len(after["keys"]) == 5
    assert after["features"] == before["features"]
    assert after["features"]["containsFilter"] is True and after["features"]["network"] is True
    assert after["meta"] == before["meta"]
    assert after["meta"][b"webhooks"] == WEBHOOKS
    assert after["update_files"] == before["update_files"] and len(after["update_files"]) == 2


def test_tasks_and_batches_round_trip(dumped: dict[str, Any]) -> None:
    before, after = dumped["before"], dumped["after"]
    dump_uid = dumped["task"]["uid"]
    assert [t for t in after["tasks"] if t["uid"] != dump_uid] == [t for t in before["tasks"] if t["uid"] != dump_uid]
    assert [t["status"] for t in after["tasks"]] == ["succeeded"] * 7 + ["failed"] + ["enqueued"] * 3 + ["succeeded"]
    recorded = after["tasks"][-1]
    assert recorded == {**dumped["task"], "finishedAt": DUMP_NOW}
    batch_uid = dumped["task"]["batchUid"]
    assert [b for b in after["batches"] if b["uid"] != batch_uid] == [b for b in before["batches"] if b["uid"] != batch_uid]
    live = before["batches"][-1]  # the dump's own batch: its timings come after the dump was written
    assert list(live["stats"]["progressTrace"]) == ["processing tasks"]
    assert after["batches"][-1] == {**live, "finishedAt": DUMP_NOW,
                                    "stats": {**live["stats"], "progressTrace": {}}}


def test_enqueued_tasks_resume_after_import(dumped: dict[str, Any], tmp_path: Path) -> None:
    dump = dumped["base"] / "dumps" / "20250116-164516003.dump"
    import_dump(dump, tmp_path / "resumed.ms")
    engine = Engine(tmp_path / "resumed.ms", worker="thread")
    try:
        for uid in (8, 9, 10):
            assert engine.wait_for_task(uid)["status"] == "succeeded"
        assert engine.index("movies").get_document("6") == {"id": 6, "title": "Arrival", "meta": {"year": 2016}}
        assert engine.index("books").get_document("b-1")["name"] == "Book one, revised"
        assert engine.index("movies").settings()["searchableAttributes"] == ["title"]
        assert engine.create_index("later")["uid"] == 12
    finally:
        engine.close()


def test_import_feeds_the_indexers_hook(dumped: dict[str, Any], tmp_path: Path) -> None:
    seen: list[tuple[str, Any, int]] = []

    class Recorder:
        def __init__(self, record: dict[str, Any]):
            self.uid = record["uid"]

        def on_change(self, docid: int, old: Any, new: Any) -> None:
            assert old is None
            seen.append((self.uid, new.get("id", new.get("sku")), docid))

        def finish(self) -> None:
            seen.append((self.uid, "finish", -1))

    import_dump(dumped["base"] / "dumps" / "20250116-164516003.dump", tmp_path / "hooked.ms",
                indexers_for=lambda store, txn, record: [Recorder(record)])
    assert seen[:5] == [("movies", 1, 0), ("movies", "three", 1), ("movies", 4, 2), ("movies", 5, 3),
                        ("movies", "finish", -1)]
    assert seen[5:] == [("books", f"b-{n}", n) for n in range(25)] + [("books", "finish", -1)]


def test_filters_answer_on_imported_index(dumped: dict[str, Any], tmp_path: Path) -> None:
    import_dump(dumped["base"] / "dumps" / "20250116-164516003.dump", tmp_path / "filtered.ms")
    engine = Engine(tmp_path / "filtered.ms", worker="none")
    try:
        movies = engine.index("movies")
        with engine.store.index_env.begin() as txn:
            record = movies.record(txn)
            found = {
                f: [d["id"] for d in movies.documents_by_docids(
                    txn, record["iid"], engine.filter_docids(txn, record, f, "invalid_search_filter"))]
                for f in ("meta.year = 2015", "genres = Action", "meta.year < 2015")
            }
    finally:
        engine.close()
    assert found == {"meta.year = 2015": [1, 4], "genres = Action": [4], "meta.year < 2015": [5]}


def test_flush_size_does_not_change_the_result(dumped: dict[str, Any], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.backup.dumps as dumps_module

    monkeypatch.setattr(dumps_module, "IMPORT_CHUNK_DOCUMENTS", 3)
    monkeypatch.setattr(dumps_module, "IMPORT_FLUSH_DOCUMENTS", 2)
    import_dump(dumped["base"] / "dumps" / "20250116-164516003.dump", tmp_path / "small.ms")
    engine = Engine(tmp_path / "small.ms", worker="none")
    try:
        assert read_state(engine)["indexes"] == dumped["after"]["indexes"]
        with engine.store.index_env.begin() as txn:
            postings = {
                name: [(bytes(k), bytes(v)) for k, v in txn.cursor(engine.store.i[name])]
                for name in ("postings", "facets")
            }
    finally:
        engine.close()
    import_dump(dumped["base"] / "dumps" / "20250116-164516003.dump", tmp_path / "whole.ms")
    engine = Engine(tmp_path / "whole.ms", worker="none")
    try:
        with engine.store.index_env.begin() as txn:
            whole = {name: [(bytes(k), bytes(v)) for k, v in txn.cursor(engine.store.i[name])]
                     for name in ("postings", "facets")}
    finally:
        engine.close()
    assert postings == whole and len(whole["postings"]) > 50


# -- failures --------------------------------------------------------------------------------

def _tar_gz(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _assert_nothing_left(tmp_path: Path, kept: set[str]) -> None:
    assert {p.name for p in tmp_path.iterdir()} == kept


def test_not_a_dump(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.dump"
    bogus.write_bytes(b"definitely not a tarball")
    with pytest.raises(LoupeError) as err:
        import_dump(bogus, tmp_path / "db.ms")
    assert err.value.code == "invalid_state"
    assert err.value.message.startswith(f"The dump file `{bogus}` is corrupted or not a Loupe dump: ")
    _assert_nothing_left(tmp_path, {"bogus.dump"})


def test_wrong_version(tmp_path: Path) -> None:
    dump = _tar_gz(tmp_path / "old.dump", {"metadata.json": b'{"dumpVersion": "V5", "dbVersion": "1.2.0"}'})
    with pytest.raises(LoupeError) as err:
        import_dump(dump, tmp_path / "db.ms")
    assert err.value.message == f"The dump file `{dump}` has version `V5`; only `V6` dumps can be imported."
    _assert_nothing_left(tmp_path, {"old.dump"})


def test_missing_part(tmp_path: Path) -> None:
    dump = _tar_gz(tmp_path / "partial.dump", {"metadata.json": b'{"dumpVersion": "V6"}', "keys.jsonl": b""})
    with pytest.raises(LoupeError) as err:
        import_dump(dump, tmp_path / "db.ms")
    assert err.value.message == (f"The dump file `{dump}` is corrupted or not a Loupe dump: "
                                 "`tasks/queue.jsonl` is missing")
    _assert_nothing_left(tmp_path, {"partial.dump"})


def test_bad_json_line(tmp_path: Path) -> None:
    dump = _tar_gz(tmp_path / "bad.dump", {"metadata.json": b'{"dumpVersion": "V6"}', "keys.jsonl": b"",
                                           "tasks/queue.jsonl": b'{"uid": 0}\n[1]\n'})
    with pytest.raises(LoupeError) as err:
        import_dump(dump, tmp_path / "db.ms")
    assert err.value.message == (f"The dump file `{dump}` is corrupted or not a Loupe dump: "
                                 "line 2 of `tasks/queue.jsonl` is not an object")


def test_escaping_member_refused(tmp_path: Path) -> None:
    dump = _tar_gz(tmp_path / "evil.dump", {"metadata.json": b'{"dumpVersion": "V6"}', "../escaped": b"x"})
    with pytest.raises(LoupeError) as err:
        import_dump(dump, tmp_path / "sub" / "db.ms")
    assert err.value.message.startswith(f"The dump file `{dump}` is corrupted or not a Loupe dump: ")
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "sub" / "escaped").exists()


def test_missing_dump_file(tmp_path: Path) -> None:
    with pytest.raises(LoupeError) as err:
        import_dump(tmp_path / "nope.dump", tmp_path / "db.ms")
    assert err.value.message == f"The dump file `{tmp_path / 'nope.dump'}` does not exist."
    _assert_nothing_left(tmp_path, set())


def test_import_refuses_existing_database(dumped: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "db.ms").mkdir()
    (tmp_path / "db.ms" / "queue").mkdir()
    with pytest.raises(LoupeError) as err:
        import_dump(dumped["base"] / "dumps" / "20250116-164516003.dump", tmp_path / "db.ms")
    assert err.value.message == f"Cannot import a dump into `{tmp_path / 'db.ms'}`: a database already exists there."
    assert [p.name for p in (tmp_path / "db.ms").iterdir()] == ["queue"]


def test_import_into_empty_directory(dumped: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "db.ms").mkdir()
    import_dump(dumped["base"] / "dumps" / "20250116-164516003.dump", tmp_path / "db.ms")
    assert sorted(p.name for p in (tmp_path / "db.ms").iterdir()) == ["indexes", "queue", "update_files"]


# -- start-up rules (cli-config.md §3) --------------------------------------------------------

def test_should_import(tmp_path: Path) -> None:
    dump = tmp_path / "x.dump"
    dump.write_bytes(b"")
    empty, full, missing = tmp_path / "empty.ms", tmp_path / "full.ms", tmp_path / "missing.dump"
    empty.mkdir()
    full.mkdir()
    (full / "queue").mkdir()
    assert should_import(tmp_path / "absent.ms", dump, False, False) is True
    assert should_import(empty, dump, False, False) is True
    assert should_import(full, dump, False, True) is False
    assert should_import(empty, missing, True, False) is False
    assert should_import(full, missing, True, True) is False
    with pytest.raises(LoupeError) as err:
        should_import(full, dump, True, False)
    assert err.value.message == f'database already exists at "{full.resolve()}", try to delete it or rename it'
    with pytest.raises(LoupeError) as err:
        should_import(full, missing, False, False)  # the database check comes first, as in Meilisearch
    assert err.value.message == f'database already exists at "{full.resolve()}", try to delete it or rename it'
    with pytest.raises(LoupeError) as err:
        should_import(empty, missing, False, False)
    assert err.value.message == f'dump doesn\'t exist at "{missing}"'
    with pytest.raises(LoupeError) as err:
        should_import(full, missing, False, True, kind="snapshot")
    assert err.value.message == f'snapshot doesn\'t exist at "{missing}"'


def test_failed_dump_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.backup.dumps as dumps_module

    engine = Engine(tmp_path / "db.ms", worker="thread")
    try:
        engine.wait_for_task(engine.add_documents("a", [{"id": 1}])["uid"])

        def broken(store: Any, out: Path) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(dumps_module, "_export_indexes", broken)
        with pytest.raises(OSError, match="disk full"):
            create_dump(engine.store, tmp_path / "dumps", DUMP_NOW, {"uid": 99})
    finally:
        engine.close()
    assert list((tmp_path / "dumps").iterdir()) == []
