"""The index vocabulary as one sorted list: exact, prefix and first-letter lookups by bisection.

A sorted list of distinct words is all a reader needs to answer "which indexed words start with
`pre`?" — they form one contiguous slice — and it is built in milliseconds, so a reader can rebuild
it whenever the index changes (no trie, no automaton to compile)::

    >>> lex = Lexicon(["cheval", "chevalier", "chevre", "chien"])
    >>> lex.prefix_range("cheva"), lex.with_prefix("chev", limit=2)
    ((0, 2), ['cheval', 'chevalier'])
    >>> lex.typo_derivations("chevol", budget=1, is_prefix=True).one_typo
    ['cheval', 'chevalier']

Typo search (`engine.search.typos`) works one *first-letter bucket* at a time (the first-letter
rule of ranking.md §3.2 means a typo derivation with one or two real typos shares the query's
first char). Buckets are slices too, and the per-bucket candidate arrays it needs — the words of
one length, or the distinct truncations ``w[:L]`` of the words (trie nodes at depth `L`) — are cut
from the list lazily with numpy and kept in an LRU cache bounded by candidate count.

Order is code-point order, which is also the UTF-8 byte order milli's FST uses, so "the first N
in lexicographic order" means the same thing here and upstream.
"""
from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Prefix

if TYPE_CHECKING:
    from .typos import Derivations

# How many candidates the per-bucket arrays (one per (first char, length) or (first char, depth))
# may hold in total before the least recently used are dropped. A candidate costs ~70 bytes
# (a truncated string, a list slot, two int32 bounds), so this caps the cache near 35 MB; the
# whole Debian vocabulary (~89k words) needs about half of it for both query workloads.
CANDIDATE_CACHE_BUDGET = 500_000

_MAX_CODE_POINT = 0x10FFFF


