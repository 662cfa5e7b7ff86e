"""Filters against a stored index: parse (cached) + evaluate on the LMDB facet table."""
from __future__ import annotations

from typing import Any

import lmdb
from pyroaring import BitMap

from ..facets.filterable import FilterableRules
from ..facets.source import LmdbFacetSource
from ..store import Store
from .evaluate import evaluate
from .parser import parse_filter


def filter_docids(store: Store, txn: lmdb.Transaction, iid: int, settings: dict[str, Any], all_docids: BitMap,
                  filter: Any, *, code: str = "invalid_search_filter", index_uid: str | None = None,
                  contains_enabled: bool = False) -> BitMap:
    expr = parse_filter(filter, code, contains_enabled)
    source = LmdbFacetSource(store, txn, iid, all_docids)
    return evaluate(expr, source, FilterableRules(settings.get("filterableAttributes") or []), index_uid, code)
