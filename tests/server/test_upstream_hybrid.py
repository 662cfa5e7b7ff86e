"""Meilisearch's own hybrid-search expectations, ported through the HTTP routes (hybrid.md §3–§5, §8).

Sources (upstream test data and snapshots transcribed; the code is ours):
* `crates/meilisearch/tests/search/hybrid.rs` — every test that a `userProvided` embedder can
  express: simple_search, limit_offset, distribution_shift, highlighter, invalid_semantic_ratio,
  single_document, query_combination; retrieve_vectors is ported with a userProvided embedder in
  place of its huggingFace one (its subject, `_vectors` following `displayedAttributes`, does not
  depend on the model). simple_search_hf needs the real model and is not ported here.
* `crates/meilisearch/tests/search/multi/mod.rs` — federation_vector_single_index and
  federation_vector_two_indexes (shared `VECTOR_DOCUMENTS` of `tests/search/mod.rs`).

Upstream snapshots print some scores one f64 ulp lower than the f32 value widened to f64 (its test
client parses JSON lossily, hybrid.md §8.14): 0.990290343761444 for 0.9902903437614441. `same`
therefore compares floats within 4 ulps and everything else exactly; keys' order is compared too.

Version notes (the stored upstream files predate v1.50.0):
* query_combination's "vector without hybrid" message reads ``… when `vector` is present.`` there;
  v1.50.0 (and hybrid.md §3.1) say ``… when `vector` or `media` are present.``, asserted here.
* federated answers of v1.50.0 carry `queryVectors` (positions of the semantic queries, with
  `retrieveVectors`) and `requestUid`, absent from the stored snapshots; asserted as hybrid.md §8.8
  and api.md §6 describe them.
* upstream redacts the federated hits' `_rankingScore`; with weight 1 it is the weighted score.
"""
from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import quote

import pytest

from engine.engine import Engine
from server.app import create_app
from support import index_documents, pop_request_uid

KEY = "upstream-hybrid-master-key-0123"
DEFAULT_EMBEDDER = {"embedders": {"default": {"source": "userProvided", "dimensions": 2}}}

SIMPLE_SEARCH_DOCUMENTS_VEC = [
    {"title": "Shazam!", "desc": "a Captain Marvel ersatz", "id": "1", "_vectors": {"default": [1.0, 3.0]}},
    {"title": "Captain Planet", "desc": "He's not part of the Marvel Cinematic Universe", "id": "2",
     "_vectors": {"default": [1.0, 2.0]}},
    {"title": "Captain Marvel", "desc": "a Shazam ersatz", "id": "3", "_vectors": {"default": [2.0, 3.0]}},
]
SINGLE_DOCUMENT_VEC = [SIMPLE_SEARCH_DOCUMENTS_VEC[0]]

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


def same(actual: Any, expected: Any) -> bool:
    """Equal JSON, key order included; floats within 4 ulps. Asserts, so pytest shows the diff."""
    dumps = lambda value: json.dumps(value, indent=1, ensure_ascii=False)  # noqa: E731
    assert dumps(snap(actual, expected)) == dumps(expected)
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

async def test_simple_search(http):
    """hybrid.rs simple_search: ratio 0.2 keeps the keyword order; 0.5 and 0.8 let semantic hits in."""
    got = hits_and_count(*await search(http, {"q": "Captain", "vector": [1.0, 1.0], "hybrid": {
        "semanticRatio": 0.2, "embedder": "default"}, "retrieveVectors": True}))
    assert same(got, (200, [planet(), marvel(), shazam()], 0))

    got = hits_and_count(*await search(http, {"q": "Captain", "vector": [1.0, 1.0], "hybrid": {
        "semanticRatio": 0.5, "embedder": "default"}, "showRankingScore": True, "retrieveVectors": True}))
    assert same(got, (200, [marvel(_rankingScore=0.990290343761444), planet(_rankingScore=0.9848484848484848),
                            shazam(_rankingScore=0.9472135901451112)], 2))

    got = hits_and_count(*await search(http, {"q": "Captain", "vector": [1.0, 1.0], "hybrid": {
        "semanticRatio": 0.8, "embedder": "default"}, "showRankingScore": True, "retrieveVectors": True}))
    assert same(got, (200, [marvel(_rankingScore=0.990290343761444), planet(_rankingScore=0.974341630935669),
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
    import asyncio
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
    widened = [float(__import__("numpy").float32(x)) for x in doc["_vectors"][configured]]
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