class Lexicon:
    """Sorted, distinct, normalized words with bisection lookups (see module docstring)."""

    def __init__(self, words: Sequence[str]) -> None:
        """Take `words` sorted ascending and distinct (ValueError otherwise); empty strings are
        not words."""
        self.words: list[str] = list(words)
        _check_sorted_distinct(self.words)
        self._set = frozenset(self.words)
        n = len(self.words)
        # Char length of every word, and the length of the prefix it shares with the previous
        # word (0 for the first): together they give trie nodes at any depth without a trie.
        self._lens = np.fromiter(map(len, self.words), dtype=np.int32, count=n)
        self._lcp = np.zeros(n, dtype=np.int32)
        if n > 1:
            self._lcp[1:] = process.cpdist(self.words[:-1], self.words[1:], scorer=Prefix.similarity,
                                           dtype=np.int32)
        self._buckets: dict[str, tuple[int, int]] = _first_char_buckets(self.words)
        self.first_chars: tuple[str, ...] = tuple(self._buckets)
        self._preceders = self._two_char_prefixes()
        self._cache: OrderedDict[tuple[object, ...], tuple[int, object]] = OrderedDict()
        self._cache_weight = 0
        self._lock = threading.Lock()

    # -- exact and prefix lookups -------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self._set

    def contains(self, word: str) -> bool:
        """Whether `word` is in the vocabulary."""
        return word in self._set

    def index(self, word: str) -> int:
        """Position of `word` in the sorted list; KeyError if absent."""
        i = bisect.bisect_left(self.words, word)
        if i == len(self.words) or self.words[i] != word:
            raise KeyError(word)
        return i

    def prefix_range(self, prefix: str, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
        """Half-open index range of the words starting with `prefix` (the prefix itself included
        when it is a word), optionally searched within `lo:hi`."""
        words = self.words
        if hi is None:
            hi = len(words)
        start = bisect.bisect_left(words, prefix, lo, hi)
        successor = _successor(prefix)
        if successor is None:  # prefix is empty or all U+10FFFF: compare truncations instead
            n = len(prefix)
            end = bisect.bisect_right(words, prefix, start, hi, key=lambda w: w[:n])
        else:
            end = bisect.bisect_left(words, successor, start, hi)
        return start, end

    def with_prefix(self, prefix: str, limit: int | None = None) -> list[str]:
        """Words starting with `prefix`, in lexicographic order, at most `limit` of them. The
        prefix itself is included when it is a word (prefix *derivations*, ranking.md §3.3, are
        the others)."""
        lo, hi = self.prefix_range(prefix)
        if limit is not None:
            hi = min(hi, lo + max(limit, 0))
        return self.words[lo:hi]

    def preceders(self, second: str) -> tuple[str, ...]:
        """The first chars `c` such that some word starts with `c + second`."""
        return self._preceders.get(second, ())

    def first_char_range(self, char: str) -> tuple[int, int]:
        """Index range of the words whose first char is `char` (empty range if none)."""
        return self._buckets.get(char, (0, 0))

    def typo_derivations(self, word: str, budget: int, is_prefix: bool) -> "Derivations":
        """One- and two-typo derivations of a query word (ranking.md §3.2); see
        `engine.search.typos.typo_derivations`."""
        from .typos import typo_derivations

        return typo_derivations(self, word, budget, is_prefix)

    # -- per-bucket candidate arrays for typo search ---------------------------------------------

    def words_of_length(self, first: str, length: int) -> tuple[list[str], np.ndarray]:
        """Words starting with `first` that are `length` chars long, with their indexes."""
        return self._cached(("len", first, length), lambda: self._words_of_length(first, length))

    def depth_candidates(self, first: str, depth: int,
                         min_len: int) -> tuple[list[str], np.ndarray, np.ndarray]:
        """What a prefix query must be compared with, in the `first` bucket: the distinct
        truncations ``w[:depth]`` of the words at least `depth` long (trie nodes at that depth),
        and the words of `min_len` to `depth - 1` chars, merged in lexicographic order. Each
        candidate comes with the half-open index range of the words it stands for (all the words
        under the node; the word alone for a short word)."""
        return self._cached(("depth", first, depth, min_len),
                            lambda: self._depth_candidates(first, depth, min_len))

    def _cached(self, key: tuple[object, ...], build: Callable[[], Any]) -> Any:
        """LRU cache weighted by candidate count. Concurrent readers share it; building happens
        outside the lock, so two readers may build the same array once each."""
        cache = self._cache
        with self._lock:
            hit = cache.get(key)
            if hit is not None:
                cache.move_to_end(key)
                return hit[1]
        value = build()
        weight = len(value[0]) + 1
        with self._lock:
            if key not in cache:
                cache[key] = (weight, value)
                self._cache_weight += weight
            while self._cache_weight > CANDIDATE_CACHE_BUDGET and len(cache) > 1:
                self._cache_weight -= cache.popitem(last=False)[1][0]
        return value

    def _two_char_prefixes(self) -> dict[str, tuple[str, ...]]:
        """second char -> first chars, from the trie nodes at depth 2 (one per new 2-char prefix)."""
        out: dict[str, list[str]] = {}
        words = self.words
        for i in np.flatnonzero((self._lcp < 2) & (self._lens >= 2)).tolist():
            out.setdefault(words[i][1], []).append(words[i][0])
        return {second: tuple(firsts) for second, firsts in out.items()}

    def _words_of_length(self, first: str, length: int) -> tuple[list[str], np.ndarray]:
        lo, hi = self.first_char_range(first)
        idx = (np.flatnonzero(self._lens[lo:hi] == length) + lo).astype(np.int32)
        words = self.words
        return [words[i] for i in idx.tolist()], idx

    def _depth_candidates(self, first: str, depth: int,
                          min_len: int) -> tuple[list[str], np.ndarray, np.ndarray]:
        lo, hi = self.first_char_range(first)
        lens = self._lens[lo:hi]
        # A word whose shared prefix with its predecessor is shorter than `depth` starts a new
        # depth-`depth` group (a short word always does, and so does the word after it).
        bounds = np.flatnonzero(self._lcp[lo:hi] < depth)
        nodes = bounds[lens[bounds] >= depth]
        ends = np.append(bounds, hi - lo)[np.searchsorted(bounds, nodes, side="right")]
        short = np.flatnonzero((lens >= min_len) & (lens < depth))
        starts = np.concatenate([nodes, short])
        stops = np.concatenate([ends, short + 1])
        order = np.argsort(starts, kind="stable")
        starts = (starts[order] + lo).astype(np.int32)
        stops = (stops[order] + lo).astype(np.int32)
        words = self.words
        return [words[i][:depth] for i in starts.tolist()], starts, stops


def _check_sorted_distinct(words: list[str]) -> None:
    for a, b in zip(words, words[1:]):
        if not a < b:
            raise ValueError(f"Lexicon words must be sorted and distinct: {a!r} before {b!r}")
    if words and not words[0]:
        raise ValueError("Lexicon words must not be empty")


def _first_char_buckets(words: list[str]) -> dict[str, tuple[int, int]]:
    """first char -> index range, found by hopping over whole buckets with bisection."""
    buckets: dict[str, tuple[int, int]] = {}
    i, n = 0, len(words)
    while i < n:
        char = words[i][0]
        j = n if ord(char) == _MAX_CODE_POINT else bisect.bisect_left(words, chr(ord(char) + 1), i)
        buckets[char] = (i, j)
        i = j
    return buckets


def _successor(prefix: str) -> str | None:
    """Smallest string greater than every string starting with `prefix` (None if unbounded)."""
    stripped = prefix.rstrip(chr(_MAX_CODE_POINT))
    if not stripped:
        return None
    return stripped[:-1] + chr(ord(stripped[-1]) + 1)
