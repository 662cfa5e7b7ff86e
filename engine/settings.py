"""Placeholder index settings (replaced by the full settings model)."""
from __future__ import annotations

import copy
from typing import Any

_DEFAULTS: dict[str, Any] = {
    "displayedAttributes": ["*"],
    "searchableAttributes": ["*"],
    "filterableAttributes": [],
    "sortableAttributes": [],
    "rankingRules": ["words", "typo", "proximity", "attributeRank", "sort", "wordPosition", "exactness"],
    "stopWords": [],
    "nonSeparatorTokens": [],
    "separatorTokens": [],
    "dictionary": [],
    "synonyms": {},
    "distinctAttribute": None,
    "proximityPrecision": "byWord",
    "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
                      "disableOnWords": [], "disableOnAttributes": [], "disableOnNumbers": False},
    "faceting": {"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "alpha"}},
    "pagination": {"maxTotalHits": 1000},
    "embedders": {},
    "searchCutoffMs": None,
    "localizedAttributes": None,
    "facetSearch": True,
    "prefixSearch": "indexingTime",
}


def default_settings() -> dict[str, Any]:
    return copy.deepcopy(_DEFAULTS)


def apply_patch(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(current)
    for key, value in patch.items():
        new[key] = copy.deepcopy(_DEFAULTS[key]) if value is None else value
    return new


def settings_view(stored: dict[str, Any], features: Any = frozenset()) -> dict[str, Any]:
    return copy.deepcopy(stored)
