"""Filter text -> ``ast.Expr``, failing with Meilisearch's own messages.

The language is documented in ``grammar.lark``.  Parsing is hand-written recursive descent
because clients compare error messages character for character, and those messages come from
the way upstream's nom parser backtracks: a branch either *errors* (the next alternative is
tried) or *fails* (a cut: the message is final).  This module keeps that distinction
(``_Err.failure``) and tries the alternatives in upstream's order, so

    >>> parse_filter("title = Glass XOR title = Glass")
    Traceback (most recent call last):
    ...
    engine.errors.LoupeError: Found unexpected characters at the end of the filter: `XOR title = Glass`. You probably forgot an `OR` or an `AND` rule.
    15:32 title = Glass XOR title = Glass

Every message ends with the position line ``<start>:<end> <filter>``: the 1-based column of
the offending fragment and the column just after it.

Limits: parenthesis nesting is bounded by upstream's recursion depth (each parenthesis level
costs 4 of ``MAX_PARSE_DEPTH``); AND/OR chains are parsed with loops, so thousands of clauses
are fine.  Parsed strings are cached.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
import string
import unicodedata
from typing import Any

from ..errors import LoupeError
from ..facets.values import RUST_WHITESPACE
from ..settings.validate import compact_json
from .ast import (
    And, Condition, Expr, Foreign, GeoBoundingBox, GeoPolygon, GeoRadius, Not, Or, Token, VectorExists, iter_leaves, negate,
)
from .suggest import suggestion

# Upstream's nom parser stops recursing past this depth (filter-parser `MAX_FILTER_DEPTH`).
MAX_PARSE_DEPTH = 150
# milli refuses AND/OR trees nested this deep (milli `filter.rs` MAX_FILTER_DEPTH).
MAX_CONDITION_DEPTH = 2000
# Parsed filter strings kept in memory.
PARSE_CACHE_SIZE = 1024

KEYWORDS = frozenset(
    {"AND", "OR", "IN", "NOT", "TO", "EXISTS", "IS", "NULL", "EMPTY", "CONTAINS", "STARTS", "WITH",
     "_geoRadius", "_geoBoundingBox"}
)
_ASCII_WS = " \t\r\n"  # nom's multispace
_ASCII_WS_RUN = re.compile(r"[ \t\r\n]*")
# Python's \w is str.isalnum() plus `_`: with `.` and `-` that is upstream's value character set.
_WORD_RUN = re.compile(r"[\w.-]*")
_UNICODE_WS = frozenset(RUST_WHITESPACE)
_SYNTAX = frozenset("()=<>!")
_COMPARATORS = ("<=", ">=", "!=", "<", ">", "=")

CONTAINS_FEATURE_MESSAGE = (
    "Using `CONTAINS` in a filter requires enabling the `contains filter` experimental feature. "
    "See https://github.com/orgs/meilisearch/discussions/763"
)
VECTORS_FEATURE_MESSAGE = (
    "using a vector filter requires enabling the `multimodal` experimental feature. "
    "See https://github.com/orgs/meilisearch/discussions/846"
)
FOREIGN_FEATURE_MESSAGE = (
    "using a foreign filter requires enabling the `foreign_keys` experimental feature. "
    "See https://github.com/orgs/meilisearch/discussions/873"
)
# what may follow `_vectors.<embedder>` (upstream's `VectorFilter` kinds), in its order
VECTOR_KINDS = ("fragments", "userProvided", "documentTemplate", "regenerate")
_VECTORS = "_vectors"
OPERATIONS = (
    "`=`, `!=`, `>=`, `>`, `<=`, `<`, `IN`, `NOT IN`, `TO`, `EXISTS`, `NOT EXISTS`, `IS NULL`, "
    "`IS NOT NULL`, `IS EMPTY`, `IS NOT EMPTY`, `CONTAINS`, `NOT CONTAINS`, `STARTS WITH`, "
    "`NOT STARTS WITH`, `_geoRadius`, `_geoBoundingBox` or `_geoPolygon`"
)
GEO_RESERVED = (
    "`{}` is a reserved keyword and thus can't be used as a filter expression. Use the "
    "`_geoRadius(latitude, longitude, distance)` or `_geoBoundingBox([latitude, longitude], "
    "[latitude, longitude])` built-in rules to filter on `_geo` coordinates."
)


# -- positions and messages ----------------------------------------------------------------------

def escape_debug(text: str) -> str:
    """Rust's ``str::escape_debug``: how upstream quotes a fragment inside a message."""
    out = []
    for index, char in enumerate(text):
        if char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif char == "\n":
            out.append("\\n")
        elif char in "\\'\"":
            out.append("\\" + char)
        elif char == "\0":
            out.append("\\0")
        elif (index == 0 and unicodedata.category(char) in ("Mn", "Me")) or not (char == " " or char.isprintable()):
            out.append(f"\\u{{{ord(char):x}}}")
        else:
            out.append(char)
    return "".join(out)


