"""Facet postings for filterable, sortable, distinct and custom-ranking fields.

Per faceted path (filters-facets.md §1): numeric values, normalized string values (with a
display spelling), and the exists / null / empty bitmaps; plus `_geo` points.  Like the word
indexer, changes are collected per batch as (key -> docids added / removed) and applied once.
"""
from __future__ import annotations

import itertools
import struct
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterable, Iterator, Sequence

import lmdb
import numpy as np
import orjson
from pyroaring import BitMap

from ..facets.values import facet_number, flatten_facet_values, normalize_facet_string
from ..facets.filterable import FilterableRules
from ..facets.memory import _geo_point
from ..store import Store
from ..store.codecs import bitmap_loads, index_key, u32
from .base import IndexContext
from .fields import select_keys
from .keys import f64_key, facet_key
from .words import stable_order

_GEO = struct.Struct(">dd")


def faceted_predicate(settings: dict[str, Any]) -> Callable[[str], bool]:
    """Which dotted paths get facet postings under these settings."""
    rules = FilterableRules(settings.get("filterableAttributes") or [])
    roots = set(settings.get("sortableAttributes") or [])
    if settings.get("distinctAttribute"):
        roots.add(settings["distinctAttribute"])
    for rule in settings.get("rankingRules") or []:
        field, colon, order = rule.rpartition(":")
        if colon and order in ("asc", "desc"):
            roots.add(field)
    cache: dict[str, bool] = {}

    def is_faceted(path: str) -> bool:
        known = cache.get(path)
        if known is None:
            known = rules.match(path) is not None or any(path == r or path.startswith(r + ".") for r in roots)
            cache[path] = known
        return known

    return is_faceted


def top_level_predicate(settings: dict[str, Any]) -> Callable[[str], bool]:
    """Could a top-level key hold a faceted path?  Lets extraction skip unrelated fields."""
    patterns: list[str] = []
    for rule in settings.get("filterableAttributes") or []:
        patterns.extend([rule] if isinstance(rule, str) else rule.get("attributePatterns") or [])
    patterns += list(settings.get("sortableAttributes") or [])
    if settings.get("distinctAttribute"):
        patterns.append(settings["distinctAttribute"])
    patterns += [r.rpartition(":")[0] for r in settings.get("rankingRules") or [] if r.endswith((":asc", ":desc"))]

    def could(key: str) -> bool:
        for pattern in patterns:
            if pattern.startswith("*") or pattern == key or pattern.startswith(key + ".") or \
                    key.startswith(pattern.rstrip("*")) or (pattern.endswith("*") and pattern[:-1].startswith(key)):
                return True
        return False

    return could


FACETED_PATHS = "faceted_paths"
_VALUE_CACHE_MAX = 1 << 20  # memoised (path, raw value) -> key entries per batch


