"""Search through the official client against a real `loupe` process.

Properties:
1. keyword search returns hits in ranking order with `_rankingScore` and the Meilisearch envelope
   (its `requestUid` a UUID v7);
2. filters (string, number range, arrays, IN, NOT) and facets with facetDistribution/facetStats;
3. sort on sortable attributes; errors for non-sortable and non-filterable attributes;
4. facet search with a typo and a prefix;
5. page/hitsPerPage envelope.
"""
import pytest
from meilisearch.errors import MeilisearchApiError

from support import pop_request_uid

MOVIES = [
    {"id": 1, "title": "Carol", "genres": ["Romance", "Drama"], "year": 2015, "rating": 7.2},
    {"id": 2, "title": "Wonder Woman", "genres": ["Action", "Adventure"], "year": 2017, "rating": 7.4},
    {"id": 3, "title": "Life of Pi", "genres": ["Adventure", "Drama"], "year": 2012, "rating": 7.9},
    {"id": 4, "title": "Mad Max: Fury Road", "genres": ["Adventure", "Science Fiction"], "year": 2015, "rating": 8.1},
    {"id": 5, "title": "Moana", "genres": ["Fantasy", "Action"], "year": 2016, "rating": 7.6},
    {"id": 6, "title": "Philadelphia", "genres": ["Drama"], "year": 1993, "rating": 7.7},
]


@pytest.fixture
def movies(client):
    index = client.index("movies")
    client.wait_for_task(index.update_settings({"filterableAttributes": ["genres", "year", "rating"],
                                                "sortableAttributes": ["year", "rating"]}).task_uid)
    task = client.wait_for_task(index.add_documents(MOVIES).task_uid)
    assert task.status == "succeeded"
    return index


def test_keyword_search(movies):
    result = movies.search("wonder woman", {"showRankingScore": True})
    assert [h["id"] for h in result["hits"]] == [2]
    assert result["hits"][0]["_rankingScore"] == 1.0
    assert list(result) == ["hits", "query", "processingTimeMs", "limit", "offset", "estimatedTotalHits",
                            "requestUid"]
    pop_request_uid(result)
    assert (result["query"], result["limit"], result["offset"], result["estimatedTotalHits"]) == ("wonder woman", 20, 0, 1)
    assert [h["id"] for h in movies.search("wondr")["hits"]] == [2]
    assert [h["id"] for h in movies.search("phil")["hits"]] == [6]


def test_filters_and_facets(movies):
    result = movies.search("", {"filter": "genres = drama AND year > 2000", "facets": ["genres", "rating"]})
    assert [h["id"] for h in result["hits"]] == [1, 3]
    assert result["facetDistribution"] == {"genres": {"Adventure": 1, "Drama": 2, "Romance": 1},
                                           "rating": {"7.2": 1, "7.9": 1}}
    assert result["facetStats"] == {"rating": {"min": 7.2, "max": 7.9}}
    result = movies.search("", {"filter": [["genres = Action", "genres = Romance"], "year 2015 TO 2016"]})
    assert [h["id"] for h in result["hits"]] == [1, 5]
    result = movies.search("", {"filter": "genres IN [fantasy, romance] AND NOT year = 2016"})
    assert [h["id"] for h in result["hits"]] == [1]
    with pytest.raises(MeilisearchApiError) as err:
        movies.search("", {"filter": "title = Carol"})
    assert err.value.code == "invalid_search_filter"
    assert err.value.message.startswith("Index `movies`: Attribute `title` is not filterable.")


def test_sort(movies):
    result = movies.search("", {"sort": ["rating:desc"], "limit": 3})
    assert [h["id"] for h in result["hits"]] == [4, 3, 6]
    with pytest.raises(MeilisearchApiError) as err:
        movies.search("", {"sort": ["title:asc"]})
    assert err.value.code == "invalid_search_sort"


def test_facet_search_and_pages(movies):
    result = movies.facet_search("genres", "adventur")
    assert result["facetHits"] == [{"value": "Adventure", "count": 3}]
    assert movies.facet_search("genres", "drma")["facetHits"] == []  # 4 bytes: no typo allowed
    assert movies.facet_search("genres", "romnce")["facetHits"] == [{"value": "Romance", "count": 1}]
    result = movies.search("", {"page": 2, "hitsPerPage": 4})
    assert [h["id"] for h in result["hits"]] == [5, 6]
    assert (result["page"], result["hitsPerPage"], result["totalPages"], result["totalHits"]) == (2, 4, 2, 6)


def test_multi_search(client, movies):
    result = client.multi_search([{"indexUid": "movies", "q": "carol"}, {"indexUid": "movies", "q": "moana"}])
    assert [r["indexUid"] for r in result["results"]] == ["movies", "movies"]
    assert [[h["id"] for h in r["hits"]] for r in result["results"]] == [[1], [5]]
    federated = client.multi_search([{"indexUid": "movies", "q": "carol"},
                                     {"indexUid": "movies", "q": "moana", "federationOptions": {"weight": 0.5}}],
                                    {"limit": 5})
    assert [h["id"] for h in federated["hits"]] == [1, 5]
    assert federated["hits"][1]["_federation"] == {"indexUid": "movies", "queriesPosition": 1,
                                                   "weightedRankingScore": 0.5}
    with pytest.raises(MeilisearchApiError) as err:
        client.multi_search([{"indexUid": "nope", "q": "x"}])
    assert err.value.code == "index_not_found" and err.value.message == "Inside `.queries[0]`: Index `nope` not found."
    assert err.value.status_code == 400  # upstream's status inside /multi-search (a plain search says 404)
