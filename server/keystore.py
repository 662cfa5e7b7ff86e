"""API keys persisted in the queue environment (`keys` table), shaped as `keys.KeyStore`.

Records hold aware datetimes in memory and RFC 3339 strings on disk.  Reads are cached, because
every authenticated request lists the keys (one HMAC per stored key, see auth.py).  The cache is
checked against a version counter stored with the keys (`_VERSION`, bumped in the same write
transaction as every change), so a key created or deleted by another serving process is seen by
the next request here too: one small read per request.
"""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from engine.store import Store
from engine.store.codecs import dumps, loads, read_u64, u64

from .keys import KeyRecord

_DATES = ("expiresAt", "createdAt", "updatedAt")
#: The version counter's key: NUL-prefixed, so no key uid (a UUID string) can collide with it.
_VERSION = b"\x00version"


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
        self._version = -1
        self._by_uid: dict[str, KeyRecord] = {}

    def _load(self) -> list[KeyRecord]:
        with self._lock, self.store.queue_env.begin() as txn:
            version = _read_version(txn, self.db)
            if self._cache is None or version != self._version:
                records = [_decode(raw) for k, raw in txn.cursor(self.db) if not k.startswith(b"\x00")]
                records.sort(key=lambda r: r["createdAt"], reverse=True)
                self._cache, self._version = records, version
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
            _bump_version(txn, self.db)

    def delete(self, uid: str) -> bool:
        with self.store.queue_env.begin(write=True) as txn:
            deleted = txn.delete(uid.encode(), db=self.db)
            _bump_version(txn, self.db)
        return deleted

    def put_all_if_empty(self, records: list[KeyRecord]) -> bool:
        """Store ``records`` only if no key exists, atomically: serving processes starting together
        on a fresh database create the default keys once."""
        with self.store.queue_env.begin(write=True) as txn:
            if any(not k.startswith(b"\x00") for k in txn.cursor(self.db).iternext(values=False)):
                return False
            for record in records:
                txn.put(record["uid"].encode(), _encode(record), db=self.db)
            _bump_version(txn, self.db)
        return True


def _read_version(txn: Any, db: Any) -> int:
    raw = txn.get(_VERSION, db=db)
    return read_u64(raw) if raw is not None else 0


def _bump_version(txn: Any, db: Any) -> None:
    txn.put(_VERSION, u64(_read_version(txn, db) + 1), db=db)


__all__ = ["LmdbKeyStore"]
