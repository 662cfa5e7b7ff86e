"""milli's "Did you mean" for filter names: the first candidate within two typos of the key.

Upstream builds a Levenshtein automaton of distance 2 *with transpositions* over the key and
returns the first candidate (in the order given) it accepts; case matters.  That distance is the
optimal-string-alignment one (rapidfuzz's `OSA`).

    >>> suggestion("withBred", ["basic", "withBreed"])
    'withBreed'
    >>> suggestion("userProvdied", ["fragments", "userProvided"])
    'userProvided'
    >>> suggestion("nothing", ["basic"]) is None
    True
"""
from __future__ import annotations

from typing import Sequence

from rapidfuzz.distance import OSA

MAX_TYPOS = 2


def suggestion(key: str, candidates: Sequence[str]) -> str | None:
    """The first of ``candidates`` at most two typos away from ``key``."""
    for candidate in candidates:
        if OSA.distance(key, candidate, score_cutoff=MAX_TYPOS) <= MAX_TYPOS:
            return candidate
    return None


__all__ = ["suggestion", "MAX_TYPOS"]
