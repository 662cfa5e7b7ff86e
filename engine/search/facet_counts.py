"""Facet counts of a candidate set the caller already has (filters-facets.md §5).

A search computes its own facets over its candidates; a caller that combines several searches of
one index (federated search: the union of its queries' candidates, minus what distinct dropped)
asks for the counts of that combined set here, with the index's `faceting` settings::

    >>> index.facet_counts(BitMap([0, 2]), ("genres",))          # doctest: +SKIP
    FacetCounts(distribution={'genres': {'Drama': 2}}, stats={})

The requested names are checked like a search's `facets` (`invalid_search_facets`), without the
``Index `uid`: `` prefix: the caller says where the names came from.
"""
from __future__ import annotations

from typing import Any, Sequence

from pyroaring import BitMap

from ..facets import facet_distribution
from ..facets.distribution import sort_by_for
from ..limits import DEFAULT_MAX_VALUES_PER_FACET
from ..store.registry import Registry
from ..store import Store
from .checks import check_facets
from .context import SearchContext
from .query import FacetCounts


def facet_counts(store: Store, registry: Registry, uid: str, candidates: BitMap,
                 facets: Sequence[str], txn: Any) -> FacetCounts:
    """facetDistribution and facetStats of ``candidates`` over the fields ``facets`` selects, each
    field's values ordered by ``faceting.sortFacetValuesBy`` and cut at ``maxValuesPerFacet``, read
    in the caller's snapshot ``txn``."""
    ctx = SearchContext(store, txn, registry, registry.require(txn, uid))
    fields = check_facets(tuple(facets), ctx.cache.filterable_rules, ctx.cache.all_fields)
    faceting = ctx.settings.get("faceting") or {}
    distribution, stats = facet_distribution(ctx.facets, candidates & ctx.all_docids, fields,
                                             faceting.get("maxValuesPerFacet", DEFAULT_MAX_VALUES_PER_FACET),
                                             faceting.get("sortFacetValuesBy") or {"*": "alpha"})
    return FacetCounts(distribution, stats)


def facet_orders(settings: dict, facets: Sequence[str]) -> dict[str, str]:
    """The order (``"alpha"`` or ``"count"``) of each named facet's values: its own entry in
    ``faceting.sortFacetValuesBy``, else the ``"*"`` entry, else alphabetical."""
    order = (settings.get("faceting") or {}).get("sortFacetValuesBy")
    return {facet: sort_by_for(facet, order) for facet in facets}


__all__ = ["facet_counts", "facet_orders"]
