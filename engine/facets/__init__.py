"""Facets: the values a document contributes per field, and the questions asked of them.

``values``       what is a document's facet value for a field (flatten, normalize, number keys)?
``filterable``   may this field be filtered, compared, facet-searched (``filterableAttributes``)?
``source``       which documents hold a value or a range of values in a stored index (LMDB)?
``cache``        the same answers from values decoded once per index version
``memory``       the same answers over documents held in memory (the reference, for tests)
``distribution`` how many candidates hold each value (``facetDistribution``, ``facetStats``)?
``search``       which values of one facet match a query (``POST /facet-search``)?

Building the stored facet table is the indexer's job (``engine/indexer/facets.py``).
"""
from .distribution import facet_distribution
from .filterable import FilterableRules
from .memory import MemoryFacetSource
from .search import facet_search
from .source import LmdbFacetSource

__all__ = ["FilterableRules", "LmdbFacetSource", "MemoryFacetSource", "facet_distribution", "facet_search"]
