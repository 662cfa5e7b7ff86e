"""/indexes/{uid}/similar, POST and GET, through aiohttp's test client (hybrid.md §6, §8.18, §8.19).

The corpus is Meilisearch's own (tests/similar/mod.rs): five films with 3-dimension vectors.

Properties:
1. Neighbours of a document come nearest first, the target excluded, with Meilisearch's scores to
   the digit (0.890957772731781, 0.39060014486312866, 0.2819308042526245, 0.1662663221359253).
2. `rankingScoreThreshold` stops at the first document below it and shrinks estimatedTotalHits
   (4 / 3 / 2 / 1, no hit at 0.9); filter, offset and limit select the page.
3. `retrieveVectors`, `attributesToRetrieve`, `showRankingScoreDetails` shape the hits; `id` comes
   back as a string.
4. Errors: unknown document (400, as upstream), unknown embedder, missing embedder (POST and GET wording), bad
   id, bad threshold, bad filter type, filter on a non-filterable attribute without index prefix.
5. Documents without an embedding count but are never returned; a target without one finds nothing;
   with two embeddings each, embedding #k is compared with the target's #k only.
6. A tenant token's filter narrows the universe and hides a target outside it (`not_found_similar_id`).
"""
import re

import pytest

from engine.engine import Engine
from server.app import create_app
from support import pop_request_uid, index_documents

KEY = "similar-master-key-0123456789"
FILMS = [
    {"title": "Shazam!", "release_year": 2019, "id": "287947", "_vectors": {"manual": [0.8, 0.4, -0.5]}},
    {"title": "Captain Marvel", "release_year": 2019, "id": "299537", "_vectors": {"manual": [0.6, 0.8, -0.2]}},
    {"title": "Escape Room", "release_year": 2019, "id": "522681", "_vectors": {"manual": [0.1, 0.6, 0.8]}},
    {"title": "How to Train Your Dragon: The Hidden World", "release_year": 2019, "id": "166428",
     "_vectors": {"manual": [0.7, 0.7, -0.4]}},
    {"title": "All Quiet on the Western Front", "release_year": 1930, "id": "143",
     "_vectors": {"manual": [-0.5, 0.3, 0.85]}},
]
MANUAL = {"embedders": {"manual": {"source": "userProvided", "dimensions": 3}},
          "filterableAttributes": ["title", "release_year"]}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = Engine(tmp_path_factory.mktemp("similar") / "db", worker="thread")
    index_documents(engine, "test", FILMS, MANUAL)
    index_documents(engine, "pairs", [
        {"id": 1, "_vectors": {"manual": [[1, 0], [0, 1]]}},
        {"id": 2, "_vectors": {"manual": [[0, 1]]}},           # like 1's second, unlike its first
        {"id": 3, "_vectors": {"manual": [[0.9, 0.1], [1, 0]]}},
        {"id": 4, "_vectors": {"manual": None}},
    ], {"embedders": {"manual": {"source": "userProvided", "dimensions": 2}}})
    yield engine
    engine.close()


@pytest.fixture
async def http(engine, aiohttp_client):
    client = await aiohttp_client(create_app(engine, master_key=KEY))
    return client


HEADERS = {"Authorization": f"Bearer {KEY}"}


async def similar(http, body, uid="test"):
    response = await http.post(f"/indexes/{uid}/similar", json=body, headers=HEADERS)
    return response.status, await response.json()


async def similar_get(http, query, uid="test"):
    response = await http.get(f"/indexes/{uid}/similar?{query}", headers=HEADERS)
    return response.status, await response.json()


def refused(code, message, status=400):
    return status, {"message": message, "code": code, "type": "invalid_request",
                    "link": "https://docs.meilisearch.com/errors#" + code}


# 1 -------------------------------------------------------------------------------------------------

async def test_neighbours_with_upstream_scores(http):
    status, body = await similar(http, {"id": 143, "embedder": "manual", "showRankingScore": True})
    assert status == 200
    assert [(h["id"], h["_rankingScore"]) for h in body["hits"]] == [
        ("522681", 0.890957772731781), ("299537", 0.39060014486312866), ("166428", 0.2819308042526245),
        ("287947", 0.1662663221359253)]
    body.pop("processingTimeMs")
    assert list(body)[-1] == "requestUid"  # a UUID v7 of its own, as every search answer (issue 15 §1)
    pop_request_uid(body)
    assert body["id"] == "143" and list(body) == ["hits", "id", "limit", "offset", "estimatedTotalHits"]
    assert (body["limit"], body["offset"], body["estimatedTotalHits"]) == (20, 0, 4)
    status, body = await similar(http, {"id": "299537", "embedder": "manual"})
    assert [h["id"] for h in body["hits"]] == ["166428", "287947", "522681", "143"]


# 2 -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("threshold,total", [(0, 4), (0.2, 3), (0.3, 2), (0.6, 1), (0.9, 0)])
async def test_threshold_shrinks_the_total(http, threshold, total):
    status, body = await similar(http, {"id": 143, "embedder": "manual", "rankingScoreThreshold": threshold})
    assert status == 200 and len(body["hits"]) == total and body["estimatedTotalHits"] == total


