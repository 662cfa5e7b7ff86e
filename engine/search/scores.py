"""`_rankingScore` and `_rankingScoreDetails` from the rules' scores (ranking.md §8).

The global score is a mixed-radix number: each rule's (rank, max_rank) refines the previous
ones, so earlier rules dominate completely.  Sort rules are shown but not counted.  A vector rule's
similarity, when there is one, is the whole score.

    >>> global_score([Score("words", 6, 6), Score("typo", 6, 7)])
    0.9761904761904762
"""
from __future__ import annotations

from typing import Any, Sequence

from .rules.base import Score


def fold(ranks: Sequence[tuple[int | float, int | float]]) -> tuple[int | float, int | float]:
    rank: int | float = 1
    max_rank: int | float = 1
    for inner_rank, inner_max in ranks:
        rank = max(rank - 1, 0) * inner_max + inner_rank
        max_rank = max_rank * inner_max
    return rank, max_rank


def global_score(scores: Sequence[Score]) -> float:
    for score in scores:
        if score.is_vector:
            return 0.0 if score.similarity is None else score.similarity
    rank, max_rank = fold([(s.rank, s.max_rank) for s in scores if s.in_score])
    return rank / max_rank if max_rank else 0.0


def score_details(scores: Sequence[Score]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for order, score in enumerate(scores):
        entry: dict[str, Any] = {"order": order}
        if score.key == "skipped":
            out["skipped"] = entry
            continue
        if score.is_vector:
            entry["similarity"] = score.similarity
            out[score.key] = entry
        elif score.in_score:
            entry.update(score.details)
            entry["score"] = score.value if score.shown is None else score.shown
            out[score.key] = entry
        else:
            if score.redacted:
                out[f"<hidden-rule-{order}>"] = {"order": order, "value": "<hidden>"}
                continue
            entry.update(score.details)
            out[score.key] = entry
    return out


# -- a hit's scores as comparable values (hybrid.md §5.1, federated search) --------------------------

NUMBER, SORT, GEO = 0, 1, 2


def score_values(scores: Sequence[Score], weight: float) -> list[tuple]:
    """A hit's scores as the groups hybrid merging and federated search compare: each run of
    consecutive rank-based rules folded into one weighted number (rank / max rank × weight), a
    vector similarity × weight (0 when null), a sort rule as (SORT, ascending, value), a geo sort as
    (GEO, ascending, distance)."""
    out: list[tuple] = []
    run: list[tuple[int | float, int | float]] = []

    def close_run() -> None:
        if run:
            rank, max_rank = fold(run)
            out.append((NUMBER, (rank / max_rank if max_rank else 0.0) * weight))
            run.clear()

    for score in scores:
        if score.is_vector:
            close_run()
            out.append((NUMBER, (score.similarity or 0.0) * weight))
        elif score.in_score:
            run.append((score.rank, score.max_rank))
        else:
            close_run()
            details = dict(score.details)
            ascending = score.key.endswith(":asc")
            if score.key.startswith("_geoPoint("):
                out.append((GEO, ascending, details.get("distance")))
            else:
                out.append((SORT, ascending, details.get("value")))
    close_run()
    return out


def compare_sort_values(ascending: bool, left: Any, right: Any) -> int:
    """> 0 when ``left`` sorts first: a missing value last, numbers before strings whatever the
    direction, then the smaller first when ascending, the larger when descending."""
    if left is None or right is None:
        return (left is not None) - (right is not None)
    left_number, right_number = isinstance(left, (int, float)), isinstance(right, (int, float))
    if left_number != right_number:
        return 1 if left_number else -1
    order = (left > right) - (left < right)
    return -order if ascending else order
