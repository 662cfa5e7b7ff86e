"""One search of one index, end to end (style.md "One search request"), on typed values.

    Query -> checks against the index -> filter -> universe; text -> terms -> graph nodes;
    rules from the registry; bucket sort; facets over all candidates -> SearchResult.

Nothing here knows a request or a response format: the dialects in server/ translate into `Query`
and out of `SearchResult`.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Sequence, cast

from pyroaring import BitMap

from ..facets import facet_distribution
from ..facets import facet_search as search_facet_values
from ..facets.filterable import FilterableRules
from ..filters import evaluate
from ..filters.parser import FilterFeatures, parse_with
from ..filters.ast import Expr, is_filter_expr
from ..index import read_documents, read_raw_documents
from ..indexer.keys import f64_key, facet_key
from ..limits import DEFAULT_MAX_TOTAL_HITS, DEFAULT_MAX_VALUES_PER_FACET, DEFAULT_SEARCH_CUTOFF_MS
from ..search_rules.model import Rule
from ..search_rules.pins import Pin, SearchFacts, merge_page, resolve_pins
from ..store.codecs import external_id_key, read_u32
from ..store.registry import Registry
from ..store import Store
from ..tasks.timefmt import now_ns
from .buckets import SortOutcome, bucket_sort
from .checks import check_attributes_to_search_on, check_distinct, check_facets, check_semantic
from .context import SearchContext
from .hit_values import field_values
from .query import FacetCounts, FacetSearchResult, FacetValueCount, FilterInput, Hit, Query, SearchResult
from .query_terms import parse_query
from .rules import RulePlan, build_rules
from .rules.base import Score, State
from .rules.words import matching, removal_groups
from .sort_spec import check_sort_against_index
from .terms import Node, build_nodes, phrase_docids


def _distinct_function(ctx: SearchContext, field: str):
    """docid -> documents sharing one of its distinct values (numbers by value, strings normalized,
    values inside arrays of objects included, as the facet index holds them)."""

    def others(docid: int) -> BitMap:
        document = read_documents(ctx.store, ctx.txn, ctx.iid, [docid])[0]
        out = BitMap()
        for value in field_values(document, field) if document is not None else ():
            if isinstance(value, str):
                out |= ctx.facets.string_equal(field, value)
            else:
                out |= ctx.facets._get(facet_key(ctx.iid, b"N", field, f64_key(value)))
        return out

    return others


def distinct_candidates(ctx: SearchContext, field: str, candidates: BitMap) -> BitMap:
    """The candidates left once distinct has run over every one of them: finite pagination counts
    hits exactly (ranking.md §6.4).  In ascending docid order each kept document drops the others
    sharing one of its values; documents without a value are all kept.

    When no candidate has two values the answer is each value's lowest docid, read off the facet
    postings; otherwise the kept documents are walked one by one."""
    values = itertools.chain(ctx.facets.string_values(field), ctx.facets.number_values(field))
    groups = [docs for docs in (bm & candidates for _value, bm in values) if docs]
    with_value = BitMap.union(*groups) if groups else BitMap()
    if sum(len(docs) for docs in groups) == len(with_value):
        return (candidates - with_value) | BitMap(docs.min() for docs in groups)
    sharing = _distinct_function(ctx, field)
    kept = BitMap(candidates)
    for docid in with_value:
        if docid in kept:
            others = sharing(docid)
            others.discard(docid)
            kept -= others
    return kept


def _facet_fields(ctx: SearchContext, facets: tuple[str, ...], rules: FilterableRules, uid: str) -> list[str]:
    """`facets` resolved against the index's fields, memoised per index version (errors are not)."""
    memo = ctx.cache.facet_fields
    found = memo.get(facets)
    if found is None:
        found = check_facets(facets, rules, ctx.cache.all_fields, uid)
        if len(memo) < 1024:
            memo[facets] = found
    return found




def _deadline(settings: dict[str, Any], started: float) -> float:
    """searchCutoffMs as a time.monotonic() deadline (perf_counter and monotonic share a clock base)."""
    cutoff = settings.get("searchCutoffMs")
    cutoff = DEFAULT_SEARCH_CUTOFF_MS if cutoff is None else cutoff
    return time.monotonic() - (time.perf_counter() - started) + cutoff / 1000


def _displayed(settings: dict[str, Any]) -> list[str] | None:
    displayed = settings.get("displayedAttributes") or ["*"]
    return None if "*" in displayed else list(displayed)


