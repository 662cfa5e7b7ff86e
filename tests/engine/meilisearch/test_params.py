"""Meilisearch's search request parsing (engine/meilisearch, engine.search.sort_spec) and the
index checks the engine runs on a query (engine.search.checks).

Properties proved here:
1. An empty body gives Meilisearch's defaults (offset 0, limit 20, cropLength 10, `…`, `<em>`/`</em>`,
   matchingStrategy `last`, every flag false).
2. An unknown key is `bad_request` listing every accepted key in Meilisearch's declaration order,
   with a did-you-mean hint for near misses.
3. Every parameter's wrong type gives its own code and deserr's exact message; nullable parameters
   accept `null`, the others reject it.
4. deserr reports the first error in *body* order, not declaration order.
5. Custom value checks: rankingScoreThreshold / semanticRatio ranges, hybrid object rules,
   matchingStrategy enum, locales list (stored as ISO-639-3), personalize object.
6. Cross-parameter checks: vector/media need hybrid, not both; filter must be a string or array.
7. Sort syntax: each malformed entry gets milli's message; geo points are parsed and range-checked.
8. Sort against the index: missing `sort` rule, non-sortable field, geo without `_geo`, hidden fields.
9. GET encoding: comma lists, sort re-joining, filter JSON detection, hybrid params, exact
   query-string messages, unknown parameter; the first bad parameter in query order wins.
10. Pagination helpers follow ranking.md §6.3 (page 0, maxTotalHits caps).
11. Multi-search: required/validated indexUid, paths inside `.queries[i]`, every federated
    restriction with the `Inside `.queries[i]`: ` prefix, federationOptions rules, federation object.
12. Facet search: facetName required with its own code, unknown keys ignored.
13. Similar: id/embedder required (bad_request), id validated, invalid_similar_* codes, GET variant.
14. attributesToSearchOn is only checked when searchableAttributes was set, with hidden attributes masked.
15. facets patterns are checked against filterableAttributes and select the matching filterable fields.
16. attributesToCrop `name:N` entries give per-field crop lengths.
"""
from __future__ import annotations

import pytest

from engine.errors import LoupeError
from engine.facets.filterable import FilterableRules
from engine.search.checks import check_attributes_to_search_on, check_facets
from engine.meilisearch.facet_search import parse_facet_search_body
from engine.meilisearch.multi_search import FederationOptions, MergeFacets, parse_multi_search_body, partition
from engine.meilisearch.search_params import (
    SEARCH_KEYS,
    HybridQuery,
    Personalize,
    SearchParams,
    parse_search_body,
    parse_search_query_string,
)
from engine.meilisearch.similar import parse_similar_body, parse_similar_query_string
from engine.search.sort_spec import (
    GeoSortSpec,
    SortSpec,
    check_sort_against_index,
    parse_sort,
    split_sort_query_string,
)


