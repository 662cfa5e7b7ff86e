"""Meilisearch's validation messages, as small pure functions.

Meilisearch validates JSON bodies with `deserr`; its messages are part of the contract that
clients and conformance tests compare (errors-auth.md §3).  Every route and setting builds its
errors from these helpers so the wording is written once:

    >>> type_error(".limit", "a positive integer", "doggo", "invalid_search_limit").message
    'Invalid value type at `.limit`: expected a positive integer, but found a string: `"doggo"`'
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

import orjson

from ..errors import LoupeError


def compact_json(value: Any) -> str:
    """JSON text the way serde_json prints it compactly (floats keep a `.0`).

    Values nested deeper than Python's recursion limit are elided: an error message must never
    turn into a 500.
    """
    try:
        return _compact(value)
    except RecursionError:
        return "[...]" if isinstance(value, list) else "{...}"


def _compact(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return orjson.dumps(value).decode()
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, list):
        return "[" + ",".join(_compact(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(orjson.dumps(str(k)).decode() + ":" + _compact(v) for k, v in value.items()) + "}"
    return orjson.dumps(value).decode()


def float_text(value: float) -> str:
    """A float as Rust prints an f64 (`1.0`, `1.5`, `1e20`)."""
    if math.isnan(value) or math.isinf(value):
        return "null"
    text = repr(value)
    if "e" in text:
        mantissa, exp = text.split("e")
        if mantissa.endswith(".0"):
            mantissa = mantissa[:-2]
        return f"{mantissa}e{int(exp)}"
    return text


def kind_of(value: Any) -> str:
    """deserr's name for the JSON kind of ``value``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a positive integer" if value >= 0 else "a negative integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def found(value: Any) -> str:
    if value is None:
        return "null"
    return f"{kind_of(value)}: `{compact_json(value)}`"


def at(path: str) -> str:
    return f" at `{path}`" if path else ""


def type_error(path: str, expected: str, value: Any, code: str) -> LoupeError:
    return LoupeError(code, f"Invalid value type{at(path)}: expected {expected}, but found {found(value)}")


def invalid_value(path: str, explanation: str, code: str) -> LoupeError:
    where = f" at `{path}`" if path else ""
    return LoupeError(code, f"Invalid value{where}: {explanation}")


def missing_field(name: str, code: str) -> LoupeError:
    return LoupeError(code, f"Missing field `{name}`")


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def did_you_mean(name: str, accepted: Sequence[str]) -> str | None:
    """The closest accepted name, when it is close enough to be a likely typo."""
    best, best_distance = None, None
    for candidate in accepted:
        distance = _levenshtein(name.lower(), candidate.lower())
        if best_distance is None or distance < best_distance:
            best, best_distance = candidate, distance
    if best is None or best_distance is None:
        return None
    if best_distance <= max(1, len(best) // 3) or name.lower().replace("_", "") == best.lower():
        return best
    return None


def _expected(accepted: Iterable[str]) -> str:
    return ", ".join(f"`{a}`" for a in accepted)


def unknown_field(name: str, accepted: Sequence[str], code: str = "bad_request", inside: str = "") -> LoupeError:
    where = f" inside `{inside}`" if inside else ""
    suggestion = did_you_mean(name, accepted)
    hint = f" did you mean `{suggestion}`?" if suggestion else ""
    return LoupeError(code, f"Unknown field `{name}`{where}:{hint} expected one of {_expected(accepted)}")


def unknown_value(value: str, path: str, accepted: Sequence[str], code: str) -> LoupeError:
    suggestion = did_you_mean(value, accepted)
    hint = f" did you mean `{suggestion}`?" if suggestion else ""
    return LoupeError(code, f"Unknown value `{value}`{at(path)}:{hint} expected one of {_expected(accepted)}")


def unknown_parameter(name: str, accepted: Sequence[str]) -> LoupeError:
    return LoupeError("bad_request", f"Unknown parameter `{name}`: expected one of {_expected(accepted)}")


def immutable_field(name: str, accepted: Sequence[str], code: str) -> LoupeError:
    return LoupeError(code, f"Immutable field `{name}`: expected one of {_expected(accepted)}")


def expect_object(body: Any, code: str = "bad_request", path: str = "") -> dict:
    if not isinstance(body, dict):
        raise type_error(path, "an object", body, code)
    return body


def check_fields(body: dict, accepted: Sequence[str], code: str = "bad_request", inside: str = "") -> None:
    """Reject the first key of ``body`` that is not in ``accepted`` (deserr's deny_unknown_fields)."""
    for key in body:
        if key not in accepted:
            raise unknown_field(key, accepted, code, inside)


# -- query strings (errors-auth.md §3.3) --------------------------------------------------------

def param_error(name: str, explanation: str, code: str) -> LoupeError:
    return LoupeError(code, f"Invalid value in parameter `{name}`: {explanation}")


def parse_bool_param(name: str, raw: str, code: str) -> bool:
    if raw == "true":
        return True
    if raw == "false":
        return False
    raise param_error(name, f"could not parse `{raw}` as a boolean, expected either `true` or `false`", code)


def parse_uint_param(name: str, raw: str, code: str) -> int:
    if raw.isascii() and raw.isdigit():
        return int(raw)
    raise param_error(name, f"could not parse `{raw}` as a positive integer", code)


def check_params(query: Iterable[str], accepted: Sequence[str]) -> None:
    for key in query:
        if key not in accepted:
            raise unknown_parameter(key, accepted)
