"""Embedders that generate embeddings, through the `engine.embedders` interface (built on another
branch: `make_embedder(name, config)` with `render`, `embed_documents`, `embed_query`), here a fake
one installed in `sys.modules` — the wiring is what is tested, not an embedder.

Properties:
1. Documents without `_vectors` for a generating embedder are embedded from their rendered text, in
   batches, and stored with `regenerate: true`; given vectors are kept as given.
2. A replaced document whose rendered text did not change is not embedded again; a changed one is.
3. An embedding failure fails the task with `vector_embedding_error` and the embedder's message.
4. A semantic search without `vector` embeds `q` with `embed_query`.
5. A new generating embedder embeds the documents already there; changing searchableAttributes
   embeds again (user-provided vectors are never replaced).
"""
import sys
import types

import pytest

from engine.engine import Engine
from support import index_documents


class FakeError(Exception):
    pass


class FakeEmbedder:
    calls: list[list[str]] = []

    def __init__(self, name, config):
        self.dimensions = 2

    def render(self, document, searchable):
        return f"name: {document.get('name')}\n"

    def embed_documents(self, texts):
        FakeEmbedder.calls.append(list(texts))
        if any("boom" in t for t in texts):
            raise FakeError("error: received unexpected HTTP 404 from embedding server")
        return [[float(len(t)), 1.0] for t in texts]

    def embed_query(self, text):
        return [float(len(text)), 1.0]


@pytest.fixture
def engine(tmp_path, monkeypatch):
    module = types.ModuleType("engine.embedders")
    module.make_embedder = FakeEmbedder
    module.EmbeddingError = FakeError
    monkeypatch.setitem(sys.modules, "engine.embedders", module)
    FakeEmbedder.calls = []
    engine = Engine(tmp_path / "db", worker="thread")
    yield engine
    engine.close()


SETTINGS = {"embedders": {"gen": {"source": "ollama", "model": "fake", "dimensions": 2}}}


def vectors(engine, doc_id):
    return engine.index("t").get_document(doc_id, retrieve_vectors=True)["_vectors"]["gen"]


def test_generated_embeddings(engine):
    index_documents(engine, "t", [{"id": 1, "name": "kefir"}, {"id": 2, "name": "intel", "_vectors": {"gen": [3, 4]}}],
                    SETTINGS)
    assert FakeEmbedder.calls == [["name: kefir\n"]]
    assert vectors(engine, "1") == {"embeddings": [[12.0, 1.0]], "regenerate": True}
    assert vectors(engine, "2") == {"embeddings": [[3.0, 4.0]], "regenerate": False}
    # same text: not embedded again; another text: embedded
    done = engine.wait_for_task(engine.add_documents("t", [{"id": 1, "name": "kefir", "age": 3}], primary_key="id")["uid"])
    assert done["status"] == "succeeded" and FakeEmbedder.calls == [["name: kefir\n"]]
    done = engine.wait_for_task(engine.add_documents("t", [{"id": 1, "name": "max"}], primary_key="id")["uid"])
    assert done["status"] == "succeeded" and FakeEmbedder.calls[-1] == ["name: max\n"]
    assert vectors(engine, "1") == {"embeddings": [[10.0, 1.0]], "regenerate": True}


def test_embedding_failure_fails_the_task(engine):
    index_documents(engine, "t", [{"id": 1, "name": "kefir"}], SETTINGS)
    done = engine.wait_for_task(engine.add_documents("t", [{"id": 2, "name": "boom"}], primary_key="id")["uid"])
    assert done["status"] == "failed"
    assert done["error"]["code"] == "vector_embedding_error"
    assert done["error"]["message"] == ("Index `t`: While embedding documents for embedder `gen`: error: received "
                                        "unexpected HTTP 404 from embedding server")


def test_query_embedded(engine):
    index_documents(engine, "t", [{"id": 1, "name": "kefir"}, {"id": 2, "name": "a"}], SETTINGS)
    # "kefir" renders to 12 characters -> [12, 1]; the query "abcdefghijkl" embeds to [12, 1] as well
    body = engine.index("t").search(q="abcdefghijkl", hybrid={"embedder": "gen", "semanticRatio": 1.0},
                                    show_ranking_score=True)
    assert [h["id"] for h in body["hits"]] == [1, 2] and body["hits"][0]["_rankingScore"] == 1.0


def test_settings_changes_embed_again(engine):
    from engine.settings import task_details, validate_settings_patch

    def settings(patch):
        patch = validate_settings_patch(patch)
        return engine.wait_for_task(engine.update_settings("t", patch, task_details(patch))["uid"])

    index_documents(engine, "t", [{"id": 1, "name": "kefir"}, {"id": 2, "name": "intel", "_vectors": {"gen": [3, 4]}}])
    assert settings(SETTINGS)["status"] == "succeeded"  # a new embedder: the documents are embedded
    assert FakeEmbedder.calls == [["name: kefir\n"]]
    assert vectors(engine, "1") == {"embeddings": [[12.0, 1.0]], "regenerate": True}
    assert vectors(engine, "2") == {"embeddings": [[3.0, 4.0]], "regenerate": False}  # taken from the document
    assert settings({"searchableAttributes": ["name"]})["status"] == "succeeded"  # rendering may change
    assert FakeEmbedder.calls[-1] == ["name: kefir\n"] and len(FakeEmbedder.calls) == 2
