"""The facet values one document holds under one field, read from its stored JSON.

Federated search compares hits of different indexes by these values (`federation.distinct`) and
takes rejected hits out of facet counts, so it needs them per document rather than per index::

    >>> field_values({"doggos": [{"age": 2}, {"age": 2.5}], "name": " Rex "}, "doggos.age")
    [2, 2.5]
    >>> field_values({"name": " Rex ", "good": True}, "name"), field_values({"good": True}, "good")
    (['rex'], ['true'])

Strings come back normalized (as facet keys are stored), booleans as ``"true"``/``"false"``,
numbers as the JSON held them: ``1`` and ``1.0`` stay an int and a float, so a caller can tell
them apart as Meilisearch does.  Arrays are walked (also arrays of objects under a dotted path);
null, empty strings and non-finite numbers hold no value.
"""
from __future__ import annotations

import math
from typing import Any, Union

from ..facets.values import normalize_facet_string

FieldValue = Union[str, int, float]


def field_values(document: dict[str, Any], field: str) -> list[FieldValue]:
    out: list[FieldValue] = []
    stack: list[tuple[str, Any]] = [(key, value) for key, value in reversed(list(document.items()))
                                    if _on_path(key, field)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{path}.{key}", sub) for key, sub in reversed(list(value.items()))
                         if _on_path(f"{path}.{key}", field))
        elif isinstance(value, list):
            for item in reversed(value):
                stack.append((path, item))
        elif path == field:
            leaf = _leaf(value)
            if leaf is not None:
                out.append(leaf)
    return out


def _on_path(path: str, field: str) -> bool:
    return field == path or field.startswith(path + ".")


def _leaf(value: Any) -> FieldValue | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and value:
        return normalize_facet_string(value)
    return None


__all__ = ["FieldValue", "field_values"]
