"""Search requests in, typed queries out: Meilisearch's parameters, defaults and exact errors.

A request body is walked the way deserr walks it: keys in the order they were *sent*, the first
unknown key or bad value raises, missing required keys are reported after the walk.  Checks
that look at several parameters together (``vector`` needs ``hybrid``, sort syntax, filter type)
run after the walk, in the order Meilisearch runs them:

    >>> q = parse_search_body({"q": "hary", "limit": 5, "sort": ["price:desc"]})
    >>> (q.q, q.limit, q.offset, q.sort)
    ('hary', 5, 0, (SortSpec(field='price', ascending=False),))
    >>> parse_search_body({"limit": "doggo"})
    Traceback (most recent call last):
    ...
    engine.errors.LoupeError: Invalid value type at `.limit`: expected a positive integer, but found a string: `"doggo"`

Everything that needs the index (sortable/filterable/searchable attributes, embedders) is checked
later by the ``check_*`` functions here, given the settings, or by the search itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import orjson

from ..documents.primary_key import external_id
from ..errors import LoupeError
from ..facets.filterable import FilterableRules, match_legacy, match_pattern
from ..limits import DEFAULT_MAX_TOTAL_HITS
from ..settings.checks import (
    check_bool,
    check_enum,
    check_list,
    check_number,
    check_object,
    check_str,
    check_uint,
    missing_field,
)
from ..settings.values import locale
from ..settings.validate import (
    compact_json,
    invalid_value,
    param_error,
    parse_bool_param,
    parse_uint_param,
    type_error,
    unknown_field,
    unknown_parameter,
)
from .sort_spec import Sort, available_list, parse_sort, split_sort_query_string

# -- defaults (meilisearch `search/mod.rs`) --------------------------------------------------------

DEFAULT_OFFSET = 0
DEFAULT_LIMIT = 20
DEFAULT_CROP_LENGTH = 10
DEFAULT_CROP_MARKER = "…"
DEFAULT_HIGHLIGHT_PRE_TAG = "<em>"
DEFAULT_HIGHLIGHT_POST_TAG = "</em>"
DEFAULT_SEMANTIC_RATIO = 0.5
DEFAULT_FEDERATED_WEIGHT = 1.0
MATCHING_STRATEGIES = ("last", "all", "frequency")

MISSING_HYBRID = "Invalid request: missing `hybrid` parameter when `vector` or `media` are present."
MEDIA_AND_VECTOR = "Invalid request: both `media` and `vector` parameters are present."
INDEX_UID_RE = re.compile(r"[A-Za-z0-9_-]{1,400}\Z")


@dataclass(frozen=True, slots=True)
class HybridQuery:
    embedder: str
    semantic_ratio: float = DEFAULT_SEMANTIC_RATIO


@dataclass(frozen=True, slots=True)
class Personalize:
    user_context: str


@dataclass(frozen=True)
class SearchQuery:
    """One validated search (api.md §5); lists are tuples so a query can be shared and cached."""

    q: str | None = None
    offset: int = DEFAULT_OFFSET
    limit: int = DEFAULT_LIMIT
    page: int | None = None
    hits_per_page: int | None = None
    attributes_to_retrieve: tuple[str, ...] | None = None
    attributes_to_crop: tuple[str, ...] | None = None
    crop_length: int = DEFAULT_CROP_LENGTH
    crop_marker: str = DEFAULT_CROP_MARKER
    attributes_to_highlight: tuple[str, ...] | None = None
    highlight_pre_tag: str = DEFAULT_HIGHLIGHT_PRE_TAG
    highlight_post_tag: str = DEFAULT_HIGHLIGHT_POST_TAG
    show_matches_position: bool = False
    filter: Any = None  # raw JSON (string | array); parsed by engine.filters.parse_filter
    sort: tuple[Sort, ...] | None = None
    distinct: str | None = None
    facets: tuple[str, ...] | None = None
    matching_strategy: str = "last"
    attributes_to_search_on: tuple[str, ...] | None = None
    ranking_score_threshold: float | None = None
    locales: tuple[str, ...] | None = None  # ISO-639-3 codes
    hybrid: HybridQuery | None = None
    vector: tuple[float, ...] | None = None
    media: Any = None
    retrieve_vectors: bool = False
    show_ranking_score: bool = False
    show_ranking_score_details: bool = False
    show_performance_details: bool = False
    personalize: Personalize | None = None
    use_network: bool | None = None

    def is_finite_pagination(self) -> bool:
        """``page`` or ``hitsPerPage`` switches the response to exhaustive page totals."""
        return self.page is not None or self.hits_per_page is not None

    def effective_offset_limit(self, max_total_hits: int = DEFAULT_MAX_TOTAL_HITS) -> tuple[int, int]:
        """(offset, limit) the bucket sort uses, capped by ``pagination.maxTotalHits`` (ranking.md §6.3)."""
        if self.is_finite_pagination():
            per_page = DEFAULT_LIMIT if self.hits_per_page is None else self.hits_per_page
            page = 1 if self.page is None else self.page
            offset, limit = (0, 0) if page == 0 else ((page - 1) * per_page, per_page)
        else:
            offset, limit = self.offset, self.limit
        offset = min(offset, max_total_hits)
        return offset, min(limit, max_total_hits - offset)

    def crop_spec(self) -> list[tuple[str, int]]:
        """``attributesToCrop`` as (name, length): ``name:N`` with N a non-negative integer sets the
        length, anything else crops the whole entry with ``cropLength`` (formatting.md §2)."""
        out = []
        for entry in self.attributes_to_crop or ():
            name, colon, right = entry.rpartition(":")
            if colon and right.isascii() and right.isdigit():
                out.append((name, int(right)))
            else:
                out.append((entry, self.crop_length))
        return out


# -- value checkers: (value, path, code) -> typed value --------------------------------------------

Checker = Callable[[Any, str, str], Any]


def _optional(check: Checker) -> Checker:
    """deserr's ``Option<T>``: ``null`` is the absent value."""

    def wrapped(value: Any, path: str, code: str) -> Any:
        return None if value is None else check(value, path, code)

    return wrapped


