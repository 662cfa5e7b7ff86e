"""Meilisearch's own hybrid-search expectations, ported through the HTTP routes (hybrid.md §3–§5, §8).

Sources (upstream test data and snapshots transcribed; the code is ours):
* `crates/meilisearch/tests/search/hybrid.rs`, its newest stored version (shared server, whole-body
  snapshot in simple_search, distinct_is_applied, v1.50.0's missing_search_hybrid wording) — every
  test that a `userProvided` embedder can express: simple_search, limit_offset, distribution_shift,
  highlighter, invalid_semantic_ratio, single_document, query_combination, distinct_is_applied;
  retrieve_vectors is ported with a userProvided embedder in place of its huggingFace one (its
  subject, `_vectors` following `displayedAttributes`, does not depend on the model).
  simple_search_hf and retrieve_vectors' generated `_vectors` run on the bundled
  all-MiniLM-L6-v2 (optional `embeddings` extra, CI's extras pass). Another stored (development)
  version adds four distinct tests that assert only the absence of duplicates; ported too.
* `crates/meilisearch/tests/search/multi/mod.rs` — federation_vector_single_index and
  federation_vector_two_indexes (shared `VECTOR_DOCUMENTS` of `tests/search/mod.rs`).
* `crates/meilisearch/tests/search/errors.rs` — search_bad_retrieve_vectors.

Upstream snapshots print some scores one f64 ulp away from the f32 value widened to f64 (its test
client parses JSON lossily, hybrid.md §8.14): 0.990290343761444 for 0.9902903437614441. `same`
therefore compares floats within 4 ulps and everything else exactly, keys' order included.

Version notes (the stored multi/mod.rs versions predate v1.50.0):
* federated answers of v1.50.0 carry `queryVectors` (positions of the semantic queries, with
  `retrieveVectors`) and `requestUid`, absent from the stored snapshots; asserted as hybrid.md §8.8
  and api.md §6 describe them.
* upstream redacts the federated hits' `_rankingScore`; with weight 1 it is the weighted score.
"""
from __future__ import annotations

import asyncio
import json
import math
import os
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest
from support import index_documents, pop_request_uid

from engine.engine import Engine
from server.app import create_app

KEY = "upstream-hybrid-master-key-0123"
DEFAULT_EMBEDDER = {"embedders": {"default": {"source": "userProvided", "dimensions": 2}}}

SIMPLE_SEARCH_DOCUMENTS_VEC = [
    {"title": "Shazam!", "desc": "a Captain Marvel ersatz", "id": "1", "_vectors": {"default": [1.0, 3.0]}},
    {"title": "Captain Planet", "desc": "He's not part of the Marvel Cinematic Universe", "id": "2",
     "_vectors": {"default": [1.0, 2.0]}},
    {"title": "Captain Marvel", "desc": "a Shazam ersatz", "id": "3", "_vectors": {"default": [2.0, 3.0]}},
]
SINGLE_DOCUMENT_VEC = [SIMPLE_SEARCH_DOCUMENTS_VEC[0]]
TEST_DISTINCT_DOCUMENTS = [  # for query "Captain Marvel" and vector [1.0, 1.0]
    {"id": 0, "search": "Captain Planet", "desc": "#2 for keyword search, #3 for hybrid search",
     "_vectors": {"default": [-1.0, 0.0]}, "distinct": 0},
    {"id": 1, "search": "Captain Marvel", "desc": "#1 for keyword search, #4 for hybrid search",
     "_vectors": {"default": [-1.0, -1.0]}, "distinct": 1},
    {"id": 2, "search": "Some Captain at least", "desc": "#3 for keyword search, #1 for hybrid search",
     "_vectors": {"default": [1.0, 1.0]}, "distinct": 0},
    {"id": 3, "search": "Irrelevant Capitaine", "desc": "#4 for keyword search, #2 for hybrid search",
     "_vectors": {"default": [1.0, 0.0]}, "distinct": 1},
]

VECTOR_DOCUMENTS = [
    {"id": "A", "description": "the dog barks at the cat",
     "_vectors": {"animal": [0.9, 0.8, 0.05], "sentiment": [-0.1, 0.55]}},
    {"id": "B", "description": "the kitten scratched the beagle",
     "_vectors": {"animal": [0.8, 0.9, 0.5], "sentiment": [-0.2, 0.65]}},
    {"id": "C", "description": "the dog had to stay alone today",
     "_vectors": {"animal": [0.85, 0.02, 0.1], "sentiment": [-1.0, 0.1]}},
    {"id": "D", "description": "the little boy pets the puppy",
     "_vectors": {"animal": [0.8, 0.09, 0.8], "sentiment": [0.8, 0.3]}},
]
ANIMAL = {"source": "userProvided", "dimensions": 3}
SENTIMENT = {"source": "userProvided", "dimensions": 2}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = Engine(tmp_path_factory.mktemp("upstream-hybrid") / "db", worker="thread")
    for uid in ("test", "shift", "display"):
        index_documents(engine, uid, SIMPLE_SEARCH_DOCUMENTS_VEC, DEFAULT_EMBEDDER)
    index_documents(engine, "single", SINGLE_DOCUMENT_VEC, DEFAULT_EMBEDDER)
    index_documents(engine, "distinct", TEST_DISTINCT_DOCUMENTS, DEFAULT_EMBEDDER)
    index_documents(engine, "distinct", [], {"distinctAttribute": "distinct"})
    index_documents(engine, "vectors", VECTOR_DOCUMENTS, {"embedders": {"animal": ANIMAL, "sentiment": SENTIMENT}})
    index_documents(engine, "vectors-animal", VECTOR_DOCUMENTS, {"embedders": {"animal": ANIMAL}})
    index_documents(engine, "vectors-sentiment", VECTOR_DOCUMENTS, {"embedders": {"sentiment": SENTIMENT}})
    yield engine
    engine.close()


