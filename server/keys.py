"""API keys as data: what a key may do, how its secret is derived, how its JSON is checked.

A key is a small record; its secret value is never stored but recomputed from the master key and
the key's uid (errors-auth.md §5.5), so changing the master key rotates every key at once:

    >>> derive_key("masterKey", "74c9c733-3368-4738-bbe5-1d18a5fecb37")
    '1f9a5b47f5439bff2e2603c5c295ad55e888c92a57f607ab76ab046118556da6'

Permissions are two lists on the record: ``actions`` (stored exactly as given, expanded only when
checked) and ``indexes`` (uids or ``prefix*`` patterns):

    >>> sorted(expand_actions(["documents.*"]))
    ['documents.add', 'documents.delete', 'documents.get']
    >>> index_pattern_matches("movies*", "movies_fr")
    True

This module is pure: no HTTP, no storage.  ``server/auth.py`` uses it to authorize requests and the
``/keys`` routes use it to validate bodies (with Meilisearch's exact deserr wording) and render keys.
"""
from __future__ import annotations

import functools
import hmac
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping, Protocol, Sequence

from engine.errors import LoupeError
from engine.settings.validate import (
    expect_object,
    immutable_field,
    invalid_value,
    missing_field,
    type_error,
    unknown_field,
    unknown_value,
)

__all__ = [
    "ACTIONS",
    "READ_ACTIONS",
    "GLOBAL_ACTIONS",
    "KEYS_ACTIONS",
    "KeyRecord",
    "KeyStore",
    "MemoryKeyStore",
    "derive_key",
    "expand_actions",
    "index_pattern_matches",
    "is_valid_index_pattern",
    "parse_uuid",
    "parse_expires_at",
    "validate_key_create",
    "validate_key_update",
    "apply_key_update",
    "default_keys",
    "key_view",
    "rfc3339",
    "find_key",
    "check_uid_free",
]

KeyRecord = dict[str, Any]
"""uid, name, description, actions, indexes, expiresAt (datetime|None), createdAt, updatedAt."""


class KeyStore(Protocol):
    """Where the key records live; the server backs it with LMDB, tests with `MemoryKeyStore`."""

    def get_by_uid(self, uid: str) -> KeyRecord | None: ...

    def all(self) -> list[KeyRecord]: ...


class MemoryKeyStore:
    """A dict-backed `KeyStore` (tests, and the shape a persistent store must offer)."""

    def __init__(self, records: Iterable[KeyRecord] = ()):
        self._records: dict[str, KeyRecord] = {r["uid"]: r for r in records}

    def get_by_uid(self, uid: str) -> KeyRecord | None:
        return self._records.get(uid)

    def all(self) -> list[KeyRecord]:
        """Newest `createdAt` first, the order of GET /keys."""
        return sorted(self._records.values(), key=lambda r: r["createdAt"], reverse=True)

    def put(self, record: KeyRecord) -> None:
        self._records[record["uid"]] = record

    def delete(self, uid: str) -> bool:
        return self._records.pop(uid, None) is not None

# -- actions (errors-auth.md §5.2) ---------------------------------------------------------------

ACTIONS: tuple[str, ...] = (
    "*", "search",
    "documents.*", "documents.add", "documents.get", "documents.delete",
    "indexes.*", "indexes.create", "indexes.get", "indexes.update", "indexes.delete", "indexes.swap",
    "tasks.*", "tasks.cancel", "tasks.delete", "tasks.get",
    "settings.*", "settings.get", "settings.update",
    "stats.*", "stats.get",
    "metrics.*", "metrics.get",
    "dumps.*", "dumps.create",
    "snapshots.*", "snapshots.create",
    "version",
    "keys.create", "keys.get", "keys.update", "keys.delete",
    "experimental.get", "experimental.update",
    "export",
    "network.get", "network.update",
    "chatCompletions",
    "chats.*", "chats.get", "chats.delete",
    "chatsSettings.*", "chatsSettings.get", "chatsSettings.update",
    "*.get",
    "webhooks.get", "webhooks.update", "webhooks.delete", "webhooks.create", "webhooks.*",
    "indexes.compact", "fields.post", "tasks.compact",
    "dynamicSearchRules.get", "dynamicSearchRules.create", "dynamicSearchRules.update",
    "dynamicSearchRules.delete", "dynamicSearchRules.*",
)
"""Every accepted action, in Meilisearch's declaration order (the order of "expected one of")."""

