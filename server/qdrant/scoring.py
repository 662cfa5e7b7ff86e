"""Qdrant's scores, computed exactly (float32) for the metrics and strategies the engine does not
rank by itself.

Each distance has an internal *similarity* (higher is closer) and a shown *score*:

    Cosine     similarity = q·v (both normalised)    score = similarity
    Dot        similarity = q·v                      score = similarity
    Euclid     similarity = −‖q − v‖₂                score = ‖q − v‖₂   (smaller is better)
    Manhattan  similarity = −‖q − v‖₁                score = ‖q − v‖₁

``best_score`` (seed): for each candidate, the best similarity to a positive example p and to a
negative one n; the score is p when p > n, else −(n·n); with no positives p is −∞.  (Qdrant's
current source wraps both in a sigmoid; the seed's formula is what Loupe serves.)  Its score is
shown as computed, for every distance.  A score threshold keeps scores at least the threshold,
or, for Euclid and Manhattan distances, at most it.
"""
from __future__ import annotations

import numpy as np

F32 = np.float32
SMALLER_IS_BETTER = frozenset({"Euclid", "Manhattan"})


def similarities(distance: str, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
    query = np.asarray(query, dtype=F32)
    rows = np.asarray(rows, dtype=F32)
    if distance in ("Cosine", "Dot"):
        return (rows @ query).astype(F32)
    if distance == "Euclid":
        diff = rows - query
        return (-np.sqrt(np.einsum("ij,ij->i", diff, diff))).astype(F32)
    return (-np.abs(rows - query).sum(axis=1)).astype(F32)


def shown(distance: str, similarity: np.ndarray) -> np.ndarray:
    return -similarity if distance in SMALLER_IS_BETTER else similarity


def best_score(distance: str, positives: list[np.ndarray], negatives: list[np.ndarray],
               rows: np.ndarray) -> np.ndarray:
    n = rows.shape[0]
    best_p = np.full(n, -np.inf, dtype=F32)
    best_n = np.full(n, -np.inf, dtype=F32)
    for example in positives:
        best_p = np.maximum(best_p, similarities(distance, example, rows))
    for example in negatives:
        best_n = np.maximum(best_n, similarities(distance, example, rows))
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(best_p > best_n, best_p, -(best_n * best_n)).astype(F32)


def passes(score: float, threshold: float | None, smaller_is_better: bool) -> bool:
    if threshold is None:
        return True
    return score <= threshold if smaller_is_better else score >= threshold
