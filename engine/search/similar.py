"""Documents similar to one document (hybrid.md §6, §8.18).

    target's embeddings T_0..T_n  ×  universe (filter, minus the target)  →  each document scored by
    max over k of sim(T_k, D_k) (embedding #k against embedding #k only), nearest first; a score
    threshold stops at the first document below it and the candidates shrink to those seen.

Documents without an embedding are never returned but count in the total; a target without an
embedding finds nothing.  Scores are the distribution-shifted similarities of §4.2.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np
from pyroaring import BitMap

from ..errors import LoupeError
from ..filters.parser import FilterFeatures
from ..limits import DEFAULT_MAX_TOTAL_HITS
from ..store import Store
from ..store.codecs import external_id_key, read_u32
from ..store.registry import Registry
from .context import SearchContext
from .query import Hit, SearchResult


def similar(store: Store, registry: Registry, uid: str, external_id: str, embedder: str, *, txn: Any,
            filter: Any = None, tenant_filter: Any = None, offset: int = 0, limit: int = 20,
            threshold: float | None = None, retrieve_vectors: bool = False, features: FilterFeatures = FilterFeatures()
            ) -> SearchResult:
    started = time.perf_counter()
    from ..filters import evaluate
    from ..filters.parser import parse_with
    from ..index import read_raw_documents
    from ..vectors.similarity import distribution_of, shift, to_similarity
    from ..vectors.store import VectorTable
    from .hybrid import embedder_matrix
    from .rules.vector_sort import vector_score
    from .search import _displayed, hit_vectors
    ctx = SearchContext(store, txn, registry, registry.require(txn, uid))
    config = (ctx.settings.get("embedders") or {}).get(embedder)
    if config is None:
        raise LoupeError("invalid_similar_embedder", f"Cannot find embedder with name `{embedder}`.")
    rules = ctx.cache.filterable_rules
    universe = BitMap(ctx.all_docids)
    expr = parse_with(filter, "invalid_similar_filter", features)
    if expr is not None:
        universe &= evaluate(expr, ctx.facets, rules, None, "invalid_similar_filter", ctx.vector_status())
    raw = txn.get(external_id_key(ctx.iid, external_id), db=store.i["external_ids"])
    target = read_u32(raw) if raw is not None else None
    if target is not None and tenant_filter is not None:
        allowed = evaluate(parse_with(tenant_filter, "invalid_similar_filter", features), ctx.facets,
                           rules, None, "invalid_similar_filter", ctx.vector_status())
        universe &= allowed
        if target not in allowed:
            target = None
    if target is None:
        raise LoupeError("not_found_similar_id", f"Document `{external_id}` not found.")
    universe.discard(target)
    table = VectorTable(store, txn, ctx.iid)
    found = table.get(embedder, target, table.dimensions(embedder, config))
    ranked: list[tuple[int, list]] = []
    candidates = universe
    if found is not None and len(found[0]):
        matrix = embedder_matrix(ctx, embedder, config)
        docids, distances = paired_distances(matrix, found[0], universe)
        order = np.lexsort((docids, distances))[:offset + limit + 1]
        similarities = shift(to_similarity(distances[order]), distribution_of(config))
        seen = BitMap()
        for n, (docid, score) in enumerate(zip(docids[order].tolist(), similarities.tolist())):
            if n < offset:
                continue
            if len(ranked) == limit:
                break
            if threshold is not None and score < threshold:
                candidates = candidates & seen  # nothing after this one passes either
                break
            seen.add(docid)
            ranked.append((docid, [vector_score(score)]))
    max_total = (ctx.settings.get("pagination") or {}).get("maxTotalHits", DEFAULT_MAX_TOTAL_HITS)
    stored = read_raw_documents(store, txn, ctx.iid, [docid for docid, _s in ranked])
    hits = [Hit(docid, raw, tuple(scores)) for (docid, scores), raw in zip(ranked, stored)]
    vectors = hit_vectors(ctx, hits) if retrieve_vectors and ctx.settings.get("embedders") else None
    return SearchResult(hits=hits, candidates=candidates, total=min(len(candidates), max_total), offset=offset,
                        limit=limit, displayed=_displayed(ctx.settings), vectors=vectors,
                        processing_ms=int((time.perf_counter() - started) * 1000))


def paired_distances(matrix: Any, target: np.ndarray, universe: BitMap) -> tuple[np.ndarray, np.ndarray]:
    """(docids, distance) of the universe's documents: the best over k of embedding #k against the
    target's embedding #k (§8.18)."""
    from ..vectors.matrix import best_per_document
    if not len(matrix.owners) or not universe:
        return np.zeros(0, np.uint32), np.zeros(0, np.float32)
    wanted = np.frombuffer(universe.to_array(), dtype=np.uint32)
    in_universe = np.isin(matrix.owners, wanted)
    rank = matrix.row_ranks()
    owners_parts, distance_parts = [], []
    for k, embedding in enumerate(target):
        rows = np.flatnonzero(in_universe & (rank == k))
        if len(rows):
            owners_parts.append(matrix.owners[rows])
            distance_parts.append(matrix.row_distances(embedding, rows))
    if not owners_parts:
        return np.zeros(0, np.uint32), np.zeros(0, np.float32)
    owners = np.concatenate(owners_parts)
    distances = np.concatenate(distance_parts)
    order = np.argsort(owners, kind="stable")
    return best_per_document(owners[order], distances[order])