READ_ACTIONS: frozenset[str] = frozenset({
    "search", "documents.get", "export", "indexes.get", "tasks.get", "settings.get", "stats.get",
    "metrics.get", "version", "experimental.get", "network.get", "chats.get", "chatsSettings.get",
    "webhooks.get", "fields.post", "dynamicSearchRules.get",
})
"""What `*.get` grants.  Deliberately not `keys.get` (a read-only key must not read secrets)
and not `chatCompletions`."""

_FAMILIES: dict[str, tuple[str, ...]] = {
    "documents.*": ("documents.add", "documents.get", "documents.delete"),
    "indexes.*": ("indexes.create", "indexes.get", "indexes.update", "indexes.delete",
                  "indexes.swap", "indexes.compact"),
    "tasks.*": ("tasks.get", "tasks.delete", "tasks.cancel", "tasks.compact"),
    "settings.*": ("settings.get", "settings.update"),
    "stats.*": ("stats.get",),
    "metrics.*": ("metrics.get",),
    "dumps.*": ("dumps.create",),
    "snapshots.*": ("snapshots.create",),
    "chats.*": ("chats.get", "chats.delete"),
    "chatsSettings.*": ("chatsSettings.get", "chatsSettings.update"),
    "webhooks.*": ("webhooks.get", "webhooks.update", "webhooks.delete", "webhooks.create"),
    "dynamicSearchRules.*": ("dynamicSearchRules.get", "dynamicSearchRules.create",
                             "dynamicSearchRules.update", "dynamicSearchRules.delete"),
    "*.get": tuple(sorted(READ_ACTIONS)),
}

_EVERYTHING = frozenset(a for a in ACTIONS if a != "*.get")

GLOBAL_ACTIONS: frozenset[str] = frozenset({
    "metrics.*", "metrics.get", "dumps.*", "dumps.create", "snapshots.*", "snapshots.create",
    "version", "keys.create", "keys.get", "keys.update", "keys.delete",
    "experimental.get", "experimental.update", "export", "network.get", "network.update",
    "chats.*", "chats.get", "chats.delete",
    "chatsSettings.*", "chatsSettings.get", "chatsSettings.update",
    "webhooks.*", "webhooks.get", "webhooks.update", "webhooks.delete", "webhooks.create",
    "tasks.compact",
    "dynamicSearchRules.*", "dynamicSearchRules.get", "dynamicSearchRules.create",
    "dynamicSearchRules.update", "dynamicSearchRules.delete",
})
"""Instance-wide actions: a key restricted to some indexes may not hold them."""

KEYS_ACTIONS: frozenset[str] = frozenset({"keys.create", "keys.get", "keys.update", "keys.delete"})
"""The /keys routes: the only ones still closed when no master key is set."""


def expand_actions(actions: Iterable[str]) -> frozenset[str]:
    """The concrete actions a key's list grants.

    A family wildcard grants its members but not itself, so `POST /documents/edit` (which requires
    the literal `documents.*`) is only open to `*` — as in Meilisearch.
    """
    granted: set[str] = set()
    for action in actions:
        if action == "*":
            return _EVERYTHING
        granted.update(_FAMILIES.get(action, (action,)))
    return frozenset(granted)


# -- the secret (errors-auth.md §5.5) ------------------------------------------------------------

DERIVED_KEY_CACHE_SIZE = 4096
"""Derived values kept in memory: every request with an API key compares against all of them."""


@functools.lru_cache(maxsize=DERIVED_KEY_CACHE_SIZE)
def derive_key(master_key: str, uid: str) -> str:
    """The key's value: hex HMAC-SHA256 of the lowercase hyphenated uid, keyed by the master key.

    Cached because authenticating an API key derives the value of every stored key; the cache
    holds nothing the master key in memory does not already give.
    """
    return hmac.digest(master_key.encode(), str(uid).lower().encode(), "sha256").hex()


# -- index patterns (errors-auth.md §5.3) --------------------------------------------------------

MAX_INDEX_UID_BYTES = 400
"""Index uids are at most 400 bytes (the public message says 512; the check is 400)."""

_INDEX_UID = re.compile(r"[A-Za-z0-9_-]{1,%d}" % MAX_INDEX_UID_BYTES)


