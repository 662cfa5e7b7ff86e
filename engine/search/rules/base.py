"""The ranking-rule contract (ranking.md §6.1) and the shared cost arithmetic.

    A rule is given a universe (a bitmap) and the query state inherited from its parent bucket.
    It yields disjoint buckets, best first; every bucket is a subset of the universe it was given,
    and the buckets together cover that universe.  Each bucket carries its score detail and the
    (possibly narrowed) state handed to the next rule.

Graph-based rules reduce to "cost per document" questions.  Their per-term answers are
partitions of the universe by cost (`Partition`: cost -> bitmap); `add_partitions` sums the
costs of several terms without touching documents one by one, and `buckets_by_cost` turns a
total partition into buckets of increasing cost.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, ClassVar, Iterator

from pyroaring import BitMap

from ..context import SearchContext
from ..sort_spec import Sort
from ..terms import Node

Partition = dict[int, BitMap]


@dataclass(frozen=True)
class Score:
    """One rule's verdict on a bucket: rank / max_rank, plus what the details JSON shows.

    Ranks are integers for the rules of ranking.md §7 and may be floats; a vector rule gives a
    ``similarity`` instead, which then is the document's whole global score (ranking.md §8.1)."""

    key: str                      # key in _rankingScoreDetails ("words", "typo", "price:asc", ...)
    rank: int | float
    max_rank: int | float
    details: tuple[tuple[str, Any], ...] = ()
    in_score: bool = True         # sort rules show details but do not count in _rankingScore
    redacted: bool = False        # a sort on a field that is not displayed: "<hidden-rule-N>"
    shown: float | None = None    # the details' score when it is not rank / max_rank (exactness)
    similarity: float | None = None  # vectorSort: the similarity (None: the document has no vector)
    is_vector: bool = False

    @property
    def value(self) -> float:
        return self.rank / self.max_rank if self.max_rank else 0.0


@dataclass(frozen=True)
class State:
    """What the query still is for this bucket: kept term indexes and, per node, the typo classes
    still allowed (ranking.md §7.1: a child rule sees only what the parent bucket's paths used)."""

    nodes: tuple[Node, ...]
    kept: frozenset[int]
    allowed: tuple[tuple[int, ...], ...]   # per node index in `nodes`; empty: the node is out

    @classmethod
    def initial(cls, nodes: tuple[Node, ...], n_terms: int) -> "State":
        return cls(nodes, frozenset(range(n_terms)), tuple((0, 1, 2) for _ in nodes))

    def active_nodes(self) -> list[tuple[int, Node]]:
        return [(i, n) for i, n in enumerate(self.nodes) if self.allowed[i] and n.rep in self.kept]

    def term_nodes(self) -> list[tuple[int, Node]]:
        """The single-term nodes of kept terms, in query order."""
        return [(i, n) for i, n in self.active_nodes() if n.ngram == 1]

    def classes(self, node_index: int) -> tuple[int, ...]:
        node = self.nodes[node_index]
        return tuple(c for c in self.allowed[node_index] if c <= node.max_typo)

    def with_allowed(self, allowed: tuple[tuple[int, ...], ...]) -> "State":
        return replace(self, allowed=allowed)

    def with_kept(self, kept: frozenset[int]) -> "State":
        return replace(self, kept=kept)

    def pruned(self, ctx: SearchContext, universe: BitMap) -> "State":
        """Drop nodes no document of the universe matches: they must not inflate max ranks."""
        allowed = tuple(
            classes if node.any_docids(ctx, tuple(c for c in classes if c <= node.max_typo)).intersection_cardinality(universe)
            else ()
            for node, classes in zip(self.nodes, self.allowed))
        return replace(self, allowed=allowed)


@dataclass(frozen=True)
class RulePlan:
    """What building one search's rules needs: the query's matching strategy and number of terms,
    whether it is a placeholder search, its `sort` parameter, and the index's displayed
    attributes (None: all), which decide whether a sort rule's details are hidden."""

    matching_strategy: str
    n_terms: int
    placeholder: bool = False
    sort: tuple[Sort, ...] = ()
    displayed: list[str] | None = None


class Rule:
    """Base class: subclasses name themselves, build their instances from a plan and implement
    `buckets`.  ``textual`` rules need query terms (placeholder searches skip them);
    ``replaced_by`` names rules that make this one redundant when they ran before it;
    ``sorted_field`` is the field a sort rule orders by (a field is sorted once)."""

    name: ClassVar[str]
    textual: ClassVar[bool] = True
    replaced_by: ClassVar[frozenset[str]] = frozenset()
    sorted_field: str | None = None

    @classmethod
    def build(cls, plan: RulePlan) -> list["Rule"]:
        return [cls()]

    def buckets(self, ctx: SearchContext, universe: BitMap, state: State) -> Iterator[tuple[BitMap, Score, State]]:
        raise NotImplementedError


