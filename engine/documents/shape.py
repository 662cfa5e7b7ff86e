"""Per-document limits checked before a document task writes anything (issue 19, tasks.md §5.1).

A document nested too deep, or one that would take its index past the field-id space, must fail
its own task with Meilisearch's error for it and leave the other tasks of its batch alone, so the
check runs on the whole payload before the first write:

    >>> check_shapes([{"id": 1, "a": {"b": [1, {"c": 2}]}}], {}, "json", b"")
    >>> deep = {"id": 1, "a": [[[]]]}
    >>> check_shapes([deep], {}, "json", b'{"id": 1, "a": [[[]]]}', max_nesting=2)
    Traceback (most recent call last):
    ...
    engine.errors.LoupeError: The `json` payload provided is malformed. `Couldn't serialize document value: recursion limit exceeded at line 1 column 17`.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..errors import LoupeError
from ..limits import MAX_FIELDS, MAX_VALUE_NESTING


_SCALARS = frozenset({str, int, float, bool, type(None)})


def fields_limit_reached() -> LoupeError:
    return LoupeError("max_fields_limit_exceeded", "A document cannot contain more than 65,535 fields.")


def check_shapes(documents: Iterable[dict[str, Any]], known_fields: Mapping[str, int], fmt: str, raw: bytes, *,
                 max_nesting: int = MAX_VALUE_NESTING, max_fields: int = MAX_FIELDS) -> None:
    """Raise the error of the first document too deep (`malformed_payload`, located in ``raw`` as
    serde_json locates it), or `max_fields_limit_exceeded` when ``known_fields`` plus the new
    dotted paths of the payload (objects included, as upstream's fields map holds them) exceed
    ``max_fields``.  One iterative walk: no recursion, whatever the depth."""
    new_fields: set[str] = set()
    room = max_fields - len(known_fields)
    for document in documents:
        stack: list[tuple[str, Any, int]] = [(key, value, 0) for key, value in document.items()]
        while stack:
            path, value, depth = stack.pop()
            if path not in known_fields and path not in new_fields:
                new_fields.add(path)
                if len(new_fields) > room:
                    raise fields_limit_reached()
            if isinstance(value, dict):
                if depth + 1 >= max_nesting:
                    raise _too_deep(fmt, raw, max_nesting)
                stack.extend((f"{path}.{key}", child, depth + 1) for key, child in value.items())
            elif isinstance(value, list):
                if depth + 1 >= max_nesting:
                    raise _too_deep(fmt, raw, max_nesting)
                if not _flat(value):
                    stack.extend((path, child, depth + 1) for child in value if isinstance(child, (dict, list)))


def _flat(values: list[Any]) -> bool:
    """No object or array inside: vectors and other flat arrays are skipped at C speed.  Summing
    is the fast test (~1 ns per float; a string, null, object or array raises), the element types
    the exact one."""
    try:
        sum(values)
        return True
    except (TypeError, OverflowError):
        return _SCALARS.issuperset(map(type, values))


def _too_deep(fmt: str, raw: bytes, max_nesting: int) -> LoupeError:
    line, column = _nesting_position(raw, max_nesting, ndjson=fmt == "ndjson")
    return LoupeError("malformed_payload", f"The `{fmt}` payload provided is malformed. `Couldn't serialize document "
                                           f"value: recursion limit exceeded at line {line} column {column}`.")


def _nesting_position(raw: bytes, max_nesting: int, *, ndjson: bool) -> tuple[int, int]:
    """Line and column (1-based) of the first bracket that opens level ``max_nesting`` of a field
    value.  Documents are the objects at the payload's top level or inside its top-level array;
    their fields' values start at the level below.  Only run once a document is known too deep."""
    first = raw.lstrip()[:1]
    value_level = 3 if first == b"[" else 2  # payload array, document object, then the value
    depth, line, line_start, in_string, escaped = 0, 1, 0, False, False
    for i, byte in enumerate(raw):
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth - value_level + 1 >= max_nesting:
                return line, i - line_start + 1
        elif byte in (0x5D, 0x7D):
            depth -= 1
        elif byte == 0x0A:
            line, line_start = line + 1, i + 1
            if ndjson:
                depth = 0  # each line is a document
    return line, len(raw) - line_start + 1
