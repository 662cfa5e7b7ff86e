"""Request authorization: header -> Grant (errors-auth.md §4, §6).

Properties proven:
 1. Header parsing: absent -> no token; scheme must be exactly `Bearer`; `Bearer` alone is 403;
    the token is everything after the first space; non-visible-ASCII headers read as empty.
 2. Without a master key every route is open (whatever the token) except /keys (401
    missing_master_key); malformed headers still fail.
 3. With a master key: no header -> 401; the master key grants everything; unknown tokens -> 403.
 4. An API key authorizes exactly its expanded actions on its index patterns, until expiresAt
    (exclusive); wrong index gives the "cannot acces" message listing the key's sorted patterns.
 5. Routes without an index need the action on at least one index.
 6. Key values follow the master key and the store: deleted keys and old master keys stop working.
 7. Grant answers visibility, listing filters and index creation.
 8. Tenant tokens minted by the official client are accepted on search routes (and chat), refused
    elsewhere; signature, algorithm, expiry, parent key existence/expiry/actions/indexes all checked
    with Meilisearch's messages; a non-JWT token falls back to API-key lookup.
 9. searchRules as list or object; the most specific pattern's filter applies; merge_filters ANDs.
"""
import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime, timedelta, timezone

import meilisearch
import pytest

from engine.errors import LoupeError
from server.auth import Grant, authenticate, merge_filters, parse_authorization
from server.keys import MemoryKeyStore, default_keys, derive_key, validate_key_create

MASTER = "masterKey-0123456789"
NOW = datetime(2025, 1, 16, 16, 45, 16, 3570, tzinfo=timezone.utc)
INVALID = ("invalid_api_key", "The provided API key is invalid.")
MISSING_HEADER = ("missing_authorization_header",
                  "The Authorization header is missing. It must use the bearer authorization method.")


def make_key(store, actions, indexes, expires=None, uid=None):
    record = validate_key_create({"actions": actions, "indexes": indexes, "expiresAt": None,
                                  "uid": uid or str(uuid.uuid4())}, NOW)
    record["expiresAt"] = expires
    store.put(record)
    return record, derive_key(MASTER, record["uid"])


@pytest.fixture
def store():
    return MemoryKeyStore(default_keys(NOW))


def by_name(store, name):
    record = next(r for r in store.all() if r["name"] == name)
    return record, derive_key(MASTER, record["uid"])


def auth(token_or_header, action, index=None, master=MASTER, store=None, now=NOW, raw=False):
    header = token_or_header if raw else f"Bearer {token_or_header}"
    return authenticate(header, action, index, master, store if store is not None else MemoryKeyStore(), now)


def fails(*args, **kwargs):
    with pytest.raises(LoupeError) as info:
        auth(*args, **kwargs)
    return info.value.code, info.value.message


