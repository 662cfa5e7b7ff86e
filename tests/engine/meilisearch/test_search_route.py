"""The search routes through aiohttp's test client: Meilisearch parameters in, the engine's typed
answer rendered out, and the requests Meilisearch refuses refused the same way.

Properties:
1. POST and GET answer the same body for the same parameters (envelope keys in Meilisearch's order),
   each with a `requestUid` of its own (a UUID v7).
2. `hybrid` naming an embedder the index does not have is 400 `invalid_search_embedder` (also on an
   index without any embedder, and in GET with `hybridEmbedder`), unless the search is keyword-only
   (`semanticRatio` 0.0, or no `q` and no `vector`), which answers keyword hits.
3. A `vector` of the wrong length for an existing embedder is 400 `invalid_vector_dimensions`.
4. In /multi-search the refusal carries the query's position; federated searches and facet search
   refuse it too.
5. One `requestUid` per request: the results of a /multi-search share it, a federated response has
   its own, as the last key.
"""
import pytest

from engine.engine import Engine
from server.app import create_app
from support import index_documents, pop_request_uid

KEY = "a-master-key-of-16-bytes"
DOCS = [{"id": 1, "title": "the quick brown fox"}, {"id": 2, "title": "lazy dog"}]


@pytest.fixture
async def http(tmp_path, aiohttp_client):
    engine = Engine(tmp_path / "db", worker="thread")
    index_documents(engine, "plain", DOCS)
    index_documents(engine, "vectors", [{**doc, "_vectors": {"manual": [1.0, float(doc["id"])]}} for doc in DOCS],
                    {"embedders": {"manual": {"source": "userProvided", "dimensions": 2}}})
    client = await aiohttp_client(create_app(engine, master_key=KEY))
    client.headers = {"Authorization": f"Bearer {KEY}"}
    yield client
    engine.close()


async def post(http, path, body):
    response = await http.post(path, json=body, headers=http.headers)
    return response.status, await response.json()


def refused(code, message):
    return 400, {"message": message, "code": code, "type": "invalid_request",
                 "link": "https://docs.meilisearch.com/errors#" + code}


UNKNOWN = refused("invalid_search_embedder", "Cannot find embedder with name `nope`.")


# 1 ------------------------------------------------------------------------------------------------

async def test_post_and_get_answer_alike(http):
    status, body = await post(http, "/indexes/plain/search", {"q": "fox", "showRankingScore": True})
    response = await http.get("/indexes/plain/search?q=fox&showRankingScore=true", headers=http.headers)
    got = await response.json()
    body.pop("processingTimeMs"), got.pop("processingTimeMs")
    assert list(body)[-1] == "requestUid" and pop_request_uid(body) != pop_request_uid(got)
    assert status == response.status == 200
    assert body == got == {"hits": [{"id": 1, "title": "the quick brown fox", "_rankingScore": 0.8787878787878788}],
                           "query": "fox", "limit": 20, "offset": 0, "estimatedTotalHits": 1}
    assert list(body) == ["hits", "query", "limit", "offset", "estimatedTotalHits"]


# 2 ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("uid", ["plain", "vectors"])
async def test_unknown_embedder_is_refused(http, uid):
    assert await post(http, f"/indexes/{uid}/search", {"q": "fox", "hybrid": {"embedder": "nope"}}) == UNKNOWN
    assert await post(http, f"/indexes/{uid}/search",
                      {"vector": [0.1, 0.2], "hybrid": {"embedder": "nope", "semanticRatio": 1.0}}) == UNKNOWN
    response = await http.get(f"/indexes/{uid}/search?q=fox&hybridEmbedder=nope", headers=http.headers)
    assert (response.status, await response.json()) == UNKNOWN


async def test_keyword_only_searches_never_look_at_the_embedder(http):
    status, body = await post(http, "/indexes/plain/search",
                              {"q": "fox", "hybrid": {"embedder": "nope", "semanticRatio": 0.0}})
    assert status == 200 and [h["id"] for h in body["hits"]] == [1]
    status, body = await post(http, "/indexes/plain/search", {"hybrid": {"embedder": "nope"}})
    assert status == 200 and [h["id"] for h in body["hits"]] == [1, 2]


# 3 ------------------------------------------------------------------------------------------------

async def test_vector_of_the_wrong_length(http):
    assert await post(http, "/indexes/vectors/search", {"vector": [0.1, 0.2, 0.3], "hybrid": {"embedder": "manual"}}) \
        == refused("invalid_vector_dimensions", "Invalid vector dimensions: expected: `2`, found: `3`.")


# 4 ------------------------------------------------------------------------------------------------

async def test_multi_search_refusals_carry_the_query_position(http):
    queries = [{"indexUid": "plain", "q": "fox"}, {"indexUid": "plain", "q": "fox", "hybrid": {"embedder": "nope"}}]
    inside = refused("invalid_search_embedder", "Inside `.queries[1]`: Cannot find embedder with name `nope`.")
    assert await post(http, "/multi-search", {"queries": queries}) == inside
    assert await post(http, "/multi-search", {"queries": queries, "federation": {}}) == inside


async def test_facet_search_refuses_an_unknown_embedder(http):
    assert await post(http, "/indexes/plain/facet-search",
                      {"facetName": "title", "q": "fox", "hybrid": {"embedder": "nope"}}) == UNKNOWN


# 5 ------------------------------------------------------------------------------------------------

async def test_one_request_uid_per_request(http):
    queries = [{"indexUid": "plain", "q": "fox"}, {"indexUid": "vectors", "q": "dog"}]
    status, body = await post(http, "/multi-search", {"queries": queries})
    assert status == 200
    uids = [pop_request_uid(result) for result in body["results"]]
    assert uids[0] == uids[1]
    status, federated = await post(http, "/multi-search", {"queries": queries, "federation": {}})
    assert status == 200 and list(federated)[-1] == "requestUid"
    assert pop_request_uid(federated) != uids[0]


# showPerformanceDetails ---------------------------------------------------------------------------

DURATION = r"\d+\.\d\d(s|ms|µs|ns)"


async def test_performance_details(http):
    """`showPerformanceDetails` adds `performanceDetails` (step -> duration as Meilisearch prints
    them) after `requestUid`; not asked, it is absent; /multi-search gives each query's result its
    own and a federation one for the whole."""
    import re
    status, body = await post(http, "/indexes/plain/search", {"q": "fox", "showPerformanceDetails": True})
    assert status == 200 and list(body)[-2:] == ["requestUid", "performanceDetails"]
    steps = body["performanceDetails"]
    assert list(steps) == ["search", "search > ranking", "search > formatting hits"]
    assert all(re.fullmatch(DURATION, value) for value in steps.values())
    _s, body = await post(http, "/indexes/plain/search", {"q": "fox"})
    assert "performanceDetails" not in body
    response = await http.get("/indexes/plain/search?q=fox&showPerformanceDetails=true", headers=http.headers)
    assert "performanceDetails" in await response.json()
    _s, body = await post(http, "/multi-search", {"queries": [
        {"indexUid": "plain", "q": "fox", "showPerformanceDetails": True}, {"indexUid": "plain", "q": "dog"}]})
    assert "performanceDetails" in body["results"][0] and "performanceDetails" not in body["results"][1]
    _s, body = await post(http, "/multi-search", {"federation": {"showPerformanceDetails": True},
                                                  "queries": [{"indexUid": "plain", "q": "fox"}]})
    assert list(body)[-2:] == ["performanceDetails", "requestUid"]
    assert re.fullmatch(DURATION, body["performanceDetails"]["federated search"])
