"""k-NN inside a universe: the plan by the universe's size (design.md "Vectors").

`nearest` yields chunks of (docids, distances), each chunk's distances all at least the previous
chunk's (within a chunk, unordered): the vector rule sorts a chunk into buckets and asks for the
next only when the search needs more documents.

* exact: distances of every document of the universe with numpy (small universes, or no ANN index);
  the nearest `wanted` (with their ties) first, the rest after;
* projected: a first pass over the rows reduced to their principal components
  (`engine.vectors.projection`) picks candidates, re-scored exactly (large matrices);
* ANN: annoy's candidates for the whole index, oversampled, post-filtered by the universe, re-scored
  exactly; rows written since the annoy build scored exactly too.

Both approximate plans end in `from_candidates`: once the candidates run out the remaining documents
come exactly, so nothing of the universe is ever lost.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
from pyroaring import BitMap

#: Below this many documents in the universe, exact scoring is cheaper than any index.
EXACT_BELOW = 2000
FIRST_CHUNK_MIN = 64


def nearest(matrix, vector: np.ndarray, universe: BitMap, wanted: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    from .ann import ann_worthwhile
    ann = getattr(matrix, "ann", None)
    if ann is not None and len(universe) >= EXACT_BELOW and ann_worthwhile(matrix.rows.size):
        yield from ann.nearest(matrix, vector, universe, wanted)
        return
    projection = getattr(matrix, "projection", None)
    if projection is not None and len(universe) >= EXACT_BELOW and projection.worthwhile(matrix, universe):
        yield from projection.nearest(matrix, vector, universe, wanted)
        return
    everything = len(universe) >= len(matrix.with_vectors) and matrix.with_vectors.issubset(universe) \
        if len(universe) >= len(matrix.with_vectors) else False
    docids, distances = matrix.distances(vector, None if everything else universe)
    yield from by_chunks(docids, distances, wanted)


def by_chunks(docids: np.ndarray, distances: np.ndarray, wanted: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The ``wanted`` nearest (with every tie of the last) first, then the rest."""
    n = len(docids)
    k = max(FIRST_CHUNK_MIN, 2 * wanted)
    if n <= k:
        yield docids, distances
        return
    kth = np.partition(distances, k - 1)[k - 1]
    first = distances <= kth
    yield docids[first], distances[first]
    rest = ~first
    yield docids[rest], distances[rest]


def from_candidates(matrix, vector: np.ndarray, universe: BitMap, rows: np.ndarray, wanted: int
                    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Chunks from candidate ``rows`` of an approximate plan: the candidates' documents scored
    exactly over every embedding they have (the nearest ``wanted`` with their ties first, then the
    other candidates), then every other document of the universe exactly, if the search asks."""
    from .matrix import best_per_document
    docids = np.unique(matrix.owners[rows])
    if universe.intersection_cardinality(matrix.with_vectors) < len(matrix.docids):
        docids = docids[matrix.universe_mask(universe)[docids]]
    seen = BitMap()
    if len(docids):
        rows = matrix.rows_of(docids)
        docids, distances = best_per_document(matrix.owners[rows], matrix.row_distances(vector, rows))
        seen = BitMap(docids.tolist())
        first = min(len(docids), max(wanted, 1))
        kth = np.partition(distances, first - 1)[first - 1]
        near = distances <= kth
        yield docids[near], distances[near]
        if not near.all():
            yield docids[~near], distances[~near]
    rest = universe - seen
    if rest and rest.intersection_cardinality(matrix.with_vectors):
        docids, distances = matrix.distances(vector, rest)
        yield from by_chunks(docids, distances, wanted)
