"""One keyword (or placeholder) search, end to end (style.md "One search request").

    filter -> universe; q -> terms -> graph nodes; rules from settings; bucket sort;
    facets over all candidates; hits with scores for the requested page only.
"""
from __future__ import annotations

import itertools
import time
from typing import Any

import orjson
from pyroaring import BitMap

from ..errors import LoupeError
from ..facets.values import normalize_facet_string
from ..facets.filterable import FilterableRules
from ..filters import evaluate, parse_filter
from ..filters.evaluate import haversine_m
from ..index import read_documents, read_raw_documents, select_fields
from ..indexer.keys import f64_key, facet_key
from ..store.registry import Registry
from ..store import Store
from .buckets import bucket_sort
from .context import SearchContext
from .params import SearchQuery, check_attributes_to_search_on, check_facets
from .query_terms import parse_query
from .rules.attribute import AttributeRankRule, AttributeRule, WordPositionRule
from .rules.base import Rule, State
from .rules.exactness import ExactnessRule
from .rules.proximity import ProximityRule
from .rules.sort import GeoSortRule, SortRule
from .rules.typo import TypoRule
from .rules.words import WordsRule, matching, removal_groups
from .scores import global_score, score_details
from .sort_spec import GeoSortSpec, check_sort_against_index
from .terms import build_nodes, phrase_docids

TEXTUAL = ("words", "typo", "proximity", "attribute", "attributeRank", "wordPosition", "exactness")


def build_rules(settings: dict[str, Any], query: SearchQuery, placeholder: bool, n_terms: int) -> list[Rule]:
    rules: list[Rule] = []
    words_done = query.matching_strategy == "all"
    added: set[str] = set()
    sorted_fields: set[str] = set()

    def add_words() -> None:
        nonlocal words_done
        if not words_done:
            rules.append(WordsRule(query.matching_strategy, n_terms))
            words_done = True

    displayed = _displayed(settings)

    def sort_rule(field: str, ascending: bool) -> SortRule:
        # upstream redacts a sort rule whose exact field name is not displayed (a displayed
        # parent object does not reveal it)
        return SortRule(field, ascending, redacted=displayed is not None and field not in displayed)

    for name in settings.get("rankingRules") or []:
        if name in TEXTUAL:
            if placeholder:
                continue
            if name == "words":
                add_words()
                continue
            add_words()
            if name in added or (name == "attribute" and added & {"attributeRank", "wordPosition"}):
                continue
            added.add(name)
            if name == "typo":
                rules.append(TypoRule(n_terms))
            elif name == "proximity":
                rules.append(ProximityRule())
            elif name == "attribute":
                rules.append(AttributeRule())
            elif name == "attributeRank":
                rules.append(AttributeRankRule())
            elif name == "wordPosition":
                rules.append(WordPositionRule())
            elif name == "exactness":
                rules.append(ExactnessRule())
        elif name == "sort":
            for spec in query.sort or ():
                if isinstance(spec, GeoSortSpec):
                    rules.append(GeoSortRule(spec.lat, spec.lng, spec.ascending))
                elif spec.field not in sorted_fields:
                    sorted_fields.add(spec.field)
                    rules.append(sort_rule(spec.field, spec.ascending))
        else:
            field, _colon, order = name.rpartition(":")
            if field and field not in sorted_fields:
                sorted_fields.add(field)
                rules.append(sort_rule(field, order == "asc"))
    return rules


def _distinct_function(ctx: SearchContext, field: str):
    """docid -> documents sharing one of its distinct values (numbers by value, strings normalized)."""
    from ..documents.primary_key import MISSING, get_path

    def others(docid: int) -> BitMap:
        document = read_documents(ctx.store, ctx.txn, ctx.iid, [docid])[0]
        if document is None:
            return BitMap()
        value = get_path(document, field)
        if value is MISSING or value is None:
            return BitMap()
        values = value if isinstance(value, list) else [value]
        out = BitMap()
        for v in values:
            if isinstance(v, bool):
                v = "true" if v else "false"
            if isinstance(v, (int, float)):
                out |= ctx.facets._get(facet_key(ctx.iid, b"N", field, f64_key(v)))
            elif isinstance(v, str):
                out |= ctx.facets.string_equal(field, normalize_facet_string(v))
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


DEFAULT_SEARCH_CUTOFF_MS = 1500  # ranking.md §6.3: searchCutoffMs null means 1.5 s


