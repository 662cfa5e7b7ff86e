"""`exactness` = exact-attribute then exact-words (ranking.md §7.7).

exact-attribute: a field that *is* the query (same words from its start, same word count) beats
a field that starts with the query, which beats the rest.  exact-words: each term found as
typed (no typo, no prefix extension) scores.  The rule reports one detail entry.
"""
from __future__ import annotations

from typing import Iterator

from pyroaring import BitMap


from ...positions import bucket_of, position_bucket
from ...store.codecs import bitmap_from_sorted, unique_sorted
from ..context import SearchContext
from ..terms import Node, remember
from .base import (Partition, Rule, Score, State, buckets_by_cost, has_ngram_paths, kept_width, path_partition,
                   sum_partitions, with_worst)


def exact_terms(ctx: SearchContext, state: State) -> list[tuple[int, Node]]:
    """The terms whose original word (or phrase) can still match with no typo, in query order.

    A word that is not in the index has no exact term (ranking.md §7.7, step 1): the prefix
    ``wor`` of ``hello wor`` or a misspelt ``badman`` leave a hole, and exact-attribute then
    judges the documents on the terms before it.  So does a word the parent typo bucket only
    matched through typos (its exact class is no longer allowed)."""
    return [(i, node) for i, node in state.term_nodes()
            if 0 in state.classes(i) and (node.is_phrase or ctx.word_docids(node.word))]


def exact_attribute(ctx: SearchContext, universe: BitMap, state: State) -> tuple[BitMap, BitMap]:
    """(exactMatch docs, matchesStart docs) within the universe."""
    terms = exact_terms(ctx, state)
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
    """Per document, the terms not found as typed, weighted by the term indexes they cover.

    A word or a phrase costs 0 where the document has it exactly and its width otherwise; an
    n-gram is never exact and always costs its width.  With n-gram paths a document takes its
    cheapest path."""
    def node_partition(node: Node, docs: BitMap) -> Partition:
        if node.ngram > 1:
            return {node.width: docs}
        exact = docs & (node.docids(ctx, 0) if node.is_phrase else ctx.word_docids(node.word))
        part = {0: exact, node.width: docs - exact}
        return {c: d for c, d in part.items() if d}

    n = kept_width(state)
    if has_ngram_paths(state):
        paths, _dearest = path_partition(ctx, universe, state, lambda _i, node, docs: (node_partition(node, docs), 0))
        return with_worst(universe, paths, n), n
    return sum_partitions(universe, [node_partition(node, universe) for _i, node in state.term_nodes()]), n


class ExactnessRule(Rule):
    """exact-attribute, then exact-words inside each of its buckets (two rules upstream).  Both
    ranks fold into `_rankingScore`; the details show one entry, whose score for exactMatch and
    matchesStart is exact-attribute's own (1.0, 0.6666666666666666)."""

    name = "exactness"

    def buckets(self, ctx: SearchContext, universe: BitMap, state: State) -> Iterator[tuple[BitMap, Score, State]]:
        exact, start = exact_attribute(ctx, universe, state)
        rest = universe - exact - start
        for outer, docs, match_type in ((3, exact, "exactMatch"), (2, start, "matchesStart"), (1, rest, "noExactMatch")):
            if not docs:
                continue
            partition, n = exact_words_partition(ctx, docs, state)
            for cost, bucket in buckets_by_cost(partition):
                rank = n + 1 - cost
                # fold of exact-attribute (outer, 3) with exact-words (rank, n + 1)
                folded = (outer - 1) * (n + 1) + rank
                if outer > 1:
                    yield bucket, Score("exactness", folded, 3 * (n + 1), (("matchType", match_type),),
                                        shown=outer / 3), state
                else:
                    yield bucket, Score("exactness", folded, 3 * (n + 1),
                                        (("matchType", match_type), ("matchingWords", rank - 1),
                                         ("maxMatchingWords", n))), state
