"""`_vectors` of one document, per configured embedder (hybrid.md §2, §8.7–§8.9).

    {"manual": [0.1, 0.2]}                               one embedding, regenerate false
    {"manual": [[0.1, 0.2], [0.3, 0.4]]}                 several embeddings
    {"manual": null}                                     opt-out: no embedding
    {"manual": {"embeddings": [...], "regenerate": b}}   explicit form (regenerate mandatory)

Keys naming no configured embedder are not parsed: they stay in the stored document verbatim.
Errors carry Meilisearch's wording (`invalid_vectors_type`, `invalid_vector_dimensions`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from ..errors import LoupeError, serde_unexpected

MAX_EMBEDDINGS_PER_DOCUMENT = 256  # hybrid.md §8.9: more are silently cut to the first 256


@dataclass(frozen=True)
class Entry:
    """What a document says about one embedder: ``embeddings`` None means "not given" (keep what
    is stored), an empty array means none."""

    embeddings: np.ndarray | None  # float32, shape (n, dims)
    regenerate: bool
    generated: bool = False  # not given by the document (made by the embedder): not user-provided


def kind(value: Any) -> str:
    """serde's name of a JSON value's type, with its article."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "a map"


def _compact(value: Any) -> str:
    return orjson.dumps(value).decode()


class _Bad(Exception):
    def __init__(self, message: str):
        self.message = message


def _type_error(path: str, expected: str, value: Any) -> _Bad:
    found = kind(value)
    shown = "" if value is None else f": `{_compact(value)}`"
    return _Bad(f"Invalid value type at `{path}`: expected {expected}, but found {found}{shown}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_NUMBERS = frozenset((int, float))  # bool is its own type: `True` is no number here


def _all_numbers(values: list) -> bool:
    return _NUMBERS.issuperset(map(type, values))  # C-speed: 384 components in a few µs


def _embeddings(value: list, path: str) -> list[list[float]]:
    """An array of floats (one embedding) or an array of arrays of floats."""
    if not value:
        return []
    first = value[0]
    if _is_number(first):
        if not _all_numbers(value):
            for i, item in enumerate(value):
                if not _is_number(item):
                    raise _type_error(f"{path}[{i}]", "a number", item)
        return [value]
    if isinstance(first, list):
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, list):
                raise _type_error(f"{path}[{i}]", "an array", item)
            if not _all_numbers(item):
                for j, x in enumerate(item):
                    if not _is_number(x):
                        raise _type_error(f"{path}[{i}][{j}]", "a number", x)
            out.append(item)
        return out
    raise _type_error(f"{path}[0]", "a number or an array", first)


def _regenerate_column(obj: dict, upto: str) -> int:
    """Column (1-based) where serde stops after reading key ``upto``'s value in the compact JSON."""
    text = "{"
    for n, (key, item) in enumerate(obj.items()):
        text += ("," if n else "") + _compact(key) + ":" + _compact(item)
        if key == upto:
            break
    return len(text)


_serde_value = serde_unexpected


def parse_entry(value: Any, name: str) -> Entry:
    """One embedder's entry; raises `_Bad` with the message after the document prefix."""
    path = f"._vectors.{name}"
    if value is None:
        return Entry(np.zeros((0, 0), dtype=np.float32), False)
    if isinstance(value, list):
        return Entry(_as_array(_embeddings(value, path)), False)
    if isinstance(value, dict):
        if "regenerate" not in value:
            raise _Bad(f"Missing field `{path}.regenerate`\n  - note: `{path}` must be an array of floats, "
                       "an array of arrays of floats, or an object with field `regenerate`")
        regenerate = value["regenerate"]
        if not isinstance(regenerate, bool):
            column = _regenerate_column(value, "regenerate")
            raise _Bad(f"Could not parse `{path}.regenerate`: invalid type: {_serde_value(regenerate)}, "
                       f"expected a boolean at line 1 column {column}")
        embeddings = value.get("embeddings")
        if embeddings is None:
            return Entry(None, regenerate)
        if not isinstance(embeddings, list):
            raise _type_error(f"{path}.embeddings", "null or an array", embeddings)
        return Entry(_as_array(_embeddings(embeddings, f"{path}.embeddings")), regenerate)
    raise _type_error(path, "null, an array or an object", value)


