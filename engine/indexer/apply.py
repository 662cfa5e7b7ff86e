"""Apply document and settings operations to one index inside the batch's write transaction.

`IndexWriter` is the only code that changes an index's documents.  Every change goes through
`_store_document` / `_remove_document`, which keep the external-id map, the field distribution
and the document count in step, and report (docid, old, new) to the search indexers so that
posting lists are updated as deltas — never rebuilt for a batch of additions.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Protocol

import lmdb
import orjson
from pyroaring import BitMap

from ..documents.primary_key import document_id, infer_primary_key
from ..errors import LoupeError
from ..store.registry import Registry, _delete_prefix, meta_key
from ..store import Store
from ..store.codecs import bitmap_loads, index_key, read_u32, u32
from .facets import FacetIndexer
from .fields import FieldsMap
from .parallel import CHUNK_DOCS, BulkExtraction, paused_gc
from .words import WordIndexer


class DocumentIndexer(Protocol):
    """Derived structures (postings, facets, vectors) kept in step with the documents."""

    def on_change(self, docid: int, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None: ...

    def finish(self) -> None: ...


class IndexWriter:
    def __init__(self, store: Store, txn: lmdb.Transaction, registry: Registry, record: dict[str, Any],
                 indexers: Iterable[DocumentIndexer] = (), should_stop: Callable[[], None] | None = None):
        self.store, self.txn, self.registry, self.record = store, txn, registry, record
        self.iid = record["iid"]
        self.prefix = u32(self.iid)
        self.docs_db = store.i["documents"]
        self.ids_db = store.i["external_ids"]
        self.stats = registry.get_meta(txn, self.iid, "stats")
        self.settings = registry.get_meta(txn, self.iid, "settings")
        self.fields = FieldsMap(registry.get_meta(txn, self.iid, "fields", []))
        raw = txn.get(meta_key(self.iid, "docids"), db=registry.meta)
        self.docids = bitmap_loads(raw) if raw is not None else BitMap()
        self.extra_indexers = list(indexers)
        self.indexers = self._make_indexers()
        self.should_stop = should_stop or (lambda: None)
        self.changed = False

    def _make_indexers(self, fresh: bool | None = None) -> list[DocumentIndexer]:
        if fresh is None:
            fresh = not self.docids
        return [WordIndexer(self.store, self.txn, self.iid, self.settings, self.fields, fresh=fresh),
                FacetIndexer(self.store, self.txn, self.iid, self.settings, fresh=fresh), *self.extra_indexers]

    # -- primary key ---------------------------------------------------------------------------
    def resolve_primary_key(self, param: str | None, documents: list[dict[str, Any]]) -> str | None:
        current = self.record["primaryKey"]
        if current is not None:
            if param is not None and param != current:
                raise LoupeError("index_primary_key_already_exists",
                                 f"Index `{self.record['uid']}`: Index already has a primary key: `{current}`.")
            return current
        if param is not None:
            return param
        if not documents:
            return None
        return infer_primary_key(documents[0])

    # -- documents -----------------------------------------------------------------------------
    def add_documents(self, documents: list[dict[str, Any]], method: str, primary_key_param: str | None,
                      skip_creation: bool = False) -> int:
        """Validate a whole payload, then apply it; a bad document fails only this task."""
        primary_key = self.resolve_primary_key(primary_key_param, documents)
        if primary_key is None:
            return 0
        ids = [document_id(doc, primary_key) for doc in documents]
        if self._geo_checked():
            from ..documents.geo import check_geo
            from ..documents.primary_key import get_path
            for doc in documents:
                if "_geo" in doc:
                    check_geo(doc, get_path(doc, primary_key), self.record["uid"])
        if self.record["primaryKey"] != primary_key:
            self.record["primaryKey"] = primary_key
            self.changed = True
        with paused_gc():
            return self._add(ids, documents, method, skip_creation)

    def _add(self, ids: list[str], documents: list[dict[str, Any]], method: str, skip_creation: bool) -> int:
        """Store the documents while their words and facet keys are extracted, then index them."""
        words, facets = self.indexers[0], self.indexers[1]
        assert isinstance(words, WordIndexer) and isinstance(facets, FacetIndexer)
        bulk = BulkExtraction(documents, words.extractor, facets.extractor)
        bulk.start()
        try:
            changes, indexed = self._store_documents(ids, documents, method, skip_creation)
            chunks = bulk.result(self.should_stop)
        finally:
            bulk.close()
        applied = [(words.add_chunk(w), facets.add_chunk(f)) for w, f in chunks]
        for n, (docid, old, new, j) in enumerate(changes):
            if n % 1024 == 0:
                self.should_stop()
            if j < 0:  # a partial update merged with the stored version: not pre-extracted
                words.on_change(docid, old, new)
                facets.on_change(docid, old, new)
            else:
                w, f = applied[j // CHUNK_DOCS]
                words.on_change_extracted(docid, old, w, j % CHUNK_DOCS)
                facets.on_change_extracted(docid, old, new, f, j % CHUNK_DOCS)
        return indexed

    def _store_documents(self, ids: list[str], documents: list[dict[str, Any]], method: str,
                         skip_creation: bool) -> tuple[list[tuple[int, Any, Any, int]], int]:
        """Store a payload's documents; returns the (docid, old, new, index in payload or -1) to index."""
        changes = []
        indexed = 0
        for n, (ext, doc) in enumerate(zip(ids, documents)):
            if n % 1024 == 0:
                self.should_stop()
            docid = self._docid(ext)
            old = self._get(docid) if docid is not None else None
            if docid is None:
                if skip_creation:
                    continue
                docid = self._allocate(ext)
            new = {**old, **doc} if method == "update" and old is not None else doc
            self._store_document(docid, old, new, self.extra_indexers)
            changes.append((docid, old, new, n if new is doc else -1))
            indexed += 1
        return changes, indexed

    def delete_ids(self, external_ids: Iterable[str]) -> int:
        deleted = 0
        for ext in external_ids:
            docid = self._docid(ext)
            if docid is not None:
                self._remove_document(docid, ext)
                deleted += 1
        return deleted

    def delete_docids(self, docids: BitMap) -> int:
        pk = self.record["primaryKey"]
        for n, docid in enumerate(docids):
            if n % 1024 == 0:
                self.should_stop()
            doc = self._get(docid)
            if doc is not None:
                self._remove_document(docid, document_id(doc, pk) if pk else None, doc)
        return len(docids)

    def clear(self) -> int:
        """Drop every document and everything derived from them (no per-document work)."""
        count = self.stats["numberOfDocuments"]
        if count == 0:
            return 0
        for name in ("documents", "external_ids", "postings", "facets", "vectors"):
            _delete_prefix(self.txn, self.store.i[name], self.prefix)
        self.docids = BitMap()
        self.stats.update(numberOfDocuments=0, documentBytes=0, fieldDistribution={})
        self.indexers = self._make_indexers(fresh=True)
        self.changed = True
        return count

    def reindex(self) -> None:
        """Rebuild postings and facets from the documents, for settings that change them."""
        for name in ("postings", "facets"):
            _delete_prefix(self.txn, self.store.i[name], self.prefix)
        self.indexers = self._make_indexers(fresh=True)
        db = self.docs_db
        cursor = self.txn.cursor(db)
        if cursor.set_range(self.prefix):
            for n, (key, raw) in enumerate(cursor):
                if key[:4] != self.prefix:
                    break
                if n % 1024 == 0:
                    self.should_stop()
                doc = orjson.loads(raw)
                for indexer in self.indexers:
                    indexer.on_change(read_u32(key, 4), None, doc)
        self.changed = True

    def all_docids(self) -> BitMap:
        return BitMap(self.docids)

    def _geo_checked(self) -> bool:
        filterable = self.settings.get("filterableAttributes") or []
        return "_geo" in (self.settings.get("sortableAttributes") or []) or "_geo" in filterable

    # -- settings ------------------------------------------------------------------------------
    def set_settings(self, settings: dict[str, Any], rebuild: bool = False) -> None:
        self.settings = settings
        self.registry.put_meta(self.txn, self.iid, "settings", settings)
        if rebuild:
            self.reindex()
        self.changed = True

    # -- bookkeeping ---------------------------------------------------------------------------
    def finish(self, now: int) -> None:
        words, others = self.indexers[0], self.indexers[1:]
        assert isinstance(words, WordIndexer)
        with paused_gc():
            words.finish(meanwhile=lambda: [indexer.finish() for indexer in others])
        self.registry.put_meta(self.txn, self.iid, "stats", self.stats)
        if self.fields.dirty:
            self.registry.put_meta(self.txn, self.iid, "fields", self.fields.names)
        self.docids.run_optimize()
        self.txn.put(meta_key(self.iid, "docids"), self.docids.serialize(), db=self.registry.meta)
        self.record["updatedAt"] = now
        self.registry.put(self.txn, self.record)
        self.registry.bump_version(self.txn, self.iid)

    def _docid(self, ext: str) -> int | None:
        raw = self.txn.get(self.prefix + ext.encode(), db=self.ids_db)
        return read_u32(raw) if raw is not None else None

    def _allocate(self, ext: str) -> int:
        docid = self.stats["nextDocid"]
        self.stats["nextDocid"] = docid + 1
        self.docids.add(docid)
        self.txn.put(self.prefix + ext.encode(), u32(docid), db=self.ids_db)
        return docid

    def _get(self, docid: int) -> dict[str, Any] | None:
        raw = self.txn.get(index_key(self.iid, u32(docid)), db=self.docs_db)
        return orjson.loads(raw) if raw is not None else None

    def _store_document(self, docid: int, old: dict[str, Any] | None, new: dict[str, Any],
                        indexers: list[DocumentIndexer] | None = None) -> None:
        """Store one version; ``indexers`` (default: all) hear of it now, the others later."""
        raw = orjson.dumps(new)
        self.txn.put(index_key(self.iid, u32(docid)), raw, db=self.docs_db)
        distribution = self.stats["fieldDistribution"]
        self.stats["documentBytes"] = self.stats.get("documentBytes", 0) + len(raw)
        if old is None:
            self.stats["numberOfDocuments"] += 1
        else:
            self.stats["documentBytes"] -= len(orjson.dumps(old))
            _count_fields(distribution, old, -1)
        _count_fields(distribution, new, +1)
        for indexer in self.indexers if indexers is None else indexers:
            indexer.on_change(docid, old, new)
        self.changed = True

    def _remove_document(self, docid: int, ext: str | None, old: dict[str, Any] | None = None) -> None:
        if old is None:
            old = self._get(docid)
        if old is None:
            return
        self.txn.delete(index_key(self.iid, u32(docid)), db=self.docs_db)
        self.docids.discard(docid)
        if ext is not None:
            self.txn.delete(self.prefix + ext.encode(), db=self.ids_db)
        self.stats["numberOfDocuments"] -= 1
        self.stats["documentBytes"] = max(0, self.stats.get("documentBytes", 0) - len(orjson.dumps(old)))
        _count_fields(self.stats["fieldDistribution"], old, -1)
        for indexer in self.indexers:
            indexer.on_change(docid, old, None)
        self.changed = True


def _count_fields(distribution: dict[str, int], document: dict[str, Any], delta: int) -> None:
    for field in document:
        count = distribution.get(field, 0) + delta
        if count > 0:
            distribution[field] = count
        else:
            distribution.pop(field, None)
