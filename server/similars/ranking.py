"""Similarity search as the seed defines it, on the engine's one search API.

The engine ranks a semantic `Query` by its ``(1 + cos) / 2`` similarity (hybrid.md §4.2); the seed's
similarity is the cosine itself, ``2·s − 1``, shown rounded to 6 decimals (so identical vectors
show 1.0 despite float32).  On top of the engine's order the seed asks for three things a Loupe
filter cannot say exactly (facet strings are case-folded):

* the query document itself is not a result (GET by id);
* metadata exclusion: a result whose metadata at ``metadata_path`` equals ``metadata_value`` is
  dropped: a string equal character for character (case-sensitive), or a number/boolean whose JSON
  text is the value (``2024`` for "2024", ``true`` for "true"); objects, arrays and null never match;
* ties of the shown similarity are ordered by id.

So the dialect reads a window of the engine's ranking, drops what the first two exclude, and grows
the window (doubling) until it holds ``offset + count`` results *and* every document tied with the
last of them, or the engine has nothing more above the threshold.  The engine's own threshold
(``(1 + t) / 2`` minus a float32 margin) keeps the windows short; the exact one is applied here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import orjson

from engine.index import Index
from engine.search.query import Hit, Query, Semantic

from .params import SimilarParams
from .projects import EMBEDDER

ENGINE_MARGIN = 1e-6


@dataclass(frozen=True)
class Found:
    id: str
    similarity: float


def shown_similarity(engine_score: float) -> float:
    return round(2.0 * engine_score - 1.0, 6)


def metadata_equals(document: dict[str, Any], path: str, value: str) -> bool:
    """The exclusion test of the module docstring."""
    current: Any = document.get("metadata")
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return False
        current = current[part]
    if isinstance(current, str):
        return current == value
    if isinstance(current, (bool, int, float)):
        return orjson.dumps(current).decode() == value
    return False


def _kept(hits: Iterable[Hit], params: SimilarParams, exclude_id: str | None) -> list[Found]:
    out = []
    for hit in hits:
        document = orjson.loads(hit.stored) if hit.stored is not None else {}
        doc_id = str(document.get("id"))
        if exclude_id is not None and doc_id == exclude_id:
            continue
        if params.metadata_path is not None and metadata_equals(document, params.metadata_path,
                                                                params.metadata_value or ""):
            continue
        similarity = shown_similarity(hit.score)
        if similarity >= params.threshold:
            out.append(Found(doc_id, similarity))
    return out


def similars(index: Index, vector: list[float], params: SimilarParams, exclude_id: str | None = None,
             tenant: Any = None) -> list[Found]:
    """The page of results, highest similarity first, ties by id; ``tenant`` is a tenant token's
    filter for the project (Loupe syntax on `id` and `metadata.*`), which the engine applies."""
    needed = params.page.offset + params.page.limit
    window = needed + (1 if exclude_id is not None else 0) + 1
    engine_threshold = max(0.0, (1.0 + params.threshold) / 2.0 - ENGINE_MARGIN)
    while True:
        result = index.execute(Query(semantic=Semantic(EMBEDDER, 1.0, tuple(vector)), limit=window, filter=tenant,
                                     max_total_hits=window, scores=True,
                                     ranking_score_threshold=engine_threshold))
        kept = _kept(result.hits, params, exclude_id)
        exhausted = len(result.hits) < window
        if exhausted or (len(kept) >= needed and shown_similarity(result.hits[-1].score) < kept[needed - 1].similarity):
            break
        window *= 2
    kept.sort(key=lambda found: (-found.similarity, found.id))
    return kept[params.page.offset:needed]