def _any(value: Any, path: str, code: str) -> Any:
    return value


def _str_list(value: Any, path: str, code: str) -> tuple[str, ...]:
    return tuple(check_str(v, f"{path}[{i}]", code) for i, v in enumerate(check_list(value, path, code)))


def _str_sorted_set(value: Any, path: str, code: str) -> tuple[str, ...]:
    """``BTreeSet<String>``: sorted by code point, duplicates dropped."""
    return tuple(sorted(set(_str_list(value, path, code))))


def _str_unique(value: Any, path: str, code: str) -> tuple[str, ...]:
    """``HashSet<String>``: duplicates dropped (order carries no meaning)."""
    return tuple(dict.fromkeys(_str_list(value, path, code)))


def _f32(value: float) -> float:
    """The value an f32 field holds (Meilisearch parses ratios and vectors as f32)."""
    with np.errstate(over="ignore"):
        return float(np.float32(value))


def _unit_interval(name: str, as_f32: bool = False) -> Checker:
    """A float in [0, 1] with Meilisearch's "the value of `name` is invalid" wording."""

    def check(value: Any, path: str, code: str) -> float:
        number = check_number(value, path, code)
        if as_f32:
            number = _f32(number)
        if not 0.0 <= number <= 1.0:
            raise invalid_value(path, unit_interval_message(name), code)
        return number

    return check


def unit_interval_message(name: str) -> str:
    return f"the value of `{name}` is invalid, expected a float between `0.0` and `1.0`."


def _matching_strategy(value: Any, path: str, code: str) -> str:
    return check_enum(value, path, code, MATCHING_STRATEGIES)


def _locales(value: Any, path: str, code: str) -> tuple[str, ...]:
    return tuple(locale(v, f"{path}[{i}]", code) for i, v in enumerate(check_list(value, path, code)))


def _vector(value: Any, path: str, code: str) -> tuple[float, ...]:
    return tuple(_f32(check_number(v, f"{path}[{i}]", code)) for i, v in enumerate(check_list(value, path, code)))


HYBRID_FIELDS = ("semanticRatio", "embedder")


def _hybrid(value: Any, path: str, code: str) -> HybridQuery:
    """``{"embedder": str, "semanticRatio": f32 in [0, 1]}``; the object's own errors use ``code``."""
    obj = check_object(value, path, code)
    ratio, embedder = DEFAULT_SEMANTIC_RATIO, None
    for key, item in obj.items():
        where = f"{path}.{key}"
        if key == "semanticRatio":
            ratio = _unit_interval("semanticRatio", as_f32=True)(item, where, "invalid_search_semantic_ratio")
        elif key == "embedder":
            embedder = check_str(item, where, "invalid_search_embedder")
        else:
            raise unknown_field(key, HYBRID_FIELDS, code, inside=path)
    if embedder is None:
        raise missing_field("embedder", path, code)
    return HybridQuery(embedder, ratio)


def _personalize(value: Any, path: str, code: str) -> Personalize:
    obj = check_object(value, path, code)
    context = None
    for key, item in obj.items():
        if key != "userContext":
            raise unknown_field(key, ("userContext",), code, inside=path)
        context = check_str(item, f"{path}.userContext", "invalid_search_personalize_user_context")
    if context is None:
        raise missing_field("userContext", path, code)
    return Personalize(context)


# -- the walk --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Field:
    """One accepted key: its JSON name, attribute name, error code and checker."""

    key: str
    attr: str
    code: str
    check: Checker
    required: bool = False
    missing_code: str = "bad_request"


def _f(key: str, attr: str, code: str, check: Checker) -> Field:
    return Field(key, attr, code, check)


def walk(body: dict, path: str, fields: Sequence[Field], unknown_code: str = "bad_request",
         deny_unknown: bool = True) -> dict[str, Any]:
    """deserr's derived visitor: attr -> value for the keys present, in input order."""
    by_key = {f.key: f for f in fields}
    accepted = [f.key for f in fields]
    out: dict[str, Any] = {}
    for key, value in body.items():
        spec = by_key.get(key)
        if spec is None:
            if deny_unknown:
                raise unknown_field(key, accepted, unknown_code, inside=path)
            continue
        out[spec.attr] = spec.check(value, f"{path}.{key}", spec.code)
    for spec in fields:
        if spec.required and spec.attr not in out:
            raise missing_field(spec.key, path, spec.missing_code)
    return out


