"""Merge order of federated hits and the ranking-rules compatibility check (notes/federation.md
§1.D, §2), through the HTTP route, against hand-computed expectations.

`dogs` (default ranking rules, sortable `father`, `mother`): 852 jean/michelle, 654 pierre/sabine,
750 romain/michelle, 951 jean-baptiste/sophie (documents in that order).  `places`: points on the
equator at longitude 1, 2, 3, 4.  `movies`: Carol, Moana.

Properties:
1. Hits are compared sort value by sort value: two placeholder queries sorting `mother:asc` and
   `father:asc` interleave by value (jean, jean-baptiste, michelle, pierre), each document once at
   its best place (a plain score order would list query 0's hits first).
2. Geo sorts compare by distance, the nearer first when ascending, the farther first when
   descending, across queries.
3. A hit with score groups beats a hit without (a keyword hit before a placeholder hit with no sort
   rule, whatever their scores); `weightedRankingScore` is the query's ranking score times its
   weight, exactly (`_rankingScore` stays unweighted); equal scores go to the lower query position.
4. Opposite sort directions, a relevancy rule against a sort, a sort against a geo sort:
   `invalid_multi_search_query_ranking_rules` with Meilisearch's message (both rules, the reason,
   every canonicalization note of both queries: placeholder removals, `sort` removed without
   `query.sort`, duplicate fields), raised before the query's filter is looked at.
5. Compatible lists are compared over the shorter one, against the query with the most kinds so
   far: a keyword query without sort is compatible with a keyword query sorting, and a later
   placeholder sort query is compared with the sorting one.
6. Meilisearch's own example (notes §2.4, `federation_multiple_search_single_index`): "the bat",
   "badman returns", "batman", "batman returns" over five Batman titles give D, C, A, B, E with
   their query positions and weighted scores, 5 hits in total.
"""
from __future__ import annotations

import pytest

from engine.engine import Engine
from server.app import create_app
from support import index_documents, post_json

KEY = "federation-ranking-master-key"
DOGS = [
    {"id": 852, "father": "jean", "mother": "michelle"},
    {"id": 654, "father": "pierre", "mother": "sabine"},
    {"id": 750, "father": "romain", "mother": "michelle"},
    {"id": 951, "father": "jean-baptiste", "mother": "sophie"},
]
PLACES = [{"id": i, "_geo": {"lat": 0.0, "lng": float(i)}} for i in range(1, 5)]


def removed(n: int, rule: str, position: int) -> str:
    return (f"    {n}. Removed relevancy rule `{rule}` at position #{position} in ranking rules because the query is a "
            'placeholder search (`q`: "")\n')


PLACEHOLDER_NOTES = "".join(removed(n, rule, pos) for n, (rule, pos) in enumerate(
    [("words", 0), ("typo", 1), ("proximity", 2), ("attributeRank", 3), ("wordPosition", 5), ("exactness", 6)], 1))


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = Engine(tmp_path_factory.mktemp("federation-ranking") / "db", worker="thread")
    index_documents(engine, "dogs", DOGS, {"sortableAttributes": ["father", "mother"], "filterableAttributes": ["id"]})
    index_documents(engine, "places", PLACES, {"sortableAttributes": ["_geo"], "filterableAttributes": ["id"]})
    index_documents(engine, "movies", [{"id": 1, "title": "Carol"}, {"id": 2, "title": "Moana"}])
    index_documents(engine, "score", [{"title": "Batman the dark knight returns: Part 1", "id": "A"},
                    {"title": "Batman the dark knight returns: Part 2", "id": "B"},
                             {"title": "Batman Returns", "id": "C"}, {"title": "Batman", "id": "D"},
                             {"title": "Badman", "id": "E"}])
    yield engine
    engine.close()


@pytest.fixture
async def http(engine, aiohttp_client):
    return await aiohttp_client(create_app(engine, master_key=KEY))


async def post(http, body, status=200):
    return await post_json(http, "/multi-search", body, KEY, status)


def order(got):
    return [(h["_federation"]["indexUid"], h["id"], h["_federation"]["queriesPosition"]) for h in got["hits"]]


# 1 -------------------------------------------------------------------------------------------------

