"""Position buckets: the coarse position a word's exact position falls into (ranking.md §1.3).

The word-position and exactness rules compare positions by bucket.  Indexing and search both
import them from here, neither from the other.
"""
from __future__ import annotations

import numpy as np


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
