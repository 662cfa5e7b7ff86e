"""The order of a documents listing (`GET /documents`, `POST /documents/fetch` with ``sort``).

Documents come in internal-id order unless ``sort`` is given: then they are ordered by those
entries as a search's `sort` parameter orders hits (numbers before strings, documents without
the field last, ties in internal-id order; `_geoPoint` by distance), whatever the index's
ranking rules say.  Only the page asked for is ordered: buckets are walked until it is full.
"""
from __future__ import annotations

from typing import Any, Sequence

from pyroaring import BitMap

from ..errors import LoupeError
from ..search.sort_spec import GEO_FIELD, SortSpec, is_sortable, not_sortable_message, parse_sort

SORT_CODE = "invalid_document_sort"


def sort_specs(entries: Sequence[str], settings: dict[str, Any]) -> tuple[Any, ...]:
    """The parsed entries, each on a sortable attribute (milli's errors, without an index
    prefix: a listing's errors never carry one)."""
    specs = parse_sort(entries, SORT_CODE)
    sortable = list(settings.get("sortableAttributes") or [])
    for spec in specs:
        field = spec.field if isinstance(spec, SortSpec) else GEO_FIELD
        if not (is_sortable(field, sortable) if isinstance(spec, SortSpec) else GEO_FIELD in sortable):
            raise LoupeError(SORT_CODE, not_sortable_message(field, sortable, None))
    return specs


def ordered_page(ctx: Any, candidates: BitMap, specs: Sequence[Any], offset: int, limit: int) -> list[int]:
    """Docids ``[offset, offset + limit)`` of ``candidates`` in the order of ``specs``."""
    from ..search.rules.sort import GeoSortRule, SortRule
    rules = [SortRule(s.field, s.ascending) if isinstance(s, SortSpec) else GeoSortRule(s.lat, s.lng, s.ascending)
             for s in specs]
    return _ordered(ctx, candidates, rules, offset + limit)[offset:offset + limit]


def _ordered(ctx: Any, universe: BitMap, rules: list[Any], need: int) -> list[int]:
    if not rules or len(universe) <= 1:
        return list(universe[:need]) if need < len(universe) else list(universe)
    out: list[int] = []
    for bucket, _score, _state in rules[0].buckets(ctx, universe, None):
        out.extend(_ordered(ctx, bucket, rules[1:], need - len(out)))
        if len(out) >= need:
            break
    return out


__all__ = ["ordered_page", "sort_specs"]