def position_line(source: str, start: int, end: int) -> str:
    """``<column>:<column + length> <source>`` (columns count chars from the line start, 1-based)."""
    column = start - (source.rfind("\n", 0, start) + 1) + 1
    return f"{column}:{column + (end - start)} {source}"


def located(message: str, source: str, start: int, end: int) -> str:
    return f"{message}\n{position_line(source, start, end)}"


def token_error(code: str, message: str, token: Token) -> LoupeError:
    """An error about one token of a parsed filter (semantic errors, geo validation)."""
    return LoupeError(code, located(message, token.source, token.start, token.end))


class _Err(Exception):
    """A nom ``Err::Error`` (``failure=False``: try the next alternative) or ``Err::Failure``."""

    __slots__ = ("kind", "start", "end", "failure", "arg")

    def __init__(self, kind: str, start: int, end: int, failure: bool, arg: Any = None):
        self.kind, self.start, self.end, self.failure, self.arg = kind, start, end, failure, arg

    def cut(self) -> "_Err":
        self.failure = True
        return self


def _describe(err: _Err, fragment: str) -> str:
    """The first line of the message for a syntax error (upstream `error.rs`)."""
    kind, arg, esc = err.kind, err.arg, escape_debug(fragment)
    if kind == "expected_value":
        if not fragment.strip(RUST_WHITESPACE):
            return "Was expecting a value but instead got nothing."
        if arg == "reserved":
            return (f"Was expecting a value but instead got `{esc}`, which is a reserved keyword. "
                    f"To use `{esc}` as a field name or a value, surround it by quotes.")
        return f"Was expecting a value but instead got `{esc}`."
    if kind == "invalid_primary":
        text = "but instead got nothing." if not fragment.strip(RUST_WHITESPACE) else f"at `{esc}`."
        return f"Was expecting an operation {OPERATIONS} {text}"
    messages = {
        "malformed_value": f"Malformed value: `{esc}`.",
        "missing_delimiter": f"Expression `{esc}` is missing the following closing delimiter: `{arg}`.",
        "invalid_escaped_number": f"Found an invalid escaped sequence number: `{esc}`.",
        "expected_eof": f"Found unexpected characters at the end of the filter: `{esc}`. You probably forgot an `OR` or an `AND` rule.",
        "geo_radius": "The `_geoRadius` filter must be in the form: `_geoRadius(latitude, longitude, radius, optionalResolution)`.",
        "geo_radius_count": f"Was expecting 3 or 4 arguments for `_geoRadius`, but instead found {arg}.",
        "geo_bounding_box": "The `_geoBoundingBox` filter expects two pairs of arguments: `_geoBoundingBox([latitude, longitude], [latitude, longitude])`.",
        "geo_polygon": "The `_geoPolygon` filter doesn't match the expected format: `_geoPolygon([latitude, longitude], [latitude, longitude])`.",
        "geo_polygon_points": f"The `_geoPolygon` filter expects at least 3 points but only {arg} were specified",
        "geo_pair": f"Was expecting 2 coordinates but instead found {arg}.",
        "reserved_geo": GEO_RESERVED.format(arg),
        "misused_geo_radius": "The `_geoRadius` filter is an operation and can't be used as a value.",
        "misused_geo_bounding_box": "The `_geoBoundingBox` filter is an operation and can't be used as a value.",
        "in_opening": "Expected `[` after `IN` keyword.",
        "in_closing": "Expected matching `]` after the list of field names given to `IN[`",
        "depth": "The filter exceeded the maximum depth limit. Try rewriting the filter so that it contains fewer nested conditions.",
        "vector_operation": "Was expecting an operation like `EXISTS` or `NOT EXISTS` after the vector filter.",
        "vector_leftover": "The vector filter has leftover tokens.",
        "vector_invalid_fragment": "The vector filter's fragment name is invalid.",
        "vector_missing_fragment": "The vector filter is missing a fragment name.",
        "vector_missing_embedder": "Was expecting embedder name but found nothing.",
        "vector_invalid_embedder": "The vector filter's embedder name is invalid.",
        "vector_invalid_quotes": "The quotes in one of the values are inconsistent.",
    }
    if kind == "vector_unknown_suffix":
        return _unknown_vector_suffix(*arg)
    if kind == "in_expected_value":
        if arg == "reserved":
            return (f"Expected only comma-separated field names inside `IN[..]` but instead found `{esc}`, "
                    f"which is a keyword. To use `{esc}` as a field name or a value, surround it by quotes.")
        return f"Expected only comma-separated field names inside `IN[..]` but instead found `{esc}`."
    return messages[kind]


