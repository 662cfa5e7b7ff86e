"""Meilisearch's own /similar expectations, ported through the HTTP routes (hybrid.md §6, §8.18–19).

Sources (upstream test data and snapshots transcribed; the code is ours):
* `crates/meilisearch/tests/similar/mod.rs` — basic, ranking_score_threshold, filter,
  limit_and_offset, performance_details: full hit bodies (`_vectors` as f32 widened to f64,
  `_rankingScore` to the digit), asked both by POST and by GET as upstream's `similar` helper does.
* `crates/meilisearch/tests/similar/errors.rs` — every test: error objects word for word.

Upstream's `index.similar(query, …)` sends the same query by POST and by GET (its query string built
by the `yaup` crate: arrays joined by commas), and expects the same answer from both; `both` does so.

Version notes (the stored upstream files predate v1.50.0):
* similar_bad_id / similar_invalid_id: the stored snapshots read ``Invalid value at `.id`: the value
  of `id` is invalid. …`` (an older deserialiser that checked the id as it parsed it); v1.50.0 words
  it ``Invalid value at `.id`: Document identifier `"…"` is invalid. …`` (hybrid.md §6, its
  `perform_similar`), asserted here. The requests carry no `embedder`, as upstream's do: Loupe checks
  the id first and answers `invalid_similar_id`, as the snapshots expect (v1.50.0 itself, checking
  the id only after the body has parsed, may answer "Missing field `embedder`" there).
* filter_invalid_attribute_*: the stored snapshots read "Available filterable attributes are" (older)
  and "Available filterable attributes patterns are"; v1.50.0 (filters-facets.md §4.3) reads
  "Available filterable attribute patterns are", asserted here.
* filter_invalid_syntax_*: the stored snapshots end the operator list with "`_geoRadius`, or
  `_geoBoundingBox`"; v1.50.0 knows `_geoPolygon` too: "`_geoRadius`, `_geoBoundingBox` or
  `_geoPolygon`" (filters-facets.md §4.2), asserted here.
* similar_not_found_id: 400, as the snapshot, api.md §7 and errors-auth.md §2.1 say.

Known difference: Loupe's /similar answers end with a `requestUid` (commit 01a1a07, "issue 15");
upstream's `SimilarResult` has no such field (performance_details' whole-body snapshot shows
`estimatedTotalHits` then `performanceDetails`). `both` takes it out before comparing.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from support import index_documents, pop_request_uid

from engine.engine import Engine
from server.app import create_app

KEY = "upstream-similar-master-key-012"
DOCUMENTS = [
    {"title": "Shazam!", "release_year": 2019, "id": "287947", "_vectors": {"manual": [0.8, 0.4, -0.5]}},
    {"title": "Captain Marvel", "release_year": 2019, "id": "299537", "_vectors": {"manual": [0.6, 0.8, -0.2]}},
    {"title": "Escape Room", "release_year": 2019, "id": "522681", "_vectors": {"manual": [0.1, 0.6, 0.8]}},
    {"title": "How to Train Your Dragon: The Hidden World", "release_year": 2019, "id": "166428",
     "_vectors": {"manual": [0.7, 0.7, -0.4]}},
    {"title": "All Quiet on the Western Front", "release_year": 1930, "id": "143",
     "_vectors": {"manual": [-0.5, 0.3, 0.85]}},
]
MANUAL = {"manual": {"source": "userProvided", "dimensions": 3}}

# each document as upstream's snapshots show it with retrieveVectors (f32 values widened to f64)
SHAZAM = {"title": "Shazam!", "release_year": 2019, "id": "287947", "_vectors": {"manual": {
    "embeddings": [[0.800000011920929, 0.4000000059604645, -0.5]], "regenerate": False}}}
MARVEL = {"title": "Captain Marvel", "release_year": 2019, "id": "299537", "_vectors": {"manual": {
    "embeddings": [[0.6000000238418579, 0.800000011920929, -0.20000000298023224]], "regenerate": False}}}
ESCAPE = {"title": "Escape Room", "release_year": 2019, "id": "522681", "_vectors": {"manual": {
    "embeddings": [[0.10000000149011612, 0.6000000238418579, 0.800000011920929]], "regenerate": False}}}
DRAGON = {"title": "How to Train Your Dragon: The Hidden World", "release_year": 2019, "id": "166428",
          "_vectors": {"manual": {"embeddings": [[0.699999988079071, 0.699999988079071, -0.4000000059604645]],
                                  "regenerate": False}}}
QUIET = {"title": "All Quiet on the Western Front", "release_year": 1930, "id": "143", "_vectors": {"manual": {
    "embeddings": [[-0.5, 0.30000001192092896, 0.8500000238418579]], "regenerate": False}}}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = Engine(tmp_path_factory.mktemp("upstream-similar") / "db", worker="thread")
    # "test": what most upstream tests build; "years": filter's settings; "bare": settings only
    index_documents(engine, "test", DOCUMENTS, {"embedders": MANUAL, "filterableAttributes": ["title"]})
    index_documents(engine, "years", DOCUMENTS, {"embedders": MANUAL,
                                                 "filterableAttributes": ["title", "release_year"]})
    index_documents(engine, "bare", [], {"embedders": MANUAL, "filterableAttributes": ["title"]})
    yield engine
    engine.close()


@pytest.fixture
async def http(engine, aiohttp_client):
    return await aiohttp_client(create_app(engine, master_key=KEY))


HEADERS = {"Authorization": f"Bearer {KEY}"}


class Ordered(dict):
    """A JSON object whose equality also compares the keys' order (upstream's snapshots do)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, dict) and list(self.items()) == list(other.items())

    def __ne__(self, other: object) -> bool:
        return not self == other