async def test_sort_values_interleave(http):
    got = await post(http, {"federation": {}, "queries": [
        {"indexUid": "dogs", "sort": ["mother:asc"]}, {"indexUid": "dogs", "sort": ["father:asc"]}]})
    assert order(got) == [("dogs", 852, 1), ("dogs", 951, 1), ("dogs", 750, 0), ("dogs", 654, 1)]
    assert got["hits"][0] == {"id": 852, "father": "jean", "mother": "michelle",
                              "_federation": {"indexUid": "dogs", "queriesPosition": 1, "weightedRankingScore": 1.0}}
    assert got["estimatedTotalHits"] == 4
    got = await post(http, {"federation": {}, "queries": [
        {"indexUid": "dogs", "sort": ["mother:desc"]}, {"indexUid": "dogs", "sort": ["father:desc"]}]})
    # desc: sophie(951, q0) > sabine(654, q0) > romain(750, q1) > pierre(654: seen) > michelle(852, q0)
    assert order(got) == [("dogs", 951, 0), ("dogs", 654, 0), ("dogs", 750, 1), ("dogs", 852, 0)]


# 2 -------------------------------------------------------------------------------------------------

async def test_geo_sort_by_distance(http):
    def body(direction):
        return {"federation": {}, "queries": [
            {"indexUid": "places", "filter": "id = 1 OR id = 3", "sort": [f"_geoPoint(0, 0):{direction}"]},
            {"indexUid": "places", "filter": "id = 2 OR id = 4", "sort": [f"_geoPoint(0, 0):{direction}"]}]}

    got = await post(http, body("asc"))
    assert order(got) == [("places", 1, 0), ("places", 2, 1), ("places", 3, 0), ("places", 4, 1)]
    assert list(got["hits"][0]) == ["id", "_geo", "_geoDistance", "_federation"]
    got = await post(http, body("desc"))
    assert order(got) == [("places", 4, 1), ("places", 3, 0), ("places", 2, 1), ("places", 1, 0)]


# 3 -------------------------------------------------------------------------------------------------

async def test_scores_and_weights(http):
    got = await post(http, {"federation": {}, "queries": [
        {"indexUid": "dogs", "filter": "id = 852"},
        {"indexUid": "movies", "q": "carol", "showRankingScore": True, "federationOptions": {"weight": 0.7}}]})
    # the keyword hit has a score group, the placeholder hit none: the keyword hit comes first
    assert order(got) == [("movies", 1, 1), ("dogs", 852, 0)]
    movie = got["hits"][0]
    assert movie["_federation"]["weightedRankingScore"] == movie["_rankingScore"] * 0.7
    assert list(movie) == ["id", "title", "_federation", "_rankingScore"]
    assert got["hits"][1]["_federation"]["weightedRankingScore"] == 1.0
    # equal scores: the lower query position first
    got = await post(http, {"federation": {}, "queries": [{"indexUid": "movies", "q": "moana"},
                                                           {"indexUid": "movies", "q": "carol"}]})
    assert order(got) == [("movies", 2, 0), ("movies", 1, 1)]
    got = await post(http, {"federation": {}, "queries": [
        {"indexUid": "movies", "q": "moana", "federationOptions": {"weight": 0.5}},
        {"indexUid": "movies", "q": "carol"}]})
    assert order(got) == [("movies", 1, 1), ("movies", 2, 0)]
    assert got["hits"][1]["_federation"]["weightedRankingScore"] == 0.5


# 4 -------------------------------------------------------------------------------------------------

async def refused(http, body, message):
    got = await post(http, body, 400)
    assert got == {"message": message, "code": "invalid_multi_search_query_ranking_rules", "type": "invalid_request",
                   "link": "https://docs.meilisearch.com/errors#invalid_multi_search_query_ranking_rules"}


async def test_opposite_sort_directions(http):
    await refused(http, {"federation": {}, "queries": [
        {"indexUid": "dogs", "sort": ["mother:asc"]},
        {"indexUid": "dogs", "sort": ["mother:desc"], "filter": "title = x"}]},
        "Inside `.queries[1]`: The results of queries #0 and #1 are incompatible: \n"
        "  1. `queries[0].sort[0]`, `dogs.rankingRules[0]`: ascending sort rule(s) on field `mother`\n"
        "  2. `queries[1].sort[0]`, `dogs.rankingRules[0]`: descending sort rule(s) on field `mother`\n"
        "  - cannot compare two sort rules in opposite directions\n"
        "  - note: The ranking rules of query #0 were modified during canonicalization:\n" + PLACEHOLDER_NOTES +
        "  - note: The ranking rules of query #1 were modified during canonicalization:\n" + PLACEHOLDER_NOTES)


