"""Primary keys: inference from the first document and document-id validation (tasks.md §7.4).

    >>> infer_primary_key({"title": "x", "movie_id": 1})
    'movie_id'
    >>> external_id(12)
    '12'
"""
from __future__ import annotations

import re
from typing import Any

from ..errors import LoupeError
from ..settings.validate import compact_json

_ID = re.compile(r"^[A-Za-z0-9_-]{1,511}$")
MISSING = object()


def infer_primary_key(first_document: dict[str, Any]) -> str:
    candidates = sorted(k for k in first_document if k.lower().endswith("id"))
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise LoupeError(
            "index_primary_key_no_candidate_found",
            "The primary key inference failed as the engine did not find any field ending with `id` "
            "in its name. Please specify the primary key manually using the `primaryKey` query parameter.",
        )
    raise LoupeError(
        "index_primary_key_multiple_candidates_found",
        f"The primary key inference failed as the engine found {len(candidates)} fields ending with `id` "
        f"in their names: '{candidates[0]}' and '{candidates[1]}'. Please specify the primary key "
        "manually using the `primaryKey` query parameter.",
    )


def get_path(document: dict[str, Any], path: str) -> Any:
    """Value at a dotted path (``a.b``), trying the literal key first like Meilisearch does."""
    if path in document:
        return document[path]
    head, dot, rest = path.partition(".")
    while dot:
        value = document.get(head, MISSING)
        if isinstance(value, dict):
            found = get_path(value, rest)
            if found is not MISSING:
                return found
        more, dot, rest = rest.partition(".")
        head = f"{head}.{more}"
    return MISSING


def invalid_id(value: Any) -> LoupeError:
    return LoupeError(
        "invalid_document_id",
        f"Document identifier `{compact_json(value)}` is invalid. A document identifier can be of type "
        "integer or string, only composed of alphanumeric characters (a-z A-Z 0-9), hyphens (-) and "
        "underscores (_), and can not be more than 511 bytes.",
    )


def external_id(value: Any) -> str:
    """The canonical string form of a document id, or `invalid_document_id`."""
    if isinstance(value, bool):
        raise invalid_id(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and _ID.match(value):
        return value
    raise invalid_id(value)


def document_id(document: dict[str, Any], primary_key: str) -> str:
    value = get_path(document, primary_key)
    if value is MISSING:
        raise LoupeError(
            "missing_document_id",
            f"Document doesn't have a `{primary_key}` attribute: `{compact_json(document)}`.",
        )
    return external_id(value)
