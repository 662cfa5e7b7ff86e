"""Apply document and settings operations to one index inside the batch's write transaction.

`IndexWriter` is the only code that changes an index's documents.  Every change goes through
`_store_document` / `_remove_document`, which keep the external-id map, the field distribution
and the document count in step, and report (docid, old, new) to the indexers so that posting
lists are updated as deltas — never rebuilt for a batch of additions.

The indexers every index has are registered in `INDEXERS`; the writer knows them only through
the protocols of `base.py` (built from an `IndexContext`, told of changes, finishing
themselves), so adding one touches no other.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

import lmdb
import orjson
from pyroaring import BitMap

from ..documents.primary_key import document_id, infer_primary_key
from ..errors import LoupeError
from ..store.registry import Registry, _delete_prefix, meta_key
from ..store import Store
from ..store.codecs import bitmap_loads, external_id_key, index_key, read_u32, u32
from .base import BulkIndexer, Completion, DocumentIndexer, IndexContext, RegisteredIndexer
from .facets import FacetIndexer
from .fields import FieldsMap
from .parallel import CHUNK_DOCS, BulkExtraction, paused_gc
from .words import WordIndexer

if TYPE_CHECKING:
    from ..vectors.writer import VectorWriter

#: The indexers of every index, in the order they hear of changes and finish.  An indexer whose
#: finish leaves work to a helper process (the word indexer) comes first: the others' finish then
#: runs while the helper works.
INDEXERS: tuple[type[RegisteredIndexer], ...] = (WordIndexer, FacetIndexer)

#: What `clear` empties besides the derived tables: the documents, their ids and embeddings.
_DOCUMENT_TABLES = ("documents", "external_ids", "vectors")


def derived_tables() -> tuple[str, ...]:
    """Tables the registered indexers derive from the documents: emptied before a rebuild."""
    return tuple(dict.fromkeys(table for indexer in INDEXERS for table in indexer.tables))


class IndexWriter:
    def __init__(self, store: Store, txn: lmdb.Transaction, registry: Registry, record: dict[str, Any],
                 indexers: Iterable[DocumentIndexer] = (), should_stop: Callable[[], None] | None = None):
        """``indexers``: the caller's own indexers (hooks), kept in step like the registered ones."""
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
        self.hooks = list(indexers)
        self.indexers = self._make_indexers()
        self.should_stop = should_stop or (lambda: None)
        self.writes = 0  # changes made so far: a task that fails after one left the batch dirty

    def _make_indexers(self, fresh: bool | None = None) -> list[DocumentIndexer]:
        """The registered indexers, new, for the current settings; then the hooks."""
        context = IndexContext(self.store, self.txn, self.iid, self.settings, self.fields,
                               fresh=not self.docids if fresh is None else fresh)
        return [indexer.from_context(context) for indexer in INDEXERS] + self.hooks

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
        updates = None
        if self.settings.get("embedders"):
            documents, updates = self._vectors().prepare(documents, ids, self._docid, self._get, method)
        if self.record["primaryKey"] != primary_key:
            self.record["primaryKey"] = primary_key
            self.writes += 1
        with paused_gc():
            indexed = self._add(ids, documents, method, skip_creation)
        if updates is not None:
            vectors = self._vectors()
            for ext, entries in zip(ids, updates):
                if entries:
                    docid = self._docid(ext)
                    if docid is not None:
                        vectors.apply(docid, entries)
        return indexed

    def _vectors(self) -> "VectorWriter":
        """The embeddings' writer for the current settings (engine/vectors/writer.py)."""
        from ..vectors.writer import VectorWriter
        return VectorWriter(self.store, self.txn, self.iid, self.record["uid"], self.settings)

    def _add(self, ids: list[str], documents: list[dict[str, Any]], method: str, skip_creation: bool) -> int:
        """Store the documents while the bulk indexers extract them, then index them.

        Indexers without an extractor hear of each document as it is stored.
        """
        bulk = [indexer for indexer in self.indexers if isinstance(indexer, BulkIndexer)]
        others = [indexer for indexer in self.indexers if not isinstance(indexer, BulkIndexer)]
        extraction = BulkExtraction(documents, [indexer.extractor for indexer in bulk])
        extraction.start()
        try:
            changes, indexed = self._store_documents(ids, documents, method, skip_creation, others)
            chunks = extraction.result(self.should_stop)
        finally:
            extraction.close()
        applied = [[indexer.add_chunk(part) for indexer, part in zip(bulk, chunk)] for chunk in chunks]
        for n, (docid, old, new, j) in enumerate(changes):
            if n % 1024 == 0:
                self.should_stop()
            if j < 0:  # a partial update merged with the stored version: not pre-extracted
                for indexer in bulk:
                    indexer.on_change(docid, old, new)
            else:
                for indexer, part in zip(bulk, applied[j // CHUNK_DOCS]):
                    indexer.on_change_extracted(docid, old, new, part, j % CHUNK_DOCS)
        return indexed

    def _store_documents(self, ids: list[str], documents: list[dict[str, Any]], method: str,
                         skip_creation: bool, indexers: list[DocumentIndexer]
                         ) -> tuple[list[tuple[int, Any, Any, int]], int]:
        """Store a payload's documents, telling ``indexers`` at once; returns the (docid, old, new,
        index in payload or -1) the others are still to hear of."""
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
            self._store_document(docid, old, new, indexers)
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

    def edit_documents(self, docids: Iterable[int],
                       edit: Callable[[dict[str, Any]], tuple[dict[str, Any] | None, bool]]) -> None:
        """Apply ``edit`` (document -> (new version or None to delete, changed?)) to ``docids``.

        Every document is edited before anything is written, so an error raised by ``edit`` on
        the last document leaves the index as it was (the task fails as a whole, as upstream's).
        The writes then take the same path as additions and deletions: indexes, stats and field
        distribution follow."""
        pk = self.record["primaryKey"]
        changes = []
        for n, docid in enumerate(docids):
            if n % 256 == 0:
                self.should_stop()
            old = self._get(docid)
            if old is None:
                continue
            new, changed = edit(old)
            if changed:
                changes.append((docid, old, new))
        for docid, old, new in changes:
            if new is None:
                self._remove_document(docid, document_id(old, pk) if pk else None, old)
            else:
                self._store_document(docid, old, new)

    def clear(self) -> int:
        """Drop every document and everything derived from them (no per-document work)."""
        count = self.stats["numberOfDocuments"]
        if count == 0:
            return 0
        for name in dict.fromkeys(_DOCUMENT_TABLES + derived_tables()):
            _delete_prefix(self.txn, self.store.i[name], self.prefix)
        self.docids = BitMap()
        self.stats.update(numberOfDocuments=0, documentBytes=0, fieldDistribution={})
        self.indexers = self._make_indexers(fresh=True)
        self.writes += 1
        return count

    def reindex(self) -> None:
        """Rebuild what the indexers derive from the documents, for settings that change it."""
        for name in derived_tables():
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
        self.writes += 1

    def all_docids(self) -> BitMap:
        return BitMap(self.docids)

    def _geo_checked(self, settings: dict[str, Any] | None = None) -> bool:
        settings = self.settings if settings is None else settings
        filterable = settings.get("filterableAttributes") or []
        return "_geo" in (settings.get("sortableAttributes") or []) or "_geo" in filterable

    def check_geo_for(self, settings: dict[str, Any]) -> None:
        """Before ``settings`` make `_geo` filterable or sortable, every stored `_geo` must be valid:
        upstream extracts the geo points then, and a bad one fails the settings task (nothing is
        written before this check)."""
        if self._geo_checked() or not self._geo_checked(settings) or not self.docids:
            return
        from ..documents.geo import check_geo
        from ..documents.primary_key import get_path
        cursor = self.txn.cursor(self.docs_db)
        if not cursor.set_range(self.prefix):
            return
        for key, raw in cursor:
            if key[:4] != self.prefix:
                break
            if b'"_geo"' in raw:
                doc = orjson.loads(raw)
                if "_geo" in doc:
                    check_geo(doc, get_path(doc, self.record["primaryKey"]), self.record["uid"])

    # -- settings ------------------------------------------------------------------------------
    def set_settings(self, settings: dict[str, Any], rebuild: bool = False) -> None:
        old = self.settings
        embedders_changed = (old.get("embedders") or {}) != (settings.get("embedders") or {})
        searchable_changed = old.get("searchableAttributes") != settings.get("searchableAttributes") and any(
            (config or {}).get("source") != "userProvided" for config in (settings.get("embedders") or {}).values())
        vectors = self._vectors() if embedders_changed or searchable_changed else None
        if embedders_changed:
            vectors.build_changed(old, settings)
        if vectors is not None and self.docids:
            vectors.settings_changed(old, settings, self._get, self._store_document, BitMap(self.docids))
        self.settings = settings
        self.registry.put_meta(self.txn, self.iid, "settings", settings)
        if rebuild:
            self.reindex()
        self.writes += 1

    # -- bookkeeping ---------------------------------------------------------------------------
    def finish(self, now: int) -> None:
        with paused_gc():
            self._finish_indexers()
        self.registry.put_meta(self.txn, self.iid, "stats", self.stats)
        if self.fields.dirty:
            self.registry.put_meta(self.txn, self.iid, "fields", self.fields.names)
        self.docids.run_optimize()
        self.txn.put(meta_key(self.iid, "docids"), self.docids.serialize(), db=self.registry.meta)
        self.record["updatedAt"] = now
        self.registry.put(self.txn, self.record)
        self.registry.bump_version(self.txn, self.iid)

    def _finish_indexers(self) -> None:
        """Every indexer finishes itself; the completions of those that left work to a helper
        process run after all of them, so that work overlaps the others' finish.  On failure the
        helpers are released without writing."""
        completions: list[Completion] = []
        try:
            for indexer in self.indexers:
                completion = indexer.finish()
                if completion is not None:
                    completions.append(completion)
            for completion in completions:
                completion()
        finally:
            for completion in completions:
                completion.close()

    def _docid(self, ext: str) -> int | None:
        raw = self.txn.get(external_id_key(self.iid, ext), db=self.ids_db)
        return read_u32(raw) if raw is not None else None

    def _allocate(self, ext: str) -> int:
        docid = self.stats["nextDocid"]
        self.stats["nextDocid"] = docid + 1
        self.docids.add(docid)
        self.txn.put(external_id_key(self.iid, ext), u32(docid), db=self.ids_db)
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
        self.writes += 1

    def _remove_document(self, docid: int, ext: str | None, old: dict[str, Any] | None = None) -> None:
        if old is None:
            old = self._get(docid)
        if old is None:
            return
        self.txn.delete(index_key(self.iid, u32(docid)), db=self.docs_db)
        if self.settings.get("embedders"):
            self._vectors().remove(docid)
        self.docids.discard(docid)
        if ext is not None:
            self.txn.delete(external_id_key(self.iid, ext), db=self.ids_db)
        self.stats["numberOfDocuments"] -= 1
        self.stats["documentBytes"] = max(0, self.stats.get("documentBytes", 0) - len(orjson.dumps(old)))
        _count_fields(self.stats["fieldDistribution"], old, -1)
        for indexer in self.indexers:
            indexer.on_change(docid, old, None)
        self.writes += 1


def _count_fields(distribution: dict[str, int], document: dict[str, Any], delta: int) -> None:
    for field in document:
        count = distribution.get(field, 0) + delta
        if count > 0:
            distribution[field] = count
        else:
            distribution.pop(field, None)
