"""Which fields may be filtered, facet-searched, compared: the ``filterableAttributes`` rules.

The setting is an ordered list of rules.  The **first** rule that matches a field decides
everything about it, even when that rule disables filtering (filters-facets.md §3.4):

    >>> rules = FilterableRules([{"attributePatterns": ["doggos.*"]}, "doggos"])
    >>> rules.match("doggos.age")
    (0, Features(facet_search=False, equality=True, comparison=False))
    >>> rules.match("doggos")          # `doggos.*` does not cover `doggos` itself
    (1, Features(facet_search=True, equality=True, comparison=True))

A legacy string rule covers the field and all its sub-fields; a granular pattern is ``*``,
``prefix*``, ``*suffix``, ``*infix*`` or an exact name (which does *not* cover sub-fields).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Literal

PatternMatch = Literal["match", "parent", "none"]

NO_FILTERABLE_ATTRIBUTES = "This index does not have configured filterable attributes."
GEO_FIELD = "_geo"
GEOJSON_FIELD = "_geojson"


def match_pattern(pattern: str, name: str) -> PatternMatch:
    """How ``name`` relates to an attribute pattern.

    ``"match"``: the pattern selects ``name``; ``"parent"``: ``name`` is an ancestor of fields
    the pattern could select (``doggos`` for ``doggos.*`` or ``doggos.age``) — used where a
    request pattern must merely *intersect* a rule; ``"none"`` otherwise.
    """
    if pattern == "*":
        return "match"
    if len(pattern) >= 2 and pattern.startswith("*") and pattern.endswith("*"):
        return "match" if pattern[1:-1] in name else "none"
    if pattern.startswith("*"):
        return "match" if name.endswith(pattern[1:]) else "none"
    if pattern.endswith("*"):
        prefix = pattern[:-1]
        if name.startswith(prefix):
            return "match"
        return "parent" if prefix.startswith(name + ".") else "none"
    if pattern == name:
        return "match"
    return "parent" if pattern.startswith(name + ".") else "none"


def match_legacy(rule: str, name: str) -> PatternMatch:
    """A legacy string rule: the field itself or any of its sub-fields."""
    if name == rule or name.startswith(rule + "."):
        return "match"
    return "parent" if rule.startswith(name + ".") else "none"


@dataclass(frozen=True, slots=True)
class Features:
    """What a rule allows for the fields it matches."""

    facet_search: bool = False
    equality: bool = True
    comparison: bool = False

    @property
    def is_filterable(self) -> bool:
        return self.equality or self.comparison


LEGACY_FEATURES = Features(facet_search=True, equality=True, comparison=True)


@dataclass(frozen=True, slots=True)
class Rule:
    """One element of the setting: a legacy field name, or granular patterns with features."""

    patterns: tuple[str, ...]
    features: Features
    legacy: bool

    def matches(self, name: str) -> PatternMatch:
        best: PatternMatch = "none"
        for pattern in self.patterns:
            found = match_legacy(pattern, name) if self.legacy else match_pattern(pattern, name)
            if found == "match":
                return "match"
            if found == "parent":
                best = "parent"
        return best


def parse_rule(raw: Any) -> Rule:
    """A rule from its JSON form (already validated by the settings layer)."""
    if isinstance(raw, str):
        return Rule((raw,), LEGACY_FEATURES, True)
    features = raw.get("features") or {}
    filter_features = features.get("filter") or {}
    return Rule(
        tuple(raw.get("attributePatterns") or ()),
        Features(
            facet_search=bool(features.get("facetSearch", False)),
            equality=bool(filter_features.get("equality", True)),
            comparison=bool(filter_features.get("comparison", False)),
        ),
        False,
    )


class FilterableRules:
    """The ``filterableAttributes`` setting, ready to answer per-field questions."""

    def __init__(self, setting: Iterable[Any] | None = None):
        self.setting = list(setting or [])
        self.rules: tuple[Rule, ...] = tuple(parse_rule(raw) for raw in self.setting)
        self._cache: dict[str, tuple[int, Features] | None] = {}

    def match(self, field: str) -> tuple[int, Features] | None:
        """(index of the first rule matching ``field``, its features), or None."""
        try:
            return self._cache[field]
        except KeyError:
            pass
        found = None
        for index, rule in enumerate(self.rules):
            if rule.matches(field) == "match":
                found = (index, rule.features)
                break
        if len(self._cache) < 10_000:
            self._cache[field] = found
        return found

    def is_filterable(self, field: str) -> bool:
        found = self.match(field)
        return found is not None and found[1].is_filterable

    def is_facet_searchable(self, field: str) -> bool:
        found = self.match(field)
        return found is not None and found[1].facet_search

    @property
    def geo_enabled(self) -> bool:
        """`_geoRadius`/`_geoBoundingBox` need `_geo` listed as a legacy string rule."""
        return any(rule.legacy and rule.patterns[0] == GEO_FIELD for rule in self.rules)

    @property
    def geojson_enabled(self) -> bool:
        return any(rule.legacy and rule.patterns[0] == GEOJSON_FIELD for rule in self.rules)

    def filterable_patterns(self) -> list[str]:
        """Sorted, de-duplicated patterns of the rules that enable filtering."""
        return sorted({p for rule in self.rules if rule.features.is_filterable for p in rule.patterns})

    def facet_searchable_patterns(self) -> list[str]:
        return sorted({p for rule in self.rules if rule.features.facet_search for p in rule.patterns})

    def not_filterable_message(self, attribute: str) -> str:
        """``Attribute `x` is not filterable. …`` as the filter evaluator reports it."""
        patterns = self.filterable_patterns()
        if not patterns:
            return f"Attribute `{attribute}` is not filterable. {NO_FILTERABLE_ATTRIBUTES}"
        listed = ", ".join(f"`{p}`" for p in patterns)
        return f"Attribute `{attribute}` is not filterable. Available filterable attribute patterns are: {listed}."
