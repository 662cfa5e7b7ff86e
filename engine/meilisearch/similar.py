"""``/indexes/{uid}/similar``: parameters (POST body and GET query string, api.md §7, hybrid.md §6)
with Meilisearch's errors, and the response (`run_similar`)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from ..documents.primary_key import external_id
from ..errors import LoupeError
from ..settings.checks import check_bool, check_str, check_uint
from ..settings.validate import invalid_value, param_error, parse_bool_param, parse_uint_param, unknown_parameter

from .fields import Field, any_value, check_filter_type, field, object_body, optional, str_sorted_set, unit_interval, walk
from .search_params import DEFAULT_LIMIT, DEFAULT_OFFSET, unit_interval_param


@dataclass(frozen=True)
class SimilarParams:
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
    field("offset", "offset", "invalid_similar_offset", check_uint),
    field("limit", "limit", "invalid_similar_limit", check_uint),
    field("filter", "filter", "invalid_similar_filter", any_value),
    Field("embedder", "embedder", "invalid_similar_embedder", check_str, required=True),
    field("attributesToRetrieve", "attributes_to_retrieve", "invalid_similar_attributes_to_retrieve",
          optional(str_sorted_set)),
    field("retrieveVectors", "retrieve_vectors", "invalid_similar_retrieve_vectors", check_bool),
    field("showRankingScore", "show_ranking_score", "invalid_similar_show_ranking_score", check_bool),
    field("showRankingScoreDetails", "show_ranking_score_details", "invalid_similar_show_ranking_score_details", check_bool),
    field("showPerformanceDetails", "show_performance_details", "invalid_similar_show_performance_details", check_bool),
    field("rankingScoreThreshold", "ranking_score_threshold", "invalid_similar_ranking_score_threshold",
          optional(unit_interval("rankingScoreThreshold"))),
)


def parse_similar_body(body: Any) -> SimilarParams:
    """``POST /indexes/{uid}/similar``: ``id`` and ``embedder`` required (missing -> ``bad_request``)."""
    values = walk(object_body(body), "", SIMILAR_FIELDS)
    check_filter_type(values.get("filter"), "invalid_similar_filter")
    return SimilarParams(**{k: v for k, v in values.items() if v is not None})


SIMILAR_GET_PARAMS = (
    "id", "offset", "limit", "attributesToRetrieve", "retrieveVectors", "filter", "showRankingScore",
    "showRankingScoreDetails", "showPerformanceDetails", "rankingScoreThreshold", "embedder",
)


def parse_similar_query_string(params: Mapping[str, str]) -> SimilarParams:
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
            values["ranking_score_threshold"] = unit_interval_param(key, raw, key, code)
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
    return SimilarParams(**values)


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", r"_\1", name).lower()



def run_similar(index: Any, params: SimilarParams, *, tenant_filter: Any = None) -> dict[str, Any]:
    """The similar route's response body: hits, the target id (always a string), time, page keys."""
    import time
    from .render import HitRenderer
    from .search_params import SearchParams
    from ..tasks.timefmt import format_trace_duration
    from .request_uid import new_request_uid
    started = time.perf_counter_ns()
    result = index.similar(params.id, params.embedder, filter=params.filter, tenant_filter=tenant_filter,
                           offset=params.offset, limit=params.limit, threshold=params.ranking_score_threshold,
                           retrieve_vectors=params.retrieve_vectors)
    shown = SearchParams(attributes_to_retrieve=params.attributes_to_retrieve, retrieve_vectors=params.retrieve_vectors,
                         show_ranking_score=params.show_ranking_score,
                         show_ranking_score_details=params.show_ranking_score_details)
    renderer = HitRenderer(shown, result.displayed, result=result)
    hits = [renderer.render(hit) for hit in result.hits]
    elapsed = time.perf_counter_ns() - started
    response = {"hits": hits, "id": params.id, "processingTimeMs": elapsed // 1_000_000, "limit": params.limit,
                "offset": params.offset, "estimatedTotalHits": result.total, "requestUid": new_request_uid()}
    if params.show_performance_details:
        response["performanceDetails"] = {"similar": format_trace_duration(elapsed)}
    return response
