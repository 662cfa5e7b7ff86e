"""A parsed filter -> the bitmap of documents it matches (filters-facets.md §3).

The evaluator never looks at documents: it asks a ``FacetSource`` for bitmaps (all ids, a
numeric range, a normalized string, existence…) and combines them.  ``NOT``, ``!=``, ``NOT IN``
and friends complement against *all* documents, so documents lacking the field match them:

    >>> from engine.filters import parse_filter
    >>> from engine.facets import FilterableRules, MemoryFacetSource
    >>> source = MemoryFacetSource([{"tags": ["a", "b"]}, {"tags": "c"}, {}])
    >>> list(evaluate(parse_filter("tags != a"), source, FilterableRules(["tags"])))
    [1, 2]

Checks happen in upstream's order: first every field named by a condition must be filterable
(in document order), then, while evaluating, each operator must be allowed by the field's
granular features and geo arguments must be valid.  ``AND`` stops at the first empty
intersection, as upstream does.  Evaluation uses an explicit stack, so a tree of any width
and depth is safe.
"""
from __future__ import annotations

import math
import re
from typing import Iterable, Protocol

import numpy as np
from pyroaring import BitMap

from ..errors import LoupeError
from ..facets.values import facet_number, format_facet_number, normalize_facet_string
from ..facets.filterable import GEO_FIELD, GEOJSON_FIELD, FilterableRules
from ..indexer.keys import fit_facet_value

# how milli names the fields `_geoRadius` / `_geoBoundingBox` can read when neither is filterable
GEO_OR_GEOJSON = f"{GEO_FIELD}/{GEOJSON_FIELD}"
from .ast import (
    COMPARISON_OPS, EQUALITY_OPS, And, Condition, Expr, GeoBoundingBox, GeoPolygon, GeoRadius, Not, Or, Token,
    VectorExists, iter_leaves,
)
from .parser import token_error
from .vectors import NoEmbedders, VectorStatus, vector_docids

# Mean Earth radius used by upstream's haversine (geoutils), in metres.
EARTH_RADIUS_M = 6_371_000.0
DEFAULT_GEO_RESOLUTION = 125
MIN_GEO_RESOLUTION, MAX_GEO_RESOLUTION = 3, 1000


class FacetSource(Protocol):
    """Bitmaps of one index's facet values; implemented in memory (tests) and on LMDB.

    Strings are *normalized* values (``normalize_facet_string``) and are ordered bytewise,
    which for Python ``str`` is code-point order.  Returned bitmaps may be shared: callers
    must not mutate them.
    """

    def all_docids(self) -> BitMap: ...

    def number_range(self, field: str, low: float | None, low_inclusive: bool,
                     high: float | None, high_inclusive: bool) -> BitMap: ...

    def string_equal(self, field: str, normalized: str) -> BitMap: ...

    def string_range(self, field: str, low: str | None, low_inclusive: bool,
                     high: str | None, high_inclusive: bool) -> BitMap: ...

    def string_values(self, field: str) -> Iterable[tuple[str, BitMap]]: ...

    def exists(self, field: str) -> BitMap: ...

    def is_null(self, field: str) -> BitMap: ...

    def is_empty(self, field: str) -> BitMap: ...

    def geo_points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(docids uint32, lat float64, lng float64) of every document with a valid ``_geo``."""
        ...


def _facet_string(field: str, raw: str) -> str:
    """A filter's string operand as the facet keys of ``field`` hold values: normalized, then cut
    like a stored value beside a long field name (`fit_facet_value`)."""
    return fit_facet_value(field, normalize_facet_string(raw))


def haversine_exact_m(lat1: float, lng1: float, lat2: np.ndarray, lng2: np.ndarray) -> np.ndarray:
    """Great-circle distances in metres, unrounded (what geo sort details report)."""
    p1, l1 = math.radians(lat1), math.radians(lng1)
    p2, l2 = np.radians(lat2), np.radians(lng2)
    a = np.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def to_millimetre(distances: np.ndarray) -> np.ndarray:
    """Distances rounded to the millimetre, as upstream compares them."""
    return np.round(distances * 1000.0) / 1000.0


def haversine_m(lat1: float, lng1: float, lat2: np.ndarray, lng2: np.ndarray) -> np.ndarray:
    """Great-circle distances in metres, rounded to the millimetre like upstream's comparisons."""
    return to_millimetre(haversine_exact_m(lat1, lng1, lat2, lng2))


def evaluate(expr: Expr | None, source: FacetSource, rules: FilterableRules, index_uid: str | None = None,
             code: str = "invalid_search_filter", vectors: VectorStatus | None = None) -> BitMap:
    """The documents of ``source`` matching ``expr`` (None = every document).

    Semantic errors carry ``code``; with ``index_uid`` their message is prefixed by
    ``Index `<uid>`: `` as the HTTP routes report them.  ``vectors`` answers `_vectors` filters
    (an index without embedders when absent).
    """
    try:
        if expr is None:
            return BitMap(source.all_docids())
        check_filterable(expr, rules, code)
        return BitMap(_Evaluator(source, rules, code, vectors or NoEmbedders()).run(expr))
    except LoupeError as err:
        if index_uid is None:
            raise
        raise err.with_prefix(f"Index `{index_uid}`: ") from None


