"""Running out of room (engine/store/space.py): Meilisearch's errors, never `internal`.

Properties:
1. A full LMDB map is `database_size_limit_reached`; ENOSPC (and an I/O error on a full
   filesystem) is `no_space_left_on_device`; any other failure is none of them.
2. A payload that cannot be written is refused with that error and leaves no partial file.
3. A batch that does not fit in the map fails its tasks with `database_size_limit_reached`;
   searches go on, and once the store is reopened with a larger map the next write succeeds.
"""
import errno

import lmdb
import pytest

from engine.engine import Engine
from engine.errors import LoupeError
from engine.store import space
from engine.store.space import space_error

NO_SPACE = {"message": "There is no more space left on the device. Consider increasing the size of the disk/partition.",
            "code": "no_space_left_on_device", "type": "system",
            "link": "https://docs.meilisearch.com/errors#no_space_left_on_device"}
MAP_FULL = {"message": "Maximum database size has been reached.", "code": "database_size_limit_reached",
            "type": "internal", "link": "https://docs.meilisearch.com/errors#database_size_limit_reached"}


# 1 -------------------------------------------------------------------------------------------------

def test_classification(tmp_path, monkeypatch):
    assert space_error(lmdb.MapFullError("mdb_put: MDB_MAP_FULL"), tmp_path).to_json() == MAP_FULL
    assert space_error(OSError(errno.ENOSPC, "No space left on device"), tmp_path).to_json() == NO_SPACE
    assert space_error(lmdb.Error("mdb_txn_commit: No space left on device"), tmp_path).to_json() == NO_SPACE
    assert space_error(OSError(errno.EACCES, "Permission denied"), tmp_path) is None
    assert space_error(ValueError("boom"), tmp_path) is None
    io_error = lmdb.Error("mdb_txn_commit: Input/output error")
    assert space_error(io_error, tmp_path) is None  # this disk has room: a real I/O error
    monkeypatch.setattr(space, "_free_bytes", lambda path: 4096)
    assert space_error(io_error, tmp_path).to_json() == NO_SPACE


# 2 -------------------------------------------------------------------------------------------------

def test_a_payload_that_does_not_fit_is_refused(tmp_path, monkeypatch):
    engine = Engine(tmp_path / "db", worker="none")
    real_open = open

    class FullFile:
        def __init__(self, path, mode):
            self.inner = real_open(path, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.inner.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("builtins.open", lambda path, mode="r", *a, **k: FullFile(path, mode) if "w" in mode
                        else real_open(path, mode, *a, **k))
    try:
        with pytest.raises(LoupeError) as raised:
            engine.add_documents("full", [{"id": 1}], primary_key="id")
        assert raised.value.to_json() == NO_SPACE and raised.value.status == 422
        monkeypatch.undo()
        assert list(engine.store.update_files.iterdir()) == []
        assert engine.queue.get(0) is None  # nothing was enqueued
    finally:
        engine.close()


# 3 -------------------------------------------------------------------------------------------------

def test_a_batch_that_does_not_fit_the_map_fails_with_the_size_error(tmp_path, monkeypatch):
    monkeypatch.setenv("LOUPE_INDEX_MAP_SIZE", str(4 << 20))
    engine = Engine(tmp_path / "db", worker="thread")
    try:
        small = engine.wait_for_task(engine.add_documents("books", [{"id": 0, "title": "a small book"}],
                                                          primary_key="id")["uid"])
        assert small["status"] == "succeeded"
        text = "".join(chr(97 + (i * 7919) % 26) + (" " if i % 9 == 0 else "") for i in range(600))
        big = engine.wait_for_task(engine.add_documents(
            "books", [{"id": i, "title": f"{text} {i}"} for i in range(1, 20_000)])["uid"], timeout=120)
        assert big["status"] == "failed" and big["error"] == MAP_FULL
        assert engine.index("books").search(q="small")["hits"] == [{"id": 0, "title": "a small book"}]
    finally:
        engine.close()
    monkeypatch.setenv("LOUPE_INDEX_MAP_SIZE", str(64 << 20))
    engine = Engine(tmp_path / "db", worker="thread")
    try:
        again = engine.wait_for_task(engine.add_documents("books", [{"id": 1, "title": "another"}])["uid"])
        assert again["status"] == "succeeded"
        assert engine.index("books").search(q="another")["estimatedTotalHits"] == 1
    finally:
        engine.close()
