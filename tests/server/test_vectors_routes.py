"""Vector parameters through the HTTP routes (hybrid.md §3, §5.4, §8.8, api.md GET encoding).

Properties:
1. GET search takes `vector`, `hybridEmbedder`, `hybridSemanticRatio` and `retrieveVectors`, and
   answers like POST; its refusals carry Meilisearch's wording.
2. POST refusals: vector without hybrid, hybrid without embedder, ratio out of range.
3. /multi-search: each result has its own `semanticHitCount`; a federated search counts the page's
   hits that came from a semantic list and lists `queryVectors` by query position with
   `retrieveVectors`.
4. Documents routes: `retrieveVectors` on GET one, GET list and POST fetch; `_vectors` never
   appears in `_formatted`, even when asked for.
"""
import pytest

from engine.engine import Engine
from server.app import create_app
from support import index_documents, pop_request_uid

KEY = "vectors-routes-master-key-0123"
DOCS = [
    {"id": 1, "title": "red fox", "_vectors": {"manual": [1, 0]}},
    {"id": 2, "title": "blue whale", "_vectors": {"manual": [2, 3]}},
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = Engine(tmp_path_factory.mktemp("vector-routes") / "db", worker="thread")
    index_documents(engine, "v", DOCS, {"embedders": {"manual": {"source": "userProvided", "dimensions": 2}}})
    yield engine
    engine.close()


@pytest.fixture
async def http(engine, aiohttp_client):
    client = await aiohttp_client(create_app(engine, master_key=KEY))
    client.headers = {"Authorization": f"Bearer {KEY}"}
    return client


async def post(http, path, body):
    response = await http.post(path, json=body, headers=http.headers)
    return response.status, await response.json()


async def get(http, path):
    response = await http.get(path, headers=http.headers)
    return response.status, await response.json()


def refused(code, message):
    return 400, {"message": message, "code": code, "type": "invalid_request",
                 "link": "https://docs.meilisearch.com/errors#" + code}


# 1 -------------------------------------------------------------------------------------------------

async def test_get_search_with_a_vector(http):
    status, got = await get(http, "/indexes/v/search?vector=1,0&hybridEmbedder=manual&hybridSemanticRatio=1"
                                  "&retrieveVectors=true&showRankingScore=true")
    status_post, posted = await post(http, "/indexes/v/search", {
        "vector": [1, 0], "hybrid": {"embedder": "manual", "semanticRatio": 1}, "retrieveVectors": True,
        "showRankingScore": True})
    assert status == status_post == 200
    for body in (got, posted):
        body.pop("processingTimeMs"), pop_request_uid(body)
    assert got == posted == {
        "hits": [{"id": 1, "title": "red fox", "_vectors": {"manual": {"embeddings": [[1.0, 0.0]], "regenerate": False}},
                  "_rankingScore": 1.0},
                 {"id": 2, "title": "blue whale",
                  "_vectors": {"manual": {"embeddings": [[2.0, 3.0]], "regenerate": False}},
                  "_rankingScore": 0.7773500680923462}],
        "query": "", "queryVector": [1.0, 0.0], "limit": 20, "offset": 0, "estimatedTotalHits": 2,
        "semanticHitCount": 2}


async def test_get_refusals(http):
    assert await get(http, "/indexes/v/search?q=fox&hybridEmbedder=manual&hybridSemanticRatio=2") == refused(
        "invalid_search_semantic_ratio", "Invalid value in parameter `hybridSemanticRatio`: the value of "
        "`semanticRatio` is invalid, expected a float between `0.0` and `1.0`.")
    assert await get(http, "/indexes/v/search?q=fox&hybridSemanticRatio=0.5") == refused(
        "invalid_search_hybrid_query", "`hybridEmbedder` is mandatory when `hybridSemanticRatio` is present")
    assert await get(http, "/indexes/v/search?vector=1,0") == refused(
        "missing_search_hybrid", "`hybridEmbedder` is mandatory when `vector` is present")


# 2 -------------------------------------------------------------------------------------------------

async def test_post_refusals(http):
    assert await post(http, "/indexes/v/search", {"vector": [1, 0]}) == refused(
        "missing_search_hybrid", "Invalid request: missing `hybrid` parameter when `vector` or `media` are present.")
    assert await post(http, "/indexes/v/search", {"q": "fox", "hybrid": {}}) == refused(
        "invalid_search_hybrid_query", "Missing field `embedder` inside `.hybrid`")
    assert await post(http, "/indexes/v/search", {"q": "fox", "hybrid": {"embedder": "manual", "semanticRatio": 1.5}}) \
        == refused("invalid_search_semantic_ratio", "Invalid value at `.hybrid.semanticRatio`: the value of "
                   "`semanticRatio` is invalid, expected a float between `0.0` and `1.0`.")


# 3 -------------------------------------------------------------------------------------------------

async def test_multi_search_and_federation(http):
    queries = [{"indexUid": "v", "q": "fox", "vector": [2, 3], "hybrid": {"embedder": "manual", "semanticRatio": 0.9},
                "retrieveVectors": True},
               {"indexUid": "v", "q": "fox"}]
    status, body = await post(http, "/multi-search", {"queries": queries})
    assert status == 200
    first, second = body["results"]
    assert [h["id"] for h in first["hits"]] == [2, 1] and first["semanticHitCount"] == 2
    assert first["queryVector"] == [2.0, 3.0]
    assert "semanticHitCount" not in second
    status, body = await post(http, "/multi-search", {"queries": queries, "federation": {}})
    assert status == 200
    # 2 comes from query 0's semantic list (similarity 1.0); red fox's best is query 1's keyword hit
    assert [(h["id"], h["_federation"]["queriesPosition"]) for h in body["hits"]] == [(2, 0), (1, 1)]
    assert body["queryVectors"] == {"0": [2.0, 3.0]}
    assert body["semanticHitCount"] == 1
    assert list(body)[-3:] == ["queryVectors", "semanticHitCount", "requestUid"]


# 4 -------------------------------------------------------------------------------------------------

async def test_documents_routes(http):
    vectors = {"manual": {"embeddings": [[2.0, 3.0]], "regenerate": False}}
    assert await get(http, "/indexes/v/documents/2?retrieveVectors=true") == (
        200, {"id": 2, "title": "blue whale", "_vectors": vectors})
    assert await get(http, "/indexes/v/documents/2") == (200, {"id": 2, "title": "blue whale"})
    status, body = await get(http, "/indexes/v/documents?retrieveVectors=true&limit=1&offset=1")
    assert body["results"] == [{"id": 2, "title": "blue whale", "_vectors": vectors}]
    status, body = await post(http, "/indexes/v/documents/fetch", {"ids": [2], "retrieveVectors": True})
    assert body["results"] == [{"id": 2, "title": "blue whale", "_vectors": vectors}]
    status, body = await post(http, "/indexes/v/search", {"q": "whale", "attributesToHighlight": ["*", "_vectors"],
                                                          "retrieveVectors": True})
    assert body["hits"][0]["_formatted"] == {"id": "2", "title": "blue <em>whale</em>"}
    assert body["hits"][0]["_vectors"] == vectors