def search(store: Store, registry: Registry, uid: str, query: Query, *, features: FilterFeatures = FilterFeatures(),
           txn: Any, rules: Sequence[Rule] = ()) -> SearchResult:
    """One search of index ``uid`` in the read snapshot ``txn`` (ranking.md §6): checks against the
    index, universe, bucket sort, totals and facets; the hits' stored documents are read in the
    same snapshot.  A semantic or hybrid query (hybrid.md §3.1) goes on in `engine.search.hybrid`.
    ``rules``: the dynamic search rules in force (`engine.search_rules`), whose pins are put into
    the ranked results."""
    started = time.perf_counter()
    ctx = SearchContext(store, txn, registry, registry.require(txn, uid))
    displayed = _displayed(ctx.settings)
    facet_fields = _check_query(ctx, query, uid, displayed)
    pins = _pins(ctx, query, uid, rules, features) if rules else []
    if pins:
        return _pinned(ctx, query, uid, pins, displayed, facet_fields, features, started)
    return _ranked(ctx, query, uid, displayed, facet_fields, features, started)


def _ranked(ctx: SearchContext, query: Query, uid: str, displayed: list[str] | None,
            facet_fields: list[str] | None, features: FilterFeatures, started: float) -> SearchResult:
    """The ranked results of a keyword, semantic or hybrid search."""
    from .hybrid import KEYWORD, run_semantic, search_kind
    kind = search_kind(query)
    if kind != KEYWORD:
        return run_semantic(ctx, query, uid, kind, displayed, facet_fields, features, started)
    max_total = _max_total_hits(query, ctx.settings)
    offset, limit = query.page_window(max_total)
    ranked = keyword_ranking(ctx, query, uid, features, offset, limit, max_total, started)
    return make_result(ctx, query, ranked.outcome.hits, ranked.candidates, max_total, offset, limit, facet_fields,
                       ranked.nodes, displayed, ranked.outcome.degraded, started)


def _pins(ctx: SearchContext, query: Query, uid: str, rules: Sequence[Rule], features: FilterFeatures) -> list[Pin]:
    """The documents the rules pin in this search (`engine.search_rules.pins`); the filter is only
    evaluated when a rule selects a document of this index.  The query's words are those the
    search itself looks for, cut with its locales (milli hands its located query terms to the rule
    conditions); a rule's words were cut without any (`pins._condition_words`)."""
    ctx.restrict_to_fields(query.attributes_to_search_on)  # whose localizedAttributes rules count
    parsed = parse_query(query.text, ctx.query_tokenizer(query.locales),
                         prefix_search=ctx.settings.get("prefixSearch") != "disabled")
    facts = SearchFacts(frozenset(t.word for t in parsed.terms if not t.is_phrase), not parsed.terms, now_ns(), uid)
    filtered: list[BitMap] = []

    def allowed(docid: int) -> bool:
        if not filtered:
            universe = BitMap(ctx.all_docids)
            expr = _filter_expr(query.filter, features)
            if expr is not None:
                universe &= evaluate(expr, ctx.facets, ctx.cache.filterable_rules, uid, "invalid_search_filter")
            filtered.append(universe)
        return docid in filtered[0]

    return resolve_pins(rules, facts, lambda external_id: docid_of(ctx, external_id), allowed)


def _pinned(ctx: SearchContext, query: Query, uid: str, pins: list[Pin], displayed: list[str] | None,
            facet_fields: list[str] | None, features: FilterFeatures, started: float) -> SearchResult:
    """The search without the pinned documents, ranked from its first hit, with the pins put at their
    positions; they count among the candidates (totals, facets) whether they match the query or not."""
    max_total = _max_total_hits(query, ctx.settings)
    offset, limit = query.page_window(max_total)
    ctx.excluded = BitMap(pin.docid for pin in pins)
    inner = replace(query, offset=0, limit=offset + limit, scores=True)
    result = _ranked(ctx, inner, uid, displayed, None, features, started)
    stored = dict(zip((pin.docid for pin in pins),
                      read_raw_documents(ctx.store, ctx.txn, ctx.iid, [pin.docid for pin in pins])))

    def pin_hit(pin: Pin) -> Hit:
        return Hit(pin.docid, stored[pin.docid], (pin_score(pin),))

    hits = merge_page(result.hits, pins, offset, limit, pin_hit)
    if result.semantic_hit_count is not None:
        result.semantic_hit_count = sum(1 for hit in hits if any(score.is_vector for score in hit.scores))
    if not query.needs_scores:
        hits = [hit._replace(scores=()) for hit in hits]
    result.hits = hits
    result.candidates = result.candidates | ctx.excluded
    result.total = min(len(result.candidates), max_total)
    result.offset, result.limit = offset, limit
    result.facets = None if facet_fields is None else _facet_counts(ctx, result.candidates, facet_fields)
    if result.vectors is not None:
        result.vectors = hit_vectors(ctx, hits)
    result.processing_ms = int((time.perf_counter() - started) * 1000)
    return result


def pin_score(pin: Pin) -> Score:
    """A pinned hit's only score: `{"pin": {"order": 0, "position": n}}` in its details."""
    return Score("pin", 1, 1, details=(("position", pin.position),), in_score=False, pin=pin.order)