@pytest.fixture
async def http(engine, aiohttp_client):
    return await aiohttp_client(create_app(engine, master_key=KEY))


HEADERS = {"Authorization": f"Bearer {KEY}"}


async def search(http, body: dict, uid: str = "test") -> tuple[int, dict]:
    response = await http.post(f"/indexes/{uid}/search", json=body, headers=HEADERS)
    return response.status, await response.json()


async def search_get(http, params: dict, uid: str = "test") -> tuple[int, dict]:
    response = await http.get(f"/indexes/{uid}/search?{yaup(params)}", headers=HEADERS)
    return response.status, await response.json()


async def multi_search(http, body: dict) -> tuple[int, dict]:
    response = await http.post("/multi-search", json=body, headers=HEADERS)
    return response.status, await response.json()


def yaup(params: dict) -> str:
    """The query string upstream's tests build with the `yaup` crate: arrays joined by commas."""
    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return ",".join(text(v) for v in value)
        return str(value)
    return "&".join(f"{name}={quote(text(value), safe=',')}" for name, value in params.items())


def refused(code: str, message: str, status: int = 400) -> tuple[int, dict]:
    return status, {"message": message, "code": code, "type": "invalid_request",
                    "link": "https://docs.meilisearch.com/errors#" + code}


def snap(actual: Any, expected: Any) -> Any:
    """`actual` with each float within 4 ulps of its expected counterpart replaced by it (upstream's
    lossy float printing); everything else untouched."""
    if isinstance(expected, float) and isinstance(actual, float):
        return expected if abs(actual - expected) <= 4 * math.ulp(expected) else actual
    if isinstance(expected, dict) and isinstance(actual, dict):
        return {k: snap(v, expected.get(k)) for k, v in actual.items()}
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        return [snap(a, e) for a, e in zip(actual, expected)] + list(actual[len(expected):])
    return actual


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False)


def same(actual: Any, expected: Any) -> bool:
    """Equal JSON, key order included; floats within 4 ulps. Asserts, so pytest shows the diff."""
    assert _dumps(snap(actual, expected)) == _dumps(expected)
    return True


def vec(*values: float) -> dict:
    return {"default": {"embeddings": [list(values)], "regenerate": False}}


def shazam(**extra) -> dict:
    return {"title": "Shazam!", "desc": "a Captain Marvel ersatz", "id": "1", "_vectors": vec(1.0, 3.0), **extra}


def planet(**extra) -> dict:
    return {"title": "Captain Planet", "desc": "He's not part of the Marvel Cinematic Universe", "id": "2",
            "_vectors": vec(1.0, 2.0), **extra}


def marvel(**extra) -> dict:
    return {"title": "Captain Marvel", "desc": "a Shazam ersatz", "id": "3", "_vectors": vec(2.0, 3.0), **extra}


def hits_and_count(status: int, body: dict) -> tuple[int, list, Any]:
    return status, body["hits"], body.get("semanticHitCount", "absent")


# hybrid.rs ----------------------------------------------------------------------------------------

def redacted(body: dict) -> dict:
    """`body` with its volatile values replaced in place, as upstream's snapshots redact them."""
    assert isinstance(body.get("processingTimeMs"), int)
    pop_request_uid(dict(body))  # checks it is a UUID v7
    return {k: "[duration]" if k == "processingTimeMs" else "[uuid]" if k == "requestUid" else v
            for k, v in body.items()}


def whole(hits: list, semantic_hit_count: int) -> dict:
    """simple_search's whole answer, keys in upstream's order (semanticHitCount after requestUid)."""
    return {"hits": hits, "query": "Captain", "queryVector": [1.0, 1.0], "processingTimeMs": "[duration]",
            "limit": 20, "offset": 0, "estimatedTotalHits": 3, "requestUid": "[uuid]",
            "semanticHitCount": semantic_hit_count}


