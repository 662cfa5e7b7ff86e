"""BM25 over a namespace's full-text attribute, as turbopuffer scores it (Okapi BM25, k1 = 1.2,
b = 0.75, `tokens`' tokenizer):

    score(d) = Σ_t idf(t) · tf(t, d) · (k1 + 1) / (tf(t, d) + k1 · (1 − b + b · |d| / avgdl))
    idf(t)   = ln(1 + (N − n(t) + 0.5) / (n(t) + 0.5))

N counts the documents with a string value for the attribute, n(t) those holding t, |d| the
document's token count and avgdl their mean; each distinct query token counts once.  With
``last_as_prefix`` the last query token adds 1.0 to a document holding a token it prefixes.

The statistics of an attribute are computed once per index version (a write makes a new version)
and kept for the version's searches.
"""
from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from .rows import Row
from .tokens import tokens

K1, B = 1.2, 0.75


@dataclass
class FieldStats:
    docs: int
    avgdl: float
    postings: dict[str, dict[int, int]]   # token -> docid -> occurrences
    lengths: dict[int, int]


_CACHE: dict[tuple[str, int, str], FieldStats] = {}
_LOCK = threading.Lock()


def field_stats(uid: str, version: int, attribute: str, rows_of: Callable[[], list[Row]]) -> FieldStats:
    """The attribute's statistics for this index version (``rows_of`` is called only to build them)."""
    key = (uid, version, attribute)
    with _LOCK:
        found = _CACHE.get(key)
    if found is not None:
        return found
    rows = rows_of()
    postings: dict[str, dict[int, int]] = {}
    lengths = {}
    for row in rows:
        value = row.values.get(attribute)
        if not isinstance(value, str):
            continue
        counted = Counter(tokens(value))
        lengths[row.docid] = sum(counted.values())
        for token, tf in counted.items():
            postings.setdefault(token, {})[row.docid] = tf
    stats = FieldStats(len(lengths), (sum(lengths.values()) / len(lengths)) if lengths else 0.0, postings, lengths)
    with _LOCK:
        for stale in [k for k in _CACHE if k[0] == uid and k[1] != version]:
            del _CACHE[stale]
        _CACHE[key] = stats
    return stats


def scores(stats: FieldStats, query: str, last_as_prefix: bool = False) -> dict[int, float]:
    """docid -> BM25 score (documents scoring 0 left out)."""
    words = list(dict.fromkeys(tokens(query)))
    prefix = words.pop() if last_as_prefix and words else None
    out: dict[int, float] = {}
    for word in words:
        posting = stats.postings.get(word)
        if not posting:
            continue
        n = len(posting)
        idf = math.log(1 + (stats.docs - n + 0.5) / (n + 0.5))
        for docid, tf in posting.items():
            norm = K1 * (1 - B + B * stats.lengths[docid] / stats.avgdl) if stats.avgdl else K1
            out[docid] = out.get(docid, 0.0) + idf * tf * (K1 + 1) / (tf + norm)
    if prefix is not None:
        matched: set[int] = set()
        for token, posting in stats.postings.items():
            if token.startswith(prefix):
                matched.update(posting)
        for docid in matched:
            out[docid] = out.get(docid, 0.0) + 1.0
    return out
