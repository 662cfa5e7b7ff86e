"""``POST /multi-search`` parameters (api.md §6): several searches, optionally federated.

Every error tied to one query carries the ``Inside `.queries[i]`: `` prefix (deserr errors carry
the path instead).  A federated request is checked in Meilisearch's order: the body is
deserialized here; what a federated query may not carry is refused by `partition`, which the
route calls once the API key has been checked for every query; the checks a plain search runs
while parsing (`vector` without `hybrid`, sort syntax, filter type) are kept on the query
(``deferred``) and raised when its index is searched, as Meilisearch raises them then."""
from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from typing import Any

import orjson

from ..errors import LoupeError
from ..settings.features import feature_not_enabled
from ..search.sort_spec import parse_sort
from ..settings.checks import check_bool, check_list, check_number, check_object, check_str, check_uint
from ..settings.validate import invalid_value

from .fields import Field, check_filter_type, field, object_body, optional, str_list, walk
from .search_params import (DEFAULT_FEDERATED_WEIGHT, DEFAULT_LIMIT, DEFAULT_OFFSET, SEARCH_FIELDS, Personalize,
                            SearchParams, _build, check_search_kind, finish, personalize)

INDEX_UID_RE = re.compile(r"[A-Za-z0-9_-]{1,400}\Z")


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
    facets_by_index: dict[str, tuple[str, ...] | None] = dataclass_field(default_factory=dict)
    merge_facets: MergeFacets | None = None
    distinct: str | None = None
    show_performance_details: bool = False
    personalize: Personalize | None = None

    def is_finite_pagination(self) -> bool:
        return self.page is not None or self.hits_per_page is not None


@dataclass(frozen=True)
class MultiSearchQuery:
    """One entry of ``queries``; ``explicit`` names the parameters that were sent non-null.
    ``deferred`` holds a federated query's parse-time errors by stage (``"kind"``: `vector`/`media`
    without `hybrid`; ``"sort"``: sort syntax; ``"filter"``: filter type), raised when its index
    is searched."""

    index_uid: str
    params: SearchParams
    federation_options: FederationOptions | None = None
    explicit: frozenset[str] = frozenset()
    deferred: tuple[tuple[str, LoupeError], ...] = ()

    def raise_deferred(self, stage: str) -> None:
        for name, err in self.deferred:
            if name == stage:
                raise err


@dataclass(frozen=True)
class FederatedQuery:
    """A federated query once partitioned: ``request_index`` is its place in ``queries``,
    ``position`` the query index errors and hits report (``federationOptions.queryPosition``
    when the `network` feature allows it, else ``request_index``)."""

    request_index: int
    position: int
    query: MultiSearchQuery

    @property
    def weight(self) -> float:
        options = self.query.federation_options
        return options.weight if options is not None else DEFAULT_FEDERATED_WEIGHT


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
    field("weight", "weight", "invalid_multi_search_weight", _weight),
    field("remote", "remote", "invalid_multi_search_remote", optional(check_str)),
    field("queryPosition", "query_position", "invalid_multi_search_query_position", optional(check_uint)),
)


def _federation_options(value: Any, path: str, code: str) -> FederationOptions:
    values = walk(check_object(value, path, code), path, FEDERATION_OPTIONS_FIELDS)
    return FederationOptions(**{k: v for k, v in values.items() if v is not None or k != "weight"})


# `SearchQueryWithIndex`: indexUid first, pagination optional (to detect it), federationOptions last.
QUERY_WITH_INDEX_FIELDS: tuple[Field, ...] = (
    Field("indexUid", "index_uid", "invalid_index_uid", _index_uid, required=True, missing_code="missing_index_uid"),
    *(
        Field(f.key, f.attr, f.code, optional(f.check)) if f.key in ("offset", "limit", "showPerformanceDetails") else f
        for f in SEARCH_FIELDS
    ),
    field("federationOptions", "federation_options", "bad_request", optional(_federation_options)),
)


def _facets_by_index(value: Any, path: str, code: str) -> dict[str, tuple[str, ...] | None]:
    out = {}
    for uid, facets in check_object(value, path, code).items():
        where = f"{path}.{uid}"
        if not INDEX_UID_RE.match(uid):
            raise LoupeError(code, index_uid_error(uid, where).message)
        out[uid] = None if facets is None else str_list(facets, where, code)
    return dict(sorted(out.items()))


def _merge_facets(value: Any, path: str, code: str) -> MergeFacets:
    fields = (field("maxValuesPerFacet", "max_values_per_facet", "invalid_multi_search_max_values_per_facet",
                 optional(check_uint)),)
    return MergeFacets(**walk(check_object(value, path, code), path, fields, unknown_code=code))


FEDERATION_FIELDS: tuple[Field, ...] = (
    field("limit", "limit", "invalid_search_limit", check_uint),
    field("offset", "offset", "invalid_search_offset", check_uint),
    field("page", "page", "invalid_search_page", optional(check_uint)),
    field("hitsPerPage", "hits_per_page", "invalid_search_hits_per_page", optional(check_uint)),
    field("facetsByIndex", "facets_by_index", "invalid_multi_search_facets_by_index", _facets_by_index),
    field("mergeFacets", "merge_facets", "invalid_multi_search_merge_facets", optional(_merge_facets)),
    field("distinct", "distinct", "invalid_search_distinct", optional(check_str)),
    # upstream tests show this code (not invalid_search_show_performance_details) for the federation key
    field("showPerformanceDetails", "show_performance_details", "invalid_multi_search_query_show_performance_details",
          check_bool),
    field("personalize", "personalize", "invalid_search_personalize", optional(personalize)),
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
    field("federation", "federation", "invalid_multi_search_federated", optional(_federation)),
)


