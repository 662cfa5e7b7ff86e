"""`attributeRank` and `wordPosition` (ranking.md §7.5, §7.6), and legacy `attribute` (both).

attributeRank: a term costs the weight of the best field it occurs in (weight = rank of the
field in `searchableAttributes`; all 0 with `["*"]`).  wordPosition: a term costs f(distance)
between its query position and the closest bucketed position where it occurs, with
f = 0, 1, 2 (2–4), 3 (5–7), 4 (8–11), 5 (12–16), 6 (17–24), 7 (25–64), 8 (65–256), 9 (257–1024), 10.
Both read the word x field and word x position-bucket bitmaps of the terms' derivations.
"""
from __future__ import annotations

import functools
from typing import Iterator

import numpy as np
from pyroaring import BitMap

from ...positions import position_bucket
from ...store.codecs import bitmap_from_sorted, bitmap_to_array, occurrences_of, picks_occurrences

from ...limits import PREFIX_CACHE_MAX_PREFIX_CHARS
from ..context import SearchContext
from ..terms import Node, Phrase, remember
from .base import (Partition, Rule, Score, State, buckets_by_cost, has_ngram_paths, kept_width, partition_by_best,
                   path_partition, sum_partitions, with_worst)
from .derivations import Sources, phrase_field_docids, phrase_occurrences, term_sources


def _prefix_cached(ctx: SearchContext, state: State, index: int, node: Node) -> bool:
    """A short prefix term reads the prefix x field postings instead of its derivations."""
    return node.is_prefix and 0 in state.classes(index) and len(node.word) <= PREFIX_CACHE_MAX_PREFIX_CHARS


def attribute_partition(ctx: SearchContext, universe: BitMap, state: State) -> tuple[Partition, int]:
    w_max = ctx.cache.max_weight
    terms = state.term_nodes()
    max_cost = w_max * kept_width(state)
    if w_max == 0:
        return {0: universe}, 0
    def node_partition(index: int, node: Node, docs: BitMap) -> Partition:
        cached = _prefix_cached(ctx, state, index, node)
        sources = term_sources(state, index, node, skip_prefix=cached)
        key = ("attributeRank", sources, cached, node.width)
        costed = node.memo.get(key)
        if costed is None:
            costed = remember(ctx, node, key, _weight_docids(ctx, node, sources, cached))
        return partition_by_best(docs, costed, w_max * node.width)

    if has_ngram_paths(state):
        paths, _dearest = path_partition(ctx, universe, state, lambda i, n, d: (node_partition(i, n, d), 0))
        return with_worst(universe, paths, max_cost), max_cost
    return sum_partitions(universe, [node_partition(index, node, universe) for index, node in terms]), max_cost


def _weight_docids(ctx: SearchContext, node: Node, derivations: Sources,
                   prefix_cached: bool) -> list[tuple[int, BitMap]]:
    """(cost, documents where the term occurs in a field of that weight), for every weight."""
    weights = ctx.cache.weights
    by_weight: dict[int, list[BitMap]] = {}
    sources = [ctx.slots(w, b"F") for w in derivations.words]
    sources.extend(phrase_field_docids(ctx, node, phrase) for phrase in derivations.phrases)
    if prefix_cached:
        sources.append(ctx.slots(node.word, b"Q"))
    for slots in sources:
        for fid, docs in slots.items():
            weight = weights.get(fid)
            if weight is not None:
                by_weight.setdefault(weight, []).append(docs)
    return [(w * node.width, BitMap.union(*bms)) for w, bms in by_weight.items()]


_LIMITS = np.array([0, 1, 4, 7, 11, 16, 24, 64, 256, 1024])


def position_costs(distances: np.ndarray) -> np.ndarray:
    """Vectorised f(distance) of §7.6: the index of the first limit >= distance (10 past 1024)."""
    return np.searchsorted(_LIMITS, distances, side="left")


