"""API key records: derivation, actions, patterns, body validation, rendering (errors-auth.md §5).

Properties proven:
 1. derive_key is HMAC-SHA256(master key, lowercase hyphenated uid) in hex — the spec's example.
 2. ACTIONS is the exact list, in the order of the "expected one of" message.
 3. Each wildcard expands to exactly its family; `*` grants everything including the literal
    `documents.*`; a family wildcard never grants itself; `*.get` excludes keys.get/chatCompletions.
 4. Index patterns: `*`, uid, `prefix*`; anything else is invalid; matching is prefix-or-equal.
 5. Create validation reports the first problem in body order, with Meilisearch's code and exact
    message; missing fields are reported actions, indexes, expiresAt in that order.
 6. expiresAt accepts the four formats, must be in the future, and is echoed as RFC 3339 `Z`.
 7. index-scoped keys cannot hold global actions; `*` and `*.get` are allowed.
 8. Update accepts only name/description; immutable fields and unknown fields have their codes.
 9. Default keys: four, created chat, read-only, admin, search; newest first = search first.
10. key_view has Meilisearch's field order and SDK-parsable dates.
11. find_key resolves a uid or a key value; unknown → 404 api_key_not_found.
"""
from datetime import datetime, timedelta, timezone
import uuid

import pytest

from engine.errors import LoupeError
from server.keys import (
    ACTIONS,
    GLOBAL_ACTIONS,
    MemoryKeyStore,
    apply_key_update,
    check_uid_free,
    default_keys,
    derive_key,
    expand_actions,
    find_key,
    index_pattern_matches,
    is_valid_index_pattern,
    key_view,
    parse_uuid,
    rfc3339,
    validate_key_create,
    validate_key_update,
)

NOW = datetime(2025, 1, 16, 16, 45, 16, 3570, tzinfo=timezone.utc)
UID = "74c9c733-3368-4738-bbe5-1d18a5fecb37"
EXPECTED_ONE_OF = ", ".join(f"`{a}`" for a in ACTIONS)
EXPIRES_MSG = ("Invalid value at `.expiresAt`: `{}` is not a valid date. It should follow the RFC 3339 "
               "format to represents a date or datetime in the future or specified as a null value. "
               "e.g. 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'.\n")


def error_of(fn, *args):
    with pytest.raises(LoupeError) as info:
        fn(*args)
    return info.value.code, info.value.message


def body(**extra):
    base = {"actions": ["search"], "indexes": ["movies"], "expiresAt": None}
    base.update(extra)
    return base


# 1
def test_derive_key_spec_example():
    assert derive_key("masterKey", UID) == "1f9a5b47f5439bff2e2603c5c295ad55e888c92a57f607ab76ab046118556da6"
    assert derive_key("masterKey", UID.upper()) == derive_key("masterKey", UID)
    assert derive_key("otherMaster", UID) != derive_key("masterKey", UID)


# 2
def test_actions_exact_list():
    assert ACTIONS[:6] == ("*", "search", "documents.*", "documents.add", "documents.get", "documents.delete")
    assert ACTIONS[-6:] == ("tasks.compact", "dynamicSearchRules.get", "dynamicSearchRules.create",
                            "dynamicSearchRules.update", "dynamicSearchRules.delete", "dynamicSearchRules.*")
    assert len(ACTIONS) == 58 and len(set(ACTIONS)) == 58
    assert ACTIONS.index("*.get") == 44


# 3
@pytest.mark.parametrize("action, expanded", [
    ("search", {"search"}),
    ("documents.*", {"documents.add", "documents.get", "documents.delete"}),
    ("indexes.*", {"indexes.create", "indexes.get", "indexes.update", "indexes.delete",
                   "indexes.swap", "indexes.compact"}),
    ("tasks.*", {"tasks.get", "tasks.delete", "tasks.cancel", "tasks.compact"}),
    ("settings.*", {"settings.get", "settings.update"}),
    ("stats.*", {"stats.get"}),
    ("metrics.*", {"metrics.get"}),
    ("dumps.*", {"dumps.create"}),
    ("snapshots.*", {"snapshots.create"}),
    ("chats.*", {"chats.get", "chats.delete"}),
    ("chatsSettings.*", {"chatsSettings.get", "chatsSettings.update"}),
    ("webhooks.*", {"webhooks.get", "webhooks.update", "webhooks.delete", "webhooks.create"}),
    ("dynamicSearchRules.*", {"dynamicSearchRules.get", "dynamicSearchRules.create",
                              "dynamicSearchRules.update", "dynamicSearchRules.delete"}),
    ("*.get", {"search", "documents.get", "export", "indexes.get", "tasks.get", "settings.get",
               "stats.get", "metrics.get", "version", "experimental.get", "network.get", "chats.get",
               "chatsSettings.get", "webhooks.get", "fields.post", "dynamicSearchRules.get"}),
    ("keys.get", {"keys.get"}),
])
def test_expansion_table(action, expanded):
    assert expand_actions([action]) == frozenset(expanded)


