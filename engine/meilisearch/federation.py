"""Federated search (api.md §6): the queries' typed results merged into one ranked list.

Meilisearch's pipeline, in its order (every refusal is raised where Meilisearch raises it):

1. `multi_search.partition`: per query, what federation forbids, remotes, queryPosition;
2. indexes in ascending uid order, each once: it must exist; with `mergeFacets`, its
   `sortFacetValuesBy` must agree with the indexes seen before on every facet it lists; then each
   of its queries in request order (search kind and embedder, sort syntax, filter type, then the
   engine's own checks while it searches from the first hit to the end of the federation's page);
   the index's lists are merged (a document once, at its best place), `federation.distinct`
   drops later hits sharing a value, and its facets (`facetsByIndex`) are counted over the union
   of its queries' candidates minus those drops;
3. `facetsByIndex` entries of indexes no query uses: validated (exists, order, facets), not shown;
4. the indexes' lists merged, `federation.distinct` across indexes (each drop is one hit less in
   the total and is taken out of the facet counts), then the page.

Hits are compared by `compare`, rule group by rule group (`score_values`), ties to the lower query
position; the queries' ranking rules must allow it (`ranking_rules.Compatibility`).
Totals: per index the size of the union of its queries' candidates (not capped by maxTotalHits),
summed over indexes, minus the cross-index distinct drops.  Nothing here reads the index but
through `engine.index.Index` (search, facet counts, settings).
"""
from __future__ import annotations

import heapq
import sys
import time
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Callable, Iterable, Sequence

import orjson
from pyroaring import BitMap

from ..errors import LoupeError
from ..facets.values import normalize_facet_string
from ..index import Index
from ..search.checks import check_semantic
from ..search.hit_values import FieldValue, field_values
from ..search.query import FacetCounts, Hit, Query, SearchResult
from ..search.rules.base import Score
from ..search.scores import GEO, NUMBER, SORT, compare_sort_values, score_values
from ..settings.registry import DEFAULT_RANKING_RULES

from .multi_search import Federation, FederatedQuery, MultiSearchQuery, partition
from .ranking_rules import KEYWORD, PLACEHOLDER, VECTOR, Compatibility, RankingRules
from .render import HitRenderer
from ..tasks.timefmt import format_trace_duration
from .request_uid import new_request_uid
from .search_params import DEFAULT_LIMIT

EPSILON = sys.float_info.epsilon
ORDER_TEXT = {"alpha": "alphabetically", "count": "by count"}


def federation_window(federation: Federation) -> tuple[int, int]:
    """(offset, limit) of the federated page: ``page``/``hitsPerPage`` win, page 0 has no hit."""
    if not federation.is_finite_pagination():
        return federation.offset, federation.limit
    per_page = federation.hits_per_page if federation.hits_per_page is not None else DEFAULT_LIMIT
    page = federation.page if federation.page is not None else 1
    return ((page - 1) * per_page, per_page) if page else (0, 0)


# -- one hit of one query --------------------------------------------------------------------------

@dataclass(eq=False)
class Ranked:
    """A hit with what merging needs: its index, its query's position and weight, its renderer."""

    hit: Hit
    index_uid: str
    position: int
    weight: float
    renderer: HitRenderer = field(repr=False)

    @cached_property
    def weighted_score(self) -> float:
        return self.hit.score * self.weight

    @cached_property
    def score_values(self) -> list[tuple]:
        return score_values(self.hit.scores, self.weight)

    @cached_property
    def pin(self) -> tuple[float, int] | None:
        """(precedence, position) of a hit a dynamic search rule pinned, None for the others."""
        return next((score.pin for score in self.hit.scores if score.pin is not None), None)

    @cached_property
    def document(self) -> dict[str, Any]:
        return orjson.loads(self.hit.stored) if self.hit.stored is not None else {}

    def values(self, name: str) -> list[FieldValue]:
        return field_values(self.document, name)

    def __lt__(self, other: "Ranked") -> bool:
        """Goes first: the better hit, equal ones by lower query position (heapq.merge's order)."""
        order = compare(self, other)
        return order > 0 or (order == 0 and self.position < other.position)


