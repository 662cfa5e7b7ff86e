"""`_vectors` filters through the HTTP routes (filters-facets.md §3.7; upstream
`crates/meilisearch/tests/search/filters.rs` vector_filter_*, milli `filter/vector.rs`).

Corpus: a `rest` embedder generating from `{{doc.name}}` (the scripted loopback server) and a
`manual` userProvided embedder of 2 dimensions:

    id name    rest                                              manual
    0  kefir   generated                                         [1, 0]
    1  echo    given [1, 1, 1]                                   [0, 1]
    2  intel   generated                                         null (opt-out: given, none)
    3  iko     generated                                         [1, 1]
    4  dustin  given {"embeddings": [2, 2, 2], "regenerate": true}  [-1, 0]

As upstream's embedding status: given embeddings are user-provided (whatever `regenerate` says),
`regenerate` is the flag given (true for generated ones).

Properties:
1. Without the `multimodal` feature every route refuses a `_vectors` filter with upstream's gate
   (`feature_not_enabled`, pointing at `_vectors`): search, multi-search, federated search, facet
   search, /similar, documents GET/fetch, delete-by-filter (at enqueue, no task).
2. With it: `_vectors`, `_vectors.<e>`, `.userProvided`, `.documentTemplate`, `.regenerate`, their
   negations and combinations select exactly the documents of the table, in every route above;
   semantic search and /similar filter their universe with them.
3. An unknown embedder or fragment fails with upstream's message (index prefix where the route
   has one, "Did you mean" suggestion) pointing at the offending name.
4. Delete-by-filter applies it in the worker; document updates move documents between the
   user-provided and regenerated sets as upstream's embedding status does.
"""
from __future__ import annotations

from typing import Any

import pytest
from embedding_server import EmbeddingServer, allow_loopback

from engine.engine import Engine
from server.app import create_app
from support import index_documents

KEY = "vector-filters-master-key-012345"
DOCS = [
    {"id": 0, "name": "kefir", "_vectors": {"manual": [1, 0]}},
    {"id": 1, "name": "echo", "_vectors": {"rest": [1, 1, 1], "manual": [0, 1]}},
    {"id": 2, "name": "intel", "_vectors": {"manual": None}},
    {"id": 3, "name": "iko", "_vectors": {"manual": [1, 1]}},
    {"id": 4, "name": "dustin", "_vectors": {"rest": {"embeddings": [2, 2, 2], "regenerate": True}, "manual": [-1, 0]}},
]
GATE = ("using a vector filter requires enabling the `multimodal` experimental feature. "
        "See https://github.com/orgs/meilisearch/discussions/846")


def settings(url: str) -> dict[str, Any]:
    return {"filterableAttributes": ["name"], "embedders": {
        "rest": {"source": "rest", "url": url + "/rest", "request": {"input": "{{text}}"},
                 "response": {"embedding": "{{embedding}}"}, "documentTemplate": "{{doc.name}}"},
        "manual": {"source": "userProvided", "dimensions": 2}}}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    server = EmbeddingServer()
    engine = Engine(tmp_path_factory.mktemp("vector-filters") / "db", worker="thread")
    with pytest.MonkeyPatch.context() as patch:
        allow_loopback(patch)
        index_documents(engine, "vf", DOCS, settings(server.url))
        index_documents(engine, "doomed", DOCS, settings(server.url))
    yield engine
    engine.close()
    server.close()


@pytest.fixture
async def http(engine, aiohttp_client):
    client = await aiohttp_client(create_app(engine, master_key=KEY))
    client.headers = {"Authorization": f"Bearer {KEY}"}
    return client


