"""The filterableAttributes rules (filters-facets.md §3.4).

Properties proved here:
 1. Patterns: `*`, `prefix*`, `*suffix`, `*infix*`, exact; `parent` when a name is an ancestor of
    what a pattern selects.
 2. Legacy string rules cover the field and its sub-fields with every feature on.
 3. Granular rules default to facetSearch false, equality true, comparison false; an exact
    granular pattern does not cover sub-fields.
 4. The first matching rule wins, even when it disables filtering.
 5. `_geo`/`_geojson` filtering needs a legacy string rule.
 6. Error helpers: sorted de-duplicated pattern list, or the "no filterable attributes" text.
"""
from __future__ import annotations

import pytest

from engine.facets.filterable import Features, FilterableRules, match_pattern


# 1 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("pattern, name, expected", [
    ("*", "anything.at.all", "match"),
    ("doggos.*", "doggos.age", "match"),
    ("doggos.*", "doggos", "parent"),
    ("doggos.*", "dog", "none"),
    ("*_id", "user_id", "match"),
    ("*_id", "user_idx", "none"),
    ("*ogg*", "doggos.age", "match"),
    ("*ogg*", "cattos", "none"),
    ("title", "title", "match"),
    ("title", "title.en", "none"),
    ("doggos.age", "doggos", "parent"),
    ("doggos.age", "doggos.name", "none"),
])
def test_match_pattern(pattern, name, expected):
    assert match_pattern(pattern, name) == expected


# 2 ------------------------------------------------------------------------------------------------
def test_legacy_rules_cover_sub_fields_with_all_features():
    rules = FilterableRules(["doggos"])
    assert rules.match("doggos") == (0, Features(facet_search=True, equality=True, comparison=True))
    assert rules.match("doggos.age") == (0, Features(True, True, True))
    assert rules.match("doggosx") is None
    assert rules.is_filterable("doggos.name") and rules.is_facet_searchable("doggos.name")


# 3 ------------------------------------------------------------------------------------------------
def test_granular_defaults_and_exact_patterns():
    rules = FilterableRules([{"attributePatterns": ["title"]}])
    assert rules.match("title") == (0, Features(facet_search=False, equality=True, comparison=False))
    assert rules.match("title.en") is None
    assert not rules.is_facet_searchable("title")
    rules = FilterableRules([{"attributePatterns": ["price"], "features": {"facetSearch": True, "filter": {"comparison": True}}}])
    assert rules.match("price") == (0, Features(facet_search=True, equality=True, comparison=True))


# 4 ------------------------------------------------------------------------------------------------
def test_first_matching_rule_wins():
    rules = FilterableRules([
        {"attributePatterns": ["secret*"], "features": {"filter": {"equality": False, "comparison": False}}},
        "secret_code",
        {"attributePatterns": ["*"], "features": {"filter": {"comparison": True}}},
    ])
    assert rules.match("secret_code") == (0, Features(False, False, False))
    assert not rules.is_filterable("secret_code")
    assert rules.match("anything") == (2, Features(False, True, True))
    assert rules.is_filterable("anything")


# 5 ------------------------------------------------------------------------------------------------
def test_geo_needs_a_legacy_rule():
    assert FilterableRules(["_geo"]).geo_enabled
    assert not FilterableRules([{"attributePatterns": ["_geo"]}]).geo_enabled
    assert not FilterableRules(["_geojson"]).geo_enabled
    assert FilterableRules(["_geojson"]).geojson_enabled


# 6 ------------------------------------------------------------------------------------------------
def test_messages():
    rules = FilterableRules(["title", {"attributePatterns": ["genres", "title"]},
                             {"attributePatterns": ["hidden"], "features": {"filter": {"equality": False}}},
                             {"attributePatterns": ["g*"], "features": {"facetSearch": True}}])
    assert rules.filterable_patterns() == ["g*", "genres", "title"]
    assert rules.facet_searchable_patterns() == ["g*", "title"]
    assert rules.not_filterable_message("many") == (
        "Attribute `many` is not filterable. Available filterable attribute patterns are: `g*`, `genres`, `title`."
    )
    assert FilterableRules([]).not_filterable_message("many") == (
        "Attribute `many` is not filterable. This index does not have configured filterable attributes."
    )