class FacetExtractor:
    """The facet table keys one document sets: a pure function of (document, settings).

    ``keys(document)`` returns the keys and the (key, original spelling) pairs of its string
    values, in document order; kept apart from `FacetIndexer` so that a helper process can run
    `extract` on part of a batch (see `parallel.py`).
    """

    def __init__(self, iid: int, settings: dict[str, Any]):
        self.iid = iid
        self.is_faceted = faceted_predicate(settings)
        self.could_be_faceted = top_level_predicate(settings)
        self._relevant: dict[str, bool] = {}
        self.paths: set[str] = set()
        self._keys_cache: dict[tuple[bytes, str, Any], bytes] = {}
        self._path_keys: dict[str, tuple[bytes, ...]] = {}
        self._value_keys: dict[tuple[str, Any], bytes] = {}

    def keys(self, document: dict[str, Any]) -> tuple[set[bytes], list[tuple[bytes, str]]]:
        keys: set[bytes] = set()
        display: list[tuple[bytes, str]] = []
        document = select_keys(document, self._relevant, self.could_be_faceted)
        nested = {}
        for field, value in document.items():
            if not self._flat_keys(field, value, keys, display):
                nested[field] = value
        if nested:
            self._general_keys(nested, keys, display)
        return keys, display

    def _flat_keys(self, path: str, value: Any, keys: set[bytes], display: list[tuple[bytes, str]]) -> bool:
        """Fast path for a top-level scalar or array of scalars; False = use the general walk.

        Keys are memoised per (path, raw value), so a repeated value costs one dict lookup.
        """
        if isinstance(value, list):
            items = value
            for item in items:
                if isinstance(item, (dict, list)) or (isinstance(item, str) and not item.strip()):
                    return False
        elif isinstance(value, dict) or (isinstance(value, str) and not value.strip()):
            return False
        else:
            items = (value,)
        fixed = self._path_keys.get(path)
        if fixed is None:
            fixed = self._path_keys[path] = self._fixed_keys(path)
        if not fixed:
            return True
        keys.add(fixed[0])
        if value is None:
            keys.add(fixed[1])
            return True
        if items is value and not value:
            keys.add(fixed[2])
            return True
        cache = self._value_keys
        for item in items:
            if item is None:
                continue
            if item is True or item is False:
                keys.add(self._key(b"S", path, "true" if item else "false"))
                continue
            key = cache.get((path, item))
            if key is None:
                key = self._value_key(path, item)
                if len(cache) < _VALUE_CACHE_MAX:
                    cache[(path, item)] = key
            if key:
                keys.add(key)
                if isinstance(item, str):
                    display.append((key, item))
        return True

    def _fixed_keys(self, path: str) -> tuple[bytes, bytes, bytes] | tuple[()]:
        """(exists, null, empty) keys of a faceted path; () when the path is not faceted."""
        if not self.is_faceted(path):
            return ()
        self.paths.add(path)
        return self._key(b"E", path, ""), self._key(b"U", path, ""), self._key(b"M", path, "")

    def _value_key(self, path: str, item: Any) -> bytes:
        """Key of one scalar (not bool, not None); b"" for a number that is no facet value."""
        if isinstance(item, (int, float)):
            number = facet_number(item)
            return self._key(b"N", path, number) if number is not None else b""
        return self._key(b"S", path, normalize_facet_string(item))

    def _general_keys(self, document: dict[str, Any], keys: set[bytes], display: list[tuple[bytes, str]]) -> None:
        for path, facets in flatten_facet_values(document).items():
            if not self.is_faceted(path):
                continue
            self.paths.add(path)
            keys.add(self._key(b"E", path, ""))
            if facets.null:
                keys.add(self._key(b"U", path, ""))
            if facets.empty:
                keys.add(self._key(b"M", path, ""))
            for number in facets.numbers:
                keys.add(self._key(b"N", path, number))
            for original, normalized in facets.strings:
                key = self._key(b"S", path, normalized)
                keys.add(key)
                display.append((key, original))

    def _key(self, tag: bytes, path: str, value: Any) -> bytes:
        """Facet table keys, memoised: the same few values (sections, tags...) repeat across documents."""
        cache_key = (tag, path, value)
        key = self._keys_cache.get(cache_key)
        if key is None:
            raw = f64_key(value) if tag == b"N" else (value.encode() if value else b"")
            key = self._keys_cache[cache_key] = facet_key(self.iid, tag, path, raw)
        return key

    def extract(self, documents: Sequence[dict[str, Any]], lo: int, hi: int) -> FacetChunk:
        """The keys and display spellings of ``documents[lo:hi]``, per document."""
        doc_keys, doc_display = [], []
        for document in documents[lo:hi]:
            keys, display = self.keys(document)
            doc_keys.append(tuple(keys))
            doc_display.append(tuple(display))
        return FacetChunk(lo, doc_keys, doc_display, set(self.paths))


@dataclass
class FacetChunk:
    """The facet keys of documents ``lo:hi`` of a batch, per document.

    Keys are the extractor's memoised bytes objects, so pickling (which memoises by identity)
    sends each distinct key once however many documents share it.
    """

    lo: int
    doc_keys: list[tuple[bytes, ...]]
    doc_display: list[tuple[tuple[bytes, str], ...]]
    paths: set[str]