async def test_filter_offset_limit(http):
    _s, body = await similar(http, {"id": 522681, "embedder": "manual", "filter": "release_year = 2019"})
    assert [h["id"] for h in body["hits"]] == ["299537", "166428", "287947"]
    _s, body = await similar(http, {"id": 522681, "embedder": "manual", "filter": "release_year < 2000"})
    assert [h["id"] for h in body["hits"]] == ["143"]
    _s, body = await similar(http, {"id": 143, "embedder": "manual", "limit": 1, "offset": 1})
    assert [h["id"] for h in body["hits"]] == ["299537"] and body["estimatedTotalHits"] == 4
    status, body = await similar_get(http, "id=143&embedder=manual&limit=1&filter=release_year%20%3D%202019")
    assert status == 200 and [h["id"] for h in body["hits"]] == ["522681"]


# 3 -------------------------------------------------------------------------------------------------

async def test_hit_shape(http):
    _s, body = await similar(http, {"id": 143, "embedder": "manual", "limit": 1, "retrieveVectors": True,
                                    "attributesToRetrieve": ["title"], "showRankingScoreDetails": True})
    assert body["hits"] == [{"title": "Escape Room", "_vectors": {"manual": {
        "embeddings": [[0.10000000149011612, 0.6000000238418579, 0.800000011920929]], "regenerate": False}},
        "_rankingScoreDetails": {"vectorSort": {"order": 0, "similarity": 0.890957772731781}}}]
    _s, body = await similar(http, {"id": 143, "embedder": "manual", "limit": 1})
    assert body["hits"] == [{"title": "Escape Room", "release_year": 2019, "id": "522681"}]


# 4 -------------------------------------------------------------------------------------------------

async def test_errors(http):
    assert await similar(http, {"id": 999, "embedder": "manual"}) == refused(
        "not_found_similar_id", "Document `999` not found.")  # 400, as upstream's errors.rs and api.md §7
    assert await similar(http, {"id": 143, "embedder": "nope"}) == refused(
        "invalid_similar_embedder", "Cannot find embedder with name `nope`.")
    assert await similar(http, {"id": 143}) == refused("bad_request", "Missing field `embedder`")
    assert await similar_get(http, "id=143") == refused("bad_request", "Missing parameter `embedder`")
    assert await similar(http, {"id": "a b", "embedder": "manual"}) == refused(
        "invalid_similar_id", "Invalid value at `.id`: Document identifier `\"a b\"` is invalid. A document identifier "
        "can be of type integer or string, only composed of alphanumeric characters (a-z A-Z 0-9), hyphens (-) and "
        "underscores (_), and can not be more than 511 bytes.")
    assert await similar(http, {"id": 143, "embedder": "manual", "rankingScoreThreshold": 2}) == refused(
        "invalid_similar_ranking_score_threshold", "Invalid value at `.rankingScoreThreshold`: the value of "
        "`rankingScoreThreshold` is invalid, expected a float between `0.0` and `1.0`.")
    assert await similar(http, {"id": 143, "embedder": "manual", "filter": True}) == refused(
        "invalid_similar_filter", "Invalid syntax for the filter parameter: `expected String, Array, found: true`.")
    status, body = await similar(http, {"id": 143, "embedder": "manual", "filter": "id = 3"})
    assert status == 400 and body["code"] == "invalid_similar_filter"
    assert body["message"].startswith("Attribute `id` is not filterable.")
    status, body = await similar(http, {"id": 143, "embedder": "manual"}, uid="missing")
    assert (status, body["code"]) == (404, "index_not_found")


# 5 -------------------------------------------------------------------------------------------------

async def test_pairs_and_missing_embeddings(http):
    _s, body = await similar(http, {"id": 1, "embedder": "manual", "showRankingScore": True}, uid="pairs")
    # 3's #0 [0.9, 0.1] against 1's #0 [1, 0]: cos 0.9/sqrt(0.82), (1 + cos)/2 = 0.9969418673 -> f32;
    # 2's #0 [0, 1] against 1's #0 [1, 0]: cos 0 -> 0.5 (its match with 1's #1 does not count)
    assert [(h["id"], h["_rankingScore"]) for h in body["hits"]] == [(3, 0.996941864490509), (2, 0.5)]
    assert body["estimatedTotalHits"] == 3
    _s, body = await similar(http, {"id": 4, "embedder": "manual"}, uid="pairs")
    assert body["hits"] == [] and body["estimatedTotalHits"] == 3


def test_tenant_filter_hides_the_target(engine):
    """A tenant token's filter hides documents from the universe and a hidden target is not found."""
    from engine.errors import LoupeError
    index = engine.index("test")
    result = index.similar("143", "manual", tenant_filter="release_year = 2019 OR release_year = 1930",
                           filter="release_year = 2019")
    assert [h.docid for h in result.hits] and result.total == 4
    with pytest.raises(LoupeError) as err:
        index.similar("143", "manual", tenant_filter="release_year = 2019")
    assert (err.value.code, err.value.message) == ("not_found_similar_id", "Document `143` not found.")
    result = index.similar("522681", "manual", tenant_filter="release_year = 2019")
    assert result.total == 3  # the 1930 film is outside the tenant's documents


async def test_performance_details(http):
    _s, body = await similar(http, {"id": 143, "embedder": "manual", "showPerformanceDetails": True})
    assert list(body)[-2:] == ["requestUid", "performanceDetails"]
    assert list(body["performanceDetails"]) == ["similar"]
    assert re.fullmatch(r"\d+\.\d\d(s|ms|µs|ns)", body["performanceDetails"]["similar"])
