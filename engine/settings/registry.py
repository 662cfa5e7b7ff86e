"""Every index setting, as data: name, route, verb, error code, default, validator, help.

The registry is the single source for the order of keys everywhere Meilisearch shows settings
(GET /settings, task details, the "expected one of" list of an unknown key), for the sub-route
table of the HTTP layer, and for the docs test that checks every setting is documented:

    >>> SETTINGS_BY_NAME["typoTolerance"].route, SETTINGS_BY_NAME["typoTolerance"].verb
    ('typo-tolerance', 'PATCH')
    >>> BY_ROUTE["stop-words"].code
    'invalid_settings_stop_words'
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

from . import values
from .embedders import DEFAULT_DOCUMENT_TEMPLATE, DEFAULT_TEMPLATE_MAX_BYTES, parse_embedders

DEFAULT_RANKING_RULES = ["words", "typo", "proximity", "attributeRank", "sort", "wordPosition", "exactness"]
DEFAULT_MIN_WORD_SIZE_ONE_TYPO = 5  # words shorter than this get no typo
DEFAULT_MIN_WORD_SIZE_TWO_TYPOS = 9  # words shorter than this get at most one typo
DEFAULT_MAX_VALUES_PER_FACET = 100
DEFAULT_MAX_TOTAL_HITS = 1000


@dataclass(frozen=True)
class Setting:
    """One index setting. ``merge`` says how a PATCH value combines with the stored one."""

    name: str  # camelCase JSON key
    route: str  # /indexes/{uid}/settings/<route>
    verb: str  # update verb of the sub-route: PUT or PATCH
    code: str  # error code for any bad value
    default: Any
    validate: Callable[[Any, str, str], Any]
    help: str
    merge: str = "replace"  # replace | typo | faceting | embedders | object
    feature: str | None = None  # experimental feature gating the key, camelCase

    def default_value(self) -> Any:
        return copy.deepcopy(self.default)


def _s(name: str, route: str, verb: str, snake: str, default: Any, validate: Callable, help: str, **kw: Any) -> Setting:
    return Setting(name, route, verb, f"invalid_settings_{snake}", default, validate, help, **kw)


SETTINGS: tuple[Setting, ...] = (
    _s("displayedAttributes", "displayed-attributes", "PUT", "displayed_attributes", ["*"], values.attribute_list,
       "Fields returned in documents; a list containing `*` means all fields."),
    _s("searchableAttributes", "searchable-attributes", "PUT", "searchable_attributes", ["*"], values.attribute_list,
       "Fields searched for query words, most important first; `*` means all fields in order of appearance."),
    _s("filterableAttributes", "filterable-attributes", "PUT", "filterable_attributes", [],
       values.filterable_attributes, "Fields usable in `filter` and `facets`: names or pattern rules with features."),
    _s("sortableAttributes", "sortable-attributes", "PUT", "sortable_attributes", [], values.string_set,
       "Fields usable in the `sort` search parameter (a set)."),
    _s("foreignKeys", "foreign-keys", "PUT", "foreign_keys", [], values.foreign_keys,
       "Fields referencing documents of another index, for cross-index filters.", feature="foreignKeys"),
    _s("rankingRules", "ranking-rules", "PUT", "ranking_rules", DEFAULT_RANKING_RULES, values.ranking_rules,
       "Ordered ranking rules: built-in names and `field:asc` / `field:desc` custom rules."),
    _s("stopWords", "stop-words", "PUT", "stop_words", [], values.string_set,
       "Words ignored in queries (a set)."),
    _s("nonSeparatorTokens", "non-separator-tokens", "PUT", "non_separator_tokens", [], values.string_set,
       "Characters removed from the default separators (a set)."),
    _s("separatorTokens", "separator-tokens", "PUT", "separator_tokens", [], values.string_set,
       "Extra strings that split words (a set)."),
    _s("dictionary", "dictionary", "PUT", "dictionary", [], values.string_set,
       "Strings always kept as a single word (a set)."),
    _s("synonyms", "synonyms", "PUT", "synonyms", {}, values.synonyms,
       "One-way synonyms: word -> list of equivalent words or phrases."),
    _s("distinctAttribute", "distinct-attribute", "PUT", "distinct_attribute", None, values.distinct_attribute,
       "Field whose value is unique among returned hits (null: none)."),
    _s("proximityPrecision", "proximity-precision", "PUT", "proximity_precision", "byWord",
       values.proximity_precision, "`byWord` (exact word distances) or `byAttribute` (same field is enough)."),
    _s("typoTolerance", "typo-tolerance", "PATCH", "typo_tolerance",
       {"enabled": True,
        "minWordSizeForTypos": {"oneTypo": DEFAULT_MIN_WORD_SIZE_ONE_TYPO, "twoTypos": DEFAULT_MIN_WORD_SIZE_TWO_TYPOS},
        "disableOnWords": [], "disableOnAttributes": [], "disableOnNumbers": False},
       values.typo_tolerance, "Typo rules, merged key by key: switch, word sizes, words and fields without typos.",
       merge="typo"),
    _s("faceting", "faceting", "PATCH", "faceting",
       {"maxValuesPerFacet": DEFAULT_MAX_VALUES_PER_FACET, "sortFacetValuesBy": {"*": "alpha"}},
       values.faceting, "Facet values returned per facet and their order (`alpha` or `count`) per field.",
       merge="faceting"),
    _s("pagination", "pagination", "PATCH", "pagination", {"maxTotalHits": DEFAULT_MAX_TOTAL_HITS},
       values.pagination, "Upper bound on hits reachable through offset/limit or page/hitsPerPage.", merge="object"),
    _s("embedders", "embedders", "PATCH", "embedders", {}, lambda v, p, c: parse_embedders(v, p, c),
       "Named embedder configurations for semantic and hybrid search; `null` removes one.", merge="embedders"),
    _s("searchCutoffMs", "search-cutoff-ms", "PUT", "search_cutoff_ms", None, values.search_cutoff_ms,
       "Search time budget in milliseconds (null: 1500 ms)."),
    _s("localizedAttributes", "localized-attributes", "PUT", "localized_attributes", None,
       values.localized_attributes, "Languages of fields matching patterns, to pick the right tokenizer."),
    _s("facetSearch", "facet-search", "PUT", "facet_search", True, values.facet_search,
       "Whether the facet-search route is enabled (and its data built)."),
    _s("prefixSearch", "prefix-search", "PUT", "prefix_search", "indexingTime", values.prefix_search,
       "`indexingTime` (prefix data built while indexing) or `disabled`."),
    Setting("chat", "chat", "PATCH", "invalid_settings_index_chat",
            {"description": "", "documentTemplate": DEFAULT_DOCUMENT_TEMPLATE,
             "documentTemplateMaxBytes": DEFAULT_TEMPLATE_MAX_BYTES, "searchParameters": {}},
            values.chat, "How chat completions describe and render this index's documents.",
            merge="object", feature="chatCompletions"),
)

SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
BY_ROUTE: dict[str, Setting] = {s.route: s for s in SETTINGS}
SETTING_NAMES: tuple[str, ...] = tuple(s.name for s in SETTINGS)

FEATURE_NAMES = {"foreignKeys": "foreign keys", "chatCompletions": "chat completions"}
FEATURE_LINKS = {
    "foreignKeys": "https://github.com/orgs/meilisearch/discussions/873",
    "chatCompletions": "https://github.com/orgs/meilisearch/discussions/835",
}


def lookup(name: str) -> Setting:
    """A setting by JSON name or route slug."""
    setting = SETTINGS_BY_NAME.get(name) or BY_ROUTE.get(name)
    if setting is None:
        raise KeyError(name)
    return setting


def default_settings() -> dict[str, Any]:
    """The stored form of a fresh index: every setting (gated ones too) at its default."""
    return {s.name: s.default_value() for s in SETTINGS}
