"""A tiny-corpus fixture: `make_index(docs, settings)` -> Index, applied through the task queue."""
import pytest

from engine.engine import Engine
from engine.settings import task_details, validate_settings_patch


@pytest.fixture
def make_index(tmp_path):
    engines = []

    def make(docs, settings=None, uid="test"):
        engine = Engine(tmp_path / f"db{len(engines)}")
        engines.append(engine)
        if settings:
            patch = validate_settings_patch(settings)
            task = engine.update_settings(uid, patch, task_details(patch))
            assert engine.wait_for_task(task["uid"])["status"] == "succeeded"
        task = engine.add_documents(uid, docs, primary_key="id")
        done = engine.wait_for_task(task["uid"])
        assert done["status"] == "succeeded", done["error"]
        return engine.index(uid)

    yield make
    for engine in engines:
        engine.close()