def docid_of(ctx: SearchContext, external_id: str) -> int | None:
    raw = ctx.txn.get(external_id_key(ctx.iid, external_id), db=ctx.store.i["external_ids"])
    return read_u32(raw) if raw is not None else None


@dataclass
class Ranking:
    """One bucket sort's outcome with the candidates it counts and the query graph's nodes."""

    outcome: SortOutcome
    candidates: BitMap
    nodes: tuple[Node, ...] = ()


def keyword_ranking(ctx: SearchContext, query: Query, uid: str, features: FilterFeatures, offset: int, limit: int,
                    max_total: int, started: float, need_scores: bool | None = None) -> Ranking:
    """The keyword bucket sort of ``query`` for the page [offset, offset + limit)."""
    universe, state, nodes, n_terms = prepare_universe(ctx, query, uid, ctx.cache.filterable_rules,
                                                       features)
    plan = RulePlan(query.matching_strategy, n_terms, placeholder=not nodes, sort=query.sort or (),
                    displayed=_displayed(ctx.settings))
    rules = build_rules(query.ranking_rules or ctx.settings.get("rankingRules") or [], plan)
    outcome, candidates = run_bucket_sort(ctx, query, rules, universe, state, offset, limit, max_total, started,
                                          need_scores)
    return Ranking(outcome, candidates, nodes)


def run_bucket_sort(ctx: SearchContext, query: Query, rules: list, universe: BitMap, state: State, offset: int,
                    limit: int, max_total: int, started: float, need_scores: bool | None = None
                    ) -> tuple[SortOutcome, BitMap]:
    """bucket sort with the query's threshold, distinct and deadline; the candidates it leaves."""
    distinct_field = query.distinct or ctx.settings.get("distinctAttribute")
    threshold = query.ranking_score_threshold
    outcome = bucket_sort(ctx, rules, universe, state, offset, limit,
                          need_scores=query.needs_scores if need_scores is None else need_scores,
                          threshold=threshold,
                          distinct=_distinct_function(ctx, distinct_field) if distinct_field else None,
                          exhaustive_threshold=max_total if query.exhaustive and threshold is not None else None,
                          deadline=_deadline(ctx.settings, started))
    candidates = outcome.candidates
    if distinct_field and query.exhaustive:
        candidates = distinct_candidates(ctx, distinct_field, candidates)
    return outcome, candidates


def make_result(ctx: SearchContext, query: Query, ranked: list[tuple[int, list[Score]]], candidates: BitMap,
                max_total: int, offset: int, limit: int, facet_fields: list[str] | None, nodes: tuple[Node, ...],
                displayed: list[str] | None, degraded: bool, started: float, **extra: Any) -> SearchResult:
    """The `SearchResult` of ranked (docid, scores) pairs: stored documents read, facets counted."""
    stored = read_raw_documents(ctx.store, ctx.txn, ctx.iid, [docid for docid, _scores in ranked])
    keep_scores = query.needs_scores
    hits = [Hit(docid, raw, tuple(scores) if keep_scores else ()) for (docid, scores), raw in zip(ranked, stored)]
    facets = None if facet_fields is None else _facet_counts(ctx, candidates, facet_fields)
    if query.retrieve_vectors and ctx.settings.get("embedders"):
        extra["vectors"] = hit_vectors(ctx, hits)
    tokenizer, field_tokenizer = ctx.format_tokenizers(query.locales)
    return SearchResult(hits=hits, candidates=candidates, total=min(len(candidates), max_total), offset=offset,
                        limit=limit, facets=facets, nodes=nodes, displayed=displayed, degraded=degraded,
                        tokenizer=tokenizer, field_tokenizer=field_tokenizer, fields=ctx.cache.known_fields,
                        processing_ms=int((time.perf_counter() - started) * 1000), **extra)


def hit_vectors(ctx: SearchContext, hits: list[Hit]) -> dict[int, dict[str, Any]]:
    """Each hit's `_vectors` as `retrieveVectors` shows it, read in the search's snapshot."""
    import orjson
    from ..vectors.store import VectorTable
    from ..vectors.view import vectors_object
    table = VectorTable(ctx.store, ctx.txn, ctx.iid)
    out = {}
    for hit in hits:
        own = orjson.loads(hit.stored).get("_vectors") if hit.stored is not None and b'"_vectors"' in hit.stored else None
        out[hit.docid] = vectors_object(table, ctx.settings, hit.docid, own)
    return out