# Declaration order of Meilisearch's `SearchQuery` (it is the order of "expected one of").
SEARCH_FIELDS: tuple[Field, ...] = (
    _f("q", "q", "invalid_search_q", _optional(check_str)),
    _f("offset", "offset", "invalid_search_offset", check_uint),
    _f("limit", "limit", "invalid_search_limit", check_uint),
    _f("page", "page", "invalid_search_page", _optional(check_uint)),
    _f("hitsPerPage", "hits_per_page", "invalid_search_hits_per_page", _optional(check_uint)),
    _f("attributesToRetrieve", "attributes_to_retrieve", "invalid_search_attributes_to_retrieve", _optional(_str_sorted_set)),
    _f("attributesToCrop", "attributes_to_crop", "invalid_search_attributes_to_crop", _optional(_str_list)),
    _f("cropLength", "crop_length", "invalid_search_crop_length", check_uint),
    _f("cropMarker", "crop_marker", "invalid_search_crop_marker", check_str),
    _f("attributesToHighlight", "attributes_to_highlight", "invalid_search_attributes_to_highlight", _optional(_str_unique)),
    _f("highlightPreTag", "highlight_pre_tag", "invalid_search_highlight_pre_tag", check_str),
    _f("highlightPostTag", "highlight_post_tag", "invalid_search_highlight_post_tag", check_str),
    _f("showMatchesPosition", "show_matches_position", "invalid_search_show_matches_position", check_bool),
    _f("filter", "filter", "invalid_search_filter", _any),
    _f("sort", "sort", "invalid_search_sort", _optional(_str_list)),
    _f("distinct", "distinct", "invalid_search_distinct", _optional(check_str)),
    _f("facets", "facets", "invalid_search_facets", _optional(_str_list)),
    _f("matchingStrategy", "matching_strategy", "invalid_search_matching_strategy", _matching_strategy),
    _f("attributesToSearchOn", "attributes_to_search_on", "invalid_search_attributes_to_search_on", _optional(_str_list)),
    _f("rankingScoreThreshold", "ranking_score_threshold", "invalid_search_ranking_score_threshold",
       _optional(_unit_interval("rankingScoreThreshold"))),
    _f("locales", "locales", "invalid_search_locales", _optional(_locales)),
    _f("hybrid", "hybrid", "invalid_search_hybrid_query", _optional(_hybrid)),
    _f("vector", "vector", "invalid_search_vector", _optional(_vector)),
    _f("retrieveVectors", "retrieve_vectors", "invalid_search_retrieve_vectors", check_bool),
    _f("media", "media", "invalid_search_media", _any),
    _f("personalize", "personalize", "invalid_search_personalize", _optional(_personalize)),
    _f("useNetwork", "use_network", "invalid_search_use_network", _optional(check_bool)),
    _f("showRankingScore", "show_ranking_score", "invalid_search_show_ranking_score", check_bool),
    _f("showRankingScoreDetails", "show_ranking_score_details", "invalid_search_show_ranking_score_details", check_bool),
    _f("showPerformanceDetails", "show_performance_details", "invalid_search_show_performance_details", check_bool),
)
SEARCH_KEYS = tuple(f.key for f in SEARCH_FIELDS)


def filter_type_error(value: Any, code: str) -> LoupeError:
    """The filter parser's wording for a ``filter`` that is neither a string nor an array."""
    return LoupeError(code, f"Invalid syntax for the filter parameter: `expected String, Array, found: {compact_json(value)}`.")


def check_filter_type(value: Any, code: str = "invalid_search_filter") -> None:
    if value is not None and not isinstance(value, (str, list)):
        raise filter_type_error(value, code)


def _check_search_kind(values: Mapping[str, Any]) -> None:
    """`media`/`vector` need `hybrid` and exclude each other (checked before any search runs)."""
    media, vector, hybrid = values.get("media"), values.get("vector"), values.get("hybrid")
    if media is not None and vector is not None:
        raise LoupeError("invalid_search_media_and_vector", MEDIA_AND_VECTOR)
    if (media is not None or vector is not None) and hybrid is None:
        raise LoupeError("missing_search_hybrid", MISSING_HYBRID)


def _finish(values: dict[str, Any]) -> SearchQuery:
    """Cross-parameter checks in Meilisearch's order, then the dataclass."""
    _check_search_kind(values)
    check_filter_type(values.get("filter"))
    if values.get("sort") is not None:
        values["sort"] = parse_sort(values["sort"])
    return _build(values)


def _build(values: Mapping[str, Any]) -> SearchQuery:
    kwargs = {k: v for k, v in values.items() if v is not None or k in _NULLABLE}
    return SearchQuery(**kwargs)


_NULLABLE = frozenset(
    a for a in SearchQuery.__dataclass_fields__ if SearchQuery.__dataclass_fields__[a].default is None
)


def parse_search_body(body: Any) -> SearchQuery:
    """``POST /indexes/{uid}/search`` body -> :class:`SearchQuery`, or the first coded error."""
    return _finish(walk(_object_body(body), "", SEARCH_FIELDS))


