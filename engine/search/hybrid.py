"""Semantic and hybrid search (hybrid.md §3.1, §4, §5, §8.10–§8.17).

Which search runs is decided by `search_kind` (the table of §3.1).  A semantic search is the same
bucket sort as a keyword one, with the `vectorSort` rule in place of the textual rules and the
filtered documents as its universe.  A hybrid search runs both and merges them:

    keyword K (offset 0, limit F+L)  ──┐  every K hit weighted ≥ 0.45 → K alone (the shortcut)
    semantic S (offset 0, limit F+L) ──┴→ two-way merge by `compare` (ties to S), first occurrence
                                          wins, distinct applied, skip F, keep L

Worked example (§5.3): r = 0.5, K = d2 .98, d3 .95, d1 .90, S = d3 .99, d1 .97, d2 .80 → d3 (S),
d2 (K), d1 (S): semanticHitCount 2, each hit showing its own list's unweighted score.
"""
from __future__ import annotations

import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
from pyroaring import BitMap

from ..errors import LoupeError
from ..filters.parser import FilterFeatures
from .context import SearchContext
from .query import Query, SearchResult
from .rules import RulePlan, build_semantic_rules
from .rules.base import Score, State
from .rules.vector_sort import VectorPlan, VectorSortRule
from .scores import NUMBER, compare_sort_values, score_values

if TYPE_CHECKING:
    from ..embedders import Embedder

KEYWORD, SEMANTIC, HYBRID = "keyword", "semantic", "hybrid"
EPSILON = sys.float_info.epsilon
GOOD_ENOUGH = 0.45  # a keyword hit weighted at least this needs no semantic help (§5 step 2)


def search_kind(query: Query) -> str:
    """§3.1, rows 2–7 (row 1, a vector without hybrid, is refused by the dialect)."""
    semantic = query.semantic
    if semantic is None or semantic.ratio == 0.0:
        return KEYWORD
    has_q = bool(query.text and query.text.strip())
    if not has_q and semantic.vector is None and semantic.media is None:
        return KEYWORD
    if semantic.ratio == 1.0:
        return SEMANTIC
    return HYBRID if has_q else SEMANTIC


def ratio_weights(ratio: float) -> tuple[float, float]:
    """(semantic, keyword) weights: f64(f32(r)) and f64(f32(1 − f32(r))) (§8.17)."""
    r = np.float32(ratio)
    return float(r), float(np.float32(np.float32(1) - r))


def f32_vector(values: Sequence[float]) -> tuple[float, ...]:
    """A vector as the shortest decimal of each float32 component (queryVector printing, §8.8)."""
    return tuple(float(str(np.float32(v))) for v in values)


# -- the query vector -------------------------------------------------------------------------------

def query_vector(query: Query, config: dict[str, Any], ctx: SearchContext | None = None) -> np.ndarray:
    """The `vector` parameter, else `q` embedded by the embedder (§4.4), built once per index
    version (see `query_embedder`)."""
    semantic = query.semantic
    if semantic.vector is not None:
        return np.asarray(semantic.vector, dtype=np.float32)
    text = query.text or ""
    if config.get("source") == "userProvided":
        raise LoupeError("vector_embedding_error",
                         "Error while generating embeddings: user error: attempt to embed the following text in a "
                         f"configuration where embeddings must be user provided:\n  - `{text}`")
    from ..embedders import EmbeddingError
    try:
        vector = query_embedder(ctx, semantic.embedder, config).embed_query(text)
    except EmbeddingError as err:
        raise LoupeError("vector_embedding_error", f"Error while generating embeddings: {err}") from None
    return np.asarray(vector, dtype=np.float32)


def query_embedder(ctx: SearchContext | None, name: str, config: dict[str, Any]) -> "Embedder":
    """The embedder that embeds queries, kept with the index version's cache as upstream keeps its
    embedders with the index: a test embedding (no configured dimensions, the index has none
    recorded yet) or a composite's probes are sent once, not before every query.  It is told the
    dimensions the index learnt from its embeddings."""
    from ..embedders import make_embedder
    if ctx is None:
        return make_embedder(name, config)
    cache = ctx.cache
    with cache.lock:
        embedders = cache.__dict__.setdefault("query_embedders", {})
        embedder = embedders.get(name)
    if embedder is None:
        from ..vectors.store import VectorTable
        embedder = make_embedder(name, config)
        embedder.assume_dimensions(VectorTable(ctx.store, ctx.txn, ctx.iid).dimensions(name, config))
        with cache.lock:
            embedders[name] = embedder
    return embedder


