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
