"""Listing documents (GET /indexes/{uid}/documents, POST …/documents/fetch): `sort`, `ids` and the
errors of the listing routes, as Meilisearch answers them (its tests' cases reproduced).

Properties:
1. `sort` (sortable attributes only) orders the listing like a search's sort: numbers, then
   strings, documents without the field last, ties in insertion order, pages cut after ordering;
   several entries; `_geoPoint`; GET takes the same entries comma-separated; the rankingRules
   setting plays no part.
2. A sort on an attribute that is not sortable is 400 `invalid_document_sort` without an index
   prefix; so are filter errors of a listing (while a deletion task's carry it).
3. A bad id inside `ids` is 400 `invalid_document_ids` naming `.ids[i]`, in GET as in POST; a JSON
   `null` body on fetch is 400 `bad_request`.
"""
import pytest

from engine.engine import Engine
from server.app import create_app
from support import index_documents

KEY = "a-master-key-of-16-bytes"
AUTH = {"Authorization": f"Bearer {KEY}"}
DOCS = [{"id": 1, "name": "Doc without created_at", "priority": 1},
        {"id": 2, "name": "Doc with created_at", "created_at": "2025-01-15"},
        {"id": 3, "name": "Another doc without created_at", "priority": 10},
        {"id": 4, "name": "Another doc with created_at", "created_at": "2025-01-10", "priority": "high"},
        {"id": 5, "name": "Geo", "_geo": {"lat": 45.4777599, "lng": 9.1967508}},
        {"id": 6, "name": "Far", "_geo": {"lat": 34.0522, "lng": -118.2437}}]


@pytest.fixture
async def http(tmp_path, aiohttp_client):
    engine = Engine(tmp_path / "db", worker="thread")
    index_documents(engine, "docs", DOCS, {"sortableAttributes": ["created_at", "priority", "_geo"],
                                           "rankingRules": ["words", "typo"]})  # no `sort` rule: no matter
    index_documents(engine, "plain", [{"id": 1, "name": "x"}])
    client = await aiohttp_client(create_app(engine, master_key=KEY))
    yield client
    engine.close()


async def fetch(http, body, index="docs"):
    r = await http.post(f"/indexes/{index}/documents/fetch", json=body, headers=AUTH)
    return r.status, await r.json()


async def listing(http, query, index="docs"):
    r = await http.get(f"/indexes/{index}/documents?{query}", headers=AUTH)
    return r.status, await r.json()


def ids(body):
    return [d["id"] for d in body["results"]]


# 1 ------------------------------------------------------------------------------------------------

async def test_sorted_listings(http):
    status, body = await fetch(http, {"sort": ["created_at:asc"], "fields": ["id"]})
    assert status == 200 and body == {"results": [{"id": 4}, {"id": 2}, {"id": 1}, {"id": 3}, {"id": 5}, {"id": 6}],
                                      "offset": 0, "limit": 20, "total": 6}
    assert ids((await fetch(http, {"sort": ["priority:desc"]}))[1]) == [3, 1, 4, 2, 5, 6]  # numbers, strings, none
    assert ids((await fetch(http, {"sort": ["priority:asc"]}))[1]) == [1, 3, 4, 2, 5, 6]
    assert ids((await fetch(http, {"sort": ["created_at:desc", "priority:asc"]}))[1]) == [2, 4, 1, 3, 5, 6]
    assert ids((await fetch(http, {"sort": ["_geoPoint(45.4777599, 9.1967508):asc"]}))[1]) == [5, 6, 1, 2, 3, 4]
    page = await fetch(http, {"sort": ["priority:desc"], "offset": 1, "limit": 2})
    assert page == (200, {"results": [DOCS[0], DOCS[3]], "offset": 1, "limit": 2, "total": 6})
    assert ids((await fetch(http, {"sort": ["priority:asc"], "ids": [4, "3", 2]}))[1]) == [3, 4, 2]
    status, body = await listing(http, "sort=created_at:desc,priority:asc&fields=id")
    assert (status, ids(body)) == (200, [2, 4, 1, 3, 5, 6])
    status, body = await listing(http, "sort=_geoPoint(34.0522,-118.2437):asc&limit=2&fields=id")
    assert (status, ids(body)) == (200, [6, 5])


async def test_ties_keep_insertion_order_across_pages(tmp_path, aiohttp_client):
    engine = Engine(tmp_path / "db2", worker="thread")
    try:
        index_documents(engine, "docs", [{"id": i, "name": f"doc_{min(i, 5):05}"} for i in range(50)],
                        {"sortableAttributes": ["name"]})
        client = await aiohttp_client(create_app(engine, master_key=KEY))
        pages = [ids((await fetch(client, {"offset": offset, "limit": 2, "sort": ["name:asc"]}))[1])
                 for offset in (0, 2, 4, 6)]
        assert pages == [[0, 1], [2, 3], [4, 5], [6, 7]]
    finally:
        engine.close()


# 2 ------------------------------------------------------------------------------------------------

def refused(code, message):
    return 400, {"message": message, "code": code, "type": "invalid_request",
                 "link": "https://docs.meilisearch.com/errors#" + code}


async def test_listing_errors_name_no_index(http):
    assert await fetch(http, {"sort": ["name:asc"]}, "plain") == refused(
        "invalid_document_sort", "Attribute `name` is not sortable. This index does not have configured sortable attributes.")
    assert await listing(http, "sort=name:asc") == refused(
        "invalid_document_sort",
        "Attribute `name` is not sortable. Available sortable attributes are: `_geo, created_at, priority`.")
    assert await fetch(http, {"sort": ["name:up"]}) == refused(
        "invalid_document_sort", "Invalid syntax for the sort parameter: expected expression ending by `:asc` or "
                                 "`:desc`, found `name:up`.")
    assert await fetch(http, {"sort": [1]}) == refused(
        "invalid_document_sort", "Invalid value type at `.sort[0]`: expected a string, but found a positive integer: `1`")
    assert await fetch(http, {"filter": "doggo = bernese"}) == refused(
        "invalid_document_filter",
        "Attribute `doggo` is not filterable. This index does not have configured filterable attributes."
        "\n1:6 doggo = bernese")
    assert await listing(http, "filter=_geoRadius(1,2,3)") == refused(
        "invalid_document_filter",
        "Attribute `_geo/_geojson` is not filterable. This index does not have configured filterable attributes."
        "\n12:13 _geoRadius(1,2,3)")


# 3 ------------------------------------------------------------------------------------------------

async def test_bad_ids_and_null_body(http):
    message = ("In `.ids[1]`: Document identifier `\"illegal/docid\"` is invalid. A document identifier can be of type "
               "integer or string, only composed of alphanumeric characters (a-z A-Z 0-9), hyphens (-) and "
               "underscores (_), and can not be more than 511 bytes.")
    assert await fetch(http, {"ids": ["0", "illegal/docid"]}) == refused("invalid_document_ids", message)
    assert await listing(http, "ids=0,illegal/docid") == refused("invalid_document_ids", message)
    r = await http.post("/indexes/docs/documents/fetch", data=b"null",
                        headers={**AUTH, "Content-Type": "application/json"})
    assert (r.status, await r.json()) == refused("bad_request", "Invalid value type: expected an object, but found null")
    assert (await fetch(http, {"ids": [2, "1"]}))[1]["results"] == [DOCS[0], DOCS[1]]  # insertion order