def _unknown_vector_suffix(previous: str | None, value: str) -> str:
    """What upstream says when `_vectors.<embedder>` is followed by a part it does not know."""
    if value == ".":
        return ("Was expecting one of `.fragments`, `.userProvided`, `.documentTemplate`, `.regenerate` or nothing, "
                "but instead found a point without a valid value.")
    if previous is None and value in VECTOR_KINDS:
        return "Was expecting this part to be unquoted."  # e.g. `_vectors.rest."userProvided"`
    if previous is None:
        hint = suggestion(value, VECTOR_KINDS)
        did_you_mean = f" Did you mean `{hint}`?" if hint else ""
        return ("Was expecting one of `fragments`, `userProvided`, `documentTemplate`, `regenerate` or nothing, "
                f"but instead found `{value}`.{did_you_mean}")
    return ("Vector filter can only accept one of `fragments`, `userProvided`, `documentTemplate` or `regenerate`, "
            f"but found both `{previous}` and `{value}`.")


# -- the unescaper applied to every value (the `unescaper` crate) ---------------------------------

_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "'": "'", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    """Resolve backslash escapes; raises ValueError("malformed"|"number")."""
    if "\\" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        i += 1
        if char != "\\":
            out.append(char)
            continue
        if i >= n:
            raise ValueError("malformed")
        char = text[i]
        i += 1
        if char in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[char])
        elif char == "u":
            if i >= n:
                raise ValueError("malformed")
            if text[i] == "{":
                close = text.find("}", i + 1)
                digits = text[i + 1:] if close < 0 else text[i + 1:close]
                i = n if close < 0 else close + 1
            else:
                if i + 4 > n:
                    raise ValueError("malformed")
                digits, i = text[i:i + 4], i + 4
            code = _radix(digits, 16, 0xFFFFFFFF)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise ValueError("malformed")
            out.append(chr(code))
        elif char == "x":
            if i + 2 > n:
                raise ValueError("malformed")
            out.append(chr(_radix(text[i:i + 2], 16, 0xFF)))
            i += 2
        elif char in "01234567":
            digits = char
            extra = 2 if char in "0123" else 1
            while extra and i < n and text[i] in "01234567":
                digits += text[i]
                i += 1
                extra -= 1
            out.append(chr(int(digits, 8)))
        else:
            raise ValueError("malformed")
    return "".join(out)


def _radix(digits: str, base: int, limit: int) -> int:
    """Rust's ``from_str_radix``: an optional `+`, then digits only."""
    body = digits[1:] if digits.startswith("+") else digits
    if not body or any(c not in string.hexdigits for c in body):
        raise ValueError("number")
    value = int(body, base)
    if value > limit:
        raise ValueError("number")
    return value


# -- the parser -----------------------------------------------------------------------------------

