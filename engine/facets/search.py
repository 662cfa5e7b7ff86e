"""Facet search (``POST /indexes/{uid}/facet-search``): a facet's string values matching a query.

    facet_search(source, candidates, "genres", "acton", settings, rules)  # [{"value": "Action", "count": 2}]

Counts come from the same candidate bitmap and facet source as the distribution (distribution.py).
"""
from __future__ import annotations

import heapq
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np
from pyroaring import BitMap
from rapidfuzz import process
from rapidfuzz.distance import OSA

from ..errors import LoupeError
from ..limits import DEFAULT_MAX_VALUES_PER_FACET, MAX_FACET_VALUE_BYTES
from ..languages.localized import field_locales
from ..tokenizer import normalize_facet_string
from .distribution import COUNT, FacetValues, _iter_nonzero_counts, sort_by_for
from .filterable import FilterableRules
from .values import truncate_utf8

# Same defaults as the typoTolerance setting (ranking.md §3.1).
DEFAULT_ONE_TYPO = 5
DEFAULT_TWO_TYPOS = 9
# Search-normalized forms of facet values are recomputed per request; a bounded cache keeps
# repeated facet searches over the same values cheap without growing without limit.
NORMALIZE_CACHE_SIZE = 200_000

FACET_SEARCH_DISABLED = "The facet search is disabled for this index"
FACET_SEARCH_HINT = "To make it facet-searchable add it to the `filterableAttributes` index settings."


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
def search_normalize(text: str, locales: tuple[str, ...] | None = None) -> str:
    """Facet-search form of a whole value: tokenizer normalization as one token, 468 bytes max.

    Stronger than the facet key (accents removed, ``æ`` -> ``ae``) so ``àdventure`` finds
    ``Adventure``.  ``locales``: the languages the text is read in (none: no language, as milli
    reads a facet string; see `normalize_facet_string`).
    """
    return truncate_utf8(normalize_facet_string(text, locales), MAX_FACET_VALUE_BYTES)


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
    locales: tuple[str, ...] | None = None,
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
    # as milli: the values were normalized at indexing with the locales of the facet's
    # localizedAttributes rule; the query is read with the search parameter, else the same
    found = field_locales(settings.get("localizedAttributes"), facet_name)
    field_locales_ = tuple(found) if found else None
    normalized = [search_normalize(key, field_locales_) for key in keys]
    query = search_normalize(facet_query, locales or field_locales_)
    matched = matching_values(query, normalized, settings.get("typoTolerance") or {}, facet_name)
    # upstream walks an FST of search-normalized values, each listing its stored keys in order
    matched.sort(key=lambda i: (normalized[i], keys[i]))
    for i in matched:
        count = candidates.intersection_cardinality(bitmaps[i])
        if count:
            hits.add(source.display_value(facet_name, keys[i]), count)
            if hits.full:
                break
    return hits.result()


__all__ = ["check_facet_searchable", "facet_search", "matching_values", "prefix_distances", "search_normalize",
           "typo_budget"]