def is_valid_index_pattern(pattern: str) -> bool:
    """`*`, an index uid, or an index uid followed by one `*`."""
    if pattern == "*":
        return True
    uid = pattern[:-1] if pattern.endswith("*") else pattern
    return _INDEX_UID.fullmatch(uid) is not None


def index_pattern_matches(pattern: str, uid: str) -> bool:
    """`prefix*` matches by prefix (`*` matches everything); anything else must be equal."""
    if pattern.endswith("*"):
        return uid.startswith(pattern[:-1])
    return pattern == uid


def _pattern_error(pattern: str) -> str:
    return (f"`{pattern}` is not a valid index uid pattern. Index uid patterns can be an integer or a "
            "string containing only alphanumeric characters, hyphens (-), underscores (_), and "
            "optionally end with a star (*).")


# -- uuids (the Rust `uuid` crate's grammar and messages) ----------------------------------------

_HEX = frozenset("0123456789abcdefABCDEF")
_GROUP_STARTS = (0, 9, 14, 19, 24)
_GROUP_LENGTHS = (8, 4, 4, 4, 12)


_HYPHENATED = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SIMPLE = re.compile(r"[0-9a-fA-F]{32}")


def parse_uuid(text: str) -> str:
    """The canonical (lowercase hyphenated) form of a UUID, or ValueError with uuid's message.

    Accepted like Rust's `Uuid::parse_str`: 32 hex digits, 8-4-4-4-12, `{...}`, `urn:uuid:...`.
    """
    if _SIMPLE.fullmatch(text):
        return str(uuid.UUID(hex=text))
    inner = text
    if len(text) == 38 and text[0] == "{" and text[-1] == "}":
        inner = text[1:-1]
    elif len(text) == 45 and text.startswith("urn:uuid:"):
        inner = text[9:]
    if _HYPHENATED.fullmatch(inner):
        return str(uuid.UUID(inner))
    raise ValueError(_uuid_error(text))


def _uuid_error(text: str) -> str:
    if text.startswith("{") and text.endswith("}") and len(text) >= 2:
        body, offset, simple = text[1:-1], 1, False
    elif text.startswith("urn:uuid:"):
        body, offset, simple = text[9:], 9, False
    else:
        body, offset, simple = text, 0, True
    hyphens: list[int] = []
    byte_index = 0
    for ch in body:
        if ord(ch) > 127 or (ch != "-" and ch not in _HEX):
            return ("invalid character: expected an optional prefix of `urn:uuid:` followed by "
                    f"[0-9a-fA-F-], found `{ch}` at {byte_index + offset + 1}")
        if ch == "-":
            hyphens.append(byte_index)
        byte_index += 1
    if not hyphens and simple:
        return f"invalid length: expected length 32 for simple format, found {len(text.encode())}"
    if len(hyphens) != 4:
        return f"invalid group count: expected 5, found {len(hyphens) + 1}"
    for group in range(4):
        if hyphens[group] != _GROUP_STARTS[group + 1] - 1:
            found = hyphens[group] - _GROUP_STARTS[group]
            return (f"invalid group length in group {group}: expected {_GROUP_LENGTHS[group]}, "
                    f"found {found}")
    return (f"invalid group length in group 4: expected 12, "
            f"found {len(text.encode()) - _GROUP_STARTS[4]}")


# -- dates ---------------------------------------------------------------------------------------

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))")
_NAIVE_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _expires_at_error(raw: str) -> LoupeError:
    return LoupeError(
        "invalid_api_key_expires_at",
        f"Invalid value at `.expiresAt`: `{raw}` is not a valid date. It should follow the RFC 3339 "
        "format to represents a date or datetime in the future or specified as a null value. "
        "e.g. 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'.\n")


def _parse_date(raw: str) -> datetime | None:
    """RFC 3339 with an offset, else `YYYY-MM-DD[( |T)HH:MM:SS]` taken as UTC; None if neither."""
    try:
        m = _RFC3339.fullmatch(raw)
        if m:
            year, month, day, hour, minute, second = (int(g) for g in m.group(1, 2, 3, 4, 5, 6))
            micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
            tz = timezone.utc
            if not m.group(8):
                oh, om = int(m.group(10)), int(m.group(11))
                if oh > 23 or om > 59:
                    return None
                delta = timedelta(hours=oh, minutes=om)
                tz = timezone(-delta if m.group(9) == "-" else delta)
            return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz).astimezone(timezone.utc)
        m = _NAIVE_DATETIME.fullmatch(raw) or _DATE.fullmatch(raw)
        if m:
            parts = [int(g) for g in m.groups()]
            return datetime(*parts, tzinfo=timezone.utc)  # type: ignore[misc]
    except ValueError:
        return None
    return None