def check_filterable(expr: Expr, rules: FilterableRules, code: str = "invalid_search_filter") -> None:
    """Every field named by a condition must be filterable (first offender, document order)."""
    for leaf in iter_leaves(expr):
        if isinstance(leaf, Condition) and not rules.is_filterable(leaf.field.value):
            raise token_error(code, rules.not_filterable_message(leaf.field.value), leaf.field)


def operator_not_allowed_message(op: str, field: str, rule_index: int, equality: bool, comparison: bool) -> str:
    """The multi-line error for an operator disabled by a granular rule (§4.3)."""
    allowed = ["OR", "AND", "NOT"]
    if equality:
        allowed += ["=", "!=", "IN"]
    if comparison:
        allowed += ["<", ">", "<=", ">=", "TO"]
    allowed += ["IS EMPTY", "IS NULL", "EXISTS"]
    feature = "equality" if op in EQUALITY_OPS else "comparison"
    return (
        f"Filter operator `{op}` is not allowed for the attribute `{field}`.\n"
        f"  - Note: allowed operators: {', '.join(allowed)}.\n"
        f"  - Note: field `{field}` matched rule #{rule_index} in `filterableAttributes`\n"
        f"  - Hint: enable {feature} in rule #{rule_index} by modifying the features.filter object\n"
        f"  - Hint: prepend another rule matching `{field}` with appropriate filter features before rule #{rule_index}"
    )


