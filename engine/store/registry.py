"""The index registry: uid -> index record, and per-index metadata in the index environment.

An index has a public uid (renamable, swappable) and a private numeric id (``iid``) that prefixes
every key of its data.  Renames and swaps therefore rewrite one registry record, never the data.
"""
from __future__ import annotations

from typing import Any, Iterator

import lmdb

from ..errors import LoupeError, index_not_found
from ..settings import default_settings
from .env import Store
from pyroaring import BitMap

from .codecs import bitmap_loads, dumps, index_key, loads, read_u32, u32

_GLOBAL = 0xFFFFFFFF  # iid slot for instance-wide counters in index_meta


def meta_key(iid: int, name: str) -> bytes:
    return index_key(iid, name.encode())


class Registry:
    """Read and write index records inside a caller-provided LMDB transaction."""

    def __init__(self, store: Store):
        self.store = store
        self.db = store.i["registry"]
        self.meta = store.i["index_meta"]

    # -- reads ---------------------------------------------------------------------------------
    def get(self, txn: lmdb.Transaction, uid: str) -> dict[str, Any] | None:
        raw = txn.get(uid.encode(), db=self.db)
        return loads(raw) if raw is not None else None

    def require(self, txn: lmdb.Transaction, uid: str) -> dict[str, Any]:
        record = self.get(txn, uid)
        if record is None:
            raise index_not_found(uid)
        return record

    def all(self, txn: lmdb.Transaction) -> Iterator[dict[str, Any]]:
        for _key, raw in txn.cursor(self.db):
            yield loads(raw)

    def get_meta(self, txn: lmdb.Transaction, iid: int, name: str, default: Any = None) -> Any:
        raw = txn.get(meta_key(iid, name), db=self.meta)
        return loads(raw) if raw is not None else default

    # -- writes --------------------------------------------------------------------------------
    def put(self, txn: lmdb.Transaction, record: dict[str, Any]) -> None:
        txn.put(record["uid"].encode(), dumps(record), db=self.db)

    def put_meta(self, txn: lmdb.Transaction, iid: int, name: str, value: Any) -> None:
        txn.put(meta_key(iid, name), dumps(value), db=self.meta)

    def create(self, txn: lmdb.Transaction, uid: str, primary_key: str | None, now: int) -> dict[str, Any]:
        if self.get(txn, uid) is not None:
            raise LoupeError("index_already_exists", f"Index `{uid}` already exists.")
        raw = txn.get(meta_key(_GLOBAL, "next_iid"), db=self.meta)
        iid = read_u32(raw) if raw is not None else 0
        txn.put(meta_key(_GLOBAL, "next_iid"), u32(iid + 1), db=self.meta)
        record = {"iid": iid, "uid": uid, "createdAt": now, "updatedAt": now, "primaryKey": primary_key}
        self.put(txn, record)
        self.put_meta(txn, iid, "settings", default_settings())
        self.put_meta(txn, iid, "stats", {"numberOfDocuments": 0, "nextDocid": 0, "fieldDistribution": {}})
        self.bump_version(txn, iid)
        return record

    def delete(self, txn: lmdb.Transaction, uid: str) -> dict[str, Any]:
        record = self.require(txn, uid)
        txn.delete(uid.encode(), db=self.db)
        prefix = u32(record["iid"])
        for name in ("index_meta", "documents", "external_ids", "postings", "facets", "vectors"):
            _delete_prefix(txn, self.store.i[name], prefix)
        return record

    def rename(self, txn: lmdb.Transaction, old: str, new: str) -> dict[str, Any]:
        record = self.require(txn, old)
        if self.get(txn, new) is not None:
            raise LoupeError("index_already_exists", f"Index `{new}` already exists.")
        txn.delete(old.encode(), db=self.db)
        record["uid"] = new
        self.put(txn, record)
        return record

    def all_docids(self, txn: lmdb.Transaction, iid: int) -> "BitMap":
        raw = txn.get(meta_key(iid, "docids"), db=self.meta)
        return bitmap_loads(raw) if raw is not None else BitMap()

    def bump_version(self, txn: lmdb.Transaction, iid: int) -> None:
        """Readers compare this counter with their caches' to notice a changed index."""
        version = self.get_meta(txn, iid, "version", 0)
        self.put_meta(txn, iid, "version", version + 1)


def _delete_prefix(txn: lmdb.Transaction, db: Any, prefix: bytes) -> None:
    cursor = txn.cursor(db)
    if not cursor.set_range(prefix):
        return
    while cursor.key()[: len(prefix)] == prefix:
        if not cursor.delete():
            break
