"""Federated multi-search refusals (api.md §6; Meilisearch's order from notes/federation.md §1),
through the HTTP route with exact status, code and message.

Properties:
1. `federationOptions.remote` without the `network` feature: `feature_not_enabled` (no "Inside"
   prefix); with the feature on, every remote is "not registered" (`invalid_multi_search_remote`).
2. `federationOptions.queryPosition` without the `network` feature: `feature_not_enabled`; with it,
   the position replaces the query's index in `_federation.queriesPosition` and in error prefixes.
3. Per-query refusals run query by query: a remote on query 0 is refused before pagination on
   query 1, pagination on query 0 before a remote on query 1; personalize before
   showPerformanceDetails.
4. The API key is checked for every query before any federated refusal.
5. Indexes are visited in ascending uid order: of two missing indexes the smaller uid is reported
   (`index_not_found`, 400 as upstream answers inside /multi-search, "Inside `.queries[<first query
   of that index>]`");
   parse-time checks of a query (vector without hybrid, sort syntax, filter type) are raised when
   its index is searched, so the per-query refusals of later queries and a missing index with a
   smaller uid come first.
6. Within a query: search kind, then the embedder (`invalid_search_embedder`, before the engine's
   sort check), then sort syntax, then filter type, then the engine's checks; a semanticRatio of 0
   never looks at the embedder.
7. `federation.distinct` on a field an index cannot filter: `invalid_search_distinct` with the
   query prefix and the index's name.
8. `facetsByIndex` naming a non-filterable facet: `invalid_multi_search_facets`, prefixed
   "Inside `.federation.facetsByIndex.<uid>`: ", noted with the index's first query; checked after
   the index's queries (a query error of that index wins).
9. `facetsByIndex` of an index no query uses: missing index (`index_not_found`), facet order and
   facet validity are checked after every used index, noted "is not used in queries".
10. `mergeFacets` with indexes ordering a facet differently: `invalid_multi_search_facet_order`,
    raised before the second index's queries; without `mergeFacets` the same request succeeds.
"""
from __future__ import annotations

import orjson
import pytest

from engine.engine import Engine
from server.app import create_app
from support import index_documents, post_json

KEY = "federation-refusals-master-key"
DISCUSSION = "See https://github.com/orgs/meilisearch/discussions/805"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = Engine(tmp_path_factory.mktemp("federation") / "db", worker="thread")
    index_documents(engine, "movies", [{"id": 1, "title": "Carol", "color": "red"}, {"id": 2, "title": "Moana", "color": "blue"}])
    index_documents(engine, "movies-x", [{"id": 1, "title": "Carol", "color": "red"}],
                    {"filterableAttributes": ["color"], "sortableAttributes": ["id"]})
    index_documents(engine, "movies_2-x", [{"id": 1, "title": "Moana", "color": "red"}],
                    {"filterableAttributes": ["color"], "faceting": {"sortFacetValuesBy": {"color": "count"}}})
    index_documents(engine, "fruits", [{"id": "apple", "name": "Apple", "BOOST": True}],
                    {"filterableAttributes": ["BOOST", "id"]})
    yield engine
    engine.close()


async def _client(engine, aiohttp_client, features=frozenset()):
    client = await aiohttp_client(create_app(engine, master_key=KEY, forced_features=frozenset(features)))
    client.headers = {"Authorization": f"Bearer {KEY}"}
    return client


@pytest.fixture
async def http(engine, aiohttp_client):
    return await _client(engine, aiohttp_client)


@pytest.fixture
async def http_network(engine, aiohttp_client):
    return await _client(engine, aiohttp_client, {"network"})


async def post(http, body, status=200, key=None):
    return await post_json(http, "/multi-search", body, key or KEY, status)


async def refused(http, body, status, code, message, key=None):
    got = await post(http, body, status, key)
    kind = "auth" if code == "invalid_api_key" else "invalid_request"
    assert got == {"message": message, "code": code, "type": kind, "link": "https://docs.meilisearch.com/errors#" + code}


