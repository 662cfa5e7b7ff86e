"""Who is calling, and what may they touch: the Authorization header -> a `Grant`.

One request needs one action on at most one index (the `{index_uid}` of its path).  The bearer
token is, in this order, the master key, a tenant token (search routes only), or an API key value;
the answer is a `Grant` that the route keeps to filter what it lists or searches:

    grant = authenticate("Bearer " + token, "search", "movies", master_key, store, now)
    grant.can_see_index("books")       # False for a key or tenant token scoped to movies*
    grant.filter_for_index("movies")   # the tenant token's filter, to AND into the query's

The order of checks is Meilisearch's (errors-auth.md §4, §6), because the error a caller gets
depends on it:

    1. header shape (even without a master key): absent / not `Bearer` -> 401, `Bearer` alone -> 403
    2. no master key configured: everything open except the /keys routes (401 missing_master_key)
    3. token == master key (constant time) -> everything
    4. tenant token (action `search` / `chatCompletions`, JWT-shaped): decode, derive the parent
       key's value, verify signature and `exp`; a non-JWT string falls through to 5
    5. API key: recompute every stored key's value and compare in constant time
    6. index: the tenant token's rules, then the key's patterns (each with its own message)
    7. action (through wildcards) on that index, and the key not expired

Secrets never leave this module: tokens are compared with `hmac.compare_digest`, never stored in a
`Grant`, never put into an error message.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

from engine.errors import LoupeError, serde_unexpected

from .keys import (
    KEYS_ACTIONS,
    KeyRecord,
    KeyStore,
    MemoryKeyStore,
    derive_key,
    expand_actions,
    index_pattern_matches,
    parse_uuid,
)

__all__ = [
    "Grant",
    "SearchRules",
    "KeyStore",
    "MemoryKeyStore",
    "TENANT_TOKEN_ACTIONS",
    "authenticate",
    "parse_authorization",
    "merge_filters",
    "invalid_api_key",
]

TENANT_TOKEN_ACTIONS = frozenset({"search", "chatCompletions"})
"""Only routes gated by these actions accept a tenant token; elsewhere it is just a bad API key."""

_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
_JWT_ALGORITHMS = ("HS256", "HS384", "HS512", "ES256", "ES384", "RS256", "RS384", "RS512",
                   "PS256", "PS384", "PS512", "EdDSA")

# -- errors --------------------------------------------------------------------------------------

_INVALID_KEY = "The provided API key is invalid."


def invalid_api_key(message: str = _INVALID_KEY) -> LoupeError:
    """403; also what multi-search and swap raise (with their prefix) for an invisible index."""
    return LoupeError("invalid_api_key", message)


def _missing_header() -> LoupeError:
    return LoupeError("missing_authorization_header",
                      "The Authorization header is missing. It must use the bearer authorization method.")


def _missing_master_key() -> LoupeError:
    return LoupeError("missing_master_key",
                      "Meilisearch is running without a master key. To access this API endpoint, you "
                      "must have set a master key at launch.")


def _debug_list(items: Iterable[str]) -> str:
    """A sorted list of strings the way Rust's `{:?}` prints a `Vec<String>`."""
    return "[" + ", ".join(json.dumps(s, ensure_ascii=False) for s in sorted(items)) + "]"


# -- search rules (errors-auth.md §6) ------------------------------------------------------------

@dataclass(frozen=True)
class SearchRules:
    """A tenant token's `searchRules`: pattern -> filter (None = no filter).

    The list form `["movies", "books*"]` is the object form with every filter None.
    """

    rules: Mapping[str, Any]

    def authorizes(self, index_uid: str) -> bool:
        return any(index_pattern_matches(p, index_uid) for p in self.rules)

    def patterns(self) -> list[str]:
        return sorted(self.rules)

    def filter_for(self, index_uid: str) -> Any:
        """The filter of the most specific matching pattern: an exact uid, else the longest."""
        best = max((p for p in self.rules if index_pattern_matches(p, index_uid)),
                   key=lambda p: (not p.endswith("*"), len(p)), default=None)
        if best is None:
            return None
        rule = self.rules[best]
        return rule.get("filter") if isinstance(rule, dict) else None