def test_star_grants_everything_including_family_literals():
    everything = expand_actions(["*"])
    assert everything == frozenset(ACTIONS) - {"*.get"}
    assert "documents.*" in everything and "keys.delete" in everything
    assert "documents.*" not in expand_actions(["documents.*"])


def test_read_only_default_key_expansion():
    granted = expand_actions(["*.get", "keys.get"])
    assert "keys.get" in granted and "search" in granted
    assert "chatCompletions" not in expand_actions(["*.get"]) and "keys.get" not in expand_actions(["*.get"])
    assert "documents.add" not in granted


# 4
@pytest.mark.parametrize("pattern, valid", [
    ("*", True), ("movies", True), ("movies*", True), ("mo-vi_es1*", True), ("a" * 400, True),
    ("a" * 401, False), ("", False), ("**", False), ("mov*ies", False), ("good doggo", False),
    ("films.*", False), ("é*", False),
])
def test_index_pattern_validity(pattern, valid):
    assert is_valid_index_pattern(pattern) is valid


@pytest.mark.parametrize("pattern, uid, matches", [
    ("*", "anything", True), ("movies*", "movies", True), ("movies*", "movies_fr", True),
    ("movies*", "movie", False), ("movies", "movies_fr", False), ("movies", "movies", True),
])
def test_index_pattern_matching(pattern, uid, matches):
    assert index_pattern_matches(pattern, uid) is matches


# 5
@pytest.mark.parametrize("payload, code, message", [
    (None, "bad_request", "Invalid value type: expected an object, but found null"),
    ({"description": ["doggo"]}, "invalid_api_key_description",
     'Invalid value type at `.description`: expected a string, but found an array: `["doggo"]`'),
    ({"name": ["doggo"]}, "invalid_api_key_name",
     'Invalid value type at `.name`: expected a string, but found an array: `["doggo"]`'),
    ({"uid": ["doggo"]}, "invalid_api_key_uid",
     'Invalid value type at `.uid`: expected a string, but found an array: `["doggo"]`'),
    ({"uid": "doggo"}, "invalid_api_key_uid",
     "Invalid value at `.uid`: invalid character: expected an optional prefix of `urn:uuid:` "
     "followed by [0-9a-fA-F-], found `o` at 2"),
    ({"actions": "doggo"}, "invalid_api_key_actions",
     'Invalid value type at `.actions`: expected an array, but found a string: `"doggo"`'),
    ({"actions": ["doggo"]}, "invalid_api_key_actions",
     f"Unknown value `doggo` at `.actions[0]`: expected one of {EXPECTED_ONE_OF}"),
    ({"actions": ["search", 3]}, "invalid_api_key_actions",
     "Invalid value type at `.actions[1]`: expected a string, but found a positive integer: `3`"),
    ({"indexes": "doggo"}, "invalid_api_key_indexes",
     'Invalid value type at `.indexes`: expected an array, but found a string: `"doggo"`'),
    ({"indexes": ["good doggo"]}, "invalid_api_key_indexes",
     "Invalid value at `.indexes[0]`: `good doggo` is not a valid index uid pattern. Index uid "
     "patterns can be an integer or a string containing only alphanumeric characters, hyphens (-), "
     "underscores (_), and optionally end with a star (*)."),
    ({"expires_at": ["doggo"]}, "bad_request",
     "Unknown field `expires_at`: did you mean `expiresAt`? expected one of `description`, `name`, "
     "`uid`, `actions`, `indexes`, `expiresAt`"),
    ({"expiresAt": 12}, "invalid_api_key_expires_at",
     "Invalid value type at `.expiresAt`: expected a string, but found a positive integer: `12`"),
    ({"expiresAt": "doggo"}, "invalid_api_key_expires_at", EXPIRES_MSG.format("doggo")),
    ({"indexes": ["doggo"], "expiresAt": None}, "missing_api_key_actions", "Missing field `actions`"),
    ({"uid": str(uuid.UUID(int=0)), "actions": ["*"], "expiresAt": None}, "missing_api_key_indexes",
     "Missing field `indexes`"),
    ({"actions": ["*"], "indexes": ["doggo"]}, "missing_api_key_expires_at", "Missing field `expiresAt`"),
    ({}, "missing_api_key_actions", "Missing field `actions`"),
    ({"actions": ["*"], "indexes": ["doggo"], "expiresAt": None, "doggo": "bork"}, "bad_request",
     "Unknown field `doggo`: expected one of `description`, `name`, `uid`, `actions`, `indexes`, `expiresAt`"),
])
def test_create_validation_messages(payload, code, message):
    assert error_of(validate_key_create, payload, NOW) == (code, message)