class _Parser:
    """One parse of one string; positions are character offsets."""

    def __init__(self, source: str):
        self.s = source
        self.n = len(source)

    # small scanners ---------------------------------------------------------------------------
    def ascii_ws(self, p: int) -> int:
        return _ASCII_WS_RUN.match(self.s, p).end()  # type: ignore[union-attr]

    def ascii_ws1(self, p: int) -> int:
        """nom's multispace1: at least one ASCII whitespace, else -1."""
        q = self.ascii_ws(p)
        return q if q > p else -1

    def word_end(self, p: int) -> int:
        return _WORD_RUN.match(self.s, p).end()  # type: ignore[union-attr]

    def word(self, p: int) -> str:
        return self.s[p:self.word_end(p)]

    def tag(self, text: str, p: int) -> int:
        return p + len(text) if self.s.startswith(text, p) else -1

    def tags(self, p: int, *parts: str) -> int:
        """Keywords separated by multispace1 (``IS NOT NULL``); end offset or -1."""
        for index, part in enumerate(parts):
            if index:
                p = self.ascii_ws1(p)
                if p < 0:
                    return -1
            p = self.tag(part, p)
            if p < 0:
                return -1
        return p

    def token(self, value: str, start: int, end: int) -> Token:
        return Token(value, start, end, self.s)

    # entry ------------------------------------------------------------------------------------
    def parse(self) -> Expr:
        expr, p = self.expression(0, 0)
        end = p
        while end < self.n and self.s[end] in _UNICODE_WS:
            end += 1
        if end < self.n:
            raise _Err("expected_eof", p, self.n, False)
        return expr

    def expression(self, p: int, depth: int) -> tuple[Expr, int]:
        """or = and ("OR" and)*  — n-ary, iterative over the chain."""
        if depth > MAX_PARSE_DEPTH:
            raise _Err("depth", p, self.n, False)
        first, p = self.and_(p, depth + 1)
        children = [first]
        while True:
            q = self.ascii_ws(p)
            end = self.word_end(q)
            if self.s[q:end] != "OR":
                break
            try:
                child, p = self.and_(self.ascii_ws(end), depth + 1)
            except _Err as err:
                raise err.cut()
            children.append(child)
        return (first if len(children) == 1 else Or(tuple(children))), p

    def and_(self, p: int, depth: int) -> tuple[Expr, int]:
        if depth > MAX_PARSE_DEPTH:
            raise _Err("depth", p, self.n, False)
        first, p = self.not_(p, depth + 1)
        children = [first]
        while True:
            q = self.ascii_ws(p)
            end = self.word_end(q)
            if self.s[q:end] != "AND":
                break
            try:
                child, p = self.not_(self.ascii_ws(end), depth + 1)
            except _Err as err:
                raise err.cut()
            children.append(child)
        return (first if len(children) == 1 else And(tuple(children))), p

    def not_(self, p: int, depth: int) -> tuple[Expr, int]:
        """not = "NOT" not | primary — the NOT chain is a loop, each NOT costing one level."""
        negations = 0
        while True:
            if depth > MAX_PARSE_DEPTH:
                raise _Err("depth", p, self.n, negations > 0)
            q = self.ascii_ws(p)
            end = self.word_end(q)
            if self.s[q:end] != "NOT":
                break
            p = self.ascii_ws(end)
            negations += 1
            depth += 1
        try:
            expr, p = self.primary(p, depth + 1)
        except _Err as err:
            raise err.cut() if negations else err
        for _ in range(negations):
            expr = negate(expr)
        return expr, p

    def primary(self, p: int, depth: int) -> tuple[Expr, int]:
        if depth > MAX_PARSE_DEPTH:
            raise _Err("depth", p, self.n, False)
        s, n = self.s, self.n
        q = self.ascii_ws(p)
        if q < n and s[q] == "(":
            expr, r = self.closed_expression(q + 1, p, depth)
            return expr, self.ascii_ws(r + 1)
        word_end = self.word_end(q)
        word = s[q:word_end]
        if word == "_geoRadius":
            return self.geo_radius(p, word_end)
        if word == "_geoBoundingBox":
            return self.geo_bounding_box(p, word_end)
        if word == "_geoPolygon":
            return self.geo_polygon(p, word_end)
        if word == "_foreign" and s.startswith("(", word_end):
            return self.foreign(q, word_end + 1, depth)
        if s.startswith(_VECTORS, q):
            found_vector = self.vectors(q)
            if found_vector is not None:
                return found_vector
        try:
            fid, r = self.value(p)
        except _Err as err:
            if err.failure:
                raise
            if err.kind == "expected_value" and err.arg == "reserved":
                raise err.cut()
            raise _Err("invalid_primary", p, n, False)
        found = self.operation(fid, r)
        if found is None:
            raise _Err("invalid_primary", p, n, False)
        return found

    def closed_expression(self, p: int, opened: int, depth: int) -> tuple[Expr, int]:
        """An expression from ``p`` and the ``)`` that must follow it (its position is returned);
        any error inside is a cut, a missing ``)`` is reported at ``opened``."""
        try:
            expr, r = self.expression(self.ascii_ws(p), depth + 1)
        except _Err as err:
            raise err.cut()
        r = self.ascii_ws(r)
        if r >= self.n or self.s[r] != ")":
            raise _Err("missing_delimiter", opened, self.n, True, ")")
        return expr, r

    def foreign(self, start: int, p: int, depth: int) -> tuple[Expr, int]:
        """``_foreign(field, filter)`` once ``_foreign(`` is read: everything after is a cut."""
        s, n = self.s, self.n
        field, r = self.cut_value(p)
        r = self.ascii_ws(r)
        if r >= n or s[r] != ",":
            raise _Err("invalid_primary", r, n, True)
        inner, r = self.closed_expression(r + 1, start, depth)
        return Foreign(field, inner, self.token(s[start:r + 1], start, r + 1)), self.ascii_ws(r + 1)

    def operation(self, fid: Token, r: int) -> tuple[Expr, int] | None:
        """What follows a field name, in upstream's order of alternatives."""
        s = self.s
        word_end = self.word_end(r)
        word = s[r:word_end]
        if word == "IN":
            values, end = self.in_body(self.ascii_ws(word_end))
            return Condition(fid, "IN", values), end
        if word == "NOT":
            q = self.ascii_ws(word_end)
            in_end = self.word_end(q)
            if s[q:in_end] == "IN":
                values, end = self.in_body(self.ascii_ws(in_end))
                return Not(Condition(fid, "IN", values)), end
        for op in _COMPARATORS:
            if s.startswith(op, r):
                value, end = self.cut_value(r + len(op))
                return Condition(fid, op, (value,)), end
        for parts, op, negated in (
            (("IS", "NULL"), "IS NULL", False),
            (("IS", "NOT", "NULL"), "IS NULL", True),
            (("IS", "EMPTY"), "IS EMPTY", False),
            (("IS", "NOT", "EMPTY"), "IS EMPTY", True),
            (("EXISTS",), "EXISTS", False),
            (("NOT", "EXISTS"), "EXISTS", True),
        ):
            end = self.tags(r, *parts)
            if end >= 0:
                cond = Condition(fid, op)
                return (Not(cond) if negated else cond), end
        # to = value value "TO" WS+ value
        try:
            low, q = self.value(r)
        except _Err as err:
            if err.failure:
                raise
        else:
            end = self.tags(q, "TO")
            if end >= 0 and self.ascii_ws1(end) >= 0:
                high, end = self.cut_value(end)
                return Condition(fid, "TO", (low, high)), end
        for parts, op, negated in (
            (("CONTAINS",), "CONTAINS", False),
            (("NOT", "CONTAINS"), "CONTAINS", True),
            (("STARTS WITH",), "STARTS WITH", False),
            (("NOT", "STARTS WITH"), "STARTS WITH", True),
        ):
            end = self.tags(r, *parts)
            if end >= 0:
                keyword = self.token(parts[-1], end - len(parts[-1]), end)
                value, end = self.cut_value(end)
                cond = Condition(fid, op, (value,), keyword)
                return (Not(cond) if negated else cond), end
        return None

    # vectors ----------------------------------------------------------------------------------
    def vectors(self, q: int) -> tuple[Expr, int] | None:
        """``_vectors [. embedder [.fragments.<name> | .userProvided | .documentTemplate | .regenerate]]``
        then ``EXISTS`` or ``NOT EXISTS`` (upstream `parse_vectors_exists`).  None when this is not
        a vector filter (``_vectors`` glued to something else); past ``_vectors.`` or
        ``_vectors<space>`` every error is final."""
        s, n = self.s, self.n
        fid = self.token(_VECTORS, q, q + len(_VECTORS))
        r = fid.end
        after = self.ascii_ws1(r)
        if after >= 0:
            node = VectorExists(fid)
        elif r < n and s[r] == ".":
            node, after = self.vector_path(fid, r + 1)
        else:
            return None
        end = self.tag("EXISTS", after)
        if end >= 0:
            return node, end
        end = self.tags(after, "NOT", "EXISTS")
        if end >= 0:
            return Not(node), end
        raise _Err("vector_operation", after, n, True)

    def vector_path(self, fid: Token, r: int) -> tuple[VectorExists, int]:
        """After ``_vectors.``: the embedder, an optional kind, then mandatory whitespace."""
        s, n = self.s, self.n
        if s.startswith(" ", r):
            raise _Err("vector_missing_embedder", r, r + 1, True)
        embedder, r = self.dotted_cut(r, "vector_invalid_embedder")
        kind, fragment = "", None
        if s.startswith(".fragments", r):
            r += len(".fragments")
            if not s.startswith(".", r):
                raise _Err("vector_missing_fragment", r, n, True)
            fragment, r = self.dotted_cut(r + 1, "vector_invalid_fragment")
            kind = "fragments"
        else:
            for name in VECTOR_KINDS[1:]:
                if s.startswith("." + name, r):
                    kind, r = name, r + 1 + len(name)
                    break
        if r < n and s[r] == ".":
            try:
                part, _ = self.dotted(r + 1)
                value, start, end = part.value, part.start, part.end
            except _Err:
                value, start, end = ".", r, r + 1
            raise _Err("vector_unknown_suffix", start, end, True, (kind or None, value))
        after = self.ascii_ws1(r)
        if after < 0:
            raise _Err("vector_leftover", r, n, True)
        return VectorExists(fid, embedder, kind, fragment), after

    def dotted(self, p: int) -> tuple[Token, int]:
        """One dot-separated part: a word without dots, or a single/double-quoted string.
        A quote left open fails with ``vector_invalid_quotes``; other problems are plain errors."""
        s, n = self.s, self.n
        if p < n and s[p] in "'\"":
            quote, start = s[p], p + 1
            i, escaped = start, False
            while i < n and s[i] != quote:
                if s[i] == "\\":
                    if i + 1 >= n:
                        raise _Err("malformed_value", start, n, True)
                    escaped |= s[i + 1] == quote
                    i += 2
                else:
                    i += 1
            if i >= n:
                raise _Err("vector_invalid_quotes", p, n, True)
            raw = s[start:i].replace("\\" + quote, quote) if escaped else s[start:i]
            token_start, token_end, after = start, i, i + 1
        else:
            end = self.word_end(p)
            dot = s.find(".", p, end)
            end = end if dot < 0 else dot
            if end == p:
                raise _Err("vector_invalid_embedder", p, n, False)
            raw, token_start, token_end, after = s[p:end], p, end, end
        try:
            text = _unescape(raw)
        except ValueError:
            raise _Err("malformed_value", token_start, token_end, False)
        return self.token(text, token_start, token_end), after

    def dotted_cut(self, p: int, kind: str) -> tuple[Token, int]:
        """``dotted`` where every error is final: an open quote keeps its own message, anything
        else becomes ``kind``, both pointing at the rest of the filter."""
        try:
            return self.dotted(p)
        except _Err as err:
            final = "vector_invalid_quotes" if err.kind == "vector_invalid_quotes" else kind
            raise _Err(final, p, self.n, True)

    def in_body(self, p: int) -> tuple[tuple[Token, ...], int]:
        """After ``IN``: ``[ value, value, ... ]`` — everything here is a cut."""
        s, n = self.s, self.n
        if p >= n or s[p] != "[":
            raise _Err("in_opening", p, n, True)
        p += 1
        values: list[Token] = []
        try:
            value, p = self.value(p)
        except _Err as err:
            if err.failure:
                raise
        else:
            values.append(value)
            while True:
                q = self.ascii_ws(p)
                if q >= n or s[q] != ",":
                    break
                try:
                    value, r = self.value(self.ascii_ws(q + 1))
                except _Err as err:
                    if err.failure:
                        raise
                    break
                values.append(value)
                p = r
            q = self.ascii_ws(p)
            if q < n and s[q] == ",":
                p = self.ascii_ws(q + 1)
        q = self.ascii_ws(p)
        if q < n and s[q] == "]":
            return tuple(values), self.ascii_ws(q + 1)
        if p >= n:
            raise _Err("in_closing", p, n, True)
        # Upstream asks parse_value whether a keyword is in the way, but that error has already
        # been rewrapped, so the "which is a keyword" variant never shows; neither does it here.
        raise _Err("in_expected_value", p, n, True, "other")

    # values -----------------------------------------------------------------------------------
    def cut_value(self, p: int) -> tuple[Token, int]:
        try:
            return self.value(p)
        except _Err as err:
            raise err.cut()

    def value(self, p: int) -> tuple[Token, int]:
        """value = WS* (word | 'single' | "double") WS*  — returns (token, next offset)."""
        s, n = self.s, self.n
        while p < n and s[p] in _UNICODE_WS:
            p += 1
        # geo expressions cannot be values
        word_end = self.word_end(p)
        word = s[p:word_end]
        if s.startswith("_geoPoint", p):
            raise _Err("reserved_geo", p, n, True, "_geoPoint")
        if s.startswith("_geoDistance", p):
            raise _Err("reserved_geo", p, n, True, "_geoDistance")
        if word == "_geo":
            raise _Err("reserved_geo", p, n, True, "_geo")
        if word == "_geoRadius":
            raise _Err("misused_geo_radius", p, n, True)
        if word == "_geoBoundingBox":
            raise _Err("misused_geo_bounding_box", p, n, True)
        if p < n and s[p] in "'\"":
            quote = s[p]
            start = i = p + 1
            escaped = False
            while i < n:
                char = s[i]
                if char == quote:
                    break
                if char == "\\":
                    if i + 1 >= n:
                        raise _Err("malformed_value", start, n, True)
                    escaped |= s[i + 1] == quote
                    i += 2
                else:
                    i += 1
            if i >= n:
                raise _Err("missing_delimiter", p, n, True, quote)
            raw = s[start:i]
            if escaped:
                raw = raw.replace("\\" + quote, quote)
            token_start, token_end, after = start, i, i + 1
        else:
            if word_end == p or word in KEYWORDS:
                end = p
                while end < n and s[end] not in _UNICODE_WS and s[end] not in _SYNTAX:
                    end += 1
                raise _Err("expected_value", p, end, False, "reserved" if word_end > p else "other")
            raw, token_start, token_end, after = word, p, word_end, word_end
        try:
            text = _unescape(raw)
        except ValueError as exc:
            kind = "invalid_escaped_number" if str(exc) == "number" else "malformed_value"
            raise _Err(kind, token_start, token_end, False)
        return self.token(text, token_start, token_end), self.ascii_ws(after)

    def float_list(self, p: int) -> tuple[list[Token], int] | None:
        """separated_list1(",", ws(float)) — None when not even one float parses."""
        items: list[Token] = []
        while True:
            q = self.ascii_ws(p)
            end = self.float_end(q)
            if end is None:
                if not items:
                    return None
                return items, p
            items.append(self.token(self.s[q:end], q, end))
            p = self.ascii_ws(end)
            if p < self.n and self.s[p] == ",":
                p_after = p + 1
                q2 = self.ascii_ws(p_after)
                if self.float_end(q2) is None:
                    return items, p
                p = p_after
            else:
                return items, p

    def float_end(self, p: int) -> int | None:
        """nom's recognize_float: [+-] (digits [. digits?] | . digits) [(e|E) [+-] digits]."""
        s, n = self.s, self.n
        i = p
        if i < n and s[i] in "+-":
            i += 1
        digits_start = i
        while i < n and s[i].isascii() and s[i].isdigit():
            i += 1
        if i > digits_start:
            if i < n and s[i] == ".":
                i += 1
                while i < n and s[i].isascii() and s[i].isdigit():
                    i += 1
        elif i < n and s[i] == "." and i + 1 < n and s[i + 1].isascii() and s[i + 1].isdigit():
            i += 1
            while i < n and s[i].isascii() and s[i].isdigit():
                i += 1
        else:
            return None
        if i < n and s[i] in "eE":
            j = i + 1
            if j < n and s[j] in "+-":
                j += 1
            k = j
            while k < n and s[k].isascii() and s[k].isdigit():
                k += 1
            if k == j:
                return None  # `1e`: upstream cuts here; every caller turns it into its geo error
            i = k
        return i

    def point_list(self, p: int) -> tuple[list[list[Token]], int] | None:
        """separated_list1(",", ws("[" float_list "]"))."""
        s, n = self.s, self.n
        points: list[list[Token]] = []
        while True:
            q = self.ascii_ws(p)
            if q >= n or s[q] != "[":
                return (points, p) if points else None
            found = self.float_list(q + 1)
            if found is None:
                return None
            coords, r = found
            if r >= n or s[r] != "]":
                return None
            points.append(coords)
            p = self.ascii_ws(r + 1)
            if p < n and s[p] == ",":
                q2 = self.ascii_ws(p + 1)
                if q2 < n and s[q2] == "[":
                    p = p + 1
                    continue
            return points, p

    def _geo_args(self, p: int, kind: str) -> tuple[list[Token], int]:
        if p >= self.n or self.s[p] != "(":
            raise _Err(kind, 0, 0, True)
        found = self.float_list(p + 1)
        if found is None:
            raise _Err(kind, 0, 0, True)
        args, r = found
        if r >= self.n or self.s[r] != ")":
            raise _Err(kind, 0, 0, True)
        return args, r + 1

    def geo_radius(self, start: int, p: int) -> tuple[Expr, int]:
        try:
            args, r = self._geo_args(p, "geo_radius")
        except _Err:
            raise _Err("geo_radius", start, self.n, True)
        if len(args) not in (3, 4):
            raise _Err("geo_radius_count", r, self.n, True, len(args))
        return GeoRadius(args[0], args[1], args[2], args[3] if len(args) == 4 else None), r

    def geo_bounding_box(self, start: int, p: int) -> tuple[Expr, int]:
        s, n = self.s, self.n
        points = None
        if p < n and s[p] == "(":
            points = self.point_list(p + 1)
        if points is None or points[1] >= n or s[points[1]] != ")":
            raise _Err("geo_bounding_box", start, n, True)
        pairs, r = points[0], points[1] + 1
        if len(pairs) != 2:
            raise _Err("geo_bounding_box", r, n, True)
        for pair in pairs:
            if len(pair) != 2:
                raise _Err("geo_pair", pair[0].start, pair[-1].end, True, len(pair))
        return GeoBoundingBox((pairs[0][0], pairs[0][1]), (pairs[1][0], pairs[1][1])), r

    def geo_polygon(self, start: int, p: int) -> tuple[Expr, int]:
        s, n = self.s, self.n
        points = None
        if p < n and s[p] == "(":
            points = self.point_list(p + 1)
        if points is None:
            raise _Err("geo_polygon", start, n, True)
        pairs, r = points
        r = self.ascii_ws(r)
        if r < n and s[r] == ",":
            r = self.ascii_ws(r + 1)
        if r >= n or s[r] != ")":
            raise _Err("geo_polygon", start, n, True)
        r += 1
        if len(pairs) < 3:
            raise _Err("geo_polygon_points", r, n, True, len(pairs))
        for pair in pairs:
            if len(pair) != 2:
                raise _Err("geo_pair", pair[0].start, pair[-1].end, True, len(pair))
        return GeoPolygon(tuple((pair[0], pair[1]) for pair in pairs)), r