async def test_simple_search(http):
    """hybrid.rs simple_search: ratio 0.2 keeps the keyword order; 0.5 and 0.8 let semantic hits in.
    The whole body: the semantic search ran each time (3 keyword hits < offset + limit), so the
    query vector is echoed even when no semantic hit is kept."""
    status, body = await search(http, {"q": "Captain", "vector": [1.0, 1.0], "hybrid": {
        "semanticRatio": 0.2, "embedder": "default"}, "retrieveVectors": True})
    assert status == 200
    assert same(redacted(body), whole([planet(), marvel(), shazam()], 0))

    status, body = await search(http, {"q": "Captain", "vector": [1.0, 1.0], "hybrid": {
        "semanticRatio": 0.5, "embedder": "default"}, "showRankingScore": True, "retrieveVectors": True})
    assert status == 200
    assert same(redacted(body), whole([marvel(_rankingScore=0.990290343761444),
                                       planet(_rankingScore=0.9848484848484848),
                                       shazam(_rankingScore=0.9472135901451112)], 2))

    status, body = await search(http, {"q": "Captain", "vector": [1.0, 1.0], "hybrid": {
        "semanticRatio": 0.8, "embedder": "default"}, "showRankingScore": True, "retrieveVectors": True})
    assert status == 200
    assert same(redacted(body), whole([marvel(_rankingScore=0.990290343761444),
                                       planet(_rankingScore=0.974341630935669),
                                       shazam(_rankingScore=0.9472135901451112)], 3))


async def test_limit_offset(http):
    """hybrid.rs limit_offset."""
    got = hits_and_count(*await search(http, {"q": "Captain", "vector": [1.0, 1.0], "hybrid": {
        "semanticRatio": 0.2, "embedder": "default"}, "retrieveVectors": True, "offset": 1, "limit": 1}))
    assert same(got, (200, [marvel()], 0))
    got = hits_and_count(*await search(http, {"q": "Captain", "vector": [1.0, 1.0], "hybrid": {
        "semanticRatio": 0.9, "embedder": "default"}, "retrieveVectors": True, "offset": 1, "limit": 1}))
    assert same(got, (200, [planet()], 1))


async def test_distribution_shift(http):
    """hybrid.rs distribution_shift: a `distribution` set afterwards rescales the scores, clamped
    at f32::EPSILON."""
    query = {"q": "Captain", "vector": [1.0, 1.0], "showRankingScore": True,
             "hybrid": {"embedder": "default", "semanticRatio": 1.0}, "retrieveVectors": True}
    got = hits_and_count(*await search(http, query, uid="shift"))
    assert same(got, (200, [marvel(_rankingScore=0.990290343761444), planet(_rankingScore=0.974341630935669),
                            shazam(_rankingScore=0.9472135901451112)], 3))

    response = await http.patch("/indexes/shift/settings", headers=HEADERS, json={
        "embedders": {"default": {"distribution": {"mean": 0.998, "sigma": 0.01}}}})
    assert response.status == 202
    task = await wait_task(http, (await response.json())["taskUid"])
    assert task["status"] == "succeeded"
    assert task["details"] == {"embedders": {"default": {"distribution": {"mean": 0.998, "sigma": 0.01}}}}

    got = hits_and_count(*await search(http, query, uid="shift"))
    assert same(got, (200, [marvel(_rankingScore=0.19161224365234375), planet(_rankingScore=1.1920928955078125e-7),
                            shazam(_rankingScore=1.1920928955078125e-7)], 3))


async def wait_task(http, uid: int) -> dict:
    for _ in range(400):
        response = await http.get(f"/tasks/{uid}", headers=HEADERS)
        task = await response.json()
        if task["status"] in ("succeeded", "failed", "canceled"):
            return task
        await asyncio.sleep(0.025)
    raise AssertionError(f"task {uid} did not finish")


async def test_highlighter(http):
    """hybrid.rs highlighter: hybrid highlights every hit with the keyword query (never `_vectors`);
    a semantic-only search highlights nothing."""
    tags = {"highlightPreTag": "**BEGIN**", "highlightPostTag": "**END**"}
    got = hits_and_count(*await search(http, {"q": "Captain Marvel", "vector": [1.0, 1.0], "hybrid": {
        "embedder": "default", "semanticRatio": 0.2}, "retrieveVectors": True,
        "attributesToHighlight": ["desc", "_vectors"], **tags}))
    assert same(got, (200, [
        marvel(_formatted={"title": "Captain Marvel", "desc": "a Shazam ersatz", "id": "3"}),
        shazam(_formatted={"title": "Shazam!", "desc": "a **BEGIN**Captain**END** **BEGIN**Marvel**END** ersatz",
                           "id": "1"}),
        planet(_formatted={"title": "Captain Planet",
                           "desc": "He's not part of the **BEGIN**Marvel**END** Cinematic Universe", "id": "2"}),
    ], 0))

    got = hits_and_count(*await search(http, {"q": "Captain Marvel", "vector": [1.0, 1.0], "hybrid": {
        "embedder": "default", "semanticRatio": 0.8}, "retrieveVectors": True, "showRankingScore": True,
        "attributesToHighlight": ["desc"], **tags}))
    assert same(got, (200, [
        marvel(_formatted={"title": "Captain Marvel", "desc": "a Shazam ersatz", "id": "3"},
               _rankingScore=0.990290343761444),
        planet(_formatted={"title": "Captain Planet",
                           "desc": "He's not part of the **BEGIN**Marvel**END** Cinematic Universe", "id": "2"},
               _rankingScore=0.974341630935669),
        shazam(_formatted={"title": "Shazam!", "desc": "a **BEGIN**Captain**END** **BEGIN**Marvel**END** ersatz",
                           "id": "1"}, _rankingScore=0.9472135901451112),
    ], 3))

    got = hits_and_count(*await search(http, {"q": "Captain Marvel", "vector": [1.0, 1.0], "hybrid": {
        "embedder": "default", "semanticRatio": 1.0}, "retrieveVectors": True, "showRankingScore": True,
        "attributesToHighlight": ["desc"], **tags}))
    assert same(got, (200, [
        marvel(_formatted={"title": "Captain Marvel", "desc": "a Shazam ersatz", "id": "3"},
               _rankingScore=0.990290343761444),
        planet(_formatted={"title": "Captain Planet", "desc": "He's not part of the Marvel Cinematic Universe",
                           "id": "2"}, _rankingScore=0.974341630935669),
        shazam(_formatted={"title": "Shazam!", "desc": "a Captain Marvel ersatz", "id": "1"},
               _rankingScore=0.9472135901451112),
    ], 3))