def test_create_reports_first_problem_in_body_order():
    assert error_of(validate_key_create, {"name": 1, "actions": ["doggo"]}, NOW)[0] == "invalid_api_key_name"
    assert error_of(validate_key_create, {"actions": ["doggo"], "name": 1}, NOW)[0] == "invalid_api_key_actions"


def test_create_builds_the_record():
    record = validate_key_create(body(uid=UID.upper(), name="n", description=None), NOW)
    assert record == {"uid": UID, "name": "n", "description": None, "actions": ["search"],
                      "indexes": ["movies"], "expiresAt": None, "createdAt": NOW, "updatedAt": NOW}
    generated = validate_key_create(body(), NOW, lambda: uuid.UUID(int=7))
    assert generated["uid"] == "00000000-0000-0000-0000-000000000007" and generated["name"] is None


@pytest.mark.parametrize("text, message", [
    ("1234", "invalid length: expected length 32 for simple format, found 4"),
    ("{abc}", "invalid group count: expected 5, found 1"),
    ("12345678-123-1234-1234-123456789012", "invalid group length in group 1: expected 4, found 3"),
])
def test_uuid_messages(text, message):
    with pytest.raises(ValueError) as info:
        parse_uuid(text)
    assert str(info.value) == message


@pytest.mark.parametrize("text", [UID, UID.upper(), UID.replace("-", ""), "{" + UID + "}", "urn:uuid:" + UID])
def test_uuid_accepted_forms(text):
    assert parse_uuid(text) == UID


# 6
@pytest.mark.parametrize("raw, echoed", [
    ("2030-06-04T21:08:12.000032Z", "2030-06-04T21:08:12.000032Z"),
    ("2030-06-04T21:08:12+02:00", "2030-06-04T19:08:12Z"),
    ("2030-06-04T21:08:12.5-01:30", "2030-06-04T22:38:12.5Z"),
    ("2030-06-04T21:08:12", "2030-06-04T21:08:12Z"),
    ("2030-06-04 21:08:12", "2030-06-04T21:08:12Z"),
    ("2030-06-04", "2030-06-04T00:00:00Z"),
])
def test_expires_at_formats(raw, echoed):
    record = validate_key_create(body(expiresAt=raw), NOW)
    assert key_view(record, "masterKey")["expiresAt"] == echoed


@pytest.mark.parametrize("raw", ["2020-01-01", "2025-01-16T16:45:16.003570Z", "2030-13-01",
                                 "2030-06-04T21:08", "2030-06-04T21:08:12.5", "04/06/2030", ""])
def test_expires_at_rejected(raw):
    assert error_of(validate_key_create, body(expiresAt=raw), NOW) == (
        "invalid_api_key_expires_at", EXPIRES_MSG.format(raw))


def test_expires_at_one_microsecond_ahead_is_future():
    record = validate_key_create(body(expiresAt=rfc3339(NOW + timedelta(microseconds=1))), NOW)
    assert record["expiresAt"] == NOW + timedelta(microseconds=1)


# 7
def test_index_scoped_key_with_global_action():
    assert error_of(validate_key_create, body(actions=["search", "dumps.create"]), NOW) == (
        "index_scoped_api_key_with_global_action",
        'cannot create index-scoped API key with global action `"dumps.create"`\n  - Hint: remove '
        'action `"dumps.create"` from the action list, or remove `indexes` to make the key global')


@pytest.mark.parametrize("action", sorted(GLOBAL_ACTIONS))
def test_every_global_action_is_refused_on_scoped_keys(action):
    assert error_of(validate_key_create, body(actions=[action]), NOW)[0] == \
        "index_scoped_api_key_with_global_action"
    assert validate_key_create(body(actions=[action], indexes=["*"]), NOW)["actions"] == [action]
    assert validate_key_create(body(actions=[action], indexes=[]), NOW)["indexes"] == []


def test_star_and_star_get_allowed_on_scoped_keys():
    assert validate_key_create(body(actions=["*", "*.get", "search"]), NOW)["actions"] == ["*", "*.get", "search"]