# -- GET /search -----------------------------------------------------------------------------------

GET_PARAMS = (
    "q", "vector", "offset", "limit", "page", "hitsPerPage", "attributesToRetrieve", "retrieveVectors",
    "attributesToCrop", "cropLength", "attributesToHighlight", "filter", "sort", "distinct",
    "showMatchesPosition", "showRankingScore", "showRankingScoreDetails", "showPerformanceDetails", "facets",
    "highlightPreTag", "highlightPostTag", "cropMarker", "matchingStrategy", "attributesToSearchOn",
    "hybridEmbedder", "hybridSemanticRatio", "rankingScoreThreshold", "locales", "personalizeUserContext",
    "useNetwork",
)
_GET_UINTS = {"offset": "offset", "limit": "limit", "page": "page", "hitsPerPage": "hits_per_page",
              "cropLength": "crop_length"}
_GET_BOOLS = {"retrieveVectors": "retrieve_vectors", "showMatchesPosition": "show_matches_position",
              "showRankingScore": "show_ranking_score", "showRankingScoreDetails": "show_ranking_score_details",
              "showPerformanceDetails": "show_performance_details", "useNetwork": "use_network"}
_GET_STRINGS = {"q": "q", "distinct": "distinct", "highlightPreTag": "highlight_pre_tag",
                "highlightPostTag": "highlight_post_tag", "cropMarker": "crop_marker"}
_GET_LISTS = {"attributesToRetrieve": ("attributes_to_retrieve", lambda xs: tuple(sorted(set(xs)))),
              "attributesToCrop": ("attributes_to_crop", tuple),
              "attributesToHighlight": ("attributes_to_highlight", lambda xs: tuple(dict.fromkeys(xs))),
              "facets": ("facets", tuple),
              "attributesToSearchOn": ("attributes_to_search_on", tuple)}
_CODES = {f.attr: f.code for f in SEARCH_FIELDS}


def _rust_float(text: str) -> float | None:
    """Rust's ``str::parse::<f32|f64>``: no surrounding spaces, no `_`, `inf`/`nan` allowed."""
    if not text or text != text.strip() or "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _unit_interval_param(name: str, raw: str, field_name: str, code: str, as_f32: bool = False) -> float:
    number = _rust_float(raw)
    if number is not None and as_f32:
        number = _f32(number)
    if number is None or not 0.0 <= number <= 1.0:
        raise param_error(name, unit_interval_message(field_name), code)
    return number


def _locales_param(raw: str, code: str) -> tuple[str, ...]:
    out = []
    for i, text in enumerate(raw.split(",")):
        try:
            out.append(locale(text, "", code))
        except LoupeError as err:  # reuse the settings wording, re-anchored on the parameter
            raise param_error(f"locales[{i}]", err.message.split(": ", 1)[1], code) from None
    return tuple(out)


def _vector_param(raw: str, code: str) -> tuple[float, ...]:
    out = []
    for i, text in enumerate(raw.split(",")):
        number = _rust_float(text)
        if number is None:
            raise param_error(f"vector[{i}]", "invalid float literal", code)
        out.append(_f32(number))
    return tuple(out)