async def call(http, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    response = await http.request(method, path, json=body, headers=http.headers)
    return response.status, await response.json()


async def multimodal(http, on: bool) -> None:
    assert (await call(http, "PATCH", "/experimental-features", {"multimodal": on}))[0] == 200


def error(code: str, message: str, status: int = 400) -> tuple[int, dict[str, str]]:
    kind = "invalid_request"
    return status, {"message": message, "code": code, "type": kind, "link": f"https://docs.meilisearch.com/errors#{code}"}


async def names(http, filter: Any) -> list[str]:
    status, body = await call(http, "POST", "/indexes/vf/search", {"filter": filter, "attributesToRetrieve": ["name"]})
    assert status == 200, body
    assert body["estimatedTotalHits"] == len(body["hits"])
    return [hit["name"] for hit in body["hits"]]


# 1 -------------------------------------------------------------------------------------------------

async def test_every_route_refuses_vector_filters_without_the_feature(http):
    await multimodal(http, False)
    text = "_vectors EXISTS"
    gate = error("feature_not_enabled", f"{GATE}\n1:9 {text}")
    assert await call(http, "POST", "/indexes/vf/search", {"filter": text}) == gate
    assert await call(http, "GET", "/indexes/vf/search?filter=_vectors%20EXISTS") == gate
    assert await call(http, "POST", "/indexes/vf/facet-search", {"facetName": "name", "filter": text}) == gate
    assert await call(http, "POST", "/indexes/vf/similar", {"id": 0, "embedder": "manual", "filter": text}) == gate
    assert await call(http, "POST", "/indexes/vf/documents/fetch", {"filter": text}) == gate
    assert await call(http, "GET", "/indexes/vf/documents?filter=_vectors%20EXISTS") == gate
    assert await call(http, "POST", "/indexes/vf/documents/delete", {"filter": text}) == gate
    status, body = await call(http, "POST", "/multi-search", {"queries": [{"indexUid": "vf", "filter": text}]})
    assert (status, body["code"], body["message"]) == (400, "feature_not_enabled",
                                                       f"Inside `.queries[0]`: {GATE}\n1:9 {text}")
    status, body = await call(http, "POST", "/multi-search", {"federation": {}, "queries": [
        {"indexUid": "vf", "q": "kefir"}, {"indexUid": "vf", "filter": f"name = iko OR {text}"}]})
    assert (status, body["code"], body["message"]) == (
        400, "feature_not_enabled", f"Inside `.queries[1]`: {GATE}\n15:23 name = iko OR {text}")
    # the other experimental operator is reported first, as upstream checks it first
    status, body = await call(http, "POST", "/indexes/vf/search", {"filter": f"{text} AND name CONTAINS k"})
    assert body["code"] == "feature_not_enabled" and body["message"].startswith("Using `CONTAINS`")


# 2 -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("filter, expected", [
    ("_vectors EXISTS", ["kefir", "echo", "intel", "iko", "dustin"]),
    ("_vectors NOT EXISTS", []),
    ("_vectors.rest EXISTS", ["kefir", "echo", "intel", "iko", "dustin"]),
    ("_vectors.rest.userProvided EXISTS", ["echo", "dustin"]),
    ("_vectors.rest.userProvided NOT EXISTS", ["kefir", "intel", "iko"]),
    ("_vectors.rest.documentTemplate EXISTS", ["kefir", "intel", "iko"]),
    ("_vectors.rest.regenerate EXISTS", ["kefir", "intel", "iko", "dustin"]),
    ("_vectors.manual EXISTS", ["kefir", "echo", "iko", "dustin"]),
    ("NOT _vectors.manual EXISTS", ["intel"]),
    ("_vectors.manual.userProvided EXISTS", ["kefir", "echo", "intel", "iko", "dustin"]),
    ("_vectors.manual.documentTemplate EXISTS", []),
    ("_vectors.manual.regenerate EXISTS", []),
    ("_vectors.'manual' EXISTS AND name != kefir", ["echo", "iko", "dustin"]),
    ("_vectors.rest.userProvided EXISTS OR name = intel", ["echo", "intel", "dustin"]),
    (["_vectors.manual EXISTS", ["_vectors.rest.userProvided EXISTS", "name = iko"]], ["echo", "iko", "dustin"]),
])
async def test_vector_filters_select_by_embedding_status(http, filter, expected):
    await multimodal(http, True)
    assert await names(http, filter) == expected


