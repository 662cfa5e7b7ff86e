"""Facet distribution, facet stats and facet search: counting a candidate set per facet value.

The idea: the search decides *which* documents match (one candidate bitmap); this module only
consumes that set.  Every stored facet value already owns a bitmap of the documents holding it,
so a value's count is one roaring intersection cardinality — a loop over distinct values, never
over documents (filters-facets.md §5, §6)::

    candidates = {0, 2, 3}            genres:  "action" -> {0, 1, 2}    rating: 4.5 -> {2, 3}
                                               "drama"  -> {1}                  10  -> {0}
    facetDistribution = {"genres": {"Action": 2}, "rating": {"4.5": 2, "10": 1}}
    facetStats        = {"rating": {"min": 4.5, "max": 10.0}}

    facet_distribution(source, BitMap([0, 2, 3]), ["genres", "rating"], 100, {"*": "alpha"})
    facet_search(source, candidates, "genres", "acton", settings, rules)  # [{"value": "Action", "count": 2}]

Choices where upstream is quirky (documented so tests can pin them):

* ``alpha`` order of *numbers* is **numeric** (``2`` < ``10``).  Upstream sorts numbers by their
  string key below 3 000 candidates and numerically above; we always sort numerically.
* ``count`` order: decreasing count, equal counts in *reverse* key order (larger normalized string
  / larger number first) — what upstream does when all values sit in one facet-tree group.
* String keys use the source's display spelling: the original of the lowest docid holding the
  value in the whole index (the spec asks for the lowest docid *among the candidates*, which the
  facet table does not record).

Cost: numbers are always scanned whole (``facetStats`` needs the largest value among the
candidates and the source iterates upward only); strings in ``alpha`` order stop as soon as
``maxValuesPerFacet`` keys are filled, strings in ``count`` order are scanned whole.  A field none
of whose documents is a candidate (``exists ∩ candidates = ∅``) costs one intersection.  The
opposite strategy — walk the few candidates and read their values — would win for a field with
millions of distinct values and a handful of candidates, but the facet source has no
document -> values table, so it is not used.  Measured (100k documents, bench numbers in the
branch report): the LMDB source's own iteration — one bitmap decode per stored value — is most of
the time, so a keys-only iterator there is the next speed-up for facet search.
"""
from __future__ import annotations

import heapq
from functools import lru_cache
from typing import Any, Iterable, Mapping, Protocol, Sequence

import numpy as np
from pyroaring import BitMap
from rapidfuzz import process
from rapidfuzz.distance import OSA

from .errors import LoupeError
from .facet_values import MAX_FACET_VALUE_BYTES, format_facet_number, truncate_utf8
from .filterable import FilterableRules
from .limits import DEFAULT_MAX_VALUES_PER_FACET
from .tokenizer import normalize_word

ALPHA = "alpha"
COUNT = "count"
DEFAULT_SORT_FACET_VALUES_BY = {"*": ALPHA}
# Same defaults as the typoTolerance setting (ranking.md §3.1).
DEFAULT_ONE_TYPO = 5
DEFAULT_TWO_TYPOS = 9
# Search-normalized forms of facet values are recomputed per request; a bounded cache keeps
# repeated facet searches over the same values cheap without growing without limit.
NORMALIZE_CACHE_SIZE = 200_000

FACET_SEARCH_DISABLED = "The facet search is disabled for this index"
FACET_SEARCH_HINT = "To make it facet-searchable add it to the `filterableAttributes` index settings."


class FacetValues(Protocol):
    """The part of a facet source this module reads (``LmdbFacetSource``, test adapters)."""

    def number_values(self, field: str) -> Iterable[tuple[float, BitMap]]: ...  # ascending
    def string_values(self, field: str) -> Iterable[tuple[str, BitMap]]: ...  # normalized, bytewise
    def display_value(self, field: str, normalized: str) -> str: ...
    def exists(self, field: str) -> BitMap: ...


# -- facet distribution (filters-facets.md §5) ------------------------------------------------------

def sort_by_for(field: str, sort_facet_values_by: Mapping[str, str] | None) -> str:
    """The order of ``field``'s values: its exact entry in ``sortFacetValuesBy``, else ``"*"``."""
    order = sort_facet_values_by or DEFAULT_SORT_FACET_VALUES_BY
    if field in order:
        return order[field]
    return order.get("*", ALPHA)