def parse_expires_at(raw: str, now: datetime) -> datetime:
    """A key's expiry date; it must parse and be strictly in the future."""
    parsed = _parse_date(raw)
    if parsed is None or parsed <= now:
        raise _expires_at_error(raw)
    return parsed


def rfc3339(moment: datetime) -> str:
    """UTC, a literal `Z`, the fewest fraction digits and none for an exact second, as
    Meilisearch prints dates (api.md §0.7).  The official Python client cannot parse a date
    without a fraction; it fails on Meilisearch's answer the same way."""
    moment = moment.astimezone(timezone.utc)
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + ("." + fraction if fraction else "") + "Z"


# -- create / update bodies (errors-auth.md §5.4, §3) --------------------------------------------

CREATE_FIELDS = ("description", "name", "uid", "actions", "indexes", "expiresAt")
UPDATE_FIELDS = ("description", "name")
_IMMUTABLE = {
    "uid": "immutable_api_key_uid",
    "actions": "immutable_api_key_actions",
    "indexes": "immutable_api_key_indexes",
    "expiresAt": "immutable_api_key_expires_at",
    "createdAt": "immutable_api_key_created_at",
    "updatedAt": "immutable_api_key_updated_at",
    "key": "immutable_api_key_key",
}
_REQUIRED = (("actions", "missing_api_key_actions"), ("indexes", "missing_api_key_indexes"),
             ("expiresAt", "missing_api_key_expires_at"))