def filter_from_query_string(raw: str) -> Any:
    """GET ``filter``: the JSON value when the string parses as JSON, else the string itself."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw


def parse_search_query_string(params: Mapping[str, str]) -> SearchQuery:
    """``GET /indexes/{uid}/search`` query string -> :class:`SearchQuery` (api.md §5 GET encoding)."""
    values: dict[str, Any] = {}
    embedder = ratio = None
    for key, raw in params.items():  # like deserr: the first bad parameter in query order wins
        if key not in GET_PARAMS:
            raise unknown_parameter(key, GET_PARAMS)
        if key in _GET_UINTS:
            attr = _GET_UINTS[key]
            values[attr] = parse_uint_param(key, raw, _CODES[attr])
        elif key in _GET_BOOLS:
            attr = _GET_BOOLS[key]
            values[attr] = parse_bool_param(key, raw, _CODES[attr])
        elif key in _GET_STRINGS:
            values[_GET_STRINGS[key]] = raw
        elif key in _GET_LISTS:
            attr, shape = _GET_LISTS[key]
            values[attr] = shape(raw.split(","))
        elif key == "vector":
            values["vector"] = _vector_param(raw, "invalid_search_vector")
        elif key == "filter":
            values["filter"] = filter_from_query_string(raw)
        elif key == "sort":
            values["sort"] = split_sort_query_string(raw)
        elif key == "matchingStrategy":
            if raw not in MATCHING_STRATEGIES:
                raise unknown_value_param(raw, key, MATCHING_STRATEGIES, "invalid_search_matching_strategy")
            values["matching_strategy"] = raw
        elif key == "hybridEmbedder":
            embedder = raw
        elif key == "hybridSemanticRatio":
            ratio = _unit_interval_param(key, raw, "semanticRatio", "invalid_search_semantic_ratio", as_f32=True)
        elif key == "rankingScoreThreshold":
            values["ranking_score_threshold"] = _unit_interval_param(
                key, raw, "rankingScoreThreshold", "invalid_search_ranking_score_threshold")
        elif key == "locales":
            values["locales"] = _locales_param(raw, "invalid_search_locales")
        elif key == "personalizeUserContext":
            values["personalize"] = Personalize(raw)
    if embedder is None and ratio is not None:
        raise LoupeError("invalid_search_hybrid_query", "`hybridEmbedder` is mandatory when `hybridSemanticRatio` is present")
    if embedder is not None:
        values["hybrid"] = HybridQuery(embedder, DEFAULT_SEMANTIC_RATIO if ratio is None else ratio)
    if "vector" in values and embedder is None:
        raise LoupeError("missing_search_hybrid", "`hybridEmbedder` is mandatory when `vector` is present")
    return _finish(values)


def unknown_value_param(value: str, name: str, accepted: Sequence[str], code: str) -> LoupeError:
    listed = ", ".join(f"`{a}`" for a in accepted)
    return LoupeError(code, f"Unknown value `{value}` for parameter `{name}`: expected one of {listed}")


# -- checks against the index (ranking.md §3.8, filters-facets.md §5.1) ----------------------------

def _index_prefix(index_uid: str | None) -> str:
    return f"Index `{index_uid}`: " if index_uid else ""


def check_attributes_to_search_on(
    attributes: Sequence[str] | None,
    searchable_setting: Sequence[str] | None,
    displayed: Sequence[str] | None = None,
    index_uid: str | None = None,
) -> None:
    """Reject an entry that names no searchable attribute — only when ``searchableAttributes`` was
    set by the user (``None``/``["*"]`` = the default, where unknown names are silently ignored)."""
    if not attributes or "*" in attributes:
        return
    if searchable_setting is None or "*" in searchable_setting:
        return
    for attribute in attributes:
        if not any(match_pattern(attribute, s) == "match" or match_legacy(s, attribute) == "match"
                   for s in searchable_setting):
            listed = available_list(searchable_setting, displayed)
            raise LoupeError(
                "invalid_search_attributes_to_search_on",
                f"{_index_prefix(index_uid)}Attribute `{attribute}` is not searchable. "
                f"Available searchable attributes are: `{listed}`.",
            )


def _facet_error(message: str, index_uid: str | None) -> LoupeError:
    return LoupeError("invalid_search_facets", f"{_index_prefix(index_uid)}Invalid facet distribution: {message}")


def _pattern_intersects(pattern: str, rules: FilterableRules, field_names: Sequence[str]) -> bool:
    """Does the request pattern overlap a rule that enables filtering?"""
    for rule in rules.rules:
        if not rule.features.is_filterable:
            continue
        if pattern == "*":
            return True
        for rule_pattern in rule.patterns:
            if match_pattern(pattern, rule_pattern) != "none" or rule.matches(pattern) != "none":
                return True
    return any(match_pattern(pattern, name) == "match" and rules.is_filterable(name) for name in field_names)


def check_facets(
    patterns: Sequence[str] | None,
    filterable_rules: FilterableRules,
    field_names: Sequence[str],
    index_uid: str | None = None,
) -> list[str]:
    """Validate ``facets`` and return the selected field names, sorted (filters-facets.md §5.1).

    A pattern must overlap at least one filtering rule; an exact name whose first matching rule
    disables filtering gets the rule-number hint instead.
    """
    if not patterns:
        return []
    for pattern in patterns:
        found = filterable_rules.match(pattern) if "*" not in pattern else None
        if found is not None and not found[1].is_filterable:
            n = found[0]
            raise _facet_error(
                f"Attribute `{pattern}` matched rule #{n} in filterableAttributes, but this rule does not enable "
                f"filtering.\nHint: enable filtering in rule #{n} by modifying the features.filter object\n"
                f"Hint: prepend another rule matching `{pattern}` with appropriate filter features before rule #{n}",
                index_uid,
            )
        if found is None and not _pattern_intersects(pattern, filterable_rules, field_names):
            available = filterable_rules.filterable_patterns()
            tail = (f"Available filterable attributes patterns are: `{', '.join(available)}`." if available
                    else "This index does not have configured filterable attributes.")
            raise _facet_error(f"Pattern `{pattern}` is not filterable. {tail}", index_uid)
    return sorted(
        name for name in set(field_names)
        if filterable_rules.is_filterable(name) and any(match_pattern(p, name) == "match" for p in patterns)
    )


# -- facet search (filters-facets.md §6.1) ---------------------------------------------------------

@dataclass(frozen=True)
class FacetSearchQuery:
    facet_name: str
    facet_query: str | None = None
    q: str | None = None
    vector: tuple[float, ...] | None = None
    media: Any = None
    hybrid: HybridQuery | None = None
    filter: Any = None
    matching_strategy: str = "last"
    attributes_to_search_on: tuple[str, ...] | None = None
    ranking_score_threshold: float | None = None
    locales: tuple[str, ...] | None = None
    exhaustive_facet_count: bool | None = None
    use_network: bool | None = None


_BY_KEY = {f.key: f for f in SEARCH_FIELDS}
FACET_SEARCH_FIELDS: tuple[Field, ...] = (
    _f("facetQuery", "facet_query", "invalid_facet_search_facet_query", _optional(check_str)),
    Field("facetName", "facet_name", "invalid_facet_search_facet_name", check_str, required=True,
          missing_code="missing_facet_search_facet_name"),
    *(_BY_KEY[k] for k in ("q", "vector", "media", "hybrid", "filter", "matchingStrategy", "attributesToSearchOn",
                          "rankingScoreThreshold", "locales")),
    _f("exhaustiveFacetCount", "exhaustive_facet_count", "invalid_facet_search_exhaustive_facet_count",
       _optional(check_bool)),
    _BY_KEY["useNetwork"],
)


def parse_facet_search_body(body: Any) -> FacetSearchQuery:
    """``POST /indexes/{uid}/facet-search``; unknown keys are ignored so a search body can be reused."""
    body = _object_body(body)
    values = walk(body, "", FACET_SEARCH_FIELDS, deny_unknown=False)
    _check_search_kind(values)
    check_filter_type(values.get("filter"))
    return FacetSearchQuery(**{k: v for k, v in values.items() if v is not None or k == "facet_query"})


def _object_body(body: Any) -> dict:
    """A whole body of the wrong JSON type is ``bad_request`` (errors-auth.md §3.1)."""
    if not isinstance(body, dict):
        raise type_error("", "an object", body, "bad_request")
    return body


# -- similar documents (api.md §7, hybrid.md §6) ---------------------------------------------------

@dataclass(frozen=True)
class SimilarQuery:
    id: str
    embedder: str
    offset: int = DEFAULT_OFFSET
    limit: int = DEFAULT_LIMIT
    filter: Any = None
    attributes_to_retrieve: tuple[str, ...] | None = None
    retrieve_vectors: bool = False
    show_ranking_score: bool = False
    show_ranking_score_details: bool = False
    show_performance_details: bool = False
    ranking_score_threshold: float | None = None


def _similar_id(value: Any, path: str, code: str) -> str:
    try:
        return external_id(value)
    except LoupeError as err:
        raise invalid_value(path, err.message, code) from None


SIMILAR_FIELDS: tuple[Field, ...] = (
    Field("id", "id", "invalid_similar_id", _similar_id, required=True),
    _f("offset", "offset", "invalid_similar_offset", check_uint),
    _f("limit", "limit", "invalid_similar_limit", check_uint),
    _f("filter", "filter", "invalid_similar_filter", _any),
    Field("embedder", "embedder", "invalid_similar_embedder", check_str, required=True),
    _f("attributesToRetrieve", "attributes_to_retrieve", "invalid_similar_attributes_to_retrieve",
       _optional(_str_sorted_set)),
    _f("retrieveVectors", "retrieve_vectors", "invalid_similar_retrieve_vectors", check_bool),
    _f("showRankingScore", "show_ranking_score", "invalid_similar_show_ranking_score", check_bool),
    _f("showRankingScoreDetails", "show_ranking_score_details", "invalid_similar_show_ranking_score_details", check_bool),
    _f("showPerformanceDetails", "show_performance_details", "invalid_similar_show_performance_details", check_bool),
    _f("rankingScoreThreshold", "ranking_score_threshold", "invalid_similar_ranking_score_threshold",
       _optional(_unit_interval("rankingScoreThreshold"))),
)


def parse_similar_body(body: Any) -> SimilarQuery:
    """``POST /indexes/{uid}/similar``: ``id`` and ``embedder`` required (missing -> ``bad_request``)."""
    values = walk(_object_body(body), "", SIMILAR_FIELDS)
    check_filter_type(values.get("filter"), "invalid_similar_filter")
    return SimilarQuery(**{k: v for k, v in values.items() if v is not None})


SIMILAR_GET_PARAMS = (
    "id", "offset", "limit", "attributesToRetrieve", "retrieveVectors", "filter", "showRankingScore",
    "showRankingScoreDetails", "showPerformanceDetails", "rankingScoreThreshold", "embedder",
)


def parse_similar_query_string(params: Mapping[str, str]) -> SimilarQuery:
    """``GET /indexes/{uid}/similar``: the body's names as query parameters, ``filter`` a string."""
    values: dict[str, Any] = {}
    for key, raw in params.items():
        if key not in SIMILAR_GET_PARAMS:
            raise unknown_parameter(key, SIMILAR_GET_PARAMS)
        code = "invalid_similar_" + _snake(key)
        if key in ("offset", "limit"):
            values[key] = parse_uint_param(key, raw, code)
        elif key in ("retrieveVectors", "showRankingScore", "showRankingScoreDetails", "showPerformanceDetails"):
            values[_snake(key)] = parse_bool_param(key, raw, code)
        elif key == "attributesToRetrieve":
            values["attributes_to_retrieve"] = tuple(sorted(set(raw.split(","))))
        elif key == "rankingScoreThreshold":
            values["ranking_score_threshold"] = _unit_interval_param(key, raw, key, code)
        elif key == "id":
            try:
                values["id"] = external_id(raw)
            except LoupeError as err:
                raise param_error("id", err.message, code) from None
        else:  # filter, embedder
            values[key] = raw
    for required in ("id", "embedder"):
        if required not in values:
            raise LoupeError("bad_request", f"Missing parameter `{required}`")
    return SimilarQuery(**values)


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", r"_\1", name).lower()


