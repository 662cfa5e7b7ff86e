"""`SearchContext`: one read snapshot of one index, with the lookups every search stage needs.

Per-index structures that are costly to build (the lexicon, the fields map, the tokenizer,
per-field sort arrays) are cached process-wide under ``(iid, version)``; the index version is
bumped by every batch that touches the index, so a reader notices changes by reading one counter.
Within one search, bitmaps are memoised per key.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import lmdb
import numpy as np
from pyroaring import BitMap

from ..indexer.fields import searchable_weight
from ..indexer.keys import count_key, posting_key, slot_key
from ..limits import (MAX_PREFIX_DERIVATIONS, POSTINGS_CACHE_BYTES, POSTINGS_CACHE_ENTRIES,
                      PREFIX_CACHE_MAX_PREFIX_CHARS, UPSTREAM_PREFIX_DB_MAX_BYTES, UPSTREAM_PREFIX_DB_MIN_WORDS)
from ..store.registry import Registry, meta_key
from ..store import Store
from ..store.codecs import bitmap_loads, u32
from ..facets.cache import CachedFacetSource, FacetCache
from ..tokenizer import Tokenizer, tokenizer_for
from .lexicon import Lexicon
from .read_cache import BoundedCache

if TYPE_CHECKING:
    from ..filters.vectors import MatrixVectorStatus

_EMPTY = BitMap()


class IndexCache:
    """Structures derived from one version of an index, shared by all searches of a process."""

    def __init__(self, store: Store, txn: lmdb.Transaction, iid: int, settings: dict[str, Any], fields: list[str]):
        self.iid = iid
        self.settings = settings
        self.fields = fields
        self.field_ids = {name: fid for fid, name in enumerate(fields)}
        self.tokenizer: Tokenizer = tokenizer_for(settings)
        self._format_tokenizer: Tokenizer | None = None
        self.tolerant_lexicon = Lexicon(_scan_words(store, txn, iid, b"W"))
        exact = _scan_words(store, txn, iid, b"X")
        self.all_lexicon = Lexicon(sorted(set(self.tolerant_lexicon.words) | set(exact))) if exact else self.tolerant_lexicon
        self.searchable = settings.get("searchableAttributes", ["*"])
        self.weights: dict[int, int] = {}
        for fid, name in enumerate(fields):
            weight = searchable_weight(name, self.searchable)
            if weight is not None:
                self.weights[fid] = weight
        self.max_weight = 0 if "*" in self.searchable else max(len(self.searchable) - 1, 0)
        self.sort_arrays: dict[str, Any] = {}
        self.facets = FacetCache()
        from ..facets.filterable import FilterableRules
        self.filterable_rules = FilterableRules(settings.get("filterableAttributes") or [])
        self.facet_fields: dict[tuple[str, ...], list[str]] = {}
        stats = registry_meta(store, txn, iid, "stats") or {}
        faceted = registry_meta(store, txn, iid, "faceted_paths") or []
        self.all_fields = sorted(set(fields) | set(faceted) | set(stats.get("fieldDistribution", {})))
        # every field name the index knows, the indexed (field-id) order first: what a formatter
        # checks attributesToHighlight / attributesToCrop against
        self.known_fields = tuple(dict.fromkeys([*fields, *stats.get("fieldDistribution", {}), *faceted]))
        self.lock = threading.Lock()
        self.postings = BoundedCache(POSTINGS_CACHE_ENTRIES, POSTINGS_CACHE_BYTES)
        self.docids: BitMap | None = None  # the index's documents, read by the first search


    @property
    def format_tokenizer(self) -> Tokenizer:
        """The tokenizer a formatter cuts hits with: the index's separators and dictionary, no
        stop words (formatting.md §3); the search tokenizer itself when there are none."""
        if self._format_tokenizer is None:
            self._format_tokenizer = self.tokenizer if not self.tokenizer.stop_words else tokenizer_for(
                {**self.settings, "stopWords": []})
        return self._format_tokenizer


def registry_meta(store: Store, txn: lmdb.Transaction, iid: int, name: str) -> Any:
    from ..store.codecs import loads
    raw = txn.get(meta_key(iid, name), db=store.i["index_meta"])
    return loads(raw) if raw is not None else None


def _scan_words(store: Store, txn: lmdb.Transaction, iid: int, tag: bytes) -> list[str]:
    prefix = u32(iid) + tag
    words = []
    cursor = txn.cursor(store.i["postings"])
    if cursor.set_range(prefix):
        n = len(prefix)
        for key in cursor.iternext(values=False):
            if key[:n] != prefix:
                break
            words.append(bytes(key[n:]).decode())
    return words


_CACHES: dict[tuple[str, int], tuple[int, IndexCache]] = {}
_CACHES_LOCK = threading.Lock()
_BUILDING: dict[tuple[str, int, int], threading.Lock] = {}


def index_cache(store: Store, txn: lmdb.Transaction, registry: Registry, iid: int) -> IndexCache:
    """The cache of the index version ``txn`` sees.  One thread builds a version's cache while
    the others wanting it wait for it: the warmer and the first searches after a batch would
    otherwise each build the same one, for a few hundred milliseconds of CPU apiece."""
    version = registry.get_meta(txn, iid, "version", 0)
    key = (str(store.path), iid)
    with _CACHES_LOCK:
        cached = _CACHES.get(key)
        building = None if cached is not None and cached[0] == version else \
            _BUILDING.setdefault((*key, version), threading.Lock())
    if building is None:
        return cached[1]  # type: ignore[index]
    with building:
        with _CACHES_LOCK:
            cached = _CACHES.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        cache = IndexCache(store, txn, iid, registry.get_meta(txn, iid, "settings"),
                           registry.get_meta(txn, iid, "fields", []))
        with _CACHES_LOCK:
            _CACHES[key] = (version, cache)
            _BUILDING.pop((*key, version), None)
    return cache


class SearchContext:
    def __init__(self, store: Store, txn: lmdb.Transaction, registry: Registry, record: dict[str, Any]):
        self.store, self.txn, self.record = store, txn, record
        self.iid = record["iid"]
        self.postings = store.i["postings"]
        self.cache = index_cache(store, txn, registry, self.iid)
        self.settings = self.cache.settings
        if self.cache.docids is None:
            self.cache.docids = registry.all_docids(txn, self.iid)
        self.all_docids: BitMap = self.cache.docids  # shared: never modify in place
        self.facets = CachedFacetSource(store, txn, self.iid, self.all_docids, self.cache.facets)
        self._read = self.cache.postings  # decoded postings, shared by the searches of this version
        self.search_fids: frozenset[int] | None = None  # attributesToSearchOn, as field ids
        self.memo: dict[Any, Any] = {}  # per-search results rules share between buckets
        self.excluded: BitMap | None = None  # documents placed apart (pinned): never ranked

    def vector_status(self) -> "MatrixVectorStatus":
        """Which documents have embeddings per embedder (for `_vectors` filters), from the
        embedders' matrices of this index version."""
        from ..filters.vectors import MatrixVectorStatus
        from .hybrid import embedder_matrix
        return MatrixVectorStatus(self.settings, lambda name, config: embedder_matrix(self, name, config))

    # -- postings ------------------------------------------------------------------------------
    # Postings come back decoded from the version-wide read cache; they are shared, so callers
    # combine them into new bitmaps (`a | b`, `a & b`) and never update them in place.  Per-word
    # lookups are cached under `(tag, word)`, checked before any LMDB key is built; absent keys
    # are cached too (most words have no exact-only posting).
    def bitmap(self, key: bytes) -> BitMap:
        bm = self._read.get(key)
        if bm is None:
            bm = self._load_bitmap(key, key)
        return bm

    def word_bitmap(self, tag: bytes, word: str) -> BitMap:
        """The `tag` posting of one word (W tolerant, X exact-only, P prefix cache)."""
        bm = self._read.get((tag, word))
        if bm is None:
            bm = self._load_bitmap((tag, word), posting_key(self.iid, tag, word))
        return bm

    def _load_bitmap(self, cache_key: Any, key: bytes) -> BitMap:
        raw = self.txn.get(key, db=self.postings)
        if raw is None:
            return self._read.put(cache_key, _EMPTY)
        return self._read.put(cache_key, bitmap_loads(raw), len(raw))

    def query_tokenizer(self, locales: Any) -> Tokenizer:
        """The tokenizer of a query with ``locales``, the search parameter, else the
        localizedAttributes locales of the searched fields."""
        from ..languages.localized import query_locales
        rules = self.settings.get("localizedAttributes")
        if not locales and not rules:
            return self.cache.tokenizer
        fids = self.search_fids if self.search_fids is not None else self.cache.weights
        fields = [name for name, fid in self.cache.field_ids.items() if fid in fids]
        return self.cache.tokenizer.with_locales(query_locales(rules, locales, fields))

    def format_tokenizers(self, locales: Any) -> tuple[Tokenizer, Callable[[str], Tokenizer] | None]:
        """The tokenizers a formatter cuts hits with: (every field's, path -> a field's or None).

        As upstream formats, the ``locales`` search parameter reads every field; without it each
        field is read with its own localizedAttributes rule (detection where none matches), not
        with the union of locales the query was cut with."""
        base = self.cache.format_tokenizer
        rules = self.settings.get("localizedAttributes")
        if locales or not rules:
            return base.with_locales(locales), None
        from ..languages.localized import field_locales
        return base, lambda path: base.with_locales(field_locales(rules, path))

    def restrict_to_fields(self, patterns: Any) -> None:
        """attributesToSearchOn: every lookup below only counts matches in these fields."""
        if not patterns or "*" in patterns:
            return
        from ..facets.filterable import match_pattern
        self.search_fids = frozenset(fid for name, fid in self.cache.field_ids.items()
                                     if fid in self.cache.weights
                                     and any(match_pattern(p, name) == "match" or name == p for p in patterns))

    def _in_fields(self, word: str, bm: BitMap, tag: bytes = b"F") -> BitMap:
        if self.search_fids is None or not bm:
            return bm
        parts = [docs for fid, docs in self.slots(word, tag).items() if fid in self.search_fids]
        return bm & BitMap.union(*parts) if parts else BitMap()

    def tolerant_docids(self, word: str) -> BitMap:
        return self._in_fields(word, self.word_bitmap(b"W", word))

    def exact_docids(self, word: str) -> BitMap:
        return self._in_fields(word, self.word_bitmap(b"X", word))

    def word_docids_anywhere(self, word: str) -> BitMap:
        """Documents containing ``word`` in any field, attributesToSearchOn or not (matches occurrences)."""
        both = self._read.get(("A", word))
        if both is None:
            exact, tolerant = self.word_bitmap(b"X", word), self.word_bitmap(b"W", word)
            both = self._read.put(("A", word), tolerant | exact) if exact else tolerant
        return both

    def rankable(self) -> BitMap:
        """A new bitmap of the documents a ranking may return: all of them but `excluded`."""
        return BitMap(self.all_docids) - self.excluded if self.excluded else BitMap(self.all_docids)

    def word_docids(self, word: str) -> BitMap:
        """Documents containing ``word`` exactly (tolerant or exact set), in the searched fields."""
        return self._in_fields(word, self.word_docids_anywhere(word))

    def prefix_words(self, prefix: str, *, tolerant_only: bool = False) -> list[str]:
        """Indexed words starting with ``prefix`` (the word itself excluded): the first 1,000, as
        upstream derives a prefix that is not in its prefix cache (ranking.md §3.3).  Documents
        of a cached prefix come from the prefix cache, unbounded; the rules that cost words one
        by one (proximity, wordPosition) read these 1,000, an approximation the spec allows (§9).

        ``tolerant_only`` leaves out words indexed only in the exact set (an n-gram's prefix
        derivations, ranking.md §3.5)."""
        lexicon = self.cache.tolerant_lexicon if tolerant_only else self.cache.all_lexicon
        words = lexicon.with_prefix(prefix, limit=MAX_PREFIX_DERIVATIONS + 1)
        return [w for w in words if w != prefix][:MAX_PREFIX_DERIVATIONS]

    def in_upstream_prefix_db(self, prefix: str) -> bool:
        """Whether Meilisearch would serve ``prefix`` from its word-prefix database (1..4 bytes
        shared by at least 100 indexed words, the prefix itself counted).  Such a prefix term has
        no prefix derivations to highlight (formatting.md §3)."""
        if len(prefix.encode()) > UPSTREAM_PREFIX_DB_MAX_BYTES:
            return False
        lo, hi = self.cache.all_lexicon.prefix_range(prefix)
        return hi - lo >= UPSTREAM_PREFIX_DB_MIN_WORDS

    def prefix_docids(self, prefix: str, *, tolerant_only: bool = False) -> BitMap:
        """Documents with a word starting with ``prefix``; ``tolerant_only`` as in `prefix_words`.

        The stored prefix cache is of the whole vocabulary, so it serves a tolerant-only lookup
        only while the index has no exact-set word."""
        exact_words = self.cache.all_lexicon is not self.cache.tolerant_lexicon
        if len(prefix) <= PREFIX_CACHE_MAX_PREFIX_CHARS and not (tolerant_only and exact_words):
            return self._in_fields(prefix, self.word_bitmap(b"P", prefix), b"Q")
        words = [prefix, *self.prefix_words(prefix, tolerant_only=tolerant_only)]
        lookup = self.tolerant_docids if tolerant_only else self.word_docids
        return BitMap.union(*(lookup(w) for w in words))

    def slots(self, word: str, tag: bytes) -> dict[int, BitMap]:
        """word x field (b"F") or word x position bucket (b"B") bitmaps, by slot (shared: read only)."""
        out = self._read.get((tag + b"*", word))
        if out is not None:
            return out
        prefix = u32(self.iid) + tag + word.encode() + b"\0"
        out, size = {}, 0
        cursor = self.txn.cursor(self.postings)
        if cursor.set_range(prefix):
            n = len(prefix)
            for key, raw in cursor:
                if key[:n] != prefix:
                    break
                out[int.from_bytes(key[n:n + 2], "big")] = bitmap_loads(raw)
                size += len(raw)
        return self._read.put((tag + b"*", word), out, size)

    def occurrences(self, word: str) -> np.ndarray:
        """Sorted occurrence keys ``docid<<32 | fid<<16 | position`` of a word (shared: read only)."""
        occ = self._read.get((b"O", word))
        if occ is None:
            raw = self.txn.get(posting_key(self.iid, b"O", word), db=self.postings)
            occ = np.frombuffer(raw, dtype=np.int64) if raw is not None else np.empty(0, dtype=np.int64)
            self._read.put((b"O", word), occ, occ.nbytes)
        return occ

    def doc_mask(self, docs: BitMap) -> np.ndarray:
        """A boolean array indexed by docid: `mask[occ >> 32]` filters occurrences in O(n)."""
        size = (self.all_docids.max() + 1) if self.all_docids else 1
        mask = np.zeros(size, dtype=bool)
        ids = np.frombuffer(docs.to_array(), dtype=np.uint32)
        mask[ids[ids < size]] = True
        return mask

    def count_docids(self, fid: int, count: int) -> BitMap:
        return self.bitmap(count_key(self.iid, fid, count))

    def slot_docids(self, word: str, tag: bytes, slot: int) -> BitMap:
        return self.bitmap(slot_key(self.iid, tag, word, slot))


