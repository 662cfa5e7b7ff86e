"""API keys through the official client against a real `loupe` process (errors-auth.md §4.3, §5).

Properties:
1. a fresh database has the default keys, found by name, newest first (≥ 2 keys, 4 in fact);
2. a created key echoes actions/indexes/expiresAt/name/description/uid, with Meilisearch's exact
   field order, and reads back identically by uid and by key value;
3. the key value is lowercase hex HMAC-SHA256(master key, uid);
4. PATCH changes only name/description (null clears, updatedAt moves); every immutable field gets
   its own `immutable_api_key_*` code, an unknown field `bad_request`;
5. DELETE answers 204, the key is gone (404 `api_key_not_found`) and stops authenticating (403);
6. a restricted key (documents.get on movies*) reads documents of `movies` and `movies_fr`, but is
   refused 403 `invalid_api_key` on search, on another index (exact message), and on /keys;
   a scoped key only sees its indexes in /indexes, /stats, /tasks, /batches, cannot create, swap or
   implicitly create indexes outside its scope (and implicit creation needs `indexes.create`);
7. a key past its expiresAt is refused 403 but still listed;
8. body validation: missing/unknown actions, bad index pattern, past or malformed expiresAt, bad or
   taken uid, global action on an index-scoped key — each with its exact code and status;
9. keys persist across a restart; a new master key rotates every key value (uids stay, old values
   are refused) without recreating the default keys;
10. without a master key every route is open except /keys (401 `missing_master_key`).
"""
from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from meilisearch.errors import MeilisearchApiError

KEY_FIELDS = ["name", "description", "key", "uid", "actions", "indexes", "expiresAt", "createdAt", "updatedAt"]


def _raw(server, method: str, path: str, key: str | None = None, body=None) -> requests.Response:
    headers = {"Authorization": f"Bearer {key or server.master_key}"}
    return requests.request(method, server.url + path, json=body, headers=headers, timeout=10)


def _api_error(call) -> MeilisearchApiError:
    with pytest.raises(MeilisearchApiError) as err:
        call()
    return err.value