# -- multi-search and federation (api.md §6) -------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FederationOptions:
    weight: float = DEFAULT_FEDERATED_WEIGHT
    remote: str | None = None
    query_position: int | None = None


@dataclass(frozen=True, slots=True)
class MergeFacets:
    max_values_per_facet: int | None = None


@dataclass(frozen=True)
class Federation:
    offset: int = DEFAULT_OFFSET
    limit: int = DEFAULT_LIMIT
    page: int | None = None
    hits_per_page: int | None = None
    facets_by_index: dict[str, tuple[str, ...] | None] = field(default_factory=dict)
    merge_facets: MergeFacets | None = None
    distinct: str | None = None
    show_performance_details: bool = False
    personalize: Personalize | None = None

    def is_finite_pagination(self) -> bool:
        return self.page is not None or self.hits_per_page is not None


@dataclass(frozen=True)
class MultiSearchQuery:
    """One entry of ``queries``; ``explicit`` names the parameters that were sent non-null."""

    index_uid: str
    query: SearchQuery
    federation_options: FederationOptions | None = None
    explicit: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MultiSearch:
    queries: tuple[MultiSearchQuery, ...]
    federation: Federation | None = None

    @property
    def is_federated(self) -> bool:
        return self.federation is not None


def index_uid_error(uid: str, path: str) -> LoupeError:
    return invalid_value(
        path,
        f"`{uid}` is not a valid index uid. Index uid can be an integer or a string containing only alphanumeric "
        "characters, hyphens (-) and underscores (_), and can not be more than 512 bytes.",
        "invalid_index_uid",
    )