def embedder_matrix(ctx: SearchContext, name: str, config: dict[str, Any]):
    """The embedder's matrix for this index version (built once, shared by the version's searches)."""
    from ..vectors.ann import MIN_ROWS, ann_worthwhile, attach_ann, directory_stamp
    from ..vectors.matrix import EmbedderMatrix
    cache = ctx.cache
    from ..vectors.store import VectorTable
    dimensions = VectorTable(ctx.store, ctx.txn, ctx.iid).dimensions(name, config)
    key = (name, dimensions, bool(config.get("binaryQuantized")))
    with cache.lock:
        matrices = cache.__dict__.setdefault("vector_matrices", {})
        matrix = matrices.get(key)
    if matrix is None:
        matrix = EmbedderMatrix.load(ctx.store, ctx.txn, ctx.iid, name, key[1], key[2])
        with cache.lock:
            matrices[key] = matrix
    if len(matrix.rows) >= MIN_ROWS and not matrix.quantized and ann_worthwhile(matrix.rows.size):
        stamp = directory_stamp(ctx.store)  # a forest built after this version was read: attach it now
        if stamp != matrix.ann_stamp:
            matrix.ann_stamp = stamp
            attach_ann(ctx.store, ctx.iid, name, matrix)
    return matrix


# -- one semantic ranking ---------------------------------------------------------------------------

def semantic_universe(ctx: SearchContext, query: Query, uid: str, features: FilterFeatures) -> BitMap:
    """Every filtered document, minus the negative words of `q` (§4.1, §5 step 4)."""
    from .query_terms import parse_query
    from .search import _filter_expr
    from .terms import phrase_docids
    from ..filters import evaluate
    universe = ctx.rankable()
    expr = _filter_expr(query.filter, features)
    if expr is not None:
        universe &= evaluate(expr, ctx.facets, ctx.cache.filterable_rules, uid, "invalid_search_filter",
                             ctx.vector_status())
    if query.text and "-" in query.text:
        parsed = parse_query(query.text, ctx.query_tokenizer(query.locales), prefix_search=ctx.settings.get("prefixSearch") != "disabled")
        for word in parsed.negative_words:
            universe -= ctx.word_docids(word)
        for phrase in parsed.negative_phrases:
            universe -= phrase_docids(ctx, phrase)
    return universe


def semantic_ranking(ctx: SearchContext, query: Query, uid: str, vector: np.ndarray, config: dict[str, Any],
                     offset: int, limit: int, max_total: int, started: float, features: FilterFeatures,
                     need_scores: bool | None = None):
    from ..vectors.similarity import distribution_of
    from .search import Ranking, _displayed, run_bucket_sort
    universe = semantic_universe(ctx, query, uid, features)
    matrix = embedder_matrix(ctx, query.semantic.embedder, config)
    plan = RulePlan(query.matching_strategy, 0, placeholder=True, sort=query.sort or (),
                    displayed=_displayed(ctx.settings))
    rule = VectorSortRule(VectorPlan(vector, matrix, distribution_of(config), offset + limit))
    rules = build_semantic_rules(query.ranking_rules or ctx.settings.get("rankingRules") or [], plan, rule)
    outcome, candidates = run_bucket_sort(ctx, query, rules, universe, State.initial((), 0), offset, limit,
                                          max_total, started, need_scores)
    return Ranking(outcome, candidates)


# -- the search -------------------------------------------------------------------------------------