async def test_invalid_semantic_ratio(http):
    """hybrid.rs invalid_semantic_ratio: POST and GET wordings."""
    post_message = ("Invalid value at `.hybrid.semanticRatio`: the value of `semanticRatio` is invalid, expected a "
                    "float between `0.0` and `1.0`.")
    for ratio in (1.2, -0.8):
        assert await search(http, {"q": "Captain", "vector": [1.0, 1.0], "hybrid": {
            "embedder": "default", "semanticRatio": ratio}}) == refused("invalid_search_semantic_ratio", post_message)
    get_message = ("Invalid value in parameter `hybridSemanticRatio`: the value of `semanticRatio` is invalid, "
                   "expected a float between `0.0` and `1.0`.")
    for ratio in (1.2, -0.2):
        assert await search_get(http, {"q": "Captain", "vector": [1.0, 1.0], "hybridEmbedder": "default",
                                       "hybridSemanticRatio": ratio}) == refused(
            "invalid_search_semantic_ratio", get_message)


async def test_single_document(http):
    """hybrid.rs single_document: the query vector equal to the document's scores 1.0."""
    status, body = await search(http, {"vector": [1.0, 3.0], "hybrid": {"semanticRatio": 1.0, "embedder": "default"},
                                       "showRankingScore": True, "retrieveVectors": True}, uid="single")
    assert same((status, body["hits"][0], body["semanticHitCount"]), (200, shazam(_rankingScore=1.0), 1))


async def test_query_combination(http):
    """hybrid.rs query_combination: which kind of search runs for each mix of q, vector and ratio."""
    placeholder = [shazam(_rankingScore=1.0), planet(_rankingScore=1.0), marvel(_rankingScore=1.0)]
    # no q, no vector, but hybrid => still a placeholder search
    for ratio in (1.0, 0.76):
        got = hits_and_count(*await search(http, {"hybrid": {"embedder": "default", "semanticRatio": ratio},
                                                  "showRankingScore": True, "retrieveVectors": True}))
        assert same(got, (200, placeholder, "absent"))

    # wrong vector dimensions
    assert await search(http, {"vector": [1.0, 0.0, 1.0], "hybrid": {"embedder": "default", "semanticRatio": 1.0},
                               "showRankingScore": True, "retrieveVectors": True}) == refused(
        "invalid_vector_dimensions", "Invalid vector dimensions: expected: `2`, found: `3`.")

    # full vector
    got = hits_and_count(*await search(http, {"vector": [1.0, 0.0], "hybrid": {
        "embedder": "default", "semanticRatio": 1.0}, "showRankingScore": True, "retrieveVectors": True}))
    assert same(got, (200, [marvel(_rankingScore=0.7773500680923462), planet(_rankingScore=0.7236068248748779),
                            shazam(_rankingScore=0.6581138968467712)], 3))

    # full keyword, without a query
    got = hits_and_count(*await search(http, {"vector": [1.0, 0.0], "hybrid": {
        "embedder": "default", "semanticRatio": 0.0}, "showRankingScore": True, "retrieveVectors": True}))
    assert same(got, (200, placeholder, "absent"))

    # query + vector, full keyword => keyword
    got = hits_and_count(*await search(http, {"q": "Captain", "vector": [1.0, 0.0], "hybrid": {
        "embedder": "default", "semanticRatio": 0.0}, "showRankingScore": True, "retrieveVectors": True}))
    assert same(got, (200, [planet(_rankingScore=0.9848484848484848), marvel(_rankingScore=0.9848484848484848),
                            shazam(_rankingScore=0.9242424242424242)], "absent"))

    # query + vector, no hybrid
    assert await search(http, {"q": "Captain", "vector": [1.0, 0.0], "showRankingScore": True,
                               "retrieveVectors": True}) == refused(
        "missing_search_hybrid", "Invalid request: missing `hybrid` parameter when `vector` or `media` are present.")

    # full vector, without a vector => the userProvided embedder cannot embed q
    assert await search(http, {"q": "Captain", "hybrid": {"semanticRatio": 1.0, "embedder": "default"},
                               "showRankingScore": True, "retrieveVectors": True}) == refused(
        "vector_embedding_error", "Error while generating embeddings: user error: attempt to embed the following "
        "text in a configuration where embeddings must be user provided:\n  - `Captain`")

    # hybrid without a vector => full keyword
    got = hits_and_count(*await search(http, {"q": "Planet", "hybrid": {"semanticRatio": 0.99, "embedder": "default"},
                                              "showRankingScore": True, "retrieveVectors": True}))
    assert same(got, (200, [planet(_rankingScore=0.9242424242424242)], 0))