def merge_filters(user_filter: Any, rule_filter: Any) -> Any:
    """AND a tenant rule's filter into the user's: `[...U, ...R]`, strings counting as one element.

    >>> merge_filters("genre = action", ["year > 2000", "lang = en"])
    ['genre = action', 'year > 2000', 'lang = en']
    """
    if rule_filter is None:
        return user_filter
    if user_filter is None:
        return rule_filter
    left = user_filter if isinstance(user_filter, list) else [user_filter]
    right = rule_filter if isinstance(rule_filter, list) else [rule_filter]
    return [*left, *right]


# -- the grant -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Grant:
    """What an authenticated request may see.

    ``kind`` is "open" (no master key configured), "master", "key" or "tenant".  Open and master
    grants see every index and may create any.  A key grant sees its patterns; a tenant grant sees
    the intersection of its parent key's patterns and its rules.
    """

    kind: str
    key_uid: str | None = None
    key_indexes: tuple[str, ...] = ("*",)
    search_rules: SearchRules | None = None
    allow_index_creation: bool = True

    @property
    def is_master(self) -> bool:
        """True when nothing is restricted: the master key, or an instance without one."""
        return self.kind in ("open", "master")

    @property
    def is_tenant_token(self) -> bool:
        return self.search_rules is not None

    def can_see_index(self, index_uid: str) -> bool:
        """The index is covered by the key's patterns and, for a tenant token, by its rules."""
        if not any(index_pattern_matches(p, index_uid) for p in self.key_indexes):
            return False
        return self.search_rules is None or self.search_rules.authorizes(index_uid)

    @property
    def all_indexes_authorized(self) -> bool:
        """`*` on both sides (GET /metrics requires it)."""
        return "*" in self.key_indexes and (
            self.search_rules is None or "*" in self.search_rules.rules)

    @property
    def allowed_indexes(self) -> tuple[str, ...] | None:
        """None when every index is visible; else the key's patterns (use `can_see_index` for the
        exact test, which also applies a tenant token's rules)."""
        return None if self.all_indexes_authorized else self.key_indexes

    def filter_indexes(self, index_uids: Iterable[str]) -> list[str]:
        """The visible subset, for GET /indexes, /stats, /tasks, /batches."""
        return [uid for uid in index_uids if self.can_see_index(uid)]

    def require_index(self, index_uid: str) -> None:
        """403 "The provided API key is invalid." unless the index is visible (multi-search, swap)."""
        if not self.can_see_index(index_uid):
            raise invalid_api_key()

    def can_create_index(self, index_uid: str) -> bool:
        """POST /indexes and implicit creation: `indexes.create` plus visibility of the uid."""
        return self.allow_index_creation and self.can_see_index(index_uid)

    def filter_for_index(self, index_uid: str) -> Any:
        """The tenant token's filter for this index (None when there is none or no token)."""
        if self.search_rules is None or not self.can_see_index(index_uid):
            return None
        return self.search_rules.filter_for(index_uid)


_OPEN = Grant("open")
_MASTER = Grant("master")


# -- header --------------------------------------------------------------------------------------

def parse_authorization(header: str | None) -> str | None:
    """The bearer token, None when there is no header; raises for a malformed header.

    Split at the first space: the scheme must be exactly `Bearer`; the token is everything after
    that space (`Bearer  x` gives ` x`).  A value with characters outside visible ASCII reads as
    empty, as actix's `to_str().unwrap_or_default()` does.
    """
    if header is None:
        return None
    if not (header.isascii() and header.replace("\t", "").isprintable()):
        header = ""
    scheme, space, token = header.partition(" ")
    if scheme != "Bearer":
        raise _missing_header()
    if not space:
        raise invalid_api_key()
    return token