def _assert_error(response: requests.Response, status: int, code: str, message: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["link"] == "https://docs.meilisearch.com/errors#" + code
    if message is not None:
        assert body["message"] == message
    return body


def _new_key(client, **options):
    body = {"actions": ["search"], "indexes": ["*"], "expiresAt": None, **options}
    return client.create_key(body)


# 1 ---------------------------------------------------------------------------------------------

def test_default_keys_exist(client):
    keys = client.get_keys({"limit": 100}).results
    names = [k.name for k in keys]
    assert len(keys) >= 2
    defaults = [n for n in names if n and n.startswith("Default ")]
    assert defaults == ["Default Search API Key", "Default Admin API Key",
                        "Default Read-Only Admin API Key", "Default Chat API Key"]
    by_name = {k.name: k for k in keys}
    search = by_name["Default Search API Key"]
    assert search.actions == ["search"] and search.indexes == ["*"] and search.expires_at is None
    assert search.description == "Use it to search from the frontend"
    assert by_name["Default Admin API Key"].actions == ["*"]
    assert by_name["Default Read-Only Admin API Key"].actions == ["*.get", "keys.get"]
    assert by_name["Default Chat API Key"].actions == ["chatCompletions", "search"]


# 2, 3 ------------------------------------------------------------------------------------------

def test_create_and_read_back(client, loupe_server):
    master = loupe_server.master_key
    uid = str(uuid.uuid4())
    key = client.create_key({"actions": ["documents.add", "documents.get"], "indexes": ["movies", "books*"],
                             "expiresAt": "2042-04-02T00:42:42.5Z", "name": "writer",
                             "description": "adds movies", "uid": uid})
    assert key.uid == uid and key.name == "writer" and key.description == "adds movies"
    assert key.actions == ["documents.add", "documents.get"] and key.indexes == ["movies", "books*"]
    assert key.expires_at == datetime(2042, 4, 2, 0, 42, 42, 500000)
    expected_value = hmac.new(master.encode(), uid.encode(), hashlib.sha256).hexdigest()
    assert key.key == expected_value and len(key.key) == 64

    by_uid = _raw(loupe_server, "GET", f"/keys/{uid}")
    assert by_uid.status_code == 200
    raw = by_uid.json()
    assert list(raw) == KEY_FIELDS
    assert raw["name"] == "writer" and raw["description"] == "adds movies"
    assert raw["key"] == expected_value and raw["uid"] == uid
    assert raw["actions"] == ["documents.add", "documents.get"] and raw["indexes"] == ["movies", "books*"]
    assert raw["expiresAt"] == "2042-04-02T00:42:42.5Z"
    assert raw["createdAt"] == raw["updatedAt"]

    by_value = _raw(loupe_server, "GET", f"/keys/{expected_value}")
    assert by_value.status_code == 200 and by_value.json() == raw
    assert client.get_key(expected_value).uid == uid
    assert client.get_key(uid).key == expected_value
    listed = [k for k in client.get_keys({"limit": 100}).results if k.uid == uid]
    assert len(listed) == 1 and listed[0].key == expected_value
    assert client.get_keys({"limit": 100}).results[0].uid == uid  # newest first


def test_uid_is_stored_lowercase_and_value_is_derived_from_it(client, loupe_server):
    master = loupe_server.master_key
    uid = str(uuid.uuid4())
    key = _new_key(client, uid=uid.upper())
    assert key.uid == uid
    assert key.key == hmac.new(master.encode(), uid.encode(), hashlib.sha256).hexdigest()


def test_minimal_key_has_null_name_and_description(client, loupe_server):
    key = _new_key(client)
    raw = _raw(loupe_server, "GET", f"/keys/{key.uid}").json()
    assert raw["name"] is None and raw["description"] is None and raw["expiresAt"] is None
    uuid.UUID(raw["uid"], version=4)


# 4 ---------------------------------------------------------------------------------------------

def test_update_name_and_description_only(client, loupe_server):
    key = _new_key(client, name="before", description="old")
    time.sleep(0.01)
    updated = client.update_key(key.uid, {"name": "after", "description": "new"})
    assert updated.name == "after" and updated.description == "new"
    assert updated.actions == key.actions and updated.key == key.key and updated.created_at == key.created_at
    assert updated.updated_at > key.updated_at
    cleared = client.update_key(key.key, {"description": None})
    assert cleared.name == "after" and cleared.description is None
    raw = _raw(loupe_server, "GET", f"/keys/{key.uid}").json()
    assert raw["name"] == "after" and raw["description"] is None


@pytest.mark.parametrize("field,value,code", [
    ("uid", str(uuid.uuid4()), "immutable_api_key_uid"),
    ("actions", ["*"], "immutable_api_key_actions"),
    ("indexes", ["*"], "immutable_api_key_indexes"),
    ("expiresAt", None, "immutable_api_key_expires_at"),
    ("createdAt", "2030-01-01T00:00:00Z", "immutable_api_key_created_at"),
    ("updatedAt", "2030-01-01T00:00:00Z", "immutable_api_key_updated_at"),
    ("key", "0" * 64, "immutable_api_key_key"),
])
def test_update_immutable_fields(client, field, value, code):
    key = _new_key(client)
    err = _api_error(lambda: client.update_key(key.uid, {"name": "x", field: value}))
    assert err.status_code == 400 and err.code == code
    assert err.message == f"Immutable field `{field}`: expected one of `description`, `name`"
    assert client.get_key(key.uid).name is None  # nothing applied


def test_update_unknown_field(client):
    key = _new_key(client)
    err = _api_error(lambda: client.update_key(key.uid, {"color": "red"}))
    assert (err.status_code, err.code) == (400, "bad_request")
    assert err.message == "Unknown field `color`: expected one of `description`, `name`"


# 5 ---------------------------------------------------------------------------------------------

def test_delete_key(client, loupe_server):
    key = client.create_key({"actions": ["indexes.get"], "indexes": ["*"], "expiresAt": None})
    assert _raw(loupe_server, "GET", "/indexes", key.key).status_code == 200
    assert client.delete_key(key.uid) == 204
    err = _api_error(lambda: client.get_key(key.uid))
    assert (err.status_code, err.code) == (404, "api_key_not_found")
    assert err.message == f"API key `{key.uid}` not found."
    _assert_error(_raw(loupe_server, "GET", "/indexes", key.key), 403, "invalid_api_key",
                  "The provided API key is invalid.")
    err = _api_error(lambda: client.delete_key(key.uid))
    assert (err.status_code, err.code) == (404, "api_key_not_found")


def test_delete_by_key_value(client):
    key = _new_key(client)
    assert client.delete_key(key.key) == 204
    assert key.uid not in [k.uid for k in client.get_keys({"limit": 100}).results]


def test_unknown_key_lookups(client):
    err = _api_error(lambda: client.get_key("not-a-key"))
    assert (err.status_code, err.code, err.message) == (404, "api_key_not_found", "API key `not-a-key` not found.")


# 6 ---------------------------------------------------------------------------------------------

def test_restricted_key(client, loupe_server):
    for uid in ("movies", "movies_fr", "books"):
        client.wait_for_task(client.index(uid).add_documents([{"id": 1, "title": f"{uid} one"}]).task_uid)
    key = client.create_key({"actions": ["documents.get"], "indexes": ["movies*"], "expiresAt": None})
    restricted = loupe_server.client(key.key)

    assert restricted.index("movies").get_document(1).title == "movies one"
    assert restricted.index("movies_fr").get_document(1).title == "movies_fr one"
    assert restricted.index("movies").get_documents().total == 1

    invalid = "The provided API key is invalid."
    err = _api_error(lambda: restricted.index("movies").search("one"))
    assert (err.status_code, err.code) == (403, "invalid_api_key")
    assert err.message.startswith(invalid)  # the client appends a version hint for search calls
    _assert_error(_raw(loupe_server, "POST", "/indexes/movies/search", key.key, {"q": "one"}), 403,
                  "invalid_api_key", invalid)
    err = _api_error(lambda: restricted.index("books").get_document(1))
    assert (err.status_code, err.code) == (403, "invalid_api_key")
    assert err.message == 'The API key cannot acces the index `books`, authorized indexes are ["movies*"].'
    err = _api_error(lambda: restricted.get_keys())
    assert (err.status_code, err.code, err.message) == (403, "invalid_api_key", invalid)
    err = _api_error(lambda: restricted.index("movies").add_documents([{"id": 2}]))
    assert (err.status_code, err.code) == (403, "invalid_api_key")
    _assert_error(_raw(loupe_server, "GET", "/indexes", key.key), 403, "invalid_api_key", invalid)


def test_index_scoped_key_only_sees_its_indexes(client, loupe_server):
    for uid in ("movies", "books"):
        client.wait_for_task(client.create_index(uid).task_uid)
    key = client.create_key({"actions": ["indexes.get"], "indexes": ["movies"], "expiresAt": None})
    page = _raw(loupe_server, "GET", "/indexes", key.key).json()
    assert [i["uid"] for i in page["results"]] == ["movies"] and page["total"] == 1


def test_scoped_key_filters_instance_wide_routes(client, loupe_server):
    for uid in ("movies", "books"):
        client.wait_for_task(client.index(uid).add_documents([{"id": 1}]).task_uid)
    client.wait_for_task(client.cancel_tasks({"statuses": ["enqueued"]}).task_uid)  # a task without index
    key = client.create_key({"actions": ["*"], "indexes": ["movies*"], "expiresAt": None}).key
    stats = _raw(loupe_server, "GET", "/stats", key).json()
    assert list(stats["indexes"]) == ["movies"]
    tasks = _raw(loupe_server, "GET", "/tasks?limit=1000", key).json()
    assert tasks["results"] and {t["indexUid"] for t in tasks["results"]} <= {"movies", "movies_fr"}
    assert tasks["total"] == len(tasks["results"])
    everything = _raw(loupe_server, "GET", "/tasks?limit=1000").json()
    assert everything["total"] > tasks["total"]
    _assert_error(_raw(loupe_server, "POST", "/indexes", key, {"uid": "books2"}), 403, "invalid_api_key",
                  "The provided API key is invalid.")
    assert _raw(loupe_server, "POST", "/indexes", key, {"uid": "movies2"}).status_code == 202
    _assert_error(_raw(loupe_server, "POST", "/swap-indexes", key, [{"indexes": ["movies", "books"]}]), 403,
                  "invalid_api_key")


def test_implicit_index_creation_needs_indexes_create(client, loupe_server):
    writer = client.create_key({"actions": ["documents.add"], "indexes": ["*"], "expiresAt": None}).key
    response = _raw(loupe_server, "POST", "/indexes/implicit/documents", writer, [{"id": 1}])
    assert response.status_code == 202
    task = client.wait_for_task(response.json()["taskUid"])
    assert task.status == "failed" and task.error["code"] == "index_not_found"
    creator = client.create_key({"actions": ["documents.add", "indexes.create"], "indexes": ["*"],
                                 "expiresAt": None}).key
    response = _raw(loupe_server, "POST", "/indexes/implicit/documents", creator, [{"id": 1}])
    assert client.wait_for_task(response.json()["taskUid"]).status == "succeeded"


# 7 ---------------------------------------------------------------------------------------------

def test_expired_key_is_refused(client, loupe_server):
    expires = datetime.now(timezone.utc) + timedelta(seconds=1)
    key = client.create_key({"actions": ["indexes.get"], "indexes": ["*"],
                             "expiresAt": expires.strftime("%Y-%m-%dT%H:%M:%S.%fZ")})
    assert _raw(loupe_server, "GET", "/indexes", key.key).status_code == 200
    time.sleep(max(0.0, (expires - datetime.now(timezone.utc)).total_seconds()) + 0.1)
    _assert_error(_raw(loupe_server, "GET", "/indexes", key.key), 403, "invalid_api_key",
                  "The provided API key is invalid.")
    assert key.uid in [k.uid for k in client.get_keys({"limit": 100}).results]


# 8 ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body,status,code,message", [
    ({"indexes": ["*"], "expiresAt": None}, 400, "missing_api_key_actions", "Missing field `actions`"),
    ({"expiresAt": None}, 400, "missing_api_key_actions", "Missing field `actions`"),
    ({"actions": ["search"], "expiresAt": None}, 400, "missing_api_key_indexes", "Missing field `indexes`"),
    ({"actions": ["search"], "indexes": ["*"]}, 400, "missing_api_key_expires_at", "Missing field `expiresAt`"),
    ({"actions": ["documents.read"], "indexes": ["*"], "expiresAt": None}, 400, "invalid_api_key_actions", None),
    ({"actions": "search", "indexes": ["*"], "expiresAt": None}, 400, "invalid_api_key_actions", None),
    ({"actions": ["search"], "indexes": ["good doggo"], "expiresAt": None}, 400, "invalid_api_key_indexes",
     "Invalid value at `.indexes[0]`: `good doggo` is not a valid index uid pattern. Index uid patterns can be an "
     "integer or a string containing only alphanumeric characters, hyphens (-), underscores (_), and optionally "
     "end with a star (*)."),
    ({"actions": ["search"], "indexes": ["mov*ies"], "expiresAt": None}, 400, "invalid_api_key_indexes", None),
    ({"actions": ["search"], "indexes": ["*"], "expiresAt": "2000-01-01"}, 400, "invalid_api_key_expires_at",
     "Invalid value at `.expiresAt`: `2000-01-01` is not a valid date. It should follow the RFC 3339 format to "
     "represents a date or datetime in the future or specified as a null value. e.g. 'YYYY-MM-DD' or "
     "'YYYY-MM-DD HH:MM:SS'.\n"),
    ({"actions": ["search"], "indexes": ["*"], "expiresAt": "tomorrow"}, 400, "invalid_api_key_expires_at", None),
    ({"actions": ["search"], "indexes": ["*"], "expiresAt": None, "uid": "not-a-uuid"}, 400,
     "invalid_api_key_uid", None),
    ({"actions": ["search"], "indexes": ["*"], "expiresAt": None, "name": 42}, 400, "invalid_api_key_name", None),
    ({"actions": ["dumps.create"], "indexes": ["movies"], "expiresAt": None}, 400,
     "index_scoped_api_key_with_global_action",
     'cannot create index-scoped API key with global action `"dumps.create"`\n  - Hint: remove action '
     '`"dumps.create"` from the action list, or remove `indexes` to make the key global'),
    ({"actions": ["search"], "indexes": ["*"], "expiresAt": None, "color": "red"}, 400, "bad_request", None),
])
def test_create_validation(loupe_server, body, status, code, message):
    _assert_error(_raw(loupe_server, "POST", "/keys", body=body), status, code, message)


