"""The bucket sort driver (ranking.md §6.2).

Rules refine buckets depth first; documents of a final bucket come out in ascending docid order;
the walk stops as soon as offset + limit documents are out.  A whole bucket that falls before the
offset is counted without being sorted further.  With a score threshold, a bucket whose partial
score (an upper bound of its documents' final scores) is below it is dropped with everything after
it at that level.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from pyroaring import BitMap

from .context import SearchContext
from .rules.base import Rule, Score, State
from .scores import global_score

Distinct = Callable[[int], BitMap]  # docid -> the other documents sharing a distinct value


@dataclass
class SortOutcome:
    hits: list[tuple[int, list[Score]]] = field(default_factory=list)
    candidates: BitMap = field(default_factory=BitMap)
    degraded: bool = False


SKIPPED = Score("skipped", 0, 1)


def bucket_sort(ctx: SearchContext, rules: list[Rule], universe: BitMap, state: State, offset: int, limit: int, *,
                need_scores: bool, threshold: float | None = None, distinct: Distinct | None = None,
                exhaustive_threshold: int | None = None, deadline: float | None = None) -> SortOutcome:
    """``deadline`` (time.monotonic()) is searchCutoffMs: past it, every rule still to run hands back
    its whole bucket at once, scored `skipped`, and the outcome is flagged degraded."""
    out = SortOutcome(candidates=BitMap(universe))
    target = offset + limit
    excluded = BitMap()
    seen = 0  # documents emitted (offset included)
    passed = 0  # documents passing the threshold (exhaustive mode)

    def enough() -> bool:
        if exhaustive_threshold is not None:
            return passed >= exhaustive_threshold
        return seen >= target

    def emit(docs: BitMap, scores: list[Score]) -> None:
        nonlocal seen, passed
        for docid in docs:
            if enough():
                return
            if docid in excluded:
                continue
            if threshold is not None and global_score(scores) < threshold:
                out.candidates.discard(docid)
                continue
            if distinct is not None:
                others = distinct(docid)
                others.discard(docid)
                others -= excluded
                excluded.update(others)
                out.candidates -= others
            passed += 1
            if seen >= offset and len(out.hits) < limit:
                out.hits.append((docid, scores))
            seen += 1

    def visit(i: int, docs: BitMap, st: State, scores: list[Score]) -> None:
        nonlocal seen
        if excluded:
            docs = docs - excluded
        if not docs or enough():
            return
        if i == len(rules) or (len(docs) == 1 and not need_scores):
            emit(docs, scores)
            return
        if deadline is not None and time.monotonic() > deadline:
            out.degraded = True
            emit(docs, scores + [SKIPPED])
            return
        if (not need_scores and distinct is None and threshold is None and exhaustive_threshold is None
                and seen + len(docs) <= offset):
            seen += len(docs)
            return
        remaining = BitMap(docs) if threshold is not None else None  # only a threshold drops the rest
        for bucket, score, sub in rules[i].buckets(ctx, docs, st):
            if enough():
                return
            if remaining is not None:
                if global_score(scores + [score]) < threshold:
                    out.candidates -= remaining
                    return
                remaining -= bucket
            visit(i + 1, bucket, sub, scores + [score])
            if enough():  # before the rule computes a next bucket nobody will read
                return

    try:
        if target > 0 or exhaustive_threshold:
            visit(0, universe, state, [])
    finally:
        visit = None  # noqa: F841 -- the recursive closure refers to itself: break the cycle now, so the
        # search context and its read transaction are freed without waiting for the garbage collector
    return out
