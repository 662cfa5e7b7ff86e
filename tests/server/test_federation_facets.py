"""Facets of a federated multi-search (api.md §6; notes/federation.md §3), through the HTTP route.

Two indexes, `cats` and `dogs`, both filterable on `father`, `mother`, `doggos.age`, both ordering
`mother` by count; `dogs` keeps 3 values per facet.  The `dogs` queries match {852}, {852, 750}
and {951}; the `cats` query matches both cats.

Properties:
1. `facetsByIndex`: one `{"distribution", "stats"}` per used index listed with a list, uids in
   ascending order, counted over the union of that index's queries' candidates (a document matched
   by two queries counts once), with the index's maxValuesPerFacet and sortFacetValuesBy; `stats`
   always present; `[]` gives empty objects; `null`, unlisted and unused indexes are absent; no
   `facetsByIndex` key when no index produced facets; response keys in Meilisearch's order.
2. Totals count each index's union once (5 = 3 + 2), hits keep `_federation` after the fields.
3. `mergeFacets`: top-level `facetDistribution`/`facetStats` instead of `facetsByIndex`; counts of
   equal keys summed over the (already truncated) per-index results, keys compared as shown (so
   `Jean` and `jean` stay apart), stats widened, alphabetical facets re-sorted bytewise on the key
   (`"10"` before `"2"`), count facets by decreasing count, `maxValuesPerFacet` cuts each facet;
   no index with facets: neither key.
4. Patterns (`"*"`) select every filterable field, as in a plain search.
"""
from __future__ import annotations

import pytest

from engine.engine import Engine
from server.app import create_app
from support import index_documents, pop_request_uid, post_json

KEY = "federation-facets-master-key"
FILTERABLE = ["father", "mother", "doggos.age"]
DOGS = [
    {"id": 852, "father": "jean", "mother": "michelle", "doggos": [{"name": "bobby", "age": 2}, {"name": "buddy", "age": 4}]},
    {"id": 654, "father": "pierre", "mother": "sabine", "doggos": [{"name": "gros bill", "age": 8}]},
    {"id": 750, "father": "romain", "mother": "michelle", "doggos": [{"name": "turbo", "age": 5}, {"name": "fast", "age": 6}]},
    {"id": 951, "father": "jean-baptiste", "mother": "sophie", "doggos": [{"name": "max", "age": 2}]},
]
CATS = [
    {"id": 1, "father": "Jean", "mother": "sophie", "doggos": [{"age": 10}]},
    {"id": 2, "father": "romain", "mother": "sophie", "doggos": [{"age": 2}]},
]
DOGS_FACETS = {"distribution": {"doggos.age": {"2": 2, "4": 1, "5": 1},
                                "father": {"jean": 1, "jean-baptiste": 1, "romain": 1},
                                "mother": {"michelle": 2, "sophie": 1}},
               "stats": {"doggos.age": {"min": 2.0, "max": 6.0}}}
CATS_FACETS = {"distribution": {"doggos.age": {"2": 1, "10": 1}, "father": {"Jean": 1, "romain": 1},
                                "mother": {"sophie": 2}},
               "stats": {"doggos.age": {"min": 2.0, "max": 10.0}}}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = Engine(tmp_path_factory.mktemp("federation-facets") / "db", worker="thread")
    count_mother = {"sortFacetValuesBy": {"mother": "count"}}
    index_documents(engine, "dogs", DOGS, {"filterableAttributes": FILTERABLE,
                    "faceting": {**count_mother, "maxValuesPerFacet": 3}})
    index_documents(engine, "cats", CATS, {"filterableAttributes": FILTERABLE, "faceting": count_mother})
    index_documents(engine, "plain", [{"id": 1}], {"filterableAttributes": ["id"]})
    yield engine
    engine.close()


@pytest.fixture
async def http(engine, aiohttp_client):
    return await aiohttp_client(create_app(engine, master_key=KEY))


async def post(http, body, status=200):
    got = await post_json(http, "/multi-search", body, KEY, status)
    assert isinstance(got.pop("processingTimeMs"), int)
    pop_request_uid(got)
    return got


QUERIES = [
    {"indexUid": "dogs", "filter": "father = jean", "attributesToRetrieve": ["id"]},
    {"indexUid": "dogs", "filter": "mother = michelle", "attributesToRetrieve": ["id"]},
    {"indexUid": "dogs", "filter": 'father = "jean-baptiste"', "attributesToRetrieve": ["id"]},
    {"indexUid": "cats", "attributesToRetrieve": ["id"]},
]


def hit(id, uid, position):
    return {"id": id, "_federation": {"indexUid": uid, "queriesPosition": position, "weightedRankingScore": 1.0}}


# 1, 2 ----------------------------------------------------------------------------------------------