def _successor(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix``."""
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return None
    return prefix[:-1] + chr(last + 1)


class _Evaluator:
    def __init__(self, source: FacetSource, rules: FilterableRules, code: str, vectors: VectorStatus):
        self.source, self.rules, self.code, self.vectors = source, rules, code, vectors
        self._all: BitMap | None = None

    @property
    def all(self) -> BitMap:
        if self._all is None:
            self._all = self.source.all_docids()
        return self._all

    def run(self, root: Expr) -> BitMap:
        """Post-order walk with an explicit stack of [node, next child, accumulator]."""
        if not isinstance(root, (And, Or, Not)):
            return self.leaf(root)
        frames: list[list] = [[root, 0, None]]
        result: BitMap | None = None
        while frames:
            frame = frames[-1]
            node = frame[0]
            if result is not None:
                if isinstance(node, Not):
                    frames.pop()
                    result = self.all - result
                    continue
                acc = frame[2]
                if acc is None:
                    acc = BitMap(result)
                elif isinstance(node, And):
                    acc &= result
                else:
                    acc |= result
                frame[2], result = acc, None
                if isinstance(node, And) and not acc:
                    frames.pop()
                    result = acc
                    continue
            children = (node.child,) if isinstance(node, Not) else node.children
            if frame[1] == len(children):
                frames.pop()
                result = frame[2] if frame[2] is not None else BitMap()
                continue
            child = children[frame[1]]
            frame[1] += 1
            if isinstance(child, (And, Or, Not)):
                frames.append([child, 0, None])
            else:
                result = self.leaf(child)
        assert result is not None
        return result

    # leaves -------------------------------------------------------------------------------------
    def leaf(self, node: Expr) -> BitMap:
        if isinstance(node, Condition):
            return self.condition(node)
        if isinstance(node, GeoRadius):
            return self.geo_radius(node)
        if isinstance(node, GeoBoundingBox):
            return self.geo_bounding_box(node)
        if isinstance(node, GeoPolygon):
            return self.geo_polygon(node)
        if isinstance(node, VectorExists):
            return vector_docids(node, self.vectors, self.code) & self.all
        raise TypeError(f"not a filter leaf: {node!r}")  # pragma: no cover

    def check_operator(self, cond: Condition) -> None:
        op = cond.op
        if op not in EQUALITY_OPS and op not in COMPARISON_OPS:
            return
        found = self.rules.match(cond.field.value)
        if found is None:  # pragma: no cover - check_filterable ran first
            return
        index, features = found
        needed = features.equality if op in EQUALITY_OPS else features.comparison
        if not needed:
            message = operator_not_allowed_message(op, cond.field.value, index, features.equality, features.comparison)
            raise token_error(self.code, message, cond.field)

    def condition(self, cond: Condition) -> BitMap:
        self.check_operator(cond)
        field, op, source = cond.field.value, cond.op, self.source
        if op == "=":
            return self.equal(field, cond.values[0].value)
        if op == "!=":
            return self.all - self.equal(field, cond.values[0].value)
        if op == "IN":
            parts = [self.equal(field, token.value) for token in cond.values]
            return BitMap.union(*parts) if parts else BitMap()
        if op in (">", ">=", "<", "<="):
            raw = cond.values[0].value
            number, text = facet_number(raw), _facet_string(field, raw)
            inclusive = op.endswith("=")
            if op.startswith(">"):
                numbers = source.number_range(field, number, inclusive, None, False) if number is not None else BitMap()
                strings = source.string_range(field, text, inclusive, None, False)
            else:
                numbers = source.number_range(field, None, False, number, inclusive) if number is not None else BitMap()
                strings = source.string_range(field, None, False, text, inclusive)
            return numbers | strings
        if op == "TO":
            low, high = cond.values[0].value, cond.values[1].value
            low_n, high_n = facet_number(low), facet_number(high)
            numbers = (source.number_range(field, low_n, True, high_n, True)
                       if low_n is not None and high_n is not None else BitMap())
            strings = source.string_range(field, _facet_string(field, low), True, _facet_string(field, high), True)
            return numbers | strings
        if op == "EXISTS":
            return source.exists(field)
        if op == "IS NULL":
            return source.is_null(field)
        if op == "IS EMPTY":
            return source.is_empty(field)
        if op == "CONTAINS":
            needle = normalize_facet_string(cond.values[0].value)
            parts = [docids for value, docids in source.string_values(field) if needle in value]
            return BitMap.union(*parts) if parts else BitMap()
        if op == "STARTS WITH":
            prefix = _facet_string(field, cond.values[0].value)
            if not prefix:
                return source.exists(field)
            successor = _successor(prefix)
            return source.string_range(field, prefix, True, successor, False)
        raise TypeError(f"unknown filter operator {op!r}")  # pragma: no cover

    def equal(self, field: str, raw: str) -> BitMap:
        strings = self.source.string_equal(field, _facet_string(field, raw))
        number = facet_number(raw)
        if number is None:
            return strings
        return strings | self.source.number_range(field, number, True, number, True)

    # geo ----------------------------------------------------------------------------------------
    def finite(self, token: Token) -> float:
        number = facet_number(token.value)
        if number is None:
            raise token_error(self.code, "Non finite floats are not supported", token)
        return number

    def latitude(self, token: Token) -> float:
        lat = self.finite(token)
        if not -90.0 <= lat <= 90.0:
            raise token_error(self.code, f"Bad latitude `{format_facet_number(lat)}`. Latitude must be contained between -90 and 90 degrees.", token)
        return lat

    def longitude(self, token: Token) -> float:
        lng = self.finite(token)
        if not -180.0 <= lng <= 180.0:
            hint = format_facet_number(((lng + 180.0) % 360.0) - 180.0)
            raise token_error(
                self.code,
                f"Bad longitude `{format_facet_number(lng)}`. Longitude must be contained between -180 and 180 degrees. Hint: try using `{hint}` instead.",
                token,
            )
        return lng

    def require(self, attribute: str, enabled: bool, token: Token) -> None:
        if not enabled:
            raise token_error(self.code, self.rules.not_filterable_message(attribute), token)

    def geo_radius(self, node: GeoRadius) -> BitMap:
        self.require(GEO_OR_GEOJSON, self.rules.geo_enabled or self.rules.geojson_enabled, node.lat)
        lat, lng = self.latitude(node.lat), self.longitude(node.lng)
        radius = self.finite(node.radius)
        if node.resolution is not None:
            text = node.resolution.value
            if not re.fullmatch(r"[0-9]+", text) or not MIN_GEO_RESOLUTION <= int(text) <= MAX_GEO_RESOLUTION:
                raise token_error(self.code, f"Invalid resolution `{text}`. Resolution must be between 3 and 1000.", node.resolution)
        if not self.rules.geo_enabled:
            return BitMap()  # `_geojson` shapes are not indexed by this port
        docids, lats, lngs = self.source.geo_points()
        if len(docids) == 0:
            return BitMap()
        inside = haversine_m(lat, lng, lats, lngs) <= radius
        return BitMap(docids[inside])

    def geo_bounding_box(self, node: GeoBoundingBox) -> BitMap:
        self.require(GEO_OR_GEOJSON, self.rules.geo_enabled or self.rules.geojson_enabled, node.top_right[0])
        top, right = self.latitude(node.top_right[0]), self.longitude(node.top_right[1])
        bottom, left = self.latitude(node.bottom_left[0]), self.longitude(node.bottom_left[1])
        if top < bottom:
            raise token_error(
                self.code,
                f"The top latitude `{format_facet_number(top)}` is below the bottom latitude `{format_facet_number(bottom)}`.",
                node.top_right[0],
            )
        if not self.rules.geo_enabled:
            return BitMap()
        docids, lats, lngs = self.source.geo_points()
        if len(docids) == 0:
            return BitMap()
        in_lat = (lats >= bottom) & (lats <= top)
        if left <= right:
            in_lng = (lngs >= left) & (lngs <= right)
        else:  # the box crosses the antimeridian
            in_lng = (lngs >= left) | (lngs <= right)
        return BitMap(docids[in_lat & in_lng])

    def geo_polygon(self, node: GeoPolygon) -> BitMap:
        self.require(GEOJSON_FIELD, self.rules.geojson_enabled, node.points[0][0])
        for lat, lng in node.points:
            self.latitude(lat)
            self.longitude(lng)
        return BitMap()  # only `_geojson` geometries match, and they are not indexed by this port