def _grouped(ids: np.ndarray, values: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """(id, values of rows with that id) for each distinct id, values kept in row order."""
    if not len(ids):
        return iter(())
    order = stable_order(ids)
    ids, values = ids[order], values[order]
    bounds = np.flatnonzero(np.diff(ids)) + 1
    starts = np.concatenate(([0], bounds)).tolist()
    ends = np.concatenate((bounds, [len(ids)])).tolist()
    return zip(ids[starts].tolist(), (values[a:e] for a, e in zip(starts, ends)))


class _AppliedFacets:
    """A `FacetChunk` being applied: docid per document (-1: none / superseded) and change order."""

    def __init__(self, chunk: FacetChunk):
        self.chunk = chunk
        n = len(chunk.doc_keys)
        self.docids = np.full(n, -1, dtype=np.int64)
        self.shown_docids = np.full(n, -1, dtype=np.int64)  # superseded versions still offer a spelling
        self.seqs = np.zeros(n, dtype=np.int64)

    def merge_keys(self, added: dict[bytes, BitMap]) -> None:
        keys = list(itertools.chain.from_iterable(self.chunk.doc_keys))
        if not keys:
            return
        docids = np.repeat(self.docids, np.fromiter(map(len, self.chunk.doc_keys), dtype=np.int64,
                                                    count=len(self.chunk.doc_keys)))
        ids: dict[bytes, int] = {}
        kids = np.fromiter((ids.setdefault(k, len(ids)) for k in keys), dtype=np.int64, count=len(keys))
        keep = docids >= 0
        names = list(ids)
        for kid, docs in _grouped(kids[keep], docids[keep]):
            # one add() per docid, like documents applied one by one: a bitmap built another way
            # (add_many, run-optimized) can serialize differently once merged with a stored one
            deque(map(added[names[kid]].add, docs.tolist()), maxlen=0)

    def merge_display(self, display: dict[bytes, tuple[int, int, str]]) -> None:
        rows = list(itertools.chain.from_iterable(self.chunk.doc_display))
        if not rows:
            return
        j = np.repeat(np.arange(len(self.chunk.doc_display), dtype=np.int64),
                      np.fromiter(map(len, self.chunk.doc_display), dtype=np.int64, count=len(self.chunk.doc_display)))
        docids, seqs = self.shown_docids[j], self.seqs[j]
        ids: dict[bytes, int] = {}
        kids = np.fromiter((ids.setdefault(k, len(ids)) for k, _ in rows), dtype=np.int64, count=len(rows))
        shown = docids >= 0
        # per key the row with the lowest (docid, seq), first row on ties: one lexsort
        order = np.lexsort((np.arange(len(rows)), seqs, docids, kids))
        order = order[shown[order]]
        if not len(order):
            return
        first = np.ones(len(order), dtype=bool)
        first[1:] = kids[order][1:] != kids[order][:-1]
        names = list(ids)
        for row in order[first].tolist():
            key = names[kids[row]]
            docid, seq = int(docids[row]), int(seqs[row])
            current = display.get(key)
            if current is None or (docid, seq) < current[:2]:
                display[key] = (docid, seq, rows[row][1])


class FacetIndexer:
    """Facet postings of one index, updated by the deltas of a batch (see the module docstring)."""

    tables: ClassVar[tuple[str, ...]] = ("facets",)

    def __init__(self, store: Store, txn: lmdb.Transaction, iid: int, settings: dict[str, Any],
                 fresh: bool = False):
        self.store, self.txn, self.iid = store, txn, iid
        self.fresh = fresh  # no facet entries stored yet for this index: every read can be skipped
        self.db = store.i["facets"]
        self.extractor = FacetExtractor(iid, settings)
        self.is_faceted = self.extractor.is_faceted
        self.added: dict[bytes, BitMap] = defaultdict(BitMap)
        self.removed: dict[bytes, BitMap] = defaultdict(BitMap)
        # display spelling per string key: (docid, order of the change, original); lowest wins
        self.display: dict[bytes, tuple[int, int, str]] = {}
        self._seq = 0
        self.chunks: list[_AppliedFacets] = []
        self.geo: dict[int, tuple[float, float] | None] = {}
        self.paths = self.extractor.paths
        self.pending: dict[int, Any] = {}  # docid -> its keys, or (chunk, j) when extracted

    @classmethod
    def from_context(cls, context: IndexContext) -> FacetIndexer:
        return cls(context.store, context.txn, context.iid, context.settings, fresh=context.fresh)

    def _keys(self, docid: int, document: dict[str, Any], record_display: bool) -> set[bytes]:
        keys, display = self.extractor.keys(document)
        if record_display:
            self._record_display(docid, display)
        return keys

    def _record_display(self, docid: int, display: Iterable[tuple[bytes, str]]) -> None:
        """The display spelling of a string value is the one of its lowest docid (first seen on ties)."""
        seq = self._seq
        self._seq += 1
        for key, original in display:
            current = self.display.get(key)
            if current is None or docid < current[0]:
                self.display[key] = (docid, seq, original)

    def on_change(self, docid: int, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        if old is not None:
            pending = self.pending.pop(docid, ())  # changed twice in this batch
            if isinstance(pending, tuple) and pending and isinstance(pending[0], _AppliedFacets):
                pending[0].docids[pending[1]] = -1
            else:
                for key in pending:
                    self.added[key].discard(docid)
            for key in self._keys(docid, old, False):
                self.removed[key].add(docid)
            if "_geo" in old:
                self.geo[docid] = None
        if new is not None:
            keys = self._keys(docid, new, True)
            for key in keys:
                self.added[key].add(docid)
            self.pending[docid] = keys
            if "_geo" in new and self.is_faceted("_geo"):
                self.geo[docid] = _geo_point(new["_geo"])

    def on_change_extracted(self, docid: int, old: dict[str, Any] | None, new: dict[str, Any],
                            chunk: _AppliedFacets, j: int) -> None:
        """`on_change` for a new version whose keys were extracted (document ``j`` of ``chunk``).

        Only the docid and the order are noted here; keys and display spellings are merged per
        chunk with numpy at `finish` (`_merge_chunks`).
        """
        if old is not None:
            self.on_change(docid, old, None)
        chunk.docids[j] = chunk.shown_docids[j] = docid
        chunk.seqs[j] = self._seq
        self._seq += 1
        self.pending[docid] = (chunk, j)
        if "_geo" in new and self.is_faceted("_geo"):
            self.geo[docid] = _geo_point(new["_geo"])

    def add_chunk(self, chunk: FacetChunk) -> _AppliedFacets:
        self.paths |= chunk.paths
        applied = _AppliedFacets(chunk)
        self.chunks.append(applied)
        return applied

    def _merge_chunks(self) -> None:
        """Keys and display spellings of the extracted documents, as if applied one by one."""
        for chunk in self.chunks:
            chunk.merge_keys(self.added)
            chunk.merge_display(self.display)
        self.chunks = []

    def finish(self) -> None:
        self._merge_chunks()
        self._record_paths()
        if self.fresh:
            self._finish_fresh()
            return
        strings: dict[bytes, BitMap] = {}
        for key in set(self.added) | set(self.removed):
            raw = self.txn.get(key, db=self.db)
            bm = self._merged(key, bitmap_loads(raw) if raw is not None else BitMap())
            if bm:
                self.txn.put(key, bm.serialize(), db=self.db)
                if key[4:5] == b"S":
                    strings[key] = bm
            else:
                self.txn.delete(key, db=self.db)
                if key[4:5] == b"S":
                    self.txn.delete(key[:4] + b"D" + key[5:], db=self.db)
        for key in self.display.keys() - strings.keys():
            raw = self.txn.get(key, db=self.db)  # a spelling seen again for an unchanged value
            if raw is not None:
                strings[key] = bitmap_loads(raw)
        for key, docs in strings.items():
            display_key = key[:4] + b"D" + key[5:]
            lowest = docs.min()
            seen = self.display.get(key)
            if seen is None or seen[0] != lowest:
                raw = self.txn.get(display_key, db=self.db)
                if raw is not None and struct.unpack(">I", raw[:4])[0] == lowest:
                    continue  # the value's lowest document still holds it, untouched
            self.txn.put(display_key, self._display_record(key, lowest), db=self.db)
        for docid, point in self.geo.items():
            key = u32(self.iid) + b"G" + u32(docid)
            if point is None:
                self.txn.delete(key, db=self.db)
            else:
                self.txn.put(key, _GEO.pack(*point), db=self.db)

    def _display_record(self, key: bytes, lowest: int) -> bytes:
        """The display spelling of a string value: the one of the lowest document holding it
        (filters-facets.md §5.3), taken from this batch when it saw that document, else read
        from the stored document (the previous holder lost the value)."""
        seen = self.display.get(key)
        if seen is not None and seen[0] == lowest:
            original = seen[2]
        else:
            original = self._stored_spelling(key, lowest)
        return struct.pack(">I", lowest) + original.encode()

    def _stored_spelling(self, key: bytes, docid: int) -> str:
        raw = self.txn.get(index_key(self.iid, u32(docid)), db=self.store.i["documents"])
        if raw is not None:
            _keys, display = self.extractor.keys(orjson.loads(raw))
            for found, original in display:
                if found == key:
                    return original
        return bytes(key[5:]).split(b"\0", 1)[-1].decode()  # the normalized value, as a last resort

    def _merged(self, key: bytes, stored: BitMap) -> BitMap:
        """A facet value's stored documents, minus this batch's removals, plus its additions."""
        if key in self.removed:
            stored -= self.removed[key]
        if key in self.added:
            stored |= self.added[key]
        if stored:
            stored.run_optimize()
        return stored

    def _finish_fresh(self) -> None:
        """Nothing stored yet for this index: no reads, one sorted bulk insert (same bytes as `finish`)."""
        pairs: list[tuple[bytes, bytes]] = []
        written: dict[bytes, BitMap] = {}
        for key in set(self.added) | set(self.removed):
            bm = self._merged(key, BitMap())
            if bm:
                pairs.append((key, bm.serialize()))
                written[key] = bm
        for key, docs in written.items():
            if key[4:5] == b"S":
                pairs.append((key[:4] + b"D" + key[5:], self._display_record(key, docs.min())))
        base = u32(self.iid) + b"G"
        for docid, point in self.geo.items():
            if point is not None:
                pairs.append((base + u32(docid), _GEO.pack(*point)))
        pairs.sort()
        self.txn.cursor(self.db).putmulti(pairs)

    def _record_paths(self) -> None:
        """Remember every faceted path ever seen (facet patterns like `doggos.*` resolve against it)."""
        if not self.paths:
            return
        from ..store.registry import meta_key
        from ..store.codecs import dumps, loads
        meta = self.store.i["index_meta"]
        key = meta_key(self.iid, FACETED_PATHS)
        raw = self.txn.get(key, db=meta)
        known = set(loads(raw)) if raw is not None else set()
        if not self.paths <= known:
            self.txn.put(key, dumps(sorted(known | self.paths)), db=meta)
