"""`words`: documents matching more of the query first (ranking.md §4, §7.2).

Terms are dropped in removal groups (matchingStrategy): with `last`, from the end of the query.
Bucket k holds the documents that match the query with the first k groups removed but not with
fewer.  A removed term index is simply skipped by the path; an n-gram may only be taken when all
the terms it joins are kept.

    q = "badman dark knight"     groups (last): {2}, {1}        -> buckets 3/3, 2/3, 1/3
"""
from __future__ import annotations

from typing import Iterator

from pyroaring import BitMap

from ..context import SearchContext
from ..terms import Node
from .base import Rule, RulePlan, Score, State


def matching(ctx: SearchContext, universe: BitMap, nodes: tuple[Node, ...], n_terms: int,
             kept: frozenset[int], classes: tuple[int, ...] = (0, 1, 2)) -> BitMap:
    """Documents of the universe matching every kept term (through single nodes or n-grams)."""
    reach: list[BitMap | None] = [None] * (n_terms + 1)
    reach[0] = universe
    by_last: dict[int, list[Node]] = {}
    for node in nodes:
        by_last.setdefault(node.last, []).append(node)
    for j in range(n_terms):
        parts = [reach[j]] if j not in kept else []
        for node in by_last.get(j, []):
            if node.rep not in kept:
                continue
            start = reach[node.first]
            if start:
                parts.append(start & node.any_docids(ctx, classes))
        reach[j + 1] = BitMap.union(*parts) if parts else BitMap()
    return reach[n_terms] or BitMap()


def removal_groups(ctx: SearchContext, nodes: tuple[Node, ...], n_terms: int, strategy: str) -> list[list[int]]:
    """Term indexes in removal order, grouped; the last group is never removed without phrases.

    Also sets each node's `rep`: the term index it is removed with (an n-gram goes with the one
    of its words removed last — its first word with `last`).
    """
    phrases = {n.first for n in nodes if n.ngram == 1 and n.is_phrase}
    removable = [i for i in range(n_terms) if i not in phrases]
    if strategy == "all" or n_terms <= 1:
        return []
    if strategy == "last":
        groups = [[i] for i in reversed(removable)]
    else:
        counts = {}
        for i in removable:
            covering = [n for n in nodes if n.first <= i <= n.last]
            bm = BitMap.union(*(n.any_docids(ctx) for n in covering)) if covering else BitMap()
            counts[i] = len(bm) if bm else float("inf")
        by_count: dict[float, list[int]] = {}
        for i, c in counts.items():
            by_count.setdefault(c, []).append(i)
        groups = [sorted(by_count[c]) for c in sorted(by_count, reverse=True)]
    step = {i: k for k, group in enumerate(groups) for i in group}
    for node in nodes:
        node.rep = max(range(node.first, node.last + 1), key=lambda i: (step.get(i, len(groups)), -i))
    if not phrases and groups:
        groups = groups[:-1]
    return groups


class WordsRule(Rule):
    name = "words"

    def __init__(self, strategy: str, n_terms: int):
        self.strategy, self.n_terms = strategy, n_terms

    @classmethod
    def build(cls, plan: RulePlan) -> list[Rule]:
        return [cls(plan.matching_strategy, plan.n_terms)]

    def buckets(self, ctx: SearchContext, universe: BitMap, state: State) -> Iterator[tuple[BitMap, Score, State]]:
        groups = removal_groups(ctx, state.nodes, self.n_terms, self.strategy)
        phrase_words = sum(len([w for w in n.words]) for n in state.nodes if n.is_phrase and n.ngram == 1)
        max_rank = 1 + sum(len(g) for g in groups) + max(0, phrase_words - 1)
        kept = set(state.kept)
        removed = 0
        remaining = BitMap(universe)
        for step in range(len(groups) + 1):
            if step:
                group = groups[step - 1]
                kept -= set(group)
                removed += len(group)
            if not remaining:
                return
            docs = matching(ctx, remaining, state.nodes, self.n_terms, frozenset(kept))
            if docs:
                remaining -= docs
                rank = max_rank - removed
                score = Score("words", rank, max_rank, (("matchingWords", rank), ("maxMatchingWords", max_rank)))
                yield docs, score, state.with_kept(frozenset(kept)).pruned(ctx, docs)