def error_of(fn, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(LoupeError) as info:
        fn(*args, **kwargs)
    return info.value.code, info.value.message


def parse_federated(body, network: bool = False):
    """Parse a federated body and run the per-query refusals (`partition`), as the route does."""
    ms = parse_multi_search_body(body)
    return partition(ms.queries, ms.federation, network=network)


# 1 ------------------------------------------------------------------------------------------------

def test_defaults():
    q = parse_search_body({})
    assert q == SearchParams()
    assert (q.q, q.offset, q.limit, q.page, q.hits_per_page) == (None, 0, 20, None, None)
    assert (q.crop_length, q.crop_marker, q.highlight_pre_tag, q.highlight_post_tag) == (10, "…", "<em>", "</em>")
    assert q.matching_strategy == "last"
    assert not (q.show_matches_position or q.retrieve_vectors or q.show_ranking_score
                or q.show_ranking_score_details or q.show_performance_details)
    assert (q.filter, q.sort, q.facets, q.hybrid, q.vector, q.use_network) == (None, None, None, None, None, None)


def test_whole_body_must_be_an_object():
    assert error_of(parse_search_body, None) == ("bad_request", "Invalid value type: expected an object, but found null")
    assert error_of(parse_search_body, []) == ("bad_request", "Invalid value type: expected an object, but found an array: `[]`")


# 2 ------------------------------------------------------------------------------------------------

def test_unknown_field_lists_keys_in_declaration_order():
    code, message = error_of(parse_search_body, {"doggo": 1})
    assert code == "bad_request"
    assert message == (
        "Unknown field `doggo`: expected one of `q`, `offset`, `limit`, `page`, `hitsPerPage`, "
        "`attributesToRetrieve`, `attributesToCrop`, `cropLength`, `cropMarker`, `attributesToHighlight`, "
        "`highlightPreTag`, `highlightPostTag`, `showMatchesPosition`, `filter`, `sort`, `distinct`, `facets`, "
        "`matchingStrategy`, `attributesToSearchOn`, `rankingScoreThreshold`, `locales`, `hybrid`, `vector`, "
        "`retrieveVectors`, `media`, `personalize`, `useNetwork`, `showRankingScore`, `showRankingScoreDetails`, "
        "`showPerformanceDetails`"
    )
    assert len(SEARCH_KEYS) == 30


def test_unknown_field_near_miss_gets_a_suggestion():
    _, message = error_of(parse_search_body, {"hits_per_page": 1})
    assert message.startswith("Unknown field `hits_per_page`: did you mean `hitsPerPage`? expected one of `q`, ")


# 3 ------------------------------------------------------------------------------------------------

TYPE_ERRORS = [
    ("q", 1, "invalid_search_q", "expected a string, but found a positive integer: `1`"),
    ("offset", -1, "invalid_search_offset", "expected a positive integer, but found a negative integer: `-1`"),
    ("offset", None, "invalid_search_offset", "expected a positive integer, but found null"),
    ("limit", "doggo", "invalid_search_limit", 'expected a positive integer, but found a string: `"doggo"`'),
    ("limit", 1.5, "invalid_search_limit", "expected a positive integer, but found a number: `1.5`"),
    ("page", "1", "invalid_search_page", 'expected a positive integer, but found a string: `"1"`'),
    ("hitsPerPage", True, "invalid_search_hits_per_page", "expected a positive integer, but found a boolean: `true`"),
    ("attributesToRetrieve", "title", "invalid_search_attributes_to_retrieve",
     'expected an array, but found a string: `"title"`'),
    ("attributesToCrop", {}, "invalid_search_attributes_to_crop", "expected an array, but found an object: `{}`"),
    ("cropLength", "5", "invalid_search_crop_length", 'expected a positive integer, but found a string: `"5"`'),
    ("cropMarker", ["doggo"], "invalid_search_crop_marker", 'expected a string, but found an array: `["doggo"]`'),
    ("cropMarker", None, "invalid_search_crop_marker", "expected a string, but found null"),
    ("attributesToHighlight", 7, "invalid_search_attributes_to_highlight",
     "expected an array, but found a positive integer: `7`"),
    ("highlightPreTag", 1, "invalid_search_highlight_pre_tag", "expected a string, but found a positive integer: `1`"),
    ("highlightPostTag", False, "invalid_search_highlight_post_tag", "expected a string, but found a boolean: `false`"),
    ("showMatchesPosition", "true", "invalid_search_show_matches_position",
     'expected a boolean, but found a string: `"true"`'),
    ("sort", "title:asc", "invalid_search_sort", 'expected an array, but found a string: `"title:asc"`'),
    ("distinct", ["a"], "invalid_search_distinct", 'expected a string, but found an array: `["a"]`'),
    ("facets", "genres", "invalid_search_facets", 'expected an array, but found a string: `"genres"`'),
    ("matchingStrategy", 1, "invalid_search_matching_strategy", "expected a string, but found a positive integer: `1`"),
    ("attributesToSearchOn", "title", "invalid_search_attributes_to_search_on",
     'expected an array, but found a string: `"title"`'),
    ("rankingScoreThreshold", "0.5", "invalid_search_ranking_score_threshold",
     'expected a number, but found a string: `"0.5"`'),
    ("locales", "fr", "invalid_search_locales", 'expected an array, but found a string: `"fr"`'),
    ("hybrid", "default", "invalid_search_hybrid_query", 'expected an object, but found a string: `"default"`'),
    ("vector", "1,2", "invalid_search_vector", 'expected an array, but found a string: `"1,2"`'),
    ("retrieveVectors", 1, "invalid_search_retrieve_vectors", "expected a boolean, but found a positive integer: `1`"),
    ("personalize", "me", "invalid_search_personalize", 'expected an object, but found a string: `"me"`'),
    ("useNetwork", "yes", "invalid_search_use_network", 'expected a boolean, but found a string: `"yes"`'),
    ("showRankingScore", None, "invalid_search_show_ranking_score", "expected a boolean, but found null"),
    ("showRankingScoreDetails", 0, "invalid_search_show_ranking_score_details",
     "expected a boolean, but found a positive integer: `0`"),
    ("showPerformanceDetails", [], "invalid_search_show_performance_details",
     "expected a boolean, but found an array: `[]`"),
]


@pytest.mark.parametrize("key,value,code,tail", TYPE_ERRORS, ids=[f"{t[0]}-{t[1]!r}" for t in TYPE_ERRORS])
def test_type_errors(key, value, code, tail):
    assert error_of(parse_search_body, {key: value}) == (code, f"Invalid value type at `.{key}`: {tail}")


def test_list_element_type_errors_point_at_the_element():
    assert error_of(parse_search_body, {"attributesToRetrieve": ["a", 1]}) == (
        "invalid_search_attributes_to_retrieve",
        "Invalid value type at `.attributesToRetrieve[1]`: expected a string, but found a positive integer: `1`",
    )
    assert error_of(parse_search_body, {"vector": [0.1, "x"]}) == (
        "invalid_search_vector", 'Invalid value type at `.vector[1]`: expected a number, but found a string: `"x"`')


@pytest.mark.parametrize("key", ["q", "page", "hitsPerPage", "attributesToRetrieve", "attributesToCrop",
                                 "attributesToHighlight", "filter", "sort", "distinct", "facets",
                                 "attributesToSearchOn", "rankingScoreThreshold", "locales", "hybrid", "vector",
                                 "media", "personalize", "useNetwork"])
def test_nullable_parameters_accept_null(key):
    assert parse_search_body({key: None}) == SearchParams()


def test_values_are_typed():
    q = parse_search_body({
        "q": "hary", "offset": 3, "limit": 0, "page": 2, "hitsPerPage": 5,
        "attributesToRetrieve": ["title", "id", "title"], "attributesToHighlight": ["b", "a", "b"],
        "attributesToCrop": ["overview:5", "title"], "cropLength": 7, "cropMarker": "", "filter": ["a = 1", ["b = 2"]],
        "distinct": "sku", "facets": ["genres"], "matchingStrategy": "frequency", "attributesToSearchOn": ["title"],
        "rankingScoreThreshold": 1, "locales": ["fr", "eng"], "hybrid": {"embedder": "e"}, "vector": [1, 0.5],
        "retrieveVectors": True, "personalize": {"userContext": "likes cats"}, "useNetwork": False,
        "showRankingScore": True,
    })
    assert q.attributes_to_retrieve == ("id", "title")  # BTreeSet: sorted, unique
    assert q.attributes_to_highlight == ("b", "a")
    assert q.attributes_to_crop == ("overview:5", "title")
    assert q.filter == ["a = 1", ["b = 2"]]
    assert q.ranking_score_threshold == 1.0
    assert q.locales == ("fra", "eng")
    assert q.hybrid == HybridQuery("e", 0.5)
    assert q.vector == (1.0, 0.5)
    assert q.personalize == Personalize("likes cats")
    assert (q.use_network, q.show_ranking_score, q.matching_strategy) == (False, True, "frequency")


# 4 ------------------------------------------------------------------------------------------------

def test_first_error_in_body_order():
    assert error_of(parse_search_body, {"q": 1, "limit": "x"})[0] == "invalid_search_q"
    assert error_of(parse_search_body, {"limit": "x", "q": 1})[0] == "invalid_search_limit"
    assert error_of(parse_search_body, {"limit": "x", "doggo": 1})[0] == "invalid_search_limit"
    # type errors of the walk come before cross-parameter checks
    assert error_of(parse_search_body, {"vector": [1], "limit": "x"})[0] == "invalid_search_limit"


# 5 ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [-0.1, 1.01, 2])
def test_ranking_score_threshold_range(value):
    assert error_of(parse_search_body, {"rankingScoreThreshold": value}) == (
        "invalid_search_ranking_score_threshold",
        "Invalid value at `.rankingScoreThreshold`: the value of `rankingScoreThreshold` is invalid, expected a "
        "float between `0.0` and `1.0`.",
    )


def test_hybrid_object_rules():
    assert error_of(parse_search_body, {"hybrid": {"semanticRatio": 0.2}}) == (
        "invalid_search_hybrid_query", "Missing field `embedder` inside `.hybrid`")
    assert error_of(parse_search_body, {"hybrid": {"embedder": "e", "ratio": 1}}) == (
        "invalid_search_hybrid_query",
        "Unknown field `ratio` inside `.hybrid`: expected one of `semanticRatio`, `embedder`")
    assert error_of(parse_search_body, {"hybrid": {"embedder": 3}}) == (
        "invalid_search_embedder",
        "Invalid value type at `.hybrid.embedder`: expected a string, but found a positive integer: `3`")
    assert error_of(parse_search_body, {"hybrid": {"embedder": "e", "semanticRatio": 1.5}}) == (
        "invalid_search_semantic_ratio",
        "Invalid value at `.hybrid.semanticRatio`: the value of `semanticRatio` is invalid, expected a float "
        "between `0.0` and `1.0`.")
    assert error_of(parse_search_body, {"hybrid": {"semanticRatio": "a", "embedder": "e"}}) == (
        "invalid_search_semantic_ratio",
        'Invalid value type at `.hybrid.semanticRatio`: expected a number, but found a string: `"a"`')
    assert parse_search_body({"hybrid": {"embedder": "e", "semanticRatio": 0}}).hybrid == HybridQuery("e", 0.0)


def test_matching_strategy_enum():
    assert error_of(parse_search_body, {"matchingStrategy": "doggo"}) == (
        "invalid_search_matching_strategy",
        "Unknown value `doggo` at `.matchingStrategy`: expected one of `last`, `all`, `frequency`")


def test_locales_use_the_settings_list():
    code, message = error_of(parse_search_body, {"locales": ["fr", "xx"]})
    assert code == "invalid_search_locales"
    assert message.startswith("Unknown value `xx` at `.locales[1]`: expected one of `af`, `ak`, `am`, `ar`,")
    assert parse_search_body({"locales": ["cmn", "jpn", "de"]}).locales == ("cmn", "jpn", "deu")


def test_personalize_object():
    assert error_of(parse_search_body, {"personalize": {}}) == (
        "invalid_search_personalize", "Missing field `userContext` inside `.personalize`")
    assert error_of(parse_search_body, {"personalize": {"userContext": 1}}) == (
        "invalid_search_personalize_user_context",
        "Invalid value type at `.personalize.userContext`: expected a string, but found a positive integer: `1`")


# 6 ------------------------------------------------------------------------------------------------

def test_vector_and_media_need_hybrid():
    missing = ("missing_search_hybrid",
               "Invalid request: missing `hybrid` parameter when `vector` or `media` are present.")
    assert error_of(parse_search_body, {"vector": [1.0]}) == missing
    assert error_of(parse_search_body, {"media": {"image": "x"}}) == missing
    assert error_of(parse_search_body, {"vector": [1.0], "media": {}, "hybrid": {"embedder": "e"}})[0] == (
        "invalid_search_media_and_vector")
    assert error_of(parse_search_body, {"vector": [1.0], "media": {}})[0] == "invalid_search_media_and_vector"
    assert parse_search_body({"vector": [1.0], "hybrid": {"embedder": "e"}}).vector == (1.0,)


@pytest.mark.parametrize("value,shown", [(1, "1"), (True, "true"), ({"a": 1}, '{"a":1}'), (1.5, "1.5")])
def test_filter_must_be_string_or_array(value, shown):
    assert error_of(parse_search_body, {"filter": value}) == (
        "invalid_search_filter", f"Invalid syntax for the filter parameter: `expected String, Array, found: {shown}`.")


# 7 ------------------------------------------------------------------------------------------------

SORT_ERRORS = [
    ("title", "Invalid syntax for the sort parameter: expected expression ending by `:asc` or `:desc`, found `title`."),
    ("title:up", "Invalid syntax for the sort parameter: expected expression ending by `:asc` or `:desc`, "
                 "found `title:up`."),
    ("_geo:asc", "`_geo` is a reserved keyword and thus can't be used as a sort expression. Use the "
                 "_geoPoint(latitude, longitude) built-in rule to sort on _geo field coordinates."),
    ("_geoRadius(1, 2, 3):asc", "`_geoRadius` is a reserved keyword and thus can't be used as a sort expression. "
                                "Use the _geoPoint(latitude, longitude) built-in rule to sort on _geo field "
                                "coordinates."),
    ("_geoBoundingBox:desc", "`_geoBoundingBox` is a reserved keyword and thus can't be used as a sort expression. "
                             "Use the _geoPoint(latitude, longitude) built-in rule to sort on _geo field "
                             "coordinates."),
    ("_geoDistance:asc", "`_geoDistance` is a reserved keyword and thus can't be used as a sort expression."),
    ("_geojson:asc", "`_geojson` is a reserved keyword and thus can't be used as a sort expression."),
    ("_geo(12, -2021):asc", "`_geo(12, -2021)` is a reserved keyword and thus can't be used as a sort expression."),
    ("_geoPoint:asc", "Invalid syntax for the geo parameter: expected expression formated like "
                      "`_geoPoint(latitude, longitude)` and ending by `:asc` or `:desc`, found `_geoPoint`."),
    ("_geoPoint(1):asc", "Invalid syntax for the geo parameter: expected expression formated like "
                         "`_geoPoint(latitude, longitude)` and ending by `:asc` or `:desc`, found `_geoPoint(1)`."),
    ("_geoPoint(a, 2):desc", "Invalid syntax for the geo parameter: expected expression formated like "
                             "`_geoPoint(latitude, longitude)` and ending by `:asc` or `:desc`, "
                             "found `_geoPoint(a, 2)`."),
    ("_geoPoint(200, 200):asc", "Bad latitude `200`. Latitude must be contained between -90 and 90 degrees."),
    ("_geoPoint(0, -180.000001):desc", "Bad longitude `-180.000001`. Longitude must be contained between -180 and "
                                       "180 degrees. Hint: try using `179.999999` instead."),
]


@pytest.mark.parametrize("entry,message", SORT_ERRORS, ids=[e for e, _ in SORT_ERRORS])
def test_sort_syntax_errors(entry, message):
    assert error_of(parse_search_body, {"sort": ["price:asc", entry]}) == ("invalid_search_sort", message)


def test_sort_entries_parse():
    assert parse_sort(["a:b:desc", "_geoPoint(42.5 , -3):asc", "truc(12, 13):desc", "_geoPoint(90.0, 180):desc"]) == (
        SortSpec("a:b", False), GeoSortSpec(42.5, -3.0, True), SortSpec("truc(12, 13)", False),
        GeoSortSpec(90.0, 180.0, False))


# 8 ------------------------------------------------------------------------------------------------

def test_sort_against_index():
    sort = parse_sort(["title:asc"])
    rules = ["words", "sort"]
    assert error_of(check_sort_against_index, sort, ["title"], ["words"], index_uid="movies") == (
        "invalid_search_sort",
        "Index `movies`: You must specify where `sort` is listed in the rankingRules setting to use the sort "
        "parameter at search time.")
    assert error_of(check_sort_against_index, sort, ["id"], rules, index_uid="movies") == (
        "invalid_search_sort", "Index `movies`: Attribute `title` is not sortable. Available sortable attributes are: `id`.")
    assert error_of(check_sort_against_index, sort, [], rules)[1] == (
        "Attribute `title` is not sortable. This index does not have configured sortable attributes.")
    assert error_of(check_sort_against_index, sort, ["secret", "price", "id"], rules, ["id", "price"])[1] == (
        "Attribute `title` is not sortable. Available sortable attributes are: `id, price, <..hidden-attributes>`.")
    assert error_of(check_sort_against_index, parse_sort(["_geoPoint(1,2):asc"]), ["id"], rules)[1] == (
        "Attribute `_geo` is not sortable. Available sortable attributes are: `id`.")
    check_sort_against_index(parse_sort(["doggo.age:asc", "_geoPoint(1,2):asc"]), ["doggo", "_geo"], rules)
    check_sort_against_index((), [], [])  # an empty sort needs nothing


# 9 ------------------------------------------------------------------------------------------------

def test_get_lists_and_values():
    q = parse_search_query_string({
        "q": "a", "limit": "5", "offset": "2", "attributesToRetrieve": "title,id,title", "facets": "genres,year",
        "attributesToCrop": "overview:3,title", "showRankingScore": "true", "matchingStrategy": "all",
        "locales": "fr,eng", "rankingScoreThreshold": "0.25", "cropMarker": "...",
    })
    assert (q.q, q.limit, q.offset) == ("a", 5, 2)
    assert q.attributes_to_retrieve == ("id", "title")
    assert q.facets == ("genres", "year")
    assert q.attributes_to_crop == ("overview:3", "title")
    assert (q.show_ranking_score, q.matching_strategy, q.locales) == (True, "all", ("fra", "eng"))
    assert (q.ranking_score_threshold, q.crop_marker) == (0.25, "...")


def test_get_sort_rejoins_geo_points():
    assert split_sort_query_string("_geoPoint(1, 2):asc,title:desc") == ["_geoPoint(1,2):asc", "title:desc"]
    assert parse_search_query_string({"sort": "price:desc, _geoPoint(48.8,2.3):asc"}).sort == (
        SortSpec("price", False), GeoSortSpec(48.8, 2.3, True))


def test_get_filter_json_detection():
    assert parse_search_query_string({"filter": "genre = horror"}).filter == "genre = horror"
    assert parse_search_query_string({"filter": '["a = 1", ["b = 2", "c = 3"]]'}).filter == [
        "a = 1", ["b = 2", "c = 3"]]
    assert error_of(parse_search_query_string, {"filter": "true"}) == (
        "invalid_search_filter", "Invalid syntax for the filter parameter: `expected String, Array, found: true`.")


def test_get_hybrid_parameters():
    assert parse_search_query_string({"hybridEmbedder": "e"}).hybrid == HybridQuery("e", 0.5)
    assert parse_search_query_string({"hybridEmbedder": "e", "hybridSemanticRatio": "0.75",
                                      "vector": "1,0.5"}).vector == (1.0, 0.5)
    assert error_of(parse_search_query_string, {"hybridSemanticRatio": "0.2"}) == (
        "invalid_search_hybrid_query", "`hybridEmbedder` is mandatory when `hybridSemanticRatio` is present")
    assert error_of(parse_search_query_string, {"vector": "1,2"}) == (
        "missing_search_hybrid", "`hybridEmbedder` is mandatory when `vector` is present")
    assert error_of(parse_search_query_string, {"hybridEmbedder": "e", "hybridSemanticRatio": "2"}) == (
        "invalid_search_semantic_ratio", "Invalid value in parameter `hybridSemanticRatio`: the value of "
        "`semanticRatio` is invalid, expected a float between `0.0` and `1.0`.")
    assert error_of(parse_search_query_string, {"hybridEmbedder": "e", "vector": "1,x"}) == (
        "invalid_search_vector", "Invalid value in parameter `vector[1]`: invalid float literal")


@pytest.mark.parametrize("params,code,message", [
    ({"limit": "doggo"}, "invalid_search_limit",
     "Invalid value in parameter `limit`: could not parse `doggo` as a positive integer"),
    ({"offset": "-1"}, "invalid_search_offset",
     "Invalid value in parameter `offset`: could not parse `-1` as a positive integer"),
    ({"page": ""}, "invalid_search_page", "Invalid value in parameter `page`: could not parse `` as a positive integer"),
    ({"showRankingScore": "True"}, "invalid_search_show_ranking_score",
     "Invalid value in parameter `showRankingScore`: could not parse `True` as a boolean, expected either `true` or "
     "`false`"),
    ({"rankingScoreThreshold": "high"}, "invalid_search_ranking_score_threshold",
     "Invalid value in parameter `rankingScoreThreshold`: the value of `rankingScoreThreshold` is invalid, expected "
     "a float between `0.0` and `1.0`."),
    ({"matchingStrategy": "most"}, "invalid_search_matching_strategy",
     "Unknown value `most` for parameter `matchingStrategy`: expected one of `last`, `all`, `frequency`"),
    ({"sort": "title"}, "invalid_search_sort",
     "Invalid syntax for the sort parameter: expected expression ending by `:asc` or `:desc`, found `title`."),
])
def test_get_errors(params, code, message):
    assert error_of(parse_search_query_string, params) == (code, message)


def test_get_unknown_parameter():
    code, message = error_of(parse_search_query_string, {"q": "a", "media": "x"})
    assert code == "bad_request"
    assert message.startswith("Unknown parameter `media`: expected one of `q`, `vector`, `offset`, `limit`, ")
    assert message.endswith("`locales`, `personalizeUserContext`, `useNetwork`")


def test_get_locales_message():
    code, message = error_of(parse_search_query_string, {"locales": "fr,xx"})
    assert code == "invalid_search_locales"
    # `CS<Locale>` parses the whole parameter: its error names the parameter, not an item
    assert message.startswith("Invalid value in parameter `locales`: Unsupported locale `xx`, expected one of af,")
    assert parse_search_query_string({"locales": "fr,,jpn,"}).locales == ("fra", "jpn")


# 10 -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("params,max_total_hits,expected", [
    ({}, 1000, (0, 20)),
    ({"offset": 990, "limit": 20}, 1000, (990, 10)),
    ({"offset": 2000, "limit": 20}, 1000, (1000, 0)),
    ({"page": 2}, 1000, (20, 20)),
    ({"hitsPerPage": 5}, 1000, (0, 5)),
    ({"page": 3, "hitsPerPage": 7, "offset": 1, "limit": 1}, 1000, (14, 7)),
    ({"page": 0, "hitsPerPage": 7}, 1000, (0, 0)),
    ({"page": 2, "hitsPerPage": 10}, 15, (10, 5)),
])
def test_page_window(params, max_total_hits, expected):
    p = parse_search_body(params)
    assert p.is_finite_pagination() == ("page" in params or "hitsPerPage" in params)
    assert p.to_query().exhaustive == p.is_finite_pagination()
    assert p.to_query().page_window(max_total_hits) == expected