async def test_distinct_is_applied(http):
    """hybrid.rs distinct_is_applied (meilisearch issue 5526): keyword, semantic and hybrid lists all
    keep one document per distinct value, and the merge does too."""
    docs = {doc["id"]: {k: v for k, v in doc.items() if k != "_vectors"} for doc in TEST_DISTINCT_DOCUMENTS}
    for ratio, ids, count in ((0.0, [1, 0], "absent"), (1.0, [2, 3], 2), (0.5, [2, 1], 1)):
        status, body = await search(http, {"q": "Captain Marvel", "vector": [1.0, 1.0],
                                           "hybrid": {"semanticRatio": ratio, "embedder": "default"}}, uid="distinct")
        assert (status, body["hits"], body.get("semanticHitCount", "absent"), body["estimatedTotalHits"]) == (
            200, [docs[i] for i in ids], count, 2), ratio


async def test_retrieve_vectors_follows_displayed_attributes(http):
    """hybrid.rs retrieve_vectors, with a userProvided embedder in place of the huggingFace one
    (so `regenerate` is false and the embeddings are the given ones): `_vectors` is returned while
    displayed, whether `displayedAttributes` is `*` or names it, and never once it is left out."""
    query = {"q": "Captain", "hybrid": {"embedder": "default", "semanticRatio": 0.2}, "retrieveVectors": True}
    expected = [planet(), marvel(), shazam()]
    assert same(hits_and_count(*await search(http, query, uid="display")), (200, expected, 0))

    for displayed, hits in ((["id", "title", "desc", "_vectors"], expected),
                            (["id", "title", "desc"], [{k: v for k, v in h.items() if k != "_vectors"}
                                                       for h in expected])):
        response = await http.patch("/indexes/display/settings", headers=HEADERS,
                                    json={"displayedAttributes": displayed})
        assert response.status == 202
        assert (await wait_task(http, (await response.json())["taskUid"]))["status"] == "succeeded"
        # upstream's snapshot keeps the documents' own field order, whatever displayedAttributes says
        assert same(hits_and_count(*await search(http, query, uid="display")), (200, hits, 0))


# multi/mod.rs ------------------------------------------------------------------------------------

def federated(uid: str, position: int, score: float) -> dict:
    return {"indexUid": uid, "queriesPosition": position, "weightedRankingScore": score}


def film(doc_id: str) -> dict:
    doc = next(d for d in VECTOR_DOCUMENTS if d["id"] == doc_id)
    return {"id": doc["id"], "description": doc["description"]}


def pop_volatile(body: dict) -> dict:
    body.pop("processingTimeMs")
    pop_request_uid(body)
    return body


async def test_federation_vector_single_index(http):
    """multi/mod.rs federation_vector_single_index: semantic queries on one index with the same
    embedder, with two embedders, and mixed with a keyword query."""
    status, body = await multi_search(http, {"federation": {}, "queries": [
        {"indexUid": "vectors", "vector": [1.0, 0.0, 0.5], "hybrid": {"semanticRatio": 1.0, "embedder": "animal"}},
        {"indexUid": "vectors", "vector": [0.5, 0.5, 0.5], "hybrid": {"semanticRatio": 1.0, "embedder": "animal"}},
    ]})
    assert status == 200
    assert same(pop_volatile(body), {"hits": [
        {**film("B"), "_federation": federated("vectors", 1, 0.9870882034301758)},
        {**film("D"), "_federation": federated("vectors", 0, 0.9728479385375975)},
        {**film("C"), "_federation": federated("vectors", 0, 0.9701486229896544)},
        {**film("A"), "_federation": federated("vectors", 1, 0.9191691875457764)},
    ], "limit": 20, "offset": 0, "estimatedTotalHits": 4, "semanticHitCount": 4})

    status, body = await multi_search(http, {"federation": {}, "queries": [
        {"indexUid": "vectors", "vector": [1.0, 0.0, 0.5], "hybrid": {"semanticRatio": 1.0, "embedder": "animal"}},
        {"indexUid": "vectors", "vector": [0.8, 0.6], "hybrid": {"semanticRatio": 1.0, "embedder": "sentiment"}},
    ]})
    assert status == 200
    assert same(pop_volatile(body), {"hits": [
        {**film("D"), "_federation": federated("vectors", 1, 0.979868710041046)},
        {**film("C"), "_federation": federated("vectors", 0, 0.9701486229896544)},
        {**film("B"), "_federation": federated("vectors", 0, 0.8601469993591309)},
        {**film("A"), "_federation": federated("vectors", 0, 0.8432406187057495)},
    ], "limit": 20, "offset": 0, "estimatedTotalHits": 4, "semanticHitCount": 4})

    status, body = await multi_search(http, {"federation": {}, "queries": [
        {"indexUid": "vectors", "vector": [1.0, 0.0, 0.5], "hybrid": {"semanticRatio": 1.0, "embedder": "animal"},
         "showRankingScore": True},
        {"indexUid": "vectors", "vector": [0.8, 0.6], "q": "beagle",
         "hybrid": {"semanticRatio": 1.0, "embedder": "sentiment"}, "showRankingScore": True},
        {"indexUid": "vectors", "q": "dog", "showRankingScore": True},
    ]})
    assert status == 200
    expected = [("D", 1, 0.979868710041046), ("C", 0, 0.9701486229896544), ("A", 2, 0.9242424242424242),
                ("B", 0, 0.8601469993591309)]
    assert same(pop_volatile(body), {"hits": [
        {**film(doc_id), "_federation": federated("vectors", position, score), "_rankingScore": score}
        for doc_id, position, score in expected
    ], "limit": 20, "offset": 0, "estimatedTotalHits": 4, "semanticHitCount": 3})