def test_unknown_action_message_lists_every_action(loupe_server):
    body = _assert_error(_raw(loupe_server, "POST", "/keys", body={
        "actions": ["search", "foo"], "indexes": ["*"], "expiresAt": None}), 400, "invalid_api_key_actions")
    assert body["message"].startswith("Unknown value `foo` at `.actions[1]`: expected one of `*`, `search`, "
                                      "`documents.*`, ")
    assert body["message"].endswith("`dynamicSearchRules.delete`, `dynamicSearchRules.*`")


def test_create_with_taken_uid(client):
    key = _new_key(client)
    err = _api_error(lambda: _new_key(client, uid=key.uid))
    assert (err.status_code, err.code) == (409, "api_key_already_exists")
    assert err.message == f"`uid` field value `{key.uid}` is already an existing API key."


def test_wildcards_are_allowed_on_scoped_keys(client):
    key = client.create_key({"actions": ["*", "*.get"], "indexes": ["movies"], "expiresAt": None})
    assert key.actions == ["*", "*.get"] and key.indexes == ["movies"]


# 9, 10 -----------------------------------------------------------------------------------------

def test_restart_with_another_master_key_rotates_values(fresh_server):
    first = fresh_server(master_key="first-master-key-0123456789")
    uid = str(uuid.uuid4())
    old_value = first.client().create_key({"actions": ["indexes.get"], "indexes": ["*"], "expiresAt": None,
                                           "uid": uid}).key
    count = first.client().get_keys({"limit": 100}).total
    first.stop()
    second = fresh_server(master_key="second-master-key-9876543210")
    keys = second.client().get_keys({"limit": 100})
    assert keys.total == count == 5
    rotated = second.client().get_key(uid).key
    assert rotated == hmac.new(b"second-master-key-9876543210", uid.encode(), hashlib.sha256).hexdigest()
    assert rotated != old_value
    assert _raw(second, "GET", "/indexes", rotated).status_code == 200
    _assert_error(_raw(second, "GET", "/indexes", old_value), 403, "invalid_api_key")
    _assert_error(_raw(second, "GET", "/indexes", "first-master-key-0123456789"), 403, "invalid_api_key")


def test_without_master_key_keys_routes_are_closed(fresh_server):
    server = fresh_server(master_key=None)
    open_client = server.client(None)
    assert open_client.get_indexes()["results"] == []
    message = ("Meilisearch is running without a master key. To access this API endpoint, you must have set a "
               "master key at launch.")
    for method, path in (("GET", "/keys"), ("POST", "/keys"), ("GET", f"/keys/{uuid.uuid4()}")):
        response = requests.request(method, server.url + path, json={} if method == "POST" else None, timeout=10)
        _assert_error(response, 401, "missing_master_key", message)
        response = requests.request(method, server.url + path, headers={"Authorization": "Bearer anything"},
                                    json={} if method == "POST" else None, timeout=10)
        _assert_error(response, 401, "missing_master_key", message)
