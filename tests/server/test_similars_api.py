"""The similars API at /v1 (seed similars-api.md, issue 18 §3) through aiohttp's test client.

Vectors are 2-dimensional so every cosine is computed by hand in `cosine` from the data written.

Properties:
1. POST /v1/embeddings answers `{"upserted": N}` once the embeddings are searchable; re-posting an
   id replaces its vector and metadata; the project is an index `similars_{user}_{project}`.
2. Similarity by id and by vector: cosine similarity, highest first, ties by id, the query document
   excluded, results >= threshold (default 0.5), count/limit and offset paging.
3. metadata_path/metadata_value drop exact (case-sensitive) matches, nested paths, numbers by text.
4. Listings: embeddings by id and projects of a user, in the paginated envelope.
5. Every 400 of the seed and the 404s in `{"title", "status", "detail"}`; keys: actions and index
   patterns apply (a key on `similars_alice_*` cannot read bob's projects).
6. DELETE removes one embedding, or the whole project.
"""
import math

import pytest

from engine.engine import Engine
from server.app import create_app

KEY = "similars-master-key-0123456789"
HEADERS = {"Authorization": f"Bearer {KEY}"}

EMBEDDINGS = [
    {"id": "a", "vector": [1, 0], "metadata": {"author": {"name": "Ann"}, "year": 2020}},
    {"id": "a2", "vector": [2, 0], "metadata": {"author": {"name": "Bob"}}},
    {"id": "b", "vector": [3, 4], "metadata": {"year": 2024}},
    {"id": "c", "vector": [4, 3], "metadata": {"author": {"name": "Ann"}}},
    {"id": "f", "vector": [8, 6], "metadata": {"author": {"name": "ann"}}},
    {"id": "g", "vector": [6, 8], "metadata": {"published": True}},
    {"id": "d", "vector": [0, 1]},
    {"id": "e", "vector": [-1, 0]},
    {"id": "h", "vector": [1, 1]},
]


def cosine(u, v):
    return sum(x * y for x, y in zip(u, v)) / (math.hypot(*u) * math.hypot(*v))


def expected(query, *, exclude=None, threshold=0.5, offset=0, count=10, drop=()):
    """The seed's answer computed from EMBEDDINGS: cosine >= threshold, highest first, ties by id."""
    found = [(e["id"], cosine(query, e["vector"])) for e in EMBEDDINGS if e["id"] != exclude and e["id"] not in drop]
    found = [(i, s) for i, s in found if s >= threshold - 1e-9]
    found.sort(key=lambda p: (-round(p[1], 6), p[0]))
    return found[offset:offset + count]


def check(body, want, user="alice", project="docs"):
    assert list(body) == ["user_handle", "project_handle", "results"]
    assert (body["user_handle"], body["project_handle"]) == (user, project)
    assert [r["id"] for r in body["results"]] == [i for i, _s in want]
    for result, (_i, similarity) in zip(body["results"], want):
        assert list(result) == ["id", "similarity"]
        assert result["similarity"] == pytest.approx(similarity, abs=1e-4)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = Engine(tmp_path_factory.mktemp("similars") / "db", worker="thread")
    yield engine
    engine.close()


@pytest.fixture
async def http(engine, aiohttp_client):
    client = await aiohttp_client(create_app(engine, master_key=KEY))
    if not any(r["uid"] == "similars_alice_docs" for r in engine.list_indexes()):
        response = await client.post("/v1/embeddings/alice/docs", json={"embeddings": EMBEDDINGS}, headers=HEADERS)
        assert response.status == 200 and await response.json() == {"upserted": len(EMBEDDINGS)}
    return client


async def get(http, path, headers=HEADERS):
    response = await http.get(path, headers=headers)
    return response.status, await response.json()


async def post(http, path, body, headers=HEADERS):
    response = await http.post(path, json=body, headers=headers)
    return response.status, await response.json()


# 1 -------------------------------------------------------------------------------------------------

