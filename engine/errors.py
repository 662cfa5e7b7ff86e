"""One error table, one error shape.

Every failure the engine can report carries a Meilisearch error *code*.  The code alone decides
the error's ``type`` and HTTP status (errors-auth.md §2), so the table lives here, next to the
exception, and both the HTTP layer and the task queue (whose failed tasks embed the same error
object) read it.

    >>> LoupeError("index_not_found", "Index `movies` not found.").to_json()["type"]
    'invalid_request'
"""
from __future__ import annotations

import json
from typing import Any

ERROR_LINK = "https://docs.meilisearch.com/errors#"

# code -> (type, HTTP status).  Anything not listed is ("invalid_request", 400).
_SPECIAL: dict[str, tuple[str, int]] = {
    "missing_authorization_header": ("auth", 401),
    "missing_master_key": ("auth", 401),
    "invalid_api_key": ("auth", 403),
    "remote_invalid_api_key": ("auth", 403),
    "index_not_found": ("invalid_request", 404),
    "document_not_found": ("invalid_request", 404),
    "task_not_found": ("invalid_request", 404),
    "batch_not_found": ("invalid_request", 404),
    "api_key_not_found": ("invalid_request", 404),
    "webhook_not_found": ("invalid_request", 404),
    "task_file_not_found": ("invalid_request", 404),
    "dump_not_found": ("invalid_request", 404),
    "chat_not_found": ("invalid_request", 404),
    "render_document_not_found": ("invalid_request", 404),
    "dynamic_search_rule_not_found": ("invalid_request", 404),
    "index_already_exists": ("invalid_request", 409),
    "api_key_already_exists": ("invalid_request", 409),
    "dump_already_processing": ("invalid_request", 409),
    "payload_too_large": ("invalid_request", 413),
    "missing_content_type": ("invalid_request", 415),
    "invalid_content_type": ("invalid_request", 415),
    "unsupported_media_type": ("invalid_request", 415),
    "io_error": ("system", 422),
    "no_space_left_on_device": ("system", 422),
    "too_many_open_files": ("system", 422),
    "requires_enterprise_edition": ("invalid_request", 451),
    "internal": ("internal", 500),
    "index_creation_failed": ("internal", 500),
    "database_size_limit_reached": ("internal", 500),
    "invalid_state": ("internal", 500),
    "invalid_store_file": ("internal", 500),
    "dump_process_failed": ("internal", 500),
    "unretrievable_document": ("internal", 400),
    "remote_bad_response": ("system", 502),
    "remote_could_not_send_request": ("system", 502),
    "remote_remote_error": ("system", 502),
    "remote_timeout": ("system", 502),
    "too_many_search_requests": ("system", 503),
}


def error_type(code: str) -> str:
    return _SPECIAL.get(code, ("invalid_request", 400))[0]


def error_status(code: str) -> int:
    return _SPECIAL.get(code, ("invalid_request", 400))[1]


def error_object(code: str, message: str) -> dict[str, Any]:
    """The four-key Meilisearch error object, keys in Meilisearch's order."""
    return {"message": message, "code": code, "type": error_type(code), "link": ERROR_LINK + code}


class LoupeError(Exception):
    """A failure with a Meilisearch error code; rendered as the error object by the server."""

    def __init__(self, code: str, message: str, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self._status = status

    @property
    def status(self) -> int:
        """The code's HTTP status, unless a caller fixed another (upstream answers a missing index
        inside /multi-search with 400, not its usual 404)."""
        return error_status(self.code) if self._status is None else self._status

    def to_json(self) -> dict[str, Any]:
        return error_object(self.code, self.message)

    def with_prefix(self, prefix: str) -> "LoupeError":
        return LoupeError(self.code, prefix + self.message, self._status)

    def with_status(self, status: int) -> "LoupeError":
        return LoupeError(self.code, self.message, status)

    def __repr__(self) -> str:
        return f"LoupeError({self.code!r}, {self.message!r})"


def index_not_found(uid: str) -> LoupeError:
    return LoupeError("index_not_found", f"Index `{uid}` not found.")


def internal(message: str) -> LoupeError:
    return LoupeError("internal", message)


def serde_unexpected(value: Any) -> str:
    """serde's ``Unexpected`` description of a JSON value, as Rust error messages embed it
    (``invalid type: string "x", expected …``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{'true' if value else 'false'}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{json.dumps(value)}`"
    if isinstance(value, str):
        return f"string {json.dumps(value, ensure_ascii=False)}"
    return "sequence" if isinstance(value, list) else "map"


_DEBUG_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}


def rust_debug_str(text: str) -> str:
    """A string as Rust's ``{:?}`` prints it: double-quoted, backslash and quote escaped, control
    characters as ``\\n``, ``\\t``… or ``\\u{1b}`` (error messages embed values so)."""
    out = []
    for char in text:
        if char in _DEBUG_ESCAPES:
            out.append(_DEBUG_ESCAPES[char])
        elif ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0:
            out.append(f"\\u{{{ord(char):x}}}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
