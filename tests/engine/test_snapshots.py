"""Snapshots: `create_snapshot` / `import_snapshot` round trips.

Properties proved:

1. A snapshot is ``<snapshot_dir>/<db dir name>.snapshot``, an uncompressed tar holding
   ``snapshot.json`` first, both environments and the payloads of the enqueued tasks only; no
   temporary file is left beside it, and a second snapshot replaces the first.
2. Restoring it reproduces the store exactly — index records, settings, documents in order,
   stats, keys, features, instance metadata, tasks, batches, payloads — except that the running
   ``snapshotCreation`` task and its batch are absent (as in Meilisearch, so the restored
   instance does not snapshot again).
3. The restored database runs its enqueued tasks, and a restored index is searchable through
   the engine (documents readable by id).
4. A corrupted or foreign snapshot fails with a coded message naming the file, leaving nothing
   behind; restoring over an existing database is refused.
"""
from __future__ import annotations

import importlib.util
import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

from engine.engine import Engine
from engine.errors import LoupeError
from engine.backup.snapshots import create_snapshot, import_snapshot

# The sample database and state reader live in test_dumps.py (pytest runs with
# --import-mode=importlib, so test modules are not importable by name).
_spec = importlib.util.spec_from_file_location("_loupe_test_dumps", Path(__file__).with_name("test_dumps.py"))
assert _spec is not None and _spec.loader is not None
_dumps = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_dumps)
build_source, read_state, run_priority_task = _dumps.build_source, _dumps.read_state, _dumps.run_priority_task


@pytest.fixture(scope="module")
def snapped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("snapshot")
    source = build_source(base / "data.ms")
    source.queue.enqueue("snapshotCreation", None, None)
    paths: list[Path] = []
    task = run_priority_task(source, "snapshotCreation",
                             lambda t: paths.append(create_snapshot(source.store, base / "snapshots", "data.ms")))
    before = read_state(source)
    source.close()
    import_snapshot(paths[0], base / "restored.ms")
    restored = Engine(base / "restored.ms", worker="none")
    after = read_state(restored)
    restored.close()
    return {"base": base, "task": task, "path": paths[0], "before": before, "after": after}


def test_snapshot_file_and_layout(snapped: dict[str, Any]) -> None:
    assert snapped["task"]["status"] == "succeeded"
    assert snapped["path"] == snapped["base"] / "snapshots" / "data.ms.snapshot"
    assert [p.name for p in (snapped["base"] / "snapshots").iterdir()] == ["data.ms.snapshot"]
    with tarfile.open(snapped["path"], "r:") as tar:  # "r:" = refuses compressed input
        names = tar.getnames()
    assert names[0] == "snapshot.json"
    assert {n for n in names if not n.startswith("update_files/")} == {
        "snapshot.json", "indexes", "indexes/data.mdb", "queue", "queue/data.mdb", "update_files"}
    enqueued_files = {f"update_files/{name}" for name in snapped["before"]["update_files"]}
    assert {n for n in names if n.startswith("update_files/")} == enqueued_files and len(enqueued_files) == 2


def test_restore_reproduces_the_store(snapped: dict[str, Any]) -> None:
    before, after = snapped["before"], snapped["after"]
    for part in ("indexes", "keys", "features", "meta", "update_files"):
        assert after[part] == before[part], part
    assert [d["id"] for d in after["indexes"]["movies"]["documents"]] == [1, "three", 4, 5]


def test_running_snapshot_task_is_left_out(snapped: dict[str, Any]) -> None:
    before, after = snapped["before"], snapped["after"]
    task = snapped["task"]
    assert after["tasks"] == [t for t in before["tasks"] if t["uid"] != task["uid"]]
    assert after["batches"] == [b for b in before["batches"] if b["uid"] != task["batchUid"]]
    assert [t["status"] for t in after["tasks"]] == ["succeeded"] * 7 + ["failed"] + ["enqueued"] * 3


def test_restored_database_runs(snapped: dict[str, Any], tmp_path: Path) -> None:
    import_snapshot(snapped["path"], tmp_path / "again.ms")
    engine = Engine(tmp_path / "again.ms", worker="thread")
    try:
        for uid in (8, 9, 10):
            assert engine.wait_for_task(uid)["status"] == "succeeded"
        assert engine.index("movies").get_document("6") == {"id": 6, "title": "Arrival", "meta": {"year": 2016}}
        assert engine.index("movies").get_document("1")["meta"] == {"year": 2015, "cast": {"lead": "Cate"}}
        assert engine.index("books").stats()["numberOfDocuments"] == 25
    finally:
        engine.close()


def test_second_snapshot_replaces_the_first(tmp_path: Path) -> None:
    engine = Engine(tmp_path / "db.ms", worker="thread")
    try:
        engine.wait_for_task(engine.add_documents("a", [{"id": 1}])["uid"])
        first = create_snapshot(engine.store, tmp_path / "snaps", "db.ms")
        engine.wait_for_task(engine.add_documents("a", [{"id": 2}])["uid"])
        second = create_snapshot(engine.store, tmp_path / "snaps", "db.ms")
    finally:
        engine.close()
    assert first == second and [p.name for p in (tmp_path / "snaps").iterdir()] == ["db.ms.snapshot"]
    import_snapshot(second, tmp_path / "restored.ms")
    restored = Engine(tmp_path / "restored.ms", worker="none")
    try:
        assert restored.index("a").stats()["numberOfDocuments"] == 2
    finally:
        restored.close()


def test_not_a_snapshot(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.snapshot"
    bogus.write_bytes(b"nope")
    with pytest.raises(LoupeError) as err:
        import_snapshot(bogus, tmp_path / "db.ms")
    assert err.value.code == "invalid_state"
    assert err.value.message.startswith(f"The snapshot file `{bogus}` is corrupted or not a Loupe snapshot: ")
    assert [p.name for p in tmp_path.iterdir()] == ["bogus.snapshot"]


def test_foreign_tar(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.snapshot"
    with tarfile.open(foreign, "w") as tar:
        info = tarfile.TarInfo("snapshot.json")
        data = b'{"format": "something-else"}'
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(LoupeError) as err:
        import_snapshot(foreign, tmp_path / "db.ms")
    assert err.value.message == (f"The snapshot file `{foreign}` is corrupted or not a Loupe snapshot: "
                                 "`snapshot.json` does not name the Loupe snapshot format")
    assert [p.name for p in tmp_path.iterdir()] == ["foreign.snapshot"]


def test_restore_refuses_existing_database(snapped: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "db.ms" / "indexes").mkdir(parents=True)
    with pytest.raises(LoupeError) as err:
        import_snapshot(snapped["path"], tmp_path / "db.ms")
    assert err.value.message == (f"Cannot import a snapshot into `{tmp_path / 'db.ms'}`: "
                                 "a database already exists there.")
    assert [p.name for p in (tmp_path / "db.ms").iterdir()] == ["indexes"]


def test_missing_snapshot(tmp_path: Path) -> None:
    with pytest.raises(LoupeError) as err:
        import_snapshot(tmp_path / "none.snapshot", tmp_path / "db.ms")
    assert err.value.message == f"The snapshot file `{tmp_path / 'none.snapshot'}` does not exist."