# f(distance) for every distance a bucketed position can have (positions are < 65536), plus room
# for the `+ j` of multi-word terms.
_COST_OF_DISTANCE = position_costs(np.arange((1 << 16) + 16)).astype(np.uint8)
_ALL_BUCKETS = position_bucket(np.arange(1 << 16))


@functools.lru_cache(maxsize=64)
def _cost_table(start: int, width: int) -> np.ndarray:
    """position -> cost of a term of ``width`` words at query position ``start`` (one gather per occurrence)."""
    distance = np.abs(_ALL_BUCKETS - start)
    table = _COST_OF_DISTANCE[distance].astype(np.uint8)
    for j in range(1, width):
        table = table + _COST_OF_DISTANCE[distance + j]
    return table


# Picking a small bucket's occurrences costs two binary searches per word: past this many words
# (a short prefix has thousands) the per-document array, built once and remembered, is cheaper.
_PICK_MAX_WORDS = 64


def best_position_costs(ctx: SearchContext, node: Node, derivations: Sources, universe: BitMap,
                        ids: np.ndarray) -> np.ndarray:
    """Lowest position cost of a term for each document of ``ids`` (the universe, ascending).

    Documents where none of the derivations occurs get the worst cost, ``10 * width``.  The answer
    is a per-document array over the whole index, computed once from every occurrence of the words
    and remembered with the term (later buckets, later keystrokes).  A small universe facing many
    occurrences picks its documents' occurrences out by binary search instead.
    """
    start, width = node.start, node.width
    key = ("position", derivations, start, width)
    best = node.memo.get(key)
    if best is None:
        arrays, origins, total = _occurrence_arrays(ctx, node, derivations)
        if len(arrays) <= _PICK_MAX_WORDS and picks_occurrences(len(ids), total):
            picked = [occurrences_of(occ, ids) for occ, docs in zip(arrays, _origin_docids(ctx, node, origins))
                      if docs.intersect(universe)]
            return _best_costs(ctx, [a for a in picked if len(a)], start, width)[ids]
        best = remember(ctx, node, key, _best_costs(ctx, arrays, start, width), len(ctx.all_docids) + 1)
    return best[ids]


def _occurrence_arrays(ctx: SearchContext, node: Node,
                       derivations: Sources) -> tuple[list[np.ndarray], list[str | Phrase], int]:
    """The occurrences of each derivation that occurs at all (a phrase: of its first word where it
    matches), the derivation each comes from, and the occurrence count (remembered with the term:
    small buckets ask again and again)."""
    key = ("occurrences", derivations)
    known = node.memo.get(key)
    if known is None:
        arrays: list[np.ndarray] = []
        origins: list[str | Phrase] = []
        for word in derivations.words:
            occ = ctx.occurrences(word)
            if len(occ):
                arrays.append(occ)
                origins.append(word)
        for phrase in derivations.phrases:
            occ = phrase_occurrences(ctx, node, phrase, last=False)
            if len(occ):
                arrays.append(occ)
                origins.append(phrase)
        known = remember(ctx, node, key, (arrays, origins, sum(len(occ) for occ in arrays)))
    return known


def _origin_docids(ctx: SearchContext, node: Node, origins: list[str | Phrase]) -> list[BitMap]:
    """Each derivation's documents (a word: in any field), remembered with the term: every small
    bucket tests them."""
    key = ("origin docids", tuple(origins))
    known = node.memo.get(key)
    if known is None:
        known = remember(ctx, node, key, [ctx.word_docids_anywhere(o) if isinstance(o, str)
                                          else node.phrase_docids(ctx, o) for o in origins])
    return known


def _best_costs(ctx: SearchContext, arrays: list[np.ndarray], start: int, width: int) -> np.ndarray:
    """docid -> lowest cost over the given occurrences (worst where none)."""
    best = np.full(int(ctx.all_docids.max()) + 1, 10 * width, dtype=np.uint8)
    if arrays:
        occ = np.concatenate(arrays) if len(arrays) > 1 else arrays[0]
        np.minimum.at(best, occ >> 32, _cost_table(start, width)[occ & 0xFFFF])
    return best


