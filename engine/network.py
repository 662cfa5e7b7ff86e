"""The `network` object (api.md §19): this instance's name and the remote instances it knows,
stored in the queue environment's metadata and changed by ``PATCH /network``.

Only the object is kept and served; remote search, sharding and a leader belong to Meilisearch's
enterprise edition (a `leader` is refused with its 451).  A patch merges into the stored object as
upstream's does: `self` and each remote are set, changed or removed (`null`), a remote's fields
merge one by one, `remotes: null` clears them all; every patch gives the object a new `version`.
"""
from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from .errors import LoupeError
from .meilisearch.request_uid import new_request_uid
from .settings.validate import type_error, unknown_field
from .store import Store
from .store.codecs import dumps, loads

_KEY = b"network"
NIL_VERSION = str(uuid.UUID(int=0))
NETWORK_FIELDS = ["remotes", "self", "leader"]
REMOTE_FIELDS = ["url", "searchApiKey", "writeApiKey"]
_REMOTE_CODES = {"url": "invalid_network_url", "searchApiKey": "invalid_network_search_api_key",
                 "writeApiKey": "invalid_network_write_api_key"}


def empty_network() -> dict[str, Any]:
    return {"self": None, "remotes": {}, "shards": {}, "leader": None, "version": NIL_VERSION}


def read_network(store: Store) -> dict[str, Any]:
    with store.queue_env.begin() as txn:
        raw = txn.get(_KEY, db=store.q["meta"])
    return {**empty_network(), **(loads(raw) if raw is not None else {})}


def patch_network(store: Store, body: Any) -> dict[str, Any]:
    """Validate ``body`` (deserr's order and wording), merge it into the stored network, store
    and return the result."""
    patch = _parse(body)
    if patch.get("leader") is not None:
        raise LoupeError("requires_enterprise_edition",
                         "Meilisearch Enterprise Edition is required to set `network.leader`")
    with store.queue_env.begin(write=True) as txn:
        raw = txn.get(_KEY, db=store.q["meta"])
        current = {**empty_network(), **(loads(raw) if raw is not None else {})}
        merged = _merge(current, patch)
        txn.put(_KEY, dumps(merged), db=store.q["meta"])
    return merged


def _parse(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise type_error("", "an object", body, "bad_request")
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key not in NETWORK_FIELDS:
            raise unknown_field(key, NETWORK_FIELDS)
        if key == "remotes":
            out[key] = _parse_remotes(value)
        else:
            if value is not None and not isinstance(value, str):
                raise type_error(f".{key}", "a string", value, f"invalid_network_{key}")
            out[key] = value
    return out


def _parse_remotes(value: Any) -> dict[str, dict[str, Any] | None] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise type_error(".remotes", "an object", value, "invalid_network_remotes")
    remotes: dict[str, dict[str, Any] | None] = {}
    for name, remote in value.items():
        path = f".remotes.{name}"
        if remote is None:
            remotes[name] = None
            continue
        if not isinstance(remote, dict):
            raise type_error(path, "an object", remote, "invalid_network_remotes")
        fields: dict[str, Any] = {}
        for key, item in remote.items():
            if key not in REMOTE_FIELDS:
                raise unknown_field(key, REMOTE_FIELDS, "invalid_network_remotes", inside=path)
            if item is not None and not isinstance(item, str):
                raise type_error(f"{path}.{key}", "a string", item, _REMOTE_CODES[key])
            fields[key] = item
        remotes[name] = fields
    return remotes


def _merge(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    if "self" in patch:
        merged["self"] = patch["self"]
    if "remotes" in patch:
        remotes = patch["remotes"]
        merged["remotes"] = {} if remotes is None else _merge_remotes(current["remotes"], remotes)
    merged["version"] = new_request_uid()  # a UUID v7, as upstream's `Uuid::now_v7`
    return merged


def _merge_remotes(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    out = dict(old)
    for name in sorted(new):
        fields = new[name]
        if fields is None:
            out.pop(name, None)
            continue
        before = old.get(name)
        if before is None:
            if fields.get("url") is None:
                raise LoupeError("missing_network_url", f"Missing field `.remotes.{name}.url`")
            remote = {"url": _checked_url(name, fields["url"]), "searchApiKey": fields.get("searchApiKey"),
                      "writeApiKey": fields.get("writeApiKey")}
        else:
            remote = dict(before)
            if "url" in fields:
                if fields["url"] is None:
                    raise LoupeError("invalid_network_url", f"Field `.remotes.{name}.url` cannot be set to `null`")
                remote["url"] = _checked_url(name, fields["url"])
            for key in ("searchApiKey", "writeApiKey"):
                if key in fields:
                    remote[key] = fields[key]
        out[name] = remote
    return dict(sorted(out.items()))


def _checked_url(name: str, url: str) -> str:
    """An absolute URL with a host, or upstream's complaint in the `url` crate's words."""
    problem = _url_problem(url)
    if problem:
        raise LoupeError("invalid_network_url", f"Invalid `.remotes.{name}.url` (`{url}`): {problem}")
    return url


def _url_problem(url: str) -> str | None:
    """What the `url` crate says of a URL it cannot parse as absolute (the common cases)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is no number or out of range
    except ValueError:
        return "invalid port number"
    if not parts.scheme:
        return "relative URL without a base"
    if parts.scheme in ("http", "https", "ws", "wss", "ftp") and not parts.hostname:
        return "empty host"
    return None
