"""The walk every Meilisearch request body goes through, as deserr walks it.

A body is read key by key in the order the keys were *sent*: the first unknown key or bad value
raises, required keys missing are reported after the walk.  Each accepted key is a `Field`: its JSON
name, the attribute it fills, its error code and a checker ``(value, path, code) -> typed value``:

    >>> walk({"limit": 5}, "", (Field("limit", "limit", "invalid_search_limit", check_uint),))
    {'limit': 5}
    >>> walk({"limit": "doggo"}, "", (Field("limit", "limit", "invalid_search_limit", check_uint),))
    Traceback (most recent call last):
    ...
    engine.errors.LoupeError: Invalid value type at `.limit`: expected a positive integer, but found a string: `"doggo"`
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import LoupeError
from ..settings.checks import check_list, check_number, check_str, missing_field
from ..settings.values import locale
from ..settings.validate import compact_json, invalid_value, type_error, unknown_field

# -- value checkers: (value, path, code) -> typed value --------------------------------------------

Checker = Callable[[Any, str, str], Any]


def optional(check: Checker) -> Checker:
    """deserr's ``Option<T>``: ``null`` is the absent value."""

    def wrapped(value: Any, path: str, code: str) -> Any:
        return None if value is None else check(value, path, code)

    return wrapped


def any_value(value: Any, path: str, code: str) -> Any:
    return value


def str_list(value: Any, path: str, code: str) -> tuple[str, ...]:
    return tuple(check_str(v, f"{path}[{i}]", code) for i, v in enumerate(check_list(value, path, code)))


def str_sorted_set(value: Any, path: str, code: str) -> tuple[str, ...]:
    """``BTreeSet<String>``: sorted by code point, duplicates dropped."""
    return tuple(sorted(set(str_list(value, path, code))))


def str_unique(value: Any, path: str, code: str) -> tuple[str, ...]:
    """``HashSet<String>``: duplicates dropped (order carries no meaning)."""
    return tuple(dict.fromkeys(str_list(value, path, code)))


def f32(value: float) -> float:
    """The value an f32 field holds (Meilisearch parses ratios and vectors as f32)."""
    with np.errstate(over="ignore"):
        return float(np.float32(value))


def unit_interval(name: str, as_f32: bool = False) -> Checker:
    """A float in [0, 1] with Meilisearch's "the value of `name` is invalid" wording."""

    def check(value: Any, path: str, code: str) -> float:
        number = check_number(value, path, code)
        if as_f32:
            number = f32(number)
        if not 0.0 <= number <= 1.0:
            raise invalid_value(path, unit_interval_message(name), code)
        return number

    return check


def unit_interval_message(name: str) -> str:
    return f"the value of `{name}` is invalid, expected a float between `0.0` and `1.0`."


def locale_list(value: Any, path: str, code: str) -> tuple[str, ...]:
    return tuple(locale(v, f"{path}[{i}]", code) for i, v in enumerate(check_list(value, path, code)))


def vector_values(value: Any, path: str, code: str) -> tuple[float, ...]:
    if isinstance(value, list) and _NUMBER_TYPES.issuperset(map(type, value)):  # the common case, at C speed
        with np.errstate(over="ignore"):
            return tuple(np.asarray(value, dtype=np.float32).astype(float).tolist())
    return tuple(f32(check_number(v, f"{path}[{i}]", code)) for i, v in enumerate(check_list(value, path, code)))


_NUMBER_TYPES = frozenset((int, float))


# -- the walk --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Field:
    """One accepted key: its JSON name, attribute name, error code and checker."""

    key: str
    attr: str
    code: str
    check: Checker
    required: bool = False
    missing_code: str = "bad_request"


def field(key: str, attr: str, code: str, check: Checker) -> Field:
    return Field(key, attr, code, check)


def walk(body: dict, path: str, fields: Sequence[Field], unknown_code: str = "bad_request",
         deny_unknown: bool = True) -> dict[str, Any]:
    """deserr's derived visitor: attr -> value for the keys present, in input order."""
    by_key = {f.key: f for f in fields}
    accepted = [f.key for f in fields]
    out: dict[str, Any] = {}
    for key, value in body.items():
        spec = by_key.get(key)
        if spec is None:
            if deny_unknown:
                raise unknown_field(key, accepted, unknown_code, inside=path)
            continue
        out[spec.attr] = spec.check(value, f"{path}.{key}", spec.code)
    for spec in fields:
        if spec.required and spec.attr not in out:
            raise missing_field(spec.key, path, spec.missing_code)
    return out




def object_body(body: Any) -> dict:
    """A whole body of the wrong JSON type is ``bad_request`` (errors-auth.md §3.1)."""
    if not isinstance(body, dict):
        raise type_error("", "an object", body, "bad_request")
    return body


def filter_type_error(value: Any, code: str) -> LoupeError:
    """The filter parser's wording for a ``filter`` that is neither a string nor an array."""
    return LoupeError(code, f"Invalid syntax for the filter parameter: `expected String, Array, found: {compact_json(value)}`.")


def check_filter_type(value: Any, code: str = "invalid_search_filter") -> None:
    if value is not None and not isinstance(value, (str, list)):
        raise filter_type_error(value, code)