# 11 -----------------------------------------------------------------------------------------------

def test_multi_search_shape_errors():
    assert error_of(parse_multi_search_body, {}) == ("bad_request", "Missing field `queries`")
    assert error_of(parse_multi_search_body, {"queries": {}}) == (
        "bad_request", "Invalid value type at `.queries`: expected an array, but found an object: `{}`")
    assert error_of(parse_multi_search_body, {"queries": [{"q": "a"}]}) == (
        "missing_index_uid", "Missing field `indexUid` inside `.queries[0]`")
    assert error_of(parse_multi_search_body, {"queries": [{"indexUid": "a"}, {"indexUid": "bad uid"}]}) == (
        "invalid_index_uid",
        "Invalid value at `.queries[1].indexUid`: `bad uid` is not a valid index uid. Index uid can be an integer or "
        "a string containing only alphanumeric characters, hyphens (-) and underscores (_), and can not be more "
        "than 512 bytes.")
    assert error_of(parse_multi_search_body, {"queries": [{"indexUid": "a", "limit": "x"}]}) == (
        "invalid_search_limit",
        'Invalid value type at `.queries[0].limit`: expected a positive integer, but found a string: `"x"`')
    code, message = error_of(parse_multi_search_body, {"queries": [{"indexUid": "a", "doggo": 1}]})
    assert code == "bad_request"
    assert message.startswith("Unknown field `doggo` inside `.queries[0]`: expected one of `indexUid`, `q`, ")
    assert message.endswith("`showPerformanceDetails`, `federationOptions`")


