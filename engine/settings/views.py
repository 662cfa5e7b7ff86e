"""How stored settings and patches are shown: GET bodies, task details, and what must be rebuilt.

Stored settings are already normalised (sets sorted, "all" lists as ``["*"]``), so the views only
decide *which* keys appear, in which order, and hide secrets:

    >>> view = settings_view(default_settings())
    >>> list(view)[:3], len(view)
    (['displayedAttributes', 'searchableAttributes', 'filterableAttributes'], 20)
    >>> task_details({"displayedAttributes": None, "stopWords": ["a"]})
    {'displayedAttributes': ['*'], 'stopWords': ['a']}
"""
from __future__ import annotations

import copy
from typing import Any, Iterable

from .embedders import embedder_view
from .registry import SETTINGS, SETTINGS_BY_NAME, default_settings, lookup
from .values import custom_rule_field

__all__ = ["settings_view", "setting_view", "task_details", "reindex_needed", "default_settings"]

WILDCARD_RESET = ("displayedAttributes", "searchableAttributes")  # a reset of these reads ["*"]


def _value_view(name: str, value: Any) -> Any:
    if name == "faceting":
        value = copy.deepcopy(value)
        value["sortFacetValuesBy"] = {"*": "alpha", **value.get("sortFacetValuesBy", {})}
        value["sortFacetValuesBy"] = dict(sorted(value["sortFacetValuesBy"].items()))
        return value
    if name == "embedders":
        return {key: embedder_view(config) for key, config in sorted(value.items())}
    if name == "synonyms":
        return dict(sorted(value.items()))
    return copy.deepcopy(value)


def settings_view(stored: dict[str, Any], features: Iterable[str] = frozenset()) -> dict[str, Any]:
    """The body of ``GET /settings``: registry order, gated keys only when their feature is on."""
    features = frozenset(features)
    return {
        s.name: _value_view(s.name, stored.get(s.name, s.default))
        for s in SETTINGS
        if s.feature is None or s.feature in features
    }


def setting_view(name: str, stored: dict[str, Any]) -> Any:
    """The body of ``GET /settings/<route>`` (``name`` may be the JSON name or the route slug)."""
    setting = lookup(name)
    return _value_view(setting.name, stored.get(setting.name, setting.default))


def _details_value(name: str, value: Any) -> Any:
    if value is None:
        return ["*"] if name in WILDCARD_RESET else None
    if name == "embedders":
        return {
            key: None if config is None else embedder_view(config) for key, config in sorted(value.items())
        }
    if name == "synonyms":
        return dict(sorted(value.items()))
    return copy.deepcopy(value)


def task_details(patch: dict[str, Any]) -> dict[str, Any]:
    """``details`` of a settingsUpdate task: the keys sent, in registry order, secrets masked."""
    return {s.name: _details_value(s.name, patch[s.name]) for s in SETTINGS if s.name in patch}


# -- what a change invalidates -------------------------------------------------------------------

SEARCH_INPUTS = (
    "searchableAttributes", "stopWords", "nonSeparatorTokens", "separatorTokens", "dictionary",
    "proximityPrecision", "localizedAttributes", "prefixSearch",
)
FACET_INPUTS = ("filterableAttributes", "sortableAttributes", "distinctAttribute", "facetSearch", "foreignKeys")


def _sort_fields(rules: list[str]) -> set[str]:
    return {field for rule in rules if (field := custom_rule_field(rule)) is not None}


def reindex_needed(old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    """Kinds of derived data to rebuild: "search" (word postings), "facets", "vectors".

    Query-time settings (synonyms, typo word sizes, pagination, cutoff, displayed fields...)
    rebuild nothing.
    """
    def changed(name: str) -> bool:
        default = SETTINGS_BY_NAME[name].default
        return old.get(name, default) != new.get(name, default)

    kinds: set[str] = set()
    if any(changed(name) for name in SEARCH_INPUTS):
        kinds.add("search")
    old_typo = old.get("typoTolerance", SETTINGS_BY_NAME["typoTolerance"].default)
    new_typo = new.get("typoTolerance", SETTINGS_BY_NAME["typoTolerance"].default)
    if any(old_typo.get(k) != new_typo.get(k) for k in ("disableOnAttributes", "disableOnNumbers")):
        kinds.add("search")
    if any(changed(name) for name in FACET_INPUTS):
        kinds.add("facets")
    default_rules = SETTINGS_BY_NAME["rankingRules"].default
    if _sort_fields(old.get("rankingRules", default_rules)) != _sort_fields(new.get("rankingRules", default_rules)):
        kinds.add("facets")
    if changed("embedders"):
        kinds.add("vectors")
    return kinds