# -- authentication ------------------------------------------------------------------------------

def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _uid_for_key_value(token: str, master_key: str, store: KeyStore) -> str | None:
    """The uid whose derived value is ``token``; every stored key is tried (no early exit leak
    beyond the key count)."""
    wanted = token.encode()
    found = None
    for record in store.all():
        if hmac.compare_digest(derive_key(master_key, record["uid"]).encode(), wanted) and found is None:
            found = record["uid"]
    return found


def _expired(record: KeyRecord, now: datetime) -> bool:
    expires = record.get("expiresAt")
    return expires is not None and not now < expires


def _key_allows(record: KeyRecord, action: str, index_uid: str | None, now: datetime) -> bool:
    """The key holds ``action`` on ``index_uid`` (on some index when None) and has not expired."""
    if _expired(record, now) or action not in expand_actions(record["actions"]):
        return False
    patterns = record["indexes"]
    if index_uid is None:
        return bool(patterns)
    return any(index_pattern_matches(p, index_uid) for p in patterns)


def authenticate(header: str | None, action: str | tuple[str, ...], index_uid: str | None,
                 master_key: str | None, store: KeyStore, now: datetime) -> Grant:
    """The `Grant` for a request needing ``action`` on ``index_uid``, or the LoupeError to answer.

    ``now`` is an aware UTC datetime; ``index_uid`` is the path's `{index_uid}` (None otherwise).
    A tuple of actions needs every one of them (upstream's `DoubleActionPolicy`).
    """
    token = parse_authorization(header)
    if master_key is None:
        if action in KEYS_ACTIONS:
            raise _missing_master_key()
        return _OPEN
    if token is None:
        raise _missing_header()
    if _same(token, master_key):
        return _MASTER

    rules: SearchRules | None = None
    uid: str | None = None
    if action in TENANT_TOKEN_ACTIONS:
        decoded = _decode_tenant_token(token, master_key, now)
        if decoded is not None:
            uid, rules = decoded
    if uid is None:
        uid = _uid_for_key_value(token, master_key, store)
    record = store.get_by_uid(uid) if uid is not None else None
    if record is None:
        raise invalid_api_key()

    grant = Grant(
        kind="key" if rules is None else "tenant",
        key_uid=record["uid"],
        key_indexes=tuple(record["indexes"]),
        search_rules=rules,
        allow_index_creation=_key_allows(record, "indexes.create", None, now),
    )
    if index_uid is not None:
        if rules is not None and not rules.authorizes(index_uid):
            raise invalid_api_key(
                f"The provided tenant token cannot acces the index `{index_uid}`, allowed indexes "
                f"are {_debug_list(rules.patterns())}.")
        if not any(index_pattern_matches(p, index_uid) for p in grant.key_indexes):
            if rules is not None:
                raise invalid_api_key(
                    f"The API key used to generate this tenant token cannot acces the index "
                    f"`{index_uid}`.")
            raise invalid_api_key(
                f"The API key cannot acces the index `{index_uid}`, authorized indexes are "
                f"{_debug_list(grant.key_indexes)}.")
    needed = (action,) if isinstance(action, str) else action
    if not all(_key_allows(record, one, index_uid, now) for one in needed):
        raise invalid_api_key()
    return grant


# -- tenant tokens (JWT, HS256/384/512) ----------------------------------------------------------

def _decode_error(reason: str) -> LoupeError:
    return invalid_api_key(f"Could not decode tenant token, {reason}.")


