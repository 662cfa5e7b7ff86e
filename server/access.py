"""Request authentication: turns the Authorization header into a grant for one route's action."""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from engine.errors import LoupeError


@dataclass
class OpenGrant:
    """What the master key (or an instance without one) may do: everything."""

    def can_see_index(self, uid: str) -> bool:
        return True

    def sees_all_indexes(self) -> bool:
        return True

    def can_create_index(self, uid: str) -> bool:
        return True


class Authenticator:
    def __init__(self, engine: Any, master_key: str | None):
        self.engine = engine
        self.master_key = master_key

    def __call__(self, request: web.Request, action: str | None, index_uid: str | None) -> Any:
        if action is None:
            return OpenGrant()
        header = request.headers.get("Authorization")
        if header is not None:
            scheme, space, token = header.partition(" ")
            if scheme != "Bearer":
                raise LoupeError("missing_authorization_header",
                                 "The Authorization header is missing. It must use the bearer authorization method.")
            if not space:
                raise LoupeError("invalid_api_key", "The provided API key is invalid.")
        if self.master_key is None:
            if action.startswith("keys."):
                raise LoupeError("missing_master_key",
                                 "Meilisearch is running without a master key. To access this API endpoint, you must "
                                 "have set a master key at launch.")
            return OpenGrant()
        if header is None:
            raise LoupeError("missing_authorization_header",
                             "The Authorization header is missing. It must use the bearer authorization method.")
        token = header.partition(" ")[2]
        if hmac.compare_digest(token.encode(), self.master_key.encode()):
            return OpenGrant()
        raise LoupeError("invalid_api_key", "The provided API key is invalid.")
