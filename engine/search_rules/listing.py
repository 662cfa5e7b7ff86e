"""`POST /dynamic-search-rules`: a page of the rules, optionally filtered.

Body ``{"offset": 0, "limit": 20, "filter": {"query": "...", "active": true}}``, every field
optional.  ``active`` keeps the rules in that state; ``query`` searches the rules' descriptions
and query words as upstream searches its internal rule index: with the `last` matching strategy
(a rule must hold the query's first word; holding more of its words, in order, ranks it higher),
the last query word also matching as a prefix.  Ties keep the rules' internal order.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..settings.validate import check_fields, type_error
from ..store import Store
from ..tokenizer import Tokenizer
from .model import Rule, rule_view
from .store import all_rules

LIST_FIELDS = ("offset", "limit", "filter")
FILTER_FIELDS = ("query", "active")
DEFAULT_LIMIT = 20


def parse_list_body(body: Any) -> tuple[int, int, str | None, bool | None]:
    """(offset, limit, query, active) of the list body, with upstream's codes."""
    if not isinstance(body, dict):
        raise type_error("", "an object", body, "bad_request")
    check_fields(body, LIST_FIELDS)
    offset = _uint(body.get("offset"), ".offset", "invalid_dynamic_search_rule_offset", 0)
    limit = _uint(body.get("limit"), ".limit", "invalid_dynamic_search_rule_limit", DEFAULT_LIMIT)
    query, active = None, None
    raw = body.get("filter")
    if raw is not None:
        code = "invalid_dynamic_search_rule_filter"
        if not isinstance(raw, dict):
            raise type_error(".filter", "an object", raw, code)
        check_fields(raw, FILTER_FIELDS, code, inside=".filter")
        query = raw.get("query")
        if query is not None and not isinstance(query, str):
            raise type_error(".filter.query", "a string", query, "invalid_dynamic_search_rule_filter_query")
        active = raw.get("active")
        if active is not None and not isinstance(active, bool):
            raise type_error(".filter.active", "a boolean", active, "invalid_dynamic_search_rule_filter_active")
    return offset, limit, query, active


def _uint(value: Any, path: str, code: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise type_error(path, "a positive integer", value, code)
    return value


def list_rules(store: Store, offset: int, limit: int, query: str | None, active: bool | None) -> dict[str, Any]:
    """The page as the route answers it: ``{results, offset, limit, total}``."""
    rules = [r for r in all_rules(store) if active is None or r.get("active", True) == active]
    if query is not None:
        rules = matching_rules(rules, query)
    page = rules[offset:offset + limit]
    return {"results": [rule_view(r) for r in page], "offset": offset, "limit": limit, "total": len(rules)}


@lru_cache(maxsize=1)
def _tokenizer() -> Tokenizer:
    return Tokenizer()


def matching_rules(rules: list[Rule], query: str) -> list[Rule]:
    """The rules ``query`` finds, best first (a query without words finds them all)."""
    words = _tokenizer().words(query)
    if not words:
        return rules
    scored = []
    for rule in rules:
        text = " ".join(filter(None, (rule.get("description"), (rule.get("conditions") or {}).get("query", {})
                                      .get("words"))))
        held = set(_tokenizer().words(text))
        matched = _leading_matches(words, held)
        if matched:
            scored.append((-matched, rule["_id"], rule))
    return [rule for *_key, rule in sorted(scored, key=lambda entry: entry[:2])]


def _leading_matches(words: list[str], held: set[str]) -> int:
    """How many of the query's first words the rule holds (the last one may be a prefix)."""
    count = 0
    for n, word in enumerate(words):
        last = n == len(words) - 1
        if word in held or (last and any(h.startswith(word) for h in held)):
            count += 1
        else:
            break
    return count
