"""Tenant tokens minted by the official client against a real `loupe` process (errors-auth.md §6).

Properties:
1. a token from the Default Search API Key with `searchRules: ["*"]` searches any index, with or
   without an expiry one day ahead;
2. `["indexA"]` searches indexA and is refused on indexB with the exact "tenant token cannot acces"
   message (allowed indexes listed sorted);
3. object rules restrict hits with their filter, the filter is ANDed with the request's filter,
   the most specific pattern wins, and facet search is restricted too;
4. a token past its `exp` is refused ("Tenant token expired. ..."), a token signed with another
   secret is refused ("Could not decode tenant token, InvalidSignature.");
5. a token is refused on non-search routes (GET /indexes, documents, stats) as a bad API key;
6. the parent key bounds the token: a key scoped to another index gives "The API key used to
   generate this tenant token cannot acces the index", a key without `search`, a deleted key or an
   expired key is refused.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from meilisearch.errors import MeilisearchApiError

DOCS = [
    {"id": 1, "title": "alpha", "genre": "action", "year": 1999},
    {"id": 2, "title": "alpha", "genre": "action", "year": 2010},
    {"id": 3, "title": "alpha", "genre": "drama", "year": 2012},
    {"id": 4, "title": "alpha", "genre": "comedy", "year": 2001},
]
INVALID = "The provided API key is invalid."


@pytest.fixture
def search_key(client):
    keys = client.get_keys({"limit": 100}).results
    return next(k for k in keys if k.name == "Default Search API Key")


@pytest.fixture
def indexes(client):
    for uid in ("indexA", "indexB"):
        index = client.index(uid)
        client.wait_for_task(index.add_documents(DOCS).task_uid)
        client.wait_for_task(index.update_filterable_attributes(["genre", "year"]).task_uid)
    return client


def _search(server, token: str, index: str, body: dict | None = None) -> requests.Response:
    return requests.post(f"{server.url}/indexes/{index}/search", json=body or {"q": "alpha"},
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _ids(response: requests.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return sorted(hit["id"] for hit in response.json()["hits"])


def _refused(response: requests.Response, message: str | None = INVALID) -> str:
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["code"] == "invalid_api_key" and body["type"] == "auth"
    if message is not None:
        assert body["message"] == message
    return body["message"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(payload: dict, secret: str) -> str:
    """An HS256 JWT built by hand, so claims the client refuses to mint (a past `exp`) can be sent."""
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + _b64(json.dumps(payload).encode())
    signature = hmac.new(secret.encode(), head.encode(), hashlib.sha256).digest()
    return head + "." + _b64(signature)


# 1 ---------------------------------------------------------------------------------------------

def test_wildcard_rules(indexes, search_key, loupe_server):
    token = indexes.generate_tenant_token(search_key.uid, ["*"], api_key=search_key.key)
    assert _ids(_search(loupe_server, token, "indexA")) == [1, 2, 3, 4]
    assert _ids(_search(loupe_server, token, "indexB")) == [1, 2, 3, 4]
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    token = indexes.generate_tenant_token(search_key.uid, ["*"], api_key=search_key.key, expires_at=tomorrow)
    assert _ids(_search(loupe_server, token, "indexA")) == [1, 2, 3, 4]


def test_token_through_the_client(indexes, search_key, loupe_server):
    token = indexes.generate_tenant_token(search_key.uid, ["*"], api_key=search_key.key)
    tenant = loupe_server.client(token)
    assert tenant.index("indexA").search("alpha")["estimatedTotalHits"] == 4
    get = requests.get(f"{loupe_server.url}/indexes/indexA/search", params={"q": "alpha"},
                       headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert _ids(get) == [1, 2, 3, 4]


# 2 ---------------------------------------------------------------------------------------------

def test_index_list_rules(indexes, search_key, loupe_server):
    token = indexes.generate_tenant_token(search_key.uid, ["indexA"], api_key=search_key.key)
    assert _ids(_search(loupe_server, token, "indexA")) == [1, 2, 3, 4]
    _refused(_search(loupe_server, token, "indexB"),
             'The provided tenant token cannot acces the index `indexB`, allowed indexes are ["indexA"].')
    token = indexes.generate_tenant_token(search_key.uid, ["zeta", "indexA"], api_key=search_key.key)
    _refused(_search(loupe_server, token, "indexB"),
             'The provided tenant token cannot acces the index `indexB`, allowed indexes are ["indexA", "zeta"].')
    with pytest.raises(MeilisearchApiError) as err:
        loupe_server.client(token).index("indexB").search("alpha")
    assert (err.value.status_code, err.value.code) == (403, "invalid_api_key")


def test_pattern_rules(indexes, search_key, loupe_server):
    token = indexes.generate_tenant_token(search_key.uid, ["index*"], api_key=search_key.key)
    assert _ids(_search(loupe_server, token, "indexB")) == [1, 2, 3, 4]


# 3 ---------------------------------------------------------------------------------------------

def test_object_rules_filter_hits(indexes, search_key, loupe_server):
    rules = {"indexA": {"filter": "genre = action"}, "indexB": None}
    token = indexes.generate_tenant_token(search_key.uid, rules, api_key=search_key.key)
    assert _ids(_search(loupe_server, token, "indexA")) == [1, 2]
    assert _ids(_search(loupe_server, token, "indexB")) == [1, 2, 3, 4]
    # the request's filter is ANDed with the rule's
    assert _ids(_search(loupe_server, token, "indexA", {"q": "alpha", "filter": "year > 2000"})) == [2]
    assert _ids(_search(loupe_server, token, "indexA", {"q": "alpha", "filter": ["genre = drama"]})) == []
    # the request cannot widen the rule with an OR
    assert _ids(_search(loupe_server, token, "indexA",
                        {"q": "alpha", "filter": "genre = drama OR genre = action"})) == [1, 2]


def test_array_filter_rule_and_most_specific_pattern(indexes, search_key, loupe_server):
    rules = {"*": {"filter": "genre = comedy"}, "index*": {"filter": ["genre = drama"]},
             "indexA": {"filter": ["genre = action", "year < 2005"]}}
    token = indexes.generate_tenant_token(search_key.uid, rules, api_key=search_key.key)
    assert _ids(_search(loupe_server, token, "indexA")) == [1]
    assert _ids(_search(loupe_server, token, "indexB")) == [3]


def test_facet_search_is_filtered(indexes, search_key, loupe_server):
    token = indexes.generate_tenant_token(search_key.uid, {"indexA": {"filter": "genre = action"}},
                                          api_key=search_key.key)
    response = requests.post(f"{loupe_server.url}/indexes/indexA/facet-search",
                             json={"facetName": "genre", "facetQuery": ""},
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["facetHits"] == [{"value": "action", "count": 2}]


# 4 ---------------------------------------------------------------------------------------------

def test_expired_token(indexes, search_key, loupe_server):
    soon = datetime.now(timezone.utc) + timedelta(seconds=1)
    token = indexes.generate_tenant_token(search_key.uid, ["*"], api_key=search_key.key, expires_at=soon)
    exp = int(soon.timestamp())
    time.sleep(max(0.0, exp + 1.1 - time.time()))
    message = _refused(_search(loupe_server, token, "indexA"), None)
    assert message.startswith(f"Tenant token expired. Was valid up to `{exp}` and we're now `")
    now = int(message.rsplit("`", 2)[1])
    assert exp < now <= time.time()


def test_hand_signed_token_with_past_exp(indexes, search_key, loupe_server):
    past = int(time.time()) - 60
    token = _sign({"apiKeyUid": search_key.uid, "searchRules": ["*"], "exp": past}, search_key.key)
    assert _refused(_search(loupe_server, token, "indexA"), None).startswith(
        f"Tenant token expired. Was valid up to `{past}` and we're now `")
    valid = _sign({"apiKeyUid": search_key.uid, "searchRules": ["*"], "exp": None}, search_key.key)
    assert _ids(_search(loupe_server, valid, "indexA")) == [1, 2, 3, 4]


def test_wrong_signing_key(indexes, search_key, loupe_server):
    token = indexes.generate_tenant_token(search_key.uid, ["*"], api_key="0" * 64)
    _refused(_search(loupe_server, token, "indexA"), "Could not decode tenant token, InvalidSignature.")
    # the master key is not a valid signing secret either
    token = indexes.generate_tenant_token(search_key.uid, ["*"], api_key=loupe_server.master_key)
    _refused(_search(loupe_server, token, "indexA"), "Could not decode tenant token, InvalidSignature.")


# 5 ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("GET", "/indexes"),
    ("GET", "/indexes/indexA"),
    ("GET", "/indexes/indexA/documents"),
    ("GET", "/indexes/indexA/stats"),
    ("GET", "/tasks"),
    ("GET", "/keys"),
])
def test_token_refused_on_non_search_routes(indexes, search_key, loupe_server, method, path):
    admin = next(k for k in indexes.get_keys({"limit": 100}).results if k.name == "Default Admin API Key")
    for parent in (search_key, admin):
        token = indexes.generate_tenant_token(parent.uid, ["*"], api_key=parent.key)
        response = requests.request(method, loupe_server.url + path,
                                    headers={"Authorization": f"Bearer {token}"}, timeout=10)
        _refused(response)


# 6 ---------------------------------------------------------------------------------------------

def test_parent_key_scope_bounds_the_token(indexes, loupe_server):
    key = indexes.create_key({"actions": ["search"], "indexes": ["indexA"], "expiresAt": None})
    token = indexes.generate_tenant_token(key.uid, ["*"], api_key=key.key)
    assert _ids(_search(loupe_server, token, "indexA")) == [1, 2, 3, 4]
    _refused(_search(loupe_server, token, "indexB"),
             "The API key used to generate this tenant token cannot acces the index `indexB`.")


def test_parent_key_without_search_or_deleted(indexes, loupe_server):
    reader = indexes.create_key({"actions": ["documents.get"], "indexes": ["*"], "expiresAt": None})
    token = indexes.generate_tenant_token(reader.uid, ["*"], api_key=reader.key)
    _refused(_search(loupe_server, token, "indexA"))
    searcher = indexes.create_key({"actions": ["search"], "indexes": ["*"], "expiresAt": None})
    token = indexes.generate_tenant_token(searcher.uid, ["*"], api_key=searcher.key)
    assert _ids(_search(loupe_server, token, "indexA")) == [1, 2, 3, 4]
    assert indexes.delete_key(searcher.uid) == 204
    _refused(_search(loupe_server, token, "indexA"))


def test_parent_key_expiry_ends_its_tokens(indexes, loupe_server):
    expires = datetime.now(timezone.utc) + timedelta(seconds=1)
    key = indexes.create_key({"actions": ["search"], "indexes": ["*"],
                              "expiresAt": expires.strftime("%Y-%m-%dT%H:%M:%S.%fZ")})
    token = indexes.generate_tenant_token(key.uid, ["*"], api_key=key.key)
    assert _ids(_search(loupe_server, token, "indexA")) == [1, 2, 3, 4]
    time.sleep(max(0.0, (expires - datetime.now(timezone.utc)).total_seconds()) + 0.1)
    _refused(_search(loupe_server, token, "indexA"))
