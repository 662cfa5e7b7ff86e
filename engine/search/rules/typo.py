"""`typo`: fewer typos first (ranking.md §7.3).

A path's cost is the sum over its nodes of the typo class used (0 exact/prefix/synonym, 1 one typo
or split, 2 two typos) plus the n-gram base cost (2 for a 2-gram, 3 for a 3-gram).  Bucket c holds
the documents whose cheapest path costs c.  The child rules then only see, for every node, the
derivation classes used by the paths of cost c that match a document of the bucket.
"""
from __future__ import annotations

from typing import Iterator

from pyroaring import BitMap

from ..context import SearchContext
from .base import Rule, RulePlan, Score, State


class TypoRule(Rule):
    name = "typo"

    def __init__(self, n_terms: int):
        self.n_terms = n_terms

    @classmethod
    def build(cls, plan: RulePlan) -> list[Rule]:
        return [cls(plan.n_terms)]

    def _max_cost(self, state: State) -> int:
        best: list[int | None] = [None] * (self.n_terms + 1)
        best[0] = 0
        active = state.active_nodes()
        for j in range(self.n_terms):
            options = [best[n.first] + n.base_typo + n.max_typo for _i, n in active
                       if n.last == j and best[n.first] is not None]
            if j not in state.kept and best[j] is not None:
                options.append(best[j])
            best[j + 1] = max(options) if options else None
        return best[self.n_terms] or 0

    def buckets(self, ctx: SearchContext, universe: BitMap, state: State) -> Iterator[tuple[BitMap, Score, State]]:
        c_max = self._max_cost(state)
        max_rank = 1 + c_max
        forward = self._reach(ctx, universe, state, backward=False)
        final = forward[self.n_terms]
        backward: list[dict[int, BitMap]] | None = None
        placed = BitMap()
        for cost in sorted(final):
            docs = final[cost] - placed
            if not docs:
                continue
            placed |= docs
            rank = max_rank - cost
            score = Score("typo", rank, max_rank, (("typoCount", cost), ("maxTypoCount", c_max)))
            if cost == 0:
                # a free path takes every kept term through its single-word node, typo-free
                yield docs, score, state.with_allowed(tuple(
                    (0,) if classes and node.ngram == 1 else () for node, classes in zip(state.nodes, state.allowed)))
                continue
            if backward is None:
                backward = self._reach(ctx, universe, state, backward=True)
            yield docs, score, state.with_allowed(self._used_classes(ctx, state, docs, cost, forward, backward))
        rest = universe - placed
        if rest:
            yield rest, Score("typo", 1, max_rank, (("typoCount", c_max), ("maxTypoCount", c_max))), state

    def _reach(self, ctx: SearchContext, universe: BitMap, state: State, *, backward: bool) -> list[dict[int, BitMap]]:
        """Forward: ``reach[j][c]`` = documents with a path from the start to term boundary j
        costing exactly c.  Backward: the same from boundary j to the end."""
        reach: list[dict[int, BitMap]] = [dict() for _ in range(self.n_terms + 1)]
        active = state.active_nodes()
        boundaries = range(self.n_terms - 1, -1, -1) if backward else range(self.n_terms)
        reach[self.n_terms if backward else 0] = {0: universe}
        for j in boundaries:
            # a removed term is crossed for free; a node spans [first, last]
            out: dict[int, BitMap] = dict(reach[j + 1] if backward else reach[j]) if j not in state.kept else {}
            for idx, node in active:
                if (node.first if backward else node.last) != j:
                    continue
                for cost_in, docs_in in reach[node.last + 1 if backward else node.first].items():
                    for cls in state.classes(idx):
                        hit = docs_in & node.docids(ctx, cls)
                        if hit:
                            c = cost_in + node.base_typo + cls
                            out[c] = out[c] | hit if c in out else hit
            reach[j if backward else j + 1] = out
        return reach

    def _used_classes(self, ctx: SearchContext, state: State, docs: BitMap, cost: int,
                      forward: list[dict[int, BitMap]], backward: list[dict[int, BitMap]]) -> tuple[tuple[int, ...], ...]:
        """Per node, the typo classes some path of exactly ``cost`` uses for a document of the bucket
        (ranking.md §7.1: the child rule sees only the paths that contributed documents).  A
        document in forward[first][a], in the node's class and in backward[last + 1][b] satisfies a
        whole path through the node, of cost a + class + b."""
        active = {idx for idx, _node in state.active_nodes()}
        allowed: list[tuple[int, ...]] = []
        for idx, node in enumerate(state.nodes):
            used: list[int] = []
            if idx in active:
                after = backward[node.last + 1]
                for cls in state.classes(idx):
                    node_docs = docs & node.docids(ctx, cls) if cost >= node.base_typo + cls else None
                    if node_docs and any(
                            (before & node_docs).intersect(after[rest]) for a, before in forward[node.first].items()
                            if (rest := cost - a - node.base_typo - cls) in after):
                        used.append(cls)
            allowed.append(tuple(used))
        return tuple(allowed)