__all__ = ["SearchContext", "IndexCache", "index_cache", "meta_key"]



def warm_index(store: Store, registry: Registry, uid: str) -> None:
    """Build one index's read caches ahead of the first search (lexicon, facet values, sort arrays,
    the embedders' matrices, the typo candidates of the first keystrokes with a typo).

    Servers call this from a background thread whenever an index version changes, so the first
    filtered or sorted search after a batch does not pay for decoding every facet value.
    """
    from .rules.sort import sort_arrays
    with store.index_env.begin() as txn:
        record = registry.get(txn, uid)
        if record is None:
            return
        ctx = SearchContext(store, txn, registry, record)
        settings = ctx.settings
        from ..facets.filterable import FilterableRules
        rules = FilterableRules(settings.get("filterableAttributes") or [])
        for field in ctx.cache.all_fields:
            if rules.is_filterable(field):
                ctx.facets._numbers(field)
                ctx.facets._strings(field)
        for field in settings.get("sortableAttributes") or []:
            if field != "_geo":
                sort_arrays(ctx, field)
        for name, config in (settings.get("embedders") or {}).items():
            from .hybrid import embedder_matrix
            embedder_matrix(ctx, name, config or {})  # the first semantic search finds its matrix read
        typo = settings.get("typoTolerance") or {}
        if typo.get("enabled", True):
            from .typos import min_word_sizes, warm_prefix_candidates
            warm_prefix_candidates(ctx.cache.tolerant_lexicon, *min_word_sizes(typo))
