"""Sort rules (ranking.md §7.8, filters-facets.md §7).

Properties:
1. numbers before strings before missing values, ascending and descending;
2. arrays sort at their best value for the direction;
3. custom `field:desc` ranking rules sort the whole universe before textual rules;
4. sort details show the value; sort rules don't count in _rankingScore;
5. sorting on a non-sortable attribute is an error with Meilisearch's message.
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
