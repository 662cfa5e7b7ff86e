"""Ranking rules by name: the index's ``rankingRules`` become rule instances (ranking.md §5).

Every rule is a class in its own module (see base.py for the contract every rule keeps) that
names itself and builds its instances from a `RulePlan`; `RULES` maps setting names to classes,
so a new rule (vectorSort next) is one module and one line here::

    rankingRules ["words", "typo", "sort", "release:desc"]  +  sort ["price:asc"]
        -> [WordsRule, TypoRule, SortRule(price asc), SortRule(release desc)]

`build_rules` applies the rules of the list itself: ``words`` runs before the first textual rule
unless matchingStrategy is ``all``; placeholder searches drop textual rules; a rule named twice
runs once; legacy ``attribute`` is left out when ``attributeRank``/``wordPosition`` ran already;
a field sorted by the ``sort`` parameter is not sorted again by a custom rule (or vice versa).
"""
from __future__ import annotations

from .attribute import AttributeRankRule, AttributeRule, WordPositionRule
from .base import Rule, RulePlan
from .exactness import ExactnessRule
from .proximity import ProximityRule
from .sort import SORT_RULES, GeoSortRule, SortRule
from .typo import TypoRule
from .words import WordsRule

RULES: dict[str, type[Rule]] = {cls.name: cls for cls in (
    WordsRule, TypoRule, ProximityRule, AttributeRule, AttributeRankRule, WordPositionRule, ExactnessRule, SortRule,
)}
"""Rule classes by their name in the ``rankingRules`` setting.  The ``sort`` rule expands the
query's `sort` parameter through `SORT_RULES` (a field -> `SortRule`, a `_geoPoint` -> `GeoSortRule`);
a custom ``field:asc|desc`` setting is a `SortRule` too."""


def build_rules(names: list[str] | tuple[str, ...], plan: RulePlan) -> list[Rule]:
    """The rules of one search, in order, from the ranking-rule names of the settings."""
    rules: list[Rule] = []
    added: set[str] = set()
    sorted_fields: set[str] = set()
    words_pending = plan.matching_strategy != "all"
    for name in names:
        cls = RULES.get(name)
        if cls is None:  # a custom `field:asc|desc` rule
            field, _colon, order = name.rpartition(":")
            if field:
                _add_sort(rules, SortRule.on_field(field, order == "asc", plan), sorted_fields)
            continue
        if cls.textual:
            if plan.placeholder:
                continue
            if words_pending:
                rules.extend(WordsRule.build(plan))
                words_pending = False
            if name in added or cls is WordsRule or added & cls.replaced_by:
                continue
            added.add(name)
            rules.extend(cls.build(plan))
        else:
            for rule in cls.build(plan):
                _add_sort(rules, rule, sorted_fields)
    return rules


def build_semantic_rules(names: list[str] | tuple[str, ...], plan: RulePlan, vector_rule: Rule) -> list[Rule]:
    """A semantic search's rules (hybrid.md §4.1, §8.11): the first textual rule of the list becomes
    ``vector_rule``, the other textual rules go, sort and custom `asc`/`desc` rules stay in place.
    A list without any textual rule has no vector rule at all."""
    rules: list[Rule] = []
    sorted_fields: set[str] = set()
    placed = False
    for name in names:
        cls = RULES.get(name)
        if cls is None:
            field, _colon, order = name.rpartition(":")
            if field:
                _add_sort(rules, SortRule.on_field(field, order == "asc", plan), sorted_fields)
            continue
        if cls.textual:
            if not placed:
                rules.append(vector_rule)
                placed = True
            continue
        for rule in cls.build(plan):
            _add_sort(rules, rule, sorted_fields)
    return rules


def _add_sort(rules: list[Rule], rule: Rule, sorted_fields: set[str]) -> None:
    """A sort on a field already sorted by an earlier rule would change nothing: it is left out."""
    if rule.sorted_field is not None:
        if rule.sorted_field in sorted_fields:
            return
        sorted_fields.add(rule.sorted_field)
    rules.append(rule)


__all__ = ["RULES", "SORT_RULES", "GeoSortRule", "Rule", "RulePlan", "SortRule", "build_rules", "build_semantic_rules"]