# -- public API -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FilterFeatures:
    """The experimental features a filter may use: `containsFilter` (CONTAINS, STARTS WITH is
    free) and `multimodal` (`_vectors` filters).  Read once per request, passed down to the parse."""

    contains: bool = False
    multimodal: bool = False


ALL_FILTER_FEATURES = FilterFeatures(True, True)


class _Parsed:
    """A cached parse: the tree (or None for a blank filter) or the syntax error message.

    The post-parse checks (condition depth, experimental operators) walk the whole tree, so
    their outcome is cached too: a cache hit costs nothing, whatever the filter's size.
    """

    __slots__ = ("expr", "error", "checked")

    def __init__(self, expr: Expr | None, error: str | None):
        self.expr, self.error = expr, error
        self.checked: dict[tuple[str, bool, bool], LoupeError | None] = {}


@functools.lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse_cached(source: str) -> _Parsed:
    if not source.strip(RUST_WHITESPACE):
        return _Parsed(None, None)
    parser = _Parser(source)
    try:
        return _Parsed(parser.parse(), None)
    except _Err as err:
        fragment = source[err.start:err.end]
        return _Parsed(None, located(_describe(err, fragment), source, err.start, err.end))
    except RecursionError:  # pragma: no cover - depth is bounded well below Python's limit
        return _Parsed(None, located(_describe(_Err("depth", 0, 0, True), ""), source, 0, len(source)))