def _order(difference: float) -> int:
    return 1 if difference > 0 else -1 if difference < 0 else 0


def compare(left: Ranked, right: Ranked) -> int:
    """> 0 when ``left`` ranks before ``right`` (notes/federation.md §2.2).  Score groups are
    compared in order: numbers (ranking rules, vector) by value within f64 epsilon, sorts of one
    direction by value, geo sorts by distance (the nearer first when ascending); when a pair cannot
    be compared (a number against a sort, a sort against a geo sort, opposite sort directions) the
    hit with more groups left wins, then the larger weighted ranking score.  A hit with groups left
    beats one without."""
    if left.pin is not None or right.pin is not None:
        return _pin_order(left.pin, right.pin)
    lv, rv = left.score_values, right.score_values
    for i in range(max(len(lv), len(rv))):
        if i >= len(lv):
            return -1
        if i >= len(rv):
            return 1
        a, b = lv[i], rv[i]
        if a[0] == NUMBER and b[0] == NUMBER:
            if abs(a[1] - b[1]) <= EPSILON:
                continue
            return _order(a[1] - b[1])
        if a[0] == SORT and b[0] == SORT and a[1] == b[1]:
            order = compare_sort_values(a[1], a[2], b[2])
            if order:
                return order
            continue
        if a[0] == GEO and b[0] == GEO:
            if a[1] != b[1] or (a[2] is None and b[2] is None):
                continue
            if a[2] is None or b[2] is None:
                return 1 if b[2] is None else -1
            if abs(a[2] - b[2]) <= EPSILON:
                continue
            return _order(b[2] - a[2]) if a[1] else _order(a[2] - b[2])
        remaining = (len(lv) - i) - (len(rv) - i)
        if remaining:
            return _order(remaining)
        return _order(left.weighted_score - right.weighted_score)
    return 0


def _pin_order(left: tuple[float, int] | None, right: tuple[float, int] | None) -> int:
    """Pinned hits go before all others, by precedence then position (upstream sorts the merged
    hits so)."""
    if left is None or right is None:
        return -1 if left is None else 1
    return (left < right) - (left > right)


def distinct_keys(values: Iterable[FieldValue]) -> list[tuple[str, FieldValue]]:
    """Distinct values as Meilisearch compares them: an integer and a float never equal."""
    return [("i" if isinstance(v, int) else "f" if isinstance(v, float) else "s", v) for v in values]


def shares_distinct_value(ranked: "Ranked", field: str, seen: set[tuple[str, FieldValue]]) -> bool:
    """Whether ``ranked`` holds a ``field`` value of a hit kept before (then it is dropped);
    otherwise its values join ``seen``."""
    keys = distinct_keys(ranked.values(field))
    if any(key in seen for key in keys):
        return True
    seen.update(keys)
    return False


# -- facets ------------------------------------------------------------------------------------------

def _json_number(value: int | float) -> str:
    """A JSON number as serde_json prints it (``2``, ``2.0``, ``1e21``, ``1.5e-7``)."""
    if isinstance(value, int):
        return str(value)
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def remove_hits(counts: FacetCounts, hits: Sequence[Ranked]) -> None:
    """Take distinct-rejected hits out of facet counts (one less per value a hit holds; values
    down to 0 disappear; stats are kept).  A string value finds its key through the normalized
    form of the keys, a number the key spelled as its JSON."""
    if not hits:
        return
    for name, values in counts.distribution.items():
        originals = {}
        for key in values:
            normalized = normalize_facet_string(key)
            if normalized != key:
                originals[normalized] = key
        emptied = False
        for ranked in hits:
            for value in ranked.values(name):
                key = originals.get(value, value) if isinstance(value, str) else _json_number(value)
                if key in values:
                    values[key] = max(values[key] - 1, 0)
                    emptied = emptied or values[key] == 0
        if emptied:
            counts.distribution[name] = {key: count for key, count in values.items() if count}


