"""A first pass over principal components: the plan between the exact scan and annoy.

An exact scan of a large matrix is bound by memory bandwidth: 63,666 × 384 float32 (98 MB) take
3.5 ms with both cores of this machine, before any other work of the search.  Most of what tells
neighbours apart lives in a few directions, though: on all-MiniLM-L6-v2 embeddings of the Debian
corpus the top 128 principal components of the unit rows keep the true ten nearest among the 400
best of the reduced scan for 99.4 % of the benchmark's queries, and that scan reads a third of the
bytes.  So for large matrices:

    rows --unit length, centred, projected (once per index version)--> reduced (n, k) float32
    query --projected--> scores of every row in k dimensions --> the best candidates
    candidates --exact f32 distances of hybrid.md §8.12 (`search.from_candidates`)--> chunks

Only the candidates' scores are shown, and they are exact; the reduced scan only chooses which
documents are scored.  Rows whose norm makes the exact distance 0 (`den ≤ f32::EPSILON`) are always
candidates, since that distance makes them the nearest.  The projection is fitted with numpy
(eigenvectors of a sample's covariance; a fixed seed makes it the same for every process reading
the same version), built with the matrix by the warm-up after each batch, so searches never fit.
"""
from __future__ import annotations

import os
from typing import Any, Iterator

import numpy as np
from pyroaring import BitMap

from .similarity import F32_EPSILON, squared_norms

#: Matrices with fewer float32 components are scanned exactly (the scan is already cheap there).
#: `LOUPE_PROJECT_MIN_COMPONENTS` overrides it (0: every matrix with `MIN_ROWS` rows).
PROJECT_MIN_COMPONENTS = int(os.environ.get("LOUPE_PROJECT_MIN_COMPONENTS", 4_000_000))
MIN_ROWS = 2000
#: The reduced dimensions are this fraction of the original ones (96 of MiniLM's 384).
REDUCTION = 4
MIN_COMPONENTS = 32
#: Rows the covariance is estimated from.
SAMPLE_ROWS = 8192
MIN_CANDIDATES = 800
OVERSAMPLE = 4
_SEED = 20261207


def worth_projecting(rows: np.ndarray, quantized: bool) -> bool:
    return not quantized and len(rows) >= MIN_ROWS and rows.size >= PROJECT_MIN_COMPONENTS \
        and rows.shape[1] >= 2 * MIN_COMPONENTS


class Projection:
    """The rows of one matrix version reduced to their ``k`` principal components."""

    def __init__(self, basis: np.ndarray, reduced: np.ndarray):
        self.basis = basis      # (dims, k) float32, orthonormal columns
        self.reduced = reduced  # (n, k) float32: each unit row, centred, in that basis

    @classmethod
    def build(cls, rows: np.ndarray, row_norms: np.ndarray) -> "Projection":
        """Fits the basis on a sample of the unit rows and reduces every row."""
        dims = rows.shape[1]
        k = max(MIN_COMPONENTS, -(-dims // REDUCTION))
        safe = np.where(row_norms > 0, row_norms, np.float32(1)).astype(np.float32)
        rng = np.random.default_rng(_SEED)
        picked = np.sort(rng.choice(len(rows), min(SAMPLE_ROWS, len(rows)), replace=False))
        sample = rows[picked] / safe[picked, None]
        mean = sample.mean(axis=0)
        _, vectors = np.linalg.eigh(np.cov((sample - mean).T.astype(np.float64)))
        basis = np.ascontiguousarray(vectors[:, ::-1][:, :k], dtype=np.float32)
        # unit rows, centred: the mean's share of every score is the same, so ranks are unchanged
        reduced = np.empty((len(rows), k), dtype=np.float32)
        step = 16384
        for lo in range(0, len(rows), step):
            block = rows[lo:lo + step] / safe[lo:lo + step, None]
            np.matmul(block - mean.astype(np.float32), basis, out=reduced[lo:lo + step])
        return cls(basis, reduced)

    def worthwhile(self, matrix: Any, universe: BitMap) -> bool:
        """Cheaper than an exact scan of the universe's rows: the reduced scan reads every row's
        ``k`` components, the exact one the universe's rows' ``dims``."""
        inside = universe.intersection_cardinality(matrix.with_vectors)
        return inside * matrix.dimensions > len(matrix.docids) * self.basis.shape[1]

    def nearest(self, matrix: Any, vector: np.ndarray, universe: BitMap, wanted: int
                ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        from .search import from_candidates
        inside = universe.intersection_cardinality(matrix.with_vectors)
        if not inside:
            return
        share = inside / max(len(matrix.docids), 1)
        q = np.asarray(vector, dtype=np.float32)
        scores = self.reduced @ (q @ self.basis)
        if inside < len(matrix.docids):
            scores[~matrix.universe_mask(universe)[matrix.owners]] = -np.inf
        count = int(min(len(scores), max(MIN_CANDIDATES, wanted * OVERSAMPLE / share)))
        rows = np.argpartition(scores, len(scores) - count)[len(scores) - count:] if count < len(scores) \
            else np.arange(len(scores))
        query_norm = np.float32(np.sqrt(squared_norms(q[None, :])[0]))
        degenerate = np.flatnonzero(matrix.norms * query_norm <= F32_EPSILON)
        if len(degenerate):
            rows = np.concatenate((rows, degenerate))
        yield from from_candidates(matrix, q, universe, rows.astype(np.int64), wanted)