def two_index_hit(doc_id: str, uid: str, position: int, score: float, ranking_score: bool = False) -> dict:
    """A VECTOR_DOCUMENTS hit from the index with only one of the two embedders: the other key of
    `_vectors` is kept verbatim, before the configured embedder's entry (hybrid.md §8.7)."""
    doc = next(d for d in VECTOR_DOCUMENTS if d["id"] == doc_id)
    configured = "animal" if uid == "vectors-animal" else "sentiment"
    other = "sentiment" if configured == "animal" else "animal"
    widened = [float(np.float32(x)) for x in doc["_vectors"][configured]]  # f32 widened to f64
    hit = {**film(doc_id), "_vectors": {other: doc["_vectors"][other],
                                        configured: {"embeddings": [widened], "regenerate": False}},
           "_federation": federated(uid, position, score)}
    if ranking_score:
        hit["_rankingScore"] = score
    return hit


async def test_federation_vector_two_indexes(http):
    """multi/mod.rs federation_vector_two_indexes: semantic and keyword queries over two indexes,
    each configuring one embedder."""
    status, body = await multi_search(http, {"federation": {}, "queries": [
        {"indexUid": "vectors-animal", "vector": [1.0, 0.0, 0.5],
         "hybrid": {"semanticRatio": 1.0, "embedder": "animal"}, "retrieveVectors": True},
        {"indexUid": "vectors-sentiment", "vector": [0.8, 0.6],
         "hybrid": {"semanticRatio": 1.0, "embedder": "sentiment"}, "retrieveVectors": True},
        {"indexUid": "vectors-sentiment", "q": "dog", "retrieveVectors": True},
    ]})
    assert status == 200
    expected = [("D", "vectors-sentiment", 1, 0.979868710041046), ("D", "vectors-animal", 0, 0.9728479385375975),
                ("C", "vectors-animal", 0, 0.9701486229896544), ("A", "vectors-sentiment", 2, 0.9242424242424242),
                ("C", "vectors-sentiment", 2, 0.9242424242424242), ("B", "vectors-animal", 0, 0.8601469993591309),
                ("A", "vectors-animal", 0, 0.8432406187057495), ("B", "vectors-sentiment", 1, 0.6690993905067444)]
    assert same(pop_volatile(body), {
        "hits": [two_index_hit(*row) for row in expected], "limit": 20, "offset": 0, "estimatedTotalHits": 8,
        "queryVectors": {"0": [1.0, 0.0, 0.5], "1": [0.8, 0.6]}, "semanticHitCount": 6})

    status, body = await multi_search(http, {"federation": {}, "queries": [
        {"indexUid": "vectors-animal", "vector": [1.0, 0.0, 0.5],
         "hybrid": {"semanticRatio": 1.0, "embedder": "animal"}, "showRankingScore": True, "retrieveVectors": True},
        {"indexUid": "vectors-sentiment", "vector": [-1, 0.6], "q": "beagle",
         "hybrid": {"semanticRatio": 1.0, "embedder": "sentiment"}, "showRankingScore": True,
         "retrieveVectors": True},
    ]})
    assert status == 200
    expected = [("D", "vectors-animal", 0, 0.9728479385375975), ("C", "vectors-animal", 0, 0.9701486229896544),
                ("C", "vectors-sentiment", 1, 0.9522157907485962), ("B", "vectors-sentiment", 1, 0.8719604015350342),
                ("B", "vectors-animal", 0, 0.8601469993591309), ("A", "vectors-animal", 0, 0.8432406187057495),
                ("A", "vectors-sentiment", 1, 0.8297949433326721),
                ("D", "vectors-sentiment", 1, 0.18887794017791748)]
    assert same(pop_volatile(body), {
        "hits": [two_index_hit(*row, ranking_score=True) for row in expected], "limit": 20, "offset": 0,
        "estimatedTotalHits": 8, "queryVectors": {"0": [1.0, 0.0, 0.5], "1": [-1.0, 0.6]},
        "semanticHitCount": 8})


# hybrid.rs, distinct (a stored development version of the file) -----------------------------------