def test_multi_search_non_federated():
    ms = parse_multi_search_body({"queries": [{"indexUid": "movies", "q": "star", "limit": 5},
                                              {"indexUid": "books"}], "federation": None})
    assert not ms.is_federated
    assert [(m.index_uid, m.params.q, m.params.limit) for m in ms.queries] == [("movies", "star", 5), ("books", None, 20)]
    assert error_of(parse_multi_search_body, {"queries": [{"indexUid": "a"}, {"indexUid": "b",
                                                           "federationOptions": {"weight": 2}}]}) == (
        "invalid_multi_search_federation_options",
        "Inside `.queries[1]`: Using `federationOptions` is not allowed in a non-federated search.\n"
        " - Hint: remove `federationOptions` from query #1 or add `federation` to the request.")


def test_multi_search_per_query_checks_carry_the_prefix():
    assert error_of(parse_multi_search_body, {"queries": [{"indexUid": "a", "vector": [1]}]}) == (
        "missing_search_hybrid",
        "Inside `.queries[0]`: Invalid request: missing `hybrid` parameter when `vector` or `media` are present.")
    assert error_of(parse_multi_search_body, {"queries": [{"indexUid": "a", "sort": ["x"]}]}) == (
        "invalid_search_sort", "Inside `.queries[0]`: Invalid syntax for the sort parameter: expected expression "
        "ending by `:asc` or `:desc`, found `x`.")