async def test_upsert_is_searchable_at_once_and_replaces(http, engine):
    assert engine.get_index("similars_alice_docs")["primaryKey"] == "id"
    status, body = await post(http, "/v1/embeddings/alice/scratch", {"embeddings": [
        {"id": "x", "vector": [1, 0]}, {"id": "y", "vector": [0, 1], "metadata": {"k": "v"}}]})
    assert (status, body) == (200, {"upserted": 2})
    status, body = await post(http, "/v1/similars/alice/scratch", {"vector": [0, 1]})
    assert status == 200 and [r["id"] for r in body["results"]] == ["y"]
    status, body = await post(http, "/v1/embeddings/alice/scratch", {"embeddings": [{"id": "x", "vector": [0, 2]}]})
    assert (status, body) == (200, {"upserted": 1})
    status, body = await post(http, "/v1/similars/alice/scratch", {"vector": [0, 1]})
    assert [(r["id"], r["similarity"]) for r in body["results"]] == [("x", 1.0), ("y", 1.0)]
    status, body = await get(http, "/v1/embeddings/alice/scratch")
    assert body["items"] == [{"id": "x", "vector": [0.0, 2.0], "metadata": {}},
                             {"id": "y", "vector": [0.0, 1.0], "metadata": {"k": "v"}}]
    status, body = await get(http, "/indexes/similars_alice_scratch")
    assert status == 200 and body["primaryKey"] == "id"
    status, body = await post(http, "/v1/embeddings/alice/scratch", {"embeddings": [
        {"id": "y", "vector": [1, 0]}, {"id": "x", "vector": [3, 3], "metadata": {"n": 1}}]})
    assert (status, body) == (200, {"upserted": 2})  # a replacement: y's metadata goes, x gets one
    _s, body = await get(http, "/v1/embeddings/alice/scratch")
    assert body["items"] == [{"id": "x", "vector": [3.0, 3.0], "metadata": {"n": 1}},
                             {"id": "y", "vector": [1.0, 0.0], "metadata": {}}]
    _s, body = await post(http, "/v1/similars/alice/scratch", {"vector": [1, 0]})
    assert [(r["id"], r["similarity"]) for r in body["results"]] == [("y", 1.0), ("x", round(math.sqrt(0.5), 6))]


# 2 -------------------------------------------------------------------------------------------------

async def test_similars_by_vector_default_threshold(http):
    status, body = await post(http, "/v1/similars/alice/docs", {"vector": [1, 0]})
    assert status == 200
    check(body, expected([1, 0]))
    # by hand: a, a2 = 1.0; c, f = 0.8 (tie: c before f); h = 0.707107; b, g = 0.6; d = 0 and e = -1 dropped
    assert [r["id"] for r in body["results"]] == ["a", "a2", "c", "f", "h", "b", "g"]


async def test_similars_by_id_excludes_itself(http):
    status, body = await get(http, "/v1/similars/alice/docs/a")
    assert status == 200
    check(body, expected([1, 0], exclude="a"))
    assert body["results"][0] == {"id": "a2", "similarity": 1.0}


@pytest.mark.parametrize("query,kwargs", [
    ("threshold=0.8", {"threshold": 0.8}),
    ("threshold=0.7071", {"threshold": 0.7071}),
    ("threshold=0", {"threshold": 0.0}),
    ("threshold=1", {"threshold": 1.0}),
    ("count=2", {"count": 2}),
    ("limit=3&offset=2", {"count": 3, "offset": 2}),
    ("count=2&offset=3&threshold=0.6", {"count": 2, "offset": 3, "threshold": 0.6}),
    ("offset=50", {"offset": 50}),
])
async def test_threshold_count_offset(http, query, kwargs):
    status, body = await get(http, f"/v1/similars/alice/docs/h?{query}")
    assert status == 200
    check(body, expected([1, 1], exclude="h", **kwargs))
    status, body = await post(http, f"/v1/similars/alice/docs?{query}", {"vector": [-2, 1]})
    check(body, expected([-2, 1], **kwargs))


async def test_ties_by_id_across_pages(http):
    pages = []
    for offset in range(0, 8):
        _s, body = await get(http, f"/v1/similars/alice/docs/h?count=1&offset={offset}&threshold=0")
        pages += [r["id"] for r in body["results"]]
    assert pages == [i for i, _s in expected([1, 1], exclude="h", threshold=0.0)]