async def answer(response) -> tuple[int, dict]:
    return response.status, await response.json(loads=lambda text: json.loads(text, object_hook=Ordered))


async def similar_post(http, body: Any, uid: str = "test") -> tuple[int, dict]:
    return await answer(await http.post(f"/indexes/{uid}/similar", json=body, headers=HEADERS))


async def similar_get(http, query: str, uid: str = "test") -> tuple[int, dict]:
    return await answer(await http.get(f"/indexes/{uid}/similar{query}", headers=HEADERS))


def yaup(params: dict) -> str:
    """The query string upstream's tests build with the `yaup` crate: arrays joined by commas."""
    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return ",".join(text(v) for v in value)
        return str(value)
    return "?" + "&".join(f"{name}={quote(text(value), safe=',')}" for name, value in params.items())


async def both(http, body: dict, uid: str = "test") -> list[tuple[int, dict]]:
    """The answers to `body` sent by POST, then by GET; volatile fields removed (`requestUid`, which
    Loupe adds to /similar answers and v1.50.0 does not: see the module docstring)."""
    answers = [await similar_post(http, body, uid), await similar_get(http, yaup(body), uid)]
    for status, answer in answers:
        if status == 200:
            answer.pop("processingTimeMs")
            pop_request_uid(answer)
    return answers


def refused(code: str, message: str, status: int = 400) -> tuple[int, dict]:
    return status, {"message": message, "code": code, "type": "invalid_request",
                    "link": "https://docs.meilisearch.com/errors#" + code}


def page(hits: list, doc_id: str, total: int, limit: int = 20, offset: int = 0) -> tuple[int, dict]:
    return 200, {"hits": hits, "id": doc_id, "limit": limit, "offset": offset, "estimatedTotalHits": total}


def scored(doc: dict, score: float) -> dict:
    return {**doc, "_rankingScore": score}


# mod.rs -------------------------------------------------------------------------------------------

async def test_basic(http):
    """similar/mod.rs basic."""
    assert await both(http, {"id": 143, "retrieveVectors": True, "embedder": "manual"}) == [
        page([ESCAPE, MARVEL, DRAGON, SHAZAM], "143", 4)] * 2
    assert await both(http, {"id": "299537", "retrieveVectors": True, "embedder": "manual"}) == [
        page([DRAGON, SHAZAM, ESCAPE, QUIET], "299537", 4)] * 2


@pytest.mark.parametrize("threshold,hits", [
    (0, [scored(ESCAPE, 0.890957772731781), scored(MARVEL, 0.39060014486312866),
         scored(DRAGON, 0.2819308042526245), scored(SHAZAM, 0.1662663221359253)]),
    (0.2, [scored(ESCAPE, 0.890957772731781), scored(MARVEL, 0.39060014486312866),
           scored(DRAGON, 0.2819308042526245)]),
    (0.3, [scored(ESCAPE, 0.890957772731781), scored(MARVEL, 0.39060014486312866)]),
    (0.6, [scored(ESCAPE, 0.890957772731781)]),
    (0.9, []),
])
async def test_ranking_score_threshold(http, threshold, hits):
    """similar/mod.rs ranking_score_threshold: the threshold cuts the hits and estimatedTotalHits
    (upstream snapshots the total for every threshold but 0.9, where it checks `hits: []` only)."""
    answers = await both(http, {"id": 143, "showRankingScore": True, "rankingScoreThreshold": threshold,
                                "retrieveVectors": True, "embedder": "manual"})
    assert answers == [page(hits, "143", len(hits))] * 2


async def test_filter(http):
    """similar/mod.rs filter."""
    assert await both(http, {"id": 522681, "filter": "release_year = 2019", "retrieveVectors": True,
                             "embedder": "manual"}, uid="years") == [page([MARVEL, DRAGON, SHAZAM], "522681", 3)] * 2
    assert await both(http, {"id": 522681, "filter": "release_year < 2000", "retrieveVectors": True,
                             "embedder": "manual"}, uid="years") == [page([QUIET], "522681", 1)] * 2