async def test_vector_filters_in_the_other_routes(http):
    await multimodal(http, True)
    text = "_vectors.rest.userProvided NOT EXISTS"
    status, body = await call(http, "POST", "/indexes/vf/documents/fetch", {"filter": text, "fields": ["name"]})
    assert (status, body["results"], body["total"]) == (200, [{"name": "kefir"}, {"name": "intel"}, {"name": "iko"}], 3)
    status, body = await call(http, "GET", "/indexes/vf/documents?fields=name&filter=_vectors.manual%20NOT%20EXISTS")
    assert (status, body["results"]) == (200, [{"name": "intel"}])
    status, body = await call(http, "POST", "/indexes/vf/facet-search", {"facetName": "name", "filter": text})
    assert (status, body["facetHits"]) == (200, [{"value": "iko", "count": 1}, {"value": "intel", "count": 1},
                                                 {"value": "kefir", "count": 1}])
    status, body = await call(http, "POST", "/multi-search", {"queries": [
        {"indexUid": "vf", "filter": "_vectors.rest.userProvided EXISTS", "attributesToRetrieve": ["name"]}]})
    assert (status, body["results"][0]["hits"]) == (200, [{"name": "echo"}, {"name": "dustin"}])
    status, body = await call(http, "POST", "/multi-search", {"federation": {}, "queries": [
        {"indexUid": "vf", "filter": "_vectors.rest.userProvided EXISTS", "attributesToRetrieve": ["name"]},
        {"indexUid": "vf", "filter": "_vectors.manual NOT EXISTS", "attributesToRetrieve": ["name"]}]})
    assert status == 200 and [hit["name"] for hit in body["hits"]] == ["echo", "dustin", "intel"]
    # semantic search: the filter is the universe of vectorSort
    status, body = await call(http, "POST", "/indexes/vf/search", {
        "vector": [1, 0], "hybrid": {"embedder": "manual", "semanticRatio": 1.0},
        "filter": "_vectors.rest.documentTemplate EXISTS", "attributesToRetrieve": ["name"], "showRankingScore": True})
    assert (status, body["hits"], body["semanticHitCount"]) == (200, [
        {"name": "kefir", "_rankingScore": 1.0}, {"name": "iko", "_rankingScore": 0.8535534143447876},
        {"name": "intel", "_rankingScore": 0.0}], 3)
    # /similar: echo is filtered out, intel has no `manual` embedding but counts in the total
    status, body = await call(http, "POST", "/indexes/vf/similar", {
        "id": 0, "embedder": "manual", "filter": text, "attributesToRetrieve": ["name"]})
    assert (status, body["hits"], body["estimatedTotalHits"]) == (200, [{"name": "iko"}], 2)


# 3 -------------------------------------------------------------------------------------------------

async def test_unknown_embedders_and_fragments(http):
    await multimodal(http, True)
    cases = [
        ("_vectors.other EXISTS",
         "The embedder `other` does not exist. Available embedders are: `manual`, `rest`.\n10:15"),
        ("_vectors.rset.userProvided EXISTS",
         "The embedder `rset` does not exist. Available embedders are: `manual`, `rest`. Did you mean `rest`?\n10:14"),
        ("_vectors.userProvided EXISTS",  # a kind right after `_vectors.` is an embedder name
         "The embedder `userProvided` does not exist. Available embedders are: `manual`, `rest`.\n10:22"),
        ("_vectors.rest.fragments.basic EXISTS",
         "The fragment `basic` does not exist on embedder `rest`. This embedder does not have any configured "
         "fragments.\n25:30"),
    ]
    for text, message in cases:
        assert await call(http, "POST", "/indexes/vf/search", {"filter": text}) == error(
            "invalid_search_filter", f"Index `vf`: {message} {text}")
        assert await call(http, "POST", "/indexes/vf/similar", {"id": 0, "embedder": "manual", "filter": text}) \
            == error("invalid_similar_filter", f"{message} {text}")
    # a syntax error is the parser's, with or without the feature
    text = "_vectors.rest.fragments EXISTS"
    missing = error("invalid_search_filter", f"The vector filter is missing a fragment name.\n24:31 {text}")
    assert await call(http, "POST", "/indexes/vf/search", {"filter": text}) == missing
    await multimodal(http, False)
    assert await call(http, "POST", "/indexes/vf/search", {"filter": text}) == missing


