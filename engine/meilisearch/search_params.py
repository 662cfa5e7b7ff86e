"""Meilisearch's search parameters: the JSON body and the query string of
``/indexes/{uid}/search``, with Meilisearch's defaults and exact errors (api.md §5).

Checks that look at several parameters together (``vector`` needs ``hybrid``, sort syntax, filter
type) run after the walk, in the order Meilisearch runs them:

    >>> p = parse_search_body({"q": "hary", "limit": 5, "sort": ["price:desc"]})
    >>> (p.q, p.limit, p.offset, p.sort)
    ('hary', 5, 0, (SortSpec(field='price', ascending=False),))
    >>> parse_search_body({"limit": "doggo"})
    Traceback (most recent call last):
    ...
    engine.errors.LoupeError: Invalid value type at `.limit`: expected a positive integer, but found a string: `"doggo"`

What needs the index (sortable, filterable, searchable attributes, embedders) is the engine's to
check: `SearchParams.to_query` hands it the typed `engine.search.query.Query`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import orjson

from ..errors import LoupeError
from ..search.query import MATCHING_STRATEGIES, Query, Semantic
from ..search.sort_spec import Sort, parse_sort, split_sort_query_string
from ..settings.checks import check_bool, check_enum, check_object, check_str, check_uint, missing_field
from ..settings.values import locale_of_text, unsupported_locale
from ..settings.validate import param_error, parse_bool_param, parse_uint_param, unknown_field, unknown_parameter

from .fields import (Field, any_value, check_filter_type, f32, field, locale_list, object_body, optional,
                     str_list, str_sorted_set, str_unique, unit_interval, unit_interval_message, vector_values,
                     walk)

# -- defaults (meilisearch `search/mod.rs`) --------------------------------------------------------

DEFAULT_OFFSET = 0
DEFAULT_LIMIT = 20
DEFAULT_CROP_LENGTH = 10
DEFAULT_CROP_MARKER = "…"
DEFAULT_HIGHLIGHT_PRE_TAG = "<em>"
DEFAULT_HIGHLIGHT_POST_TAG = "</em>"
DEFAULT_SEMANTIC_RATIO = 0.5
DEFAULT_FEDERATED_WEIGHT = 1.0

MISSING_HYBRID = "Invalid request: missing `hybrid` parameter when `vector` or `media` are present."
MEDIA_AND_VECTOR = "Invalid request: both `media` and `vector` parameters are present."


@dataclass(frozen=True, slots=True)
class HybridQuery:
    embedder: str
    semantic_ratio: float = DEFAULT_SEMANTIC_RATIO


@dataclass(frozen=True, slots=True)
class Personalize:
    user_context: str


@dataclass(frozen=True)
class SearchParams:
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

    def page_window(self) -> tuple[int, int]:
        """(offset, limit) of the requested page: ``page``/``hitsPerPage`` win over
        ``offset``/``limit``; page 0 asks for no hit."""
        if not self.is_finite_pagination():
            return self.offset, self.limit
        per_page = self.per_page
        page = 1 if self.page is None else self.page
        return (0, 0) if page == 0 else ((page - 1) * per_page, per_page)

    @property
    def per_page(self) -> int:
        return DEFAULT_LIMIT if self.hits_per_page is None else self.hits_per_page

    @property
    def wants_scores(self) -> bool:
        return self.show_ranking_score or self.show_ranking_score_details

    def to_query(self, filter: Any = None) -> Query:
        """The engine's typed query for these parameters (``filter``: the request's filter with
        a tenant token's rules merged in, when the caller has one)."""
        offset, limit = self.page_window()
        semantic = None
        if self.hybrid is not None:
            semantic = Semantic(self.hybrid.embedder, self.hybrid.semantic_ratio, self.vector, self.media)
        return Query(
            text=self.q, filter=self.filter if filter is None else filter, sort=self.sort, distinct=self.distinct,
            offset=offset, limit=limit, exhaustive=self.is_finite_pagination(), facets=self.facets,
            matching_strategy=self.matching_strategy, attributes_to_search_on=self.attributes_to_search_on,
            ranking_score_threshold=self.ranking_score_threshold, scores=self.wants_scores, semantic=semantic,
            locales=self.locales, retrieve_vectors=self.retrieve_vectors)

    def crop_spec(self) -> list[tuple[str, int]]:
        """``attributesToCrop`` as (name, length): an entry is split on its last ``:``, the right
        part being the length when it reads as a non-negative integer and ``cropLength``
        otherwise (``title:abc`` crops ``title``); an entry without ``:`` is a name with
        ``cropLength`` (formatting.md §2, upstream's `add_crop_to_formatted_options`)."""
        out = []
        for entry in self.attributes_to_crop or ():
            name, colon, right = entry.rpartition(":")
            if colon:
                out.append((name, _crop_length(right, self.crop_length)))
            else:
                out.append((entry, self.crop_length))
        return out


