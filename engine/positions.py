"""Word positions: where each word of a field sits, and the coarse bucket a position falls into.

The idea (ranking.md §1.3): the words of a field are numbered in reading order, +1 across soft
separators, +8 across hard ones (a sentence end) and +8 again from one value of the field to the
next, so that "near each other" can be read back from the index.  `FieldPositions` is the only
code that applies this rule.  The tokenizer's paths merely cut a value into *sentences* (the runs
of words between hard separators) and hand them over, so the fast indexing path and the general
token walk cannot drift apart::

    "a b. c" , "d"   ->   sentences [a b] [c] | [d]   ->   positions 0 1 9 | 17

Buckets (`position_bucket`, `bucket_of`) coarsen positions for the word-position and exactness
rules.  Indexing and search both import from here, neither from the other.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from .limits import (
    HARD_SEPARATOR_POSITION_GAP,
    MAX_POSITION_PER_ATTRIBUTE,
    MAX_WORD_BYTES,
)

# A word of at most this many chars is at most 4 bytes per char under MAX_WORD_BYTES: no encoding.
_SURELY_SHORT_CHARS = MAX_WORD_BYTES // 4


class IndexedField(NamedTuple):
    """The indexed words of one field of one document, in order, with their positions."""

    words: list[str]
    positions: list[int]

    @property
    def word_count(self) -> int:
        """Number of indexed words (stop words excluded), for `field -> word count -> docids`."""
        return len(self.words)


class FieldPositions:
    """The position rule, applied to the values of one field as the tokenizer cuts them.

    For each value in order: `begin_value`, then the value's *sentences* (its runs of words
    between hard separators) to `sentences` or, when every word is known to be indexable as it
    is, to `plain_sentences`; `indexed` gives the result.  Within a sentence words take
    consecutive positions (soft separators between them); a sentence starts 8 after the last
    position of the previous one, the value's first at the value's start.  A value starts at 0,
    then 8 after the last word the previous value *indexed* (after its start if it indexed
    nothing).  Stop words (``None``) take a position without being indexed; so do words that are
    blank or longer than 250 bytes.  Positions from ``max_position`` on are dropped.

        >>> field = FieldPositions()
        >>> field.begin_value(), field.sentences([["a", "b"], [], ["c"]])
        (True, [range(0, 2), range(9, 10)])
        >>> field.begin_value(), field.sentences([[None, "d"]])
        (True, [range(17, 19)])
        >>> field.indexed()
        IndexedField(words=['a', 'b', 'c', 'd'], positions=[0, 1, 9, 18])
    """

    __slots__ = ("_anchor", "_next", "max_position", "positions", "words")

    def __init__(self, max_position: int = MAX_POSITION_PER_ATTRIBUTE) -> None:
        self.max_position = max_position
        self.words: list[str] = []
        self.positions: list[int] = []
        self._anchor: int | None = None  # the next value starts 8 after it (None: first value)
        self._next = 0                   # position of the next sentence's first word

    def begin_value(self) -> bool:
        """Start the next value of the field; False when it starts beyond ``max_position`` (skip it)."""
        start = 0 if self._anchor is None else self._anchor + HARD_SEPARATOR_POSITION_GAP
        self._anchor = self._next = start
        return start < self.max_position

    def _place(self, count: int) -> range:
        """Positions of the next sentence, of ``count`` > 0 words, cut at ``max_position``."""
        first = self._next
        end = first + count
        self._next = end + (HARD_SEPARATOR_POSITION_GAP - 1)
        return range(first, end if end <= self.max_position else self.max_position)  # min() costs a call

    def sentences(self, sentences: Iterable[Sequence[str | None]]) -> list[range]:
        """Place one value's sentences of lemmas (``None`` = stop word), index what is indexable.

        Returns the positions of each non-empty sentence (fewer than its words when cut by the
        limit), so a caller holding tokens can pair them with their positions.
        """
        words, positions = self.words, self.positions
        ranges = []
        for lemmas in sentences:
            if not lemmas:
                continue
            placed = self._place(len(lemmas))
            ranges.append(placed)
            for lemma, position in zip(lemmas, placed):
                if lemma is None:
                    continue
                lemma = lemma.strip()
                if lemma and (len(lemma) <= _SURELY_SHORT_CHARS or len(lemma.encode()) <= MAX_WORD_BYTES):
                    words.append(lemma)
                    positions.append(position)
                    self._anchor = position
        return ranges

    def plain_sentences(self, sentences: Iterable[list[str]]) -> None:
        """`sentences` for words known to be indexable as they are (no stop word, none blank or
        too long): the fast path, no Python loop over words."""
        for words in sentences:
            if words:
                placed = self._place(len(words))
                if placed:
                    self.words += words if len(placed) == len(words) else words[:len(placed)]
                    self.positions += placed
                    self._anchor = placed[-1]

    def indexed(self) -> IndexedField:
        return IndexedField(self.words, self.positions)


# --------------------------------------------------------------------------------------------------
# Position buckets
# --------------------------------------------------------------------------------------------------

def _bucket_formula(p: np.ndarray) -> np.ndarray:
    powers = np.left_shift(1, np.ceil(np.log2(np.maximum(p, 1))).astype(np.int64))
    return np.where(p < 16, p, np.where(p < 24, 24, powers))


_BUCKETS = _bucket_formula(np.arange(1 << 16, dtype=np.int64))


def position_bucket(positions: np.ndarray) -> np.ndarray:
    """ranking.md §1.3: p below 16 as is, 16-23 -> 24, then the next power of two (32, 64...).

    Positions are < 65536, so this is one gather from a precomputed table.
    """
    return _BUCKETS[np.asarray(positions, dtype=np.int64) & 0xFFFF]


def bucket_of(position: int) -> int:
    """`position_bucket` of one position, without numpy."""
    if position < 16:
        return position
    if position < 24:
        return 24
    return 1 << (position - 1).bit_length()
