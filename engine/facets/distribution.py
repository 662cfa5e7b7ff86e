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
from typing import Any, Iterable, Mapping, Protocol, Sequence

from pyroaring import BitMap

from .values import format_facet_number

ALPHA = "alpha"
COUNT = "count"
DEFAULT_SORT_FACET_VALUES_BY = {"*": ALPHA}


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


__all__ = ["ALPHA", "COUNT", "FacetValues", "facet_distribution", "field_distribution", "sort_by_for"]