def fed(*queries, **federation):
    return {"federation": federation, "queries": list(queries)}


# 1 -------------------------------------------------------------------------------------------------

async def test_remote_needs_network(http, http_network):
    body = fed({"indexUid": "movies", "q": "carol"}, {"indexUid": "movies", "federationOptions": {"remote": "ms2"}})
    await refused(http, body, 400, "feature_not_enabled",
                  "Performing a remote federated search requires enabling the `network` experimental feature. "
                  + DISCUSSION)
    await refused(http_network, body, 400, "invalid_multi_search_remote",
                  "Invalid `queries[1].federation_options.remote`: remote `ms2` is not registered")


# 2 -------------------------------------------------------------------------------------------------

async def test_query_position(http, http_network):
    body = fed({"indexUid": "movies", "q": "carol", "federationOptions": {"queryPosition": 7}})
    await refused(http, body, 400, "feature_not_enabled",
                  "Using `federationOptions.queryPosition` requires enabling the `network` experimental feature. "
                  + DISCUSSION)
    got = await post(http_network, body)
    assert got["hits"] == [{"id": 1, "title": "Carol", "color": "red",
                            "_federation": {"indexUid": "movies", "queriesPosition": 7, "weightedRankingScore": 1.0}}]
    bad = fed({"indexUid": "movies", "filter": "title = x", "federationOptions": {"queryPosition": 3}})
    await refused(http_network, bad, 400, "invalid_search_filter",
                  "Inside `.queries[3]`: Index `movies`: Attribute `title` is not filterable. This index does not "
                  "have configured filterable attributes.\n1:6 title = x")


# 3 -------------------------------------------------------------------------------------------------

async def test_per_query_refusals_in_query_order(http):
    await refused(http, fed({"indexUid": "movies", "federationOptions": {"remote": "a"}},
                            {"indexUid": "movies", "limit": 1}), 400, "feature_not_enabled",
                  "Performing a remote federated search requires enabling the `network` experimental feature. "
                  + DISCUSSION)
    await refused(http, fed({"indexUid": "movies", "limit": 1},
                            {"indexUid": "movies", "federationOptions": {"remote": "a"}}),
                  400, "invalid_multi_search_query_pagination",
                  "Inside `.queries[0]`: Using pagination options is not allowed in federated queries.\n"
                  " - Hint: remove `limit` from query #0 or remove `federation` from the request\n"
                  " - Hint: pass `federation.limit` and `federation.offset` for pagination in federated search")
    await refused(http, fed({"indexUid": "movies", "showPerformanceDetails": False,
                             "personalize": {"userContext": "x"}}),
                  400, "invalid_multi_search_query_personalization",
                  "Inside `.queries[0]`: Using `.personalize` is not allowed in federated queries.\n"
                  " - Hint: remove `personalize` from query #0 or remove `federation` from the request")


# 4 -------------------------------------------------------------------------------------------------

async def test_api_key_checked_first(http):
    created = await http.post("/keys", data=orjson.dumps({"actions": ["search"], "indexes": ["movies"],
                                                          "expiresAt": None}),
                              headers={**http.headers, "Content-Type": "application/json"})
    key = (await created.json())["key"]
    await refused(http, fed({"indexUid": "movies", "limit": 1}, {"indexUid": "fruits"}), 403, "invalid_api_key",
                  "Inside `.queries[1]`: The provided API key is invalid.", key=key)


# 5 -------------------------------------------------------------------------------------------------

