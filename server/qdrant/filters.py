"""Qdrant filters: parsed once, then (1) translated into a Loupe filter selecting a superset of the
matching points, for the engine, and (2) checked exactly against each candidate's payload.

Why both: Loupe's facet index compares strings case-folded and knows nothing of Qdrant's array
and nesting rules, so the translation (`pushdown`) only narrows the engine's universe, and
`matches` decides, with Qdrant's semantics:

* ``key`` paths are dotted; ``a[]`` (or any array met on the way) means "any element";
* ``match``: ``value`` (keyword, integer or bool, exact), ``any`` (one of), ``except`` (present
  and none of), ``text`` (substring); ``range`` (gt/gte/lt/lte on numbers); ``values_count``;
* ``is_empty`` (missing, null or []), ``is_null``, ``has_id``, ``nested`` (one array element
  satisfies the whole inner filter), nested filters, ``must``/``should``/``must_not``/``min_should``.

A field condition on a missing key is false.  The translation of a clause that Loupe cannot
express as a superset (``except``, ``must_not`` of anything but integer ids, …) is "everything".
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from .errors import bad_request
from .points import PointId, point_id

_MISSING = object()
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+(\[\])?(\.[A-Za-z0-9_-]+(\[\])?)*$")

Check = Callable[[dict[str, Any], PointId], bool]


@dataclass(frozen=True)
class Filter:
    """A parsed filter: ``check(payload, id)`` and its Loupe translation (None: everything)."""

    check: Check
    loupe: str | None
    everything: bool = False  # no condition at all: the exact check drops nothing


def _format_error(message: str) -> Exception:
    return bad_request(f"Format error in JSON body: {message}")


# -- payload paths ----------------------------------------------------------------------------------

def _parts(key: str) -> list[str]:
    if not isinstance(key, str) or not key:
        raise _format_error(f"invalid payload key {key!r}")
    return [part[:-2] if part.endswith("[]") else part for part in key.split(".")]


def values_at(payload: Any, key: str) -> list[Any]:
    """Every value at ``key``, arrays flattened (Qdrant: a condition holds if any element does)."""
    current = [payload]
    for part in _parts(key):
        following = []
        for value in current:
            if isinstance(value, dict) and part in value:
                found = value[part]
                following.extend(found if isinstance(found, list) else [found])
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, dict) and part in item:
                        found = item[part]
                        following.extend(found if isinstance(found, list) else [found])
        current = following
    return current


def raw_at(payload: Any, key: str) -> Any:
    """The value at ``key`` without flattening the last array (`_MISSING` when absent)."""
    parts = _parts(key)
    current: Any = payload
    for part in parts:
        if isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return _MISSING
    return current


# -- literals ---------------------------------------------------------------------------------------

def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same(stored: Any, wanted: Any) -> bool:
    """Qdrant's match equality: same kind (string, bool, number) and equal."""
    if isinstance(wanted, bool) or isinstance(stored, bool):
        return isinstance(wanted, bool) and isinstance(stored, bool) and stored == wanted
    if isinstance(wanted, str):
        return isinstance(stored, str) and stored == wanted
    return _number(stored) and _number(wanted) and stored == wanted


