"""Word postings: word -> docids, word -> occurrences, prefix -> docids, field word counts.

`WordIndexer` receives every document change of a batch (`on_change(docid, old, new)`) and
writes deltas at `finish()`:

* additions are collected as flat lists (word, docid, fid, position) — one `extend` per field,
  no per-word Python work while tokenizing — then grouped per word with one numpy sort;
* removals (deleted or replaced documents) re-tokenize the old document to learn which words,
  prefixes and field counts lose the docid.

Per touched word the occurrence array is rewritten (old minus removed docids, plus new, sorted)
and its bitmaps are derived from it, so the tolerant/exact split always follows the current
settings.  Occurrences (``docid<<32 | fid<<16 | pos``) are what proximity, attribute, word
position and exactness read at query time; bitmaps are what words/typo and candidates use.
"""
from __future__ import annotations

import array
import itertools
import struct
import unicodedata
from collections import defaultdict, deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, ClassVar, Iterator, Sequence

import lmdb
import numpy as np
from pyroaring import BitMap

from ..limits import MAX_FIELD_WORD_COUNT, PREFIX_CACHE_MAX_PREFIX_CHARS
from ..store import Store
from ..store.codecs import bitmap_from_array, bitmap_loads, sorted_member, u32, unique_sorted
from ..tokenizer import IndexedField, tokenizer_for
from . import parallel
from .base import Completion, IndexContext
from .fields import FieldsMap, flatten_leaves, searchable_weight, select_keys
from .keys import count_key, posting_key, slot_key

Pair = tuple[bytes, bytes]  # one (key, value) of the postings table

_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_NUMERIC_CATEGORIES = frozenset({"Nd", "Nl", "No"})


@lru_cache(maxsize=4096)
def is_numberlike(word: str) -> bool:
    """Under disableOnNumbers a word of numbers and ASCII punctuation only goes to the exact set
    (ranking.md §1.3).  "Numbers" are Unicode's (`½`, `²`, `Ⅻ` too) and no digit is required, as
    upstream's ``char::is_numeric() || is_ascii_punctuation()``: ``#@#`` is exact as well."""
    return all(c in _ASCII_PUNCTUATION or (c.isnumeric() and unicodedata.category(c) in _NUMERIC_CATEGORIES)
               for c in word)


LETTER_SAMPLE_CHUNKS = 8  # chunks read to balance the fresh postings between parent and helper


