"""`federation.distinct` and the totals of a federated multi-search (notes/federation.md §2.3–§3),
through the HTTP route.  Every query is a placeholder search (score 1.0), so hits tie and come by
query position, then in each query's order.

`shop`: s1 sku "A", s2 sku "A", s3 sku "B", s5 sku 1.0; `store`: t1 sku "a", t2 sku "D", t3 sku 1.
Queries: q0 shop {s1}, q1 shop {s2, s3}, q2 store {t1, t2, t3}, q3 shop {s5}.

Properties:
1. Within an index, a hit sharing a distinct value with a better hit of another query of that index
   is dropped and leaves the index's candidates (s2), so the index's total is one less.
2. Across indexes, a hit sharing a value with an accepted hit is dropped (t1: "a" is "A"
   normalized), and each such drop is one less in the total, even past the requested page (the
   merge runs to the end); an integer and a float never share a value (t3's 1, s5's 1.0).
3. Totals: per index the size of the union of its queries' candidates, not capped by the index's
   maxTotalHits (which only caps its hits), summed over indexes; an offset past the end gives no
   hit and the same total; page mode gives totalHits/totalPages from the same count.
4. Facet counts lose the dropped hits: in `facetsByIndex`, the index's union already lacks the
   in-index drops and the cross-index drops are taken out of their index's counts (one per value,
   emptied values removed, stats kept); with `mergeFacets` they are taken out of the merged counts,
   a string value finding its key through the keys' normalized forms (Meilisearch's quirk: "a"
   takes one from `A`, not from `a`).
5. Without `federation.distinct`, a query's own `distinct` dedupes that query only.
"""
from __future__ import annotations

import pytest

from engine.engine import Engine
from server.app import create_app
from support import index_documents, pop_request_uid, post_json

KEY = "federation-distinct-master-key"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = Engine(tmp_path_factory.mktemp("federation-distinct") / "db", worker="thread")
    index_documents(engine, "shop", [{"id": 1, "sku": "A"}, {"id": 2, "sku": "A"}, {"id": 3, "sku": "B"}, {"id": 5, "sku": 1.0}],
                    {"filterableAttributes": ["id", "sku"]})
    index_documents(engine, "store", [{"id": 1, "sku": "a"}, {"id": 2, "sku": "D"}, {"id": 3, "sku": 1}],
                    {"filterableAttributes": ["id", "sku"]})
    index_documents(engine, "capped", [{"id": i, "sku": "x"} for i in range(1, 4)],
                    {"filterableAttributes": ["sku"], "pagination": {"maxTotalHits": 2}})
    yield engine
    engine.close()


@pytest.fixture
async def http(engine, aiohttp_client):
    return await aiohttp_client(create_app(engine, master_key=KEY))


async def post(http, body, status=200):
    got = await post_json(http, "/multi-search", body, KEY, status)
    got.pop("processingTimeMs", None)
    if status == 200:
        pop_request_uid(got)
    return got


QUERIES = [
    {"indexUid": "shop", "filter": "id = 1"},
    {"indexUid": "shop", "filter": "id = 2 OR id = 3"},
    {"indexUid": "store"},
    {"indexUid": "shop", "filter": "id = 5"},
]


def ids(got):
    return [(h["_federation"]["indexUid"], h["id"]) for h in got["hits"]]


# 1, 2 ----------------------------------------------------------------------------------------------

async def test_distinct_within_and_across_indexes(http):
    got = await post(http, {"federation": {"distinct": "sku"}, "queries": QUERIES})
    assert ids(got) == [("shop", 1), ("shop", 3), ("store", 2), ("store", 3), ("shop", 5)]
    assert got["hits"][0] == {"id": 1, "sku": "A", "_federation": {"indexUid": "shop", "queriesPosition": 0,
                                                                    "weightedRankingScore": 1.0}}
    assert got["estimatedTotalHits"] == 5          # shop {1, 3, 5} + store {1, 2, 3} - t1
    got = await post(http, {"federation": {"distinct": "sku", "limit": 2}, "queries": QUERIES})
    assert ids(got) == [("shop", 1), ("shop", 3)] and got["estimatedTotalHits"] == 5
    got = await post(http, {"federation": {}, "queries": QUERIES})
    assert ids(got) == [("shop", 1), ("shop", 2), ("shop", 3), ("store", 1), ("store", 2), ("store", 3), ("shop", 5)]
    assert got["estimatedTotalHits"] == 7


# 3 -------------------------------------------------------------------------------------------------

async def test_totals(http):
    got = await post(http, {"federation": {"offset": 10}, "queries": QUERIES})
    assert got == {"hits": [], "limit": 20, "offset": 10, "estimatedTotalHits": 7}
    got = await post(http, {"federation": {"distinct": "sku", "page": 2, "hitsPerPage": 2}, "queries": QUERIES})
    assert got == {"hits": [{"id": 2, "sku": "D", "_federation": {"indexUid": "store", "queriesPosition": 2,
                                                                  "weightedRankingScore": 1.0}},
                            {"id": 3, "sku": 1, "_federation": {"indexUid": "store", "queriesPosition": 2,
                                                                "weightedRankingScore": 1.0}}],
                   "hitsPerPage": 2, "page": 2, "totalPages": 3, "totalHits": 5}
    # maxTotalHits caps an index's hits, not its count; one document matched twice counts once
    got = await post(http, {"federation": {}, "queries": [{"indexUid": "capped"}, {"indexUid": "capped",
                                                                                   "filter": "sku = x"}]})
    assert [h["id"] for h in got["hits"]] == [1, 2] and got["estimatedTotalHits"] == 3


# 4 -------------------------------------------------------------------------------------------------

async def test_facets_lose_rejected_hits(http):
    body = {"federation": {"distinct": "sku", "facetsByIndex": {"shop": ["sku"], "store": ["sku"]}}, "queries": QUERIES}
    got = await post(http, body)
    assert got["facetsByIndex"] == {
        "shop": {"distribution": {"sku": {"1": 1, "A": 1, "B": 1}}, "stats": {"sku": {"min": 1.0, "max": 1.0}}},
        "store": {"distribution": {"sku": {"1": 1, "D": 1}}, "stats": {"sku": {"min": 1.0, "max": 1.0}}},
    }
    body["federation"]["mergeFacets"] = {}
    got = await post(http, body)
    assert got["facetDistribution"] == {"sku": {"1": 2, "B": 1, "D": 1, "a": 1}}
    assert list(got["facetDistribution"]["sku"]) == ["1", "B", "D", "a"]
    assert got["facetStats"] == {"sku": {"min": 1.0, "max": 1.0}}
    # without distinct nothing is taken out
    del body["federation"]["distinct"]
    got = await post(http, body)
    assert got["facetDistribution"] == {"sku": {"1": 2, "A": 2, "B": 1, "D": 1, "a": 1}}


# 5 -------------------------------------------------------------------------------------------------

async def test_query_distinct_only_dedupes_its_query(http):
    got = await post(http, {"federation": {}, "queries": [{"indexUid": "shop", "distinct": "sku"},
                                                           {"indexUid": "store", "filter": "id = 1"}]})
    assert ids(got) == [("shop", 1), ("shop", 3), ("shop", 5), ("store", 1)]
    assert got["estimatedTotalHits"] == 4
