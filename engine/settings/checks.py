"""deserr, by hand: small checkers that turn one JSON value into a typed one or a coded error.

Meilisearch deserialises settings with `deserr`, whose messages are part of the API contract.
Every checker takes the JSON *path* of the value (``".typoTolerance.minWordSizeForTypos"`` inside
``PATCH /settings``, ``".minWordSizeForTypos"`` on the ``/typo-tolerance`` sub-route, ``""`` for a
sub-route's whole body) and the setting's error *code*, so one checker serves both routes:

    >>> check_uint(1.5, ".pagination.maxTotalHits", "invalid_settings_pagination")
    Traceback (most recent call last):
    ...
    engine.errors.LoupeError: Invalid value type at `.pagination.maxTotalHits`: expected a positive integer, but found a number: `1.5`

deserr walks an object's keys in the order they were *sent* and stops at the first problem; the
object helpers here do the same (``fields`` yields the keys in input order after rejecting unknown
ones one by one).
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

from ..errors import LoupeError
from .validate import invalid_value, type_error, unknown_field, unknown_value

U8_MAX = 255
U64_MAX = 18_446_744_073_709_551_615  # usize and u64 on the 64-bit targets Meilisearch ships


def is_int(value: Any) -> bool:
    """JSON integer (Python's bool is an int subclass, JSON's is not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_uint(value: Any, path: str, code: str, maximum: int = U64_MAX, nonzero: bool = False) -> int:
    """An unsigned integer the way deserr reads ``u8``/``usize``/``NonZeroUsize``.

    A negative integer is a *type* error ("found a negative integer"), an overflow or a zero for a
    non-zero type is a *value* error with deserr's own wording.
    """
    if not is_int(value) or value < 0:
        raise type_error(path, "a positive integer", value, code)
    if value > maximum:
        raise invalid_value(
            path, f"value: `{value}` is too large to be deserialized, maximum value authorized is `{maximum}`", code
        )
    if nonzero and value == 0:
        raise invalid_value(path, f"a non-zero integer value lower than `{maximum}` was expected, but found a zero", code)
    return value


def check_number(value: Any, path: str, code: str) -> float:
    """Any JSON number (deserr's f32/f64 accept integers too)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise type_error(path, "a number", value, code)
    return float(value)


def check_bool(value: Any, path: str, code: str) -> bool:
    if not isinstance(value, bool):
        raise type_error(path, "a boolean", value, code)
    return value


def check_str(value: Any, path: str, code: str) -> str:
    if not isinstance(value, str):
        raise type_error(path, "a string", value, code)
    return value


def check_list(value: Any, path: str, code: str) -> list:
    if not isinstance(value, list):
        raise type_error(path, "an array", value, code)
    return value


def check_object(value: Any, path: str, code: str) -> dict:
    if not isinstance(value, dict):
        raise type_error(path, "an object", value, code)
    return value


def check_str_list(value: Any, path: str, code: str) -> list[str]:
    """``Vec<String>``: order and duplicates kept."""
    return [check_str(item, f"{path}[{i}]", code) for i, item in enumerate(check_list(value, path, code))]


def check_str_set(value: Any, path: str, code: str) -> list[str]:
    """``BTreeSet<String>``: deduplicated and sorted (Rust orders strings by bytes = code points)."""
    return sorted(set(check_str_list(value, path, code)))


def check_enum(value: Any, path: str, code: str, accepted: Sequence[str]) -> str:
    """A unit-variant enum: must be a string, and one of ``accepted``."""
    text = check_str(value, path, code)
    if text not in accepted:
        raise unknown_value(text, path, accepted, code)
    return text


def fields(obj: dict, path: str, code: str, accepted: Sequence[str]) -> Iterator[tuple[str, Any, str]]:
    """Walk ``obj`` in input order as a deny-unknown-fields struct: yields (key, value, key path).

    The caller validates each value as it comes, so the first bad key *or* bad value wins,
    exactly like deserr's derived visitor.
    """
    for key, value in obj.items():
        if key not in accepted:
            raise unknown_field(key, accepted, code, inside=path)
        yield key, value, f"{path}.{key}"


def missing_field(name: str, path: str, code: str) -> LoupeError:
    """deserr's MissingField: "Missing field `x`" or "Missing field `x` inside `.a.b`"."""
    where = f" inside `{path}`" if path else ""
    return LoupeError(code, f"Missing field `{name}`{where}")


def nullable(check: Callable[..., Any]) -> Callable[..., Any]:
    """``Setting<T>``: ``null`` means reset and is always accepted."""

    def wrapped(value: Any, path: str, code: str, *args: Any, **kwargs: Any) -> Any:
        return None if value is None else check(value, path, code, *args, **kwargs)

    return wrapped
