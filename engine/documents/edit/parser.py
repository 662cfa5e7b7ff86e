"""Compile an edition script: lark (LALR, ``grammar.lark``) → the dataclasses of ``ast.py``.

A script outside the subset is refused here, before any task is enqueued, with a message in
Rhai's style ending in "(line L, position P)" — the route answers it as a 400 `bad_request`, as
Meilisearch answers a script its Rhai engine cannot compile.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from . import ast
from .errors import ScriptError

#: Rhai keywords (and reserved words) whose constructs Loupe's subset does not run.
UNSUPPORTED = frozenset({
    "fn", "switch", "do", "until", "import", "export", "as", "private", "global", "try", "catch",
    "this", "eval", "Fn", "call", "curry", "is_shared", "static", "shared", "sync", "async", "await",
    "yield", "spawn", "thread", "go", "with", "new", "use", "package", "super", "module", "var",
    "default", "case", "public", "protected", "goto", "match",
})
SUPPORTED = ("`let`, `const`, assignments, `if`/`else`, `for … in`, `while`, `loop`, `break`, `continue`, "
             "`return`, `throw`, operators, literals, template strings, and the built-in functions")

_GRAMMAR = (Path(__file__).parent / "grammar.lark").read_text()
_MAX_DEPTH = 100  # Rhai's default expression depth, which Meilisearch keeps for functions


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", start=["start", "expr"], propagate_positions=True,
                maybe_placeholders=False)


@lru_cache(maxsize=256)
def compile_script(source: str) -> ast.Block:
    """The script's statements, or `ScriptError` naming the first problem and where it is."""
    return _compile(source, "start")


def _compile(source: str, start: str) -> Any:
    try:
        tree = _parser().parse(source, start=start)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, source) from None
    except RecursionError:  # parentheses nested past what the parser's stack holds
        raise ScriptError("Expression exceeds maximum complexity", 1, 1) from None
    try:
        return _ToAst(source).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, ScriptError):
            raise exc.orig_exc from None
        raise
    except RecursionError:
        raise ScriptError("Expression exceeds maximum complexity", 1, 1) from None


def _syntax_error(exc: UnexpectedInput, source: str) -> ScriptError:
    keyword = _unsupported_keyword(source, exc.pos_in_stream if exc.pos_in_stream is not None else len(source))
    if keyword is not None:
        return keyword
    line, column = max(exc.line, 1), max(exc.column, 1)
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        line, column = _end_position(source)
        return ScriptError("Script is incomplete", line, column)
    if isinstance(exc, UnexpectedCharacters):
        char = source[exc.pos_in_stream or 0]
        if char in "\"'`":
            return ScriptError("Open string is not terminated", line, column)
        if char == "|":
            return unsupported("closures", line, column)
        return ScriptError(f"Unexpected '{char}'", line, column)
    token = exc.token  # type: ignore[attr-defined]
    if token.type == "NAME" and str(token) in UNSUPPORTED:
        return unsupported(f"the `{token}` keyword", line, column)
    previous = getattr(exc, "token_history", None) or []
    if previous and _ends_statement(previous[-1]) and token.type in _STATEMENT_STARTS:
        return ScriptError("Expecting ';' to terminate this statement", line, column)
    return ScriptError(f"Unexpected '{token}'", line, column)


_STATEMENT_STARTS = {"NAME", "LET", "CONST", "IF", "FOR", "WHILE", "LOOP", "BREAK", "CONTINUE", "RETURN",
                     "THROW", "INT", "FLOAT", "STRING", "CHAR", "TEMPLATE", "TRUE", "FALSE"}