# 3 -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path,value,drop", [
    ("author.name", "Ann", {"a", "c"}),           # exact: "ann" (f) stays
    ("author.name", "ann", {"f"}),
    ("author.name", "Nobody", set()),
    ("author", "Ann", set()),                     # an object never equals a string
    ("year", "2024", {"b"}),                      # numbers compare by their JSON text
    ("published", "true", {"g"}),
    ("missing.path", "x", set()),
])
async def test_metadata_exclusion(http, path, value, drop):
    status, body = await post(http, f"/v1/similars/alice/docs?metadata_path={path}&metadata_value={value}&threshold=0",
                              {"vector": [1, 0.5]})
    assert status == 200
    check(body, expected([1, 0.5], threshold=0.0, drop=drop))


async def test_metadata_exclusion_with_paging(http):
    _s, body = await get(http, "/v1/similars/alice/docs/a?metadata_path=author.name&metadata_value=Ann&count=2&offset=1")
    check(body, expected([1, 0], exclude="a", drop={"a", "c"}, count=2, offset=1))
    assert [r["id"] for r in body["results"]] == ["f", "h"]


# 4 -------------------------------------------------------------------------------------------------

async def test_embeddings_listing(http):
    status, body = await get(http, "/v1/embeddings/alice/docs?limit=3&offset=2")
    assert status == 200
    ids = sorted(e["id"] for e in EMBEDDINGS)
    assert list(body) == ["items", "total_count", "limit", "offset", "has_more"]
    assert [item["id"] for item in body["items"]] == ids[2:5]
    assert (body["total_count"], body["limit"], body["offset"], body["has_more"]) == (9, 3, 2, True)
    by_id = {e["id"]: e for e in EMBEDDINGS}
    for item in body["items"]:
        assert item["vector"] == [float(x) for x in by_id[item["id"]]["vector"]]
        assert item["metadata"] == by_id[item["id"]].get("metadata", {})
    _s, body = await get(http, "/v1/embeddings/alice/docs?limit=200&offset=7")
    assert [i["id"] for i in body["items"]] == ids[7:] and body["has_more"] is False
    _s, body = await get(http, "/v1/embeddings/alice/docs")
    assert body["limit"] == 10 and body["offset"] == 0 and len(body["items"]) == 9


async def test_projects_listing(http):
    await post(http, "/v1/embeddings/bob/notes", {"embeddings": [{"id": "n", "vector": [1, 2, 3]}]})
    status, body = await get(http, "/v1/projects/alice?limit=1")
    assert status == 200
    assert body["total_count"] >= 1 and body["limit"] == 1 and body["offset"] == 0
    item = body["items"][0]
    assert item["user_handle"] == "alice" and item["project_handle"] == "docs"
    assert item["embedding_count"] == 9 and item["dimensions"] == 2
    _s, body = await get(http, "/v1/projects/bob")
    assert [(i["project_handle"], i["embedding_count"], i["dimensions"]) for i in body["items"]] == [("notes", 1, 3)]
    assert body["has_more"] is False and body["total_count"] == 1
    _s, body = await get(http, "/v1/projects/nobody")
    assert body == {"items": [], "total_count": 0, "limit": 10, "offset": 0, "has_more": False}


# 5 -------------------------------------------------------------------------------------------------

def problem(status, detail):
    return {"title": {400: "Bad Request", 404: "Not Found", 401: "Unauthorized", 403: "Forbidden"}[status],
            "status": status, "detail": detail}


