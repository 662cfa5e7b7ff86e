"""``localizedAttributes`` and ``locales``: which languages a field or a query is read in.

A field takes the locales of the first rule with an ``attributePatterns`` entry matching it (none:
detection decides).  A query takes the ``locales`` search parameter, else the locales of the
rules of the fields it searches, together — so a query meets the documents' words cut the way
their fields were.  Locales only narrow detection; they never filter documents.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..facets.filterable import match_pattern


def field_locales(rules: Sequence[Mapping[str, Any]] | None, field: str) -> list[str] | None:
    """The locales of the first rule matching ``field``, None when no rule does."""
    for rule in rules or ():
        if any(match_pattern(pattern, field) == "match" for pattern in rule.get("attributePatterns", ())):
            return list(rule.get("locales", ())) or None
    return None


def query_locales(rules: Sequence[Mapping[str, Any]] | None, explicit: Iterable[str] | None,
                  fields: Iterable[str]) -> tuple[str, ...] | None:
    """The locales a query is cut with: ``explicit`` (the search parameter), else those of the
    rules of the searched ``fields``, None when neither gives any."""
    if explicit:
        return tuple(explicit)
    if not rules:
        return None
    found: dict[str, None] = {}
    for field in fields:
        for code in field_locales(rules, field) or ():
            found[code] = None
    return tuple(found) or None
