"""A namespace's rows read through the engine: every document (a placeholder `Query`) with its
vector when asked, as ``Row`` values (``{"id", **attrs}``) the filters and rankings use."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from engine.index import Index
from engine.search.query import Query


@dataclass(frozen=True)
class Row:
    docid: int
    values: dict[str, Any]       # {"id": …, **attributes}
    vector: list[float] | None   # as stored (float32), when asked


def version(index: Index) -> int:
    engine = index.engine
    with engine.store.index_env.begin() as txn:
        return engine.registry.get_meta(txn, index.record(txn)["iid"], "version", 0)


def row_of(docid: int, raw: bytes | None, vectors: dict[str, Any] | None, embedder: str | None) -> Row:
    document = orjson.loads(raw) if raw is not None else {}
    values = {"id": document.get("id"), **(document.get("attrs") or {})}
    vector = None
    if vectors is not None and embedder is not None:
        embeddings = (vectors.get(embedder) or {}).get("embeddings") or []
        vector = embeddings[0] if embeddings else None
    return Row(docid, values, vector)


def all_rows(index: Index, embedder: str | None, with_vectors: bool, filter: Any = None) -> list[Row]:
    """Every row of the namespace (those a Loupe ``filter`` selects, when given)."""
    engine = index.engine
    with engine.store.index_env.begin() as txn:
        total = len(engine.registry.all_docids(txn, index.record(txn)["iid"]))
    if total == 0:
        return []
    result = index.execute(Query(limit=total, max_total_hits=total, retrieve_vectors=with_vectors, filter=filter))
    vectors = result.vectors or {}
    return [row_of(hit.docid, hit.stored, vectors.get(hit.docid) if with_vectors else None, embedder)
            for hit in result.hits]


def f32(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def rows_by_docids(index: Index, docids: list[int]) -> list[Row]:
    """The rows of these documents (without vectors), in the given order: a ranking that already
    knows its documents reads only those."""
    from engine.index import read_raw_documents
    engine = index.engine
    with engine.store.index_env.begin() as txn:
        iid = index.record(txn)["iid"]
        raws = read_raw_documents(engine.store, txn, iid, docids)
        return [row_of(docid, raw, None, None) for docid, raw in zip(docids, raws) if raw is not None]