def _check_query(ctx: SearchContext, query: Query, uid: str, displayed: list[str] | None) -> list[str] | None:
    """Everything the index must allow before anything is searched, in Meilisearch's order; the
    facet fields the query selects (None: no facets asked)."""
    settings = ctx.settings
    check_sort_against_index(query.sort, settings.get("sortableAttributes") or [],
                             settings.get("rankingRules") or [], displayed, uid)
    rules_filter = ctx.cache.filterable_rules
    facet_fields = _facet_fields(ctx, query.facets, rules_filter, uid) if query.facets is not None else None
    check_attributes_to_search_on(query.attributes_to_search_on, settings.get("searchableAttributes"), displayed, uid)
    check_semantic(query, settings.get("embedders") or {}, _dimensions_of(ctx))
    if query.distinct is not None:
        check_distinct(query.distinct, rules_filter, uid)
    return facet_fields


def _dimensions_of(ctx: SearchContext) -> Callable[[str, dict], int]:
    """Embedder dimensions as the vector table knows them (configured or learnt)."""
    from ..vectors.store import VectorTable
    table = VectorTable(ctx.store, ctx.txn, ctx.iid)
    return table.dimensions


def _max_total_hits(query: Query, settings: dict[str, Any]) -> int:
    if query.max_total_hits is not None:
        return query.max_total_hits
    return (settings.get("pagination") or {}).get("maxTotalHits", DEFAULT_MAX_TOTAL_HITS)


def _facet_counts(ctx: SearchContext, candidates: BitMap, fields: list[str]) -> FacetCounts:
    faceting = ctx.settings.get("faceting") or {}
    distribution, stats = facet_distribution(ctx.facets, candidates, fields,
                                             faceting.get("maxValuesPerFacet", DEFAULT_MAX_VALUES_PER_FACET),
                                             faceting.get("sortFacetValuesBy") or {"*": "alpha"})
    return FacetCounts(distribution, stats)


def prepare_universe(ctx: SearchContext, query: Query, uid: str, rules_filter: FilterableRules,
                     features: FilterFeatures) -> tuple[BitMap, State, tuple[Node, ...], int]:
    """filter ∩ documents matching the query with every removable term removed, minus negatives;
    the query graph's nodes (empty for a placeholder search) and its number of terms."""
    settings = ctx.settings
    ctx.restrict_to_fields(query.attributes_to_search_on)
    universe = ctx.rankable()
    expr = _filter_expr(query.filter, features)
    if expr is not None:
        universe &= evaluate(expr, ctx.facets, rules_filter, uid, "invalid_search_filter", ctx.vector_status())
    prefix_search = settings.get("prefixSearch") != "disabled"
    parsed = parse_query(query.text, ctx.query_tokenizer(query.locales), prefix_search=prefix_search)
    for word in parsed.negative_words:
        universe -= ctx.word_docids(word)
    for phrase in parsed.negative_phrases:
        universe -= phrase_docids(ctx, phrase)
    placeholder = parsed.is_placeholder or not parsed.terms
    n_terms = len(parsed.terms)
    nodes = () if placeholder else tuple(build_nodes(ctx, parsed, prefix_search))
    state = State.initial(nodes, n_terms)
    if not placeholder:
        groups = removal_groups(ctx, nodes, n_terms, query.matching_strategy)
        minimal = frozenset(range(n_terms)) - {i for g in groups for i in g}
        universe = matching(ctx, universe, nodes, n_terms, minimal)
    # the first rule gets the whole query graph, nodes matching nothing included: with
    # matchingStrategy "all" (no words rule) typo's maximum counts them (ranking.md §7.1)
    return universe, state, nodes, n_terms


def _filter_expr(filter: FilterInput, features: FilterFeatures) -> Expr | None:
    """The query's filter as an AST: given as one, or parsed from Meilisearch's text and arrays."""
    if is_filter_expr(filter):
        return cast(Expr, filter)
    return parse_with(filter, "invalid_search_filter", features)


def facet_search(store: Store, registry: Registry, uid: str, query: Query, facet_name: str,
                 facet_query: str | None, *, exhaustive: bool = False,
                 features: FilterFeatures = FilterFeatures()) -> FacetSearchResult:
    """The values of ``facet_name`` among the candidates of ``query`` that match ``facet_query``
    (filters-facets.md §6.1)."""
    started = time.perf_counter()
    with store.index_env.begin() as txn:
        ctx = SearchContext(store, txn, registry, registry.require(txn, uid))
        rules_filter = ctx.cache.filterable_rules
        check_semantic(query, ctx.settings.get("embedders") or {}, _dimensions_of(ctx))
        candidates, _state, _nodes, _n = prepare_universe(ctx, query, uid, rules_filter, features)
        found = search_facet_values(ctx.facets, candidates, facet_name, facet_query, ctx.settings, rules_filter,
                                    exhaustive, query.locales)
    return FacetSearchResult([FacetValueCount(hit["value"], hit["count"]) for hit in found],
                             int((time.perf_counter() - started) * 1000))
