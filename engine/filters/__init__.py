"""Meilisearch's filter language: parse (``parser``), represent (``ast``), evaluate to bitmaps.

    >>> from engine.filters import parse_filter, evaluate
    >>> from engine.facets import FilterableRules, MemoryFacetSource
    >>> docs = [{"genre": "Horror"}, {"genre": "comedy"}]
    >>> list(evaluate(parse_filter("genre = horror"), MemoryFacetSource(docs), FilterableRules(["genre"])))
    [0]
"""
from .ast import And, Condition, Expr, GeoBoundingBox, GeoPolygon, GeoRadius, Not, Or, Token, VectorExists
from .evaluate import FacetSource, evaluate
from .parser import FilterFeatures, parse_filter, parse_string, parse_with

__all__ = [
    "And", "Condition", "Expr", "GeoBoundingBox", "GeoPolygon", "GeoRadius", "Not", "Or", "Token", "VectorExists",
    "FacetSource", "evaluate", "parse_filter", "parse_string", "parse_with", "FilterFeatures",
]
