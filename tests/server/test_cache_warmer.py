"""The serving processes' cache warmer (server/app.py `CacheWarmer`) and the queue look-up it uses.

Properties:
1. `TaskQueue.has_pending(uid)`: true while a task of that index is enqueued or processing, false
   for other indexes and once its tasks are finished.
2. A changed index version is not warmed while the index has a task pending (the version is about
   to be replaced); it is warmed, once, when the queue is done with the index.
3. A warm that fails because the server is shutting down (the store closed under it) ends the
   warmer quietly; any other failure is logged and warming goes on.
"""
import logging
import threading

import lmdb

from engine.engine import Engine
from engine.tasks.worker import Worker
from server.app import CacheWarmer


def drain(engine: Engine) -> None:
    worker = Worker(engine.store, engine.queue)
    while worker.tick():
        pass


# 1 -------------------------------------------------------------------------------------------------

def test_has_pending_follows_the_index_tasks(tmp_path):
    engine = Engine(tmp_path / "db", worker="none")
    try:
        assert not engine.queue.has_pending("a")
        engine.add_documents("a", [{"id": 1}], primary_key="id")
        assert engine.queue.has_pending("a") and not engine.queue.has_pending("b")
        engine.add_documents("b", [{"id": 1}], primary_key="id")
        assert engine.queue.has_pending("a") and engine.queue.has_pending("b")
        drain(engine)
        assert not engine.queue.has_pending("a") and not engine.queue.has_pending("b")
    finally:
        engine.close()


# 2 -------------------------------------------------------------------------------------------------

def test_a_version_is_warmed_once_the_index_has_nothing_pending(tmp_path):
    engine = Engine(tmp_path / "db", worker="none")
    try:
        warmer = CacheWarmer(engine)
        engine.add_documents("a", [{"id": 1, "title": "one"}], primary_key="id")
        drain(engine)
        assert warmer.tick() == ["a"]
        assert warmer.tick() == []  # same version: nothing to do
        engine.add_documents("a", [{"id": 2, "title": "two"}], primary_key="id")
        drain(engine)
        engine.add_documents("a", [{"id": 3, "title": "three"}], primary_key="id")
        engine.add_documents("b", [{"id": 1}], primary_key="id")
        assert warmer.tick() == []  # a's new version is about to be replaced; b does not exist yet
        drain(engine)
        assert sorted(warmer.tick()) == ["a", "b"]
        assert warmer.tick() == []
    finally:
        engine.close()


# 3 -------------------------------------------------------------------------------------------------

def test_a_warm_cut_short_by_shutdown_is_not_logged_as_a_failure(tmp_path, caplog):
    engine = Engine(tmp_path / "db", worker="none")
    try:
        warmer = CacheWarmer(engine, interval=0)
        calls = []

        def tick_closed_under_it():
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("unexpected")  # a real failure: logged, warming goes on
            warmer.stop()
            raise lmdb.Error("Attempt to operate on closed/deleted/dropped object.")

        warmer.tick = tick_closed_under_it
        with caplog.at_level(logging.ERROR, logger="loupe.warmer"):
            thread = threading.Thread(target=warmer._run)
            thread.start()
            thread.join(5)
        assert not thread.is_alive() and len(calls) == 2
        assert [r.getMessage() for r in caplog.records if r.name == "loupe.warmer"] == ["cache warming failed"]
    finally:
        engine.close()