def _inside(i: int, err: LoupeError) -> LoupeError:
    return err.with_prefix(f"Inside `.queries[{i}]`: ")


NETWORK_DISCUSSION = "https://github.com/orgs/meilisearch/discussions/805"


def _not_allowed(i: int, key: str, code: str) -> LoupeError:
    return LoupeError(code, f"Inside `.queries[{i}]`: Using `.{key}` is not allowed in federated queries.\n"
                            f" - Hint: remove `{key}` from query #{i} or remove `federation` from the request")


def _federated_restrictions(i: int, entry: MultiSearchQuery, federation: Federation) -> None:
    """What a query may not carry once results are merged (api.md §6), in Meilisearch's order."""
    explicit, params = entry.explicit, entry.params
    for key in ("offset", "limit", "page", "hitsPerPage"):
        if key in explicit:
            raise LoupeError(
                "invalid_multi_search_query_pagination",
                f"Inside `.queries[{i}]`: Using pagination options is not allowed in federated queries.\n"
                f" - Hint: remove `{key}` from query #{i} or remove `federation` from the request\n"
                " - Hint: pass `federation.limit` and `federation.offset` for pagination in federated search",
            )
    if params.facets:
        listed = "[" + ", ".join(orjson.dumps(f).decode() for f in params.facets) + "]"
        raise LoupeError(
            "invalid_multi_search_query_facets",
            f"Inside `.queries[{i}]`: Using facet options is not allowed in federated queries.\n"
            f" - Hint: remove `facets` from query #{i} or remove `federation` from the request\n"
            f" - Hint: pass `federation.facetsByIndex.{entry.index_uid}: {listed}` for facets in federated search",
        )
    if "personalize" in explicit:
        raise _not_allowed(i, "personalize", "invalid_multi_search_query_personalization")
    options = entry.federation_options
    if params.use_network is True and options is not None and options.remote is not None:
        raise LoupeError(
            "invalid_multi_search_federation_options",
            f"Inside `.queries[{i}]`: Using `useNetwork` is not allowed together with `federationOptions.remote`.\n"
            f" - Hint: remove `useNetwork` or `federationOptions.remote` from query #{i}",
        )
    if "showPerformanceDetails" in explicit:
        raise _not_allowed(i, "showPerformanceDetails", "invalid_multi_search_query_show_performance_details")
    if params.distinct is not None and federation.distinct is not None:
        raise LoupeError(
            "invalid_multi_search_distinct",
            f"Inside `.queries[{i}]`: Using `.distinct` is not allowed when `federation.distinct` is set.\n"
            f" - Hint: remove `distinct` from query #{i} or remove `distinct` from the federation",
        )


def partition(queries: tuple[MultiSearchQuery, ...], federation: Federation, *,
              network: bool = False) -> list[FederatedQuery]:
    """Meilisearch's per-query refusals of a federated request, query by query (the first one
    wins): what federation forbids, then `federationOptions.remote` (Loupe has no remotes: without
    the `network` feature it is `feature_not_enabled`, with it every remote is not registered),
    then `federationOptions.queryPosition` (needs the `network` feature; then it is the query's
    position)."""
    out = []
    for i, entry in enumerate(queries):
        _federated_restrictions(i, entry, federation)
        options = entry.federation_options or FederationOptions()
        if options.remote is not None:
            if not network:
                raise feature_not_enabled("Performing a remote federated search", "network", NETWORK_DISCUSSION)
            raise LoupeError("invalid_multi_search_remote",
                             f"Invalid `queries[{i}].federation_options.remote`: remote `{options.remote}` "
                             "is not registered")
        position = i
        if options.query_position is not None:
            if not network:
                raise feature_not_enabled("Using `federationOptions.queryPosition`", "network", NETWORK_DISCUSSION)
            position = options.query_position
        out.append(FederatedQuery(i, position, entry))
    return out


def _finish_deferred(values: dict[str, Any]) -> tuple[SearchParams, tuple[tuple[str, LoupeError], ...]]:
    """A federated query's parameters, its parse-time errors kept by stage instead of raised."""
    deferred = []
    try:
        check_search_kind(values)
    except LoupeError as err:
        deferred.append(("kind", err))
    if values.get("sort") is not None:
        try:
            values["sort"] = parse_sort(values["sort"])
        except LoupeError as err:
            deferred.append(("sort", err))
            values["sort"] = None
    try:
        check_filter_type(values.get("filter"))
    except LoupeError as err:
        deferred.append(("filter", err))
        values["filter"] = None
    return _build(values), tuple(deferred)


def parse_multi_search_body(body: Any) -> MultiSearch:
    """``POST /multi-search`` -> :class:`MultiSearch`; every error tied to one query carries the
    ``Inside `.queries[i]`: `` prefix (deserr errors carry the path instead).  A federated request
    still has to go through `partition`."""
    values = walk(object_body(body), "", MULTI_SEARCH_FIELDS)
    federation: Federation | None = values.get("federation")
    entries = values["queries"]
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
        if federation is not None:
            params, deferred = _finish_deferred(query_values)
            queries.append(MultiSearchQuery(uid, params, options, explicit, deferred))
            continue
        try:
            params = finish(query_values)
        except LoupeError as err:
            raise _inside(i, err) from None
        queries.append(MultiSearchQuery(uid, params, options, explicit))
    return MultiSearch(tuple(queries), federation)

