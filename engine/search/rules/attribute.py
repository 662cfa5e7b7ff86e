"""`attributeRank` and `wordPosition` (ranking.md §7.5, §7.6), and legacy `attribute` (both).

attributeRank: a term costs the weight of the best field it occurs in (weight = rank of the
field in `searchableAttributes`; all 0 with `["*"]`).  wordPosition: a term costs f(distance)
between its query position and the closest bucketed position where it occurs, with
f = 0, 1, 2 (2–4), 3 (5–7), 4 (8–11), 5 (12–16), 6 (17–24), 7 (25–64), 8 (65–256), 9 (257–1024), 10.
Both read the word x field and word x position-bucket bitmaps of the terms' derivations.
"""
from __future__ import annotations

from typing import Iterator

from pyroaring import BitMap

from ...limits import PREFIX_CACHE_MAX_PREFIX_CHARS
from ..context import SearchContext
from ..terms import Node
from .base import Partition, Rule, Score, State, add_partitions, buckets_by_cost, partition_by_best

MAX_WORDS = 64  # derivations read per term; long prefix lists keep the word and its shortest extensions


def term_words(ctx: SearchContext, state: State, index: int, node: Node, universe: BitMap,
               skip_prefix: bool = False) -> list[str]:
    """First real word of every allowed derivation of a term, capped per typo class."""
    words: list[str] = []
    for cls in state.classes(index):
        class_words = node.class_words(cls)
        if skip_prefix and cls == 0:
            class_words = class_words[:1] + class_words[1 + len(node.prefix_words):]  # word, synonyms
        for phrase in class_words[:MAX_WORDS]:
            real = [w for w in phrase if w]
            if real:
                words.append(real[0])
    return list(dict.fromkeys(words))


def _prefix_cached(ctx: SearchContext, state: State, index: int, node: Node) -> bool:
    """A short prefix term reads the prefix x field postings instead of its derivations."""
    return node.is_prefix and 0 in state.classes(index) and len(node.word) <= PREFIX_CACHE_MAX_PREFIX_CHARS


def position_cost(distance: int) -> int:
    for limit, cost in ((0, 0), (1, 1), (4, 2), (7, 3), (11, 4), (16, 5), (24, 6), (64, 7), (256, 8), (1024, 9)):
        if distance <= limit:
            return cost
    return 10


_NODE_COSTS: dict[tuple[int, int], int] = {}


def node_position_cost(distance: int, n_words: int) -> int:
    key = (distance, n_words)
    cost = _NODE_COSTS.get(key)
    if cost is None:
        cost = _NODE_COSTS[key] = sum(position_cost(distance + j) for j in range(n_words))
    return cost


def attribute_partition(ctx: SearchContext, universe: BitMap, state: State) -> tuple[Partition, int]:
    weights, w_max = ctx.cache.weights, ctx.cache.max_weight
    terms = state.term_nodes()
    max_cost = sum(w_max * n.n_words for _i, n in terms)
    total: Partition = {0: universe}
    if w_max == 0:
        return total, 0
    for index, node in terms:
        by_weight: dict[int, list[BitMap]] = {}
        cached = _prefix_cached(ctx, state, index, node)
        sources = [ctx.slots(w, b"F") for w in term_words(ctx, state, index, node, universe, skip_prefix=cached)]
        if cached:
            sources.append(ctx.slots(node.word, b"Q"))
        for slots in sources:
            for fid, docs in slots.items():
                weight = weights.get(fid)
                if weight is not None:
                    by_weight.setdefault(weight, []).append(docs)
        costed = [(w * node.n_words, BitMap.union(*bms)) for w, bms in by_weight.items()]
        total = add_partitions(total, partition_by_best(universe, costed, w_max * node.n_words))
    return total, max_cost


def position_partition(ctx: SearchContext, universe: BitMap, state: State) -> tuple[Partition, int]:
    terms = state.term_nodes()
    max_cost = sum(10 * n.n_words for _i, n in terms)
    total: Partition = {0: universe}
    for index, node in terms:
        by_cost: dict[int, list[BitMap]] = {}
        for word in term_words(ctx, state, index, node, universe):
            for bucket, docs in ctx.slots(word, b"B").items():
                cost = node_position_cost(abs(bucket - node.start), node.n_words)
                by_cost.setdefault(cost, []).append(docs)
        costed = [(c, BitMap.union(*bms)) for c, bms in by_cost.items()]
        total = add_partitions(total, partition_by_best(universe, costed, 10 * node.n_words))
    return total, max_cost


class AttributeRankRule(Rule):
    def buckets(self, ctx: SearchContext, universe: BitMap, state: State) -> Iterator[tuple[BitMap, Score, State]]:
        partition, c_max = attribute_partition(ctx, universe, state)
        for cost, docs in buckets_by_cost(partition):
            yield docs, Score("attributeRank", 1 + c_max - cost, 1 + c_max), state


class WordPositionRule(Rule):
    def buckets(self, ctx: SearchContext, universe: BitMap, state: State) -> Iterator[tuple[BitMap, Score, State]]:
        partition, c_max = position_partition(ctx, universe, state)
        for cost, docs in buckets_by_cost(partition):
            yield docs, Score("wordPosition", 1 + c_max - cost, 1 + c_max), state


class AttributeRule(Rule):
    """Legacy `attribute` = attributeRank then wordPosition, reported as one detail entry."""

    def buckets(self, ctx: SearchContext, universe: BitMap, state: State) -> Iterator[tuple[BitMap, Score, State]]:
        partition, c_max = attribute_partition(ctx, universe, state)
        for cost, docs in buckets_by_cost(partition):
            outer = (1 + c_max - cost, 1 + c_max)
            inner_partition, inner_max = position_partition(ctx, docs, state)
            for inner_cost, inner_docs in buckets_by_cost(inner_partition):
                inner = (1 + inner_max - inner_cost, 1 + inner_max)
                rank = max(outer[0] - 1, 0) * inner[1] + inner[0]
                max_rank = outer[1] * inner[1]
                details = (("attributeRankingOrderScore", outer[0] / outer[1]),
                           ("queryWordDistanceScore", inner[0] / inner[1]))
                yield inner_docs, Score("attribute", rank, max_rank, details), state