def sdk_token(uid, rules, key, expires_at=None):
    return meilisearch.Client("http://x", "unused").generate_tenant_token(
        uid, rules, expires_at=expires_at, api_key=key)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(payload, key, alg="HS256", header=None):
    """A JWT with any header/algorithm (the client only makes HS256)."""
    head = b64(json.dumps(header or {"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64(json.dumps(payload, separators=(",", ":")).encode())
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}.get(alg, hashlib.sha256)
    sig = b64(hmac.new(key.encode(), f"{head}.{body}".encode(), digest).digest())
    return f"{head}.{body}.{sig}"


# 1
@pytest.mark.parametrize("header, token", [
    (None, None), ("Bearer abc", "abc"), ("Bearer  abc", " abc"), ("Bearer a b", "a b"), ("Bearer ", ""),
])
def test_header_tokens(header, token):
    assert parse_authorization(header) == token


@pytest.mark.parametrize("header, error", [
    ("Basic abc", MISSING_HEADER), ("bearer abc", MISSING_HEADER), ("", MISSING_HEADER),
    ("Bearer", INVALID), ("Bearer\tabc", MISSING_HEADER), ("Bearer é", MISSING_HEADER),
    (" Bearer abc", MISSING_HEADER),
])
def test_header_errors(header, error):
    with pytest.raises(LoupeError) as info:
        parse_authorization(header)
    assert (info.value.code, info.value.message) == error
    assert info.value.status == (401 if error is MISSING_HEADER else 403)


# 2
@pytest.mark.parametrize("header", [None, "Bearer None", "Bearer whatever"])
def test_no_master_key_is_open(header):
    grant = authenticate(header, "documents.add", "movies", None, MemoryKeyStore(), NOW)
    assert grant.kind == "open" and grant.is_master and grant.can_create_index("anything")


@pytest.mark.parametrize("header", [None, "Bearer None"])
def test_no_master_key_closes_keys_routes(header):
    with pytest.raises(LoupeError) as info:
        authenticate(header, "keys.get", None, None, MemoryKeyStore(), NOW)
    assert info.value.code == "missing_master_key" and info.value.status == 401
    assert info.value.message == ("Meilisearch is running without a master key. To access this API "
                                  "endpoint, you must have set a master key at launch.")


def test_no_master_key_still_rejects_malformed_headers():
    assert fails("Basic x", "search", master=None, raw=True) == MISSING_HEADER
    assert fails("Bearer", "keys.get", master=None, raw=True) == INVALID


# 3
def test_master_key_mode(store):
    assert fails(None, "search", "movies", store=store, raw=True) == MISSING_HEADER
    assert fails(None, "keys.get", store=store, raw=True) == MISSING_HEADER
    grant = auth(MASTER, "keys.delete", store=store)
    assert grant.kind == "master" and grant.is_master and grant.allowed_indexes is None
    assert fails("None", "search", "movies", store=store) == INVALID
    assert fails(MASTER + "x", "search", store=store) == INVALID
    assert fails(" " + MASTER, "search", store=store) == INVALID


# 4
def test_default_keys_permissions(store):
    _, search = by_name(store, "Default Search API Key")
    _, admin = by_name(store, "Default Admin API Key")
    _, read_only = by_name(store, "Default Read-Only Admin API Key")
    _, chat = by_name(store, "Default Chat API Key")
    assert auth(search, "search", "movies", store=store).kind == "key"
    assert fails(search, "documents.add", "movies", store=store) == INVALID
    assert fails(search, "keys.get", store=store) == INVALID
    assert auth(admin, "keys.create", store=store).key_uid == by_name(store, "Default Admin API Key")[0]["uid"]
    assert auth(admin, "documents.*", "movies", store=store).kind == "key"
    assert auth(read_only, "keys.get", store=store).kind == "key"
    assert auth(read_only, "settings.get", "movies", store=store).kind == "key"
    assert fails(read_only, "settings.update", "movies", store=store) == INVALID
    assert auth(chat, "chatCompletions", store=store).kind == "key"


def test_family_wildcard_does_not_grant_the_literal_family(store):
    _, docs = make_key(store, ["documents.*"], ["*"])
    assert auth(docs, "documents.add", "movies", store=store).kind == "key"
    assert fails(docs, "documents.*", "movies", store=store) == INVALID


def test_expiry_is_exclusive(store):
    _, value = make_key(store, ["search"], ["*"], expires=NOW + timedelta(microseconds=1))
    assert auth(value, "search", "movies", store=store).kind == "key"
    assert fails(value, "search", "movies", store=store, now=NOW + timedelta(microseconds=1)) == INVALID
    assert fails(value, "search", None, store=store, now=NOW + timedelta(days=1)) == INVALID


def test_wrong_index_message_lists_sorted_patterns(store):
    _, value = make_key(store, ["*"], ["dog", "cat*"])
    assert fails(value, "search", "cow", store=store) == (
        "invalid_api_key", 'The API key cannot acces the index `cow`, authorized indexes are ["cat*", "dog"].')
    assert auth(value, "documents.add", "catalog", store=store).kind == "key"
    _, empty = make_key(store, ["*"], [])
    assert fails(empty, "search", "cow", store=store) == (
        "invalid_api_key", "The API key cannot acces the index `cow`, authorized indexes are [].")


def test_index_checked_before_action_and_expiry(store):
    _, value = make_key(store, ["documents.add"], ["dog"], expires=NOW - timedelta(days=1))
    assert fails(value, "search", "cat", store=store)[1].startswith("The API key cannot acces the index `cat`")
    assert fails(value, "documents.add", "dog", store=store) == INVALID


# 5
def test_routes_without_index_need_the_action_somewhere(store):
    _, scoped = make_key(store, ["tasks.get"], ["dog"])
    _, nowhere = make_key(store, ["tasks.get"], [])
    assert auth(scoped, "tasks.get", store=store).kind == "key"
    assert fails(nowhere, "tasks.get", store=store) == INVALID


# 6
def test_deleted_key_and_rotated_master_key(store):
    record, value = make_key(store, ["search"], ["*"])
    assert auth(value, "search", "m", store=store).kind == "key"
    assert fails(value, "search", "m", store=store, master="another-master-key") == INVALID
    store.delete(record["uid"])
    assert fails(value, "search", "m", store=store) == INVALID


def test_non_hex_and_uppercase_tokens_never_match(store):
    _, value = make_key(store, ["search"], ["*"])
    assert fails(value.upper(), "search", "m", store=store) == INVALID
    assert fails("zz" + value[2:], "search", "m", store=store) == INVALID


# 7
def test_grant_visibility_and_creation(store):
    _, value = make_key(store, ["indexes.create", "indexes.get"], ["movies*", "books"])
    grant = auth(value, "indexes.get", store=store)
    assert grant.allowed_indexes == ("movies*", "books") and not grant.all_indexes_authorized
    assert grant.filter_indexes(["movies", "movies_fr", "books", "bookshop", "cats"]) == ["movies", "movies_fr", "books"]
    assert grant.can_create_index("movies_de") and not grant.can_create_index("cats")
    grant.require_index("books")
    with pytest.raises(LoupeError) as info:
        grant.require_index("cats")
    assert (info.value.code, info.value.message) == INVALID
    _, reader = make_key(store, ["indexes.get"], ["*"])
    reader_grant = auth(reader, "indexes.get", store=store)
    assert reader_grant.allowed_indexes is None and not reader_grant.can_create_index("x")
    assert reader_grant.filter_for_index("x") is None


# 8
def test_tenant_token_from_official_client(store):
    record, value = by_name(store, "Default Search API Key")
    real_now = datetime.now(timezone.utc)
    token = sdk_token(record["uid"], ["movies"], value, expires_at=real_now + timedelta(days=1))
    grant = auth(token, "search", "movies", store=store, now=real_now)
    assert grant.kind == "tenant" and grant.is_tenant_token and grant.key_uid == record["uid"]
    assert grant.can_see_index("movies") and not grant.can_see_index("books")
    assert fails(token, "search", "books", store=store, now=real_now) == (
        "invalid_api_key", 'The provided tenant token cannot acces the index `books`, allowed indexes are ["movies"].')
    star = sdk_token(record["uid"], ["*"], value)
    assert auth(star, "search", "anything", store=store).all_indexes_authorized
    assert auth(star, "search", None, store=store).kind == "tenant"


def test_tenant_token_only_on_search_and_chat(store):
    record, value = by_name(store, "Default Chat API Key")
    token = sdk_token(record["uid"], ["*"], value)
    assert auth(token, "chatCompletions", store=store).kind == "tenant"
    _, admin = by_name(store, "Default Admin API Key")
    admin_record = by_name(store, "Default Admin API Key")[0]
    admin_token = sdk_token(admin_record["uid"], ["*"], admin)
    assert fails(admin_token, "documents.get", "movies", store=store) == INVALID
    assert fails(admin_token, "indexes.get", store=store) == INVALID


def test_tenant_token_forged_signature(store):
    record, _ = by_name(store, "Default Search API Key")
    forged = sdk_token(record["uid"], ["*"], derive_key("wrong-master", record["uid"]))
    assert fails(forged, "search", "movies", store=store) == (
        "invalid_api_key", "Could not decode tenant token, InvalidSignature.")
    head, body, sig = sdk_token(record["uid"], ["movies"], derive_key(MASTER, record["uid"])).split(".")
    widened = b64(json.dumps({"apiKeyUid": record["uid"], "searchRules": ["*"], "exp": None}).encode())
    assert fails(f"{head}.{widened}.{sig}", "search", "movies", store=store)[1] == \
        "Could not decode tenant token, InvalidSignature."


def test_tenant_token_expiry(store):
    record, value = by_name(store, "Default Search API Key")
    exp = int(NOW.timestamp())
    token = mint({"apiKeyUid": record["uid"], "searchRules": ["*"], "exp": exp}, value)
    assert auth(token, "search", "movies", store=store, now=NOW).kind == "tenant"
    later = NOW + timedelta(seconds=1)
    assert fails(token, "search", "movies", store=store, now=later) == (
        "invalid_api_key", f"Tenant token expired. Was valid up to `{exp}` and we're now `{exp + 1}`.")
    sdk_past = sdk_token(record["uid"], ["*"], value, expires_at=datetime.now(timezone.utc) + timedelta(minutes=1))
    assert fails(sdk_past, "search", "movies", store=store, now=datetime.now(timezone.utc) + timedelta(hours=1))[1] \
        .startswith("Tenant token expired. Was valid up to `")


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_tenant_token_other_hmac_algorithms(store, alg):
    record, value = by_name(store, "Default Search API Key")
    token = mint({"apiKeyUid": record["uid"], "searchRules": ["*"]}, value, alg=alg)
    assert auth(token, "search", "movies", store=store).kind == "tenant"


def test_tenant_token_wrong_algorithm(store):
    record, value = by_name(store, "Default Search API Key")
    claims = {"apiKeyUid": record["uid"], "searchRules": ["*"]}
    assert fails(mint(claims, value, header={"alg": "RS256", "typ": "JWT"}), "search", "m", store=store) == (
        "invalid_api_key", "Could not decode tenant token, InvalidAlgorithm.")
    message = fails(mint(claims, value, header={"alg": "none", "typ": "JWT"}), "search", "m", store=store)[1]
    assert message == ("Could not decode tenant token, JSON error: unknown variant `none`, expected one of "
                       "`HS256`, `HS384`, `HS512`, `ES256`, `ES384`, `RS256`, `RS384`, `RS512`, `PS256`, "
                       "`PS384`, `PS512`, `EdDSA` at line 1 column 13.")


def test_tenant_token_unknown_parent(store):
    stranger = str(uuid.uuid4())
    assert fails(sdk_token(stranger, ["*"], "some-key"), "search", "m", store=store)[1] == \
        "Could not decode tenant token, InvalidSignature."
    # correctly signed for a uid that is not (or no longer) a key
    assert fails(sdk_token(stranger, ["*"], derive_key(MASTER, stranger)), "search", "m", store=store) == INVALID


def test_tenant_token_parent_key_rights(store):
    record, value = make_key(store, ["documents.get"], ["*"])
    assert fails(sdk_token(record["uid"], ["*"], value), "search", "movies", store=store) == INVALID
    expired, expired_value = make_key(store, ["search"], ["*"], expires=NOW)
    assert fails(sdk_token(expired["uid"], ["*"], expired_value), "search", "movies", store=store) == INVALID
    scoped, scoped_value = make_key(store, ["search"], ["movies"])
    token = sdk_token(scoped["uid"], ["*"], scoped_value)
    assert fails(token, "search", "books", store=store) == (
        "invalid_api_key", "The API key used to generate this tenant token cannot acces the index `books`.")
    grant = auth(token, "search", "movies", store=store)
    assert grant.can_see_index("movies") and not grant.can_see_index("books")
    assert not grant.all_indexes_authorized


def test_tenant_token_decoding_errors(store):
    record, value = by_name(store, "Default Search API Key")
    no_rules = mint({"apiKeyUid": record["uid"]}, value)
    payload_len = len(json.dumps({"apiKeyUid": record["uid"]}, separators=(",", ":")))
    assert fails(no_rules, "search", "m", store=store)[1] == (
        f"Could not decode tenant token, JSON error: missing field `searchRules` at line 1 column {payload_len}.")
    assert fails(mint({"searchRules": ["*"]}, value), "search", "m", store=store)[1] == (
        "Could not decode tenant token, JSON error: missing field `apiKeyUid` at line 1 column 21.")
    bad_rules = fails(mint({"apiKeyUid": record["uid"], "searchRules": "movies"}, value), "search", "m", store=store)
    assert bad_rules[1].startswith("Could not decode tenant token, JSON error: data did not match any variant "
                                   "of untagged enum SearchRules at line 1 column ")
    assert fails("x.y.z.w", "search", "m", store=store) == (
        "invalid_api_key", "Could not decode tenant token, Base64 error: Invalid symbol 46, offset 1.")
    assert fails("eyJhbGciOiJIUzI1NiJ9.W10.sig", "search", "m", store=store)[1] == (
        "Could not decode tenant token, JSON error: invalid type: sequence, expected struct Claims at line 1 column 2.")
    assert fails("e30.e30.sig", "search", "m", store=store)[1] == (
        "Could not decode tenant token, JSON error: missing field `alg` at line 1 column 2.")


def test_non_jwt_token_falls_back_to_api_key(store):
    _, search = by_name(store, "Default Search API Key")
    assert auth(search, "search", "m", store=store).kind == "key"
    assert fails("only.one-dot", "search", "m", store=store) == INVALID


# 9
def test_object_rules_most_specific_filter(store):
    record, value = by_name(store, "Default Search API Key")
    rules = {"*": {"filter": "tenant = 1"}, "movies*": {"filter": ["lang = en"]},
             "movies_fr": {"filter": "lang = fr"}, "movies_de": None, "books": {}}
    grant = auth(sdk_token(record["uid"], rules, value), "search", "movies_fr", store=store)
    assert grant.filter_for_index("movies_fr") == "lang = fr"
    assert grant.filter_for_index("movies_it") == ["lang = en"]
    assert grant.filter_for_index("movies_de") is None
    assert grant.filter_for_index("books") is None
    assert grant.filter_for_index("cats") == "tenant = 1"
    assert fails(sdk_token(record["uid"], {"movies*": None}, value), "search", "books", store=store)[1] == \
        'The provided tenant token cannot acces the index `books`, allowed indexes are ["movies*"].'


def test_key_grant_has_no_filters(store):
    _, search = by_name(store, "Default Search API Key")
    assert auth(search, "search", "m", store=store).filter_for_index("m") is None
    assert Grant("master").filter_for_index("m") is None


@pytest.mark.parametrize("user, rule, merged", [
    ("genre = action", ["year > 2000", "lang = en"], ["genre = action", "year > 2000", "lang = en"]),
    (None, "a = 1", "a = 1"),
    ("a = 1", None, "a = 1"),
    (["a = 1", ["b = 2", "c = 3"]], "d = 4", ["a = 1", ["b = 2", "c = 3"], "d = 4"]),
    ("a = 1", "b = 2", ["a = 1", "b = 2"]),
    (None, None, None),
])
def test_merge_filters(user, rule, merged):
    assert merge_filters(user, rule) == merged
