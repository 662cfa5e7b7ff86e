"""Fields of documents: the dotted-path names, their ids, and what each document holds in them.

Nested objects flatten to dotted paths and array elements feed the same path, in document order:

    >>> flatten_leaves({"a": {"b": "x", "c": [1, {"d": True}]}, "e": None})
    {'a.b': ['x'], 'a.c': ['1'], 'a.c.d': ['true']}
"""
from __future__ import annotations

from typing import Any, Callable

import orjson

RESERVED_FIELDS = ("_vectors", "_geo")


def _leaf_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return orjson.dumps(value).decode()
    return None


def flatten_leaves(document: dict[str, Any]) -> dict[str, list[str]]:
    """Searchable text of a document per dotted path (numbers/booleans as JSON text)."""
    out: dict[str, list[str]] = {}
    stack: list[tuple[str, Any]] = [(k, v) for k, v in reversed(list(document.items())) if k not in RESERVED_FIELDS]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{path}.{k}", v) for k, v in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((path, v) for v in reversed(value))
        else:
            text = _leaf_text(value)
            if text is not None:
                out.setdefault(path, []).append(text)
    return out


def field_paths(document: dict[str, Any]) -> list[str]:
    """Every dotted path present in a document (objects included), in document order."""
    out: list[str] = []
    stack: list[tuple[str, Any]] = [(k, v) for k, v in reversed(list(document.items()))]
    seen: set[str] = set()
    while stack:
        path, value = stack.pop()
        if path not in seen:
            seen.add(path)
            out.append(path)
        if isinstance(value, dict):
            stack.extend((f"{path}.{k}", v) for k, v in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((path, v) for v in reversed(value) if isinstance(v, (dict, list)))
    return out


def searchable_weight(field: str, searchable: list[str]) -> int | None:
    """Attribute-rank weight of a field: index of the first entry equal to it or an ancestor.

    ``None`` = not searchable.  With ``["*"]`` every field weighs 0 (ranking.md §7.5).
    """
    if "*" in searchable:
        return 0
    for weight, entry in enumerate(searchable):
        if field == entry or field.startswith(entry + "."):
            return weight
    return None


class FieldsMap:
    """name <-> fid, assigned in first-seen order and never reused (stored in index_meta)."""

    def __init__(self, names: list[str] | None = None):
        self.names: list[str] = list(names or [])
        self.ids: dict[str, int] = {n: i for i, n in enumerate(self.names)}
        self.dirty = False

    def id(self, name: str) -> int:
        fid = self.ids.get(name)
        if fid is None:
            fid = len(self.names)
            self.names.append(name)
            self.ids[name] = fid
            self.dirty = True
        return fid


_SELECTION_CACHE_MAX = 4096  # distinct key sets remembered per cache (documents rarely vary much)


def select_keys(document: dict[str, Any], cache: dict[Any, Any], wanted: Callable[[str], bool]) -> dict[str, Any]:
    """The top-level keys of a document that ``wanted`` accepts (answers cached per key).

    The cache also remembers the selection per tuple of keys: documents of one payload mostly
    share their key set, so the per-key loop runs once per shape, not once per document.
    """
    names = tuple(document)
    chosen = cache.get(names)
    if chosen is None:
        chosen = []
        for key in names:
            keep = cache.get(key)
            if keep is None:
                keep = cache[key] = wanted(key)
            if keep:
                chosen.append(key)
        if len(cache) < _SELECTION_CACHE_MAX:
            cache[names] = chosen
    return {key: document[key] for key in chosen}
