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

from ..context import SearchContext
from ..terms import Node
from .base import Partition, Rule, Score, State, add_partitions, buckets_by_cost, partition_by_best

MAX_WORDS = 200


def term_words(ctx: SearchContext, state: State, index: int, node: Node, universe: BitMap) -> list[str]:
    """First real word of every allowed derivation of a term (capped, most frequent first)."""
    words: list[str] = []
    for cls in state.classes(index):
        for phrase in node.class_words(cls):
            real = [w for w in phrase if w]
            if real:
                words.append(real[0])
    words = list(dict.fromkeys(words))
    if len(words) > MAX_WORDS:
        words.sort(key=lambda w: -ctx.word_docids(w).intersection_cardinality(universe))
        words = words[:MAX_WORDS]
    return words


def position_cost(distance: int) -> int:
    for limit, cost in ((0, 0), (1, 1), (4, 2), (7, 3), (11, 4), (16, 5), (24, 6), (64, 7), (256, 8), (1024, 9)):
        if distance <= limit:
            return cost
    return 10


def attribute_partition(ctx: SearchContext, universe: BitMap, state: State) -> tuple[Partition, int]:
    weights, w_max = ctx.cache.weights, ctx.cache.max_weight
    terms = state.term_nodes()
    max_cost = sum(w_max * n.n_words for _i, n in terms)
    total: Partition = {0: universe}
    if w_max == 0:
        return total, 0
    for index, node in terms:
        by_weight: dict[int, list[BitMap]] = {}
        for word in term_words(ctx, state, index, node, universe):
            for fid, docs in ctx.slots(word, b"F").items():
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
                distance = abs(bucket - node.start)
                cost = sum(position_cost(distance + j) for j in range(node.n_words))
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
