"""Stored embeddings: the `vectors` table, the truth every vector structure is built from.

    key   = iid (u32) + embedder name + b"\\0" + docid (u32 big-endian)
    value = one flag byte + the embeddings as little-endian float32, row after row

Flag bits, as upstream's embedding status: bit 0 `regenerate` (the embedder may replace the
embeddings when the document's text changes), bit 1 `user provided` (the embeddings, possibly none,
were given in the document rather than generated; `_vectors.<e>.userProvided` filters read it).

A document with an entry but no embedding (``_vectors.manual: null``) stores the flag byte alone.

A generating embedder whose settings give no `dimensions` learns them from its first embedding;
readers cannot split a value into rows without them, so they are recorded next to the embeddings:

    key   = iid (u32) + b"\\0" + embedder name      (no embedder name is empty or starts with NUL)
    value = dimensions (u32)

`VectorTable.dimensions` gives the configured value, else the recorded one: every reader asks it.
Writes happen in the batch's write transaction, next to the documents, so they commit (or vanish)
with them.
"""
from __future__ import annotations

from typing import Any, Iterator, Sequence

import lmdb
import numpy as np

from ..store import Store
from ..store.codecs import read_u32, u32

REGENERATE = 1
USER_PROVIDED = 2


def embedder_prefix(iid: int, name: str) -> bytes:
    return u32(iid) + name.encode() + b"\0"


def vector_key(iid: int, name: str, docid: int) -> bytes:
    return embedder_prefix(iid, name) + u32(docid)


def dimensions_key(iid: int, name: str) -> bytes:
    return u32(iid) + b"\0" + name.encode()


def encode(embeddings: np.ndarray, regenerate: bool, user_provided: bool = False) -> bytes:
    flags = bytes([(REGENERATE if regenerate else 0) | (USER_PROVIDED if user_provided else 0)])
    if embeddings.size == 0:
        return flags
    return flags + np.ascontiguousarray(embeddings, dtype="<f4").tobytes()


def decode(raw: bytes | memoryview, dimensions: int) -> tuple[np.ndarray, bool]:
    raw = bytes(raw)
    regenerate = bool(raw[0] & REGENERATE)
    values = np.frombuffer(raw, dtype="<f4", offset=1)
    if values.size == 0 or dimensions <= 0 or values.size % dimensions:
        return np.zeros((0, max(dimensions, 0)), dtype=np.float32), regenerate
    return values.reshape(-1, dimensions).astype(np.float32), regenerate


def user_provided_flag(raw: bytes | memoryview) -> bool:
    """The `user provided` bit of a stored value."""
    return bool(raw[0] & USER_PROVIDED)