def _crop_length(text: str, default: int) -> int:
    """The length of an ``attr:N`` entry: N as Rust reads a usize (ASCII digits, one optional
    leading ``+``, below 2**64), else ``default``."""
    digits = text[1:] if text.startswith("+") else text
    if digits.isascii() and digits.isdigit() and int(digits) < 1 << 64:
        return int(digits)
    return default


def _matching_strategy(value: Any, path: str, code: str) -> str:
    return check_enum(value, path, code, MATCHING_STRATEGIES)


HYBRID_FIELDS = ("semanticRatio", "embedder")


def _hybrid(value: Any, path: str, code: str) -> HybridQuery:
    """``{"embedder": str, "semanticRatio": f32 in [0, 1]}``; the object's own errors use ``code``."""
    obj = check_object(value, path, code)
    ratio, embedder = DEFAULT_SEMANTIC_RATIO, None
    for key, item in obj.items():
        where = f"{path}.{key}"
        if key == "semanticRatio":
            ratio = unit_interval("semanticRatio", as_f32=True)(item, where, "invalid_search_semantic_ratio")
        elif key == "embedder":
            embedder = check_str(item, where, "invalid_search_embedder")
        else:
            raise unknown_field(key, HYBRID_FIELDS, code, inside=path)
    if embedder is None:
        raise missing_field("embedder", path, code)
    return HybridQuery(embedder, ratio)


def personalize(value: Any, path: str, code: str) -> Personalize:
    obj = check_object(value, path, code)
    context = None
    for key, item in obj.items():
        if key != "userContext":
            raise unknown_field(key, ("userContext",), code, inside=path)
        context = check_str(item, f"{path}.userContext", "invalid_search_personalize_user_context")
    if context is None:
        raise missing_field("userContext", path, code)
    return Personalize(context)


# Declaration order of Meilisearch's `SearchQuery` (it is the order of "expected one of").
SEARCH_FIELDS: tuple[Field, ...] = (
    field("q", "q", "invalid_search_q", optional(check_str)),
    field("offset", "offset", "invalid_search_offset", check_uint),
    field("limit", "limit", "invalid_search_limit", check_uint),
    field("page", "page", "invalid_search_page", optional(check_uint)),
    field("hitsPerPage", "hits_per_page", "invalid_search_hits_per_page", optional(check_uint)),
    field("attributesToRetrieve", "attributes_to_retrieve", "invalid_search_attributes_to_retrieve", optional(str_sorted_set)),
    field("attributesToCrop", "attributes_to_crop", "invalid_search_attributes_to_crop", optional(str_list)),
    field("cropLength", "crop_length", "invalid_search_crop_length", check_uint),
    field("cropMarker", "crop_marker", "invalid_search_crop_marker", check_str),
    field("attributesToHighlight", "attributes_to_highlight", "invalid_search_attributes_to_highlight", optional(str_unique)),
    field("highlightPreTag", "highlight_pre_tag", "invalid_search_highlight_pre_tag", check_str),
    field("highlightPostTag", "highlight_post_tag", "invalid_search_highlight_post_tag", check_str),
    field("showMatchesPosition", "show_matches_position", "invalid_search_show_matches_position", check_bool),
    field("filter", "filter", "invalid_search_filter", any_value),
    field("sort", "sort", "invalid_search_sort", optional(str_list)),
    field("distinct", "distinct", "invalid_search_distinct", optional(check_str)),
    field("facets", "facets", "invalid_search_facets", optional(str_list)),
    field("matchingStrategy", "matching_strategy", "invalid_search_matching_strategy", _matching_strategy),
    field("attributesToSearchOn", "attributes_to_search_on", "invalid_search_attributes_to_search_on", optional(str_list)),
    field("rankingScoreThreshold", "ranking_score_threshold", "invalid_search_ranking_score_threshold",
          optional(unit_interval("rankingScoreThreshold"))),
    field("locales", "locales", "invalid_search_locales", optional(locale_list)),
    field("hybrid", "hybrid", "invalid_search_hybrid_query", optional(_hybrid)),
    field("vector", "vector", "invalid_search_vector", optional(vector_values)),
    field("retrieveVectors", "retrieve_vectors", "invalid_search_retrieve_vectors", check_bool),
    field("media", "media", "invalid_search_media", any_value),
    field("personalize", "personalize", "invalid_search_personalize", optional(personalize)),
    field("useNetwork", "use_network", "invalid_search_use_network", optional(check_bool)),
    field("showRankingScore", "show_ranking_score", "invalid_search_show_ranking_score", check_bool),
    field("showRankingScoreDetails", "show_ranking_score_details", "invalid_search_show_ranking_score_details", check_bool),
    field("showPerformanceDetails", "show_performance_details", "invalid_search_show_performance_details", check_bool),
)
SEARCH_KEYS = tuple(f.key for f in SEARCH_FIELDS)


