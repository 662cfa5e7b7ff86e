"""Can two federated queries' hits be compared rule by rule? (notes/federation.md §1.D)

Each query's ranking rules are first *canonicalized* for what the query is: a placeholder search
drops its relevancy rules, a keyword search gets `words` before its first relevancy rule (none
with matchingStrategy `all`) and loses duplicates, a semantic-only search keeps one relevancy rule
(standing for the vector similarity); `sort` expands into the query's sort entries, or is dropped
without them, and a field sorted twice keeps its first sort.  The canonical list is then read as
kinds (consecutive relevancy rules count as one): relevancy, ascending / descending sort,
ascending / descending geo sort.  Two queries are compatible when their kinds agree position by
position over the shorter list; otherwise Meilisearch refuses the request with
`invalid_multi_search_query_ranking_rules`, naming both rules and every change canonicalization
made.  The federated search compares each query with the one with the most kinds seen so far
(the later one on equal counts), across indexes.

    >>> a = RankingRules(["words", "sort"], (SortSpec("price", True),), "last", PLACEHOLDER)
    >>> b = RankingRules(["words", "sort"], (SortSpec("price", False),), "last", PLACEHOLDER)
    >>> b.incompatibility(a, 1, 0, "shop", "shop").splitlines()[3]
    '  - cannot compare two sort rules in opposite directions'
"""
from __future__ import annotations

from typing import Sequence

from ..errors import LoupeError
from ..search.sort_spec import GeoSortSpec, Sort, SortSpec

PLACEHOLDER, KEYWORD, VECTOR = "placeholder", "keyword", "vector"
RELEVANCY_RULES = frozenset({"words", "typo", "proximity", "attribute", "attributeRank", "wordPosition", "exactness"})

RELEVANCY, ASC, DESC, GEO_ASC, GEO_DESC = "relevancy", "ascending sort", "descending sort", "ascending geo sort", \
    "descending geo sort"
_SORTS, _GEOS = {ASC, DESC}, {GEO_ASC, GEO_DESC}

Source = tuple  # ("c", i) | ("cc", first, last) | ("s", rule index, sort index)


def _spec_kind(spec: Sort) -> str:
    if isinstance(spec, GeoSortSpec):
        return GEO_ASC if spec.ascending else GEO_DESC
    return ASC if spec.ascending else DESC


def _custom_kind(name: str) -> str:
    field, _colon, order = name.rpartition(":")
    if field == "_geo":
        return GEO_ASC if order == "asc" else GEO_DESC
    return ASC if order == "asc" else DESC


def _spec_name(spec: Sort) -> str:
    order = "asc" if spec.ascending else "desc"
    return f"_geo(..):{order}" if isinstance(spec, GeoSortSpec) else f"{spec.field}:{order}"


def reason(previous: str, current: str) -> str:
    pair = {previous, current}
    if RELEVANCY in pair:
        return ("cannot compare a relevancy rule with a sort rule" if pair & _SORTS
                else "cannot compare a relevancy rule with a geosort rule")
    if pair == _SORTS:
        return "cannot compare two sort rules in opposite directions"
    if pair == _GEOS:
        return "cannot compare two geosort rules in opposite directions"
    return "cannot compare a sort rule with a geosort rule"


