"""Key and value encodings shared by every table of the store.

Keys are bytes ordered the way LMDB compares them (bytewise), so integers are big-endian and
per-index keys start with the index's internal id:  ``iid(4) + docid(4)`` sorts documents of one
index together, in insertion order.
"""
from __future__ import annotations

import hashlib
import struct
from typing import TYPE_CHECKING, Any

import orjson
from pyroaring import BitMap

if TYPE_CHECKING:
    import numpy as np

_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")


def u32(n: int) -> bytes:
    return _U32.pack(n)


def read_u32(b: bytes, offset: int = 0) -> int:
    return _U32.unpack_from(b, offset)[0]


def u64(n: int) -> bytes:
    return _U64.pack(n)


def read_u64(b: bytes) -> int:
    return _U64.unpack(b)[0]


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def loads(raw: bytes | memoryview) -> Any:
    return orjson.loads(raw)


def bitmap_dumps(bm: BitMap) -> bytes:
    return bm.serialize()


def bitmap_loads(raw: bytes | memoryview) -> BitMap:
    return BitMap.deserialize(bytes(raw))


def index_key(iid: int, rest: bytes = b"") -> bytes:
    return _U32.pack(iid) + rest


#: LMDB's largest key (its default MDB_MAXKEYSIZE), in bytes.
MAX_KEY_BYTES = 511


def external_id_key(iid: int, external_id: str) -> bytes:
    """The `external_ids` key of a document id: ``iid(4) + id``.

    A document id may be 511 bytes long (Meilisearch's limit), which with the 4-byte prefix
    would not fit an LMDB key; such an id is stored under ``iid(4) + NUL + sha256(id)`` instead.
    A valid id never holds a NUL byte, so the two forms cannot meet, and ids that fit keep the
    plain form: stores written before this form existed read the same.
    """
    raw = external_id.encode()
    if len(raw) + 4 <= MAX_KEY_BYTES:
        return _U32.pack(iid) + raw
    return _U32.pack(iid) + b"\0" + hashlib.sha256(raw).digest()


def bitmap_from_array(values: "np.ndarray") -> BitMap:
    """A BitMap from a numpy integer array (through array.array: ~8x faster than iterating)."""
    import array

    import numpy as np
    return BitMap(array.array("I", np.ascontiguousarray(values, dtype=np.uint32).tobytes()))


_NO_RUN_COOKIE = 12346  # CRoaring portable format, no run containers
_PORTABLE_HEAD = struct.Struct("<II")  # cookie, container count (the format is little-endian)
_ARRAY_CONTAINER_MAX = 4096
_SMALL_BITMAP = 1024  # below this many values, BitMap(array) is cheaper than building containers


def bitmap_from_sorted(values: "np.ndarray") -> BitMap:
    """A BitMap from an ascending array of distinct integers in [0, 2**32), built as Roaring's
    portable serialization and deserialized in one C call.

    `BitMap(array)` adds values one by one (~10 ns each): a search turning a 20,000-document
    bucket into a bitmap paid 0.2 ms for it, a quarter of that here.  Each 2**16 chunk becomes one
    container in numpy: its low 16 bits as is (up to 4096 values) or an 8 KiB bitset.  Small
    inputs go through `bitmap_from_array`, cheaper below a few hundred values.  Unsorted or
    repeated input would give a wrong bitmap: use `bitmap_from_array` for those.
    """
    import numpy as np
    v = np.asarray(values)
    n = len(v)
    if n < _SMALL_BITMAP:
        return bitmap_from_array(v)
    v = v.astype(np.int64, copy=False)
    high = v >> 16
    if high[0] == high[-1]:
        starts, keys = [0], [int(high[0])]
    else:
        cuts = (np.flatnonzero(high[1:] != high[:-1]) + 1).tolist()
        starts = [0, *cuts]
        keys = high[starts].tolist()
    ends = starts[1:] + [n]
    low = v & 0xFFFF
    k = len(keys)
    descriptive = np.empty(2 * k, dtype="<u2")
    descriptive[0::2] = keys
    descriptive[1::2] = [e - s - 1 for s, e in zip(starts, ends)]
    offsets = np.empty(k, dtype="<u4")
    payloads = []
    at = 8 + 8 * k
    for i, (s, e) in enumerate(zip(starts, ends)):
        if e - s <= _ARRAY_CONTAINER_MAX:
            data = low[s:e].astype("<u2").tobytes()
        else:
            bits = np.zeros(1 << 16, dtype=bool)
            bits[low[s:e]] = True
            data = np.packbits(bits, bitorder="little").tobytes()
        offsets[i] = at
        at += len(data)
        payloads.append(data)
    head = _PORTABLE_HEAD.pack(_NO_RUN_COOKIE, k) + descriptive.tobytes() + offsets.tobytes()
    return BitMap.deserialize(head + b"".join(payloads))


def unique_sorted(values: "np.ndarray") -> "np.ndarray":
    """Distinct values of an ascending array, by one comparison with its neighbour.

    (numpy 2's `np.unique` hashes and sorts again: 25x slower on the few-thousand-element
    arrays searches produce.)
    """
    import numpy as np
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def sorted_member(values: "np.ndarray", sorted_keys: "np.ndarray") -> "np.ndarray":
    """`np.isin(values, sorted_keys)` for an ascending `sorted_keys`, by binary search."""
    import numpy as np
    if not len(sorted_keys):
        return np.zeros(len(values), dtype=bool)
    idx = np.searchsorted(sorted_keys, values)
    idx[idx == len(sorted_keys)] = len(sorted_keys) - 1
    return sorted_keys[idx] == values


# Up to this many documents facing more than SELECT_RATIO occurrences per document, rules pick
# the documents' occurrences out by binary search rather than filter every occurrence.
SMALL_UNIVERSE = 256
SELECT_RATIO = 64


def picks_occurrences(n_documents: int, n_occurrences: int) -> bool:
    """Whether `occurrences_of` beats a pass over all `n_occurrences` for `n_documents`."""
    return n_documents <= SMALL_UNIVERSE and n_occurrences > SELECT_RATIO * n_documents


def occurrences_of(occ: "np.ndarray", ids: "np.ndarray") -> "np.ndarray":
    """The occurrences (sorted ``docid<<32 | ...`` keys) of the documents `ids` (ascending), by
    binary search: two searches per document instead of a look at every occurrence."""
    import numpy as np
    first = ids.astype(np.int64) << 32
    lo = np.searchsorted(occ, first)
    hi = np.searchsorted(occ, first + (1 << 32))
    lengths = hi - lo
    total = int(lengths.sum())
    if total == 0:
        return occ[:0]
    offsets = np.repeat(lo - (np.cumsum(lengths) - lengths), lengths)
    return occ[offsets + np.arange(total)]


def bitmap_to_array(bm: BitMap) -> "np.ndarray":
    import numpy as np
    return np.frombuffer(bm.to_array(), dtype=np.uint32)
