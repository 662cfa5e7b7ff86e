"""Index façade: read access to one index (documents, settings, stats, search).

An `Index` is a cheap handle: every method opens a read transaction on the store, so results
are consistent snapshots and never block the writer.

    >>> engine.index("movies").get_document("42")          # doctest: +SKIP
    {'id': 42, 'title': '...'}
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

import orjson
from pyroaring import BitMap

from .errors import LoupeError, index_not_found
from .store.codecs import external_id_key, index_key, read_u32, u32

if TYPE_CHECKING:
    from .engine import Engine
    from .filters.parser import FilterFeatures
    from .search.query import FacetCounts, FacetSearchResult, Query, SearchResult


def select_fields(document: dict[str, Any], fields: Iterable[str] | None) -> dict[str, Any]:
    """Keep the requested fields (``None`` or ``*`` = all); dotted names reach into objects, and
    into the objects of arrays (``doggos.name`` on ``doggos: [{name, age}, …]`` keeps each
    element's ``name``, as Meilisearch's permissive JSON pointer does)."""
    if fields is None:
        return document
    fields = list(fields)
    if "*" in fields:
        return document
    out: dict[str, Any] = {}
    for key, value in document.items():
        if key in fields:
            out[key] = value
        elif isinstance(value, (dict, list)):
            nested = [f[len(key) + 1:] for f in fields if f.startswith(key + ".")]
            if nested:
                picked = select_fields(value, nested) if isinstance(value, dict) else _select_in_array(value, nested)
                if picked:
                    out[key] = picked
    return out


def _select_in_array(values: list[Any], fields: list[str]) -> list[Any]:
    """`select_fields` of each object of an array (those left empty dropped); arrays inside
    are walked alike and kept even when empty, other values dropped (a dotted name cannot
    select them), as upstream's `create_array` does."""
    out: list[Any] = []
    for value in values:
        if isinstance(value, dict):
            picked = select_fields(value, fields)
            if picked:
                out.append(picked)
        elif isinstance(value, list):
            out.append(_select_in_array(value, fields))
    return out


def read_documents(store: Any, txn: Any, iid: int, docids: Iterable[int]) -> list[dict[str, Any] | None]:
    """Stored documents by internal id, in the given order (None where a docid has no document)."""
    return [orjson.loads(raw) if raw is not None else None for raw in read_raw_documents(store, txn, iid, docids)]


def read_raw_documents(store: Any, txn: Any, iid: int, docids: Iterable[int]) -> list[bytes | None]:
    """The stored JSON of documents by internal id (valid while `txn` is open)."""
    db = store.i["documents"]
    return [txn.get(index_key(iid, u32(docid)), db=db) for docid in docids]


