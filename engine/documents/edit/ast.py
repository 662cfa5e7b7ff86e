"""The syntax tree of an edition script: plain frozen dataclasses, one per construct.

Every node carries the (line, column) of its token, both counted from 1 as Rhai counts them, so a
run-time error can say where it happened ("Variable not found: x (line 1, position 13)").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Pos = tuple[int, int]


@dataclass(frozen=True)
class Lit:
    value: Any
    pos: Pos


@dataclass(frozen=True)
class Template:
    """A backtick string: literal text and `${…}` expressions, in order."""
    parts: tuple[str | Expr, ...]
    pos: Pos


@dataclass(frozen=True)
class Var:
    name: str
    pos: Pos


@dataclass(frozen=True)
class Prop:
    target: Expr
    name: str
    pos: Pos


@dataclass(frozen=True)
class Index:
    target: Expr
    key: Expr
    pos: Pos


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Expr, ...]
    pos: Pos


@dataclass(frozen=True)
class Method:
    target: Expr
    name: str
    args: tuple[Expr, ...]
    pos: Pos


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Expr
    pos: Pos


@dataclass(frozen=True)
class Binary:
    op: str
    left: Expr
    right: Expr
    pos: Pos


@dataclass(frozen=True)
class RangeLit:
    start: Expr
    end: Expr
    inclusive: bool
    pos: Pos


@dataclass(frozen=True)
class ArrayLit:
    items: tuple[Expr, ...]
    pos: Pos


@dataclass(frozen=True)
class MapLit:
    entries: tuple[tuple[str, Expr], ...]
    pos: Pos


Expr = Lit | Template | Var | Prop | Index | Call | Method | Unary | Binary | RangeLit | ArrayLit | MapLit
Path = Var | Prop | Index
"""What an assignment may target: a variable, or a property / index below one."""


@dataclass(frozen=True)
class Let:
    name: str
    value: Expr | None
    constant: bool
    pos: Pos


@dataclass(frozen=True)
class Assign:
    target: Path
    op: str | None  # "+" for `+=`…, None for `=`
    value: Expr
    pos: Pos


@dataclass(frozen=True)
class ExprStmt:
    expr: Expr
    pos: Pos


@dataclass(frozen=True)
class Block:
    body: tuple[Stmt, ...]
    pos: Pos


@dataclass(frozen=True)
class If:
    condition: Expr
    then: Block
    otherwise: Block | If | None
    pos: Pos


@dataclass(frozen=True)
class For:
    name: str
    counter: str | None
    iterable: Expr
    body: Block
    pos: Pos


@dataclass(frozen=True)
class While:
    condition: Expr | None  # None: `loop`
    body: Block
    pos: Pos


@dataclass(frozen=True)
class Jump:
    """`break`, `continue`, `return [expr]` or `throw [expr]`."""
    kind: str
    value: Expr | None
    pos: Pos


Stmt = Let | Assign | ExprStmt | Block | If | For | While | Jump