def position_groups(ctx: SearchContext, universe: BitMap, state: State) -> tuple[Iterator[tuple[int, BitMap]], int]:
    """The universe grouped by wordPosition cost, cheapest first, and the highest cost.

    Without n-gram paths a document's cost is the sum of its terms' costs: summed as arrays and
    grouped lazily (the bucket walk often stops after the first group or two).  With n-grams each
    document takes its cheapest path (`path_partition`)."""
    terms = state.term_nodes()
    max_cost = 10 * kept_width(state)
    if not max_cost:
        return iter([(0, universe)]), 0
    if not has_ngram_paths(state):
        ids = bitmap_to_array(universe)
        costs = None
        for index, node in terms:
            term = best_position_costs(ctx, node, term_sources(state, index, node), universe, ids)
            costs = term if costs is None else costs + term.astype(np.int64)
        return _cost_groups(universe, ids, costs), max_cost

    def node_partition(index: int, node: Node, docs: BitMap) -> Partition:
        ids = bitmap_to_array(docs)
        costs = best_position_costs(ctx, node, term_sources(state, index, node), docs, ids)
        return dict(_cost_groups(docs, ids, costs))

    paths, _dearest = path_partition(ctx, universe, state, lambda i, n, d: (node_partition(i, n, d), 0))
    return buckets_by_cost(with_worst(universe, paths, max_cost)), max_cost


def _cost_groups(universe: BitMap, ids: np.ndarray, costs: np.ndarray) -> Iterator[tuple[int, BitMap]]:
    """Documents grouped by their (small, non-negative) cost, cheapest first, each group built only
    when asked for; a single group keeps the universe as is."""
    present = np.flatnonzero(np.bincount(costs)).tolist()
    if len(present) == 1:
        yield present[0], universe
        return
    for cost in present:
        yield cost, bitmap_from_sorted(ids[costs == cost])


class AttributeRankRule(Rule):
    name = "attributeRank"

    def buckets(self, ctx: SearchContext, universe: BitMap, state: State) -> Iterator[tuple[BitMap, Score, State]]:
        partition, c_max = attribute_partition(ctx, universe, state)
        for cost, docs in buckets_by_cost(partition):
            yield docs, Score("attributeRank", 1 + c_max - cost, 1 + c_max), state


class WordPositionRule(Rule):
    name = "wordPosition"

    def buckets(self, ctx: SearchContext, universe: BitMap, state: State) -> Iterator[tuple[BitMap, Score, State]]:
        groups, c_max = position_groups(ctx, universe, state)
        for cost, docs in groups:
            yield docs, Score("wordPosition", 1 + c_max - cost, 1 + c_max), state


class AttributeRule(Rule):
    """Legacy `attribute` = attributeRank then wordPosition, reported as one detail entry."""

    name = "attribute"
    replaced_by = frozenset({"attributeRank", "wordPosition"})

    def buckets(self, ctx: SearchContext, universe: BitMap, state: State) -> Iterator[tuple[BitMap, Score, State]]:
        partition, c_max = attribute_partition(ctx, universe, state)
        for cost, docs in buckets_by_cost(partition):
            outer = (1 + c_max - cost, 1 + c_max)
            inner_groups, inner_max = position_groups(ctx, docs, state)
            for inner_cost, inner_docs in inner_groups:
                inner = (1 + inner_max - inner_cost, 1 + inner_max)
                rank = max(outer[0] - 1, 0) * inner[1] + inner[0]
                max_rank = outer[1] * inner[1]
                details = (("attributeRankingOrderScore", outer[0] / outer[1]),
                           ("queryWordDistanceScore", inner[0] / inner[1]))
                yield inner_docs, Score("attribute", rank, max_rank, details), state