class Index:
    def __init__(self, engine: "Engine", uid: str, txn: Any = None):
        self.engine = engine
        self.store = engine.store
        self.uid = uid
        self.txn = txn  # a read snapshot every read shares (see `snapshot`), else one per call

    @contextmanager
    def snapshot(self) -> Iterator["Index"]:
        """This index pinned to one read snapshot: every search and read through the handle it
        yields sees the same version, whatever the writer commits meanwhile (federated search
        runs all the queries of one index this way)."""
        with self.store.index_env.begin() as txn:
            yield Index(self.engine, self.uid, txn)

    @contextmanager
    def _reading(self) -> Iterator[Any]:
        if self.txn is not None:
            yield self.txn
        else:
            with self.store.index_env.begin() as txn:
                yield txn

    # -- record --------------------------------------------------------------------------------
    def record(self, txn: Any = None) -> dict[str, Any]:
        if txn is None:
            with self.store.index_env.begin() as txn:
                return self.record(txn)
        record = self.engine.registry.get(txn, self.uid)
        if record is None:
            raise index_not_found(self.uid)
        return record

    def settings(self) -> dict[str, Any]:
        with self._reading() as txn:
            return self.engine.registry.get_meta(txn, self.record(txn)["iid"], "settings")

    def stats(self) -> dict[str, Any]:
        with self.store.index_env.begin() as txn:
            record = self.record(txn)
            stats = self.engine.registry.get_meta(txn, record["iid"], "stats")
            settings = self.engine.registry.get_meta(txn, record["iid"], "settings") or {}
            embeddings, embedded = self._embedding_counts(txn, record["iid"], settings)
        count = stats["numberOfDocuments"]
        raw_size = stats.get("documentBytes", 0)
        return {
            "numberOfDocuments": count,
            "rawDocumentDbSize": raw_size,
            "avgDocumentSize": raw_size // count if count else 0,
            "isIndexing": self.engine.is_indexing(self.uid),
            "numberOfEmbeddings": embeddings,
            "numberOfEmbeddedDocuments": embedded,
            "fieldDistribution": dict(sorted(stats["fieldDistribution"].items())),
        }

    def field_names(self) -> list[str]:
        """Every field the index knows: its documents' top-level fields, the paths it indexed
        for search and for facets (the names `POST /indexes/{uid}/fields` lists)."""
        with self._reading() as txn:
            iid = self.record(txn)["iid"]
            meta = self.engine.registry.get_meta
            stats = meta(txn, iid, "stats") or {}
            names = {*meta(txn, iid, "fields", []), *(meta(txn, iid, "faceted_paths") or []),
                     *stats.get("fieldDistribution", {})}
        return sorted(names)

    def _embedding_counts(self, txn: Any, iid: int, settings: dict[str, Any]) -> tuple[int, int]:
        """(embeddings, documents with at least one) over the configured embedders."""
        from .vectors.store import VectorTable
        table = VectorTable(self.store, txn, iid)
        total, documents = 0, BitMap()
        for name, config in (settings.get("embedders") or {}).items():
            width = 4 * table.dimensions(name, config)
            for docid, raw in table.scan(name):
                rows = (len(raw) - 1) // width if width else 0
                if rows:
                    total += rows
                    documents.add(docid)
        return total, len(documents)

    # -- search ------------------------------------------------------------------------------
    def execute(self, query: "Query") -> "SearchResult":
        """The engine's search: a typed `Query` in, a typed `SearchResult` out (raises
        `index_not_found` and the query's coded errors)."""
        from .search.search import search
        with self._reading() as txn:
            return search(self.store, self.engine.registry, self.uid, query,
                          features=self._filter_features(query.filter), txn=txn,
                          rules=self.engine.search_rules())

    def similar(self, external_id: str, embedder: str, **options: Any) -> "SearchResult":
        """Documents similar to ``external_id`` by ``embedder`` (hybrid.md §6); ``options``: filter,
        tenant_filter, offset, limit, threshold, retrieve_vectors."""
        from .search.similar import similar
        with self._reading() as txn:
            return similar(self.store, self.engine.registry, self.uid, external_id, embedder, txn=txn,
                           features=self._filter_features(options.get("filter")), **options)

    def facet_search(self, query: "Query", facet_name: str, facet_query: str | None = None, *,
                     exhaustive: bool = False) -> "FacetSearchResult":
        """Values of ``facet_name`` among the candidates of ``query`` matching ``facet_query``."""
        from .search.search import facet_search
        return facet_search(self.store, self.engine.registry, self.uid, query, facet_name, facet_query,
                            exhaustive=exhaustive, features=self._filter_features(query.filter))

    def facet_counts(self, candidates: BitMap, facets: Sequence[str]) -> "FacetCounts":
        """facetDistribution and facetStats of a candidate set the caller assembled (e.g. several
        searches' candidates united), with the index's faceting settings; ``facets`` are checked like
        a search's (`invalid_search_facets`, no ``Index `uid`: `` prefix)."""
        from .search.facet_counts import facet_counts
        with self._reading() as txn:
            return facet_counts(self.store, self.engine.registry, self.uid, candidates, facets, txn)

    def facet_orders(self, facets: Sequence[str]) -> dict[str, str]:
        """``"alpha"`` or ``"count"`` for each named facet, from ``faceting.sortFacetValuesBy``."""
        from .search.facet_counts import facet_orders
        return facet_orders(self.settings(), facets)

    def search(self, q: str | None = None, **params: Any) -> dict[str, Any]:
        """`index.search(q="...", limit=5, show_ranking_score=True)`: Meilisearch's search route,
        in process, answering its JSON.

        Parameters use snake_case or Meilisearch's camelCase and are validated exactly like the JSON
        body of `POST /indexes/{uid}/search`.  This is the Meilisearch dialect (engine/meilisearch)
        over `execute`, for programs written against Meilisearch; a program of its own calls
        `execute` with a `Query`.
        """
        from .meilisearch.search import run_search
        from .meilisearch.search_params import parse_search_body
        return run_search(self, parse_search_body({"q": q, **{_camel(k): v for k, v in params.items()}}))

    def _filter_features(self, filter: Any) -> "FilterFeatures":
        """The experimental filter features (`containsFilter`, `multimodal`), read only when there
        is a filter to parse (it costs a read transaction of the task store)."""
        from .filters.parser import FilterFeatures
        if filter is None:
            return FilterFeatures()
        return self.engine.filter_features()

    # -- documents -----------------------------------------------------------------------------
    def _docid(self, txn: Any, iid: int, external_id: str) -> int | None:
        raw = txn.get(external_id_key(iid, external_id), db=self.store.i["external_ids"])
        return read_u32(raw) if raw is not None else None

    def get_document(self, external_id: str, fields: Iterable[str] | None = None, *,
                     retrieve_vectors: bool = False) -> dict[str, Any]:
        """One stored document; `_vectors` only with ``retrieve_vectors`` (hybrid.md §8.7)."""
        with self.store.index_env.begin() as txn:
            iid = self.record(txn)["iid"]
            docid = self._docid(txn, iid, external_id)
            raw = txn.get(index_key(iid, u32(docid)), db=self.store.i["documents"]) if docid is not None else None
            if raw is None:
                raise LoupeError("document_not_found", f"Document `{external_id}` not found.")
            document = orjson.loads(raw)
            shown = select_fields(document, fields)
            return self._vectors_view(txn, iid, docid, document, shown, retrieve_vectors)

    def _vectors_view(self, txn: Any, iid: int, docid: int, document: dict[str, Any], shown: dict[str, Any],
                      retrieve_vectors: bool) -> dict[str, Any]:
        if not retrieve_vectors:
            shown.pop("_vectors", None)
            return shown
        settings = self.engine.registry.get_meta(txn, iid, "settings")
        if not settings.get("embedders"):
            if "_vectors" in document:
                shown = {k: v for k, v in shown.items() if k != "_vectors"}
                shown["_vectors"] = document["_vectors"]
            return shown
        from .vectors.view import with_vectors
        return with_vectors(self.store, txn, iid, settings, docid, document, shown)

    def all_docids(self, txn: Any, iid: int) -> BitMap:
        return self.engine.registry.all_docids(txn, iid)

    def documents_by_docids(self, txn: Any, iid: int, docids: Iterable[int]) -> list[dict[str, Any]]:
        """The stored documents of these internal ids (missing ones skipped)."""
        return [d for d in read_documents(self.store, txn, iid, docids) if d is not None]

    def get_documents(self, offset: int = 0, limit: int = 20, fields: Iterable[str] | None = None,
                      ids: list[str] | None = None, filter: Any = None,
                      sort: Sequence[str] | None = None, *,
                      retrieve_vectors: bool = False) -> tuple[list[dict[str, Any]], int]:
        """Documents in internal-id (insertion) order, or in the order of ``sort`` entries
        (`engine.documents.listing`), optionally restricted by ids and filter."""
        with self.store.index_env.begin() as txn:
            record = self.record(txn)
            iid = record["iid"]
            specs = None
            if sort:
                from .documents.listing import sort_specs
                specs = sort_specs(sort, self.engine.registry.get_meta(txn, iid, "settings"))
            if ids is not None:
                candidates = BitMap(d for d in (self._docid(txn, iid, str(i)) for i in ids) if d is not None)
            else:
                candidates = None
            if filter is not None:
                matched = self.engine.filter_docids(txn, record, filter, code="invalid_document_filter")
                candidates = matched if candidates is None else candidates & matched
            if candidates is None:
                candidates = self.all_docids(txn, iid)
            total = len(candidates)
            if specs and offset < total:
                from .documents.listing import ordered_page
                from .search.context import SearchContext
                page = ordered_page(SearchContext(self.store, txn, self.engine.registry, record), candidates, specs,
                                    offset, limit)
            else:
                page = candidates[offset:offset + limit] if offset < total else []
            found = [(docid, d) for docid, d in zip(page, read_documents(self.store, txn, iid, page)) if d is not None]
            return [self._vectors_view(txn, iid, docid, d, select_fields(d, fields), retrieve_vectors)
                    for docid, d in found], total



def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