async def test_an_index_without_embedders(http, engine):
    await multimodal(http, True)
    index_documents(engine, "plain", [{"id": 1}])
    text = "_vectors.rest EXISTS"
    assert await call(http, "POST", "/indexes/plain/search", {"filter": text}) == error(
        "invalid_search_filter", "Index `plain`: The embedder `rest` does not exist. This index does not have any "
                                 f"configured embedders.\n10:14 {text}")
    status, body = await call(http, "POST", "/indexes/plain/search", {"filter": "_vectors EXISTS"})
    assert (status, body["hits"]) == (200, [])


# 4 -------------------------------------------------------------------------------------------------

async def test_delete_by_vector_filter(http, engine):
    await multimodal(http, True)
    status, task = await call(http, "POST", "/indexes/doomed/documents/delete",
                              {"filter": "_vectors.rest.documentTemplate EXISTS"})
    assert status == 202
    done = engine.wait_for_task(task["taskUid"])
    assert (done["status"], done["details"]["deletedDocuments"]) == ("succeeded", 3)
    status, body = await call(http, "POST", "/indexes/doomed/documents/fetch", {"fields": ["name"]})
    assert body["results"] == [{"name": "echo"}, {"name": "dustin"}]


async def test_updates_change_the_status_as_upstream(http, engine, monkeypatch):
    """`regenerate: true` without embeddings hands a document to the embedder (no longer
    user-provided); `regenerate: false` alone keeps the embeddings and whose they are."""
    allow_loopback(monkeypatch)
    await multimodal(http, True)
    status, task = await call(http, "PUT", "/indexes/doomed/documents", [
        {"id": 1, "_vectors": {"rest": {"regenerate": True}}}, {"id": 4, "_vectors": {"rest": {"regenerate": False}}}])
    assert status == 202 and engine.wait_for_task(task["taskUid"])["status"] == "succeeded"

    async def doomed(filter: str) -> list[str]:
        status, body = await call(http, "POST", "/indexes/doomed/documents/fetch", {"filter": filter, "fields": ["name"]})
        assert status == 200, body
        return [doc["name"] for doc in body["results"]]

    assert await doomed("_vectors.rest.userProvided EXISTS") == ["dustin"]
    assert await doomed("_vectors.rest.documentTemplate EXISTS") == ["echo"]
    assert await doomed("_vectors.rest.regenerate EXISTS") == ["echo"]


async def test_features_forced_by_the_command_line_reach_the_filters(engine, aiohttp_client):
    """`--experimental-contains-filter` forces `containsFilter` on: every filter sees it, not only
    GET /experimental-features."""
    app = create_app(engine, master_key=KEY, forced_features=frozenset({"containsFilter"}))
    client = await aiohttp_client(app)
    headers = {"Authorization": f"Bearer {KEY}"}
    response = await client.post("/indexes/vf/search", json={"filter": "name CONTAINS ef"}, headers=headers)
    assert response.status == 200 and [hit["name"] for hit in (await response.json())["hits"]] == ["kefir"]
    response = await client.post("/indexes/vf/documents/fetch", json={"filter": "name CONTAINS ch"}, headers=headers)
    assert response.status == 200 and [doc["name"] for doc in (await response.json())["results"]] == ["echo"]
