"""`proximity`: query words close together, in order, first (ranking.md §7.4).

For two consecutive kept terms L, R at adjacent query positions, a document's cost is

    0  R right after L          1  R two after L, or R right before L
    2  R three after L, or R two before L          3  anything else (same field or not)

summed over the pairs.  Costs come from occurrence arrays (``docid<<32 | fid<<16 | pos``): a
shifted copy of R's occurrences is looked up in L's (binary search), so same field and exact
distance are checked at once, for all documents of the bucket together.
"""
from __future__ import annotations

from typing import Callable, Iterable, Iterator

import numpy as np
from pyroaring import BitMap

from ...store.codecs import (bitmap_from_sorted, bitmap_to_array, occurrences_of, picks_occurrences,
                             sorted_member, unique_sorted)
from ..context import SearchContext
from ..terms import Node, Phrase, remember
from .base import Rule, Score, State, buckets_by_cost, has_ngram_paths, path_partition
from .derivations import phrase_occurrences, term_sources


class _Universe:
    """A bucket's documents, as the occurrence filter each pair needs: a docid mask (built on
    first use) for a pass over all occurrences, or, for a few documents facing many
    occurrences, their docids for a binary search."""

    def __init__(self, ctx: SearchContext, universe: BitMap):
        self.ctx, self.universe = ctx, universe
        self._ids: np.ndarray | None = None
        self._mask: np.ndarray | None = None

    def occurrences(self, occ: np.ndarray) -> np.ndarray:
        if picks_occurrences(len(self.universe), len(occ)):
            if self._ids is None:
                self._ids = bitmap_to_array(self.universe)
            return occurrences_of(occ, self._ids)
        if self._mask is None:
            self._mask = self.ctx.doc_mask(self.universe)
        return occ[self._mask[occ >> 32]]


def _keys(ctx: SearchContext, node: Node, words: tuple[str, ...], within: "_Universe") -> np.ndarray:
    """Occurrences of any of the words inside the bucket (`within`), sorted.

    The sorted union of the words' occurrences is built once per term and remembered with it, so
    each bucket (and the next keystroke) costs one masked pass instead of one per word.
    """
    return within.occurrences(_merged(ctx, node, ("proximity", words), lambda: map(ctx.occurrences, words)))


def _phrase_keys(ctx: SearchContext, node: Node, phrases: tuple[Phrase, ...], last: bool,
                 within: "_Universe") -> np.ndarray:
    """Occurrences of the phrases' end words where the phrases match, inside the bucket, sorted."""
    merged = _merged(ctx, node, ("proximity phrases", phrases, last),
                     lambda: (phrase_occurrences(ctx, node, p, last) for p in phrases))
    return within.occurrences(merged)


def _merged(ctx: SearchContext, node: Node, key: tuple, arrays_of: Callable[[], Iterable[np.ndarray]]) -> np.ndarray:
    """The sorted union of some occurrence arrays, built once per term and remembered with it."""
    merged = node.memo.get(key)
    if merged is not None:
        return merged
    arrays = [a for a in arrays_of() if len(a)]
    if not arrays:
        merged = np.empty(0, dtype=np.int64)
    elif len(arrays) == 1:
        merged = arrays[0]
    else:
        merged = np.concatenate(arrays)
        merged.sort()
    return remember(ctx, node, key, merged, merged.nbytes if len(arrays) > 1 else 0)


Pair = tuple[np.ndarray, np.ndarray, bool]  # left keys, right keys, reversed order allowed


def pair_partition(universe: BitMap, pairs: list[Pair], by_attribute: bool) -> dict[int, BitMap]:
    """Each document of the universe at its cheapest cost over the given (left, right) pairs."""
    if by_attribute:
        close = BitMap()
        for left, right, _reversible in pairs:
            same = right[sorted_member(right >> 16, unique_sorted(left >> 16))]
            if len(same):
                close |= bitmap_from_sorted(unique_sorted(same >> 32))
        close &= universe
        return {0: close, 3: universe - close}
    costed = [(right >> 32, _pair_costs(left, right, reversible)) for left, right, reversible in pairs if len(right)]
    docs = np.concatenate([d for d, _c in costed]) if costed else np.empty(0, dtype=np.int64)
    costs = np.concatenate([c for _d, c in costed]) if costed else np.empty(0, dtype=np.int8)
    out: dict[int, BitMap] = {}
    placed = BitMap()
    for cost in (0, 1, 2):
        sel = docs[costs == cost]
        if len(sel):
            bm = bitmap_from_sorted(unique_sorted(sel)) - placed
            if bm:
                out[cost] = bm
                placed |= bm
    rest = universe - placed
    if rest:
        out[3] = rest
    return out


