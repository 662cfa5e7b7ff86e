"""API keys persisted in the queue environment (`keys` table), shaped as `keys.KeyStore`.

Records hold aware datetimes in memory and RFC 3339 strings on disk.  Reads are cached and
invalidated by a counter bumped on every write, because every authenticated request lists the
keys (one HMAC per stored key, see auth.py).
"""
from __future__ import annotations

import threading
from datetime import datetime

from engine.store import Store
from engine.store.codecs import dumps, loads

from .keys import KeyRecord

_DATES = ("expiresAt", "createdAt", "updatedAt")


def _encode(record: KeyRecord) -> bytes:
    return dumps({k: (v.isoformat() if k in _DATES and v is not None else v) for k, v in record.items()})


def _decode(raw: bytes) -> KeyRecord:
    record = loads(raw)
    for k in _DATES:
        if record.get(k) is not None:
            record[k] = datetime.fromisoformat(record[k])
    return record


class LmdbKeyStore:
    def __init__(self, store: Store):
        self.store = store
        self.db = store.q["keys"]
        self._lock = threading.Lock()
        self._cache: list[KeyRecord] | None = None
        self._by_uid: dict[str, KeyRecord] = {}

    def _load(self) -> list[KeyRecord]:
        with self._lock:
            if self._cache is None:
                with self.store.queue_env.begin() as txn:
                    records = [_decode(raw) for _k, raw in txn.cursor(self.db)]
                records.sort(key=lambda r: r["createdAt"], reverse=True)
                self._cache = records
                self._by_uid = {r["uid"]: r for r in records}
            return self._cache

    def all(self) -> list[KeyRecord]:
        return list(self._load())

    def get_by_uid(self, uid: str) -> KeyRecord | None:
        self._load()
        return self._by_uid.get(uid)

    def put(self, record: KeyRecord) -> None:
        with self.store.queue_env.begin(write=True) as txn:
            txn.put(record["uid"].encode(), _encode(record), db=self.db)
        self._invalidate()

    def delete(self, uid: str) -> bool:
        with self.store.queue_env.begin(write=True) as txn:
            deleted = txn.delete(uid.encode(), db=self.db)
        self._invalidate()
        return deleted

    def is_empty(self) -> bool:
        with self.store.queue_env.begin() as txn:
            return txn.stat(self.db)["entries"] == 0

    def _invalidate(self) -> None:
        with self._lock:
            self._cache = None


__all__ = ["LmdbKeyStore"]