_LITERALS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`|//[^\n]*|/\*(?:.|\n)*?\*/')
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _unsupported_keyword(source: str, until: int) -> ScriptError | None:
    """The first keyword of a construct outside the subset before the point the parse failed:
    naming it says more than the token the parser tripped on."""
    blanked = _LITERALS.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), source)
    for match in _WORD.finditer(blanked, 0, until + 1):
        if match.group() in UNSUPPORTED:
            return unsupported(f"the `{match.group()}` keyword", *_line_col(source, match.start()))
    return None


def _ends_statement(token: Token) -> bool:
    return token.type in {"NAME", "INT", "FLOAT", "STRING", "CHAR", "TEMPLATE", "TRUE", "FALSE", "RPAR", "RSQB",
                          "RBRACE", "BREAK", "CONTINUE", "RETURN"}


def unsupported(what: str, line: int, column: int) -> ScriptError:
    return ScriptError(f"Loupe does not support {what} of Rhai: edition functions may use {SUPPORTED}",
                       line, column)


def _end_position(source: str) -> tuple[int, int]:
    lines = source.split("\n")
    return len(lines), len(lines[-1]) + 1


def _pos(item: Any) -> ast.Pos:
    if isinstance(item, Token):
        return (item.line or 1, item.column or 1)
    if isinstance(item, Tree):
        meta = item.meta
        return (getattr(meta, "line", 1), getattr(meta, "column", 1))
    return item.pos


@v_args(meta=True)
class _ToAst(Transformer):
    """Tree → dataclasses; literal values decoded; assignment targets checked."""

    def __init__(self, source: str):
        super().__init__()
        self.source = source

    @staticmethod
    def _at(meta: Any) -> ast.Pos:
        return (getattr(meta, "line", 1), getattr(meta, "column", 1))

    # -- statements ----------------------------------------------------------------------------
    def start(self, meta, children):
        return children[0]

    def body(self, meta, children):
        return ast.Block(tuple(c for c in children if not isinstance(c, Token)), self._at(meta))

    def block(self, meta, children):
        return children[0]

    def let_stmt(self, meta, children):
        value = children[2] if len(children) > 2 else None
        return ast.Let(str(children[1]), value, False, _pos(children[0]))

    def const_stmt(self, meta, children):
        return ast.Let(str(children[1]), children[2], True, _pos(children[0]))

    def assign(self, meta, children):
        target, equal, value = children
        return ast.Assign(self._target(target, equal), None, value, _pos(equal))

    def op_assign(self, meta, children):
        target, op, value = children
        return ast.Assign(self._target(target, op), str(op)[:-1], value, _pos(op))

    @staticmethod
    def _target(target: Any, op: Token) -> ast.Path:
        node = target
        while isinstance(node, (ast.Prop, ast.Index)):
            node = node.target
        if not isinstance(node, ast.Var):
            raise ScriptError("Assignment to an expression that is not a variable, a property or an index",
                              *_pos(op))
        return target

    def expr_stmt(self, meta, children):
        return ast.ExprStmt(children[0], _pos(children[0]))

    def if_stmt(self, meta, children):
        condition, then = children[1], children[2]
        otherwise = children[4] if len(children) > 4 else None
        return ast.If(condition, then, otherwise, _pos(children[0]))

    def for_stmt(self, meta, children):
        names = [str(c) for c in children[1:-2] if isinstance(c, Token) and c.type == "NAME"]
        counter = names[1] if len(names) > 1 else None
        return ast.For(names[0], counter, children[-2], children[-1], _pos(children[0]))

    def while_stmt(self, meta, children):
        return ast.While(children[1], children[2], _pos(children[0]))

    def loop_stmt(self, meta, children):
        return ast.While(None, children[1], _pos(children[0]))

    def _jump(self, children: list) -> ast.Jump:
        keyword = children[0]
        return ast.Jump(str(keyword), children[1] if len(children) > 1 else None, _pos(keyword))

    def return_stmt(self, meta, children):
        return self._jump(children)

    def throw_stmt(self, meta, children):
        return self._jump(children)

    def break_stmt(self, meta, children):
        return self._jump(children)

    def continue_stmt(self, meta, children):
        return self._jump(children)

    # -- expressions ---------------------------------------------------------------------------
    def binary(self, meta, children):
        left, op, right = children
        node = ast.Binary(str(op), left, right, _pos(op))
        _check_depth(node)
        return node

    def range(self, meta, children):
        start, op, end = children
        return ast.RangeLit(start, end, str(op) == "..=", _pos(op))

    def not_(self, meta, children):
        return ast.Unary("!", children[1], _pos(children[0]))

    def sign(self, meta, children):
        op, operand = children
        if str(op) == "-" and isinstance(operand, ast.Lit) and type(operand.value) in (int, float):
            return ast.Lit(-operand.value, _pos(op))
        return ast.Unary(str(op), operand, _pos(op))

    def prop(self, meta, children):
        target, name = children
        return ast.Prop(target, str(name), _pos(name))

    def method(self, meta, children):
        target, name, *args = children
        return ast.Method(target, str(name), tuple(args), _pos(name))

    def index(self, meta, children):
        target, key = children
        return ast.Index(target, key, _pos(key))

    def call(self, meta, children):
        name, *args = children
        if str(name) in UNSUPPORTED:
            raise unsupported(f"the `{name}` keyword", *_pos(name))
        return ast.Call(str(name), tuple(args), _pos(name))

    def var(self, meta, children):
        name = children[0]
        if str(name) in UNSUPPORTED:
            raise unsupported(f"the `{name}` keyword", *_pos(name))
        return ast.Var(str(name), _pos(name))

    def array(self, meta, children):
        return ast.ArrayLit(tuple(children), self._at(meta))

    def map(self, meta, children):
        return ast.MapLit(tuple(children), self._at(meta))

    def entry(self, meta, children):
        key, value = children
        name = _decode_string(key) if key.type == "STRING" else str(key)
        return (name, value)

    def unit(self, meta, children):
        return ast.Lit(None, self._at(meta))

    def true_lit(self, meta, children):
        return ast.Lit(True, _pos(children[0]))

    def false_lit(self, meta, children):
        return ast.Lit(False, _pos(children[0]))

    def int_lit(self, meta, children):
        token = children[0]
        text = str(token).replace("_", "")
        value = int(text, 0)
        if value > 2**63 - 1:
            raise ScriptError(f"Invalid number: {token}", *_pos(token))
        return ast.Lit(value, _pos(token))

    def float_lit(self, meta, children):
        token = children[0]
        return ast.Lit(float(str(token).replace("_", "")), _pos(token))

    def string_lit(self, meta, children):
        return ast.Lit(_decode_string(children[0]), _pos(children[0]))

    def char_lit(self, meta, children):
        token = children[0]
        text = _decode_string(token)
        if len(text) != 1:
            raise ScriptError(f"Invalid character: {token}", *_pos(token))
        return ast.Lit(text, _pos(token))

    def template(self, meta, children):
        token = children[0]
        return ast.Template(tuple(self._template_parts(token)), _pos(token))

    def _template_parts(self, token: Token) -> list[Any]:
        """Split a backtick string into text and `${…}` expressions, each expression parsed
        where it stands in the script so its positions are the script's."""
        text = str(token)[1:-1]
        start = (token.start_pos or 0) + 1
        parts: list[Any] = []
        i = 0
        while True:
            j = text.find("${", i)
            if j < 0:
                if text[i:]:
                    parts.append(text[i:])
                return parts
            if text[i:j]:
                parts.append(text[i:j])
            end = _closing_brace(text, j + 2)
            if end < 0:
                line, column = _line_col(self.source, start + j)
                raise ScriptError("Open string is not terminated", line, column)
            inner_at = start + j + 2
            prefix = "".join("\n" if c == "\n" else " " for c in self.source[:inner_at])
            parts.append(_compile(prefix + text[j + 2:end], "expr"))
            i = end + 1


def _closing_brace(text: str, i: int) -> int:
    depth = 0
    quote = None
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


def _line_col(source: str, offset: int) -> tuple[int, int]:
    before = source[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _decode_string(token: Token) -> str:
    """A double-quoted or single-quoted literal with its escapes (\\n, \\t, \\", \\u{…}…)."""
    body = str(token)[1:-1]
    if "\\" not in body:
        return body
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1]
        simple = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif nxt in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[nxt]
            digits = body[i + 2:i + 2 + width]
            try:
                out.append(chr(int(digits, 16)))
            except ValueError:
                raise ScriptError(f"Invalid escape sequence: \\{nxt}{digits}", *_pos(token)) from None
            i += 2 + width
        else:
            raise ScriptError(f"Invalid escape sequence: \\{nxt}", *_pos(token))
    return "".join(out)


def _check_depth(node: ast.Binary) -> None:
    depth = 0
    current: ast.Expr = node
    while isinstance(current, ast.Binary):
        depth += 1
        current = current.left
    if depth > _MAX_DEPTH:
        raise ScriptError("Expression exceeds maximum complexity", *node.pos)

