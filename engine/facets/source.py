"""`LmdbFacetSource`: the filter evaluator's `FacetSource` over the facet table of one index.

Ranges are cursor walks over keys that sort like their values (numbers through `f64_key`,
strings as UTF-8 bytes = code-point order); each step ORs one stored bitmap, so the cost is the
number of distinct values in the range, never the number of documents.
"""
from __future__ import annotations

import struct
from typing import Iterable, Iterator

import lmdb
import numpy as np
from pyroaring import BitMap

from ..indexer.keys import f64_from_key, f64_key, facet_key, facet_prefix
from ..store import Store
from ..store.codecs import bitmap_loads, u32

_EMPTY = BitMap()
_GEO = struct.Struct(">dd")


class LmdbFacetSource:
    def __init__(self, store: Store, txn: lmdb.Transaction, iid: int, all_docids: BitMap):
        self.txn, self.iid, self._all = txn, iid, all_docids
        self.db = store.i["facets"]

    def all_docids(self) -> BitMap:
        return self._all

    def _get(self, key: bytes) -> BitMap:
        raw = self.txn.get(key, db=self.db)
        return bitmap_loads(raw) if raw is not None else _EMPTY

    def _walk(self, prefix: bytes, low: bytes | None, low_inclusive: bool, high: bytes | None,
              high_inclusive: bool) -> Iterator[tuple[bytes, memoryview]]:
        cursor = self.txn.cursor(self.db)
        start = prefix + (low or b"")
        if not cursor.set_range(start):
            return
        n = len(prefix)
        for key, value in cursor:
            if key[:n] != prefix:
                return
            part = key[n:]
            if low is not None and not low_inclusive and part == low:
                continue
            if high is not None and (part > high or (part == high and not high_inclusive)):
                return
            yield part, value

    def number_range(self, field: str, low: float | None, low_inclusive: bool,
                     high: float | None, high_inclusive: bool) -> BitMap:
        prefix = facet_prefix(self.iid, b"N", field)
        parts = [bitmap_loads(v) for _k, v in self._walk(prefix, f64_key(low) if low is not None else None,
                                                           low_inclusive, f64_key(high) if high is not None else None,
                                                           high_inclusive)]
        return BitMap.union(*parts) if parts else BitMap()

    def string_equal(self, field: str, normalized: str) -> BitMap:
        return self._get(facet_key(self.iid, b"S", field, normalized.encode()))

    def string_range(self, field: str, low: str | None, low_inclusive: bool,
                     high: str | None, high_inclusive: bool) -> BitMap:
        prefix = facet_prefix(self.iid, b"S", field)
        parts = [bitmap_loads(v) for _k, v in self._walk(prefix, low.encode() if low is not None else None,
                                                           low_inclusive, high.encode() if high is not None else None,
                                                           high_inclusive)]
        return BitMap.union(*parts) if parts else BitMap()

    def string_values(self, field: str) -> Iterable[tuple[str, BitMap]]:
        prefix = facet_prefix(self.iid, b"S", field)
        for part, value in self._walk(prefix, None, True, None, True):
            yield bytes(part).decode(), bitmap_loads(value)

    def number_values(self, field: str) -> Iterable[tuple[float, BitMap]]:
        prefix = facet_prefix(self.iid, b"N", field)
        for part, value in self._walk(prefix, None, True, None, True):
            yield f64_from_key(bytes(part)), bitmap_loads(value)

    def display_value(self, field: str, normalized: str) -> str:
        raw = self.txn.get(facet_key(self.iid, b"D", field, normalized.encode()), db=self.db)
        return bytes(raw[4:]).decode() if raw is not None else normalized

    def exists(self, field: str) -> BitMap:
        return self._get(facet_key(self.iid, b"E", field))

    def is_null(self, field: str) -> BitMap:
        return self._get(facet_key(self.iid, b"U", field))

    def is_empty(self, field: str) -> BitMap:
        return self._get(facet_key(self.iid, b"M", field))

    def geo_points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        prefix = u32(self.iid) + b"G"
        docids, lats, lngs = [], [], []
        cursor = self.txn.cursor(self.db)
        if cursor.set_range(prefix):
            for key, value in cursor:
                if key[:5] != prefix:
                    break
                docids.append(struct.unpack(">I", key[5:9])[0])
                lat, lng = _GEO.unpack(value)
                lats.append(lat)
                lngs.append(lng)
        return (np.array(docids, dtype=np.uint32), np.array(lats, dtype=np.float64), np.array(lngs, dtype=np.float64))


__all__ = ["LmdbFacetSource"]
