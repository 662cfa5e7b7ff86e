"""`_vectors` as `retrieveVectors: true` shows it (hybrid.md §2, §8.7, §8.8).

The stored document's own `_vectors` keys (embedders not configured) come first, then one entry per
configured embedder in name order, ``{"embeddings": [[…], …], "regenerate": bool}``, the float32
values widened to float64 (``0.1`` -> ``0.10000000149011612``).  `_vectors` is the last field.
"""
from __future__ import annotations

from typing import Any

from ..store import Store
from .store import VectorTable


def vectors_object(table: VectorTable, settings: dict[str, Any], docid: int, own: Any) -> dict[str, Any]:
    out: dict[str, Any] = dict(own) if isinstance(own, dict) else {}
    for name in sorted(settings.get("embedders") or {}):
        found = table.get(name, docid, table.dimensions(name, settings["embedders"][name]))
        if found is None:
            out[name] = {"embeddings": [], "regenerate": False}
        else:
            embeddings, regenerate = found
            out[name] = {"embeddings": embeddings.astype(float).tolist(), "regenerate": regenerate}
    return out


def with_vectors(store: Store, txn: Any, iid: int, settings: dict[str, Any], docid: int,
                 document: dict[str, Any], shown: dict[str, Any] | None = None) -> dict[str, Any]:
    """``shown`` (default: ``document``) with `_vectors` appended as its last field; ``document`` is
    the stored version, whose own `_vectors` keys are kept."""
    shown = document if shown is None else shown
    out = {k: v for k, v in shown.items() if k != "_vectors"}
    out["_vectors"] = vectors_object(VectorTable(store, txn, iid), settings, docid, document.get("_vectors"))
    return out


def vectors_displayed(displayed: Any) -> bool:
    """`_vectors` is shown only when displayedAttributes allow it."""
    return displayed is None or "*" in displayed or "_vectors" in displayed