@pytest.mark.parametrize("key,value", [("offset", 0), ("limit", 5), ("page", 1), ("hitsPerPage", 3)])
def test_federated_pagination_rejected(key, value):
    body = {"federation": {}, "queries": [{"indexUid": "a"}, {"indexUid": "b", key: value}]}
    assert error_of(parse_federated, body) == (
        "invalid_multi_search_query_pagination",
        "Inside `.queries[1]`: Using pagination options is not allowed in federated queries.\n"
        f" - Hint: remove `{key}` from query #1 or remove `federation` from the request\n"
        " - Hint: pass `federation.limit` and `federation.offset` for pagination in federated search")


def test_federated_restrictions():
    def fed(query, federation=None):
        return error_of(parse_federated, {"federation": federation or {}, "queries": [{"indexUid": "movies",
                                                                                       **query}]})

    assert fed({"facets": ["genres", "year"]}) == (
        "invalid_multi_search_query_facets",
        "Inside `.queries[0]`: Using facet options is not allowed in federated queries.\n"
        " - Hint: remove `facets` from query #0 or remove `federation` from the request\n"
        ' - Hint: pass `federation.facetsByIndex.movies: ["genres", "year"]` for facets in federated search')
    assert fed({"showPerformanceDetails": False}) == (
        "invalid_multi_search_query_show_performance_details",
        "Inside `.queries[0]`: Using `.showPerformanceDetails` is not allowed in federated queries.\n"
        " - Hint: remove `showPerformanceDetails` from query #0 or remove `federation` from the request")
    assert fed({"personalize": {"userContext": "x"}}) == (
        "invalid_multi_search_query_personalization",
        "Inside `.queries[0]`: Using `.personalize` is not allowed in federated queries.\n"
        " - Hint: remove `personalize` from query #0 or remove `federation` from the request")
    assert fed({"distinct": "sku"}, {"distinct": "sku"})[0] == "invalid_multi_search_distinct"
    assert fed({"useNetwork": True, "federationOptions": {"remote": "ms1"}})[0] == (
        "invalid_multi_search_federation_options")
    # allowed in federated mode: empty facets, distinct without federation.distinct, null pagination
    ms = parse_multi_search_body({"federation": {}, "queries": [
        {"indexUid": "a", "facets": [], "distinct": "sku", "limit": None, "federationOptions": {"weight": 0.5}}]})
    assert ms.queries[0].federation_options == FederationOptions(weight=0.5)


