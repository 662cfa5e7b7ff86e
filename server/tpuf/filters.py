"""turbopuffer's filter language, evaluated exactly on a row (``{"id": …, **attributes}``).

    ["And", [f, …]]  ["Or", [f, …]]  ["Not", f]
    [attr, "Eq" | "NotEq", value]            null: the attribute is missing (Eq) / present (NotEq)
    [attr, "In" | "NotIn", [values]]
    [attr, "Lt" | "Lte" | "Gt" | "Gte", value]            numbers with numbers, strings with strings
    [attr, "Glob" | "NotGlob" | "IGlob" | "NotIGlob", pattern]   globset patterns (* ** ? [...] {a,b} \\x)
                                                           on strings or []string; I: any case
    [attr, "Regex", pattern]                               Python `re.search` (any string attribute:
                                                           the schema's `regex` flag is not required)
    [attr, "ContainsAllTokens", text, {"last_as_prefix"}]  every token of text among the attribute's
    [attr, "ContainsTokenSequence", text]                  the tokens, adjacent and in order (both on
                                                           full_text_search attributes only)
    [attr, "Contains" | "NotContains", value]              an array attribute holds the value
    [attr, "ContainsAny" | "NotContainsAny", [values]]
    [attr, "AnyLt" | "AnyLte" | "AnyGt" | "AnyGte", value] some element of an array attribute compares

A comparison between values of different kinds is false (so its Not… form is true).
"""
from __future__ import annotations

import re
from typing import Any, Callable

from .errors import bad_request
from .tokens import tokens

Row = dict[str, Any]
Predicate = Callable[[Row], bool]
_MISSING = object()


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _comparable(a: Any, b: Any) -> bool:
    return (_number(a) and _number(b)) or (isinstance(a, str) and isinstance(b, str))


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return (_comparable(a, b) or (isinstance(a, list) and isinstance(b, list))) and a == b


_ORDER = {"Lt": lambda a, b: a < b, "Lte": lambda a, b: a <= b, "Gt": lambda a, b: a > b, "Gte": lambda a, b: a >= b}


def glob_regex(pattern: str) -> str:
    """A globset pattern as a regular expression matching the whole string.

        *  **     any run of characters (no path separators in attribute values)
        ?         one character
        [a-z] [!x] [^x]   a class (``]`` first is literal), negated with ``!`` or ``^``
        {a,b*}    one of the alternatives, each a pattern (not nested)
        \\x        the character x itself
    """
    out, i, depth = [], 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            while i + 1 < len(pattern) and pattern[i + 1] == "*":
                i += 1
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            start = i + 1
            negated = pattern[start:start + 1] in ("!", "^")
            start += negated
            end = pattern.find("]", start + 1)  # a `]` right after `[` (or `[!`) is a member
            if end == -1:
                raise bad_request(f"invalid glob `{pattern}`: unclosed character class")
            body = pattern[start:end]
            members = "".join("\\" + ch if ch in "\\^[]" else ch for ch in body)
            out.append(f"[{'^' if negated else ''}{members}]")
            i = end
        elif c == "{":
            if depth:
                raise bad_request(f"invalid glob `{pattern}`: nested alternations")
            depth += 1
            out.append("(?:")
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
        elif c == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(c))
        i += 1
    if depth:
        raise bad_request(f"invalid glob `{pattern}`: unclosed alternation")
    return "".join(out)


def _glob(pattern: str, insensitive: bool) -> Callable[[Any], bool]:
    """A string, or a []string with an element, matching the glob (`glob_regex`)."""
    compiled = re.compile(glob_regex(pattern), re.DOTALL | (re.IGNORECASE if insensitive else 0))

    def one(value: Any) -> bool:
        return isinstance(value, str) and compiled.fullmatch(value) is not None

    return lambda v: any(one(e) for e in v) if isinstance(v, list) else one(v)