def _as_array(embeddings: list[list[float]]) -> np.ndarray:
    embeddings = embeddings[:MAX_EMBEDDINGS_PER_DOCUMENT]
    if not embeddings:
        return np.zeros((0, 0), dtype=np.float32)
    widths = {len(e) for e in embeddings}
    if len(widths) == 1:
        return np.asarray(embeddings, dtype=np.float32)
    return np.asarray([np.asarray(e, dtype=np.float32) for e in embeddings], dtype=object)


def check_dimensions(entry: Entry, name: str, dimensions: int | None, doc_id: str, uid: str) -> None:
    if entry.embeddings is None or dimensions is None or len(entry.embeddings) == 0:
        return
    for n, embedding in enumerate(entry.embeddings):
        if len(embedding) != dimensions:
            raise LoupeError(
                "invalid_vector_dimensions",
                f"Index `{uid}`: Invalid vector dimensions in document with id `{doc_id}` in `._vectors.{name}`.\n"
                f"  - note: embedding #{n} has dimensions {len(embedding)}\n"
                f"  - note: embedder `{name}` requires {dimensions}")


def parse_document_vectors(document: dict[str, Any], doc_id: str, embedders: dict[str, dict], uid: str
                           ) -> tuple[dict[str, Entry], dict[str, Any] | None]:
    """The entries of the configured embedders and what `_vectors` keeps for the stored document
    (the other keys; None when nothing is left)."""
    if "_vectors" not in document:
        return {}, None
    vectors = document["_vectors"]
    if vectors is None:
        return {}, None
    if not isinstance(vectors, dict):
        raise LoupeError(
            "invalid_vectors_type",
            f"Index `{uid}`: The `_vectors` field in the document with id: `{doc_id}` is not an object. Was "
            f"expecting an object with a key for each embedder with manually provided vectors, but instead got "
            f"`{_compact(vectors)}`")
    entries: dict[str, Entry] = {}
    rest: dict[str, Any] = {}
    for name, value in vectors.items():
        if name not in embedders:
            rest[name] = value
            continue
        try:
            entry = parse_entry(value, name)
        except _Bad as bad:
            raise LoupeError("invalid_vectors_type",
                             f"Index `{uid}`: Bad embedder configuration in the document with id: `{doc_id}`. "
                             f"{bad.message}") from None
        check_dimensions(entry, name, embedders[name].get("dimensions"), doc_id, uid)
        entries[name] = entry
    return entries, (rest or None)


def missing_vectors_error(name: str, uid: str, missing: list[str], documents: list[dict[str, Any]]) -> LoupeError:
    """A userProvided embedder and documents that give it nothing (hybrid.md "behaviours")."""
    first, others = missing[0], len(missing) - 1
    message = (f"Index `{uid}`: While embedding documents for embedder `{name}`: no vectors provided for document "
               f"`{first}`" + (f" and at least {others} other document(s)" if others else ""))
    message += (f"\n- Note: `{name}` has `source: userProvided`, so documents must provide embeddings as an array "
                f"in `_vectors.{name}`.")
    hints = []
    vector_typos = sum(1 for d in documents if "_vector" in d)
    if vector_typos:
        hints.append(f"try replacing `_vector` by `_vectors` in {vector_typos} document(s).")
    misspelled: dict[str, int] = {}
    for document in documents:
        vectors = document.get("_vectors")
        if isinstance(vectors, dict):
            for key in vectors:
                if key != name and _close(key, name):
                    misspelled[key] = misspelled.get(key, 0) + 1
    for key, count in list(misspelled.items())[:2]:
        hints.append(f"try replacing `_vectors.{key}` by `_vectors.{name}` in {count} document(s).")
    if hints:
        for hint in hints[:2]:
            message += f"\n- Hint: {hint}"
    else:
        message += f"\n- Hint: opt-out for a document with `_vectors.{name}: null`"
    return LoupeError("vector_embedding_error", message)


def _close(a: str, b: str) -> bool:
    """At most two edits apart (Levenshtein with transpositions)."""
    from rapidfuzz.distance import DamerauLevenshtein
    return DamerauLevenshtein.distance(a, b) <= 2