def stable_order(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` for non-negative int64 values, several times faster.

    Each value is packed with its index into one int64 and the packed array sorted (no ties, so
    any sort is stable); falls back to the stable argsort when the two do not fit in 63 bits.
    """
    n = len(values)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    shift = max(1, int(n - 1).bit_length())
    if int(values.min()) < 0 or int(values.max()) >= 1 << (63 - shift):
        return np.argsort(values, kind="stable")
    packed = np.sort((values.astype(np.int64) << shift) | np.arange(n, dtype=np.int64))
    return packed & ((1 << shift) - 1)


class WordExtractor:
    """What one document indexes per searchable path: a pure function of (document, settings).

    Kept apart from `WordIndexer` (which also owns field ids and LMDB) so that a helper process
    can run `extract` on part of a batch (see `parallel.py`).
    """

    def __init__(self, settings: dict[str, Any]):
        self.tokenizer = tokenizer_for(settings)
        self.localized = settings.get("localizedAttributes") or None
        self._field_tokenizers: dict[str, Any] = {}
        self.searchable = settings.get("searchableAttributes", ["*"])
        self._searchable_cache: dict[str, bool] = {}
        self._relevant_keys: dict[str, bool] = {}

    def _is_searchable(self, path: str) -> bool:
        known = self._searchable_cache.get(path)
        if known is None:
            known = searchable_weight(path, self.searchable) is not None
            self._searchable_cache[path] = known
        return known

    def _top_level_relevant(self, key: str) -> bool:
        if "*" in self.searchable:
            return True
        return any(entry == key or entry.startswith(key + ".") or key.startswith(entry + ".")
                   for entry in self.searchable)

    def fields(self, document: dict[str, Any]) -> Iterator[tuple[str, IndexedField]]:
        """(path, indexed words) for every searchable leaf path of a document, in document order."""
        if "*" not in self.searchable:
            document = select_keys(document, self._relevant_keys, self._top_level_relevant)
        index_field, is_searchable = self.tokenizer.index_field, self._is_searchable
        for path, values in flatten_leaves(document).items():
            if is_searchable(path):
                yield path, (index_field(values) if self.localized is None else
                             self._field_tokenizer(path).index_field(values))

    def _field_tokenizer(self, path: str) -> Any:
        """The tokenizer of a field with the locales of its first localizedAttributes rule."""
        found = self._field_tokenizers.get(path)
        if found is None:
            from ..languages.localized import field_locales
            found = self._field_tokenizers[path] = self.tokenizer.with_locales(field_locales(self.localized, path))
        return found

    def extract(self, documents: Sequence[dict[str, Any]], lo: int, hi: int) -> WordChunk:
        """Tokenize the searchable fields of ``documents[lo:hi]`` (no field ids, no docids yet)."""
        words: list[str] = []
        positions: list[int] = []
        run_paths: list[int] = []
        run_docs: list[int] = []
        run_lengths: list[int] = []
        path_ids: dict[str, int] = {}
        field_offsets = [0]
        field_paths: list[int] = []
        field_counts: list[int] = []
        for j, document in enumerate(documents[lo:hi]):
            for path, indexed in self.fields(document):
                p = path_ids.get(path)
                if p is None:
                    p = path_ids[path] = len(path_ids)
                n = len(indexed.words)
                if n:
                    words += indexed.words
                    positions += indexed.positions
                    run_paths.append(p)
                    run_docs.append(j)
                    run_lengths.append(n)
                field_paths.append(p)
                field_counts.append(n)
            field_offsets.append(len(field_paths))
        vocab = _Vocabulary()
        wids = np.fromiter(map(vocab.__getitem__, words), dtype=np.int32, count=len(words))
        lengths = np.asarray(run_lengths, dtype=np.int64)
        return WordChunk(lo, list(vocab), wids, np.repeat(np.asarray(run_docs, dtype=np.int32), lengths),
                         np.repeat(np.asarray(run_paths, dtype=np.int32), lengths),
                         np.asarray(positions, dtype=np.int32), list(path_ids), field_offsets, field_paths,
                         field_counts)


class _Vocabulary(dict):
    """word -> dense id, assigned on first lookup (``map(vocab.__getitem__, words)`` stays in C)."""

    def __missing__(self, word: str) -> int:
        wid = self[word] = len(self)
        return wid


@dataclass
class WordChunk:
    """The words of documents ``lo:hi`` of a batch, as compact arrays (cheap to pickle).

    Tokens: ``wids`` index ``vocab``, ``docs`` is the document's offset in the chunk, ``paths``
    index ``path_names``.  Per document ``j``, its searchable fields (in document order, empty
    ones included) are ``field_paths/field_counts[field_offsets[j]:field_offsets[j + 1]]``.
    """

    lo: int
    vocab: list[str]
    wids: np.ndarray
    docs: np.ndarray
    paths: np.ndarray
    positions: np.ndarray
    path_names: list[str]
    field_offsets: list[int]
    field_paths: list[int]
    field_counts: list[int]


class _AppliedChunk:
    """A `WordChunk` being applied: the docid each of its documents got (-1: none / superseded)."""

    def __init__(self, batch: WordChunk):
        self.batch = batch
        self.docids = np.full(len(batch.field_offsets) - 1, -1, dtype=np.int64)
        self.fid_of = [-1] * len(batch.path_names)
        self.unassigned = len(batch.path_names)

    def field_counts(self, into: dict[tuple[int, int], BitMap]) -> None:
        """Add the (field id, word count) -> docids of the chunk's current documents to ``into``."""
        b = self.batch
        if not b.field_paths:
            return
        offsets = np.asarray(b.field_offsets, dtype=np.int64)
        docids = np.repeat(self.docids, np.diff(offsets))
        counts = np.asarray(b.field_counts, dtype=np.int64)
        keep = (docids >= 0) & (counts <= MAX_FIELD_WORD_COUNT)
        if not keep.any():
            return
        fids = np.asarray(self.fid_of, dtype=np.int64)[np.asarray(b.field_paths, dtype=np.int64)[keep]]
        slots, docids = (fids << 8) | counts[keep], docids[keep]
        order = stable_order(slots)
        slots, docids = slots[order], docids[order]
        bounds = np.flatnonzero(np.diff(slots)) + 1
        starts = np.concatenate(([0], bounds)).tolist()
        ends = np.concatenate((bounds, [len(slots)])).tolist()
        for a, e, slot in zip(starts, ends, slots[starts].tolist()):
            deque(map(into[(slot >> 8, slot & 0xFF)].add, docids[a:e].tolist()), maxlen=0)  # as one by one

    def occurrences(self, vocab: _Vocabulary) -> tuple[np.ndarray, np.ndarray]:
        """(word id in ``vocab``, occurrence key) of the tokens of applied, still current documents."""
        b = self.batch
        docids = self.docids[b.docs]
        remap = np.fromiter(map(vocab.__getitem__, b.vocab), dtype=np.int64, count=len(b.vocab))
        ids = remap[b.wids]
        keys = (docids << 32) | (np.asarray(self.fid_of, dtype=np.int64)[b.paths] << 16) \
            | b.positions.astype(np.int64)
        alive = docids >= 0
        if not alive.all():
            ids, keys = ids[alive], keys[alive]
        return ids, keys


def _split_letters(weight: dict[str, float], helper_share: float) -> tuple[set[str], set[str]]:
    """(ours, helper's) first letters, the helper's weighing about ``helper_share`` of the total."""
    sides: tuple[set[str], set[str]] = (set(), set())
    loads = [0.0, 0.0]
    targets = (1.0 - helper_share, helper_share)
    for letter in sorted(weight, key=lambda c: (-weight[c], c)):
        side = 0 if loads[0] / targets[0] <= loads[1] / targets[1] else 1
        sides[side].add(letter)
        loads[side] += weight[letter]
    return sides


class FreshPostings:
    """The (key, value) pairs of words new to a fresh index: O, W/X, F, and the P/Q of their prefixes.

    Mirrors what `WordIndexer.finish` writes when nothing is stored yet, operation for operation
    (so bitmaps serialize to the same bytes), but for any subset of words closed under first
    letter: a pure function, safe to run in a helper process.
    """

    def __init__(self, iid: int, exact_attributes: bool, disable_on_numbers: bool, exact_fids: np.ndarray):
        self.base = u32(iid)
        self.exact_attributes, self.disable_on_numbers = exact_attributes, disable_on_numbers
        self.exact_fids = exact_fids

    def pairs(self, added: dict[str, np.ndarray], words: list[str]) -> list[tuple[bytes, bytes]]:
        out: list[tuple[bytes, bytes]] = []
        put = out.append
        base, max_prefix = self.base, PREFIX_CACHE_MAX_PREFIX_CHARS
        o_tag, w_tag, x_tag = base + b"O", base + b"W", base + b"X"
        prefix_parts: dict[str, list[BitMap]] = defaultdict(list)
        for word in words:
            keys = added[word]
            raw = word.encode()
            put((o_tag + raw, keys.tobytes()))
            gained = bitmap_from_array(unique_sorted(keys >> 32))
            numberlike = self.disable_on_numbers and is_numberlike(word)
            if not self.exact_attributes and not numberlike:
                bm = BitMap(gained)
                bm.run_optimize()
                put((w_tag + raw, bm.serialize()))
            elif numberlike:
                bm = bitmap_from_array(unique_sorted(keys >> 32))
                bm.run_optimize()
                put((x_tag + raw, bm.serialize()))
            else:
                docs = keys >> 32
                exact_mask = sorted_member((keys >> 16) & 0xFFFF, self.exact_fids)
                for tag, part in ((w_tag, docs[~exact_mask]), (x_tag, docs[exact_mask])):
                    bm = bitmap_from_array(unique_sorted(part))
                    if bm:
                        bm.run_optimize()
                        put((tag + raw, bm.serialize()))
            for k in range(1, min(len(word), max_prefix) + 1):
                prefix_parts[word[:k]].append(gained)
        p_tag = base + b"P"
        for prefix, parts in prefix_parts.items():
            bm = BitMap()
            bm |= BitMap.union(*parts)
            bm.run_optimize()
            put((p_tag + prefix.encode(), bm.serialize()))
        self._slots(added, words, out)
        out.sort()
        return out

    def _slots(self, added: dict[str, np.ndarray], words: list[str], out: list[tuple[bytes, bytes]]) -> None:
        """word x field (F) and prefix x field (Q) bitmaps: one stable sort, then one pass per group."""
        if not words:
            return
        lengths = np.fromiter((len(added[w]) for w in words), dtype=np.int64, count=len(words))
        keys = np.concatenate([added[w] for w in words])
        wid = np.repeat(np.arange(len(words), dtype=np.int64), lengths)
        # keys are sorted per word, so docids stay sorted inside each (word, field) group
        group = (wid << 16) | ((keys >> 16) & 0xFFFF)
        order = stable_order(group)
        group, docs = group[order], keys[order] >> 32
        new_group = np.empty(len(group), dtype=bool)
        new_group[0] = True
        np.not_equal(group[1:], group[:-1], out=new_group[1:])
        keep = new_group.copy()
        keep[1:] |= docs[1:] != docs[:-1]
        group, docs, new_group = group[keep], docs[keep], new_group[keep]
        starts = np.flatnonzero(new_group)
        ends = np.append(starts[1:], len(group)).tolist()
        f_tag, q_tag, max_prefix = self.base + b"F", self.base + b"Q", PREFIX_CACHE_MAX_PREFIX_CHARS
        slot_bytes: dict[int, bytes] = {}
        prefix_fields: dict[tuple[str, int], list[BitMap]] = defaultdict(list)
        put = out.append
        docs32 = docs.astype(np.uint32)
        for a, b, g in zip(starts.tolist(), ends, group[starts].tolist()):
            word, slot = words[g >> 16], g & 0xFFFF
            tail = slot_bytes.get(slot)
            if tail is None:
                tail = slot_bytes[slot] = b"\0" + struct.pack(">H", slot)
            bm = BitMap(array.array("I", docs32[a:b].tobytes()))
            for k in range(1, min(len(word), max_prefix) + 1):
                prefix_fields[(word[:k], slot)].append(bm)
            bm.run_optimize()  # in place, after being listed: exactly what the incremental path does
            put((f_tag + word.encode() + tail, bm.serialize()))
        for (prefix, slot), parts in prefix_fields.items():
            bm = BitMap()
            bm |= BitMap.union(*parts)
            bm.run_optimize()
            put((q_tag + prefix.encode() + slot_bytes[slot], bm.serialize()))


class WordIndexer:
    """Word postings of one index, updated by the deltas of a batch (see the module docstring)."""

    tables: ClassVar[tuple[str, ...]] = ("postings",)

    def __init__(self, store: Store, txn: lmdb.Transaction, iid: int, settings: dict[str, Any], fields: FieldsMap,
                 fresh: bool = False):
        self.store, self.txn, self.iid = store, txn, iid
        self.fresh = fresh  # no postings stored yet for this index: every read can be skipped
        self._buffer: list[tuple[bytes, bytes]] = []
        self.db = store.i["postings"]
        self.fields = fields
        self.extractor = WordExtractor(settings)
        self.tokenizer = self.extractor.tokenizer
        self.searchable = self.extractor.searchable
        typo = settings.get("typoTolerance") or {}
        self.exact_attributes = set(typo.get("disableOnAttributes") or [])
        self.disable_on_numbers = bool(typo.get("disableOnNumbers"))
        self._u32_iid = u32(iid)  # key prefix, packed once
        # additions, flat (documents indexed one by one) ...
        self.words: list[str] = []
        self.docids: list[int] = []
        self.fids: list[int] = []
        self.positions: list[int] = []
        # ... and per pre-extracted chunk (`WordChunk`, documents indexed in bulk)
        self.chunks: list[_AppliedChunk] = []
        self.count_added: dict[tuple[int, int], BitMap] = defaultdict(BitMap)
        # removals
        self.removed: dict[str, BitMap] = {}          # word -> docids losing it (built at finish)
        self.prefix_removed: dict[str, BitMap] = {}   # prefix -> docids losing it (built at finish)
        self._removed_words: list[str] = []           # removals, flat: one (word, docid) per pair
        self._removed_docids: list[int] = []
        self.removed_docs = BitMap()
        self.pending: dict[int, tuple[int, int, list[tuple[int, int]]]] = {}
        self.dead_spans: list[tuple[int, int]] = []
        self.count_removed: dict[tuple[int, int], BitMap] = defaultdict(BitMap)

    @classmethod
    def from_context(cls, context: IndexContext) -> WordIndexer:
        return cls(context.store, context.txn, context.iid, context.settings, context.fields, fresh=context.fresh)

    # -- extraction ----------------------------------------------------------------------------
    def _fields_of(self, document: dict[str, Any]):
        for path, indexed in self.extractor.fields(document):
            yield self.fields.id(path), indexed

    def on_change(self, docid: int, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        if old is not None:
            self._on_remove(docid, old)
        if new is not None:
            start = len(self.words)
            counts = []
            for fid, indexed in self._fields_of(new):
                n = len(indexed.words)
                if n:
                    self.words.extend(indexed.words)
                    self.positions.extend(indexed.positions)
                    self.fids.extend([fid] * n)
                    self.docids.extend([docid] * n)
                if n <= MAX_FIELD_WORD_COUNT:
                    self.count_added[(fid, n)].add(docid)
                    counts.append((fid, n))
            self.pending[docid] = (start, len(self.words), counts)

    def on_change_extracted(self, docid: int, old: dict[str, Any] | None, new: dict[str, Any],
                            chunk: _AppliedChunk, j: int) -> None:
        """`on_change` for a new version already extracted (document ``j`` of ``chunk``, whose words
        stand for ``new``)."""
        if old is not None:
            self._on_remove(docid, old)
        chunk.docids[j] = docid
        if chunk.unassigned:  # field ids are given in first-seen order, document by document
            batch, fid_of = chunk.batch, chunk.fid_of
            for k in range(batch.field_offsets[j], batch.field_offsets[j + 1]):
                p = batch.field_paths[k]
                if fid_of[p] < 0:
                    fid_of[p] = self.fields.id(batch.path_names[p])
                    chunk.unassigned -= 1
        self.pending[docid] = (chunk, j, ())  # its field word counts are read from the chunk at finish

    def add_chunk(self, batch: WordChunk) -> _AppliedChunk:
        applied = _AppliedChunk(batch)
        self.chunks.append(applied)
        return applied

    def _on_remove(self, docid: int, old: dict[str, Any]) -> None:
        """Forget what the old version of a document indexed (deleted or replaced)."""
        words: set[str] = set()
        for fid, indexed in self._fields_of(old):
            words.update(indexed.words)
            if indexed.word_count <= MAX_FIELD_WORD_COUNT:
                self.count_removed[(fid, indexed.word_count)].add(docid)
        self._removed_words.extend(words)
        self._removed_docids.extend([docid] * len(words))
        self.removed_docs.add(docid)
        self._drop_pending(docid)

    def _group_removals(self) -> None:
        """word -> removed docids and prefix -> removed docids, from the flat removal lists.

        One sort for the whole batch instead of a bitmap insertion per (word, document) and per
        (prefix, document); prefixes are derived once per distinct word.
        """
        if not self._removed_words:
            return
        vocab: dict[str, int] = {}
        ids = np.fromiter(map(vocab.setdefault, self._removed_words, itertools.count()), dtype=np.int64,
                          count=len(self._removed_words))
        docids = np.asarray(self._removed_docids, dtype=np.int64)
        order = np.lexsort((docids, ids))
        ids, docids = ids[order], docids[order]
        bounds = np.flatnonzero(np.diff(ids)) + 1
        starts = np.concatenate(([0], bounds)).tolist()
        ends = np.concatenate((bounds, [len(ids)])).tolist()
        names = {i: w for w, i in vocab.items()}
        prefix_parts: dict[str, list[BitMap]] = defaultdict(list)
        for first, start, end in zip(ids[starts].tolist(), starts, ends):
            word = names[first]
            docs = bitmap_from_array(docids[start:end])
            self.removed[word] = docs
            for k in range(1, min(len(word), PREFIX_CACHE_MAX_PREFIX_CHARS) + 1):
                prefix_parts[word[:k]].append(docs)
        self.prefix_removed = {prefix: BitMap.union(*parts) for prefix, parts in prefix_parts.items()}
        self._removed_words, self._removed_docids = [], []

    def _drop_pending(self, docid: int) -> None:
        """A document changed twice in one batch: forget what its first version added."""
        pending = self.pending.pop(docid, None)
        if pending is None:
            return
        start, end, counts = pending
        if isinstance(start, _AppliedChunk):
            start.docids[end] = -1
        elif end > start:
            self.dead_spans.append((start, end))
        for slot in counts:
            self.count_added[slot].discard(docid)

    # -- writing -------------------------------------------------------------------------------
    def _put(self, key: bytes, value: bytes) -> None:
        """Write one posting; on a fresh index writes are buffered and bulk-inserted in key order."""
        if self.fresh:
            self._buffer.append((key, value))
        else:
            self.txn.put(key, value, db=self.db)

    def _flush(self) -> None:
        if self._buffer:
            self._buffer.sort()
            self.txn.cursor(self.db).putmulti(self._buffer)
            self._buffer = []

    def _get_bitmap(self, key: bytes) -> BitMap:
        raw = self.txn.get(key, db=self.db)
        return bitmap_loads(raw) if raw is not None else BitMap()

    def _put_bitmap(self, key: bytes, bm: BitMap) -> None:
        if bm:
            bm.run_optimize()
            self._put(key, bm.serialize())
        else:
            self.txn.delete(key, db=self.db)

    def finish(self) -> Completion | None:
        """Write the batch's postings.  When a helper process shares a fresh batch, it starts here
        and the rest (this process's share, the merge, the writes) is the returned completion."""
        for chunk in self.chunks:
            chunk.field_counts(self.count_added)
        self._group_removals()
        self.had_exact_words = bool(self.exact_attributes) or self.disable_on_numbers
        exact_fids = np.array(sorted(self.fields.ids[f] for f in self.exact_attributes if f in self.fields.ids)
                              or [65536], dtype=np.int64)
        if self.fresh:
            return self._finish_fresh(exact_fids)
        added = self._group_additions()
        prefix_parts: dict[str, list[BitMap]] = defaultdict(list)
        existed: set[str] = set()
        for word in set(added) | set(self.removed):
            new_docs, had = self._update_word(word, added.get(word), exact_fids)
            if had:
                existed.add(word)
            if new_docs is not None:
                for k in range(1, min(len(word), PREFIX_CACHE_MAX_PREFIX_CHARS) + 1):
                    prefix_parts[word[:k]].append(new_docs)
        prefix_added = {p: BitMap.union(*parts) for p, parts in prefix_parts.items()}
        for word in self.removed:
            self._subtract_slots(word, b"F", self.removed[word])
        prefix_fields: dict[tuple[str, int], list[BitMap]] = defaultdict(list)
        for tag, word, slot, docs in self._added_slots(added):
            key = slot_key(self.iid, tag, word, slot)
            bm = bitmap_from_array(docs)
            if tag == b"F":
                for k in range(1, min(len(word), PREFIX_CACHE_MAX_PREFIX_CHARS) + 1):
                    prefix_fields[(word[:k], slot)].append(bm)
            if word in existed:
                raw = self.txn.get(key, db=self.db)
                if raw is not None:
                    bm = bm | bitmap_loads(raw)
            bm.run_optimize()
            self._put(key, bm.serialize())
        self._update_prefix_fields(prefix_fields)
        for prefix in set(prefix_added) | set(self.prefix_removed):
            key = posting_key(self.iid, b"P", prefix)
            bm = BitMap() if self.fresh else self._get_bitmap(key)
            if prefix in self.prefix_removed:
                bm -= self.prefix_removed[prefix]
            if prefix in prefix_added:
                bm |= prefix_added[prefix]
            self._put_bitmap(key, bm)
        for slot in set(self.count_added) | set(self.count_removed):
            key = count_key(self.iid, *slot)
            bm = BitMap() if self.fresh else self._get_bitmap(key)
            if slot in self.count_removed:
                bm -= self.count_removed[slot]
            if slot in self.count_added:
                bm |= self.count_added[slot]
            self._put_bitmap(key, bm)
        self._flush()
        return None

    def _finish_fresh(self, exact_fids: np.ndarray) -> Completion | None:
        """A fresh index has nothing to read or subtract: every posting follows from the additions.

        With parallel mode on and enough words, words are split by first letter (a prefix's
        postings then come from one side only) and a forked helper groups and serializes one side
        while this process finishes the other indexers, then does the other side (`_HelpedFinish`).
        """
        build = FreshPostings(self.iid, bool(self.exact_attributes), self.disable_on_numbers, exact_fids)
        if not (parallel.enabled() and self._word_estimate() >= parallel.PARALLEL_MIN_WORDS):
            self._write_fresh(self._fresh_pairs(build))
            return None
        # this process also finishes the other indexers and merges: the helper takes a bigger half
        _ours, theirs = _split_letters(self._letter_weights(), parallel.HELPER_SHARE)
        return _HelpedFinish(lambda inside: self._fresh_pairs(build, theirs, inside), self._write_fresh)

    def _fresh_pairs(self, build: FreshPostings, letters: set[str] | None = None,
                     inside: bool = True) -> list[Pair]:
        """The postings of the batch's words, or with ``letters`` of those whose first letter is
        (``inside``) or is not among them."""
        added = self._group_additions(letters, inside)
        return build.pairs(added, list(added))

    def _write_fresh(self, pairs: list[Pair]) -> None:
        """Add the field word counts to a fresh batch's postings; one bulk insert in key order."""
        for slot, docs in self.count_added.items():
            bm = BitMap()
            bm |= docs
            if bm:
                bm.run_optimize()
                pairs.append((count_key(self.iid, *slot), bm.serialize()))
        pairs.sort()  # two sorted runs and a few counts: timsort merges them
        self.txn.cursor(self.db).putmulti(pairs)

    def _update_prefix_fields(self, added: dict[tuple[str, int], list[BitMap]]) -> None:
        """prefix x field postings (b"Q"), for attributeRank on short prefix terms.

        Removals concern whole documents (deleted or replaced), so a removed docid leaves every
        prefix x field bitmap of the prefixes its old words had; a replaced document is put back
        by its additions.
        """
        touched: set[tuple[str, int]] = set(added)
        if self.removed_docs:
            for prefix in self.prefix_removed:
                start = self._u32_iid + b"Q" + prefix.encode() + b"\0"
                cursor = self.txn.cursor(self.db)
                if cursor.set_range(start):
                    for key in cursor.iternext(values=False):
                        if key[:len(start)] != start or len(key) != len(start) + 2:
                            break
                        touched.add((prefix, int.from_bytes(key[-2:], "big")))
        for prefix, fid in touched:
            key = slot_key(self.iid, b"Q", prefix, fid)
            raw = None if self.fresh else self.txn.get(key, db=self.db)
            bm = bitmap_loads(raw) if raw is not None else BitMap()
            if prefix in self.prefix_removed:
                bm -= self.prefix_removed[prefix]
            parts = added.get((prefix, fid))
            if parts:
                bm |= BitMap.union(*parts)
            self._put_bitmap(key, bm)

    def _subtract_slots(self, word: str, tag: bytes, removed: BitMap) -> None:
        """Remove docids from every word x field / word x position bitmap of a word."""
        prefix = self._u32_iid + tag + word.encode() + b"\0"
        updates = []
        cursor = self.txn.cursor(self.db)
        if cursor.set_range(prefix):
            for key, raw in cursor:
                if key[:len(prefix)] != prefix:
                    break
                bm = bitmap_loads(raw)
                if bm.intersect(removed):
                    updates.append((bytes(key), bm - removed))
        for key, bm in updates:
            self._put_bitmap(key, bm)

    def _added_slots(self, added: dict[str, np.ndarray]):
        """(tag, word, fid, docids) for every word x field of the batch.

        One lexsort over all added occurrences; no per-word numpy work.  (Positions are read from
        the occurrence arrays at query time: a word x position table would triple the writes.)
        """
        if not added:
            return
        words = list(added)
        lengths = np.fromiter((len(added[w]) for w in words), dtype=np.int64, count=len(words))
        keys = np.concatenate([added[w] for w in words])
        wid = np.repeat(np.arange(len(words), dtype=np.int64), lengths)
        docs = keys >> 32
        for tag, slots in ((b"F", (keys >> 16) & 0xFFFF),):
            order = np.lexsort((docs, slots, wid))
            w, sl, d = wid[order], slots[order], docs[order]
            new_group = np.empty(len(w), dtype=bool)
            new_group[0] = True
            new_group[1:] = (w[1:] != w[:-1]) | (sl[1:] != sl[:-1])
            keep = new_group.copy()
            keep[1:] |= d[1:] != d[:-1]
            w, sl, d, new_group = w[keep], sl[keep], d[keep], new_group[keep]
            starts = np.flatnonzero(new_group)
            ends = np.append(starts[1:], len(w))
            for a, b, wi, slot in zip(starts.tolist(), ends.tolist(), w[starts].tolist(), sl[starts].tolist()):
                yield tag, words[wi], slot, d[a:b]

    def _word_estimate(self) -> int:
        """Distinct words of the batch, roughly (summed per chunk): is a helper worth it?"""
        return len(self.words) + sum(len(chunk.batch.vocab) for chunk in self.chunks)

    def _letter_weights(self) -> dict[str, float]:
        """Work per first letter (words and occurrences), estimated from a sample of the chunks."""
        weight: dict[str, float] = defaultdict(float)
        for word in self.words:
            weight[word[:1]] += 1
        step = max(1, len(self.chunks) // LETTER_SAMPLE_CHUNKS)
        for chunk in self.chunks[::step]:
            b = chunk.batch
            counts = np.bincount(b.wids, minlength=len(b.vocab)).tolist()
            for word, count in zip(b.vocab, counts):
                weight[word[:1]] += step * (16 + count)  # per-word work dominates per-occurrence work
        return weight

    def _group_additions(self, letters: set[str] | None = None, inside: bool = True) -> dict[str, np.ndarray]:
        """word -> sorted occurrence keys added by this batch (one-by-one and bulk additions).

        With ``letters``, only the words whose first letter is among them (``inside``) or not
        (letters missing from the sampled weights then still land on exactly one side).
        """
        vocab = _Vocabulary()
        id_parts: list[np.ndarray] = []
        key_parts: list[np.ndarray] = []
        if self.words:
            ids = np.fromiter(map(vocab.__getitem__, self.words), dtype=np.int64, count=len(self.words))
            keys = (np.asarray(self.docids, dtype=np.int64) << 32) \
                | (np.asarray(self.fids, dtype=np.int64) << 16) | np.asarray(self.positions, dtype=np.int64)
            if self.dead_spans:
                alive = np.ones(len(keys), dtype=bool)
                for start, end in self.dead_spans:
                    alive[start:end] = False
                ids, keys = ids[alive], keys[alive]
            id_parts.append(ids)
            key_parts.append(keys)
        for chunk in self.chunks:
            ids, keys = chunk.occurrences(vocab)
            id_parts.append(ids)
            key_parts.append(keys)
        ids = np.concatenate(id_parts) if id_parts else np.empty(0, dtype=np.int64)
        if not len(ids):
            return {}
        keys = np.concatenate(key_parts)
        if letters is not None:
            wanted = np.fromiter(((w[:1] in letters) is inside for w in vocab), dtype=bool, count=len(vocab))
            chosen = wanted[ids]
            ids, keys = ids[chosen], keys[chosen]
            if not len(ids):
                return {}
        if bool((keys[1:] >= keys[:-1]).all()):
            order = stable_order(ids)  # bulk loads arrive in key order: no lexsort needed
        else:
            order = np.lexsort((keys, ids))
        ids, keys = ids[order], keys[order]
        bounds = np.flatnonzero(np.diff(ids)) + 1
        starts = np.concatenate(([0], bounds))
        ends = np.concatenate((bounds, [len(ids)]))
        names = list(vocab)
        return {names[i]: keys[s:e] for i, s, e in zip(ids[starts].tolist(), starts.tolist(), ends.tolist())}

    def _update_word(self, word: str, new_keys: np.ndarray | None,
                     exact_fids: np.ndarray) -> tuple[BitMap | None, bool]:
        """Rewrite one word's postings; returns (docids it gained, whether it had postings before)."""
        o_key = posting_key(self.iid, b"O", word)
        raw = None if self.fresh else self.txn.get(o_key, db=self.db)
        keys = np.frombuffer(raw, dtype=np.int64) if raw is not None else np.empty(0, dtype=np.int64)
        removed = self.removed.get(word)
        if removed is not None and len(keys):
            keys = keys[~sorted_member(keys >> 32, np.frombuffer(removed.to_array(), dtype=np.uint32).astype(np.int64))]
        gained = None
        if new_keys is not None:
            if len(keys):
                keys = np.concatenate((keys, new_keys))
                keys.sort()
            else:
                keys = new_keys
            gained = bitmap_from_array(unique_sorted(new_keys >> 32))
        w_key, x_key = posting_key(self.iid, b"W", word), posting_key(self.iid, b"X", word)
        if not len(keys):
            for key in (o_key, w_key, x_key):
                self.txn.delete(key, db=self.db)
            return gained, raw is not None
        self._put(o_key, keys.tobytes())
        docs = keys >> 32
        if raw is None and gained is not None and not self.exact_attributes and not (
                self.disable_on_numbers and is_numberlike(word)):
            self._put_bitmap(w_key, BitMap(gained))  # a new word: its docs are exactly the gained ones
        elif self.disable_on_numbers and is_numberlike(word):
            self._put_bitmap(x_key, bitmap_from_array(unique_sorted(docs)))
            self._put_bitmap(w_key, BitMap())
        elif not self.exact_attributes:
            self._put_bitmap(w_key, bitmap_from_array(unique_sorted(docs)))
            if self.had_exact_words:
                self.txn.delete(x_key, db=self.db)
        else:
            exact_mask = sorted_member((keys >> 16) & 0xFFFF, exact_fids)
            self._put_bitmap(w_key, bitmap_from_array(unique_sorted(docs[~exact_mask])))
            self._put_bitmap(x_key, bitmap_from_array(unique_sorted(docs[exact_mask])))
        return gained, raw is not None


class _HelpedFinish:
    """The end of a fresh batch whose postings are shared with a helper process (a `Completion`).

    ``pairs(inside)`` serializes the helper's words (True) or the others (False).  The helper
    forks at once; calling this (after every indexer's finish) does this process's side, takes the
    helper's pairs (redone here if it failed) and hands them all to ``write``.
    """

    def __init__(self, pairs: Callable[[bool], list[Pair]], write: Callable[[list[Pair]], None]):
        self.pairs, self.write = pairs, write
        self.helper = parallel.ForkedCall(lambda: pairs(True))

    def __call__(self) -> None:
        try:
            ours = self.pairs(False)
            try:
                ours += self.helper.result()
            except parallel.HelperFailed:
                ours += self.pairs(True)
        finally:
            self.close()
        self.write(ours)

    def close(self) -> None:
        self.helper.close()