def _all_tokens(text: str, prefix: bool) -> Callable[[Any], bool]:
    wanted = tokens(text)
    last = wanted.pop() if prefix and wanted else None

    def test(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        have = set(tokens(value))
        return all(t in have for t in wanted) and (last is None or any(h.startswith(last) for h in have))

    return test


def _sequence(text: str) -> Callable[[Any], bool]:
    wanted = tokens(text, keep_stop_words=True)

    def test(value: Any) -> bool:
        if not isinstance(value, str) or not wanted:
            return False
        have = tokens(value, keep_stop_words=True)
        return any(have[i:i + len(wanted)] == wanted for i in range(len(have) - len(wanted) + 1))

    return test


def _value_test(op: str, value: Any, params: dict[str, Any]) -> Callable[[Any], bool]:
    """A test of the attribute's value (`_MISSING` when absent) for one operator."""
    if op == "Eq":
        return (lambda v: v is _MISSING or v is None) if value is None else (lambda v: _equal(v, value))
    if op == "NotEq":
        return (lambda v: v is not _MISSING and v is not None) if value is None else (lambda v: not _equal(v, value))
    if op in ("In", "NotIn"):
        if not isinstance(value, list):
            raise bad_request(f"`{op}` expects an array of values")
        inside = lambda v: any(_equal(v, w) for w in value)  # noqa: E731
        return inside if op == "In" else (lambda v: not inside(v))
    if op in _ORDER:
        return lambda v: _comparable(v, value) and _ORDER[op](v, value)
    if op in ("Glob", "NotGlob", "IGlob", "NotIGlob"):
        if not isinstance(value, str):
            raise bad_request(f"`{op}` expects a string pattern")
        test = _glob(value, op in ("IGlob", "NotIGlob"))
        return test if not op.startswith("Not") else (lambda v: not test(v))
    if op == "Regex":
        try:
            compiled = re.compile(value)
        except (re.error, TypeError) as exc:
            raise bad_request(f"invalid regex `{value}`: {exc}") from None
        return lambda v: isinstance(v, str) and compiled.search(v) is not None
    if op == "ContainsAllTokens":
        if not isinstance(value, str):
            raise bad_request("`ContainsAllTokens` expects a string")
        return _all_tokens(value, bool(params.get("last_as_prefix")))
    if op == "ContainsTokenSequence":
        if not isinstance(value, str):
            raise bad_request("`ContainsTokenSequence` expects a string")
        return _sequence(value)
    if op in ("Contains", "NotContains"):
        test = lambda v: isinstance(v, list) and any(_equal(e, value) for e in v)  # noqa: E731
        return test if op == "Contains" else (lambda v: not test(v))
    if op in ("ContainsAny", "NotContainsAny"):
        if not isinstance(value, list):
            raise bad_request(f"`{op}` expects an array of values")
        test = lambda v: isinstance(v, list) and any(_equal(e, w) for e in v for w in value)  # noqa: E731
        return test if op == "ContainsAny" else (lambda v: not test(v))
    if op.startswith("Any") and op[3:] in _ORDER:
        compare = _ORDER[op[3:]]
        return lambda v: isinstance(v, list) and any(_comparable(e, value) and compare(e, value) for e in v)
    raise bad_request(f"unknown filter operator `{op}`")


TOKEN_OPS = frozenset({"ContainsAllTokens", "ContainsTokenSequence"})


def parse_filter(value: Any, full_text: frozenset[str] | None = None) -> Predicate:
    """A predicate on rows (None: every row).  ``full_text``, when given, is the namespace's
    full-text attributes: the token operators require one (as turbopuffer does)."""
    if value is None:
        return lambda _row: True
    if not isinstance(value, list) or len(value) < 2:
        raise bad_request(f"invalid filter {value!r}: expected [attribute, operator, value] or [And|Or|Not, …]")
    head = value[0]
    if head in ("And", "Or"):
        if len(value) != 2 or not isinstance(value[1], list):
            raise bad_request(f"`{head}` expects an array of filters")
        children = [parse_filter(child, full_text) for child in value[1]]
        if head == "And":
            return lambda row: all(c(row) for c in children)
        return lambda row: any(c(row) for c in children)
    if head == "Not":
        if len(value) != 2:
            raise bad_request("`Not` expects one filter")
        child = parse_filter(value[1], full_text)
        return lambda row: not child(row)
    if len(value) not in (3, 4) or not isinstance(head, str) or not isinstance(value[1], str):
        raise bad_request(f"invalid filter {value!r}: expected [attribute, operator, value]")
    params = value[3] if len(value) == 4 else {}
    if not isinstance(params, dict):
        raise bad_request(f"invalid filter parameters {params!r}")
    if value[1] in TOKEN_OPS and full_text is not None and head not in full_text:
        raise bad_request(f"`{value[1]}` requires attribute `{head}` to be configured with full_text_search")
    test = _value_test(value[1], value[2], params)
    return lambda row: test(row.get(head, _MISSING))


def is_filter(value: Any) -> bool:
    """Whether a rank_by clause is a filter (scoring 1 when it matches)."""
    return isinstance(value, list) and len(value) >= 2 and (
        value[0] in ("And", "Or", "Not") or (len(value) >= 3 and isinstance(value[1], str)
                                            and value[1] not in ("BM25", "ANN")))