# Cost of a right occurrence by its key distance to the closest left occurrence before it
# (1, 2, 3 -> 0, 1, 2) and after it (1, 2 -> 1, 2); anything else costs 3.
_BEFORE_COST = np.array([3, 0, 1, 2], dtype=np.int8)
_AFTER_COST = np.array([3, 1, 2], dtype=np.int8)


def _pair_costs(left: np.ndarray, right: np.ndarray, reversible: bool) -> np.ndarray:
    """Each right occurrence's cost against the sorted left occurrences.

    Keys are ``docid<<32 | fid<<16 | pos``, so a key distance of 1-3 is a position distance in
    the same document and field, unless it reaches over a field's last position (65535). Costs only grow with the distance on either side, so the
    closest left key before (and, when reversible, after) each right key decides: two binary
    searches instead of one per distance."""
    if not len(left):
        return np.full(len(right), 3, dtype=np.int8)
    at = np.searchsorted(left, right, side="left")  # left[at - 1] < right <= left[at]
    positions = right & 0xFFFF
    before = right - left[np.maximum(at - 1, 0)]
    # a key distance reaching back past position 0 crosses into the previous field
    before[(at == 0) | (before > 3) | (before > positions)] = 0
    costs = _BEFORE_COST[before]
    if reversible:
        after_at = np.searchsorted(left, right, side="right")  # first left key > right
        after = left[np.minimum(after_at, len(left) - 1)] - right
        after[(after_at == len(left)) | (after > 2) | (after < 0) | (positions + after > 0xFFFF)] = 0
        np.minimum(costs, _AFTER_COST[after], out=costs)
    return costs


def _pairs(ctx: SearchContext, state: State, left: tuple[int, Node], right: tuple[int, Node],
           within: "_Universe") -> list[Pair]:
    """The (left, right) occurrence pairs to cost: word against word, reversed order allowed
    unless a side is a phrase term; anything against a phrase derivation, in order only
    (ranking.md §7.4: "When either side is a phrase the reversed-order alternatives do not apply")."""
    (li, lnode), (ri, rnode) = left, right
    lsrc = term_sources(state, li, lnode, last=True)
    rsrc = term_sources(state, ri, rnode, last=False)
    lwords, rwords = _keys(ctx, lnode, lsrc.words, within), _keys(ctx, rnode, rsrc.words, within)
    pairs: list[Pair] = [(lwords, rwords, not (lnode.is_phrase or rnode.is_phrase))]
    if lsrc.phrases or rsrc.phrases:
        lphrases = _phrase_keys(ctx, lnode, lsrc.phrases, True, within)
        rphrases = _phrase_keys(ctx, rnode, rsrc.phrases, False, within)
        pairs.append((lphrases, rwords, False))
        pairs.append((np.sort(np.concatenate((lwords, lphrases))), rphrases, False))  # duplicates are harmless
    return pairs


class ProximityRule(Rule):
    """Cost of a document = its cheapest path through the query graph (ranking.md §7.4).

    A path covers the kept terms in order with single-term nodes or n-grams.  Entering a node
    costs ``g`` = (terms it joins − 1); between two nodes at adjacent query positions the pair
    table adds 0–3.  Per document the costs of every path it matches are minimised, node by
    node, as cost partitions (no per-document loop).
    """

    name = "proximity"

    def buckets(self, ctx: SearchContext, universe: BitMap, state: State) -> Iterator[tuple[BitMap, Score, State]]:
        if len(state.kept) <= 1 and not has_ngram_paths(state):
            # one term (or none): no pair to cost, every document is at cost 0 of a max rank 1
            yield universe, Score("proximity", 1, 1), state
            return
        by_attribute = ctx.settings.get("proximityPrecision") == "byAttribute"
        within = _Universe(ctx, universe)

        def enter(index: int, node: Node, docs: BitMap) -> tuple[dict[int, BitMap], int]:
            g = node.width - 1
            return {g: docs}, g

        def step(left: tuple[int, Node], right: tuple[int, Node], docs: BitMap) -> tuple[dict[int, BitMap], int]:
            (li, lnode), (ri, rnode) = left, right
            if lnode.end + 1 != rnode.start:
                return {0: docs}, 0  # a removed word, a dropped stop word or a hard separator between
            return pair_partition(docs, _pairs(ctx, state, (li, lnode), (ri, rnode), within), by_attribute), 3

        total, c_max = path_partition(ctx, universe, state, enter, step)
        placed = BitMap.union(*total.values()) if total else BitMap()
        rest = universe - placed
        if rest:
            total[c_max] = total[c_max] | rest if c_max in total else rest
        max_rank = 1 + c_max
        for cost, docs in buckets_by_cost(total):
            yield docs, Score("proximity", max_rank - cost, max_rank), state


__all__ = ["ProximityRule", "Phrase", "Node"]
