"""Facet values decoded once per index version, so filters and facet counts skip LMDB decoding.

`CachedFacetSource` answers like `LmdbFacetSource`, from per-field structures built on first use:

* numbers: values and docids as two numpy arrays sorted by value, so a range is a
  `searchsorted` slice (no bitmap unions, whatever the number of distinct values);
* strings: normalized values in order with their bitmaps, so equality is a dict lookup and a
  range a `bisect` slice.
"""
from __future__ import annotations

import bisect
import threading
from typing import Iterable

import numpy as np
from pyroaring import BitMap

from ..store.codecs import bitmap_from_array, bitmap_to_array
from .source import LmdbFacetSource

_EMPTY = BitMap()


class _Numbers:
    def __init__(self, pairs: list[tuple[float, BitMap]]):
        self.distinct = [v for v, _bm in pairs]
        self.bitmaps = [bm for _v, bm in pairs]
        lengths = [len(bm) for bm in self.bitmaps]
        self.values = np.repeat(np.array(self.distinct, dtype=np.float64), lengths) if pairs else np.empty(0)
        self.docids = (np.concatenate([bitmap_to_array(bm) for bm in self.bitmaps]) if pairs
                       else np.empty(0, dtype=np.uint32))

    def range(self, low: float | None, low_inclusive: bool, high: float | None, high_inclusive: bool) -> BitMap:
        start = 0 if low is None else np.searchsorted(self.values, low, side="left" if low_inclusive else "right")
        end = len(self.values) if high is None else np.searchsorted(self.values, high,
                                                                    side="right" if high_inclusive else "left")
        if end <= start:
            return BitMap()
        return bitmap_from_array(self.docids[start:end])  # BitMap dedups and sorts, faster than np.unique


class _Strings:
    def __init__(self, pairs: list[tuple[str, BitMap]]):
        self.values = [v for v, _bm in pairs]
        self.bitmaps = [bm for _v, bm in pairs]
        self.by_value = dict(pairs)

    def range(self, low: str | None, low_inclusive: bool, high: str | None, high_inclusive: bool) -> BitMap:
        start = 0 if low is None else (bisect.bisect_left if low_inclusive else bisect.bisect_right)(self.values, low)
        end = len(self.values) if high is None else (bisect.bisect_right if high_inclusive else bisect.bisect_left)(
            self.values, high)
        parts = self.bitmaps[start:end]
        return BitMap.union(*parts) if parts else BitMap()


class FacetCache:
    def __init__(self) -> None:
        self.numbers: dict[str, _Numbers] = {}
        self.strings: dict[str, _Strings] = {}
        self.display: dict[tuple[str, str], str] = {}
        self.lock = threading.Lock()


class CachedFacetSource(LmdbFacetSource):
    def __init__(self, store, txn, iid: int, all_docids: BitMap, cache: FacetCache):
        super().__init__(store, txn, iid, all_docids)
        self.cache = cache

    def _numbers(self, field: str) -> _Numbers:
        found = self.cache.numbers.get(field)
        if found is None:
            found = _Numbers(list(super().number_values(field)))
            with self.cache.lock:
                self.cache.numbers[field] = found
        return found

    def _strings(self, field: str) -> _Strings:
        found = self.cache.strings.get(field)
        if found is None:
            found = _Strings(list(super().string_values(field)))
            with self.cache.lock:
                self.cache.strings[field] = found
        return found

    def number_range(self, field: str, low: float | None, low_inclusive: bool,
                     high: float | None, high_inclusive: bool) -> BitMap:
        return self._numbers(field).range(low, low_inclusive, high, high_inclusive)

    def number_values(self, field: str) -> Iterable[tuple[float, BitMap]]:
        numbers = self._numbers(field)
        return zip(numbers.distinct, numbers.bitmaps)

    def string_equal(self, field: str, normalized: str) -> BitMap:
        return self._strings(field).by_value.get(normalized, _EMPTY)

    def string_range(self, field: str, low: str | None, low_inclusive: bool,
                     high: str | None, high_inclusive: bool) -> BitMap:
        return self._strings(field).range(low, low_inclusive, high, high_inclusive)

    def string_values(self, field: str) -> Iterable[tuple[str, BitMap]]:
        strings = self._strings(field)
        return zip(strings.values, strings.bitmaps)

    def display_value(self, field: str, normalized: str) -> str:
        key = (field, normalized)
        found = self.cache.display.get(key)
        if found is None:
            found = self.cache.display[key] = super().display_value(field, normalized)
        return found