async def test_facets_by_index(http):
    got = await post(http, {"federation": {"facetsByIndex": {"dogs": FILTERABLE, "cats": FILTERABLE, "plain": ["id"]}},
                            "queries": QUERIES})
    assert list(got) == ["hits", "limit", "offset", "estimatedTotalHits", "facetsByIndex"]
    assert got == {
        "hits": [hit(852, "dogs", 0), hit(750, "dogs", 1), hit(951, "dogs", 2), hit(1, "cats", 3), hit(2, "cats", 3)],
        "limit": 20, "offset": 0, "estimatedTotalHits": 5,
        "facetsByIndex": {"cats": CATS_FACETS, "dogs": DOGS_FACETS},
    }
    assert list(got["facetsByIndex"]) == ["cats", "dogs"]
    assert list(got["facetsByIndex"]["dogs"]["distribution"]["mother"]) == ["michelle", "sophie"]


async def test_facets_by_index_empty_null_absent(http):
    got = await post(http, {"federation": {"facetsByIndex": {"dogs": [], "cats": None}}, "queries": QUERIES})
    assert got["facetsByIndex"] == {"dogs": {"distribution": {}, "stats": {}}}
    got = await post(http, {"federation": {"facetsByIndex": {"cats": None}}, "queries": QUERIES})
    assert "facetsByIndex" not in got and got["estimatedTotalHits"] == 5
    got = await post(http, {"federation": {"facetsByIndex": {"cats": ["mother"]}, "limit": 1, "offset": 1},
                            "queries": QUERIES[:1] + QUERIES[3:]})
    assert got == {"hits": [hit(1, "cats", 1)], "limit": 1, "offset": 1, "estimatedTotalHits": 3,
                   "facetsByIndex": {"cats": {"distribution": {"mother": {"sophie": 2}}, "stats": {}}}}


async def test_facets_by_index_in_page_mode(http):
    got = await post(http, {"federation": {"facetsByIndex": {"cats": ["doggos.age"]}, "page": 2, "hitsPerPage": 2},
                            "queries": QUERIES})
    assert got == {"hits": [hit(951, "dogs", 2), hit(1, "cats", 3)], "hitsPerPage": 2, "page": 2, "totalPages": 3,
                   "totalHits": 5,
                   "facetsByIndex": {"cats": {"distribution": {"doggos.age": {"2": 1, "10": 1}},
                                              "stats": {"doggos.age": {"min": 2.0, "max": 10.0}}}}}


# 3 -------------------------------------------------------------------------------------------------

async def test_merge_facets(http):
    body = {"federation": {"facetsByIndex": {"dogs": FILTERABLE, "cats": FILTERABLE}, "mergeFacets": {}},
            "queries": QUERIES}
    got = await post(http, body)
    assert list(got) == ["hits", "limit", "offset", "estimatedTotalHits", "facetDistribution", "facetStats"]
    assert got["facetDistribution"] == {
        "doggos.age": {"10": 1, "2": 3, "4": 1, "5": 1},
        "father": {"Jean": 1, "jean": 1, "jean-baptiste": 1, "romain": 2},
        "mother": {"sophie": 3, "michelle": 2},
    }
    assert [list(v) for v in got["facetDistribution"].values()] == [
        ["10", "2", "4", "5"], ["Jean", "jean", "jean-baptiste", "romain"], ["sophie", "michelle"]]
    assert got["facetStats"] == {"doggos.age": {"min": 2.0, "max": 10.0}}
    body["federation"]["mergeFacets"] = {"maxValuesPerFacet": 2}
    got = await post(http, body)
    assert got["facetDistribution"] == {"doggos.age": {"10": 1, "2": 3}, "father": {"Jean": 1, "jean": 1},
                                        "mother": {"sophie": 3, "michelle": 2}}
    assert got["facetStats"] == {"doggos.age": {"min": 2.0, "max": 10.0}}


async def test_merge_facets_without_facets(http):
    got = await post(http, {"federation": {"mergeFacets": {"maxValuesPerFacet": 2}, "facetsByIndex": {"cats": None}},
                            "queries": QUERIES})
    assert list(got) == ["hits", "limit", "offset", "estimatedTotalHits"]
    got = await post(http, {"federation": {"mergeFacets": {}, "facetsByIndex": {"cats": []}}, "queries": QUERIES})
    assert (got["facetDistribution"], got["facetStats"]) == ({}, {})


# 4 -------------------------------------------------------------------------------------------------

async def test_facet_patterns(http):
    got = await post(http, {"federation": {"facetsByIndex": {"dogs": ["*"], "cats": ["doggos.*"]}}, "queries": QUERIES})
    assert got["facetsByIndex"] == {
        "cats": {"distribution": {"doggos.age": {"2": 1, "10": 1}}, "stats": {"doggos.age": {"min": 2.0, "max": 10.0}}},
        "dogs": DOGS_FACETS,
    }