def test_federation_object():
    ms = parse_multi_search_body({"federation": {"offset": 5, "limit": 3, "facetsByIndex": {"b": ["x"], "a": None},
                                                 "mergeFacets": {"maxValuesPerFacet": 10}}, "queries": []})
    f = ms.federation
    assert (f.offset, f.limit, f.facets_by_index, f.merge_facets) == (5, 3, {"a": None, "b": ("x",)}, MergeFacets(10))
    assert parse_multi_search_body({"federation": {}, "queries": []}).federation.limit == 20
    assert error_of(parse_multi_search_body, {"federation": {"showPerformanceDetails": "true"}, "queries": []}) == (
        "invalid_multi_search_query_show_performance_details",
        'Invalid value type at `.federation.showPerformanceDetails`: expected a boolean, but found a string: `"true"`')
    assert error_of(parse_multi_search_body, {"federation": {"limit": -1}, "queries": []})[0] == "invalid_search_limit"
    assert error_of(parse_multi_search_body, {"federation": {"facetsByIndex": {"a": "x"}}, "queries": []}) == (
        "invalid_multi_search_facets_by_index",
        'Invalid value type at `.federation.facetsByIndex.a`: expected an array, but found a string: `"x"`')
    assert error_of(parse_multi_search_body, {"federation": {"mergeFacets": {"max": 1}}, "queries": []}) == (
        "invalid_multi_search_merge_facets",
        "Unknown field `max` inside `.federation.mergeFacets`: expected one of `maxValuesPerFacet`")
    assert error_of(parse_multi_search_body, {"federation": {"mergeFacets": {"maxValuesPerFacet": "1"}},
                                              "queries": []})[0] == "invalid_multi_search_max_values_per_facet"