async def test_limit_and_offset(http):
    """similar/mod.rs limit_and_offset."""
    assert await both(http, {"id": 143, "limit": 1, "retrieveVectors": True, "embedder": "manual"}) == [
        page([ESCAPE], "143", 4, limit=1)] * 2
    assert await both(http, {"id": 143, "limit": 1, "offset": 1, "retrieveVectors": True, "embedder": "manual"}) == [
        page([MARVEL], "143", 4, limit=1, offset=1)] * 2


async def test_performance_details(http):
    """similar/mod.rs performance_details: the whole body, performanceDetails redacted as upstream does."""
    for status, answer in await both(http, {"id": 143, "embedder": "manual", "showPerformanceDetails": True}):
        assert isinstance(answer.pop("performanceDetails"), dict)
        without_vectors = [{k: v for k, v in doc.items() if k != "_vectors"} for doc in (ESCAPE, MARVEL, DRAGON, SHAZAM)]
        assert (status, answer) == page(without_vectors, "143", 4)


# errors.rs ----------------------------------------------------------------------------------------

FILTER_OPERATORS = ("Was expecting an operation `=`, `!=`, `>=`, `>`, `<=`, `<`, `IN`, `NOT IN`, `TO`, `EXISTS`, "
                    "`NOT EXISTS`, `IS NULL`, `IS NOT NULL`, `IS EMPTY`, `IS NOT EMPTY`, `CONTAINS`, `NOT CONTAINS`, "
                    "`STARTS WITH`, `NOT STARTS WITH`, `_geoRadius`, `_geoBoundingBox` or `_geoPolygon` at `title & Glass`.\n"
                    "1:14 title & Glass")
GEO_HINT = ("is a reserved keyword and thus can't be used as a filter expression. Use the "
            "`_geoRadius(latitude, longitude, distance)` or `_geoBoundingBox([latitude, longitude], "
            "[latitude, longitude])` built-in rules to filter on `_geo` coordinates.")
ID_RULES = ("is invalid. A document identifier can be of type integer or string, only composed of alphanumeric "
            "characters (a-z A-Z 0-9), hyphens (-) and underscores (_), and can not be more than 511 bytes.")


async def test_similar_unexisting_index(http):
    """errors.rs similar_unexisting_index."""
    assert await both(http, {"id": 287947, "embedder": "manual"}, uid="missing") == [
        refused("index_not_found", "Index `missing` not found.", 404)] * 2


async def test_similar_unexisting_parameter(http):
    """errors.rs similar_unexisting_parameter: an unknown parameter is a bad request, before the
    index is looked up."""
    for status, answer in await both(http, {"id": 287947, "marin": "hello"}, uid="missing"):
        assert (status, answer["code"]) == (400, "bad_request")


async def test_similar_bad_id(http):
    """errors.rs similar_bad_id and similar_invalid_id: the id is checked before the missing embedder
    is noticed (v1.50.0 wording, see the module docstring)."""
    assert await similar_post(http, {"id": ["doggo"]}, uid="bare") == refused(
        "invalid_similar_id", f'Invalid value at `.id`: Document identifier `["doggo"]` {ID_RULES}')
    assert await similar_post(http, {"id": "http://invalid-docid/"}, uid="bare") == refused(
        "invalid_similar_id", f'Invalid value at `.id`: Document identifier `"http://invalid-docid/"` {ID_RULES}')


async def test_similar_ranking_score_threshold_errors(http):
    """errors.rs similar_bad_ranking_score_threshold and similar_invalid_ranking_score_threshold:
    the value is checked before the missing `id` and `embedder` are noticed."""
    assert await similar_post(http, {"rankingScoreThreshold": ["doggo"]}, uid="bare") == refused(
        "invalid_similar_ranking_score_threshold",
        'Invalid value type at `.rankingScoreThreshold`: expected a number, but found an array: `["doggo"]`')
    assert await similar_post(http, {"rankingScoreThreshold": 42}, uid="bare") == refused(
        "invalid_similar_ranking_score_threshold", "Invalid value at `.rankingScoreThreshold`: the value of "
        "`rankingScoreThreshold` is invalid, expected a float between `0.0` and `1.0`.")


async def test_similar_not_found_id(http):
    """errors.rs similar_not_found_id: 400, not 404."""
    assert await similar_post(http, {"id": "definitely-doesnt-exist", "embedder": "manual"}, uid="bare") == refused(
        "not_found_similar_id", "Document `definitely-doesnt-exist` not found.")


