"""`typo`: fewer typos first (ranking.md §7.3).

A path's cost is the sum over its nodes of the typo class used (0 exact/prefix/synonym, 1 one typo
or split, 2 two typos) plus the n-gram base cost (2 for a 2-gram, 3 for a 3-gram).  Bucket c holds
the documents whose cheapest path costs c.  The child rules then only see, for every node, the
derivation classes a path of cost c can use.
"""
from __future__ import annotations

from typing import Iterator

from pyroaring import BitMap

from ..context import SearchContext
from .base import Rule, Score, State


class TypoRule(Rule):
    def __init__(self, n_terms: int):
        self.n_terms = n_terms

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
        active = state.active_nodes()
        # reach[j][c]: docs reaching term j with a path costing exactly c
        reach: list[dict[int, BitMap]] = [dict() for _ in range(self.n_terms + 1)]
        reach[0] = {0: universe}
        for j in range(self.n_terms):
            out: dict[int, BitMap] = dict(reach[j]) if j not in state.kept else {}
            for idx, node in active:
                if node.last != j:
                    continue
                for cost_in, docs_in in reach[node.first].items():
                    for cls in state.classes(idx):
                        hit = docs_in & node.docids(ctx, cls)
                        if hit:
                            c = cost_in + node.base_typo + cls
                            out[c] = out[c] | hit if c in out else hit
            reach[j + 1] = out
        final = reach[self.n_terms]
        placed = BitMap()
        for cost in sorted(final):
            docs = final[cost] - placed
            if not docs:
                continue
            placed |= docs
            # the child sees the nodes this cost can pay for: an n-gram (base 2 or 3) is out of a
            # cheaper bucket, a node keeps the typo classes up to what is left of the cost
            allowed = tuple(-1 if m < 0 or cost < n.base_typo else min(cost - n.base_typo, n.max_typo, m)
                            for n, m in zip(state.nodes, state.max_class))
            rank = max_rank - cost
            score = Score("typo", rank, max_rank, (("typoCount", cost), ("maxTypoCount", c_max)))
            yield docs, score, state.with_max_class(allowed)
        rest = universe - placed
        if rest:
            yield rest, Score("typo", 1, max_rank, (("typoCount", c_max), ("maxTypoCount", c_max))), state