async def test_indexes_in_uid_order(http):
    await refused(http, fed({"indexUid": "zz"}, {"indexUid": "movies"}, {"indexUid": "aa"}), 400, "index_not_found",
                  "Inside `.queries[2]`: Index `aa` not found.")
    # query 0's parse-time error waits for its index; the missing `aa` (smaller uid) is reported first
    await refused(http, fed({"indexUid": "movies", "vector": [1.0]}, {"indexUid": "aa"}), 400, "index_not_found",
                  "Inside `.queries[1]`: Index `aa` not found.")
    # ... and the per-query refusals of later queries come before it too
    await refused(http, fed({"indexUid": "movies", "sort": ["title"]}, {"indexUid": "movies", "page": 1}),
                  400, "invalid_multi_search_query_pagination",
                  "Inside `.queries[1]`: Using pagination options is not allowed in federated queries.\n"
                  " - Hint: remove `page` from query #1 or remove `federation` from the request\n"
                  " - Hint: pass `federation.limit` and `federation.offset` for pagination in federated search")
    await refused(http, fed({"indexUid": "movies"}, {"indexUid": "movies", "sort": ["title"]}),
                  400, "invalid_search_sort",
                  "Inside `.queries[1]`: Invalid syntax for the sort parameter: expected expression ending by "
                  "`:asc` or `:desc`, found `title`.")


# 6 -------------------------------------------------------------------------------------------------

async def test_checks_within_a_query(http):
    await refused(http, fed({"indexUid": "movies", "vector": [1.0], "media": {"a": 1}}), 400,
                  "invalid_search_media_and_vector",
                  "Inside `.queries[0]`: Invalid request: both `media` and `vector` parameters are present.")
    # unknown embedder before the sort syntax and before the engine's sortable check
    await refused(http, fed({"indexUid": "movies", "q": "carol", "hybrid": {"embedder": "nope"},
                             "sort": ["title"]}), 400, "invalid_search_embedder",
                  "Inside `.queries[0]`: Cannot find embedder with name `nope`.")
    await refused(http, fed({"indexUid": "movies-x", "q": "carol", "hybrid": {"embedder": "nope"},
                             "sort": ["title:asc"]}), 400, "invalid_search_embedder",
                  "Inside `.queries[0]`: Cannot find embedder with name `nope`.")
    # sort syntax before filter type
    await refused(http, fed({"indexUid": "movies", "sort": ["title"], "filter": True}), 400, "invalid_search_sort",
                  "Inside `.queries[0]`: Invalid syntax for the sort parameter: expected expression ending by "
                  "`:asc` or `:desc`, found `title`.")
    code = (await post(http, fed({"indexUid": "movies", "filter": True}), 400))["code"]
    assert code == "invalid_search_filter"
    # ratio 0: a keyword search, the embedder is never looked at
    got = await post(http, fed({"indexUid": "movies", "q": "carol", "hybrid": {"embedder": "nope",
                                                                                "semanticRatio": 0.0}}))
    assert [h["id"] for h in got["hits"]] == [1]


# 7 -------------------------------------------------------------------------------------------------

async def test_federation_distinct_not_filterable(http):
    await refused(http, fed({"indexUid": "movies-x"}, {"indexUid": "movies"}, distinct="color"), 400,
                  "invalid_search_distinct",
                  "Inside `.queries[1]`: Index `movies`: Attribute `color` is not filterable and thus, cannot be used "
                  "as distinct attribute. This index does not have configured filterable attributes.")
    await refused(http, fed({"indexUid": "movies-x"}, {"indexUid": "fruits"}, distinct="color"), 400,
                  "invalid_search_distinct",
                  "Inside `.queries[1]`: Index `fruits`: Attribute `color` is not filterable and thus, cannot be used "
                  "as distinct attribute. Available filterable attributes patterns are: `BOOST, id`.")


# 8 -------------------------------------------------------------------------------------------------