async def test_similar_bad_offset_and_limit(http):
    """errors.rs similar_bad_offset and similar_bad_limit."""
    for name in ("offset", "limit"):
        assert await similar_post(http, {"id": 287947, name: "doggo", "embedder": "manual"}, uid="bare") == refused(
            f"invalid_similar_{name}",
            f'Invalid value type at `.{name}`: expected a positive integer, but found a string: `"doggo"`')
        assert await similar_get(http, f"?id=287947&{name}=doggo&embedder=manual", uid="bare") == refused(
            f"invalid_similar_{name}",
            f"Invalid value in parameter `{name}`: could not parse `doggo` as a positive integer")


async def test_similar_bad_filter(http):
    """errors.rs similar_bad_filter."""
    assert await similar_post(http, {"id": 287947, "filter": True, "embedder": "manual"}) == refused(
        "invalid_similar_filter", "Invalid syntax for the filter parameter: `expected String, Array, found: true`.")


@pytest.mark.parametrize("name,filter,message", [
    ("filter_invalid_syntax_object", "title & Glass", FILTER_OPERATORS),
    ("filter_invalid_syntax_array", ["title & Glass"], FILTER_OPERATORS),
    ("filter_invalid_syntax_string", "title = Glass XOR title = Glass",
     ("Found unexpected characters at the end of the filter: `XOR title = Glass`. You probably forgot an `OR` or "
      "an `AND` rule.\n15:32 title = Glass XOR title = Glass")),
    ("filter_invalid_attribute_array", ["many = Glass"],
     "Attribute `many` is not filterable. Available filterable attribute patterns are: `title`.\n1:5 many = Glass"),
    ("filter_invalid_attribute_string", "many = Glass",
     "Attribute `many` is not filterable. Available filterable attribute patterns are: `title`.\n1:5 many = Glass"),
    ("filter_reserved_geo_attribute_array", ["_geo = Glass"], f"`_geo` {GEO_HINT}\n1:13 _geo = Glass"),
    ("filter_reserved_geo_attribute_string", "_geo = Glass", f"`_geo` {GEO_HINT}\n1:13 _geo = Glass"),
    ("filter_reserved_attribute_array", ["_geoDistance = Glass"],
     f"`_geoDistance` {GEO_HINT}\n1:21 _geoDistance = Glass"),
    ("filter_reserved_attribute_string", "_geoDistance = Glass",
     f"`_geoDistance` {GEO_HINT}\n1:21 _geoDistance = Glass"),
    ("filter_reserved_geo_point_array", ["_geoPoint = Glass"], f"`_geoPoint` {GEO_HINT}\n1:18 _geoPoint = Glass"),
    ("filter_reserved_geo_point_string", "_geoPoint = Glass", f"`_geoPoint` {GEO_HINT}\n1:18 _geoPoint = Glass"),
])
async def test_filter_errors(http, name, filter, message):
    """errors.rs filter_invalid_* and filter_reserved_*: no index prefix, POST and GET alike."""
    assert await both(http, {"id": 287947, "filter": filter, "embedder": "manual"}) == [
        refused("invalid_similar_filter", message)] * 2


async def test_similar_bad_retrieve_vectors(http):
    """errors.rs similar_bad_retrieve_vectors: checked before the index is looked up."""
    assert await similar_post(http, {"retrieveVectors": "doggo", "embedder": "manual"}, uid="missing") == refused(
        "invalid_similar_retrieve_vectors",
        'Invalid value type at `.retrieveVectors`: expected a boolean, but found a string: `"doggo"`')
    assert await similar_post(http, {"retrieveVectors": [True], "embedder": "manual"}, uid="missing") == refused(
        "invalid_similar_retrieve_vectors",
        "Invalid value type at `.retrieveVectors`: expected a boolean, but found an array: `[true]`")
    for value in ("", "doggo"):
        assert await similar_get(http, f"?retrieveVectors={value}", uid="missing") == refused(
            "invalid_similar_retrieve_vectors", f"Invalid value in parameter `retrieveVectors`: could not parse "
            f"`{value}` as a boolean, expected either `true` or `false`")


async def test_similar_bad_embedder(http):
    """errors.rs similar_bad_embedder."""
    assert await both(http, {"id": 287947, "embedder": "auto"}) == [
        refused("invalid_similar_embedder", "Cannot find embedder with name `auto`.")] * 2
    assert await similar_post(http, {"id": 287947, "embedder": 42}) == refused(
        "invalid_similar_embedder", "Invalid value type at `.embedder`: expected a string, but found a positive "
        "integer: `42`")
    assert await similar_post(http, {"id": 287947, "embedder": None}) == refused(
        "invalid_similar_embedder", "Invalid value type at `.embedder`: expected a string, but found null")
    assert await similar_post(http, {"id": 287947}) == refused("bad_request", "Missing field `embedder`")
    assert await similar_get(http, "?id=287947") == refused("bad_request", "Missing parameter `embedder`")