async def test_relevancy_against_sort(http):
    await refused(http, {"federation": {}, "queries": [
        {"indexUid": "dogs", "q": "jean"},
        {"indexUid": "dogs", "sort": ["father:asc", "mother:asc", "father:desc"]}]},
        "Inside `.queries[1]`: The results of queries #0 and #1 are incompatible: \n"
        "  1. `queries[0]`, `dogs.rankingRules[0..=5]`: relevancy rule(s) words, typo, proximity, attributeRank, "
        "wordPosition, exactness\n"
        "  2. `queries[1].sort[0]`, `dogs.rankingRules[0]`: ascending sort rule(s) on field `father`\n"
        "  - cannot compare a relevancy rule with a sort rule\n"
        "  - note: The ranking rules of query #0 were modified during canonicalization:\n"
        "   1. Removed rule `sort` at position #4 in ranking rules because `query.sort` is empty\n"
        "  - note: The ranking rules of query #1 were modified during canonicalization:\n"
        + removed(1, "words", 0) + removed(2, "typo", 1) + removed(3, "proximity", 2) + removed(4, "attributeRank", 3)
        + "    5. Removed duplicate rule `father:asc` at position #2 in `query.sort` (as `sort` is #4 in ranking "
          "rules) as it already appears at position #0 in `query.sort` (as `sort` is #4 in ranking rules)\n"
        + removed(6, "wordPosition", 5) + removed(7, "exactness", 6))


async def test_sort_against_geo_sort(http):
    await refused(http, {"federation": {}, "queries": [
        {"indexUid": "places", "sort": ["_geoPoint(0, 0):asc"]},
        {"indexUid": "dogs", "sort": ["father:asc"]}]},
        "Inside `.queries[0]`: The results of queries #1 and #0 are incompatible: \n"
        "  1. `queries[1].sort[0]`, `dogs.rankingRules[0]`: ascending sort rule(s) on field `father`\n"
        "  2. `queries[0].sort[0]`, `places.rankingRules[0]`: ascending geo sort rule(s) default\n"
        "  - cannot compare a sort rule with a geosort rule\n"
        "  - note: The ranking rules of query #1 were modified during canonicalization:\n" + PLACEHOLDER_NOTES +
        "  - note: The ranking rules of query #0 were modified during canonicalization:\n" + PLACEHOLDER_NOTES)


# 5 -------------------------------------------------------------------------------------------------

async def test_compatible_prefixes(http):
    got = await post(http, {"federation": {}, "queries": [
        {"indexUid": "dogs", "q": "jean", "sort": ["father:asc"]}, {"indexUid": "dogs", "q": "romain"}]})
    assert {h["id"] for h in got["hits"]} == {852, 951, 750}
    await refused(http, {"federation": {}, "queries": [
        {"indexUid": "dogs", "q": "jean", "sort": ["father:asc"]}, {"indexUid": "dogs", "q": "romain"},
        {"indexUid": "dogs", "sort": ["father:desc"]}]},
        "Inside `.queries[2]`: The results of queries #0 and #2 are incompatible: \n"
        "  1. `queries[0]`, `dogs.rankingRules[0..=3]`: relevancy rule(s) words, typo, proximity, attributeRank\n"
        "  2. `queries[2].sort[0]`, `dogs.rankingRules[0]`: descending sort rule(s) on field `father`\n"
        "  - cannot compare a relevancy rule with a sort rule\n"
        "  - note: The ranking rules of query #2 were modified during canonicalization:\n" + PLACEHOLDER_NOTES)


# 6 -------------------------------------------------------------------------------------------------

async def test_meilisearch_example(http):
    got = await post(http, {"federation": {}, "queries": [
        {"indexUid": "score", "q": q} for q in ("the bat", "badman returns", "batman", "batman returns")]})
    assert [(h["id"], h["_federation"]["queriesPosition"], h["_federation"]["weightedRankingScore"])
            for h in got["hits"]] == [("D", 2, 1.0), ("C", 3, 1.0), ("A", 2, 0.9848484848484849),
                                      ("B", 2, 0.9848484848484849), ("E", 1, 0.5)]
    assert got["estimatedTotalHits"] == 5
