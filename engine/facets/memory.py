"""``FacetSource`` over a list of documents held in memory (docid = position in the list).

It is the reference the LMDB facet store is checked against, so it is built the simple way:
flatten each document (``flatten_facet_values``), then keep per field a sorted array of
distinct numbers, a sorted list of distinct normalized strings, each with its bitmap, and the
exists / null / empty bitmaps.  Range queries bisect those sorted keys and union the bitmaps —
no loop over documents.

    >>> source = MemoryFacetSource([{"price": 3}, {"price": "3"}, {"price": 10}])
    >>> list(source.number_range("price", 3, True, None, False)), list(source.string_equal("price", "3"))
    ([0, 2], [1])
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
from pyroaring import BitMap

from .values import facet_number, flatten_facet_values


@dataclass
class _FieldIndex:
    numbers: dict[float, BitMap] = field(default_factory=dict)
    strings: dict[str, BitMap] = field(default_factory=dict)
    exists: BitMap = field(default_factory=BitMap)
    null: BitMap = field(default_factory=BitMap)
    empty: BitMap = field(default_factory=BitMap)
    # frozen views, built once after loading
    number_keys: np.ndarray | None = None
    number_bitmaps: list[BitMap] = field(default_factory=list)
    string_keys: list[str] = field(default_factory=list)
    string_bitmaps: list[BitMap] = field(default_factory=list)

    def freeze(self) -> None:
        keys = sorted(self.numbers)
        self.number_keys = np.array(keys, dtype=np.float64)
        self.number_bitmaps = [self.numbers[k] for k in keys]
        self.string_keys = sorted(self.strings)
        self.string_bitmaps = [self.strings[k] for k in self.string_keys]


_EMPTY = BitMap()


def _union(bitmaps: list[BitMap]) -> BitMap:
    return BitMap.union(*bitmaps) if bitmaps else BitMap()


class MemoryFacetSource:
    """Facet bitmaps of ``docs``; every dotted path of every document is indexed."""

    def __init__(self, docs: Iterable[dict[str, Any]]):
        self.fields: dict[str, _FieldIndex] = {}
        self.originals: dict[str, dict[int, list[str]]] = {}
        geo_ids: list[int] = []
        geo_lat: list[float] = []
        geo_lng: list[float] = []
        count = 0
        for docid, doc in enumerate(docs):
            count += 1
            for path, facets in flatten_facet_values(doc).items():
                index = self.fields.get(path)
                if index is None:
                    index = self.fields[path] = _FieldIndex()
                index.exists.add(docid)
                if facets.null:
                    index.null.add(docid)
                if facets.empty:
                    index.empty.add(docid)
                for number in facets.numbers:
                    index.numbers.setdefault(number, BitMap()).add(docid)
                for original, normalized in facets.strings:
                    index.strings.setdefault(normalized, BitMap()).add(docid)
                    self.originals.setdefault(path, {}).setdefault(docid, []).append(original)
            point = _geo_point(doc.get("_geo"))
            if point is not None:
                geo_ids.append(docid)
                geo_lat.append(point[0])
                geo_lng.append(point[1])
        for index in self.fields.values():
            index.freeze()
        self._all = BitMap(range(count))
        self._geo = (np.array(geo_ids, dtype=np.uint32), np.array(geo_lat, dtype=np.float64),
                     np.array(geo_lng, dtype=np.float64))

    def all_docids(self) -> BitMap:
        return self._all

    def number_range(self, field: str, low: float | None, low_inclusive: bool,
                     high: float | None, high_inclusive: bool) -> BitMap:
        index = self.fields.get(field)
        if index is None or index.number_keys is None or not len(index.number_keys):
            return BitMap()
        keys = index.number_keys
        start = 0 if low is None else int(np.searchsorted(keys, low, side="left" if low_inclusive else "right"))
        stop = len(keys) if high is None else int(np.searchsorted(keys, high, side="right" if high_inclusive else "left"))
        return _union(index.number_bitmaps[start:stop]) if start < stop else BitMap()

    def string_equal(self, field: str, normalized: str) -> BitMap:
        index = self.fields.get(field)
        return index.strings.get(normalized, _EMPTY) if index is not None else _EMPTY

    def string_range(self, field: str, low: str | None, low_inclusive: bool,
                     high: str | None, high_inclusive: bool) -> BitMap:
        index = self.fields.get(field)
        if index is None:
            return BitMap()
        keys = index.string_keys
        start = 0 if low is None else (bisect.bisect_left if low_inclusive else bisect.bisect_right)(keys, low)
        stop = len(keys) if high is None else (bisect.bisect_right if high_inclusive else bisect.bisect_left)(keys, high)
        return _union(index.string_bitmaps[start:stop]) if start < stop else BitMap()

    def string_values(self, field: str) -> Iterable[tuple[str, BitMap]]:
        index = self.fields.get(field)
        if index is None:
            return ()
        return zip(index.string_keys, index.string_bitmaps)

    def exists(self, field: str) -> BitMap:
        index = self.fields.get(field)
        return index.exists if index is not None else _EMPTY

    def is_null(self, field: str) -> BitMap:
        index = self.fields.get(field)
        return index.null if index is not None else _EMPTY

    def is_empty(self, field: str) -> BitMap:
        index = self.fields.get(field)
        return index.empty if index is not None else _EMPTY

    def geo_points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._geo


def _geo_point(value: Any) -> tuple[float, float] | None:
    """``{"lat": …, "lng": …}`` with numbers or numeric strings; anything else is ignored here."""
    if not isinstance(value, dict):
        return None
    lat, lng = _coordinate(value.get("lat")), _coordinate(value.get("lng"))
    if lat is None or lng is None:
        return None
    return lat, lng


def _coordinate(value: Any) -> float | None:
    if isinstance(value, str):
        return facet_number(value.strip())
    return facet_number(value)
