"""Filters against a stored index: parse (cached) + evaluate on the LMDB facet table."""
from __future__ import annotations

from typing import Any

import lmdb
from pyroaring import BitMap

from ..facets.filterable import FilterableRules
from ..facets.source import LmdbFacetSource
from ..store import Store
from .evaluate import evaluate
from .parser import FilterFeatures, parse_with
from .vectors import MatrixVectorStatus


def filter_docids(store: Store, txn: lmdb.Transaction, iid: int, settings: dict[str, Any], all_docids: BitMap,
                  filter: Any, *, code: str = "invalid_search_filter", index_uid: str | None = None,
                  features: FilterFeatures = FilterFeatures()) -> BitMap:
    expr = parse_with(filter, code, features)
    source = LmdbFacetSource(store, txn, iid, all_docids)
    return evaluate(expr, source, FilterableRules(settings.get("filterableAttributes") or []), index_uid, code,
                    stored_vector_status(store, txn, iid, settings))


def stored_vector_status(store: Store, txn: lmdb.Transaction, iid: int, settings: dict[str, Any]) -> MatrixVectorStatus:
    """The embedders' status read in ``txn`` itself (a write transaction sees its own batch):
    each embedder's matrix is loaded once, when a `_vectors` filter first asks for it."""
    from ..vectors.matrix import EmbedderMatrix
    from ..vectors.store import VectorTable
    loaded: dict[str, EmbedderMatrix] = {}

    def load(name: str, config: dict[str, Any]) -> EmbedderMatrix:
        if name not in loaded:
            dimensions = VectorTable(store, txn, iid).dimensions(name, config)
            loaded[name] = EmbedderMatrix.load(store, txn, iid, name, dimensions, bool(config.get("binaryQuantized")))
        return loaded[name]

    return MatrixVectorStatus(settings, load)
