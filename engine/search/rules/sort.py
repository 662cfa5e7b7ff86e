"""Sort rules: the `sort` parameter and custom `field:asc|desc` rules (ranking.md §7.8–7.9).

Order: documents with a number (by number), then with a string (by normalized string), then the
rest as one bucket.  A document with several values sorts at its best one for the direction.
Per-field arrays indexed by docid (min/max number, min/max string rank) are built once per index
version from the facet table, so a bucket is ordered with numpy, not by walking every value.
"""
from __future__ import annotations

from itertools import chain
from typing import Any, Iterator

import numpy as np
from pyroaring import BitMap

from ...filters.evaluate import haversine_exact_m, to_millimetre
from ...store.codecs import bitmap_from_array, bitmap_to_array
from ..context import SearchContext
from ..sort_spec import GeoSortSpec, SortSpec
from .base import Rule, RulePlan, Score, State


class SortArrays:
    """Per docid: the smallest and largest number and string rank of ``field``, NaN / -1 for none.

    The facet table yields each distinct value with its documents, numbers ascending and strings in
    rank order; the arrays are filled from those lists concatenated, in a few numpy passes (a
    field like `name` has one value per document: a loop per value took seconds)."""

    def __init__(self, ctx: SearchContext, field: str):
        size = (max(ctx.all_docids) + 1) if ctx.all_docids else 1
        numbers = list(ctx.facets.number_values(field))
        self.num_min, self.num_max = _extremes(size, [v for v, _ in numbers], [bm for _, bm in numbers], np.nan)
        strings = list(ctx.facets.string_values(field))
        self.strings: list[str] = [value for value, _ in strings]
        self.str_min, self.str_max = _extremes(size, list(range(len(strings))), [bm for _, bm in strings], -1)


def _extremes(size: int, values: list, bitmaps: list[BitMap], missing: float) -> tuple[np.ndarray, np.ndarray]:
    """(first, last) value of each docid below ``size`` in the ascending ``values``, whose
    documents are ``bitmaps``; ``missing`` where a docid has none."""
    dtype = np.float64 if isinstance(missing, float) else np.int64
    low, high = np.full(size, missing, dtype=dtype), np.full(size, missing, dtype=dtype)
    if not values:
        return low, high
    counts = np.fromiter((len(bm) for bm in bitmaps), dtype=np.int64, count=len(bitmaps))
    # one iteration over all the documents: converting each bitmap on its own costs ~10 µs apiece
    ids = np.fromiter(chain.from_iterable(bitmaps), dtype=np.int64, count=int(counts.sum()))
    per_id = np.repeat(np.asarray(values, dtype=dtype), counts)
    keep = ids < size
    ids, per_id = ids[keep], per_id[keep]
    docs, first = np.unique(ids, return_index=True)
    low[docs] = per_id[first]
    docs, first_from_end = np.unique(ids[::-1], return_index=True)
    high[docs] = per_id[::-1][first_from_end]
    return low, high


def sort_arrays(ctx: SearchContext, field: str) -> SortArrays:
    cache = ctx.cache
    with cache.lock:
        arrays = cache.sort_arrays.get(field)
    if arrays is None:
        arrays = SortArrays(ctx, field)
        with cache.lock:
            cache.sort_arrays[field] = arrays
    return arrays


def _groups(docs: np.ndarray, values: np.ndarray, ascending: bool) -> Iterator[tuple[Any, np.ndarray]]:
    if not len(docs):
        return
    order = np.argsort(values if ascending else -values, kind="stable")
    docs, values = docs[order], values[order]
    bounds = (np.flatnonzero(np.diff(values)) + 1).tolist()
    start = 0
    for end in bounds + [len(docs)]:  # lazily: the bucket sort usually stops after a few buckets
        yield values[start], docs[start:end]
        start = end


