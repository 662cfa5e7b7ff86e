"""Generating embedders end to end: the real clients of `engine.embedders`, a scripted embedding
server on loopback (tests/embedding_server.py), the engine's worker and the HTTP routes
(hybrid.md §1, §2, §4.4, §5 step 3, "behaviours the tests exercise"; tasks.md §6).

Properties:
1. A `rest` embedder without `dimensions` embeds every added document through its templates;
   the dimensions come from one test embedding and are recorded, so `retrieveVectors` (documents,
   search), index stats, /similar and semantic search all read the embeddings; the batch's
   `stats.embedderRequests` counts the requests (the test embedding is not counted).
2. Semantic and hybrid search embed `q` through the server, once per search.
3. A document whose rendered text did not change is not embedded again (replaced or partially
   updated); a changed one is, alone.
4. Changing `documentTemplate` or `searchableAttributes` re-embeds every document.
5. The remote failing (404, 500 after every retry, a body that is not JSON, wrong dimensions)
   fails the document task with upstream's message and counts in `embedderRequests`; another
   index's task in the queue succeeds.
6. Query embedding failing: hybrid falls back to the keyword hits with `semanticHitCount: 0`;
   semantic-only answers `vector_embedding_error`.
9. While a batch embeds, GET /batches/{uid} shows an embedding step with finished/total.
8. Outgoing-request IP policy: without an allowance a loopback embedding server is refused before
   anything is sent (upstream's resolver error, retried as a network failure), for documents and
   queries alike; `--experimental-allowed-ip-networks` (here `any`) lets it through.
7. `ollama`, `openAi` and `composite` sources through stand-ins of their APIs; `huggingFace` with
   the bundled model (skipped without the optional extra, unless LOUPE_REQUIRE_EMBEDDINGS=1).
"""
from __future__ import annotations

import os
from typing import Any

import pytest
from embedding_server import EmbeddingServer, allow_loopback, vec

import engine.embedders.base as embedders_base
from engine.embedders import RetryPolicy
from engine.engine import Engine
from server.app import create_app

KEY = "generated-embeddings-master-key"
DOCS = [
    {"id": 1, "name": "kefir", "kind": "drink"},
    {"id": 2, "name": "banana", "kind": "fruit"},
    {"id": 3, "name": "apple", "kind": "fruit"},
]
TEMPLATE = "{{doc.name}} is {{doc.kind}}"
TEXTS = {1: "kefir is drink", 2: "banana is fruit", 3: "apple is fruit"}


@pytest.fixture
def server():
    s = EmbeddingServer()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def loopback_allowed(monkeypatch):
    """The scripted server is on loopback: allowed as --experimental-allowed-ip-networks would
    (the tests of the policy itself put their own allowance over this one)."""
    allow_loopback(monkeypatch)


@pytest.fixture(autouse=True)
def no_sleeping_retries(monkeypatch):
    """Upstream's 10 retries and a last attempt, without the waits: tests count attempts."""
    monkeypatch.setattr(embedders_base, "DEFAULT_RETRY", RetryPolicy(retries=10, delay_scale=0.0, timeout=5.0))


@pytest.fixture
def engine(tmp_path):
    engine = Engine(tmp_path / "db", worker="thread")
    yield engine
    engine.close()


@pytest.fixture
async def http(engine, aiohttp_client):
    client = await aiohttp_client(create_app(engine, master_key=KEY))
    client.headers = {"Authorization": f"Bearer {KEY}"}
    return client


def rest(server: EmbeddingServer, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"source": "rest", "url": server.url + "/rest",
                              "request": {"input": "{{text}}", "model": "m"},
                              "response": {"embedding": "{{embedding}}"}, "documentTemplate": TEMPLATE}
    config.update(overrides)
    return config


