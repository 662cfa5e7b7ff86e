"""The filter tree: what the parser builds and the evaluator walks.

``genre = horror AND NOT (year < 2000 OR year EXISTS)`` becomes::

    And(Condition(genre = horror),
        Not(Or(Condition(year < 2000), Condition(year EXISTS))))

AND/OR chains are n-ary (``a AND b AND c`` is one ``And`` with three children), so a filter
of thousands of clauses is a wide, shallow tree.  Every leaf keeps the text it came from
(``Token`` spans into ``source``) so semantic errors can point at it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

COMPARATORS = ("=", "!=", ">", ">=", "<", "<=")
EQUALITY_OPS = frozenset({"=", "!=", "IN"})
COMPARISON_OPS = frozenset({">", ">=", "<", "<=", "TO"})
# operators that only need the field to be filterable (equality *or* comparison)
ANY_FILTER_OPS = frozenset({"EXISTS", "IS NULL", "IS EMPTY", "CONTAINS", "STARTS WITH"})


@dataclass(frozen=True, slots=True)
class Token:
    """A piece of the filter text: its value (unquoted, unescaped) and char span in ``source``."""

    value: str
    start: int
    end: int
    source: str = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Condition:
    """``field <op> values``.

    ``op`` is one of ``= != > >= < <= TO IN EXISTS IS NULL IS EMPTY CONTAINS STARTS WITH``;
    ``values`` holds 1 value for comparators, CONTAINS and STARTS WITH, 2 for TO (from, to),
    any number for IN, none otherwise.  Negated forms (NOT IN, NOT EXISTS, IS NOT NULL…) are
    ``Not(Condition(...))``.  ``keyword`` is the operator's own token (CONTAINS needs it for
    the feature error).
    """

    field: Token
    op: str
    values: tuple[Token, ...] = ()
    keyword: Token | None = None


@dataclass(frozen=True, slots=True)
class GeoRadius:
    lat: Token
    lng: Token
    radius: Token
    resolution: Token | None = None


@dataclass(frozen=True, slots=True)
class GeoBoundingBox:
    top_right: tuple[Token, Token]
    bottom_left: tuple[Token, Token]


@dataclass(frozen=True, slots=True)
class GeoPolygon:
    points: tuple[tuple[Token, Token], ...]


@dataclass(frozen=True, slots=True)
class Foreign:
    """``_foreign(field, filter)``: documents whose foreign key ``field`` points at a document of
    the foreign index matching ``filter`` (upstream's `foreignKeys` feature).  ``text`` spans the
    whole expression, which upstream's messages quote."""

    field: Token
    filter: "Expr"
    text: Token


@dataclass(frozen=True, slots=True)
class VectorExists:
    """``_vectors[.<embedder>[.<kind>]] EXISTS`` (behind the `multimodal` feature).

    ``embedder`` None means every configured embedder; ``kind`` is ``""`` (any embedding),
    ``userProvided``, ``documentTemplate``, ``regenerate`` or ``fragments`` (then ``fragment``
    names one).  ``fid`` is the ``_vectors`` token the feature error points at.
    """

    fid: Token
    embedder: Token | None = None
    kind: str = ""
    fragment: Token | None = None


@dataclass(frozen=True, slots=True)
class Not:
    child: "Expr"


@dataclass(frozen=True, slots=True)
class And:
    children: tuple["Expr", ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple["Expr", ...]


Leaf = Union[Condition, GeoRadius, GeoBoundingBox, GeoPolygon, VectorExists, Foreign]
Expr = Union[And, Or, Not, Leaf]
_EXPR_TYPES = (And, Or, Not, Condition, GeoRadius, GeoBoundingBox, GeoPolygon, VectorExists, Foreign)


def is_filter_expr(value: object) -> bool:
    """A filter already parsed (a query may carry an AST instead of Meilisearch filter text)."""
    return isinstance(value, _EXPR_TYPES)


def negate(expr: Expr) -> Expr:
    """``NOT e``, folding double negations (``NOT NOT x`` is ``x``) like upstream."""
    return expr.child if isinstance(expr, Not) else Not(expr)


def iter_leaves(expr: Expr):
    """Leaves in document order, without recursion."""
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, (And, Or)):
            stack.extend(reversed(node.children))
        elif isinstance(node, Not):
            stack.append(node.child)
        else:
            yield node


def and_or_depth(expr: Expr) -> int:
    """Nesting depth of AND/OR nodes (NOT does not count), as milli's `token_at_depth`."""
    best = 0
    stack: list[tuple[Expr, int]] = [(expr, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (And, Or)):
            for child in node.children:
                stack.append((child, depth + 1))
        elif isinstance(node, Not):
            stack.append((node.child, depth))
        else:
            best = max(best, depth)
    return best
