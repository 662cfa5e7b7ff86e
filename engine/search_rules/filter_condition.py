"""The `conditions.filter` of a rule: facet values the search's filter must constrain.

A rule with ``{"values": {"genre": "horror", "year": 2000}}`` has two constraints (every scalar
under ``values`` counts one).  It applies to a search whose filter, read as a disjunction of
conjunctions (milli's `FilterConstraints`: ``IN`` is an OR of equalities, NOT is pushed down
through AND and OR), has a conjunction where at least that many fields are constrained in a way
the rule's values satisfy: ``genre = horror AND year >= 1990`` does, ``genre = horror`` alone or
``genre = horror OR year = 2000`` does not.  A search without filter applies no rule that has
constraints.  On one field every condition must hold (a negated one must not); `EXISTS` holds for
any rule, `IS NULL` / `IS EMPTY` for none, `CONTAINS` / `STARTS WITH` and geo filters are never
satisfied (milli's `resolve_constraints`).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..facets.values import facet_number, normalize_facet_string
from ..filters.ast import And, Condition, Expr, Not, Or

Disjunct = dict[str, list[tuple[Condition, bool]]]
GEO = "\0geo"  # the target of a geo filter: no rule value answers it
MAX_DISJUNCTS = 100  # milli's constraint fuel bounds the expansion likewise


def constraint_count(values: dict[str, Any]) -> int:
    """How many constraints a rule's ``values`` hold: one per scalar (null counts none)."""
    return sum(1 for _field, _value in _leaves(values, ""))


def filter_holds(values: dict[str, Any], expr: Expr | None) -> bool:
    """Whether the search filter ``expr`` satisfies the rule's ``values`` (see the module)."""
    needed = constraint_count(values)
    if needed == 0:
        return True
    if expr is None:
        return False
    facets: dict[str, list[Any]] = {}
    for field, value in _leaves(values, ""):
        facets.setdefault(field, []).append(value)
    return any(sum(1 for field, conds in disjunct.items() if _field_holds(facets.get(field), conds)) >= needed
               for disjunct in disjuncts(expr, True))


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(inner, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for inner in value:
            yield from _leaves(inner, path)
    elif value is not None:
        yield path, value


def disjuncts(expr: Expr, polarity: bool) -> list[Disjunct]:
    """``expr`` (negated when not ``polarity``) as conjunctions of per-field conditions."""
    if isinstance(expr, Not):
        return disjuncts(expr.child, not polarity)
    if isinstance(expr, Condition):
        if expr.op == "IN":
            equalities = tuple(Condition(expr.field, "=", (value,)) for value in expr.values)
            return disjuncts(Or(equalities), polarity)
        return [{expr.field.value: [(expr, polarity)]}]
    if isinstance(expr, (And, Or)):
        union = isinstance(expr, Or) == polarity
        if union:
            return [d for child in expr.children for d in disjuncts(child, polarity)][:MAX_DISJUNCTS]
        return _conjunction(expr.children, polarity)
    return [{GEO: []}]


def _conjunction(children: tuple[Expr, ...], polarity: bool) -> list[Disjunct]:
    out: list[Disjunct] = []
    for child in children:
        parts = disjuncts(child, polarity)
        if not out:
            out = parts
            continue
        out = [_fuse(left, right) for left in out for right in parts][:MAX_DISJUNCTS]
    return out


def _fuse(left: Disjunct, right: Disjunct) -> Disjunct:
    fused = {field: list(conds) for field, conds in left.items()}
    for field, conds in right.items():
        fused.setdefault(field, []).extend(conds)
    return fused


def _field_holds(values: list[Any] | None, conditions: list[tuple[Condition, bool]]) -> bool:
    if values is None or not conditions:
        return False
    for condition, polarity in conditions:
        if condition.op in ("CONTAINS", "STARTS WITH"):
            return False
        if condition.op == "!=":
            condition, polarity = Condition(condition.field, "=", condition.values), not polarity
        if _evaluated(values, condition) != polarity:
            return False
    return True


def _evaluated(values: list[Any], condition: Condition) -> bool:
    """Whether one of the rule's values satisfies ``condition`` (as a filter on a document would)."""
    op = condition.op
    if op == "EXISTS":
        return True
    if op in ("IS NULL", "IS EMPTY"):
        return False
    strings = [normalize_facet_string(_facet_text(v)) for v in values if not _is_number(v)]
    numbers = [float(v) for v in values if _is_number(v)]
    raw = [token.value for token in condition.values]
    if op == "=":
        number = facet_number(raw[0])
        return normalize_facet_string(raw[0]) in strings or (number is not None and number in numbers)
    if op == "TO":
        low, high = facet_number(raw[0]), facet_number(raw[1])
        text_low, text_high = normalize_facet_string(raw[0]), normalize_facet_string(raw[1])
        return (any(text_low <= s <= text_high for s in strings)
                or (low is not None and high is not None and any(low <= n <= high for n in numbers)))
    number, text = facet_number(raw[0]), normalize_facet_string(raw[0])
    compare = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
               "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}[op]
    return any(compare(s, text) for s in strings) or (number is not None and any(compare(n, number) for n in numbers))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _facet_text(value: Any) -> str:
    """A string facet as indexed: booleans as `true` / `false`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
