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


def reach(ctx: SearchContext, universe: BitMap, nodes: tuple[Node, ...], n_terms: int,
          kept: frozenset[int], classes: tuple[int, ...] = (0, 1, 2), *, backward: bool = False) -> list[BitMap]:
    """``reach[j]``: documents of the universe with a path from the start to term boundary j
    (backward: from boundary j to the end).  A removed term is crossed for free; a node whose
    `rep` is kept may be taken, even when it joins removed terms too."""
    out: list[BitMap] = [BitMap() for _ in range(n_terms + 1)]
    out[n_terms if backward else 0] = universe
    by_end: dict[int, list[Node]] = {}
    for node in nodes:
        if node.rep in kept:
            by_end.setdefault(node.first if backward else node.last, []).append(node)
    for j in (range(n_terms - 1, -1, -1) if backward else range(n_terms)):
        parts = [out[j + 1] if backward else out[j]] if j not in kept else []
        for node in by_end.get(j, []):
            start = out[node.last + 1] if backward else out[node.first]
            if start:
                parts.append(start & node.any_docids(ctx, classes))
        out[j if backward else j + 1] = BitMap.union(*parts) if parts else BitMap()
    return out


def matching(ctx: SearchContext, universe: BitMap, nodes: tuple[Node, ...], n_terms: int,
             kept: frozenset[int], classes: tuple[int, ...] = (0, 1, 2)) -> BitMap:
    """Documents of the universe matching every kept term (through single nodes or n-grams)."""
    return reach(ctx, universe, nodes, n_terms, kept, classes)[n_terms]


def bridges(ctx: SearchContext, docs: BitMap, nodes: tuple[Node, ...], n_terms: int,
            kept: frozenset[int]) -> frozenset[int]:
    """Indexes (in `nodes`) of the n-grams joining a removed term through which a document of
    the bucket ``docs`` matches a whole path (ranking.md §7.1: they stay in the child graph)."""
    joining = [i for i, n in enumerate(nodes) if n.ngram > 1 and n.rep in kept
               and any(t not in kept for t in range(n.first, n.last + 1))]
    if not joining:
        return frozenset()
    forward = reach(ctx, docs, nodes, n_terms, kept)
    backward = reach(ctx, docs, nodes, n_terms, kept, backward=True)
    return frozenset(i for i in joining
                     if (forward[nodes[i].first] & nodes[i].any_docids(ctx)).intersect(backward[nodes[i].last + 1]))


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
                now = frozenset(kept)
                # with `last` a document matching through a bridge matched an earlier step
                # already (see `State`): only `frequency` has bridges to look for
                joined = bridges(ctx, docs, state.nodes, self.n_terms, now) if self.strategy == "frequency" else frozenset()
                yield docs, score, state.with_kept(now, joined).pruned(ctx, docs)
