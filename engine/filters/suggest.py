"""milli's "Did you mean" for filter names: the first candidate within two typos of the key.

Upstream builds a Levenshtein automaton of distance 2 *with transpositions* over the key and
returns the first candidate (in the order given) it accepts; case matters.  That distance is the
optimal-string-alignment one computed here.

    >>> suggestion("withBred", ["basic", "withBreed"])
    'withBreed'
    >>> suggestion("userProvdied", ["fragments", "userProvided"])
    'userProvided'
    >>> suggestion("nothing", ["basic"]) is None
    True
"""
from __future__ import annotations

from typing import Sequence

MAX_TYPOS = 2


def osa_distance(a: str, b: str, bound: int = MAX_TYPOS) -> int:
    """Edit distance counting an adjacent transposition as one edit, capped at ``bound + 1``."""
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if before is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        before, previous = previous, current
    return min(previous[-1], bound + 1)


def suggestion(key: str, candidates: Sequence[str]) -> str | None:
    """The first of ``candidates`` at most two typos away from ``key``."""
    for candidate in candidates:
        if osa_distance(key, candidate) <= MAX_TYPOS:
            return candidate
    return None


__all__ = ["osa_distance", "suggestion", "MAX_TYPOS"]