def merge_facets(by_index: dict[str, FacetCounts], orders: dict[str, str],
                 max_values: int | None) -> FacetCounts | None:
    """`mergeFacets`: counts of equal keys summed over indexes (uid order), stats widened, each
    facet re-ordered by the order its indexes share (`"alpha"`: by key; `"count"`: larger first)
    and cut at ``max_values`` when given; None when no index counted facets."""
    if not by_index:
        return None
    distribution: dict[str, dict[str, int]] = {}
    stats: dict[str, dict[str, float]] = {}
    for counts in by_index.values():
        for name, values in counts.distribution.items():
            merged = distribution.setdefault(name, {})
            for key, count in values.items():
                merged[key] = merged.get(key, 0) + count
        for name, minmax in counts.stats.items():
            if name in stats:
                stats[name] = {"min": min(stats[name]["min"], minmax["min"]),
                               "max": max(stats[name]["max"], minmax["max"])}
            else:
                stats[name] = dict(minmax)
    for name, values in distribution.items():
        if orders.get(name, "alpha") == "count":
            items = sorted(values.items(), key=lambda item: -item[1])
        else:
            items = sorted(values.items())
        if max_values is not None:
            items = items[:max_values]
        distribution[name] = dict(items)
    return FacetCounts(dict(sorted(distribution.items())), dict(sorted(stats.items())))


class FacetOrder:
    """With `mergeFacets`: the first index listing a facet fixes the order of its values; an
    index ordering it otherwise is refused."""

    def __init__(self, merging: bool):
        self.merging = merging
        self.first: dict[str, tuple[str, str]] = {}   # facet -> (uid, order)

    def check(self, uid: str, index: Index, facets: Sequence[str] | None, note: str) -> None:
        if not self.merging or facets is None:
            return
        for facet, order in index.facet_orders(facets).items():
            first_uid, first_order = self.first.setdefault(facet, (uid, order))
            if first_order != order:
                raise LoupeError(
                    "invalid_multi_search_facet_order",
                    f"Inside `.federation.facetsByIndex.{uid}`: Inconsistent order for values in facet `{facet}`: "
                    f"index `{first_uid}` orders {ORDER_TEXT[first_order]}, but index `{uid}` orders "
                    f"{ORDER_TEXT[order]}.\n - Hint: Remove `federation.mergeFacets` or change "
                    f"`faceting.sortFacetValuesBy` to be consistent in settings.{note}")

    def orders(self) -> dict[str, str]:
        return {facet: order for facet, (_uid, order) in self.first.items()}


def _count_facets(index: Index, uid: str, candidates: BitMap, facets: Sequence[str], note: str) -> FacetCounts:
    try:
        return index.facet_counts(candidates, facets)
    except LoupeError as err:
        code = "invalid_multi_search_facets" if err.code == "invalid_search_facets" else err.code
        raise LoupeError(code, f"Inside `.federation.facetsByIndex.{uid}`: {err.message}{note}") from None


# -- the search ------------------------------------------------------------------------------------

def is_semantic(query: Query) -> bool:
    """Does the query run a semantic or hybrid search (hybrid.md §3.1), not a keyword one?"""
    semantic = query.semantic
    if semantic is None or semantic.ratio == 0.0:
        return False
    return bool(query.text and query.text.strip()) or semantic.vector is not None


def canonicalization_kind(query: Query) -> str:
    """How the query's ranking rules are canonicalized: a semantic-only search (ratio 1.0, or a
    vector with a blank `q`) as a vector search, a non-empty `q` (not trimmed) as a keyword search,
    else as a placeholder search."""
    semantic = query.semantic
    blank = not (query.text and query.text.strip())
    if is_semantic(query) and (semantic.ratio == 1.0 or (blank and semantic.vector is not None)):
        return VECTOR
    return KEYWORD if query.text else PLACEHOLDER


@dataclass
class IndexResult:
    uid: str
    hits: list[Ranked]
    candidates: BitMap
    facets: FacetCounts | None = None
    query_vectors: dict[int, list[float]] = field(default_factory=dict)  # by query position (retrieveVectors)


OpenIndex = Callable[[str], Index]