def facet_distribution(
    source: FacetValues,
    candidates: BitMap,
    fields: Sequence[str],
    max_values: int,
    sort_by: Mapping[str, str] | None,
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]]:
    """(``facetDistribution``, ``facetStats``) of the candidate set over the selected fields.

    Keys sorted by field name; per field numbers first then strings, at most ``max_values``
    entries in total; ``facetStats`` only for fields with a numeric value among the candidates.
    """
    distribution: dict[str, dict[str, int]] = {}
    stats: dict[str, dict[str, float]] = {}
    for field in sorted(set(fields)):
        values, field_stats = field_distribution(source, candidates, field, max_values,
                                                 sort_by_for(field, sort_by))
        distribution[field] = values
        if field_stats is not None:
            stats[field] = field_stats
    return distribution, stats


def field_distribution(
    source: FacetValues, candidates: BitMap, field: str, max_values: int, order: str,
) -> tuple[dict[str, int], dict[str, float] | None]:
    """One field's ``{key: count}`` (output order) and its ``{"min", "max"}`` or None."""
    if not candidates or not candidates.intersect(source.exists(field)):
        return {}, None
    numbers = _nonzero_counts(source.number_values(field), candidates)
    stats = None
    if numbers:
        stats = {"min": float(min(v for v, _ in numbers)), "max": float(max(v for v, _ in numbers))}
    out: dict[str, int] = {}
    if max_values <= 0:
        return out, stats
    if order == COUNT:
        numbers = _by_count(numbers, max_values)
    for number, count in numbers[:max_values]:
        out[format_facet_number(number)] = count
    if len(out) >= max_values:
        return out, stats
    strings: Iterable[tuple[str, int]]
    if order == COUNT:
        strings = _by_count(_nonzero_counts(source.string_values(field), candidates), max_values)
    else:
        strings = _iter_nonzero_counts(source.string_values(field), candidates)
    for key, count in strings:
        # a string spelled like a number key overwrites its count in place (as upstream's map does)
        out[source.display_value(field, key)] = count
        if len(out) >= max_values:
            break
    return out, stats


def _iter_nonzero_counts(values: Iterable[tuple[Any, BitMap]], candidates: BitMap) -> Iterable[tuple[Any, int]]:
    for key, bitmap in values:
        count = candidates.intersection_cardinality(bitmap)
        if count:
            yield key, count


def _nonzero_counts(values: Iterable[tuple[Any, BitMap]], candidates: BitMap) -> list[tuple[Any, int]]:
    return list(_iter_nonzero_counts(values, candidates))


def _by_count(pairs: list[tuple[Any, int]], limit: int) -> list[tuple[Any, int]]:
    """The ``limit`` largest counts, decreasing; equal counts in reverse key order."""
    return heapq.nlargest(limit, pairs, key=lambda pair: (pair[1], pair[0]))


# -- facet search (filters-facets.md §6.3) ----------------------------------------------------------

def check_facet_searchable(facet_name: str, rules: FilterableRules) -> None:
    """Raise ``invalid_facet_search_facet_name`` unless the first matching rule enables facetSearch."""
    found = rules.match(facet_name)
    if found is not None and found[1].facet_search:
        return
    if found is not None:
        n = found[0]
        detail = (f"Note: this attribute matches rule #{n} in filterableAttributes, but this rule does not "
                  f"enable facetSearch.\nHint: enable facetSearch in rule #{n} by adding "
                  f"`\"facetSearch\": true` to the rule.\nHint: prepend another rule matching {facet_name} "
                  f"with facetSearch: true before rule #{n}")
    else:
        patterns = rules.facet_searchable_patterns()
        if patterns:
            detail = f"Available facet-searchable attributes patterns are: `{', '.join(patterns)}`. {FACET_SEARCH_HINT}"
        else:
            detail = f"This index does not have configured facet-searchable attributes. {FACET_SEARCH_HINT}"
    raise LoupeError("invalid_facet_search_facet_name", f"Attribute `{facet_name}` is not facet-searchable. {detail}")


@lru_cache(maxsize=NORMALIZE_CACHE_SIZE)
def search_normalize(text: str) -> str:
    """Facet-search form of a whole value: tokenizer normalization as one token, 468 bytes max.

    Stronger than the facet key (accents removed, ``æ`` -> ``ae``) so ``àdventure`` finds
    ``Adventure``.
    """
    return truncate_utf8(normalize_word(text), MAX_FACET_VALUE_BYTES)


def typo_budget(query: str, one_typo: int, two_typos: int) -> int:
    """Typos allowed for a facet query, from its UTF-8 byte length (no first-letter rule)."""
    size = len(query.encode())
    if size < one_typo:
        return 0
    return 1 if size < two_typos else 2