def _index_uid(value: Any, path: str, code: str) -> str:
    uid = check_str(value, path, code)
    if not INDEX_UID_RE.match(uid):
        raise index_uid_error(uid, path)
    return uid


def _weight(value: Any, path: str, code: str) -> float:
    number = check_number(value, path, code)
    if number < 0.0:
        raise invalid_value(path, "the value of `weight` is invalid, expected a positive float (>= 0.0).", code)
    return number


FEDERATION_OPTIONS_FIELDS: tuple[Field, ...] = (
    _f("weight", "weight", "invalid_multi_search_weight", _weight),
    _f("remote", "remote", "invalid_multi_search_remote", _optional(check_str)),
    _f("queryPosition", "query_position", "invalid_multi_search_query_position", _optional(check_uint)),
)


def _federation_options(value: Any, path: str, code: str) -> FederationOptions:
    values = walk(check_object(value, path, code), path, FEDERATION_OPTIONS_FIELDS)
    return FederationOptions(**{k: v for k, v in values.items() if v is not None or k != "weight"})


# `SearchQueryWithIndex`: indexUid first, pagination optional (to detect it), federationOptions last.
QUERY_WITH_INDEX_FIELDS: tuple[Field, ...] = (
    Field("indexUid", "index_uid", "invalid_index_uid", _index_uid, required=True, missing_code="missing_index_uid"),
    *(
        Field(f.key, f.attr, f.code, _optional(f.check)) if f.key in ("offset", "limit", "showPerformanceDetails") else f
        for f in SEARCH_FIELDS
    ),
    _f("federationOptions", "federation_options", "bad_request", _optional(_federation_options)),
)


def _facets_by_index(value: Any, path: str, code: str) -> dict[str, tuple[str, ...] | None]:
    out = {}
    for uid, facets in check_object(value, path, code).items():
        where = f"{path}.{uid}"
        if not INDEX_UID_RE.match(uid):
            raise LoupeError(code, index_uid_error(uid, where).message)
        out[uid] = None if facets is None else _str_list(facets, where, code)
    return dict(sorted(out.items()))


def _merge_facets(value: Any, path: str, code: str) -> MergeFacets:
    fields = (_f("maxValuesPerFacet", "max_values_per_facet", "invalid_multi_search_max_values_per_facet",
                 _optional(check_uint)),)
    return MergeFacets(**walk(check_object(value, path, code), path, fields, unknown_code=code))


FEDERATION_FIELDS: tuple[Field, ...] = (
    _f("limit", "limit", "invalid_search_limit", check_uint),
    _f("offset", "offset", "invalid_search_offset", check_uint),
    _f("page", "page", "invalid_search_page", _optional(check_uint)),
    _f("hitsPerPage", "hits_per_page", "invalid_search_hits_per_page", _optional(check_uint)),
    _f("facetsByIndex", "facets_by_index", "invalid_multi_search_facets_by_index", _facets_by_index),
    _f("mergeFacets", "merge_facets", "invalid_multi_search_merge_facets", _optional(_merge_facets)),
    _f("distinct", "distinct", "invalid_search_distinct", _optional(check_str)),
    # upstream tests show this code (not invalid_search_show_performance_details) for the federation key
    _f("showPerformanceDetails", "show_performance_details", "invalid_multi_search_query_show_performance_details",
       check_bool),
    _f("personalize", "personalize", "invalid_search_personalize", _optional(_personalize)),
)


def _federation(value: Any, path: str, code: str) -> Federation:
    values = walk(check_object(value, path, code), path, FEDERATION_FIELDS)
    return Federation(**{k: v for k, v in values.items() if v is not None})