def test_federation_options():
    def opts(value):
        return error_of(parse_multi_search_body, {"federation": {}, "queries": [{"indexUid": "a",
                                                                                 "federationOptions": value}]})

    assert opts({"weight": -1}) == (
        "invalid_multi_search_weight",
        "Invalid value at `.queries[0].federationOptions.weight`: the value of `weight` is invalid, expected a "
        "positive float (>= 0.0).")
    assert opts({"weight": "1"})[0] == "invalid_multi_search_weight"
    assert opts({"remote": 1})[0] == "invalid_multi_search_remote"
    assert opts({"queryPosition": -1})[0] == "invalid_multi_search_query_position"
    assert opts({"doggo": 1}) == (
        "bad_request", "Unknown field `doggo` inside `.queries[0].federationOptions`: expected one of `weight`, "
        "`remote`, `queryPosition`")


# 12 -----------------------------------------------------------------------------------------------

def test_facet_search_body():
    fq = parse_facet_search_body({"facetName": "genres", "facetQuery": None, "q": "x", "limit": 3, "doggo": 1})
    assert (fq.facet_name, fq.facet_query, fq.q, fq.matching_strategy) == ("genres", None, "x", "last")
    assert error_of(parse_facet_search_body, {"facetQuery": "a"}) == (
        "missing_facet_search_facet_name", "Missing field `facetName`")
    assert error_of(parse_facet_search_body, {"facetName": 1})[0] == "invalid_facet_search_facet_name"
    assert error_of(parse_facet_search_body, {"facetName": "g", "facetQuery": 1})[0] == (
        "invalid_facet_search_facet_query")
    assert error_of(parse_facet_search_body, {"facetName": "g", "exhaustiveFacetCount": "yes"})[0] == (
        "invalid_facet_search_exhaustive_facet_count")
    assert error_of(parse_facet_search_body, {"facetName": "g", "vector": [1]})[0] == "missing_search_hybrid"


# 13 -----------------------------------------------------------------------------------------------

