"""Key layout of the derived tables (postings and facets), all prefixed by the index's iid.

    postings:  iid | b"W" | word                 -> bitmap   docs with `word` (typo-tolerant set)
               iid | b"X" | word                 -> bitmap   docs with `word` (exact-only set)
               iid | b"O" | word                 -> int64[]  occurrences: docid<<32 | fid<<16 | pos
               iid | b"P" | prefix               -> bitmap   docs with a word starting with prefix
               iid | b"F" | word \0 | fid(2)      -> bitmap   docs with `word` in field `fid`
               iid | b"Q" | prefix \0 | fid(2)    -> bitmap   docs with a word starting with prefix in field
               iid | b"C" | fid(2) | count(1)    -> bitmap   docs whose field has `count` words (<= 30)
    facets:    iid | b"N" | field \\0 | f64key    -> bitmap   numeric facet value
               iid | b"S" | field \\0 | string    -> bitmap   normalized string facet value
               iid | b"D" | field \\0 | string    -> text     display spelling (lowest docid seen)
               iid | b"E"/b"U"/b"M" | field      -> bitmap   exists / is null / is empty
               iid | b"G" | docid(4)             -> f64 lat, f64 lng

Numbers are encoded so that bytewise order is numeric order (`f64_key`).
"""
from __future__ import annotations

import hashlib
import struct

from ..store.codecs import MAX_KEY_BYTES, u32

_F64 = struct.Struct(">d")
_SIGN = 1 << 63
_MASK = (1 << 64) - 1


def f64_key(value: float) -> bytes:
    bits = struct.unpack(">Q", _F64.pack(float(value)))[0]
    if value == 0:
        bits = 0  # -0.0 and 0.0 are one facet value
    bits = (bits ^ _MASK) if bits & _SIGN else (bits | _SIGN)
    return struct.pack(">Q", bits)


def f64_from_key(key: bytes) -> float:
    bits = struct.unpack(">Q", key)[0]
    bits = (bits ^ _SIGN) if bits & _SIGN else (bits ^ _MASK)
    return _F64.unpack(struct.pack(">Q", bits))[0]


def posting_key(iid: int, tag: bytes, word: str) -> bytes:
    return u32(iid) + tag + word.encode()


def slot_key(iid: int, tag: bytes, word: str, slot: int) -> bytes:
    """word x field (b"F") and word x position bucket (b"B") postings."""
    return u32(iid) + tag + word.encode() + b"\0" + struct.pack(">H", min(slot, 0xFFFF))


def count_key(iid: int, fid: int, count: int) -> bytes:
    return u32(iid) + b"C" + struct.pack(">HB", fid, count)


#: The longest field name a facet key holds as is: room for the prefix, the tag, the separator and
#: an 8-byte number in LMDB's 511-byte keys.  Longer names (which never fitted) are hashed.
_MAX_FIELD_PART = MAX_KEY_BYTES - 4 - 1 - 1 - 8


def _field_part(field: str) -> bytes:
    """A field name as facet keys hold it: its UTF-8 bytes, or for a name too long for a key or
    holding a NUL byte (the separator before the value: ``a`` would then see the values of
    ``a\0b``), 0xFF (a byte UTF-8 never uses, so no name can look the same) and its hex SHA-256,
    which holds no NUL."""
    raw = field.encode()
    if len(raw) <= _MAX_FIELD_PART and b"\0" not in raw:
        return raw
    return b"\xff" + hashlib.sha256(raw).hexdigest().encode()


def facet_key(iid: int, tag: bytes, field: str, value: bytes = b"") -> bytes:
    """A facet table key; a string value that would not fit the key beside a long field name is
    cut at a character boundary, the same way when indexing and when filtering (values are already
    cut to `MAX_FACET_VALUE_BYTES`, so keys of short field names never change)."""
    prefix = facet_prefix(iid, tag, field)
    room = MAX_KEY_BYTES - len(prefix)
    if len(value) > room:
        value = value[:room].decode("utf-8", "ignore").encode()
    return prefix + value


def fit_facet_value(field: str, normalized: str) -> str:
    """A normalized string facet value as the keys of ``field`` hold it (see `facet_key`): what a
    filter compares with the stored values."""
    room = MAX_KEY_BYTES - 6 - len(_field_part(field))
    raw = normalized.encode()
    return normalized if len(raw) <= room else raw[:room].decode("utf-8", "ignore")


def facet_prefix(iid: int, tag: bytes, field: str) -> bytes:
    return u32(iid) + tag + _field_part(field) + b"\0"