async def call(http, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    response = await http.request(method, path, json=body, headers=http.headers)
    return response.status, await response.json()


async def task(http, engine: Engine, method: str, path: str, body: Any) -> dict[str, Any]:
    """Enqueue through the route and wait for the task; the finished task as GET /tasks shows it."""
    status, enqueued = await call(http, method, path, body)
    assert status == 202, enqueued
    engine.wait_for_task(enqueued["taskUid"])
    status, done = await call(http, "GET", f"/tasks/{enqueued['taskUid']}")
    return done


async def setup(http, engine: Engine, uid: str, embedder: dict[str, Any], docs: list[dict] = DOCS,
                extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Settings then documents, both required to succeed; the documents task."""
    done = await task(http, engine, "PATCH", f"/indexes/{uid}/settings",
                      {"embedders": {"rest": embedder}, **(extra or {})})
    assert done["status"] == "succeeded", done["error"]
    done = await task(http, engine, "POST", f"/indexes/{uid}/documents?primaryKey=id", docs)
    assert done["status"] == "succeeded", done["error"]
    return done


async def stored_vectors(http, uid: str, name: str = "rest") -> dict[int, Any]:
    status, body = await call(http, "GET", f"/indexes/{uid}/documents?retrieveVectors=true")
    assert status == 200
    return {doc["id"]: doc["_vectors"][name] for doc in body["results"]}


def generated(text: str) -> dict[str, Any]:
    return {"embeddings": [vec(text)], "regenerate": True}


async def batch_stats(http, done: dict[str, Any]) -> dict[str, Any]:
    status, batch = await call(http, "GET", f"/batches/{done['batchUid']}")
    assert status == 200
    return batch["stats"]


# 1 ------------------------------------------------------------------------------------------------

async def test_documents_are_embedded_and_readable_without_configured_dimensions(http, engine, server):
    done = await setup(http, engine, "t", rest(server))
    texts = server.texts("/rest")
    assert texts[0] == "test" and sorted(texts[1:]) == sorted(TEXTS.values())
    assert server.requests[1]["body"] == {"input": texts[1], "model": "m"}
    assert await stored_vectors(http, "t") == {n: generated(t) for n, t in TEXTS.items()}
    status, one = await call(http, "GET", "/indexes/t/documents/2?retrieveVectors=true")
    assert one == {"id": 2, "name": "banana", "kind": "fruit", "_vectors": {"rest": generated(TEXTS[2])}}
    assert (await batch_stats(http, done))["embedderRequests"] == {"total": 3, "failed": 0}
    status, stats = await call(http, "GET", "/indexes/t/stats")
    assert (stats["numberOfEmbeddings"], stats["numberOfEmbeddedDocuments"]) == (3, 3)
    status, similar = await call(http, "POST", "/indexes/t/similar", {"id": 3, "embedder": "rest"})
    # [14,1,1] against [14,0,1]: cosine .9975, against [15,3,1]: .9921
    assert status == 200 and [hit["id"] for hit in similar["hits"]] == [1, 2]
    # a vector of the learnt width is searched; another width is refused as for configured dimensions
    status, body = await call(http, "POST", "/indexes/t/search",
                              {"vector": [15, 3, 1], "hybrid": {"embedder": "rest", "semanticRatio": 1.0}})
    assert status == 200 and body["hits"][0]["id"] == 2
    status, body = await call(http, "POST", "/indexes/t/search",
                              {"vector": [1, 2], "hybrid": {"embedder": "rest", "semanticRatio": 1.0}})
    assert (status, body["code"], body["message"]) == (
        400, "invalid_vector_dimensions", "Invalid vector dimensions: expected: `3`, found: `2`.")


async def test_a_settings_batch_without_requests_shows_no_embedder_requests(http, engine, server):
    """Without documents the settings task still sends its test embedding (upstream builds the
    embedder then: vector/rest.rs `bad_settings` fails on it), which is not counted."""
    done = await task(http, engine, "PATCH", "/indexes/t/settings", {"embedders": {"rest": rest(server)}})
    assert done["status"] == "succeeded"
    assert "embedderRequests" not in await batch_stats(http, done)
    assert server.texts("/rest") == ["test"]


# 2 ------------------------------------------------------------------------------------------------

async def test_semantic_and_hybrid_search_embed_the_query(http, engine, server):
    await setup(http, engine, "t", rest(server))
    before = len(server.requests)
    status, body = await call(http, "POST", "/indexes/t/search", {
        "q": "banana is fruit", "hybrid": {"embedder": "rest", "semanticRatio": 1.0}, "retrieveVectors": True,
        "showRankingScore": True, "attributesToRetrieve": ["id"]})
    assert status == 200
    assert server.texts("/rest")[before:] == ["banana is fruit"]
    assert body["queryVector"] == [15.0, 3.0, 1.0] and body["semanticHitCount"] == 3
    assert body["hits"][0] == {"id": 2, "_vectors": {"rest": generated(TEXTS[2])}, "_rankingScore": 1.0}
    status, body = await call(http, "POST", "/indexes/t/search", {
        "q": "kefir", "hybrid": {"embedder": "rest", "semanticRatio": 0.5}, "retrieveVectors": True})
    assert status == 200
    assert server.texts("/rest")[before + 1:] == ["kefir"]
    assert body["queryVector"] == [5.0, 0.0, 1.0]
    assert sorted(hit["id"] for hit in body["hits"]) == [1, 2, 3] and body["semanticHitCount"] >= 1


# 3 ------------------------------------------------------------------------------------------------

async def test_unchanged_text_is_not_embedded_again(http, engine, server):
    await setup(http, engine, "t", rest(server))
    sent = len(server.requests)
    done = await task(http, engine, "POST", "/indexes/t/documents", [{"id": 1, "name": "kefir", "kind": "drink",
                                                                      "price": 3}])
    assert done["status"] == "succeeded" and len(server.requests) == sent
    assert "embedderRequests" not in await batch_stats(http, done)
    done = await task(http, engine, "PUT", "/indexes/t/documents", [{"id": 2, "price": 4}])
    assert done["status"] == "succeeded" and len(server.requests) == sent
    done = await task(http, engine, "PUT", "/indexes/t/documents", [{"id": 3, "name": "papaya"}])
    assert done["status"] == "succeeded"
    assert server.texts("/rest")[sent:] == ["papaya is fruit"]
    assert await stored_vectors(http, "t") == {1: generated(TEXTS[1]), 2: generated(TEXTS[2]),
                                               3: generated("papaya is fruit")}


# 4 ------------------------------------------------------------------------------------------------

async def test_changing_the_template_re_embeds(http, engine, server):
    await setup(http, engine, "t", rest(server))
    sent = len(server.requests)
    done = await task(http, engine, "PATCH", "/indexes/t/settings",
                      {"embedders": {"rest": {"documentTemplate": "a {{doc.name}}"}}})
    assert done["status"] == "succeeded", done["error"]
    texts = server.texts("/rest")[sent:]
    assert texts[0] == "test"  # a changed embedder infers its dimensions again, as upstream
    assert sorted(texts[1:]) == ["a apple", "a banana", "a kefir"]
    assert (await stored_vectors(http, "t"))[2] == generated("a banana")
    assert (await batch_stats(http, done))["embedderRequests"] == {"total": 3, "failed": 0}


async def test_changing_searchable_attributes_re_embeds_with_the_default_template(http, engine, server):
    config = rest(server, dimensions=3)
    del config["documentTemplate"]
    await setup(http, engine, "t", config, docs=DOCS[:1])
    assert server.texts("/rest") == ["id: 1\nname: kefir\nkind: drink\n"]
    done = await task(http, engine, "PATCH", "/indexes/t/settings", {"searchableAttributes": ["name"]})
    assert done["status"] == "succeeded", done["error"]
    assert server.texts("/rest")[1:] == ["name: kefir\n"]
    assert await stored_vectors(http, "t") == {1: generated("name: kefir\n")}


# 5 ------------------------------------------------------------------------------------------------

FAILURES = [
    pytest.param("/rest", [(404, "gone")], 1,
                 "error: received unexpected HTTP 404 from embedding server\n  - server replied with `gone`", id="404"),
    pytest.param("/rest", [(500, "boom")] * 11, 11,
                 "runtime error: received internal error HTTP 500 from embedding server\n  - server replied with "
                 "`boom`", id="500"),
    pytest.param("/rest", [(200, "{oops")] * 11, 11,
                 "runtime error: error deserializing the response body as JSON:\n  - key must be a string at "
                 "line 1 column 2", id="bad-json"),
    pytest.param("/rest", [(200, {"embedding": [1, 2]})], 1,
                 "runtime error: was expecting embeddings of dimension `3`, got embeddings of dimensions `2`",
                 id="dimensions"),
]


@pytest.mark.parametrize("path,answers,attempts,message", FAILURES)
async def test_remote_failures_fail_the_document_task(http, engine, server, path, answers, attempts, message):
    done = await task(http, engine, "PATCH", "/indexes/bad/settings", {"embedders": {"rest": rest(server, dimensions=3)}})
    assert done["status"] == "succeeded"
    server.script(path, *answers)
    status, failing = await call(http, "POST", "/indexes/bad/documents?primaryKey=id", DOCS[:1])
    status, other = await call(http, "POST", "/indexes/good/documents?primaryKey=id", DOCS)
    engine.wait_for_task(other["taskUid"])
    status, failed = await call(http, "GET", f"/tasks/{failing['taskUid']}")
    assert failed["status"] == "failed"
    assert failed["error"] == {
        "message": f"Index `bad`: While embedding documents for embedder `rest`: {message}",
        "code": "vector_embedding_error", "type": "invalid_request",
        "link": "https://docs.meilisearch.com/errors#vector_embedding_error"}
    assert len(server.requests) == attempts
    assert (await batch_stats(http, failed))["embedderRequests"] == {
        "total": attempts, "failed": attempts, "lastError": message}
    status, good = await call(http, "GET", f"/tasks/{other['taskUid']}")
    assert good["status"] == "succeeded"


# 6 ------------------------------------------------------------------------------------------------

async def test_query_embedding_failure(http, engine, server):
    await setup(http, engine, "t", rest(server))
    server.script("/rest", (404, "gone"), (404, "gone"))
    status, body = await call(http, "POST", "/indexes/t/search", {
        "q": "kefir", "hybrid": {"embedder": "rest", "semanticRatio": 0.5}, "attributesToRetrieve": ["id"]})
    assert status == 200
    assert (body["hits"], body["semanticHitCount"]) == ([{"id": 1}], 0)
    status, body = await call(http, "POST", "/indexes/t/search", {
        "q": "kefir", "hybrid": {"embedder": "rest", "semanticRatio": 1.0}})
    assert (status, body) == (400, {
        "message": "Error while generating embeddings: error: received unexpected HTTP 404 from embedding server\n"
                   "  - server replied with `gone`",
        "code": "vector_embedding_error", "type": "invalid_request",
        "link": "https://docs.meilisearch.com/errors#vector_embedding_error"})


# 7 ------------------------------------------------------------------------------------------------

async def test_ollama_source(http, engine, server):
    await setup(http, engine, "t", {"source": "ollama", "url": server.url + "/api/embed", "model": "nomic",
                                    "documentTemplate": TEMPLATE})
    assert await stored_vectors(http, "t") == {n: generated(t) for n, t in TEXTS.items()}
    assert {r["path"] for r in server.requests} == {"/api/embed"}


async def test_openai_source(http, engine, server):
    await setup(http, engine, "t", {"source": "openAi", "url": server.url + "/v1/embeddings", "apiKey": "sk-test",
                                    "model": "text-embedding-3-small", "dimensions": 3, "documentTemplate": TEMPLATE})
    assert await stored_vectors(http, "t") == {n: generated(t) for n, t in TEXTS.items()}
    request = server.requests[0]
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    assert request["body"]["model"] == "text-embedding-3-small" and request["body"]["dimensions"] == 3


async def test_composite_source(http, engine, server):
    status, _ = await call(http, "PATCH", "/experimental-features", {"compositeEmbedders": True})
    assert status == 200
    indexing = rest(server, url=server.url + "/rest/batch", request={"inputs": [{"text": "{{text}}"}, "{{..}}"]},
                    response={"data": [{"vector": "{{embedding}}"}, "{{..}}"]})
    search = rest(server)
    del search["documentTemplate"]
    await setup(http, engine, "t", {"source": "composite", "indexingEmbedder": indexing, "searchEmbedder": search})
    assert await stored_vectors(http, "t") == {n: generated(t) for n, t in TEXTS.items()}
    assert set(TEXTS.values()) <= set(server.texts("/rest/batch"))
    indexing_side = len(server.texts("/rest/batch"))
    status, body = await call(http, "POST", "/indexes/t/search", {
        "q": "banana is fruit", "hybrid": {"embedder": "rest", "semanticRatio": 1.0}, "attributesToRetrieve": ["id"]})
    assert status == 200 and body["hits"][0] == {"id": 2}
    # the query goes to the search side (after the probes that build the composite, as upstream)
    assert server.texts("/rest")[-1] == "banana is fruit"
    assert "banana is fruit" not in server.texts("/rest/batch")[indexing_side:]


def _huggingface_ready() -> bool:
    from engine.embedders import huggingface
    missing = huggingface.missing_parts()
    if missing and os.environ.get("LOUPE_REQUIRE_EMBEDDINGS") == "1":
        raise RuntimeError(f"LOUPE_REQUIRE_EMBEDDINGS=1 but the embeddings extra lacks {missing}")
    return not missing


@pytest.mark.skipif(not _huggingface_ready(), reason="optional extra `embeddings` not installed")
async def test_huggingface_source(http, engine):
    from engine.embedders import make_embedder
    config = {"source": "huggingFace", "model": "sentence-transformers/all-MiniLM-L6-v2",
              "documentTemplate": TEMPLATE}
    await setup(http, engine, "t", config)
    reference = make_embedder("hf", config).embed_documents([TEXTS[n] for n in (1, 2, 3)])
    stored = await stored_vectors(http, "t")
    for n, expected in zip((1, 2, 3), reference):
        assert stored[n]["regenerate"] is True and len(stored[n]["embeddings"][0]) == 384
        assert stored[n]["embeddings"][0] == pytest.approx(expected, abs=1e-6)
    status, body = await call(http, "POST", "/indexes/t/search", {
        "q": "a yellow fruit", "hybrid": {"embedder": "rest", "semanticRatio": 1.0}, "attributesToRetrieve": ["id"]})
    assert status == 200 and body["semanticHitCount"] == 3 and body["hits"][2] == {"id": 1}


# 8 ------------------------------------------------------------------------------------------------

REJECTED = "runtime error: could not reach embedding server:\n  - bad uri: Rejected URI"


async def test_loopback_is_refused_by_default(http, engine, server, monkeypatch):
    from engine.embedders import transport
    monkeypatch.setattr(transport, "_allowed", ())
    done = await task(http, engine, "PATCH", "/indexes/t/settings", {"embedders": {"rest": rest(server, dimensions=3)}})
    assert done["status"] == "succeeded"
    done = await task(http, engine, "POST", "/indexes/t/documents?primaryKey=id", DOCS[:1])
    assert done["status"] == "failed"
    assert done["error"]["message"] == f"Index `t`: While embedding documents for embedder `rest`: {REJECTED}"
    assert (await batch_stats(http, done))["embedderRequests"] == {"total": 11, "failed": 11, "lastError": REJECTED}
    status, body = await call(http, "POST", "/indexes/t/search", {
        "q": "kefir", "hybrid": {"embedder": "rest", "semanticRatio": 1.0}})
    assert (status, body["message"]) == (400, f"Error while generating embeddings: {REJECTED}")
    assert server.requests == []


async def test_any_network_allowed(http, engine, server, monkeypatch):
    from engine.embedders import transport
    from server.cli import worker_options
    from server.cli_args import load_config
    config = load_config([], {"MEILI_EXPERIMENTAL_ALLOWED_IP_NETWORKS": "any"}, engine.path.parent)
    networks = worker_options(config)["allowed_ip_networks"]
    assert [str(n) for n in networks] == ["0.0.0.0/0", "::/0"]
    monkeypatch.setattr(transport, "_allowed", networks)
    await setup(http, engine, "t", rest(server))
    assert await stored_vectors(http, "t") == {n: generated(t) for n, t in TEXTS.items()}


# 9 ------------------------------------------------------------------------------------------------

async def test_batch_progress_while_embedding(http, engine, server):
    """65 documents: the writer embeds 64 texts per embedder call, so the 65th text is the second
    call; its request is held until the test has seen the progress of the running batch."""
    import asyncio
    done = await task(http, engine, "PATCH", "/indexes/t/settings", {"embedders": {"rest": rest(server, dimensions=3)}})
    assert done["status"] == "succeeded"
    docs = [{"id": n, "name": f"n{n:03}", "kind": "k"} for n in range(65)]
    release = server.hold("n064 is k")
    try:
        status, enqueued = await call(http, "POST", "/indexes/t/documents?primaryKey=id", docs)
        seen = None
        for _ in range(2000):  # until the held request arrives; bounded so a bug fails, never hangs
            status, running = await call(http, "GET", f"/tasks/{enqueued['taskUid']}")
            if running["batchUid"] is not None:
                status, batch = await call(http, "GET", f"/batches/{running['batchUid']}")
                steps = (batch["progress"] or {}).get("steps", [])
                if len(steps) == 2 and steps[1]["finished"] > 0:  # 0 of 65 first, then 64 while held
                    seen = batch
                    break
            await asyncio.sleep(0.005)
        assert seen is not None
        assert seen["progress"] == {"steps": [
            {"currentStep": "processing tasks", "finished": 0, "total": 1},
            {"currentStep": "embedding documents", "finished": 64, "total": 65}], "percentage": 98.46}
        assert seen["finishedAt"] is None
    finally:
        release.set()
    engine.wait_for_task(enqueued["taskUid"])
    status, batch = await call(http, "GET", f"/batches/{seen['uid']}")
    assert batch["progress"] is None and batch["stats"]["embedderRequests"] == {"total": 65, "failed": 0}