class VectorTable:
    """Reads and writes one index's embeddings inside a caller's transaction."""

    def __init__(self, store: Store, txn: lmdb.Transaction, iid: int):
        self.txn, self.iid = txn, iid
        self.db = store.i["vectors"]

    def put(self, name: str, docid: int, embeddings: np.ndarray, regenerate: bool, user_provided: bool = False) -> None:
        self.txn.put(vector_key(self.iid, name, docid), encode(embeddings, regenerate, user_provided), db=self.db)

    def user_provided(self, name: str, docid: int) -> bool:
        raw = self.txn.get(vector_key(self.iid, name, docid), db=self.db)
        return raw is not None and user_provided_flag(raw)

    def get(self, name: str, docid: int, dimensions: int) -> tuple[np.ndarray, bool] | None:
        raw = self.txn.get(vector_key(self.iid, name, docid), db=self.db)
        return decode(raw, dimensions) if raw is not None else None

    def has(self, name: str, docid: int) -> bool:
        return self.txn.get(vector_key(self.iid, name, docid), db=self.db) is not None

    def delete(self, name: str, docid: int) -> None:
        self.txn.delete(vector_key(self.iid, name, docid), db=self.db)

    def scan(self, name: str) -> Iterator[tuple[int, bytes]]:
        """(docid, raw value) of every document with an entry for ``name``, by docid."""
        for docid_key, raw in self._entries(name):
            yield read_u32(docid_key, 0), raw

    def _entries(self, name: str) -> Iterator[tuple[bytes, bytes]]:
        """(big-endian docid bytes, raw value) of every entry for ``name``, by docid."""
        prefix = embedder_prefix(self.iid, name)
        cursor = self.txn.cursor(self.db)
        if not cursor.set_range(prefix):
            return
        n = len(prefix)
        for key, raw in cursor:
            if key[:n] != prefix:
                break
            yield key[n:], raw

    def read_all(self, name: str, dimensions: int) -> "StoredEmbeddings":
        """Every document's entry for ``name`` at once, decoded with a few numpy passes over the
        joined values rather than one `decode` per document (the matrix of 63,666 MiniLM rows
        loads in a tenth of the time)."""
        keys: list[bytes] = []
        values: list[bytes | memoryview] = []
        for docid_key, raw in self._entries(name):
            keys.append(bytes(docid_key))
            values.append(raw)
        return StoredEmbeddings.decode(keys, values, dimensions)

    def count_rows(self, name: str, dimensions: int) -> int:
        """How many embeddings ``name`` holds (values are sized, not decoded)."""
        if dimensions <= 0:
            return 0
        width, rows = 4 * dimensions, 0
        for _docid_key, raw in self._entries(name):
            size = len(raw) - 1
            if size % width == 0:
                rows += size // width
        return rows

    def dimensions(self, name: str, config: dict[str, Any] | None) -> int:
        """The width of the embedder's embeddings: configured, else recorded, else 0 (none yet)."""
        configured = int((config or {}).get("dimensions") or 0)
        return configured or (self.recorded_dimensions(name) or 0)

    def recorded_dimensions(self, name: str) -> int | None:
        raw = self.txn.get(dimensions_key(self.iid, name), db=self.db)
        return read_u32(bytes(raw), 0) if raw is not None else None

    def record_dimensions(self, name: str, dimensions: int) -> None:
        self.txn.put(dimensions_key(self.iid, name), u32(dimensions), db=self.db)

    def forget_dimensions(self, name: str) -> None:
        self.txn.delete(dimensions_key(self.iid, name), db=self.db)

    def drop(self, name: str) -> None:
        """Every embedding of the embedder, and the dimensions recorded for it."""
        self.forget_dimensions(name)
        prefix = embedder_prefix(self.iid, name)
        cursor = self.txn.cursor(self.db)
        if not cursor.set_range(prefix):
            return
        while cursor.key()[:len(prefix)] == prefix:
            if not cursor.delete():
                break


class StoredEmbeddings:
    """One embedder's entries decoded together, in docid order; each document's row count follows
    `decode`: a value whose floats do not split into rows of ``dimensions`` holds none."""

    def __init__(self, docids: np.ndarray, counts: np.ndarray, flags: np.ndarray, rows: np.ndarray):
        self.docids = docids  # uint32, ascending: every document with an entry
        self.counts = counts  # int64: its number of embeddings (0 for `null`)
        self.flags = flags    # uint8: its flag byte
        self.rows = rows      # float32 (sum(counts), dimensions), writable

    @classmethod
    def decode(cls, keys: Sequence[bytes], values: Sequence[bytes | memoryview], dimensions: int) -> "StoredEmbeddings":
        width = 4 * max(dimensions, 0)
        docids = np.frombuffer(b"".join(keys), dtype=">u4").astype(np.uint32)
        flags = np.frombuffer(b"".join(bytes(raw[:1]) for raw in values), dtype=np.uint8)
        sizes = np.fromiter(map(len, values), dtype=np.int64, count=len(values)) - 1
        if width:
            counts = np.where(sizes % width == 0, sizes // width, 0)
        else:
            counts = np.zeros(len(values), dtype=np.int64)
        blob = bytearray().join(memoryview(raw)[1:] for raw, count in zip(values, counts.tolist()) if count)
        rows = np.frombuffer(blob, dtype="<f4").reshape(-1, max(dimensions, 0)) if width else \
            np.zeros((0, 0), dtype=np.float32)
        if rows.dtype != np.float32:  # big-endian hosts: native order
            rows = rows.astype(np.float32)
        return cls(docids, counts, flags, rows)


def embedder_dimensions(settings: dict[str, Any], name: str) -> int:
    config = (settings.get("embedders") or {}).get(name) or {}
    return int(config.get("dimensions") or 0)


def quantize(embeddings: np.ndarray) -> np.ndarray:
    """binaryQuantized: one bit per component, kept as 1.0 (> 0) or 0.0 (hybrid.md §8.7)."""
    return (embeddings > 0).astype(np.float32)
