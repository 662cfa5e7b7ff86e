"""A generating embedder through the official client against a real `loupe` process: the worker
process embeds documents through a `rest` embedder on loopback, the server process embeds queries
(hybrid.md §1, §4.4; tasks.md §6).

Properties:
1. Added documents come back with the server's vectors (`retrieveVectors`, `regenerate: true`),
   though the settings give no `dimensions`; the batch counts its embedder requests.
2. `search` with `hybrid` embeds `q` through the same server; `get_similar_documents` reads the
   generated embeddings.
"""
from __future__ import annotations

import pytest
from embedding_server import EmbeddingServer, vec

DOCS = [{"id": 1, "name": "kefir"}, {"id": 2, "name": "banana"}, {"id": 3, "name": "papaya"}]


@pytest.fixture
def embedding_server():
    s = EmbeddingServer()
    yield s
    s.close()


def test_rest_embedder_end_to_end(fresh_server, embedding_server):
    server = fresh_server(extra=["--experimental-allowed-ip-networks", "127.0.0.0/8"])
    client = server.client()
    index = client.index("food")
    task = client.wait_for_task(index.update_settings({"embedders": {"rest": {
        "source": "rest", "url": embedding_server.url + "/rest", "request": {"input": "{{text}}"},
        "response": {"embedding": "{{embedding}}"}, "documentTemplate": "{{doc.name}}"}}}).task_uid)
    assert task.status == "succeeded", task.error
    task = client.wait_for_task(index.add_documents(DOCS, primary_key="id").task_uid)
    assert task.status == "succeeded", task.error
    documents = index.get_documents({"retrieveVectors": True}).results
    assert {doc.id: dict(doc)["_vectors"]["rest"] for doc in documents} == {
        d["id"]: {"embeddings": [vec(d["name"])], "regenerate": True} for d in DOCS}
    batch = client.get_batches({"limit": 1}).results[0]  # the newest: the documents' batch
    assert batch.stats["types"] == {"documentAdditionOrUpdate": 1}
    assert batch.stats["embedderRequests"] == {"total": 3, "failed": 0}

    result = index.search("banana", {"hybrid": {"embedder": "rest", "semanticRatio": 1.0},
                                     "retrieveVectors": True, "attributesToRetrieve": ["id"]})
    assert result["queryVector"] == vec("banana") and result["hits"][0]["id"] == 2
    assert embedding_server.texts("/rest")[-1] == "banana"
    similar = index.get_similar_documents({"id": 2, "embedder": "rest"})
    assert [hit["id"] for hit in similar["hits"]] == [3, 1]