DISTINCT_CASES = {
    # test_hybrid_search_distinct_bug_reproduction
    "reproduction": (2, [
        {"id": 1, "title": "NIKE SPORTS JACKET LEATHER RED", "brand": "Nike", "product_id": "SAME_PRODUCT",
         "category": "sports", "_vectors": {"default": [0.1, 0.1]}},
        {"id": 2, "title": "Blue casual wear item", "brand": "Nike", "product_id": "SAME_PRODUCT",
         "category": "fashion", "_vectors": {"default": [0.9, 0.9]}},
        {"id": 3, "title": "Different product entirely", "brand": "Adidas", "product_id": "DIFFERENT_PRODUCT",
         "category": "other", "_vectors": {"default": [0.5, 0.5]}}]),
    # test_hybrid_distinct_bug_extreme
    "extreme": (2, [
        {"id": 1, "title": "red shoes nike", "product_id": "DUPLICATE_PRODUCT_ID", "_vectors": {"default": [0.0, 0.0]}},
        {"id": 2, "title": "green shirt adidas", "product_id": "DUPLICATE_PRODUCT_ID",
         "_vectors": {"default": [1.0, 1.0]}}]),
    # test_distinct_bug_with_semantic_ratio_extremes
    "ratios": (2, [
        {"id": 1, "title": "amazing fantastic super best quality nike shoes", "product_id": "SAME_ID",
         "_vectors": {"default": [0.0, 0.0]}},
        {"id": 2, "title": "terrible awful worst product ever", "product_id": "SAME_ID",
         "_vectors": {"default": [1.0, 1.0]}},
        {"id": 3, "title": "medium average okay product", "product_id": "SAME_ID", "_vectors": {"default": [0.5, 0.5]}},
        {"id": 4, "title": "excellent superb outstanding item", "product_id": "SAME_ID",
         "_vectors": {"default": [0.2, 0.8]}},
        {"id": 5, "title": "poor quality bad item", "product_id": "SAME_ID", "_vectors": {"default": [0.8, 0.2]}}]),
    # test_hybrid_merge_distinct_bug_confirmation
    "merge": (4, [
        {"id": 1, "title": "FIRST MATCHING TERMS QUERY SEARCH", "description": "unrelated vector content",
         "product_id": "product_a", "_vectors": {"default": [0.1, 0.1, 0.1, 0.1]}},
        {"id": 2, "title": "different unrelated content", "description": "but high vector similarity here",
         "product_id": "product_a", "_vectors": {"default": [0.9, 0.9, 0.9, 0.9]}},
        {"id": 3, "title": "SECOND MATCHING TERMS QUERY SEARCH", "description": "another keyword match",
         "product_id": "product_b", "_vectors": {"default": [0.2, 0.2, 0.2, 0.2]}},
        {"id": 4, "title": "random stuff here", "description": "high vector match content",
         "product_id": "product_b", "_vectors": {"default": [0.8, 0.8, 0.8, 0.8]}},
        {"id": 5, "title": "THIRD MATCHING TERMS QUERY SEARCH", "description": "keyword relevance here",
         "product_id": "product_c", "_vectors": {"default": [0.3, 0.3, 0.3, 0.3]}},
        {"id": 6, "title": "unrelated keyword text", "description": "but vector similarity",
         "product_id": "product_c", "_vectors": {"default": [0.7, 0.7, 0.7, 0.7]}}]),
}


@pytest.fixture(scope="module")
def distinct_engine(tmp_path_factory):
    engine = Engine(tmp_path_factory.mktemp("upstream-hybrid-distinct") / "db", worker="thread")
    for uid, (dimensions, docs) in DISTINCT_CASES.items():
        index_documents(engine, uid, docs, {"embedders": {"default": {"source": "userProvided",
                                                                      "dimensions": dimensions}}})
        index_documents(engine, uid, [], {"distinctAttribute": "product_id"})
    yield engine
    engine.close()


@pytest.fixture
async def distinct_http(distinct_engine, aiohttp_client):
    return await aiohttp_client(create_app(distinct_engine, master_key=KEY))


@pytest.mark.parametrize("uid,q,vector,ratio,ids,semantic", [
    # every vector is parallel to the query: similarity 1.0, raw f32 distances 0 except doc 1's
    # (2.98e-8), so the semantic list is [3, 1] (hybrid.md §8.11); ties go to semantic
    ("reproduction", "NIKE SPORTS JACKET LEATHER RED", [0.9, 0.9], 0.5, [3, 1], 2),
    ("extreme", "red shoes nike", [1.0, 1.0], 0.5, [1], 1),
    # one keyword hit only (< offset + limit): the semantic search runs, but 1.0 × 0.9 beats 1.0 × 0.1
    ("ratios", "amazing fantastic super best quality nike shoes", [1.0, 1.0], 0.1, [1], 0),
    ("ratios", "amazing fantastic super best quality nike shoes", [1.0, 1.0], 0.9, [1], 1),
    ("ratios", "amazing fantastic super best quality nike shoes", [1.0, 1.0], 0.5, [1], 1),
    ("merge", "MATCHING TERMS QUERY SEARCH", [0.8, 0.8, 0.8, 0.8], 0.5, [1, 3, 5], 3),
])
async def test_hybrid_search_keeps_distinct(distinct_http, uid, q, vector, ratio, ids, semantic):
    """hybrid.rs test_hybrid_search_distinct_bug_reproduction, test_hybrid_distinct_bug_extreme,
    test_distinct_bug_with_semantic_ratio_extremes, test_hybrid_merge_distinct_bug_confirmation
    (found in one stored development version of the file, perhaps not in v1.50.0): upstream asserts
    only that no two hits share the distinct value; the exact hits of hybrid.md §5 are asserted too."""
    status, body = await search(distinct_http, {"q": q, "vector": vector, "limit": 10,
                                                "hybrid": {"embedder": "default", "semanticRatio": ratio}}, uid=uid)
    assert status == 200
    product_ids = [hit["product_id"] for hit in body["hits"]]
    assert len(product_ids) == len(set(product_ids))
    assert ([hit["id"] for hit in body["hits"]], body["semanticHitCount"], body["estimatedTotalHits"]) == (
        ids, semantic, len(ids))


