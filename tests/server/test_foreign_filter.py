"""`_foreign(field, filter)` filters (upstream's `foreignKeys` document join) through the routes.

Loupe filters on no foreign index: as the brief of issue 15 asks, a `_foreign(...)` filter is
parsed and answered with upstream's gate error, word for word (crates/meilisearch/tests/search/
document_join.rs): the message points at the foreign key field with its column in the whole filter
and quotes the `_foreign(...)` expression alone; multi-search prefixes `Inside .queries[i]`.
Syntax errors inside it are reported as for any filter.
"""
from __future__ import annotations

import pytest
from support import index_documents, post_json

from engine.engine import Engine
from server.app import create_app

KEY = "foreign-filter-master-key"
FILTER = 'genres = action AND _foreign(author, birthday STARTS WITH "1958-" AND popularity >= 3.5)'
GATE = ("using a foreign filter requires enabling the `foreign_keys` experimental feature. See "
        "https://github.com/orgs/meilisearch/discussions/873\n"
        '30:36 _foreign(author, birthday STARTS WITH "1958-" AND popularity >= 3.5)')


def gate(prefix: str = "") -> dict:
    return {"message": prefix + GATE, "code": "feature_not_enabled", "type": "invalid_request",
            "link": "https://docs.meilisearch.com/errors#feature_not_enabled"}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = Engine(tmp_path_factory.mktemp("foreign") / "db", worker="thread")
    index_documents(engine, "books", [{"id": "b2", "author": "a2", "genres": ["action"]}],
                    {"filterableAttributes": ["genres", "author"]})
    yield engine
    engine.close()


@pytest.fixture
async def http(engine, aiohttp_client):
    return await aiohttp_client(create_app(engine, master_key=KEY))


@pytest.mark.parametrize("foreign_keys", [False, True])
async def test_foreign_filters_answer_the_gate(http, foreign_keys):
    r = await http.patch("/experimental-features", json={"foreignKeys": foreign_keys},
                         headers={"Authorization": f"Bearer {KEY}"})
    assert r.status == 200
    assert await post_json(http, "/indexes/books/search", {"filter": FILTER}, KEY, 400) == gate()
    assert await post_json(http, "/indexes/books/documents/fetch", {"filter": FILTER}, KEY, 400) == gate()
    queries = [{"indexUid": "books", "q": "", "filter": FILTER}]
    assert await post_json(http, "/multi-search", {"queries": queries}, KEY, 400) == gate("Inside `.queries[0]`: ")
    assert await post_json(http, "/multi-search", {"queries": queries, "federation": {}}, KEY, 400) == gate(
        "Inside `.queries[0]`: ")


async def test_foreign_filter_syntax(http):
    body = await post_json(http, "/indexes/books/search", {"filter": "_foreign(author, id = 1"}, KEY, 400)
    missing = ("Expression `_foreign(author, id = 1` is missing the following closing delimiter: `)`.\n"
               "1:24 _foreign(author, id = 1")
    assert (body["code"], body["message"]) == ("invalid_search_filter", missing)
    # `_foreign` not followed by `(` is a field name like any other
    body = await post_json(http, "/indexes/books/search", {"filter": "_foreign = 1"}, KEY, 400)
    assert body["message"].startswith("Index `books`: Attribute `_foreign` is not filterable.")