class RankingRules:
    """One query's rules, canonicalized; ``kind`` is placeholder, keyword or vector."""

    def __init__(self, rules: Sequence[str], sort: Sequence[Sort] | None, matching_strategy: str, kind: str):
        self.source_rules = list(rules)
        self.source_sort = list(sort) if sort is not None else None
        self.rules: list[str] = []
        self.sort: list[Sort] | None = None
        self.actions: list[tuple] = []
        self._sorted_fields: dict[str, Source] = {}
        self._sort_at: int | None = None
        if kind == PLACEHOLDER:
            self._placeholder()
        elif kind == VECTOR:
            self._vector()
        else:
            self._keyword(matching_strategy == "all")
        self.kinds = self._coalesced()

    # -- canonicalization --------------------------------------------------------------------------
    def _sort_like(self, i: int, name: str) -> None:
        if name == "sort":
            if self._sort_at is not None:
                self.actions.append(("duplicate", ("c", self._sort_at), ("c", i)))
            elif self.source_sort is not None:
                self._sort_at = i
                self.rules.append(name)
                self.sort = self._canonical_sort(i)
            else:
                self.actions.append(("no-sort", ("c", i)))
            return
        field = name.rpartition(":")[0]
        if field in self._sorted_fields:
            self.actions.append(("duplicate", self._sorted_fields[field], ("c", i)))
        else:
            self._sorted_fields[field] = ("c", i)
            self.rules.append(name)

    def _canonical_sort(self, i: int) -> list[Sort]:
        out: list[Sort] = []
        geo_at = None
        for j, spec in enumerate(self.source_sort or ()):
            source = ("s", i, j)
            if isinstance(spec, GeoSortSpec):
                if geo_at is not None:
                    self.actions.append(("duplicate", ("s", i, geo_at), source))
                else:
                    geo_at = j
                    out.append(spec)
            elif spec.field in self._sorted_fields:
                self.actions.append(("duplicate", self._sorted_fields[spec.field], source))
            else:
                self._sorted_fields[spec.field] = source
                out.append(spec)
        return out

    def _placeholder(self) -> None:
        for i, name in enumerate(self.source_rules):
            if name in RELEVANCY_RULES:
                self.actions.append(("placeholder", ("c", i)))
            else:
                self._sort_like(i, name)

    def _vector(self) -> None:
        vector_at = None
        for i, name in enumerate(self.source_rules):
            if name not in RELEVANCY_RULES:
                self._sort_like(i, name)
            elif vector_at is None:
                vector_at = i
                self.rules.append(name)
            elif not self._sorted_fields:
                self.actions.append(("vector-removed", ("c", vector_at), ("c", i)))
            else:
                self.actions.append(("vector-truncated", ("c", vector_at), ("c", i)))
                break

    def _keyword(self, matching_all: bool) -> None:
        words: int | str | None = None          # None: not yet; "prepended"; or its position
        seen: dict[str, int] = {}
        for i, name in enumerate(self.source_rules):
            if name == "words":
                if matching_all:
                    self.actions.append(("words-all", ("c", i)))
                    continue
                if isinstance(words, int):
                    self.actions.append(("duplicate", ("c", words), ("c", i)))
                    continue
                if words == "prepended":      # noted as removed, and kept all the same (as upstream)
                    self.actions.append(("words-prepended", ("c", i)))
                words = i
                self.rules.append(name)
            elif name in RELEVANCY_RULES:
                if not matching_all and words is None:
                    self.actions.append(("prepend", ("c", i)))
                    self.rules.append("words")
                    words = "prepended"
                if name in seen:
                    self.actions.append(("duplicate", ("c", seen[name]), ("c", i)))
                else:
                    seen[name] = i
                    self.rules.append(name)
            else:
                self._sort_like(i, name)

    # -- kinds -------------------------------------------------------------------------------------
    def _coalesced(self) -> list[tuple[str, Source]]:
        out: list[tuple[str, Source]] = []
        for i, name in enumerate(self.rules):
            if name == "sort":
                out.extend((_spec_kind(spec), ("s", i, j)) for j, spec in enumerate(self.sort or ()))
                continue
            kind = RELEVANCY if name in RELEVANCY_RULES else _custom_kind(name)
            if kind == RELEVANCY and out and out[-1][0] == RELEVANCY:
                first = out[-1][1][1]
                out[-1] = (RELEVANCY, ("cc", first, i))
            else:
                out.append((kind, ("c", i)))
        return out

    def first_difference(self, previous: "RankingRules") -> tuple[int, int] | None:
        """Positions (in both kind lists) of the first kind that differs over the shorter list."""
        for k, ((mine, _s), (theirs, _t)) in enumerate(zip(self.kinds, previous.kinds)):
            if mine != theirs:
                return k, k
        return None

    # -- messages ----------------------------------------------------------------------------------
    def _describe(self, k: int, position: int, uid: str) -> str:
        kind, source = self.kinds[k]
        if source[0] == "c":
            where = f"`queries[{position}]`, `{uid}.rankingRules[{source[1]}]`"
            rules = self.rules[source[1]]
        elif source[0] == "cc":
            where = f"`queries[{position}]`, `{uid}.rankingRules[{source[1]}..={source[2]}]`"
            rules = ", ".join(self.rules[source[1]:source[2] + 1]) or "default"
        else:
            where = f"`queries[{position}].sort[{source[2]}]`, `{uid}.rankingRules[{source[1]}]`"
            spec = (self.sort or [])[source[2]]
            rules = "default" if isinstance(spec, GeoSortSpec) else f"on field `{spec.field}`"
        return f"{where}: {kind} rule(s) {rules}"

    def _name(self, source: Source) -> str:
        if source[0] == "c":
            return self.source_rules[source[1]]
        return _spec_name((self.source_sort or [])[source[2]])

    @staticmethod
    def _position(source: Source) -> str:
        if source[0] == "c":
            return f"#{source[1]} in ranking rules"
        return f"#{source[2]} in `query.sort` (as `sort` is #{source[1]} in ranking rules)"

    def notes(self) -> str:
        lines = []
        for n, action in enumerate(self.actions, 1):
            what, source = action[0], action[1]
            if what == "prepend":
                text = (f"    {n}. Prepended rule `words` before first relevancy rule `{self._name(source)}` at position "
                        f"{self._position(source)}")
            elif what == "duplicate":
                removed = action[2]
                text = (f"    {n}. Removed duplicate rule `{self._name(source)}` at position {self._position(removed)} "
                        f"as it already appears at position {self._position(source)}")
            elif what == "words-all":
                text = (f"    {n}. Removed rule `words` at position {self._position(source)} because "
                        "`query.matchingWords` is set to `all`")
            elif what == "words-prepended":
                text = (f"    {n}. Removed rule `words` at position {self._position(source)} because it was "
                        "previously prepended")
            elif what == "placeholder":
                text = (f"    {n}. Removed relevancy rule `{self._name(source)}` at position {self._position(source)} "
                        'because the query is a placeholder search (`q`: "")')
            elif what == "vector-truncated":
                cut = action[2]
                text = (f"    {n}. Truncated relevancy rule `{self._name(cut)}` at position {self._position(cut)} and "
                        "later rules because the query is a vector search and `vector` was inserted at position "
                        f"{self._position(source)}")
            elif what == "vector-removed":
                removed = action[2]
                text = (f"    {n}. Removed relevancy rule `{self._name(removed)}` at position "
                        f"{self._position(removed)} because the query is a vector search and `vector` was already "
                        f"inserted at position {self._position(source)}")
            else:  # no-sort; upstream indents this one by three spaces
                text = f"   {n}. Removed rule `sort` at position {self._position(source)} because `query.sort` is empty"
            lines.append(text + "\n")
        return "".join(lines)

    def incompatibility(self, previous: "RankingRules", position: int, previous_position: int, uid: str,
                        previous_uid: str) -> str | None:
        """Meilisearch's message when this query cannot be merged with ``previous`` (else None)."""
        found = self.first_difference(previous)
        if found is None:
            return None
        mine, theirs = found
        message = (f"The results of queries #{previous_position} and #{position} are incompatible: \n"
                   f"  1. {previous._describe(theirs, previous_position, previous_uid)}\n"
                   f"  2. {self._describe(mine, position, uid)}\n"
                   f"  - {reason(previous.kinds[theirs][0], self.kinds[mine][0])}\n")
        if previous.actions:
            message += (f"  - note: The ranking rules of query #{previous_position} were modified during "
                        f"canonicalization:\n{previous.notes()}")
        if self.actions:
            message += (f"  - note: The ranking rules of query #{position} were modified during "
                        f"canonicalization:\n{self.notes()}")
        return message


class Compatibility:
    """The federated search's running check: each query against the one with the most kinds so far."""

    def __init__(self) -> None:
        self.previous: tuple[RankingRules, int, str] | None = None

    def check(self, rules: RankingRules, position: int, uid: str) -> None:
        if self.previous is not None:
            previous, previous_position, previous_uid = self.previous
            message = rules.incompatibility(previous, position, previous_position, uid, previous_uid)
            if message is not None:
                raise LoupeError("invalid_multi_search_query_ranking_rules", message)
            if len(previous.kinds) > len(rules.kinds):
                return
        self.previous = (rules, position, uid)


__all__ = ["Compatibility", "KEYWORD", "PLACEHOLDER", "RankingRules", "SortSpec", "VECTOR", "reason"]
