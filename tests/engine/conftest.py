"""A tiny-corpus fixture: `make_index(docs, settings)` -> Index, applied through the task queue."""
import pytest

from engine.engine import Engine
from support import index_documents


@pytest.fixture
def make_index(tmp_path):
    engines = []

    def make(docs, settings=None, uid="test"):
        engine = Engine(tmp_path / f"db{len(engines)}")
        engines.append(engine)
        index_documents(engine, uid, docs, settings)
        return engine.index(uid)

    yield make
    for engine in engines:
        engine.close()