def parse_with(value: Any, code: str, features: FilterFeatures) -> Expr | None:
    """`parse_filter` with the request's experimental features."""
    return parse_filter(value, code, features.contains, features.multimodal)


def parse_string(source: str, code: str = "invalid_search_filter") -> Expr | None:
    """One filter expression; None when the string is blank."""
    parsed = _parse_cached(source)
    if parsed.error is not None:
        raise LoupeError(code, parsed.error)
    return parsed.expr


def _type_error(expected: str, value: Any, code: str) -> LoupeError:
    return LoupeError(code, f"Invalid syntax for the filter parameter: `expected {expected}, found: {compact_json(value)}`.")


def parse_filter(value: Any, code: str = "invalid_search_filter", contains_enabled: bool = False,
                 multimodal_enabled: bool = False) -> Expr | None:
    """A ``filter`` parameter (string, or the JSON array form of §2.1) -> tree, or None for no filter.

    The array form is an AND of its elements; an inner array is an OR of strings; blank
    strings are skipped.  All type errors are reported before any string is parsed.
    """
    if value is None:
        return None
    if isinstance(value, str):
        parsed = _parse_cached(value)
        if parsed.error is not None:
            raise LoupeError(code, parsed.error)
        key = (code, contains_enabled, multimodal_enabled)
        if key not in parsed.checked:
            parsed.checked[key] = _post_checks(parsed.expr, code, contains_enabled, multimodal_enabled)
        failure = parsed.checked[key]
        if failure is not None:
            raise LoupeError(failure.code, failure.message)
        return parsed.expr
    if isinstance(value, list):
        for element in value:
            if isinstance(element, list):
                for inner in element:
                    if not isinstance(inner, str):
                        raise _type_error("String", inner, code)
            elif not isinstance(element, str):
                raise _type_error("String, [String]", element, code)
        ands: list[Expr] = []
        for element in value:
            if isinstance(element, str):
                element_expr = parse_string(element, code)
                if element_expr is not None:
                    ands.append(element_expr)
                continue
            ors = [e for e in (parse_string(inner, code) for inner in element) if e is not None]
            if len(ors) == 1:
                ands.append(ors[0])
            elif ors:
                ands.append(Or(tuple(ors)))
        expr = None if not ands else ands[0] if len(ands) == 1 else And(tuple(ands))
    else:
        raise _type_error("String, Array", value, code)
    failure = _post_checks(expr, code, contains_enabled, multimodal_enabled)
    if failure is not None:
        raise failure
    return expr