def add_partitions(a: Partition, b: Partition) -> Partition:
    """Cost partition of a sum: a document costing x in `a` and y in `b` costs x + y."""
    out: Partition = {}
    for ca, ba in a.items():
        for cb, bb in b.items():
            inter = ba & bb
            if inter:
                c = ca + cb
                out[c] = out[c] | inter if c in out else inter
    return out


def sum_partitions(universe: BitMap, partitions: list[Partition]) -> Partition:
    """Cost partition of the sum of per-term partitions that each cover the universe (a single
    term's partition is the sum as is: no intersection with the universe)."""
    if not partitions:
        return {0: universe}
    total = partitions[0]
    for part in partitions[1:]:
        total = add_partitions(total, part)
    return total


def partition_by_best(universe: BitMap, costed: list[tuple[int, BitMap]], worst: int) -> Partition:
    """Each document of the universe at the lowest cost whose bitmap holds it (else `worst`)."""
    out: Partition = {}
    remaining = BitMap(universe)
    for cost, docs in sorted(costed, key=lambda x: x[0]):
        if not remaining:
            break
        hit = remaining & docs
        if hit:
            out[cost] = out[cost] | hit if cost in out else hit
            remaining -= hit
    if remaining:
        out[worst] = out[worst] | remaining if worst in out else remaining
    return out


def cheapest(partitions: list[Partition]) -> Partition:
    """Each document at the lowest cost any of the partitions gives it."""
    out: Partition = {}
    placed = BitMap()
    for cost, docs in sorted(((c, d) for p in partitions for c, d in p.items()), key=lambda item: item[0]):
        docs = docs - placed
        if docs:
            out[cost] = out[cost] | docs if cost in out else docs
            placed |= docs
    return out


def kept_width(state: State) -> int:
    """Number of kept term indexes the remaining graph covers: every path covers each of them
    once, so a rule whose node costs scale with their width (attributeRank, wordPosition,
    exact-words) has this many times its unit cost as its dearest path."""
    covered = {t for _i, n in state.active_nodes() for t in range(n.first, n.last + 1)}
    return len(covered & state.kept)


def has_ngram_paths(state: State) -> bool:
    return any(n.ngram > 1 for _i, n in state.active_nodes())


NodeCost = Callable[[int, Node, BitMap], tuple[Partition, int]]
PairCost = Callable[[tuple[int, Node], tuple[int, Node], BitMap], tuple[Partition, int]]


def path_partition(ctx: SearchContext, universe: BitMap, state: State, node_cost: NodeCost,
                   pair_cost: PairCost | None = None) -> tuple[Partition, int]:
    """Per document, the cheapest path through the query graph, and the dearest path's cost.

    A path covers the kept terms in order with single-term nodes or n-grams.  ``node_cost`` costs
    entering one node over the documents matching it, ``pair_cost`` (if any) the step between two
    consecutive nodes; both also give their highest cost.  Documents no path reaches are left out.
    """
    kept = sorted(state.kept)
    nodes = sorted(((i, n) for i, n in state.active_nodes()
                    if all(t in state.kept for t in range(n.first, n.last + 1))),
                   key=lambda item: (item[1].first, item[1].last))
    if not kept:
        return {}, 0
    following = {kept[k]: kept[k + 1] for k in range(len(kept) - 1)}
    reach: dict[int, tuple[Partition, int]] = {}
    for ri, right in nodes:
        matching = universe & right.any_docids(ctx, state.classes(ri))
        if not matching:
            continue
        own, own_max = node_cost(ri, right, matching)
        options, worst = ([own], own_max) if right.first == kept[0] else ([], -1)
        for li, left in nodes:
            if li not in reach or following.get(left.last) != right.first:
                continue
            partition, left_max = reach[li]
            step, step_max = pair_cost((li, left), (ri, right), matching) if pair_cost else ({0: matching}, 0)
            options.append(add_partitions(partition, add_partitions(own, step)))
            worst = max(worst, left_max + own_max + step_max)
        if options:
            reach[ri] = (cheapest(options), worst)
    ends = [reach[i] for i, n in nodes if i in reach and n.last == kept[-1]]
    return cheapest([p for p, _w in ends]), max((w for _p, w in ends), default=0)


def with_worst(universe: BitMap, partition: Partition, worst: int) -> Partition:
    """Documents no path reached take the worst cost."""
    rest = universe - BitMap.union(*partition.values()) if partition else universe
    if rest:
        partition[worst] = partition[worst] | rest if worst in partition else rest
    return partition


def buckets_by_cost(partition: Partition) -> Iterator[tuple[int, BitMap]]:
    for cost in sorted(partition):
        if partition[cost]:
            yield cost, partition[cost]


__all__ = ["Partition", "Score", "State", "Rule", "RulePlan", "add_partitions", "sum_partitions", "partition_by_best", "buckets_by_cost",
           "cheapest", "has_ngram_paths", "kept_width", "path_partition", "with_worst"]