class SortRule(Rule):
    """Orders by one field; as the ``sort`` ranking rule it expands the query's `sort` parameter
    (one rule per entry, `_geoPoint` entries becoming `GeoSortRule`)."""

    name = "sort"
    textual = False

    def __init__(self, field: str, ascending: bool, key: str | None = None, redacted: bool = False):
        self.field, self.ascending, self.redacted = field, ascending, redacted
        self.sorted_field = field
        self.key = key or f"{field}:{'asc' if ascending else 'desc'}"

    @classmethod
    def build(cls, plan: RulePlan) -> list[Rule]:
        return [SORT_RULES[type(spec)].from_spec(spec, plan) for spec in plan.sort]

    @classmethod
    def from_spec(cls, spec: SortSpec, plan: RulePlan) -> "SortRule":
        return cls.on_field(spec.field, spec.ascending, plan)

    @classmethod
    def on_field(cls, field: str, ascending: bool, plan: RulePlan) -> "SortRule":
        """A sort on ``field``; upstream hides its details when the exact field name is not
        displayed (a displayed parent object does not reveal it)."""
        return cls(field, ascending, redacted=plan.displayed is not None and field not in plan.displayed)

    def buckets(self, ctx: SearchContext, universe: BitMap, state: State) -> Iterator[tuple[BitMap, Score, State]]:
        arrays = sort_arrays(ctx, self.field)
        docs = bitmap_to_array(universe).astype(np.int64)
        size = len(arrays.num_min)
        inside = docs < size
        known, unknown = docs[inside], docs[~inside]
        numbers = arrays.num_min[known] if self.ascending else arrays.num_max[known]
        has_number = ~np.isnan(numbers)
        for value, group in _groups(known[has_number], numbers[has_number], self.ascending):
            yield bitmap_from_array(group), self._score(float(value)), state
        rest = known[~has_number]
        ranks = arrays.str_min[rest] if self.ascending else arrays.str_max[rest]
        has_string = ranks >= 0
        for rank, group in _groups(rest[has_string], ranks[has_string], self.ascending):
            yield bitmap_from_array(group), self._score(arrays.strings[int(rank)]), state
        leftover = np.concatenate((rest[~has_string], unknown))
        if len(leftover):
            yield bitmap_from_array(np.sort(leftover)), self._score(None), state

    def _score(self, value: Any) -> Score:
        return Score(self.key, 0, 0, (("value", value),), in_score=False, redacted=self.redacted)


class GeoSortRule(Rule):
    """`_geoPoint(lat, lng):asc|desc`; distances within 1 m of a bucket's first document tie.
    Built only from the `sort` parameter (`SORT_RULES`): settings refuse `_geoPoint`."""

    name = "_geoPoint"
    textual = False

    def __init__(self, lat: float, lng: float, ascending: bool):
        self.lat, self.lng, self.ascending = lat, lng, ascending
        self.key = f"_geoPoint({_num(lat)}, {_num(lng)}):{'asc' if ascending else 'desc'}"

    @classmethod
    def from_spec(cls, spec: GeoSortSpec, plan: RulePlan) -> "GeoSortRule":
        return cls(spec.lat, spec.lng, spec.ascending)

    def buckets(self, ctx: SearchContext, universe: BitMap, state: State) -> Iterator[tuple[BitMap, Score, State]]:
        docids, lats, lngs = ctx.facets.geo_points()
        mask = np.isin(docids, bitmap_to_array(universe))
        docids, lats, lngs = docids[mask], lats[mask], lngs[mask]
        exact = haversine_exact_m(self.lat, self.lng, lats, lngs) if len(docids) else np.empty(0)
        distances = to_millimetre(exact)  # compared to the millimetre, reported unrounded
        order = np.argsort(distances if self.ascending else -distances, kind="stable")
        i = 0
        while i < len(order):
            first = distances[order[i]]
            j = i + 1
            while j < len(order) and j - i < 1000 and abs(distances[order[j]] - first) <= 1.0:
                j += 1
            picked = order[i:j]
            yield (bitmap_from_array(np.sort(docids[picked])),
                   Score(self.key, 0, 0, (("value", {"lat": float(lats[picked[0]]), "lng": float(lngs[picked[0]])}),
                                          ("distance", float(exact[picked[0]]))), in_score=False), state)
            i = j
        rest = universe - bitmap_from_array(docids)
        if rest:
            yield rest, Score(self.key, 0, 0, (("value", None), ("distance", None)), in_score=False), state


SORT_RULES: dict[type, Any] = {SortSpec: SortRule, GeoSortSpec: GeoSortRule}
"""The rule class each kind of `sort` parameter entry becomes."""


def _num(x: float) -> str:
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text