def _post_checks(expr: Expr | None, code: str, contains_enabled: bool, multimodal_enabled: bool) -> LoupeError | None:
    if expr is None:
        return None
    try:
        check_condition_depth(expr, code)
        check_features(expr, contains_enabled, multimodal_enabled)
    except LoupeError as err:
        return err
    return None


def check_condition_depth(expr: Expr, code: str = "invalid_search_filter") -> None:
    """milli's second limit: no condition nested under ``MAX_CONDITION_DEPTH`` AND/OR levels."""
    stack: list[tuple[Expr, int]] = [(expr, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (And, Or)):
            stack.extend((child, depth + 1) for child in reversed(node.children))
        elif isinstance(node, Not):
            continue  # upstream does not look below a NOT for this limit
        elif depth >= MAX_CONDITION_DEPTH:
            token = node.field if isinstance(node, Condition) else _first_token(node)
            raise token_error(code, f"Too many filter conditions, can't process more than {MAX_CONDITION_DEPTH} filters.", token)


def _first_token(node: Expr) -> Token:
    if isinstance(node, Foreign):
        return node.field
    if isinstance(node, GeoRadius):
        return node.lat
    if isinstance(node, GeoBoundingBox):
        return node.top_right[0]
    if isinstance(node, VectorExists):
        return node.fid
    assert isinstance(node, GeoPolygon)
    return node.points[0][0]


def check_features(expr: Expr, contains_enabled: bool, multimodal_enabled: bool = False) -> None:
    """Experimental filters, checked like upstream: any `CONTAINS` needs `containsFilter`, then any
    `_vectors` filter needs `multimodal` (each error points at the first offender); a `_foreign`
    filter always answers its gate (`foreign_gate`)."""
    leaves = list(iter_leaves(expr))
    if not contains_enabled:
        for leaf in leaves:
            if isinstance(leaf, Condition) and leaf.op == "CONTAINS" and leaf.keyword is not None:
                raise token_error("feature_not_enabled", CONTAINS_FEATURE_MESSAGE, leaf.keyword)
    if not multimodal_enabled:
        for leaf in leaves:
            if isinstance(leaf, VectorExists):
                raise token_error("feature_not_enabled", VECTORS_FEATURE_MESSAGE, leaf.fid)
    for leaf in leaves:
        if isinstance(leaf, Foreign):
            raise foreign_gate(leaf)


def foreign_gate(leaf: Foreign) -> LoupeError:
    """Loupe filters on no foreign index: a `_foreign(...)` filter always answers upstream's gate
    error, which points at the foreign key field (its column in the whole filter) and quotes only
    the `_foreign(...)` expression."""
    field = leaf.field
    column = field.start - (field.source.rfind("\n", 0, field.start) + 1) + 1
    return LoupeError("feature_not_enabled", f"{FOREIGN_FEATURE_MESSAGE}\n{column}:{column + field.end - field.start} "
                                             f"{leaf.text.value}")


__all__ = [
    "parse_filter", "parse_with", "FilterFeatures", "ALL_FILTER_FEATURES", "parse_string", "check_condition_depth", "check_features", "escape_debug",
    "position_line", "located", "token_error", "MAX_PARSE_DEPTH",
    "MAX_CONDITION_DEPTH", "KEYWORDS",
]
