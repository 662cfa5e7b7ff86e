"""`exactness` = exact-attribute then exact-words (ranking.md §7.7).

exact-attribute: a field that *is* the query (same words from its start, same word count) beats
a field that starts with the query, which beats the rest.  exact-words: each term found as
typed (no typo, no prefix extension) scores.  The rule reports one detail entry.
"""
from __future__ import annotations

from typing import Iterator

from pyroaring import BitMap


from ...indexer.words import bucket_of, position_bucket
from ...store.codecs import bitmap_from_sorted, unique_sorted
from ..context import SearchContext
from ..terms import Node, phrase_docids, remember
from .base import Partition, Rule, Score, State, buckets_by_cost, sum_partitions


def exact_attribute(ctx: SearchContext, universe: BitMap, state: State) -> tuple[BitMap, BitMap]:
    """(exactMatch docs, matchesStart docs) within the universe."""
    terms = state.term_nodes()
    if not terms or terms[0][1].first != 0 or any(
            terms[k + 1][1].first != terms[k][1].first + 1 for k in range(len(terms) - 1)):
        return BitMap(), BitMap()
    words_at: list[tuple[Node, str, int]] = []
    for _i, node in terms:
        for k, word in enumerate(node.words):
            if word:
                words_at.append((node, word, node.start + k))
    if not words_at:
        return BitMap(), BitMap()
    candidates = BitMap(universe)
    for node, word, position in words_at:
        candidates &= _docids_at(ctx, node, word, position)
        if not candidates:
            return BitMap(), BitMap()
    covered = sum(node.end - node.start + 1 for _i, node in terms)
    in_field = BitMap()
    exact = BitMap()
    for fid in ctx.cache.weights:
        docs = BitMap(candidates)
        for _node, word, _p in words_at:
            docs &= ctx.slot_docids(word, b"F", fid)
            if not docs:
                break
        if docs:
            in_field |= docs
            exact |= docs & ctx.count_docids(fid, covered)
    return exact, in_field - exact


def _docids_at(ctx: SearchContext, node: Node, word: str, position: int) -> BitMap:
    """Documents where ``word`` sits at the bucketed ``position`` of some field (remembered per term)."""
    key = ("at", word, position)
    docs = node.memo.get(key)
    if docs is None:
        occ = ctx.occurrences(word)
        at = occ[position_bucket(occ & 0xFFFF) == bucket_of(position)]
        docs = remember(ctx, node, key, bitmap_from_sorted(unique_sorted(at >> 32)) if len(at) else BitMap())
    return docs


def exact_words_partition(ctx: SearchContext, universe: BitMap, state: State) -> tuple[Partition, int]:
    terms = state.term_nodes()
    parts: list[Partition] = []
    for _i, node in terms:
        docs = phrase_docids(ctx, node.words) if node.is_phrase else ctx.word_docids(node.word)
        exact = universe & docs
        part = {0: exact, node.n_words: universe - exact}
        parts.append({c: d for c, d in part.items() if d})
    return sum_partitions(universe, parts), sum(node.n_words for _i, node in terms)


class ExactnessRule(Rule):
    def buckets(self, ctx: SearchContext, universe: BitMap, state: State) -> Iterator[tuple[BitMap, Score, State]]:
        exact, start = exact_attribute(ctx, universe, state)
        if exact:
            yield exact, Score("exactness", 3, 3, (("matchType", "exactMatch"),)), state
        if start:
            yield start, Score("exactness", 2, 3, (("matchType", "matchesStart"),)), state
        rest = universe - exact - start
        if not rest:
            return
        partition, n = exact_words_partition(ctx, rest, state)
        for cost, docs in buckets_by_cost(partition):
            rank = n + 1 - cost
            # fold of exact-attribute (1, 3) with exact-words (rank, n + 1)
            yield docs, Score("exactness", rank, 3 * (n + 1),
                              (("matchType", "noExactMatch"), ("matchingWords", rank - 1),
                               ("maxMatchingWords", n))), state
