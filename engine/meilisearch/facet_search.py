"""``POST /indexes/{uid}/facet-search`` (filters-facets.md §6.1): the values of one facet among the
documents a search would return; unknown keys are ignored so a search body can be reused."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..search.query import Query, Semantic
from ..settings.checks import check_bool, check_str

from .fields import Field, check_filter_type, field, object_body, optional, walk
from .search_params import SEARCH_FIELDS, HybridQuery, check_search_kind


@dataclass(frozen=True)
class FacetSearchParams:
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

    def to_query(self, filter: Any = None) -> Query:
        """The search whose candidates the facet values are counted among (no page: only the
        candidates matter)."""
        semantic = None if self.hybrid is None else Semantic(self.hybrid.embedder, self.hybrid.semantic_ratio,
                                                             self.vector, self.media)
        return Query(text=self.q, filter=self.filter if filter is None else filter, limit=0,
                     matching_strategy=self.matching_strategy, attributes_to_search_on=self.attributes_to_search_on,
                     ranking_score_threshold=self.ranking_score_threshold, semantic=semantic, locales=self.locales)


_BY_KEY = {f.key: f for f in SEARCH_FIELDS}
FACET_SEARCH_FIELDS: tuple[Field, ...] = (
    field("facetQuery", "facet_query", "invalid_facet_search_facet_query", optional(check_str)),
    Field("facetName", "facet_name", "invalid_facet_search_facet_name", check_str, required=True,
          missing_code="missing_facet_search_facet_name"),
    *(_BY_KEY[k] for k in ("q", "vector", "media", "hybrid", "filter", "matchingStrategy", "attributesToSearchOn",
                          "rankingScoreThreshold", "locales")),
    field("exhaustiveFacetCount", "exhaustive_facet_count", "invalid_facet_search_exhaustive_facet_count",
          optional(check_bool)),
    _BY_KEY["useNetwork"],
)


def parse_facet_search_body(body: Any) -> FacetSearchParams:
    body = object_body(body)
    values = walk(body, "", FACET_SEARCH_FIELDS, deny_unknown=False)
    check_search_kind(values)
    check_filter_type(values.get("filter"))
    return FacetSearchParams(**{k: v for k, v in values.items() if v is not None or k == "facet_query"})