def _deadline(settings: dict[str, Any], started: float) -> float:
    """searchCutoffMs as a time.monotonic() deadline (perf_counter and monotonic share a clock base)."""
    cutoff = settings.get("searchCutoffMs")
    cutoff = DEFAULT_SEARCH_CUTOFF_MS if cutoff is None else cutoff
    return time.monotonic() - (time.perf_counter() - started) + cutoff / 1000


def _displayed(settings: dict[str, Any]) -> list[str] | None:
    displayed = settings.get("displayedAttributes") or ["*"]
    return None if "*" in displayed else list(displayed)


def _retrieved(settings: dict[str, Any], query: SearchQuery) -> list[str] | None:
    displayed = _displayed(settings)
    wanted = list(query.attributes_to_retrieve) if query.attributes_to_retrieve is not None else None
    if wanted is not None and "*" in wanted:
        wanted = None
    if displayed is None:
        return wanted
    if wanted is None:
        return displayed
    return [f for f in wanted if any(f == d or f.startswith(d + ".") for d in displayed)]


def search(store: Store, registry: Registry, uid: str, query: SearchQuery, *,
           contains_enabled: bool = False, extra_filter: Any = None, raw_hits: bool = False) -> dict[str, Any]:
    """One search (ranking.md §6); `raw_hits` lets untouched hits stay stored JSON (`orjson.Fragment`)."""
    started = time.perf_counter()
    with store.index_env.begin() as txn:
        ctx = SearchContext(store, txn, registry, registry.require(txn, uid))
        settings = ctx.settings
        displayed = _displayed(settings)
        check_sort_against_index(query.sort, settings.get("sortableAttributes") or [],
                                 settings.get("rankingRules") or [], displayed, uid)
        rules_filter = ctx.cache.filterable_rules
        facet_fields = _facet_fields(ctx, query.facets, rules_filter, uid) if query.facets is not None else None
        check_attributes_to_search_on(query.attributes_to_search_on, settings.get("searchableAttributes"), displayed, uid)
        distinct_field = query.distinct or settings.get("distinctAttribute")
        if query.distinct is not None and not rules_filter.is_filterable(query.distinct):
            patterns = rules_filter.filterable_patterns()
            listed = f"Available filterable attributes patterns are: `{', '.join(patterns)}`." if patterns \
                else "This index does not have configured filterable attributes."
            raise LoupeError("invalid_search_distinct",
                             f"Index `{uid}`: Attribute `{query.distinct}` is not filterable and thus, cannot be used "
                             f"as distinct attribute. {listed}")
        universe, state, placeholder, n_terms = prepare_universe(ctx, query, uid, rules_filter, contains_enabled,
                                                                 extra_filter)
        rules = build_rules(settings, query, placeholder, n_terms)
        max_total = (settings.get("pagination") or {}).get("maxTotalHits", 1000)
        offset, limit = query.effective_offset_limit(max_total)
        need_scores = query.show_ranking_score or query.show_ranking_score_details or \
            query.ranking_score_threshold is not None
        exhaustive = query.is_finite_pagination() and query.ranking_score_threshold is not None
        outcome = bucket_sort(ctx, rules, universe, state, offset, limit, need_scores=need_scores,
                              threshold=query.ranking_score_threshold,
                              distinct=_distinct_function(ctx, distinct_field) if distinct_field else None,
                              exhaustive_threshold=max_total if exhaustive else None,
                              deadline=_deadline(settings, started))
        candidates = outcome.candidates
        if distinct_field and query.is_finite_pagination():
            candidates = distinct_candidates(ctx, distinct_field, candidates)
        raws = read_raw_documents(store, txn, ctx.iid, [d for d, _s in outcome.hits])
        retrieved = _retrieved(settings, query)
        geo = next((s for s in query.sort or () if isinstance(s, GeoSortSpec)), None)
        as_stored = raw_hits and retrieved is None and geo is None and not (
            query.show_ranking_score or query.show_ranking_score_details or query.show_matches_position
            or query.attributes_to_highlight or query.attributes_to_crop)
        hits: list[Any] = []
        for (docid, scores), raw in zip(outcome.hits, raws):
            if as_stored and raw is not None and (query.retrieve_vectors or b'"_vectors"' not in raw):
                hits.append(orjson.Fragment(raw))
                continue
            doc = orjson.loads(raw) if raw is not None else {}
            hit = select_fields(doc, retrieved)
            hit.pop("_vectors", None) if not query.retrieve_vectors else None
            if geo is not None and isinstance(doc.get("_geo"), dict) and (retrieved is None or "_geo" in retrieved):
                point = doc["_geo"]
                try:
                    distance = haversine_m(geo.lat, geo.lng, [float(point["lat"])], [float(point["lng"])])[0]
                    hit["_geoDistance"] = int(round(distance))
                except (KeyError, TypeError, ValueError):
                    pass
            if query.show_ranking_score:
                hit["_rankingScore"] = global_score(scores)
            if query.show_ranking_score_details:
                hit["_rankingScoreDetails"] = score_details(scores)
            hits.append(hit)
        result: dict[str, Any] = {"hits": hits, "query": query.q or ""}
        total = min(len(candidates), max_total)
        result["processingTimeMs"] = 0
        if query.is_finite_pagination():
            per_page = query.hits_per_page if query.hits_per_page is not None else 20
            result.update(hitsPerPage=per_page, page=query.page if query.page is not None else 1,
                          totalPages=(-(-total // per_page) if per_page else 0), totalHits=total)
        else:
            result.update(limit=query.limit, offset=query.offset, estimatedTotalHits=total)
        if facet_fields is not None:
            from ..facets.distribution import facet_distribution, sort_by_for  # noqa: F401
            faceting = settings.get("faceting") or {}
            distribution, stats = facet_distribution(ctx.facets, candidates, facet_fields,
                                                     faceting.get("maxValuesPerFacet", 100),
                                                     faceting.get("sortFacetValuesBy") or {"*": "alpha"})
            result["facetDistribution"] = distribution
            result["facetStats"] = stats
    result["processingTimeMs"] = int((time.perf_counter() - started) * 1000)
    return result


def prepare_universe(ctx: SearchContext, query: Any, uid: str, rules_filter: FilterableRules,
                     contains_enabled: bool, extra_filter: Any) -> tuple[BitMap, State, bool, int]:
    """filter ∩ documents matching the query with every removable term removed, minus negatives."""
    settings = ctx.settings
    ctx.restrict_to_fields(query.attributes_to_search_on)
    universe = BitMap(ctx.all_docids)
    for raw_filter in (query.filter, extra_filter):
        if raw_filter is None:
            continue
        expr = parse_filter(raw_filter, "invalid_search_filter", contains_enabled)
        if expr is not None:
            universe &= evaluate(expr, ctx.facets, rules_filter, uid, "invalid_search_filter")
    parsed = parse_query(query.q, ctx.cache.tokenizer, prefix_search=settings.get("prefixSearch") != "disabled")
    for word in parsed.negative_words:
        universe -= ctx.word_docids(word)
    for phrase in parsed.negative_phrases:
        universe -= phrase_docids(ctx, phrase)
    placeholder = parsed.is_placeholder or not parsed.terms
    n_terms = len(parsed.terms)
    nodes = tuple(build_nodes(ctx, parsed, settings.get("prefixSearch") != "disabled")) if not placeholder else ()
    state = State.initial(nodes, n_terms)
    if not placeholder:
        groups = removal_groups(ctx, nodes, n_terms, query.matching_strategy)
        minimal = frozenset(range(n_terms)) - {i for g in groups for i in g}
        universe = matching(ctx, universe, nodes, n_terms, minimal)
    # the first rule gets the whole query graph, nodes matching nothing included: with
    # matchingStrategy "all" (no words rule) typo's maximum counts them (ranking.md §7.1)
    return universe, state, placeholder, n_terms


def facet_search(store: Store, registry: Registry, uid: str, fquery: Any, *,
                 contains_enabled: bool = False, extra_filter: Any = None) -> dict[str, Any]:
    """POST /indexes/{uid}/facet-search: facet values among the candidates of the embedded search."""
    from ..facets.search import facet_search as search_values
    started = time.perf_counter()
    with store.index_env.begin() as txn:
        ctx = SearchContext(store, txn, registry, registry.require(txn, uid))
        rules_filter = ctx.cache.filterable_rules
        query = SearchQuery(q=fquery.q, filter=fquery.filter, matching_strategy=fquery.matching_strategy,
                            attributes_to_search_on=fquery.attributes_to_search_on)
        candidates, _state, _placeholder, _n = prepare_universe(ctx, query, uid, rules_filter,
                                                                 contains_enabled, extra_filter)
        hits = search_values(ctx.facets, candidates, fquery.facet_name, fquery.facet_query, ctx.settings,
                             rules_filter, bool(fquery.exhaustive_facet_count))
    return {"facetHits": hits, "facetQuery": fquery.facet_query,
            "processingTimeMs": int((time.perf_counter() - started) * 1000)}