def _optional_string(field: str, value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise type_error(f".{field}", "a string", value, f"invalid_api_key_{field}")
    return value


def _check_actions(value: Any) -> list[str]:
    code = "invalid_api_key_actions"
    if not isinstance(value, list):
        raise type_error(".actions", "an array", value, code)
    for i, action in enumerate(value):
        if not isinstance(action, str):
            raise type_error(f".actions[{i}]", "a string", action, code)
        if action not in ACTIONS:
            raise unknown_value(action, f".actions[{i}]", ACTIONS, code)
    return list(value)


def _check_indexes(value: Any) -> list[str]:
    code = "invalid_api_key_indexes"
    if not isinstance(value, list):
        raise type_error(".indexes", "an array", value, code)
    for i, pattern in enumerate(value):
        if not isinstance(pattern, str):
            raise type_error(f".indexes[{i}]", "a string", pattern, code)
        if not is_valid_index_pattern(pattern):
            raise invalid_value(f".indexes[{i}]", _pattern_error(pattern), code)
    return list(value)


def _check_uid(value: Any) -> str:
    if not isinstance(value, str):
        raise type_error(".uid", "a string", value, "invalid_api_key_uid")
    try:
        return parse_uuid(value)
    except ValueError as error:
        raise invalid_value(".uid", str(error), "invalid_api_key_uid") from None


def _check_scope(actions: Sequence[str], indexes: Sequence[str]) -> None:
    """An index-restricted key may not hold instance-wide actions."""
    if not indexes or "*" in indexes:
        return
    for action in actions:
        if action in GLOBAL_ACTIONS:
            quoted = f'`"{action}"`'
            raise LoupeError(
                "index_scoped_api_key_with_global_action",
                f"cannot create index-scoped API key with global action {quoted}\n"
                f"  - Hint: remove action {quoted} from the action list, or remove `indexes` to "
                "make the key global")


def validate_key_create(body: Any, now: datetime,
                        new_uid: Callable[[], uuid.UUID] = uuid.uuid4) -> KeyRecord:
    """A POST /keys body -> a new key record, or the first error deserr would report.

    Fields are checked in the order the body lists them (first bad one wins), then the required
    ones in the order actions, indexes, expiresAt, then the index-scope rule.
    """
    body = expect_object(body)
    seen: dict[str, Any] = {}
    for field, value in body.items():
        if field == "description" or field == "name":
            seen[field] = _optional_string(field, value)
        elif field == "uid":
            seen[field] = _check_uid(value)
        elif field == "actions":
            seen[field] = _check_actions(value)
        elif field == "indexes":
            seen[field] = _check_indexes(value)
        elif field == "expiresAt":
            if value is not None and not isinstance(value, str):
                raise type_error(".expiresAt", "a string", value, "invalid_api_key_expires_at")
            seen[field] = None if value is None else parse_expires_at(value, now)
        else:
            raise unknown_field(field, CREATE_FIELDS)
    for field, code in _REQUIRED:
        if field not in seen:
            raise missing_field(field, code)
    _check_scope(seen["actions"], seen["indexes"])
    return {
        "uid": seen.get("uid") or str(new_uid()),
        "name": seen.get("name"),
        "description": seen.get("description"),
        "actions": seen["actions"],
        "indexes": seen["indexes"],
        "expiresAt": seen["expiresAt"],
        "createdAt": now,
        "updatedAt": now,
    }


def validate_key_update(body: Any) -> dict[str, str | None]:
    """A PATCH /keys/{key} body -> the fields to change (`name` / `description`; null clears)."""
    body = expect_object(body)
    patch: dict[str, str | None] = {}
    for field, value in body.items():
        if field in UPDATE_FIELDS:
            patch[field] = _optional_string(field, value)
        elif field in _IMMUTABLE:
            raise immutable_field(field, UPDATE_FIELDS, _IMMUTABLE[field])
        else:
            raise unknown_field(field, UPDATE_FIELDS)
    return patch


def apply_key_update(record: KeyRecord, patch: Mapping[str, str | None], now: datetime) -> KeyRecord:
    """A copy of ``record`` with the patch applied and `updatedAt` refreshed (even if empty)."""
    return {**record, **patch, "updatedAt": now}


# -- defaults and rendering ----------------------------------------------------------------------

_DEFAULTS = (  # creation order; the newest (search) is listed first
    ("Default Chat API Key", "Use it to chat and search from the frontend",
     ["chatCompletions", "search"]),
    ("Default Read-Only Admin API Key",
     "Use it to read information across the whole database. Caution! Do not expose this key on "
     "a public frontend", ["*.get", "keys.get"]),
    ("Default Admin API Key",
     "Use it for anything that is not a search operation. Caution! Do not expose it on a public "
     "frontend", ["*"]),
    ("Default Search API Key", "Use it to search from the frontend", ["search"]),
)


def default_keys(now: datetime, new_uid: Callable[[], uuid.UUID] = uuid.uuid4) -> list[KeyRecord]:
    """The four keys of a fresh database, each one microsecond younger than the previous."""
    keys = []
    for i, (name, description, actions) in enumerate(_DEFAULTS):
        created = now + timedelta(microseconds=i)
        keys.append({"uid": str(new_uid()), "name": name, "description": description,
                     "actions": list(actions), "indexes": ["*"], "expiresAt": None,
                     "createdAt": created, "updatedAt": created})
    return keys


def key_view(record: KeyRecord, master_key: str) -> dict[str, Any]:
    """The key object of the API, in Meilisearch's field order, with its derived value."""
    expires = record.get("expiresAt")
    return {
        "name": record.get("name"),
        "description": record.get("description"),
        "key": derive_key(master_key, record["uid"]),
        "uid": record["uid"],
        "actions": list(record["actions"]),
        "indexes": list(record["indexes"]),
        "expiresAt": None if expires is None else rfc3339(expires),
        "createdAt": rfc3339(record["createdAt"]),
        "updatedAt": rfc3339(record["updatedAt"]),
    }


# -- lookups used by the /keys routes ------------------------------------------------------------

def find_key(store: KeyStore, uid_or_key: str, master_key: str) -> KeyRecord:
    """GET/PATCH/DELETE /keys/{x}: a UUID is a uid, anything else is matched against key values."""
    try:
        uid = parse_uuid(uid_or_key)
    except ValueError:
        wanted = uid_or_key.encode()
        for record in store.all():
            if hmac.compare_digest(derive_key(master_key, record["uid"]).encode(), wanted):
                return record
        raise LoupeError("api_key_not_found", f"API key `{uid_or_key}` not found.") from None
    record = store.get_by_uid(uid)
    if record is None:
        raise LoupeError("api_key_not_found", f"API key `{uid}` not found.")
    return record


def check_uid_free(store: KeyStore, uid: str) -> None:
    """409 when POST /keys names a uid that is already taken."""
    if store.get_by_uid(uid) is not None:
        raise LoupeError("api_key_already_exists",
                         f"`uid` field value `{uid}` is already an existing API key.")
