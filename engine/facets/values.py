"""What a document contributes to the facet indexes, and how filter values are read.

Every filterable field of a document is flattened into dotted paths; each path then carries
numbers, normalized strings, and three flags (exists / null / empty).  Filters, facet
distributions and sort all read these same values, so the rules live in one place
(filters-facets.md §1, §3.1):

    >>> f = flatten_facet_values({"genre": " Horror ", "doggos": [{"age": 2}, None], "tags": []})
    >>> f["genre"].strings, f["doggos.age"].numbers, f["tags"].empty, f["doggos"].null
    ([(' Horror ', 'horror')], [2.0], True, False)

Strings are compared in their *normalized* form: ``lowercase(NFKD(trim(s)))`` cut to 468 bytes.
Accents survive NFKD as combining marks, so ``Gläss`` stays different from ``Glass``.
"""
from __future__ import annotations

from functools import lru_cache

import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..limits import MAX_FACET_VALUE_BYTES

# Rust's `char::is_whitespace` (Unicode White_Space).  Python's str.strip() also strips
# U+001C..U+001F, which Rust keeps, so the set is spelled out.
RUST_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

# Rust's `f64::from_str` grammar (no whitespace, no `_`, ASCII digits only); `inf`/`nan`
# are accepted by Rust but are not finite, so they are simply not numbers here.
_RUST_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def rust_trim(text: str) -> str:
    """``str::trim`` of Rust: strip Unicode White_Space on both ends."""
    return text.strip(RUST_WHITESPACE)


def truncate_utf8(text: str, max_bytes: int = MAX_FACET_VALUE_BYTES) -> str:
    """Cut ``text`` to at most ``max_bytes`` UTF-8 bytes without splitting a character."""
    if len(text) * 4 <= max_bytes:
        return text
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", "ignore")


@lru_cache(maxsize=65536)
def normalize_facet_string(text: str) -> str:
    """The key a string facet is stored and looked up under (case-insensitive, accent-sensitive)."""
    return truncate_utf8(unicodedata.normalize("NFKD", rust_trim(text)).lower())


def facet_number(value: Any) -> float | None:
    """A filter value read as a finite number the way Rust parses an ``f64``, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            return None
        return number if math.isfinite(number) else None
    if not isinstance(value, str) or not _RUST_FLOAT.match(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def format_facet_number(number: float) -> str:
    """Rust's ``Display`` for f64: shortest round-trip digits, never an exponent, no ``.0``."""
    text = format(Decimal(repr(float(number))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@dataclass
class FieldFacets:
    """The facet values one document holds under one dotted path."""

    numbers: list[float] = field(default_factory=list)
    strings: list[tuple[str, str]] = field(default_factory=list)  # (original, normalized)
    exists: bool = True
    null: bool = False
    empty: bool = False


def flatten_facet_values(doc: dict[str, Any]) -> dict[str, FieldFacets]:
    """Every dotted path of ``doc`` with its facet values (filters-facets.md §1).

    Depth matters: ``null``, ``""``, ``[]`` and ``{}`` only make a path null/empty when they
    are the value of the path itself, not an element somewhere inside an array.  Walks with
    an explicit stack so deeply nested documents cannot exhaust Python's recursion limit.
    """
    out: dict[str, FieldFacets] = {}
    # (path, value, inside_array)
    stack: list[tuple[str, Any, bool]] = [(key, value, False) for key, value in reversed(list(doc.items()))]
    while stack:
        path, value, in_array = stack.pop()
        facets = out.get(path)
        if facets is None:
            facets = out[path] = FieldFacets()
        if isinstance(value, dict):
            if not value and not in_array:
                facets.empty = True
            for key, sub in reversed(list(value.items())):
                stack.append((f"{path}.{key}", sub, in_array))
        elif isinstance(value, list):
            if not value and not in_array:
                facets.empty = True
            # pushed in reverse so they pop in document order: the first spelling of a string
            # value is its display spelling, as on the indexer's fast path for flat arrays
            for item in reversed(value):
                if isinstance(item, dict):
                    for key, sub in reversed(list(item.items())):
                        stack.append((f"{path}.{key}", sub, True))
                else:  # a scalar, or a nested array flattening into the same path
                    stack.append((path, item, True))
        else:
            _add_leaf(facets, value, in_array)
    return out


def _add_leaf(facets: FieldFacets, value: Any, in_array: bool) -> None:
    if value is None:
        if not in_array:
            facets.null = True
    elif isinstance(value, bool):
        text = "true" if value else "false"
        facets.strings.append((text, text))
    elif isinstance(value, (int, float)):
        number = facet_number(value)
        if number is not None:
            facets.numbers.append(number)
    elif isinstance(value, str):
        if value:
            facets.strings.append((value, normalize_facet_string(value)))
        elif not in_array:
            facets.empty = True
