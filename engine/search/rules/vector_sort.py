"""The `vectorSort` rule: buckets of documents by distance to the query vector (hybrid.md §4.1, §8.11).

    universe --exact f32 distances (or ANN candidates)--> one bucket per distinct raw distance,
    nearest first, scored with the (distribution-shifted) similarity; the universe's documents
    without an embedding last, in one bucket with ``similarity: null``.

A bucket is a subset of the universe it was given, and the buckets cover it.  Equal raw distances
share a bucket (the next rules, then docid, order them); equal shifted scores of different raw
distances do not.  Distances come from `engine.vectors.search.nearest`, which picks the plan (exact
numpy over the universe, or annoy with oversampling when the universe is large).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
from pyroaring import BitMap

from ..context import SearchContext
from .base import Rule, Score, State


@dataclass(frozen=True)
class VectorPlan:
    """What a vector rule needs: the query vector, the embedder's matrix and distribution, and how
    many documents the search wants (``offset + limit``), which sizes the ANN plan."""

    vector: np.ndarray
    matrix: Any            # engine.vectors.matrix.EmbedderMatrix
    distribution: dict | None
    wanted: int


def vector_score(similarity: float | None) -> Score:
    return Score("vectorSort", 1, 1, similarity=similarity, is_vector=True)


class VectorSortRule(Rule):
    name = "vectorSort"
    textual = False

    def __init__(self, plan: VectorPlan):
        self.plan = plan

    def buckets(self, ctx: SearchContext, universe: BitMap, state: State) -> Iterator[tuple[BitMap, Score, State]]:
        from ...vectors.search import nearest
        from ...vectors.similarity import shift, to_similarity
        plan = self.plan
        placed = BitMap()
        for docids, distances in nearest(plan.matrix, plan.vector, universe, plan.wanted):
            if not len(docids):
                continue
            order = np.lexsort((docids, distances))
            docids, distances = docids[order], distances[order]
            cuts = np.flatnonzero(np.diff(distances)) + 1
            scores = shift(to_similarity(distances[np.concatenate(([0], cuts))]), plan.distribution)
            for group, score in zip(np.split(docids, cuts), scores):
                bucket = BitMap(group.tolist())
                placed |= bucket
                yield bucket, vector_score(float(score)), state
        rest = universe - placed
        if rest:
            yield rest, vector_score(None), state