def test_similar_body():
    s = parse_similar_body({"id": 299537, "embedder": "manual", "limit": 3, "rankingScoreThreshold": 0.5})
    assert (s.id, s.embedder, s.limit, s.offset, s.ranking_score_threshold) == ("299537", "manual", 3, 0, 0.5)
    assert error_of(parse_similar_body, {"embedder": "e"}) == ("bad_request", "Missing field `id`")
    assert error_of(parse_similar_body, {"id": 1}) == ("bad_request", "Missing field `embedder`")
    assert error_of(parse_similar_body, {"id": 1.5, "embedder": "e"}) == (
        "invalid_similar_id",
        "Invalid value at `.id`: Document identifier `1.5` is invalid. A document identifier can be of type integer "
        "or string, only composed of alphanumeric characters (a-z A-Z 0-9), hyphens (-) and underscores (_), and can "
        "not be more than 511 bytes.")
    assert error_of(parse_similar_body, {"id": 1, "embedder": "e", "limit": "x"})[0] == "invalid_similar_limit"
    assert error_of(parse_similar_body, {"id": 1, "embedder": "e", "filter": 3})[0] == "invalid_similar_filter"
    assert error_of(parse_similar_body, {"id": 1, "embedder": "e", "rankingScoreThreshold": 3})[0] == (
        "invalid_similar_ranking_score_threshold")
    assert error_of(parse_similar_body, {"id": 1, "embedder": "e", "q": "x"})[0] == "bad_request"


def test_similar_query_string():
    s = parse_similar_query_string({"id": "12", "embedder": "e", "offset": "1", "showRankingScore": "true",
                                    "filter": "a = 1"})
    assert (s.id, s.offset, s.show_ranking_score, s.filter) == ("12", 1, True, "a = 1")
    assert error_of(parse_similar_query_string, {"id": "1"}) == ("bad_request", "Missing parameter `embedder`")
    assert error_of(parse_similar_query_string, {"id": "1", "embedder": "e", "limit": "x"}) == (
        "invalid_similar_limit", "Invalid value in parameter `limit`: could not parse `x` as a positive integer")
    assert error_of(parse_similar_query_string, {"id": "1", "q": "x"})[0] == "bad_request"


# 14 -----------------------------------------------------------------------------------------------

def test_attributes_to_search_on():
    check_attributes_to_search_on(["nope"], None)  # default searchable: unknown names ignored
    check_attributes_to_search_on(["nope"], ["*"])
    check_attributes_to_search_on(["*", "title"], ["title"])
    # `*` does not excuse an unknown name beside it (milli checks every entry)
    assert error_of(check_attributes_to_search_on, ["*", "nope"], ["title"])[1] == (
        "Attribute `nope` is not searchable. Available searchable attributes are: `title`.")
    check_attributes_to_search_on(["*", "nope"], ["*"])  # the default searchable: still ignored
    check_attributes_to_search_on(["title", "over*", "doggos.name"], ["title", "overview", "doggos"])
    assert error_of(check_attributes_to_search_on, ["desc"], ["title", "id"], None, "movies") == (
        "invalid_search_attributes_to_search_on",
        "Index `movies`: Attribute `desc` is not searchable. Available searchable attributes are: `id, title`.")
    assert error_of(check_attributes_to_search_on, ["desc"], ["title", "secret"], ["title"])[1] == (
        "Attribute `desc` is not searchable. Available searchable attributes are: `title, <..hidden-attributes>`.")


# 15 -----------------------------------------------------------------------------------------------

def test_facets_validation_and_selection():
    rules = FilterableRules(["genres", {"attributePatterns": ["price*"], "features": {"filter": {"equality": False}}},
                             {"attributePatterns": ["tags.*"]}])
    names = ["genres", "price", "priceEur", "tags.a", "tags.b", "title", "genres.sub"]
    assert check_facets(["genres", "tags.*"], rules, names) == ["genres", "tags.a", "tags.b"]
    assert check_facets(["*"], rules, names) == ["genres", "genres.sub", "tags.a", "tags.b"]
    assert check_facets(None, rules, names) == []
    assert error_of(check_facets, ["title"], rules, names) == (
        "invalid_search_facets",
        "Invalid facet distribution: Attribute `title` is not filterable. Available filterable attributes patterns "
        "are: `genres, tags.*`.")
    assert error_of(check_facets, ["price"], rules, names) == (
        "invalid_search_facets",
        "Invalid facet distribution: Attribute `price` matched rule #1 in filterableAttributes, but this rule does "
        "not enable filtering.\nHint: enable filtering in rule #1 by modifying the features.filter object\n"
        "Hint: prepend another rule matching `price` with appropriate filter features before rule #1")
    # no `Index `movies`: ` prefix: upstream counts facets outside the search's error context
    assert error_of(check_facets, ["x"], FilterableRules([]), [], "movies")[1] == (
        "Invalid facet distribution: Attribute `x` is not filterable. This index does not have "
        "configured filterable attributes.")
    # several at once, sorted, in one sentence (the rule hint is for a single one only)
    assert error_of(check_facets, ["title", "price", "color"], rules, names)[1] == (
        "Invalid facet distribution: Attributes `color, price, title` are not filterable. Available filterable "
        "attributes patterns are: `genres, tags.*`.")


# 16 -----------------------------------------------------------------------------------------------

def test_crop_spec():
    q = parse_search_body({"attributesToCrop": ["overview:5", "title", "a:b:3", "title:abc"], "cropLength": 7})
    assert q.crop_spec() == [("overview", 5), ("title", 7), ("a:b", 3), ("title", 7)]


def test_get_first_bad_parameter_in_query_order():
    assert error_of(parse_search_query_string, {"limit": "x", "doggo": "1"})[0] == "invalid_search_limit"
    assert error_of(parse_search_query_string, {"doggo": "1", "limit": "x"})[0] == "bad_request"