def prefix_distances(query: str, values: Sequence[str], budget: int) -> np.ndarray:
    """``min over L of OSA(query, value[:L])`` per value, values above ``budget`` as ``budget+1``.

    Only prefixes of ``len(query) ± budget`` chars can be within the budget (OSA is at least the
    length difference), so it is ``2·budget+1`` vectorised rapidfuzz passes.
    """
    best = np.full(len(values), budget + 1, dtype=np.int32)
    if not values:
        return best
    n = len(query)
    for length in range(max(0, n - budget), n + budget + 1):
        prefixes = [value[:length] for value in values]
        found = process.cdist([query], prefixes, scorer=OSA.distance, score_cutoff=budget,
                              dtype=np.int32, workers=1)[0]
        np.minimum(best, found, out=best)
    return best


def matching_values(query: str | None, values: Sequence[str], typo: Mapping[str, Any], facet_name: str) -> list[int]:
    """Indexes of the search-normalized ``values`` the (normalized) query selects (§6.3.5)."""
    if query is None:
        return list(range(len(values)))
    if not typo.get("enabled", True) or facet_name in (typo.get("disableOnAttributes") or ()):
        return [i for i, value in enumerate(values) if value.startswith(query)]
    if query in {search_normalize(word) for word in typo.get("disableOnWords") or ()}:
        return [i for i, value in enumerate(values) if value == query]
    sizes = typo.get("minWordSizeForTypos") or {}
    budget = typo_budget(query, sizes.get("oneTypo", DEFAULT_ONE_TYPO), sizes.get("twoTypos", DEFAULT_TWO_TYPOS))
    if budget == 0:
        return [i for i, value in enumerate(values) if value.startswith(query)]
    return np.flatnonzero(prefix_distances(query, values, budget) <= budget).tolist()


class _Hits:
    """``maxValuesPerFacet`` hits in ``alpha`` (first ones) or ``count`` (best ones) order.

    The count variant mirrors upstream's min-heap: once full, a hit replaces the current worst
    when its count is at least as large, so among equal counts later values win.
    """

    def __init__(self, order: str, max_values: int):
        self.by_count = order == COUNT
        self.max = max_values
        self.items: list[tuple[int, str]] = []

    @property
    def full(self) -> bool:
        return not self.by_count and len(self.items) >= self.max

    def add(self, value: str, count: int) -> None:
        if self.max <= 0:
            return
        if not self.by_count:
            if len(self.items) < self.max:
                self.items.append((count, value))
        elif len(self.items) < self.max:
            heapq.heappush(self.items, (count, value))
        elif self.items[0][0] <= count:
            heapq.heapreplace(self.items, (count, value))

    def result(self) -> list[dict[str, Any]]:
        items = sorted(self.items, reverse=True) if self.by_count else self.items
        return [{"value": value, "count": count} for count, value in items]


def facet_search(
    source: FacetValues,
    candidates: BitMap,
    facet_name: str,
    facet_query: str | None,
    settings: Mapping[str, Any],
    rules: FilterableRules,
    exhaustive: bool = False,
) -> list[dict[str, Any]]:
    """``facetHits`` of ``POST /facet-search``: string values of ``facet_name`` matching the query.

    ``candidates`` are the documents of the embedded search; ``exhaustive`` only changes how the
    caller applies distinct to them, so it is accepted for symmetry and not used here.
    """
    del exhaustive
    if not settings.get("facetSearch", True):
        raise LoupeError("facet_search_disabled", FACET_SEARCH_DISABLED)
    check_facet_searchable(facet_name, rules)
    faceting = settings.get("faceting") or {}
    max_values = faceting.get("maxValuesPerFacet", DEFAULT_MAX_VALUES_PER_FACET)
    hits = _Hits(sort_by_for(facet_name, faceting.get("sortFacetValuesBy")), max_values)
    if max_values <= 0 or not candidates:
        return []
    if facet_query is None:
        # stored (normalized) key order; alpha can stop at the first `max_values` hits
        for key, count in _iter_nonzero_counts(source.string_values(facet_name), candidates):
            hits.add(source.display_value(facet_name, key), count)
            if hits.full:
                break
        return hits.result()
    keys, bitmaps = [], []
    for key, bitmap in source.string_values(facet_name):
        keys.append(key)
        bitmaps.append(bitmap)
    normalized = [search_normalize(key) for key in keys]
    matched = matching_values(search_normalize(facet_query), normalized, settings.get("typoTolerance") or {},
                              facet_name)
    # upstream walks an FST of search-normalized values, each listing its stored keys in order
    matched.sort(key=lambda i: (normalized[i], keys[i]))
    for i in matched:
        count = candidates.intersection_cardinality(bitmaps[i])
        if count:
            hits.add(source.display_value(facet_name, keys[i]), count)
            if hits.full:
                break
    return hits.result()


__all__ = [
    "ALPHA", "COUNT", "FacetValues", "check_facet_searchable", "facet_distribution", "facet_search",
    "field_distribution", "matching_values", "prefix_distances", "search_normalize", "sort_by_for",
    "typo_budget",
]