@pytest.mark.parametrize("query,detail", [
    ("limit=201", "limit must be between 1 and 200"),
    ("limit=0", "limit must be between 1 and 200"),
    ("count=500", "count must be between 1 and 200"),
    ("count=ten", "count must be an integer"),
    ("offset=-1", "offset must not be negative"),
    ("threshold=1.5", "threshold must be between 0.0 and 1.0"),
    ("threshold=-0.1", "threshold must be between 0.0 and 1.0"),
    ("threshold=high", "threshold must be a number"),
    ("metadata_path=author", "metadata_path requires metadata_value"),
    ("metadata_value=Ann", "metadata_value requires metadata_path"),
    ("count=5&limit=6", "count and limit are aliases and must not differ"),
    ("limit=1.5", "limit must be an integer"),
    ("offset=two", "offset must be an integer"),
    ("threshold=nan", "threshold must be between 0.0 and 1.0"),
    ("metadata_path=author..name&metadata_value=Ann", "metadata_path `author..name` is not a dotted path"),
])
async def test_bad_parameters(http, query, detail):
    for status, body in (await get(http, f"/v1/similars/alice/docs/a?{query}"),
                         await post(http, f"/v1/similars/alice/docs?{query}", {"vector": [1, 0]})):
        assert (status, body) == (400, problem(400, detail))


async def test_listing_bad_parameters(http):
    assert await get(http, "/v1/embeddings/alice/docs?limit=201") == (400, problem(400, "limit must be between 1 and 200"))
    assert await get(http, "/v1/projects/alice?offset=-3") == (400, problem(400, "offset must not be negative"))


async def test_not_found_and_bad_bodies(http):
    assert await get(http, "/v1/similars/alice/docs/zzz") == (
        404, problem(404, "Embedding `zzz` not found in project `alice/docs`."))
    assert await get(http, "/v1/similars/alice/none/a") == (404, problem(404, "Project `alice/none` not found."))
    assert await get(http, "/v1/embeddings/carol/none") == (404, problem(404, "Project `carol/none` not found."))
    assert await post(http, "/v1/similars/alice/docs", {"vector": [1, 0, 0]}) == (
        400, problem(400, "vector has 3 dimensions, the project's embeddings have 2"))
    assert await post(http, "/v1/similars/alice/docs", {"vector": [0, 0]}) == (
        400, problem(400, "vector must not be all zeros (its cosine similarity is undefined)"))
    assert await post(http, "/v1/similars/alice/docs", {"vectors": [1, 0]}) == (
        400, problem(400, "the body must be a JSON object with a `vector` array"))
    assert await post(http, "/v1/embeddings/alice/docs", {"embeddings": [{"id": "q", "vector": [1]}]}) == (
        400, problem(400, "embeddings[0].vector has 1 dimensions, the project's embeddings have 2"))
    assert await post(http, "/v1/embeddings/alice/docs", {"embeddings": [{"id": "a b", "vector": [1, 1]}]}) == (
        400, problem(400, "embeddings[0].id must be a string of 1 to 511 bytes: letters, digits, hyphens or underscores"))
    assert await get(http, "/v1/similars/al_ice/docs/a") == (
        400, problem(400, "user handle `al_ice` is invalid: use 1 to 100 letters, digits or hyphens"))
    assert await get(http, "/v1/nothing/here") == (404, problem(404, "No such route."))


async def test_keys(http):
    assert await get(http, "/v1/similars/alice/docs/a", headers={}) == (401, problem(
        401, "The Authorization header is missing. It must use the bearer authorization method."))
    assert await get(http, "/v1/similars/alice/docs/a", headers={"Authorization": "Bearer wrong"}) == (
        403, problem(403, "The provided API key is invalid."))
    _s, key = await post(http, "/keys", {"actions": ["search", "indexes.get"], "indexes": ["similars_alice_*"],
                                         "expiresAt": None})
    alice = {"Authorization": f"Bearer {key['key']}"}
    status, body = await get(http, "/v1/similars/alice/docs/a", headers=alice)
    assert status == 200 and body["results"]
    status, body = await get(http, "/v1/projects/alice", headers=alice)
    assert status == 200 and body["total_count"] >= 1
    status, body = await get(http, "/v1/projects/bob", headers=alice)
    assert (status, body["total_count"]) == (200, 0)
    status, body = await post(http, "/v1/similars/bob/notes", {"vector": [1, 2, 3]}, headers=alice)
    assert status == 403 and body["title"] == "Forbidden"
    status, body = await get(http, "/v1/embeddings/alice/docs", headers=alice)  # no documents.get
    assert (status, body) == (403, problem(403, "The provided API key is invalid."))
    status, body = await post(http, "/v1/embeddings/alice/docs", {"embeddings": []}, headers=alice)
    assert status == 403


