"""Distances and similarities exactly as Meilisearch computes them (hybrid.md §4.2, §8.12, §8.13).

Every operation is float32, in upstream's order:

    dot = Σ q[i]·d[i]                         sequential below 16 dimensions
    den = sqrt(Σ q[i]²) · sqrt(Σ d[i]²)
    distance = (1 − clamp(dot/den, −1, 1)) / 2     (0 when den ≤ f32::EPSILON)
    similarity = 1 − distance

    >>> float(similarities(np.array([1, 0], np.float32), np.array([[2, 3]], np.float32))[0])
    0.7773500680923462

Binary-quantized embedders compare sign bits: distance = popcount(q XOR d) / (64·⌈dims/64⌉).
A distribution ``(mean, sigma)`` then shifts the similarity (§4.2).
"""
from __future__ import annotations

from typing import Any

import numpy as np

F32 = np.float32
F32_EPSILON = np.finfo(np.float32).eps  # 1.1920929e-07
SEQUENTIAL_BELOW = 16  # upstream sums lane by lane (SIMD) from 16 dimensions on


def _sequential_rows(rows: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Σ rows[:, i]·q[i] accumulated dimension after dimension, in float32."""
    acc = np.zeros(rows.shape[0], dtype=F32)
    for i in range(rows.shape[1]):
        acc += rows[:, i] * q[i]
    return acc


def dots(q: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Each row's dot product with ``q``.  einsum sums every row the same way whatever the other
    rows are, so a document's score never depends on the plan or universe that scored it; BLAS's
    gemv picks kernels by the number of rows, which moves some results by one ulp."""
    if rows.shape[1] < SEQUENTIAL_BELOW:
        return _sequential_rows(rows, q)
    return np.einsum("ij,j->i", rows, q).astype(F32)


def squared_norms(rows: np.ndarray) -> np.ndarray:
    if rows.shape[1] < SEQUENTIAL_BELOW:
        return _sequential_rows(rows * rows, np.ones(rows.shape[1], dtype=F32))
    return np.einsum("ij,ij->i", rows, rows).astype(F32)


def norms(rows: np.ndarray) -> np.ndarray:
    return np.sqrt(squared_norms(rows)).astype(F32)


def cosine_distances(q: np.ndarray, rows: np.ndarray, row_norms: np.ndarray | None = None) -> np.ndarray:
    """Upstream's angular distance of every row to ``q``, float32."""
    q = np.asarray(q, dtype=F32)
    rows = np.asarray(rows, dtype=F32)
    if row_norms is None:
        row_norms = norms(rows)
    nq = np.sqrt(squared_norms(q[None, :])[0]).astype(F32)
    den = (nq * row_norms).astype(F32)
    dot = dots(q, rows)
    ok = den > F32_EPSILON
    with np.errstate(divide="ignore", invalid="ignore"):
        cos = np.clip(np.where(ok, dot / np.where(ok, den, F32(1)), F32(1)), F32(-1), F32(1)).astype(F32)
    distance = ((F32(1) - cos) / F32(2)).astype(F32)
    return np.where(ok, distance, F32(0)).astype(F32)


def pack_bits(rows: np.ndarray) -> np.ndarray:
    """Sign bits (x > 0) packed in 64-bit words, one row per embedding."""
    rows = np.atleast_2d(rows)
    words = -(-rows.shape[1] // 64)
    bits = np.zeros((rows.shape[0], words * 64), dtype=bool)
    bits[:, :rows.shape[1]] = rows > 0
    return np.packbits(bits, axis=1)


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint16)


def hamming_distances(q: np.ndarray, packed_rows: np.ndarray) -> np.ndarray:
    packed_q = pack_bits(np.asarray(q, dtype=F32)[None, :])[0]
    differing = _POPCOUNT[np.bitwise_xor(packed_rows, packed_q)].sum(axis=1)
    return (differing.astype(F32) / F32(packed_rows.shape[1] * 8)).astype(F32)


def to_similarity(distances: np.ndarray) -> np.ndarray:
    return (F32(1) - distances).astype(F32)


def similarities(q: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return to_similarity(cosine_distances(q, rows))


def shift(similarity: np.ndarray | float, distribution: dict[str, Any] | None) -> np.ndarray:
    """The distribution shift of §4.2, float32: ``0.4/σ·s + 0.5 − 0.4/σ·μ``, clamped to (0, 1]."""
    s = np.asarray(similarity, dtype=F32)
    if not distribution:
        return s
    mean, sigma = F32(distribution["mean"]), F32(distribution["sigma"])
    factor = (F32(0.4) / sigma).astype(F32) if isinstance(sigma, np.ndarray) else F32(F32(0.4) / sigma)
    offset = F32(F32(0.5) - F32(factor * mean))
    score = (factor * s + offset).astype(F32)
    score = np.where(score <= F32(0), F32_EPSILON, score)
    return np.minimum(score, F32(1)).astype(F32)


OPENAI_DISTRIBUTIONS = {
    "text-embedding-ada-002": {"mean": 0.90, "sigma": 0.08},
    "text-embedding-3-large": {"mean": 0.70, "sigma": 0.10},
    "text-embedding-3-small": {"mean": 0.75, "sigma": 0.10},
}


def distribution_of(config: dict[str, Any]) -> dict[str, Any] | None:
    """The embedder's distribution: explicit, else OpenAI's built-in one for its model."""
    if config.get("distribution"):
        return config["distribution"]
    if config.get("source", "openAi") == "openAi":
        return OPENAI_DISTRIBUTIONS.get(config.get("model") or "text-embedding-3-small")
    return None
