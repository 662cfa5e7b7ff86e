"""``POST /indexes/{uid}/fields`` (api.md §9): every field of an index with what its settings make
of it — displayed, searchable, sortable, distinct, in an ``asc``/``desc`` ranking rule, filterable
(with the features of the first filterableAttributes rule matching it and its facet order), and
the locales of its first localizedAttributes rule — sorted by name, filtered and paginated.

Each capability is decided the way Meilisearch's field metadata decides it: searchable and
sortable cover a field and its sub-fields, displayed and distinct name the field exactly, the
reserved `_vectors` fields are only ever displayed and `_geo` ones never searchable.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ..facets.distribution import sort_by_for
from ..facets.filterable import Features, FilterableRules, match_legacy, match_pattern
from ..settings.checks import check_bool, check_object, check_uint

from .fields import field, object_body, optional, str_list, walk

DEFAULT_LIMIT = 20
FILTER_CODE = "invalid_index_fields_filter"
_CAPABILITIES = ("displayed", "searchable", "sortable", "distinct", "rankingRule", "filterable")
_SNAKE = {"rankingRule": "ranking_rule"}
NO_FEATURES = Features(facet_search=False, equality=False, comparison=False)


@dataclass(frozen=True)
class FieldsFilter:
    """Conditions a listed field must all meet (None: any)."""

    attribute_patterns: tuple[str, ...] | None = None
    displayed: bool | None = None
    searchable: bool | None = None
    sortable: bool | None = None
    distinct: bool | None = None
    ranking_rule: bool | None = None
    filterable: bool | None = None

    def accepts(self, view: dict[str, Any]) -> bool:
        if self.attribute_patterns is not None and not any(
                match_pattern(p, view["name"]) == "match" for p in self.attribute_patterns):
            return False
        return all(wanted is None or view[key]["enabled"] == wanted
                   for key, wanted in ((k, getattr(self, _SNAKE.get(k, k))) for k in _CAPABILITIES))


@dataclass(frozen=True)
class ListFields:
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    filter: FieldsFilter | None = None


def _filter(value: Any, path: str, code: str) -> FieldsFilter:
    body = check_object(value, path, code)
    specs = (field("attributePatterns", "attribute_patterns", f"{FILTER_CODE}_attribute_patterns",
                   optional(str_list)),
             *(field(key, _SNAKE.get(key, key), f"{FILTER_CODE}_{_SNAKE.get(key, key)}", optional(check_bool))
               for key in _CAPABILITIES))
    return FieldsFilter(**walk(body, path, specs, unknown_code=code))


FIELDS = (
    field("offset", "offset", "invalid_index_offset", check_uint),
    field("limit", "limit", "invalid_index_limit", check_uint),
    field("filter", "filter", FILTER_CODE, optional(_filter)),
)


def parse_fields_body(body: Any) -> ListFields:
    """The body's offset, limit and filter, with deserr's complaints (unknown keys refused)."""
    return ListFields(**walk(object_body(body), "", FIELDS))


def list_fields(names: Sequence[str], settings: dict[str, Any], params: ListFields) -> dict[str, Any]:
    """The page of field descriptions: ``{"results", "offset", "limit", "total"}``."""
    describe = _Describer(settings)
    views = [describe(name) for name in sorted(set(names))]
    if params.filter is not None:
        views = [v for v in views if params.filter.accepts(v)]
    return {"results": views[params.offset:params.offset + params.limit], "offset": params.offset,
            "limit": params.limit, "total": len(views)}


class _Describer:
    """One field's description from the index's settings (read once per request)."""

    def __init__(self, settings: dict[str, Any]):
        searchable = settings.get("searchableAttributes") or ["*"]
        self.searchable = None if "*" in searchable else list(searchable)
        displayed = settings.get("displayedAttributes") or ["*"]
        self.displayed = None if "*" in displayed else set(displayed)
        self.sortable = list(settings.get("sortableAttributes") or [])
        self.distinct = settings.get("distinctAttribute")
        self.orders: dict[str, str] = {}
        for rule in settings.get("rankingRules") or []:
            name, _, order = rule.rpartition(":")
            if name and order in ("asc", "desc"):
                self.orders.setdefault(name, order)
        self.filterable = FilterableRules(settings.get("filterableAttributes") or [])
        self.sort_facet_values_by = (settings.get("faceting") or {}).get("sortFacetValuesBy")
        self.localized = settings.get("localizedAttributes") or []

    def __call__(self, name: str) -> dict[str, Any]:
        vectors = _covers("_vectors", name)
        geo = _covers("_geo", name) or _covers("_geojson", name)
        searchable = not (vectors or geo) and (
            self.searchable is None or any(_covers(p, name) for p in self.searchable))
        sortable = not vectors and any(match_legacy(p, name) == "match" for p in self.sortable)
        order = None if vectors or geo else self.orders.get(name)
        matched = None if vectors else self.filterable.match(name)
        features = matched[1] if matched is not None else NO_FEATURES
        ranking_rule: dict[str, Any] = {"enabled": order is not None}
        if order is not None:
            ranking_rule["order"] = order
        return {
            "name": name,
            "displayed": {"enabled": self.displayed is None or name in self.displayed},
            "searchable": {"enabled": searchable},
            "sortable": {"enabled": sortable},
            "distinct": {"enabled": not (vectors or geo) and name == self.distinct},
            "rankingRule": ranking_rule,
            "filterable": {"enabled": features.equality or features.comparison or features.facet_search,
                           "sortBy": "alpha" if vectors else sort_by_for(name, self.sort_facet_values_by),
                           "facetSearch": features.facet_search, "equality": features.equality,
                           "comparison": features.comparison},
            "localized": {"locales": [] if vectors or geo else self._locales(name)},
        }

    def _locales(self, name: str) -> list[str]:
        for rule in self.localized:
            if any(match_pattern(p, name) == "match" for p in rule.get("attributePatterns", [])):
                return list(rule.get("locales", []))
        return []


def _covers(attribute: str, name: str) -> bool:
    """``name`` is ``attribute`` or one of its sub-fields."""
    return name == attribute or name.startswith(attribute + ".")