async def test_tenant_token_filter(http):
    """A tenant token's rule filter (Loupe syntax on `id` and `metadata.*`) narrows the results and
    hides a query document outside it."""
    import meilisearch
    _s, key = await post(http, "/keys", {"actions": ["search"], "indexes": ["similars_alice_*"], "expiresAt": None})
    token = meilisearch.Client("http://unused", KEY).generate_tenant_token(
        key["uid"], {"similars_alice_docs": {"filter": "metadata.author.name = ann OR id = h"}}, api_key=key["key"])
    tenant = {"Authorization": f"Bearer {token}"}
    visible = {"a", "c", "f", "h"}  # Loupe's filters fold case: "Ann" and "ann"
    status, body = await post(http, "/v1/similars/alice/docs?threshold=0", {"vector": [1, 0]}, headers=tenant)
    assert status == 200
    check(body, expected([1, 0], threshold=0.0, drop={e["id"] for e in EMBEDDINGS} - visible))
    status, body = await get(http, "/v1/similars/alice/docs/h?threshold=0", headers=tenant)
    check(body, expected([1, 1], exclude="h", threshold=0.0, drop={e["id"] for e in EMBEDDINGS} - visible))
    assert await get(http, "/v1/similars/alice/docs/b", headers=tenant) == (
        404, problem(404, "Embedding `b` not found in project `alice/docs`."))


# 6 -------------------------------------------------------------------------------------------------

async def test_deletes(http, engine):
    await post(http, "/v1/embeddings/alice/temp", {"embeddings": [{"id": "x", "vector": [1, 0]},
                                                                  {"id": "y", "vector": [1, 1]}]})
    response = await http.delete("/v1/embeddings/alice/temp/x", headers=HEADERS)
    assert (response.status, await response.json()) == (200, {"deleted": 1})
    assert (await get(http, "/v1/embeddings/alice/temp"))[1]["total_count"] == 1
    response = await http.delete("/v1/embeddings/alice/temp/x", headers=HEADERS)
    assert (response.status, await response.json()) == (404, problem(404, "Embedding `x` not found in project `alice/temp`."))
    response = await http.delete("/v1/embeddings/alice/temp", headers=HEADERS)
    assert (response.status, await response.json()) == (200, {"deleted": 1})
    assert all(r["uid"] != "similars_alice_temp" for r in engine.list_indexes())
    assert await get(http, "/v1/embeddings/alice/temp") == (404, problem(404, "Project `alice/temp` not found."))


async def test_count_and_limit_agree_and_bounds(http):
    """count and limit are aliases (both given must agree); 1 and 200 are accepted bounds."""
    for query, count in (("count=3&limit=3", 3), ("limit=1", 1), ("count=200", 200), ("limit=200&offset=0", 200)):
        status, body = await get(http, f"/v1/similars/alice/docs/h?{query}&threshold=0")
        assert status == 200
        check(body, expected([1, 1], exclude="h", threshold=0.0, count=count))


async def test_url_encoded_metadata_path_and_value(http):
    """Percent-encoded paths and values (the seed's `author%20name`, `John%20Doe`, `%40`) are decoded
    before the exact comparison."""
    await post(http, "/v1/embeddings/alice/encoded", {"embeddings": [
        {"id": "p", "vector": [1, 0], "metadata": {"author name": "John Doe", "contact": {"mail": "a@b.com"}}},
        {"id": "q", "vector": [1, 0.1], "metadata": {"author name": "john doe", "contact": {"mail": "x@b.com"}}},
        {"id": "r", "vector": [1, 0.2]}]})
    _s, body = await post(http, "/v1/similars/alice/encoded?metadata_path=author%20name&metadata_value=John%20Doe",
                          {"vector": [1, 0]})
    assert [r["id"] for r in body["results"]] == ["q", "r"]
    _s, body = await get(http, "/v1/similars/alice/encoded/r?metadata_path=contact.mail&metadata_value=x%40b.com")
    assert [r["id"] for r in body["results"]] == ["p"]
