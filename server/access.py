"""Request authentication: the Authorization header -> a `Grant` for one route's action.

The logic lives in auth.py (pure); this module binds it to the persistent key store and the
configured master key, and creates the default keys on a fresh database.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from .auth import Grant, _OPEN, authenticate
from .keys import default_keys
from .keystore import LmdbKeyStore


class Authenticator:
    def __init__(self, engine: Any, master_key: str | None):
        self.engine = engine
        self.master_key = master_key
        self.keys = LmdbKeyStore(engine.store)
        if master_key is not None:
            self.keys.put_all_if_empty(default_keys(datetime.now(timezone.utc)))

    def __call__(self, request: web.Request, action: str | tuple[str, ...] | None, index_uid: str | None) -> Grant:
        if action is None:
            return _OPEN
        return authenticate(request.headers.get("Authorization"), action, index_uid, self.master_key,
                            self.keys, datetime.now(timezone.utc))