def _literal(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return None


def _field(key: str) -> str | None:
    """The Loupe field of a payload key, None when the filter syntax cannot name it."""
    if not _PLAIN_KEY.match(key):
        return None
    return "payload." + key.replace("[]", "")


def _and(parts: list[str | None]) -> str | None:
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else " AND ".join(f"({p})" for p in kept)


def _or(parts: list[str | None]) -> str | None:
    if not parts or any(p is None for p in parts):
        return None
    return parts[0] if len(parts) == 1 else " OR ".join(f"({p})" for p in parts)


# -- conditions -------------------------------------------------------------------------------------

def _match(key: str, match: Any) -> Filter:
    if not isinstance(match, dict) or len(match) != 1:
        raise _format_error("`match` must have exactly one of `value`, `any`, `except`, `text`")
    (kind, wanted), = match.items()
    field = _field(key)
    if kind == "value":
        if not isinstance(wanted, (str, int, bool)):
            raise _format_error("`match.value` must be a string, an integer or a boolean")
        literal = _literal(wanted)
        return Filter(lambda p, _i: any(_same(v, wanted) for v in values_at(p, key)),
                      f"{field} = {literal}" if field else None)
    if kind in ("any", "except"):
        if not isinstance(wanted, list) or not all(isinstance(w, (str, int)) and not isinstance(w, bool)
                                                   for w in wanted):
            raise _format_error(f"`match.{kind}` must be an array of strings or integers")
        if kind == "any":
            literals = ", ".join(_literal(w) for w in wanted)
            return Filter(lambda p, _i: any(_same(v, w) for v in values_at(p, key) for w in wanted),
                          f"{field} IN [{literals}]" if field and wanted else None)
        return Filter(lambda p, _i: any(not any(_same(v, w) for w in wanted) for v in values_at(p, key)), None)
    if kind in ("text", "phrase"):
        if not isinstance(wanted, str):
            raise _format_error(f"`match.{kind}` must be a string")
        return Filter(lambda p, _i: any(isinstance(v, str) and wanted in v for v in values_at(p, key)), None)
    raise _format_error(f"unknown match `{kind}`")


_RANGE_OPS = {"gt": (">", lambda v, b: v > b), "gte": (">=", lambda v, b: v >= b),
              "lt": ("<", lambda v, b: v < b), "lte": ("<=", lambda v, b: v <= b)}


def _bounds(value: Any, what: str) -> list[tuple[str, float]]:
    if not isinstance(value, dict) or not set(value) <= set(_RANGE_OPS):
        raise _format_error(f"`{what}` takes gt, gte, lt and lte")
    bounds = [(op, bound) for op, bound in value.items() if bound is not None]
    if not all(_number(b) for _op, b in bounds):
        raise _format_error(f"`{what}` bounds must be numbers")
    return bounds


def _range(key: str, value: Any) -> Filter:
    bounds = _bounds(value, "range")
    field = _field(key)

    def check(payload: dict[str, Any], _id: PointId) -> bool:
        return any(_number(v) and all(_RANGE_OPS[op][1](v, b) for op, b in bounds) for v in values_at(payload, key))

    loupe = _and([f"{field} {_RANGE_OPS[op][0]} {_literal(b)}" for op, b in bounds]) if field else None
    return Filter(check, loupe)


def _values_count(key: str, value: Any) -> Filter:
    bounds = _bounds(value, "values_count")
    return Filter(lambda p, _i: all(_RANGE_OPS[op][1](len(values_at(p, key)), b) for op, b in bounds), None)


def _is_empty(value: Any) -> Filter:
    key = _key_of(value, "is_empty")

    def check(payload: dict[str, Any], _id: PointId) -> bool:
        raw = raw_at(payload, key)
        return raw is _MISSING or raw is None or raw == []

    return Filter(check, None)


def _is_null(value: Any) -> Filter:
    key = _key_of(value, "is_null")
    return Filter(lambda p, _i: raw_at(p, key) is None, None)


def _key_of(value: Any, what: str) -> str:
    if not isinstance(value, dict) or not isinstance(value.get("key"), str):
        raise _format_error(f"`{what}` must be {{\"key\": …}}")
    return value["key"]


def _has_id(value: Any) -> Filter:
    if not isinstance(value, list):
        raise _format_error("`has_id` must be an array of point ids")
    ids = {point_id(v) for v in value}
    literals = ", ".join(_literal(i) for i in sorted(ids, key=str))
    return Filter(lambda _p, i: i in ids, f"id IN [{literals}]" if ids else None)


def _nested(value: Any) -> Filter:
    key = _key_of(value, "nested")
    inner = parse_filter(value.get("filter"))

    def check(payload: dict[str, Any], point: PointId) -> bool:
        return any(isinstance(item, dict) and inner.check(item, point) for item in values_at(payload, key))

    return Filter(check, None)


def _condition(value: Any) -> Filter:
    if not isinstance(value, dict):
        raise _format_error("a condition must be an object")
    if "key" in value:
        key = value["key"]
        _parts(key)
        if "match" in value:
            return _match(key, value["match"])
        if "range" in value:
            return _range(key, value["range"])
        if "values_count" in value:
            return _values_count(key, value["values_count"])
        raise _format_error(f"unsupported field condition on `{key}` (match, range and values_count are served)")
    if "is_empty" in value:
        return _is_empty(value["is_empty"])
    if "is_null" in value:
        return _is_null(value["is_null"])
    if "has_id" in value:
        return _has_id(value["has_id"])
    if "nested" in value:
        return _nested(value["nested"])
    if set(value) & {"must", "should", "must_not", "min_should"}:
        return parse_filter(value)
    raise _format_error(f"unknown condition {sorted(value)}")


def _conditions(value: Any, what: str) -> list[Filter]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [_condition(item) for item in items]


def parse_filter(value: Any) -> Filter:
    """A filter object (None: everything)."""
    if value is None:
        return Filter(lambda _p, _i: True, None, everything=True)
    if not isinstance(value, dict):
        raise _format_error("`filter` must be an object")
    unknown = set(value) - {"must", "should", "must_not", "min_should"}
    if unknown:
        raise _format_error(f"unknown filter field `{sorted(unknown)[0]}`")
    must = _conditions(value.get("must"), "must")
    should = _conditions(value.get("should"), "should")
    must_not = _conditions(value.get("must_not"), "must_not")
    min_should = value.get("min_should")
    min_conditions, min_count = [], 0
    if min_should is not None:
        if not isinstance(min_should, dict) or not isinstance(min_should.get("min_count"), int):
            raise _format_error("`min_should` must be {\"conditions\": […], \"min_count\": n}")
        min_conditions = _conditions(min_should.get("conditions"), "min_should")
        min_count = min_should["min_count"]

    def check(payload: dict[str, Any], point: PointId) -> bool:
        return (all(c.check(payload, point) for c in must)
                and (not should or any(c.check(payload, point) for c in should))
                and not any(c.check(payload, point) for c in must_not)
                and (min_should is None or sum(c.check(payload, point) for c in min_conditions) >= min_count))

    exact_not = [f"NOT ({c.loupe})" for c in must_not if c.loupe is not None and c.loupe.startswith("id IN [")
                 and '"' not in c.loupe]
    loupe = _and([c.loupe for c in must] + [_or([c.loupe for c in should]) if should else None] + exact_not)
    return Filter(check, loupe)
