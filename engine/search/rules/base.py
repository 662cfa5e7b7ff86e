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

from bisect import bisect_left
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
    pin: tuple[float, int] | None = None  # a pinned hit's (precedence, position): see engine.search_rules

    @property
    def value(self) -> float:
        return self.rank / self.max_rank if self.max_rank else 0.0


@dataclass(frozen=True)
class State:
    """What the query still is for this bucket: kept term indexes and, per node, the typo classes
    still allowed (ranking.md §7.1: a child rule sees only what the parent bucket's paths used).

    A node stays in the graph while the term index it is removed with (`Node.rep`) is kept, so
    an n-gram may also join terms the words rule removed (ranking.md §4: it goes with the one of
    its words removed last).  Such a *bridge* is a path of its own only where a document of the
    words bucket matched through it (`bridges`, indexes in `nodes`): with `frequency`, `x y z`
    keeps `yz` for a document holding only `yz` once `x` and `y` are removed.  With `last` a
    document matching through a bridge matched an earlier words step already, so there is none.
    """

    nodes: tuple[Node, ...]
    kept: frozenset[int]
    allowed: tuple[tuple[int, ...], ...]   # per node index in `nodes`; empty: the node is out
    bridges: frozenset[int] = frozenset()  # n-grams joining a removed term that a words path used

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

    def with_kept(self, kept: frozenset[int], bridges: frozenset[int] = frozenset()) -> "State":
        return replace(self, kept=kept, bridges=bridges)

    def bridged(self, node: Node) -> int:
        """Number of removed term indexes the node joins (0 for a node of kept terms only)."""
        return sum(1 for t in range(node.first, node.last + 1) if t not in self.kept)

    def path_nodes(self) -> list[tuple[int, Node]]:
        """The active nodes a path may take: those joining kept terms only, and the bridges."""
        return [(i, n) for i, n in self.active_nodes() if i in self.bridges or not self.bridged(n)]

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
    """Number of term indexes the widest path of the remaining graph covers, so a rule whose node
    costs scale with their width (attributeRank, wordPosition, exact-words) has this many times
    its unit cost as its dearest path: every path covers each kept term index once, and a path
    through bridges (see `State`) also the removed ones they join."""
    covered = {t for _i, n in state.active_nodes() for t in range(n.first, n.last + 1)}
    width = len(covered & state.kept)
    if any(i in state.bridges for i, _n in state.active_nodes()):
        links = _Links(state)
        nodes = sorted(state.path_nodes(), key=lambda item: (item[1].first, item[1].last))
        widest: dict[int, int] = {}  # node -> most removed term indexes a path up to it bridges
        for i, node in nodes:
            before = [widest[li] for li, left in nodes if li in widest and links.follows(left, node)]
            if before or links.starts(node):
                widest[i] = max(before, default=0) + state.bridged(node)
        width += max((w for i, w in widest.items() if links.ends(state.nodes[i])), default=0)
    return width


def has_ngram_paths(state: State) -> bool:
    return any(n.ngram > 1 for _i, n in state.active_nodes())


NodeCost = Callable[[int, Node, BitMap], tuple[Partition, int]]
PairCost = Callable[[tuple[int, Node], tuple[int, Node], BitMap], tuple[Partition, int]]


def path_partition(ctx: SearchContext, universe: BitMap, state: State, node_cost: NodeCost,
                   pair_cost: PairCost | None = None) -> tuple[Partition, int]:
    """Per document, the cheapest path through the query graph, and the dearest path's cost.

    A path covers the kept terms in order with single-term nodes or n-grams, and may cross removed
    terms through a bridge (see `State`).  ``node_cost`` costs
    entering one node over the documents matching it, ``pair_cost`` (if any) the step between two
    consecutive nodes; both also give their highest cost.  Documents no path reaches are left out.
    """
    nodes = sorted(state.path_nodes(), key=lambda item: (item[1].first, item[1].last))
    if not state.kept:
        return {}, 0
    links = _Links(state)
    reach: dict[int, tuple[Partition, int]] = {}
    for ri, right in nodes:
        matching = universe & right.any_docids(ctx, state.classes(ri))
        if not matching:
            continue
        own, own_max = node_cost(ri, right, matching)
        options, worst = ([own], own_max) if links.starts(right) else ([], -1)
        for li, left in nodes:
            if li not in reach or not links.follows(left, right):
                continue
            partition, left_max = reach[li]
            step, step_max = pair_cost((li, left), (ri, right), matching) if pair_cost else ({0: matching}, 0)
            options.append(add_partitions(partition, add_partitions(own, step)))
            worst = max(worst, left_max + own_max + step_max)
        if options:
            reach[ri] = (cheapest(options), worst)
    ends = [reach[i] for i, n in nodes if i in reach and links.ends(n)]
    return cheapest([p for p, _w in ends]), max((w for _p, w in ends), default=0)


class _Links:
    """How path nodes chain: a path covers every kept term index once, in order, and skips the
    removed ones a node does not join (so a node of kept terms only follows the previous kept
    term, and a bridge may start or end a path across removed terms)."""

    def __init__(self, state: State):
        self.kept = sorted(state.kept)

    def starts(self, node: Node) -> bool:
        """No kept term index before the node."""
        return not self.kept or self.kept[0] >= node.first

    def follows(self, left: Node, right: Node) -> bool:
        """`right` comes after `left` with no kept term index between them."""
        if left.last >= right.first:
            return False
        k = bisect_left(self.kept, left.last + 1)
        return k == len(self.kept) or self.kept[k] >= right.first

    def ends(self, node: Node) -> bool:
        """No kept term index after the node."""
        return not self.kept or self.kept[-1] <= node.last


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