def run_semantic(ctx: SearchContext, query: Query, uid: str, kind: str, displayed: list[str] | None,
                 facet_fields: list[str] | None, features: FilterFeatures, started: float) -> SearchResult:
    from .search import _max_total_hits, keyword_ranking, make_result
    config = (ctx.settings.get("embedders") or {})[query.semantic.embedder]
    max_total = _max_total_hits(query, ctx.settings)
    offset, limit = query.page_window(max_total)
    if kind == SEMANTIC:
        vector = query_vector(query, config, ctx)
        ranked = semantic_ranking(ctx, query, uid, vector, config, offset, limit, max_total, started,
                                  features)
        return make_result(ctx, query, ranked.outcome.hits, ranked.candidates, max_total, offset, limit,
                           facet_fields, (), displayed, ranked.outcome.degraded, started,
                           semantic_hit_count=len(ranked.outcome.hits), query_vector=_shown_vector(query, vector))
    w_semantic, w_keyword = ratio_weights(query.semantic.ratio)
    window = offset + limit
    keyword = keyword_ranking(ctx, query, uid, features, 0, window, max_total, started, need_scores=True)
    k_hits = keyword.outcome.hits

    def keyword_only() -> SearchResult:
        page = (k_hits[offset:] + k_hits[:offset])[:limit] if len(k_hits) > offset else []
        return make_result(ctx, query, page, keyword.candidates, max_total, offset, limit, facet_fields,
                           keyword.nodes, displayed, keyword.outcome.degraded, started, semantic_hit_count=0)

    if len(k_hits) >= window and all(_global(scores) * w_keyword >= GOOD_ENOUGH for _d, scores in k_hits):
        return keyword_only()
    try:
        vector = query_vector(query, config, ctx)
    except LoupeError:
        return keyword_only()
    semantic = semantic_ranking(ctx, query, uid, vector, config, 0, window, max_total, started, features,
                                need_scores=True)
    distinct_field = query.distinct or ctx.settings.get("distinctAttribute")
    from .search import _distinct_function
    distinct = _distinct_function(ctx, distinct_field) if distinct_field else None
    hits, from_semantic, consumed, excluded = merge(semantic.outcome.hits, k_hits, w_semantic, w_keyword, offset,
                                                   limit, distinct)
    candidates = keyword.candidates | semantic.candidates
    if distinct is not None:
        candidates = (candidates - (consumed | excluded)) | BitMap(docid for docid, _s in hits)
    return make_result(ctx, query, hits, candidates, max_total, offset, limit, facet_fields, keyword.nodes,
                       displayed, keyword.outcome.degraded or semantic.outcome.degraded, started,
                       semantic_hit_count=from_semantic, query_vector=_shown_vector(query, vector))


def _shown_vector(query: Query, vector: np.ndarray) -> tuple[float, ...] | None:
    """`queryVector` is only shown with `retrieveVectors`: printed only then."""
    return f32_vector(vector) if query.retrieve_vectors else None


def _global(scores: Sequence[Score]) -> float:
    from .scores import global_score
    return global_score(scores)


# -- merging ----------------------------------------------------------------------------------------

def compare(left: list[tuple], right: list[tuple]) -> int:
    """§5.1: > 0 when ``left`` goes first, 0 when equal."""
    for a, b in zip(left, right):
        if a[0] == NUMBER and b[0] == NUMBER:
            if abs(a[1] - b[1]) <= EPSILON:
                continue
            return 1 if a[1] > b[1] else -1
        if a[0] == NUMBER:
            return -1 if a[1] == 0 else 1
        if b[0] == NUMBER:
            return 1 if b[1] == 0 else -1
        if a[0] != b[0]:
            return (len(left) > len(right)) - (len(left) < len(right))
        order = compare_sort_values(a[1], a[2], b[2])
        if order:
            return order
    return (len(left) > len(right)) - (len(left) < len(right))


def merge(semantic: list[tuple[int, list[Score]]], keyword: list[tuple[int, list[Score]]], w_semantic: float,
          w_keyword: float, offset: int, limit: int, distinct: Any = None
          ) -> tuple[list[tuple[int, list[Score]]], int, BitMap, BitMap]:
    """The two-way merge of §5 steps 5–8: (kept hits, how many came from the semantic list, every
    document taken up to the last kept hit, every document distinct excluded)."""
    s_values = [score_values(scores, w_semantic) for _d, scores in semantic]
    k_values = [score_values(scores, w_keyword) for _d, scores in keyword]
    i = j = 0
    taken = BitMap()
    excluded = BitMap()
    kept: list[tuple[int, list[Score]]] = []
    from_semantic = 0
    skipped = 0
    while (i < len(semantic) or j < len(keyword)) and len(kept) < limit:
        if j >= len(keyword) or (i < len(semantic) and compare(s_values[i], k_values[j]) >= 0):
            (docid, scores), is_semantic = semantic[i], True
            i += 1
        else:
            (docid, scores), is_semantic = keyword[j], False
            j += 1
        if docid in taken or docid in excluded:
            continue
        taken.add(docid)
        if distinct is not None:
            others = distinct(docid)
            others.discard(docid)
            excluded |= others
        if skipped < offset:
            skipped += 1
            continue
        kept.append((docid, scores))
        from_semantic += is_semantic
    return kept, from_semantic, taken, excluded