_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def _b64url(part: str) -> bytes:
    """Strict unpadded base64url, as jsonwebtoken decodes (errors worded like Rust's base64)."""
    if _B64URL.fullmatch(part) is None:
        offset, ch = next((i, c) for i, c in enumerate(part) if not _B64URL.fullmatch(c))
        raise _decode_error(f"Base64 error: Invalid symbol {ord(ch)}, offset {offset}")
    if len(part) % 4 == 1:
        raise _decode_error("Base64 error: Invalid input length")
    data = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    if base64.urlsafe_b64encode(data).decode().rstrip("=") != part:
        last = len(part) - 1
        raise _decode_error(f"Base64 error: Invalid last symbol {ord(part[last])}, offset {last}")
    return data


def _position(text: str, end: int) -> str:
    """serde_json's "line L column C" after consuming ``text[:end]``."""
    line = text.count("\n", 0, end) + 1
    start = text.rfind("\n", 0, end) + 1
    return f"line {line} column {len(text[start:end].encode())}"


class _Position:
    """`_position`, computed only if an error message is actually formatted."""

    def __init__(self, text: str, end: int):
        self.text, self.end = text, end

    def __str__(self) -> str:
        return _position(self.text, self.end)


_unexpected = serde_unexpected


_DECODER = json.JSONDecoder()
_WS = " \t\n\r"


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _json_fields(data: bytes, struct: str) -> tuple[str, list[tuple[str, Any, int, int]], int]:
    """Parse a JSON object keeping, for each member, where its key and value end.

    Returns (text, [(key, value, key_end, value_end)], object_end) — positions feed serde-like
    "at line L column C" suffixes.  Raises the decode error for anything that is not an object.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _decode_error("JSON error: invalid unicode code point at line 1 column 1") from None
    try:
        whole, end = _DECODER.raw_decode(text, _skip_ws(text, 0))
    except json.JSONDecodeError as error:
        raise _decode_error(f"JSON error: {_serde_syntax(error.msg)} at "
                            f"{_position(text, error.pos + 1)}") from None
    if _skip_ws(text, end) != len(text):
        raise _decode_error(f"JSON error: trailing characters at {_position(text, _skip_ws(text, end) + 1)}")
    if not isinstance(whole, dict):
        raise _decode_error(f"JSON error: invalid type: {_unexpected(whole)}, expected struct "
                            f"{struct} at {_position(text, end)}")
    members = []
    i = _skip_ws(text, _skip_ws(text, 0) + 1)
    while text[i] != "}":
        key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
        key_end = i
        i = _skip_ws(text, _skip_ws(text, i) + 1)  # the colon
        value, i = _DECODER.raw_decode(text, i)
        members.append((key, value, key_end, i))
        i = _skip_ws(text, i)
        if text[i] == ",":
            i = _skip_ws(text, i + 1)
    return text, members, end


def _serde_syntax(message: str) -> str:
    for python, serde in (("Expecting value", "expected value"),
                          ("Expecting property name", "key must be a string"),
                          ("Expecting ':'", "expected `:`"),
                          ("Expecting ','", "expected `,` or `}`"),
                          ("Unterminated string", "EOF while parsing a string"),
                          ("Invalid control character", "control character (\\u0000-\\u001F) found while parsing a string"),
                          ("Invalid \\escape", "invalid escape")):
        if message.startswith(python):
            return serde
    return message


def _decode_header(part: str) -> str:
    """The `alg` of a JWT header (jsonwebtoken's `Header`: `alg` required, a known algorithm)."""
    text, members, end = _json_fields(_b64url(part), "Header")
    alg = None
    seen = set()
    for key, value, key_end, value_end in members:
        if key in seen:
            raise _decode_error(f"JSON error: duplicate field `{key}` at {_position(text, key_end)}")
        seen.add(key)
        if key == "alg":
            if not isinstance(value, str):
                raise _decode_error(f"JSON error: expected value at {_position(text, value_end)}")
            if value not in _JWT_ALGORITHMS:
                expected = ", ".join(f"`{a}`" for a in _JWT_ALGORITHMS)
                raise _decode_error(f"JSON error: unknown variant `{value}`, expected one of "
                                    f"{expected} at {_position(text, value_end)}")
            alg = value
        elif key in ("typ", "cty", "jku", "kid", "x5u", "x5t", "x5t#S256"):
            if value is not None and not isinstance(value, str):
                raise _decode_error(f"JSON error: invalid type: {_unexpected(value)}, expected a "
                                    f"string at {_position(text, value_end)}")
    if alg is None:
        raise _decode_error(f"JSON error: missing field `alg` at {_position(text, end)}")
    return alg


def _parse_search_rules(value: Any) -> SearchRules | None:
    """`["a", "b*"]` or `{"a": null | {"filter": ...}}`; None when it is neither."""
    if isinstance(value, list) and all(isinstance(p, str) for p in value):
        return SearchRules({p: None for p in value})
    if isinstance(value, dict) and all(v is None or isinstance(v, dict) for v in value.values()):
        return SearchRules(dict(value))
    return None


def _decode_claims(part: str) -> tuple[str, SearchRules, int | None]:
    """(apiKeyUid, searchRules, exp) of a tenant token payload, with serde-like errors."""
    text, members, end = _json_fields(_b64url(part), "Claims")
    found: dict[str, Any] = {}
    for key, value, key_end, value_end in members:
        if key not in ("searchRules", "exp", "apiKeyUid"):
            continue
        if key in found:
            raise _decode_error(f"JSON error: duplicate field `{key}` at {_position(text, key_end)}")
        at = _Position(text, value_end)
        if key == "searchRules":
            rules = _parse_search_rules(value)
            if rules is None:
                raise _decode_error("JSON error: data did not match any variant of untagged enum "
                                    f"SearchRules at {at}")
            found[key] = rules
        elif key == "exp":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise _decode_error(f"JSON error: invalid type: {_unexpected(value)}, expected i64 at {at}")
            if value is not None and not -2**63 <= value < 2**63:
                raise _decode_error(f"JSON error: invalid value: integer `{value}`, expected i64 at {at}")
            found[key] = value
        else:
            if not isinstance(value, str):
                raise _decode_error(f"JSON error: invalid type: {_unexpected(value)}, expected a "
                                    f"UUID string at {at}")
            try:
                found[key] = parse_uuid(value)
            except ValueError as error:
                raise _decode_error(f"JSON error: UUID parsing failed: {error} at {at}") from None
    for required in ("searchRules", "apiKeyUid"):
        if required not in found:
            raise _decode_error(f"JSON error: missing field `{required}` at {_position(text, end)}")
    return found["apiKeyUid"], found["searchRules"], found.get("exp")


def _decode_tenant_token(token: str, master_key: str, now: datetime) -> tuple[str, SearchRules] | None:
    """(parent key uid, rules) of a valid tenant token; None when ``token`` is not JWT-shaped.

    Shape = at least two dots, split from the right as jsonwebtoken does; anything JWT-shaped that
    fails to decode, verify or is expired raises (403 invalid_api_key) instead of falling back.
    """
    message, dot, signature = token.rpartition(".")
    header_part, dot2, payload_part = message.rpartition(".")
    if not dot or not dot2:
        return None
    alg = _decode_header(header_part)
    uid, rules, exp = _decode_claims(payload_part)
    if alg not in _HASHES:
        raise _decode_error("InvalidAlgorithm")
    secret = derive_key(master_key, uid).encode()
    expected = hmac.new(secret, message.encode(), _HASHES[alg]).digest()
    expected_text = base64.urlsafe_b64encode(expected).rstrip(b"=")
    if not hmac.compare_digest(expected_text, signature.encode()):
        raise _decode_error("InvalidSignature")
    if exp is not None:
        current = math.floor(now.timestamp())
        if current > exp:
            raise invalid_api_key(
                f"Tenant token expired. Was valid up to `{exp}` and we're now `{current}`.")
    return uid, rules
