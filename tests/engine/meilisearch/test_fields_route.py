"""POST /indexes/{uid}/fields (api.md §9) through aiohttp's test client.

Properties:
1. Every field of the index (top-level fields and the nested paths indexed), sorted by name, each
   described as Meilisearch describes it: displayed (exact names), searchable and sortable (a field
   and its sub-fields), distinct, `rankingRule` with its `order` only when an `asc`/`desc` rule
   names it, filterable with the features of the first matching rule and its facet order, and the
   locales of the first matching localizedAttributes rule.
2. `offset`/`limit` paginate (`total` counts the filtered fields); `filter` keeps the fields
   meeting every condition; `attributePatterns` selects names like filterable patterns do.
3. Bad bodies are refused with deserr's messages and the `invalid_index_*` codes; an unknown index
   is 404.
"""
import pytest

from engine.engine import Engine
from server.app import create_app
from support import index_documents, post_json

KEY = "a-master-key-of-16-bytes"
DOCS = [{"id": 1, "title": "Nemo", "genre": "kids", "year": 2003, "cast": {"lead": "Marlin", "age": 40}},
        {"id": 2, "title": "Up", "genre": "kids", "year": 2009, "notes": "balloons"}]
SETTINGS = {"searchableAttributes": ["title", "cast"], "displayedAttributes": ["id", "title", "genre", "cast"],
            "sortableAttributes": ["year", "cast"], "distinctAttribute": "genre",
            "rankingRules": ["words", "typo", "year:desc", "proximity", "attribute", "sort", "exactness"],
            "filterableAttributes": [{"attributePatterns": ["genre"], "features": {"facetSearch": True,
                                                                                    "filter": {"equality": True, "comparison": False}}},
                                     "year"],
            "faceting": {"sortFacetValuesBy": {"*": "alpha", "genre": "count"}},
            "localizedAttributes": [{"attributePatterns": ["title"], "locales": ["en", "fra"]}]}


@pytest.fixture
async def http(tmp_path, aiohttp_client):
    engine = Engine(tmp_path / "db", worker="thread")
    index_documents(engine, "movies", DOCS, SETTINGS)
    client = await aiohttp_client(create_app(engine, master_key=KEY))
    yield client
    engine.close()


def described(name, *, displayed=False, searchable=False, sortable=False, distinct=False, order=None,
              filterable=None, sort_by="alpha", locales=()):
    facet_search, equality, comparison = filterable or (False, False, False)
    ranking_rule = {"enabled": order is not None, **({"order": order} if order else {})}
    return {"name": name, "displayed": {"enabled": displayed}, "searchable": {"enabled": searchable},
            "sortable": {"enabled": sortable}, "distinct": {"enabled": distinct}, "rankingRule": ranking_rule,
            "filterable": {"enabled": bool(facet_search or equality or comparison), "sortBy": sort_by,
                           "facetSearch": facet_search, "equality": equality, "comparison": comparison},
            "localized": {"locales": list(locales)}}


ALL = [
    described("cast", displayed=True, searchable=True, sortable=True),
    described("cast.age", searchable=True, sortable=True),
    described("cast.lead", searchable=True, sortable=True),
    described("genre", displayed=True, distinct=True, filterable=(True, True, False), sort_by="count"),
    described("id", displayed=True),
    described("notes"),
    described("title", displayed=True, searchable=True, locales=["eng", "fra"]),
    described("year", sortable=True, order="desc", filterable=(True, True, True)),
]


# 1 ------------------------------------------------------------------------------------------------

async def test_every_field_described(http):
    got = await post_json(http, "/indexes/movies/fields", {}, KEY)
    assert got == {"results": ALL, "offset": 0, "limit": 20, "total": 8}


# 2 ------------------------------------------------------------------------------------------------

async def test_pages_and_filters(http):
    got = await post_json(http, "/indexes/movies/fields", {"offset": 2, "limit": 2}, KEY)
    assert got == {"results": ALL[2:4], "offset": 2, "limit": 2, "total": 8}
    got = await post_json(http, "/indexes/movies/fields", {"filter": {"searchable": True, "displayed": False}}, KEY)
    assert [f["name"] for f in got["results"]] == ["cast.age", "cast.lead"] and got["total"] == 2
    got = await post_json(http, "/indexes/movies/fields", {"filter": {"attributePatterns": ["cast.*", "*re"]}}, KEY)
    assert [f["name"] for f in got["results"]] == ["cast.age", "cast.lead", "genre"]
    got = await post_json(http, "/indexes/movies/fields",
                          {"filter": {"rankingRule": True, "filterable": True, "sortable": True, "distinct": False}}, KEY)
    assert got["results"] == [ALL[7]]
    got = await post_json(http, "/indexes/movies/fields", {"filter": {"displayed": None}, "limit": 0}, KEY)
    assert got == {"results": [], "offset": 0, "limit": 0, "total": 8}


# 3 ------------------------------------------------------------------------------------------------

def refused(code, message):
    return {"message": message, "code": code, "type": "invalid_request",
            "link": "https://docs.meilisearch.com/errors#" + code}


@pytest.mark.parametrize("body, code, message", [
    ({"offset": -1}, "invalid_index_offset",
     "Invalid value type at `.offset`: expected a positive integer, but found a negative integer: `-1`"),
    ({"limit": "ten"}, "invalid_index_limit",
     'Invalid value type at `.limit`: expected a positive integer, but found a string: `"ten"`'),
    ({"filter": []}, "invalid_index_fields_filter",
     "Invalid value type at `.filter`: expected an object, but found an array: `[]`"),
    ({"filter": {"hidden": True}}, "invalid_index_fields_filter",
     "Unknown field `hidden` inside `.filter`: expected one of `attributePatterns`, `displayed`, `searchable`, "
     "`sortable`, `distinct`, `rankingRule`, `filterable`"),
    ({"filter": {"rankingRule": "yes"}}, "invalid_index_fields_filter_ranking_rule",
     'Invalid value type at `.filter.rankingRule`: expected a boolean, but found a string: `"yes"`'),
    ({"filter": {"attributePatterns": "title"}}, "invalid_index_fields_filter_attribute_patterns",
     'Invalid value type at `.filter.attributePatterns`: expected an array, but found a string: `"title"`'),
    ({"sort": "name"}, "bad_request", "Unknown field `sort`: expected one of `offset`, `limit`, `filter`"),
])
async def test_bad_bodies(http, body, code, message):
    assert await post_json(http, "/indexes/movies/fields", body, KEY, status=400) == refused(code, message)


async def test_unknown_index(http):
    got = await post_json(http, "/indexes/nope/fields", {}, KEY, status=404)
    assert got["code"] == "index_not_found" and got["message"] == "Index `nope` not found."