def _queries(value: Any, path: str, code: str) -> list[tuple[dict[str, Any], frozenset[str]]]:
    out = []
    for i, item in enumerate(check_list(value, path, code)):
        where = f"{path}[{i}]"
        raw = check_object(item, where, code)
        values = walk(raw, where, QUERY_WITH_INDEX_FIELDS)
        out.append((values, frozenset(k for k, v in raw.items() if v is not None)))
    return out


MULTI_SEARCH_FIELDS: tuple[Field, ...] = (
    Field("queries", "queries", "bad_request", _queries, required=True),
    _f("federation", "federation", "invalid_multi_search_federated", _optional(_federation)),
)


def _inside(i: int, err: LoupeError) -> LoupeError:
    return err.with_prefix(f"Inside `.queries[{i}]`: ")


def _federated_restrictions(i: int, uid: str, explicit: frozenset[str], values: Mapping[str, Any],
                            federation: Federation) -> None:
    """What a query may not carry once results are merged (api.md §6), in Meilisearch's order."""
    for key in ("offset", "limit", "page", "hitsPerPage"):
        if key in explicit:
            raise LoupeError(
                "invalid_multi_search_query_pagination",
                f"Inside `.queries[{i}]`: Using pagination options is not allowed in federated queries.\n"
                f" - Hint: remove `{key}` from query #{i} or remove `federation` from the request\n"
                " - Hint: pass `federation.limit` and `federation.offset` for pagination in federated search",
            )
    facets = values.get("facets")
    if facets:
        listed = "[" + ", ".join(orjson.dumps(f).decode() for f in facets) + "]"
        raise LoupeError(
            "invalid_multi_search_query_facets",
            f"Inside `.queries[{i}]`: Using facet options is not allowed in federated queries.\n"
            f" - Hint: remove `facets` from query #{i} or remove `federation` from the request\n"
            f" - Hint: pass `federation.facetsByIndex.{uid}: {listed}` for facets in federated search",
        )
    for key, code in (("showPerformanceDetails", "invalid_multi_search_query_show_performance_details"),
                      ("personalize", "invalid_multi_search_query_personalization")):
        if key in explicit:
            raise LoupeError(
                code,
                f"Inside `.queries[{i}]`: Using `.{key}` is not allowed in federated queries.\n"
                f" - Hint: remove `{key}` from query #{i} or remove `federation` from the request",
            )
    if values.get("distinct") is not None and federation.distinct is not None:
        raise LoupeError(
            "invalid_multi_search_distinct",
            f"Inside `.queries[{i}]`: Using `.distinct` is not allowed when `federation.distinct` is set.\n"
            f" - Hint: remove `distinct` from query #{i} or remove `distinct` from the federation",
        )
    options = values.get("federation_options")
    if values.get("use_network") is True and options is not None and options.remote is not None:
        raise LoupeError(
            "invalid_multi_search_federation_options",
            f"Inside `.queries[{i}]`: Using `useNetwork` is not allowed together with `federationOptions.remote`.\n"
            f" - Hint: remove `useNetwork` or `federationOptions.remote` from query #{i}",
        )


def parse_multi_search_body(body: Any) -> MultiSearch:
    """``POST /multi-search`` -> :class:`MultiSearch`; every error tied to one query carries the
    ``Inside `.queries[i]`: `` prefix (deserr errors carry the path instead)."""
    values = walk(_object_body(body), "", MULTI_SEARCH_FIELDS)
    federation: Federation | None = values.get("federation")
    entries = values["queries"]
    if federation is not None:
        for i, (query_values, explicit) in enumerate(entries):
            _federated_restrictions(i, query_values["index_uid"], explicit, query_values, federation)
    queries = []
    for i, (query_values, explicit) in enumerate(entries):
        query_values = dict(query_values)
        uid = query_values.pop("index_uid")
        options = query_values.pop("federation_options", None)
        if federation is None and options is not None:
            raise _inside(i, LoupeError(
                "invalid_multi_search_federation_options",
                "Using `federationOptions` is not allowed in a non-federated search.\n"
                f" - Hint: remove `federationOptions` from query #{i} or add `federation` to the request.",
            ))
        try:
            query = _finish(query_values)
        except LoupeError as err:
            raise _inside(i, err) from None
        queries.append(MultiSearchQuery(uid, query, options, explicit))
    return MultiSearch(tuple(queries), federation)


__all__ = [
    "DEFAULT_CROP_LENGTH", "DEFAULT_CROP_MARKER", "DEFAULT_HIGHLIGHT_POST_TAG", "DEFAULT_HIGHLIGHT_PRE_TAG",
    "DEFAULT_LIMIT", "DEFAULT_OFFSET", "DEFAULT_SEMANTIC_RATIO", "FacetSearchQuery", "Federation",
    "FederationOptions", "HybridQuery", "MergeFacets", "MultiSearch", "MultiSearchQuery", "Personalize",
    "SearchQuery", "SimilarQuery", "check_attributes_to_search_on", "check_facets", "check_filter_type",
    "filter_from_query_string", "parse_facet_search_body", "parse_multi_search_body", "parse_search_body",
    "parse_search_query_string", "parse_similar_body", "parse_similar_query_string",
]
