"""GET / PATCH /network (api.md §19) through aiohttp's test client, and the official client's
`get_all_networks` / `add_or_update_networks`.

Properties:
1. Behind the `network` experimental feature, with Meilisearch's sentence.
2. The object: `self`, `remotes` (name -> url, searchApiKey, writeApiKey), `shards`, `leader`,
   `version` (the nil UUID until a first change, then a new UUID v7 per change).
3. A patch merges: `self` set or removed, each remote added, changed field by field or removed
   with `null`, `remotes: null` clears them; stored across requests.
4. Refusals: unknown fields, wrong types (per-field codes), a new remote without `url`, a `null`
   url, an URL that is not absolute; `leader` needs the enterprise edition (451).
"""
import uuid

import pytest

from engine.engine import Engine
from server.app import create_app

KEY = "a-master-key-of-16-bytes"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
async def http(tmp_path, aiohttp_client):
    engine = Engine(tmp_path / "db", worker="thread")
    client = await aiohttp_client(create_app(engine, master_key=KEY))
    yield client
    engine.close()


async def call(http, method, body=None):
    response = await http.request(method, "/network", json=body, headers=AUTH)
    return response.status, await response.json()


def refused(code, message, status=400):
    return status, {"message": message, "code": code, "type": "invalid_request",
                    "link": "https://docs.meilisearch.com/errors#" + code}


async def test_network_object(http):
    assert await call(http, "GET") == refused(
        "feature_not_enabled", "Using the /network route requires enabling the `network` experimental feature. "
                               "See https://github.com/orgs/meilisearch/discussions/805")
    r = await http.patch("/experimental-features", json={"network": True}, headers=AUTH)
    assert r.status == 200
    assert await call(http, "GET") == (200, {"self": None, "remotes": {}, "shards": {}, "leader": None,
                                             "version": "00000000-0000-0000-0000-000000000000"})
    status, body = await call(http, "PATCH", {"self": "ms-0", "remotes": {
        "ms-1": {"url": "http://localhost:7701", "searchApiKey": "foo"},
        "ms-0": {"url": "http://localhost:7700"}}})
    assert status == 200 and uuid.UUID(body["version"]).version == 7
    first = body["version"]
    assert body == {"self": "ms-0", "remotes": {
        "ms-0": {"url": "http://localhost:7700", "searchApiKey": None, "writeApiKey": None},
        "ms-1": {"url": "http://localhost:7701", "searchApiKey": "foo", "writeApiKey": None}},
        "shards": {}, "leader": None, "version": first}
    status, body = await call(http, "PATCH", {"remotes": {"ms-1": {"writeApiKey": "bar", "searchApiKey": None},
                                                          "ms-0": None}})
    assert status == 200 and body["version"] != first and body["self"] == "ms-0"
    assert body["remotes"] == {"ms-1": {"url": "http://localhost:7701", "searchApiKey": None, "writeApiKey": "bar"}}
    assert (await call(http, "GET"))[1] == body
    status, body = await call(http, "PATCH", {"self": None, "remotes": None})
    assert (body["self"], body["remotes"]) == (None, {})


async def test_refusals(http):
    await http.patch("/experimental-features", json={"network": True}, headers=AUTH)
    assert await call(http, "PATCH", {"selfie": "x"}) == refused(
        "bad_request", "Unknown field `selfie`: expected one of `remotes`, `self`, `leader`")
    assert await call(http, "PATCH", {"self": 1}) == refused(
        "invalid_network_self", "Invalid value type at `.self`: expected a string, but found a positive integer: `1`")
    assert await call(http, "PATCH", {"remotes": []}) == refused(
        "invalid_network_remotes", "Invalid value type at `.remotes`: expected an object, but found an array: `[]`")
    assert await call(http, "PATCH", {"remotes": {"a": {"url": "http://x", "key": "k"}}}) == refused(
        "invalid_network_remotes",
        "Unknown field `key` inside `.remotes.a`: expected one of `url`, `searchApiKey`, `writeApiKey`")
    assert await call(http, "PATCH", {"remotes": {"a": {"searchApiKey": "k"}}}) == refused(
        "missing_network_url", "Missing field `.remotes.a.url`")
    assert await call(http, "PATCH", {"remotes": {"a": {"url": "ms-1.local"}}}) == refused(
        "invalid_network_url", "Invalid `.remotes.a.url` (`ms-1.local`): relative URL without a base")
    assert (await call(http, "PATCH", {"remotes": {"a": {"url": "http://localhost"}}}))[0] == 200
    assert await call(http, "PATCH", {"remotes": {"a": {"url": None}}}) == refused(
        "invalid_network_url", "Field `.remotes.a.url` cannot be set to `null`")
    assert await call(http, "PATCH", {"leader": "a"}) == refused(
        "requires_enterprise_edition", "Meilisearch Enterprise Edition is required to set `network.leader`", 451)
