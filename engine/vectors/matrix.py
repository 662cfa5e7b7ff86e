"""One embedder's stored embeddings as arrays, built once per index version and shared by readers.

    rows    float32 (n_embeddings, dims)   every embedding, documents in docid order
    owners  uint32  (n_embeddings,)        the docid each row belongs to
    docids  uint32  (n_documents,)         documents with at least one embedding, ascending
    starts  int64   (n_documents,)         first row of each of them (rows of a document are contiguous)
    user_provided  BitMap                  documents whose embeddings (possibly none) were given by the
                                           document, not generated: what `_vectors.<e>.userProvided` reads
    must_regenerate BitMap                 documents whose embeddings the embedder may replace
                                           (`regenerate: true`): what `_vectors.<e>.regenerate` reads

`projection` is the reduced first pass of a large matrix (projection.py), or None.
`distances(q, universe)` is the exact search: the best (smallest) distance of each document of the
universe that has an embedding, computed with numpy over the whole matrix, never a Python loop over
documents.  Readers find the matrix in a process-wide cache keyed by the index version (bumped by
every batch), like `search.context.index_cache`.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from pyroaring import BitMap

from ..store import Store
from .projection import Projection, worth_projecting
from .similarity import cosine_distances, hamming_distances, norms, pack_bits
from .store import REGENERATE, USER_PROVIDED, VectorTable


class EmbedderMatrix:
    def __init__(self, rows: np.ndarray, owners: np.ndarray, quantized: bool, dimensions: int,
                 user_provided: BitMap | None = None, must_regenerate: BitMap | None = None, project: bool = True):
        self.rows, self.owners, self.quantized, self.dimensions = rows, owners, quantized, dimensions
        self.user_provided = user_provided if user_provided is not None else BitMap()
        self.must_regenerate = must_regenerate if must_regenerate is not None else BitMap()
        if len(owners):
            boundaries = np.flatnonzero(np.diff(owners)) + 1
            self.starts = np.concatenate(([0], boundaries)).astype(np.int64)
            self.docids = owners[self.starts]
        else:
            self.starts = np.zeros(0, dtype=np.int64)
            self.docids = np.zeros(0, dtype=np.uint32)
        self.with_vectors = BitMap(self.docids.tolist())
        self.norms = norms(rows) if len(rows) and not quantized else np.zeros(len(rows), np.float32)
        self.packed = pack_bits(rows) if quantized and len(rows) else None
        # the reduced first pass of large matrices (projection.py); built here, by the warm-up
        self.projection = Projection.build(rows, self.norms) if project and worth_projecting(rows, quantized) else None
        self.ann: Any = None  # an `ann.AnnIndex` matched with these rows, when a forest is built
        self.ann_stamp: int | None = None  # the forests directory's stamp when `ann` was attached

    @classmethod
    def load(cls, store: Store, txn: Any, iid: int, name: str, dimensions: int, quantized: bool,
             project: bool = True) -> "EmbedderMatrix":
        """The embedder's stored embeddings; ``project=False`` skips the projection (a forest
        build reads the rows only)."""
        stored = VectorTable(store, txn, iid).read_all(name, dimensions)
        rows = stored.rows if len(stored.rows) else np.zeros((0, dimensions), dtype=np.float32)
        owners = np.repeat(stored.docids, stored.counts)
        given = BitMap(stored.docids[(stored.flags & USER_PROVIDED) != 0].tolist())
        regenerated = BitMap(stored.docids[(stored.flags & REGENERATE) != 0].tolist())
        return cls(np.ascontiguousarray(rows, dtype=np.float32), owners, quantized, dimensions, given, regenerated,
                   project=project)

    def universe_mask(self, universe: BitMap) -> np.ndarray:
        """A boolean array indexed by docid (up to the largest owner): membership in ``universe``."""
        size = int(self.docids[-1]) + 1 if len(self.docids) else 1
        mask = np.zeros(size, dtype=bool)
        ids = np.frombuffer(universe.to_array(), dtype=np.uint32) if universe else np.zeros(0, np.uint32)
        mask[ids[ids < size]] = True
        return mask

    def rows_of(self, docids: np.ndarray) -> np.ndarray:
        """The rows of every embedding of ``docids`` (documents with one, ascending), ascending."""
        at = np.searchsorted(self.docids, docids)
        starts = self.starts[at]
        ends = np.append(self.starts, len(self.owners))[at + 1]
        counts = ends - starts
        if len(counts) and counts.max(initial=0) == 1:
            return starts
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        return np.repeat(starts, counts) + offsets

    def row_ranks(self) -> np.ndarray:
        """Each row's position among its document's embeddings (0 for the first)."""
        if not len(self.owners):
            return np.zeros(0, dtype=np.int64)
        counts = np.diff(np.concatenate((self.starts, [len(self.owners)])))
        return np.arange(len(self.owners)) - np.repeat(self.starts, counts)

    def row_distances(self, q: np.ndarray, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Distances of ``q`` to the given rows (indexes or a slice), float32."""
        if self.quantized:
            return hamming_distances(q, self.packed[rows])
        return cosine_distances(q, self.rows[rows], self.norms[rows])

    def distances(self, q: np.ndarray, universe: BitMap | None) -> tuple[np.ndarray, np.ndarray]:
        """(docids, best distance) of the universe's documents with an embedding, by docid."""
        if not len(self.docids):
            return self.docids, np.zeros(0, dtype=np.float32)
        if universe is None:
            mask_rows = slice(None)
            owners = self.owners
        else:
            mask_rows = np.flatnonzero(self.universe_mask(universe)[self.owners])
            owners = self.owners[mask_rows]
            if not len(owners):
                return owners, np.zeros(0, dtype=np.float32)
        distance = self.row_distances(q, mask_rows)
        return best_per_document(owners, distance)


def best_per_document(owners: np.ndarray, distance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows grouped by owner (contiguous, ascending) -> each owner's smallest distance."""
    if not len(owners):
        return owners, distance
    boundaries = np.flatnonzero(np.diff(owners)) + 1
    starts = np.concatenate(([0], boundaries))
    if len(starts) == len(owners):
        return owners, distance
    return owners[starts], np.minimum.reduceat(distance, starts)