def federated_search(open_index: OpenIndex, federation: Federation, queries: tuple[MultiSearchQuery, ...],
                     filters: Sequence[Any] | None = None, *, network: bool = False,
                     request_uid: str | None = None) -> dict[str, Any]:
    """The federated response.  ``filters[i]`` is query i's filter with a tenant token's rules
    merged in (None: the query's own); the caller has checked the API key for every query.
    ``network``: the `network` experimental feature is on."""
    started = time.perf_counter()
    partitioned = partition(queries, federation, network=network)
    skip, take = federation_window(federation)
    by_index: dict[str, list[FederatedQuery]] = {}
    for fq in partitioned:
        by_index.setdefault(fq.query.index_uid, []).append(fq)
    facet_order = FacetOrder(federation.merge_facets is not None)
    compatibility = Compatibility()
    semantic = False
    results: list[IndexResult] = []
    for uid in sorted(by_index):
        result, used_semantic = _search_index(open_index, uid, by_index[uid], federation, filters, skip + take,
                                               facet_order, compatibility)
        semantic = semantic or used_semantic
        results.append(result)
    used = set(by_index)
    for uid, facets in federation.facets_by_index.items():
        if uid not in used:
            _check_unused(open_index, uid, facets, facet_order)

    total = sum(len(r.candidates) for r in results)
    merged = heapq.merge(*(r.hits for r in results))
    accepted: list[Ranked] = []
    rejected: list[Ranked] = []
    if federation.distinct is not None:
        seen: set[tuple[str, FieldValue]] = set()
        for ranked in merged:
            (rejected if shares_distinct_value(ranked, federation.distinct, seen) else accepted).append(ranked)
        total = max(total - len(rejected), 0)
    else:
        for ranked in merged:
            accepted.append(ranked)
            if len(accepted) >= skip + take:
                break
    page = accepted[skip:skip + take]
    hits = [ranked.renderer.render(ranked.hit, {"indexUid": ranked.index_uid, "queriesPosition": ranked.position,
                                                "weightedRankingScore": ranked.weighted_score})
            for ranked in page]

    response: dict[str, Any] = {"hits": hits, "processingTimeMs": int((time.perf_counter() - started) * 1000)}
    if federation.is_finite_pagination():
        per_page = federation.hits_per_page if federation.hits_per_page is not None else DEFAULT_LIMIT
        response.update(hitsPerPage=per_page, page=federation.page if federation.page is not None else 1,
                        totalPages=-(-total // per_page) if per_page else 0, totalHits=total)
    else:
        response.update(limit=federation.limit, offset=federation.offset, estimatedTotalHits=total)
    query_vectors = {position: vector for r in results for position, vector in r.query_vectors.items()}
    if query_vectors:
        response["queryVectors"] = {str(position): query_vectors[position] for position in sorted(query_vectors)}
    if semantic:
        response["semanticHitCount"] = sum(1 for r in page if any(s.is_vector for s in r.hit.scores))
    facets = {r.uid: r.facets for r in results if r.facets is not None}
    if federation.merge_facets is not None:
        merged_facets = merge_facets(facets, facet_order.orders(), federation.merge_facets.max_values_per_facet)
        if merged_facets is not None:
            remove_hits(merged_facets, rejected)
            response["facetDistribution"] = merged_facets.distribution
            response["facetStats"] = merged_facets.stats
    elif facets:
        for uid, counts in facets.items():
            remove_hits(counts, [r for r in rejected if r.index_uid == uid])
        response["facetsByIndex"] = {uid: {"distribution": counts.distribution, "stats": counts.stats}
                                     for uid, counts in facets.items()}
    if federation.show_performance_details:
        elapsed = int((time.perf_counter() - started) * 1_000_000_000)
        response["performanceDetails"] = {"federated search": format_trace_duration(elapsed)}
    response["requestUid"] = request_uid or new_request_uid()
    return response


def _settings(index: Index, prefix: str, note: str = "") -> dict[str, Any]:
    """The index's settings; a missing index is refused with the place it was named."""
    try:
        return index.settings()
    except LoupeError as err:
        raise LoupeError(err.code, f"{prefix}{err.message}{note}") from None


def _search_index(open_index: OpenIndex, uid: str, fqs: list[FederatedQuery], federation: Federation,
                  filters: Sequence[Any] | None, required: int, facet_order: FacetOrder,
                  compatibility: Compatibility) -> tuple[IndexResult, bool]:
    """One index's part, in one read snapshot so its queries see the same version: its queries
    searched, their lists merged, distinct, facets."""
    with open_index(uid).snapshot() as index:
        return _search_pinned(index, uid, fqs, federation, filters, required, facet_order, compatibility)


def _search_pinned(index: Index, uid: str, fqs: list[FederatedQuery], federation: Federation,
                   filters: Sequence[Any] | None, required: int, facet_order: FacetOrder,
                   compatibility: Compatibility) -> tuple[IndexResult, bool]:
    first = fqs[0].position
    settings = _settings(index, f"Inside `.queries[{first}]`: ")
    listed = federation.facets_by_index.get(uid)
    note = f"\n - Note: index `{uid}` used in `.queries[{first}]`"
    facet_order.check(uid, index, listed, note)
    embedders = settings.get("embedders") or {}
    ranking_rules = settings.get("rankingRules") or DEFAULT_RANKING_RULES
    streams: list[list[Ranked]] = []
    candidates = BitMap()
    window = 0
    semantic = False
    query_vectors: dict[int, list[float]] = {}
    for fq in fqs:
        entry = fq.query
        query = entry.params.to_query(filters[fq.request_index] if filters is not None else None)
        query = replace(query, offset=0, limit=required, exhaustive=federation.is_finite_pagination(), scores=True,
                        distinct=federation.distinct if federation.distinct is not None else query.distinct)
        try:
            entry.raise_deferred("kind")
            check_semantic(query, embedders)
            entry.raise_deferred("sort")
            compatibility.check(RankingRules(ranking_rules, entry.params.sort, query.matching_strategy,
                                             canonicalization_kind(query)), fq.position, uid)
            entry.raise_deferred("filter")
            result: SearchResult = index.execute(query)
        except LoupeError as err:
            raise err.with_prefix(f"Inside `.queries[{fq.position}]`: ") from None
        semantic = semantic or is_semantic(query)
        if entry.params.retrieve_vectors and result.query_vector is not None:
            query_vectors[fq.position] = list(result.query_vector)
        renderer = HitRenderer(entry.params, result.displayed, result=result)
        ranked_hits = [Ranked(hit, uid, fq.position, fq.weight, renderer) for hit in result.hits]
        # pins first, so that every stream is in `compare`'s order for the merges
        streams.append(sorted((r for r in ranked_hits if r.pin is not None), key=lambda r: r.pin)
                       + [r for r in ranked_hits if r.pin is None])
        candidates |= result.candidates
        window = max(window, result.limit)

    hits: list[Ranked] = []
    seen_docids: set[int] = set()
    seen_values: set[tuple[str, FieldValue]] = set()
    for ranked in heapq.merge(*streams):
        if len(hits) >= window:
            break
        docid = ranked.hit.docid
        if docid in seen_docids:
            continue
        seen_docids.add(docid)
        if federation.distinct is not None and shares_distinct_value(ranked, federation.distinct, seen_values):
            candidates.discard(docid)
            continue
        hits.append(ranked)

    facets = None
    if listed is not None:
        facets = _count_facets(index, uid, candidates, listed, note)
    return IndexResult(uid, hits, candidates, facets, query_vectors), semantic


def _check_unused(open_index: OpenIndex, uid: str, facets: Sequence[str] | None, facet_order: FacetOrder) -> None:
    """A `facetsByIndex` entry no query uses: the index must exist, agree on facet order and
    have its facets filterable; it is not shown."""
    note = f"\n - Note: index `{uid}` is not used in queries"
    with open_index(uid).snapshot() as index:
        _settings(index, f"Inside `.federation.facetsByIndex.{uid}`: ", note)
        facet_order.check(uid, index, facets, note)
        if facets is not None:
            _count_facets(index, uid, BitMap(), facets, note)


__all__ = ["compare", "federated_search", "federation_window", "merge_facets", "remove_hits"]