async def test_facets_by_index_not_filterable(http):
    body = fed({"indexUid": "movies"}, {"indexUid": "fruits", "q": "apple"}, {"indexUid": "fruits"},
               facetsByIndex={"fruits": ["name"]})
    await refused(http, body, 400, "invalid_multi_search_facets",
                  "Inside `.federation.facetsByIndex.fruits`: Invalid facet distribution: Attribute `name` is not "
                  "filterable. Available filterable attributes patterns are: `BOOST, id`.\n"
                  " - Note: index `fruits` used in `.queries[1]`")
    await refused(http, fed({"indexUid": "movies"}, facetsByIndex={"movies": ["color"]}), 400,
                  "invalid_multi_search_facets",
                  "Inside `.federation.facetsByIndex.movies`: Invalid facet distribution: Attribute `color` is not "
                  "filterable. This index does not have configured filterable attributes.\n"
                  " - Note: index `movies` used in `.queries[0]`")
    # the index's queries are searched first
    await refused(http, fed({"indexUid": "fruits", "filter": "name = x"}, facetsByIndex={"fruits": ["name"]}), 400,
                  "invalid_search_filter",
                  "Inside `.queries[0]`: Index `fruits`: Attribute `name` is not filterable. Available filterable "
                  "attribute patterns are: `BOOST`, `id`.\n1:5 name = x")


# 9 -------------------------------------------------------------------------------------------------

async def test_facets_by_index_of_unused_indexes(http):
    await refused(http, fed({"indexUid": "movies"}, facetsByIndex={"zorglub": ["x"]}), 400, "index_not_found",
                  "Inside `.federation.facetsByIndex.zorglub`: Index `zorglub` not found.\n"
                  " - Note: index `zorglub` is not used in queries")
    await refused(http, fed({"indexUid": "movies"}, facetsByIndex={"zorglub": None}), 400, "index_not_found",
                  "Inside `.federation.facetsByIndex.zorglub`: Index `zorglub` not found.\n"
                  " - Note: index `zorglub` is not used in queries")
    await refused(http, fed({"indexUid": "movies"}, facetsByIndex={"fruits": ["name"]}), 400,
                  "invalid_multi_search_facets",
                  "Inside `.federation.facetsByIndex.fruits`: Invalid facet distribution: Attribute `name` is not "
                  "filterable. Available filterable attributes patterns are: `BOOST, id`.\n"
                  " - Note: index `fruits` is not used in queries")
    # after every used index, even one with a larger uid
    await refused(http, fed({"indexUid": "zz"}, facetsByIndex={"aa": ["x"]}), 400, "index_not_found",
                  "Inside `.queries[0]`: Index `zz` not found.")
    # validated only: an unused index never shows in the response
    got = await post(http, fed({"indexUid": "movies"}, facetsByIndex={"fruits": ["BOOST"]}))
    assert "facetsByIndex" not in got


# 10 ------------------------------------------------------------------------------------------------

async def test_merge_facets_order(http):
    body = fed({"indexUid": "movies-x"}, {"indexUid": "movies"}, {"indexUid": "movies_2-x", "filter": "title = x"},
               facetsByIndex={"movies-x": ["color"], "movies_2-x": ["color"]}, mergeFacets={})
    await refused(http, body, 400, "invalid_multi_search_facet_order",
                  "Inside `.federation.facetsByIndex.movies_2-x`: Inconsistent order for values in facet `color`: "
                  "index `movies-x` orders alphabetically, but index `movies_2-x` orders by count.\n"
                  " - Hint: Remove `federation.mergeFacets` or change `faceting.sortFacetValuesBy` to be consistent "
                  "in settings.\n - Note: index `movies_2-x` used in `.queries[2]`")
    unused = fed({"indexUid": "movies-x"}, facetsByIndex={"movies-x": ["color"], "movies_2-x": ["color"]},
                 mergeFacets={"maxValuesPerFacet": 3})
    await refused(http, unused, 400, "invalid_multi_search_facet_order",
                  "Inside `.federation.facetsByIndex.movies_2-x`: Inconsistent order for values in facet `color`: "
                  "index `movies-x` orders alphabetically, but index `movies_2-x` orders by count.\n"
                  " - Hint: Remove `federation.mergeFacets` or change `faceting.sortFacetValuesBy` to be consistent "
                  "in settings.\n - Note: index `movies_2-x` is not used in queries")
    del unused["federation"]["mergeFacets"]
    got = await post(http, unused)
    assert list(got["facetsByIndex"]) == ["movies-x"]