# search/errors.rs ---------------------------------------------------------------------------------

async def test_search_bad_retrieve_vectors(http):
    """search/errors.rs search_bad_retrieve_vectors: checked before the (missing) index is looked up."""
    assert await search(http, {"retrieveVectors": "doggo"}, uid="missing") == refused(
        "invalid_search_retrieve_vectors",
        'Invalid value type at `.retrieveVectors`: expected a boolean, but found a string: `"doggo"`')
    assert await search(http, {"retrieveVectors": [True]}, uid="missing") == refused(
        "invalid_search_retrieve_vectors",
        "Invalid value type at `.retrieveVectors`: expected a boolean, but found an array: `[true]`")
    for value in ("", "doggo"):
        response = await http.get(f"/indexes/missing/search?retrieveVectors={value}", headers=HEADERS)
        assert (response.status, await response.json()) == refused(
            "invalid_search_retrieve_vectors", f"Invalid value in parameter `retrieveVectors`: could not parse "
            f"`{value}` as a boolean, expected either `true` or `false`")


# hybrid.rs, huggingFace (the optional `embeddings` extra: CI's extras pass) -----------------------

SIMPLE_SEARCH_DOCUMENTS = [{k: v for k, v in doc.items() if k != "_vectors"} for doc in SIMPLE_SEARCH_DOCUMENTS_VEC]


def _huggingface_ready() -> bool:
    from engine.embedders import huggingface
    missing = huggingface.missing_parts()
    if missing and os.environ.get("LOUPE_REQUIRE_EMBEDDINGS") == "1":
        raise RuntimeError(f"LOUPE_REQUIRE_EMBEDDINGS=1 but the embeddings extra lacks {missing}")
    return not missing


@pytest.fixture(scope="module")
def hf_engine(tmp_path_factory):
    """SIMPLE_SEARCH_DOCUMENTS embedded by all-MiniLM-L6-v2. Upstream pins revision
    e4ce9877abf3edfe10b0d82785e83bdcb973e22e, which it downloads; Loupe runs offline on the bundled
    revision and refuses another one, so the revision is left out here."""
    engine = Engine(tmp_path_factory.mktemp("upstream-hybrid-hf") / "db", worker="thread")
    index_documents(engine, "hf", SIMPLE_SEARCH_DOCUMENTS, {"embedders": {"default": {
        "source": "huggingFace", "model": "sentence-transformers/all-MiniLM-L6-v2",
        "documentTemplate": "{{doc.title}}, {{doc.desc}}"}}})
    yield engine
    engine.close()


@pytest.fixture
async def hf_http(hf_engine, aiohttp_client):
    return await aiohttp_client(create_app(hf_engine, master_key=KEY))


@pytest.mark.skipif(not _huggingface_ready(), reason="optional extra `embeddings` not installed")
async def test_simple_search_hf(hf_http):
    """hybrid.rs simple_search_hf: hit order and semanticHitCount (upstream leaves the scores out,
    as the vectors differ between architectures)."""
    no_vectors = {doc["id"]: doc for doc in SIMPLE_SEARCH_DOCUMENTS}
    for q, ratio, ids, count in (("Captain", 0.2, ["2", "3", "1"], 0), ("Captain", 0.55, ["2", "3", "1"], 1),
                                 ("Captain", 0.8, ["1", "3", "2"], 3), ("Movie World", 0.2, ["2", "1", "3"], 3),
                                 ("Wonder replacement", 0.2, ["3", "1", "2"], 3)):
        got = hits_and_count(*await search(hf_http, {"q": q, "hybrid": {"embedder": "default", "semanticRatio": ratio},
                                                     "showRankingScore": False}, uid="hf"))
        assert got == (200, [no_vectors[i] for i in ids], count), (q, ratio)


@pytest.mark.skipif(not _huggingface_ready(), reason="optional extra `embeddings` not installed")
async def test_retrieve_vectors_hf(hf_http):
    """hybrid.rs retrieve_vectors (its first search; the displayedAttributes part is ported above
    with a userProvided embedder): generated embeddings come back with `regenerate: true`."""
    status, body = await search(hf_http, {"q": "Captain", "hybrid": {"embedder": "default", "semanticRatio": 0.2},
                                          "retrieveVectors": True}, uid="hf")
    assert status == 200
    for hit in body["hits"]:
        embeddings = hit["_vectors"]["default"].pop("embeddings")
        assert len(embeddings) == 1 and len(embeddings[0]) == 384
    assert body["hits"] == [{**doc, "_vectors": {"default": {"regenerate": True}}}
                            for doc in (SIMPLE_SEARCH_DOCUMENTS[1], SIMPLE_SEARCH_DOCUMENTS[2], SIMPLE_SEARCH_DOCUMENTS[0])]