# 8
@pytest.mark.parametrize("field, code", [
    ("uid", "immutable_api_key_uid"), ("actions", "immutable_api_key_actions"),
    ("indexes", "immutable_api_key_indexes"), ("expiresAt", "immutable_api_key_expires_at"),
    ("createdAt", "immutable_api_key_created_at"), ("updatedAt", "immutable_api_key_updated_at"),
    ("key", "immutable_api_key_key"),
])
def test_update_immutable_fields(field, code):
    assert error_of(validate_key_update, {field: "doggo"}) == (
        code, f"Immutable field `{field}`: expected one of `description`, `name`")


def test_update_other_errors_and_success():
    assert error_of(validate_key_update, {"doggo": 1}) == (
        "bad_request", "Unknown field `doggo`: expected one of `description`, `name`")
    assert error_of(validate_key_update, {"name": ["doggo"]}) == (
        "invalid_api_key_name", 'Invalid value type at `.name`: expected a string, but found an array: `["doggo"]`')
    assert error_of(validate_key_update, "x")[0] == "bad_request"
    assert validate_key_update({"name": "n", "description": None}) == {"name": "n", "description": None}
    record = validate_key_create(body(name="old", description="d"), NOW)
    later = NOW + timedelta(seconds=1)
    updated = apply_key_update(record, {"description": None}, later)
    assert (updated["name"], updated["description"], updated["updatedAt"], updated["createdAt"]) == \
        ("old", None, later, NOW)


# 9
def test_default_keys():
    counter = iter(range(1, 5))
    keys = default_keys(NOW, lambda: uuid.UUID(int=next(counter)))
    listed = MemoryKeyStore(keys).all()
    assert [k["name"] for k in listed] == ["Default Search API Key", "Default Admin API Key",
                                           "Default Read-Only Admin API Key", "Default Chat API Key"]
    assert [k["actions"] for k in listed] == [["search"], ["*"], ["*.get", "keys.get"],
                                              ["chatCompletions", "search"]]
    assert [k["createdAt"] - NOW for k in keys] == [timedelta(microseconds=i) for i in range(4)]
    assert all(k["indexes"] == ["*"] and k["expiresAt"] is None for k in keys)
    assert listed[0]["description"] == "Use it to search from the frontend"


# 10
def test_key_view_shape():
    record = validate_key_create(body(uid=UID, name="n", expiresAt="2030-06-04T21:08:12.000032Z"), NOW)
    view = key_view(record, "masterKey")
    assert list(view) == ["name", "description", "key", "uid", "actions", "indexes", "expiresAt",
                          "createdAt", "updatedAt"]
    assert view["key"] == "1f9a5b47f5439bff2e2603c5c295ad55e888c92a57f607ab76ab046118556da6"
    assert view["createdAt"] == "2025-01-16T16:45:16.00357Z"
    assert rfc3339(datetime(2025, 1, 1, tzinfo=timezone.utc)) == "2025-01-01T00:00:00Z"


def test_key_view_dates_as_meilisearch_prints_them():
    from meilisearch.models.key import Key
    record = validate_key_create(body(uid=UID, expiresAt="2030-06-04"), NOW)
    view = key_view(record, "masterKey")
    assert view["expiresAt"] == "2030-06-04T00:00:00Z"
    with pytest.raises(ValueError):  # the official client needs a fraction: it fails on Meilisearch alike
        Key(**view)
    record = validate_key_create(body(uid=UID, expiresAt="2030-06-04T00:00:00.25Z"), NOW)
    key = Key(**key_view(record, "masterKey"))
    assert key.expires_at == datetime(2030, 6, 4, 0, 0, 0, 250000)
    assert key.created_at == datetime(2025, 1, 16, 16, 45, 16, 3570)


# 11
def test_find_key_by_uid_or_value():
    record = validate_key_create(body(uid=UID), NOW)
    store = MemoryKeyStore([record])
    assert find_key(store, UID, "masterKey") is record
    assert find_key(store, derive_key("masterKey", UID), "masterKey") is record
    assert error_of(find_key, store, "doggo", "masterKey") == ("api_key_not_found", "API key `doggo` not found.")
    other = str(uuid.UUID(int=1))
    assert error_of(find_key, store, other, "masterKey") == ("api_key_not_found", f"API key `{other}` not found.")
    assert error_of(check_uid_free, store, UID) == (
        "api_key_already_exists", f"`uid` field value `{UID}` is already an existing API key.")
    check_uid_free(store, other)