def check_search_kind(values: Mapping[str, Any]) -> None:
    """`media`/`vector` need `hybrid` and exclude each other (checked before any search runs)."""
    media, vector, hybrid = values.get("media"), values.get("vector"), values.get("hybrid")
    if media is not None and vector is not None:
        raise LoupeError("invalid_search_media_and_vector", MEDIA_AND_VECTOR)
    if (media is not None or vector is not None) and hybrid is None:
        raise LoupeError("missing_search_hybrid", MISSING_HYBRID)


def finish(values: dict[str, Any]) -> SearchParams:
    """Cross-parameter checks in Meilisearch's order, then the dataclass."""
    check_search_kind(values)
    check_filter_type(values.get("filter"))
    if values.get("sort") is not None:
        values["sort"] = parse_sort(values["sort"])
    return _build(values)


def _build(values: Mapping[str, Any]) -> SearchParams:
    kwargs = {k: v for k, v in values.items() if v is not None or k in _NULLABLE}
    return SearchParams(**kwargs)


_NULLABLE = frozenset(
    a for a in SearchParams.__dataclass_fields__ if SearchParams.__dataclass_fields__[a].default is None
)


def parse_search_body(body: Any) -> SearchParams:
    """``POST /indexes/{uid}/search`` body -> :class:`SearchParams`, or the first coded error."""
    return finish(walk(object_body(body), "", SEARCH_FIELDS))


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


def unit_interval_param(name: str, raw: str, field_name: str, code: str, as_f32: bool = False) -> float:
    number = _rust_float(raw)
    if number is not None and as_f32:
        number = f32(number)
    if number is None or not 0.0 <= number <= 1.0:
        raise param_error(name, unit_interval_message(field_name), code)
    return number


def _locales_param(raw: str, code: str) -> tuple[str, ...]:
    """The comma-separated locales of a query string, parsed as Meilisearch's `CS<Locale>`: empty
    items skipped, the first unsupported one failing the whole parameter."""
    out = []
    for text in filter(None, raw.split(",")):
        found = locale_of_text(text)
        if found is None:
            raise param_error("locales", unsupported_locale(text), code)
        out.append(found)
    return tuple(out)


def _vector_param(raw: str, code: str) -> tuple[float, ...]:
    out = []
    for i, text in enumerate(raw.split(",")):
        number = _rust_float(text)
        if number is None:
            raise param_error(f"vector[{i}]", "invalid float literal", code)
        out.append(f32(number))
    return tuple(out)


def filter_from_query_string(raw: str) -> Any:
    """GET ``filter``: the JSON value when the string parses as JSON, else the string itself."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw


def parse_search_query_string(params: Mapping[str, str]) -> SearchParams:
    """``GET /indexes/{uid}/search`` query string -> :class:`SearchParams` (api.md §5 GET encoding)."""
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
            ratio = unit_interval_param(key, raw, "semanticRatio", "invalid_search_semantic_ratio", as_f32=True)
        elif key == "rankingScoreThreshold":
            values["ranking_score_threshold"] = unit_interval_param(
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
    return finish(values)


def unknown_value_param(value: str, name: str, accepted: Sequence[str], code: str) -> LoupeError:
    listed = ", ".join(f"`{a}`" for a in accepted)
    return LoupeError(code, f"Unknown value `{value}` for parameter `{name}`: expected one of {listed}")

