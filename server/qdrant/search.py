"""One Qdrant search over the engine's one search API: a ranked stream of points.

    Cosine, a query vector (nearest, or average_vector recommend):
        engine semantic Query (filter = the Loupe superset) in growing windows; score = 2·s − 1
        from the engine's (1 + cos) / 2; every candidate checked exactly (filter, excluded ids,
        threshold).  The engine picks exact scoring or ANN by the filtered universe's size.
    Dot / Euclid / Manhattan, or best_score:
        engine placeholder Query of every filtered point with its vectors, checked exactly and
        scored here (`scoring`), best first (ties in the engine's order).

`ranked` yields `Scored` points lazily, so top-k searches and groups take what they need.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np
import orjson

from engine.index import Index
from engine.search.query import Query, Semantic

from ..auth import merge_filters

from .collections import Collection, VectorSpace
from .filters import Filter
from .points import PointId
from .scoring import SMALLER_IS_BETTER, best_score, passes, shown, similarities

ENGINE_MARGIN = 1e-6
SLACK = 16  # extra room in the first window for candidates the exact check may drop


@dataclass
class Plan:
    """What to rank: ``vector`` for nearest/average_vector, else best_score's examples."""

    collection: Collection
    space: VectorSpace
    filter: Filter
    vector: np.ndarray | None = None
    positives: list[np.ndarray] = field(default_factory=list)
    negatives: list[np.ndarray] = field(default_factory=list)
    exclude: frozenset = frozenset()
    score_threshold: float | None = None
    with_vectors: bool = False
    wanted: int = 10  # how many ranked points the caller expects to take: the engine's first window
    tenant: Any = None  # a tenant token's filter for the collection (Loupe syntax), ANDed in

    @property
    def engine_filter(self) -> Any:
        return merge_filters(self.filter.loupe, self.tenant)

    @property
    def by_engine(self) -> bool:
        return self.vector is not None and self.space.distance == "Cosine"

    @property
    def smaller_is_better(self) -> bool:
        return self.vector is not None and self.space.distance in SMALLER_IS_BETTER


@dataclass(frozen=True)
class Scored:
    id: PointId
    version: int
    score: float
    payload: dict[str, Any]
    vectors: dict[str, Any] | None  # `_vectors` with embeddings, when asked


def _point(raw: bytes | None) -> dict[str, Any]:
    return orjson.loads(raw) if raw is not None else {}


def _accepted(plan: Plan, document: dict[str, Any]) -> bool:
    point = document.get("id")
    return point not in plan.exclude and plan.filter.check(document.get("payload") or {}, point)


def ranked(index: Index, plan: Plan) -> Iterator[Scored]:
    return _by_engine(index, plan) if plan.by_engine else _exactly(index, plan)


def _by_engine(index: Index, plan: Plan) -> Iterator[Scored]:
    threshold = plan.score_threshold
    engine_threshold = None
    if threshold is not None and threshold > -1.0:
        engine_threshold = min(1.0, max(0.0, (1.0 + threshold) / 2.0 - ENGINE_MARGIN))
    window, seen = plan.wanted + len(plan.exclude) + (0 if plan.filter.everything else SLACK), 0
    vector = tuple(float(x) for x in plan.vector)
    while True:
        result = index.execute(Query(semantic=Semantic(plan.space.embedder, 1.0, vector), filter=plan.engine_filter,
                                     limit=window, max_total_hits=window, scores=True,
                                     ranking_score_threshold=engine_threshold, retrieve_vectors=plan.with_vectors))
        for hit in result.hits[seen:]:
            similarity = next((s.similarity for s in hit.scores if s.is_vector), None)
            if similarity is None:
                return  # the documents without this vector come last: nothing more to find
            score = float(np.float32(2.0 * similarity - 1.0))
            if not passes(score, threshold, False):
                return
            document = _point(hit.stored)
            if _accepted(plan, document):
                vectors = (result.vectors or {}).get(hit.docid) if plan.with_vectors else None
                yield Scored(document["id"], document.get("version", 0), score, document.get("payload") or {}, vectors)
        if len(result.hits) < window:
            return
        seen, window = len(result.hits), window * 2


def point_count(index: Index) -> int:
    engine = index.engine
    with engine.store.index_env.begin() as txn:
        return len(engine.registry.all_docids(txn, index.record(txn)["iid"]))


def _exactly(index: Index, plan: Plan) -> Iterator[Scored]:
    total = point_count(index)
    if total == 0:
        return
    result = index.execute(Query(filter=plan.engine_filter, limit=total, max_total_hits=total, retrieve_vectors=True))
    embedder = plan.space.embedder
    documents, rows, vectors = [], [], []
    for hit in result.hits:
        document = _point(hit.stored)
        own = (result.vectors or {}).get(hit.docid) or {}
        embeddings = (own.get(embedder) or {}).get("embeddings") or []
        if embeddings and _accepted(plan, document):
            documents.append(document)
            rows.append(embeddings[0])
            vectors.append(own)
    if not documents:
        return
    matrix = np.asarray(rows, dtype=np.float32)
    distance = plan.space.distance
    if plan.vector is not None:
        scores = shown(distance, similarities(distance, plan.vector, matrix))
    else:
        scores = best_score(distance, plan.positives, plan.negatives, matrix)
    order = np.argsort(scores if plan.smaller_is_better else -scores, kind="stable")
    for i in order.tolist():
        score = float(scores[i])
        if not passes(score, plan.score_threshold, plan.smaller_is_better):
            return
        document = documents[i]
        yield Scored(document["id"], document.get("version", 0), score, document.get("payload") or {},
                     vectors[i] if plan.with_vectors else None)
