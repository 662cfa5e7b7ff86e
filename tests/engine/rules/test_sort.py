"""Sort rules (ranking.md §7.8, filters-facets.md §7).

Properties:
1. numbers before strings before missing values, ascending and descending;
2. arrays sort at their best value for the direction;
3. custom `field:desc` ranking rules sort the whole universe before textual rules;
4. sort details show the value; sort rules don't count in _rankingScore;
5. sorting on a non-sortable attribute is an error with Meilisearch's message;
6. a sort on a field that is not displayed (by the `sort` parameter or a custom rule; a displayed
   parent object does not count) shows as `<hidden-rule-N>` with the value `<hidden>`;
7. geo sort details give the distance unrounded (the sort compares it to the millimetre).
"""
import pytest

from engine.errors import LoupeError


def ids(result):
    return [hit["id"] for hit in result["hits"]]

DOCS = [
    {"id": 1, "price": 10},
    {"id": 2, "price": "cheap"},
    {"id": 3},
    {"id": 4, "price": 2.5},
    {"id": 5, "price": [30, 1]},
    {"id": 6, "price": "Apple"},
]


def test_sort_order(make_index):
    index = make_index(DOCS, {"sortableAttributes": ["price"]})
    assert ids(index.search("", sort=["price:asc"])) == [5, 4, 1, 6, 2, 3]
    assert ids(index.search("", sort=["price:desc"])) == [5, 1, 4, 2, 6, 3]
    hit = index.search("", sort=["price:asc"], show_ranking_score_details=True, show_ranking_score=True)["hits"][0]
    assert hit["_rankingScoreDetails"] == {"price:asc": {"order": 0, "value": 1.0}}
    assert hit["_rankingScore"] == 1.0


def test_custom_ranking_rule(make_index):
    index = make_index([{"id": 1, "t": "red apple", "rank": 1}, {"id": 2, "t": "red", "rank": 5}],
                       {"rankingRules": ["rank:desc", "words", "typo", "proximity", "attribute", "exactness"]})
    assert ids(index.search("red apple")) == [2, 1]


def test_not_sortable_error(make_index):
    index = make_index(DOCS, {"sortableAttributes": ["price"]})
    with pytest.raises(LoupeError) as err:
        index.search("", sort=["title:asc"])
    assert err.value.code == "invalid_search_sort"
    assert err.value.message == ("Index `test`: Attribute `title` is not sortable. Available sortable attributes "
                                 "are: `price`.")


def test_hidden_sort_rules(make_index):
    docs = [{"id": 1, "t": "hello", "price": 9, "obj": {"x": 1}}, {"id": 2, "t": "hello", "price": 3, "obj": {"x": 2}}]
    settings = {"displayedAttributes": ["id", "t", "obj"], "sortableAttributes": ["obj.x", "price"],
                "rankingRules": ["price:desc", "words", "sort", "typo", "proximity", "attribute", "exactness"]}
    index = make_index(docs, settings)
    for q in ("hello", ""):
        details = index.search(q, show_ranking_score_details=True)["hits"][0]["_rankingScoreDetails"]
        assert list(details.items())[0] == ("<hidden-rule-0>", {"order": 0, "value": "<hidden>"})
    details = index.search("", sort=["obj.x:asc"], show_ranking_score_details=True)["hits"][0]["_rankingScoreDetails"]
    assert details == {"<hidden-rule-0>": {"order": 0, "value": "<hidden>"},
                       "<hidden-rule-1>": {"order": 1, "value": "<hidden>"}}
    shown = make_index(docs, {**settings, "displayedAttributes": ["*"]})
    details = shown.search("", sort=["obj.x:asc"], show_ranking_score_details=True)["hits"][0]["_rankingScoreDetails"]
    assert details == {"price:desc": {"order": 0, "value": 9.0}, "obj.x:asc": {"order": 1, "value": 1.0}}


def test_geo_sort_distance_is_unrounded(make_index):
    docs = [{"id": 1, "_geo": {"lat": 0, "lng": 0.00001}}, {"id": 2, "_geo": {"lat": 1.5, "lng": 2}}]
    index = make_index(docs, {"sortableAttributes": ["_geo"]})
    hits = index.search("", sort=["_geoPoint(0, 0):asc"], show_ranking_score_details=True)["hits"]
    assert [h["_rankingScoreDetails"]["_geoPoint(0, 0):asc"]["distance"] for h in hits] == [
        1.1119492664455874, 277966.9901417409]
