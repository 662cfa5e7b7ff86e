"""Index settings: defaults, validation messages, merge rules, views, task details, reindex plan.

Properties proved here:
1. A fresh index reads back exactly the 20 default keys of api.md §4.1, in order; gated keys
   (foreignKeys after sortableAttributes, chat last) appear only with their feature on.
2. The registry covers every setting once, with route, verb, code and help text.
3. PATCH /settings rejects a non-object body and unknown keys with `bad_request` and deserr's
   wording (accepted keys listed in order, a near miss suggested).
4. A wrong type reports the setting's code, with a `.setting` path in PATCH /settings and the
   root-path message on a sub-route; nested paths are relative to the body.
5. Integers follow deserr: floats and negatives are type errors, u8 overflow and a zero
   maxTotalHits are value errors with Meilisearch's text.
6. deserr reports the first problem in input order.
7. rankingRules: unknown rule, reserved geo names, last-colon split, and the mixed attribute rule.
8. typoTolerance merges key by key (minWordSizeForTypos per sub-key); oneTypo > twoTypos is
   rejected at request time, and at apply time when it only appears after merging.
9. faceting merges per key, replaces sortFacetValuesBy whole, and always reads back `*`.
10. Read-back rules: `*` lists read ["*"], sets sorted and deduplicated, localizedAttributes null,
    locales stored as ISO-639-3, filterable pattern objects spelled out.
11. `null` resets a setting (sub-routes too) and nested nulls reset one key.
12. Enums (proximityPrecision, prefixSearch, sortFacetValuesBy values) use deserr's Unknown value.
13. Feature-gated settings answer feature_not_enabled while their feature is off.
14. Embedders: field availability per source, mandatory fields, zero sizes, URL syntax, merge by
    name, null removes, binary quantization cannot be undone, API keys masked everywhere.
15. Task details: only the keys sent, registry order, resets null except displayed/searchable.
16. reindex_needed names exactly the derived data a change invalidates.
"""
import pytest

from engine.errors import LoupeError
from engine.settings import (
    SETTINGS,
    SETTING_NAMES,
    apply_patch,
    default_settings,
    hide_secret,
    reindex_needed,
    reset_all,
    setting_view,
    settings_view,
    sub_route_patch,
    task_details,
    validate_setting_value,
    validate_settings_patch,
)


def error(fn, *args):
    with pytest.raises(LoupeError) as info:
        fn(*args)
    return info.value.code, info.value.message


DEFAULT_VIEW = {
    "displayedAttributes": ["*"],
    "searchableAttributes": ["*"],
    "filterableAttributes": [],
    "sortableAttributes": [],
    "rankingRules": ["words", "typo", "proximity", "attributeRank", "sort", "wordPosition", "exactness"],
    "stopWords": [],
    "nonSeparatorTokens": [],
    "separatorTokens": [],
    "dictionary": [],
    "synonyms": {},
    "distinctAttribute": None,
    "proximityPrecision": "byWord",
    "typoTolerance": {
        "enabled": True,
        "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
        "disableOnWords": [],
        "disableOnAttributes": [],
        "disableOnNumbers": False,
    },
    "faceting": {"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "alpha"}},
    "pagination": {"maxTotalHits": 1000},
    "embedders": {},
    "searchCutoffMs": None,
    "localizedAttributes": None,
    "facetSearch": True,
    "prefixSearch": "indexingTime",
}


# 1 ------------------------------------------------------------------------------------------------
def test_default_view_is_the_twenty_keys_in_order():
    view = settings_view(default_settings())
    assert view == DEFAULT_VIEW
    assert list(view) == list(DEFAULT_VIEW)


def test_gated_keys_appear_with_their_feature():
    view = settings_view(default_settings(), {"foreignKeys", "chatCompletions"})
    keys = list(view)
    assert keys[4] == "foreignKeys" and view["foreignKeys"] == []
    assert keys[-1] == "chat"
    assert view["chat"]["documentTemplateMaxBytes"] == 400
    assert list(view["chat"]) == ["description", "documentTemplate", "documentTemplateMaxBytes", "searchParameters"]


# 2 ------------------------------------------------------------------------------------------------
def test_registry_is_complete_and_documented():
    assert len(SETTINGS) == 22 and len(set(SETTING_NAMES)) == 22
    routes = {s.name: (s.route, s.verb, s.code) for s in SETTINGS}
    assert routes["typoTolerance"] == ("typo-tolerance", "PATCH", "invalid_settings_typo_tolerance")
    assert routes["searchCutoffMs"] == ("search-cutoff-ms", "PUT", "invalid_settings_search_cutoff_ms")
    assert routes["chat"] == ("chat", "PATCH", "invalid_settings_index_chat")
    assert {s.name for s in SETTINGS if s.verb == "PATCH"} == {"typoTolerance", "faceting", "pagination", "embedders", "chat"}
    assert all(s.help for s in SETTINGS)
    assert {s.name: s.feature for s in SETTINGS if s.feature} == {"foreignKeys": "foreignKeys", "chat": "chatCompletions"}


# 3 ------------------------------------------------------------------------------------------------
def test_body_must_be_an_object():
    assert error(validate_settings_patch, None) == (
        "bad_request", "Invalid value type: expected an object, but found null")
    assert error(validate_settings_patch, ["a"]) == (
        "bad_request", 'Invalid value type: expected an object, but found an array: `["a"]`')


ACCEPTED = ", ".join(f"`{n}`" for n in SETTING_NAMES)


def test_unknown_key_lists_accepted_keys_in_order():
    assert error(validate_settings_patch, {"doggo": 1}) == (
        "bad_request", f"Unknown field `doggo`: expected one of {ACCEPTED}")
    assert error(validate_settings_patch, {"stopWord": []}) == (
        "bad_request", f"Unknown field `stopWord`: did you mean `stopWords`? expected one of {ACCEPTED}")


# 4 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, code, expected", [
    ("displayedAttributes", "invalid_settings_displayed_attributes", "an array"),
    ("searchableAttributes", "invalid_settings_searchable_attributes", "an array"),
    ("filterableAttributes", "invalid_settings_filterable_attributes", "an array"),
    ("sortableAttributes", "invalid_settings_sortable_attributes", "an array"),
    ("rankingRules", "invalid_settings_ranking_rules", "an array"),
    ("stopWords", "invalid_settings_stop_words", "an array"),
    ("synonyms", "invalid_settings_synonyms", "an object"),
    ("typoTolerance", "invalid_settings_typo_tolerance", "an object"),
    ("faceting", "invalid_settings_faceting", "an object"),
    ("pagination", "invalid_settings_pagination", "an object"),
    ("embedders", "invalid_settings_embedders", "an object"),
    ("searchCutoffMs", "invalid_settings_search_cutoff_ms", "a positive integer"),
    ("facetSearch", "invalid_settings_facet_search", "a boolean"),
    ("localizedAttributes", "invalid_settings_localized_attributes", "an array"),
])
def test_wrong_type_uses_the_setting_code_and_path(name, code, expected):
    assert error(validate_settings_patch, {name: "doggo"}) == (
        code, f'Invalid value type at `.{name}`: expected {expected}, but found a string: `"doggo"`')
    assert error(validate_setting_value, name, "doggo") == (
        code, f'Invalid value type: expected {expected}, but found a string: `"doggo"`')


def test_distinct_attribute_type_error():
    assert error(validate_settings_patch, {"distinctAttribute": ["doggo"]}) == (
        "invalid_settings_distinct_attribute",
        'Invalid value type at `.distinctAttribute`: expected a string, but found an array: `["doggo"]`')


def test_nested_paths_are_relative_to_the_body():
    assert error(validate_settings_patch, {"typoTolerance": {"minWordSizeForTypos": {"oneTypo": "x"}}}) == (
        "invalid_settings_typo_tolerance",
        'Invalid value type at `.typoTolerance.minWordSizeForTypos.oneTypo`: expected a positive integer, '
        'but found a string: `"x"`')
    assert error(validate_setting_value, "typo-tolerance", {"minWordSizeForTypos": {"oneTypo": "x"}}) == (
        "invalid_settings_typo_tolerance",
        'Invalid value type at `.minWordSizeForTypos.oneTypo`: expected a positive integer, but found a string: `"x"`')
    assert error(validate_setting_value, "typoTolerance", {"typoTolerance": {}}) == (
        "invalid_settings_typo_tolerance",
        "Unknown field `typoTolerance`: expected one of `enabled`, `minWordSizeForTypos`, `disableOnWords`, "
        "`disableOnAttributes`, `disableOnNumbers`")
    assert error(validate_settings_patch, {"pagination": {"doggo": 1}}) == (
        "invalid_settings_pagination", "Unknown field `doggo` inside `.pagination`: expected one of `maxTotalHits`")
    assert error(validate_settings_patch, {"stopWords": ["a", 1]}) == (
        "invalid_settings_stop_words",
        "Invalid value type at `.stopWords[1]`: expected a string, but found a positive integer: `1`")


# 5 ------------------------------------------------------------------------------------------------
def test_integer_rules_follow_deserr():
    assert error(validate_settings_patch, {"pagination": {"maxTotalHits": 1.5}}) == (
        "invalid_settings_pagination",
        "Invalid value type at `.pagination.maxTotalHits`: expected a positive integer, but found a number: `1.5`")
    assert error(validate_setting_value, "pagination", {"maxTotalHits": 0}) == (
        "invalid_settings_pagination",
        "Invalid value at `.maxTotalHits`: a non-zero integer value lower than `18446744073709551615` was "
        "expected, but found a zero")
    assert error(validate_settings_patch, {"typoTolerance": {"minWordSizeForTypos": {"twoTypos": 256}}}) == (
        "invalid_settings_typo_tolerance",
        "Invalid value at `.typoTolerance.minWordSizeForTypos.twoTypos`: value: `256` is too large to be "
        "deserialized, maximum value authorized is `255`")
    assert error(validate_settings_patch, {"faceting": {"maxValuesPerFacet": -1}}) == (
        "invalid_settings_faceting",
        "Invalid value type at `.faceting.maxValuesPerFacet`: expected a positive integer, but found a negative "
        "integer: `-1`")
    assert error(validate_setting_value, "searchCutoffMs", True) == (
        "invalid_settings_search_cutoff_ms", "Invalid value type: expected a positive integer, but found a boolean: `true`")
    assert validate_settings_patch({"faceting": {"maxValuesPerFacet": 0}}) == {"faceting": {"maxValuesPerFacet": 0}}


# 6 ------------------------------------------------------------------------------------------------
def test_first_error_in_input_order_wins():
    body = {"stopWords": "x", "doggo": 1}
    assert error(validate_settings_patch, body)[0] == "invalid_settings_stop_words"
    body = {"doggo": 1, "stopWords": "x"}
    assert error(validate_settings_patch, body)[0] == "bad_request"


# 7 ------------------------------------------------------------------------------------------------
RULES = "invalid_settings_ranking_rules"


def test_unknown_ranking_rule():
    assert error(validate_settings_patch, {"rankingRules": ["custom"]}) == (
        RULES, "Invalid value at `.rankingRules[0]`: `custom` ranking rule is invalid. Valid ranking rules are "
               "words, typo, sort, proximity, attribute, exactness and custom ranking rules.")
    assert error(validate_setting_value, "ranking-rules", ["words", "price:deesc"])[1].startswith(
        "Invalid value at `[1]`: `price:deesc` ranking rule is invalid.")


def test_custom_rules_split_on_the_last_colon():
    rules = ["words", "a:b:desc", "price:asc", "attributeRank", "wordPosition"]
    assert validate_settings_patch({"rankingRules": rules}) == {"rankingRules": rules}


@pytest.mark.parametrize("rule, message", [
    ("_geo:asc", "`_geo` is a reserved keyword and thus can't be used as a ranking rule"),
    ("_geoDistance:desc", "`_geoDistance` is a reserved keyword and thus can't be used as a ranking rule"),
    ("_geoPoint(1, 2):asc", "`_geoPoint` is a reserved keyword and thus can't be used as a ranking rule. "
                            "`_geoPoint` can only be used for sorting at search time"),
    ("_geoRadius:asc", "`_geoRadius` is a reserved keyword and thus can't be used as a ranking rule. "
                       "`_geoRadius` can only be used for filtering at search time"),
    ("_geoBoundingBox([1, 2], [3, 4]):desc", "`_geoBoundingBox` is a reserved keyword and thus can't be used as "
                                             "a ranking rule. `_geoBoundingBox` can only be used for filtering at search time"),
])
def test_reserved_geo_names(rule, message):
    assert error(validate_settings_patch, {"rankingRules": [rule]}) == (RULES, f"Invalid value at `.rankingRules[0]`: {message}")


MIXED = ("Mixed usage of the attribute, attributeRank, and wordPosition ranking rules. You must either use the "
         "attribute ranking rule alone or the attributeRank and wordPosition ranking rules.")


@pytest.mark.parametrize("rules", [["words", "attribute", "attributeRank"], ["attribute", "wordPosition"]])
def test_mixed_attribute_rules(rules):
    assert error(validate_settings_patch, {"rankingRules": rules}) == (RULES, MIXED)
    assert error(validate_setting_value, "rankingRules", rules) == (RULES, MIXED)


def test_ranking_rule_must_be_a_string():
    assert error(validate_settings_patch, {"rankingRules": [1]}) == (
        RULES, "Invalid value type at `.rankingRules[0]`: expected a string, but found a positive integer: `1`")


# 8 ------------------------------------------------------------------------------------------------
TYPO = "invalid_settings_typo_tolerance"
MIN_WORD = ("`minWordSizeForTypos` setting is invalid. `oneTypo` and `twoTypos` fields should be between `0` and "
            "`255`, and `twoTypos` should be greater or equals to `oneTypo` but found `oneTypo: {}` and twoTypos: {}`.")


def test_typo_tolerance_merges_key_by_key():
    stored = default_settings()
    stored = apply_patch(stored, validate_settings_patch({"typoTolerance": {"enabled": False}}))
    stored = apply_patch(stored, sub_route_patch("typoTolerance", {"minWordSizeForTypos": {"twoTypos": 12},
                                                                          "disableOnWords": ["b", "a", "b"]}))
    assert stored["typoTolerance"] == {
        "enabled": False, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 12},
        "disableOnWords": ["a", "b"], "disableOnAttributes": [], "disableOnNumbers": False}


def test_one_typo_above_two_typos():
    body = {"typoTolerance": {"minWordSizeForTypos": {"oneTypo": 10, "twoTypos": 5}}}
    assert error(validate_settings_patch, body) == (
        TYPO, "Invalid value at `.typoTolerance.minWordSizeForTypos`: " + MIN_WORD.format(10, 5))
    patch = validate_settings_patch({"typoTolerance": {"minWordSizeForTypos": {"oneTypo": 10}}})
    assert error(apply_patch, default_settings(), patch) == (TYPO, MIN_WORD.format(10, 9))


# 9 ------------------------------------------------------------------------------------------------
def test_faceting_replaces_sort_map_and_reads_star():
    stored = apply_patch(default_settings(), validate_settings_patch(
        {"faceting": {"sortFacetValuesBy": {"genre": "count", "author": "alpha"}}}))
    stored = apply_patch(stored, sub_route_patch("faceting", {"maxValuesPerFacet": 5}))
    assert setting_view("faceting", stored) == {
        "maxValuesPerFacet": 5, "sortFacetValuesBy": {"*": "alpha", "author": "alpha", "genre": "count"}}
    stored = apply_patch(stored, sub_route_patch("faceting", {"sortFacetValuesBy": {"*": "count"}}))
    assert setting_view("faceting", stored) == {"maxValuesPerFacet": 5, "sortFacetValuesBy": {"*": "count"}}


# 10 -----------------------------------------------------------------------------------------------
def test_read_back_rules():
    patch = validate_settings_patch({
        "displayedAttributes": ["title", "*"],
        "searchableAttributes": ["title", "overview"],
        "sortableAttributes": ["z", "a", "z"],
        "stopWords": ["the", "a", "the"],
        "synonyms": {"b": ["c"], "a": ["x", "y"]},
        "filterableAttributes": ["genre", {"attributePatterns": ["*_id"]}],
        "localizedAttributes": [{"attributePatterns": ["*_ja"], "locales": ["ja", "eng"]}],
    })
    view = settings_view(apply_patch(default_settings(), patch))
    assert view["displayedAttributes"] == ["*"]
    assert view["searchableAttributes"] == ["title", "overview"]
    assert view["sortableAttributes"] == ["a", "z"]
    assert view["stopWords"] == ["a", "the"]
    assert list(view["synonyms"]) == ["a", "b"]
    assert view["filterableAttributes"] == ["genre", {
        "attributePatterns": ["*_id"],
        "features": {"facetSearch": False, "filter": {"equality": True, "comparison": False}}}]
    assert view["localizedAttributes"] == [{"attributePatterns": ["*_ja"], "locales": ["jpn", "eng"]}]


def test_locales_and_localized_attributes_errors():
    code, message = error(validate_settings_patch,
                          {"localizedAttributes": [{"attributePatterns": ["*"], "locales": ["xx"]}]})
    assert code == "invalid_settings_localized_attributes"
    # read as Meilisearch's `Locale` enum: its variants in order, ISO-639-1, ISO-639-3, then `cmn`
    assert message.startswith("Unknown value `xx` at `.localizedAttributes[0].locales[0]`: expected one of "
                              "`af`, `ak`, `am`, `ar`, `az`, `be`, `bn`, `bg`,")
    assert message.endswith("`yid`, `zho`, `zul`, `cym`, `cmn`") and ", `cy`, `afr`, " in message
    assert error(validate_setting_value, "localizedAttributes", [{"locales": ["en"]}]) == (
        "invalid_settings_localized_attributes", "Missing field `attributePatterns` inside `[0]`")


def test_filterable_object_rejects_unknown_keys():
    assert error(validate_settings_patch, {"filterableAttributes": [{"attributePatterns": ["a"], "features":
                                                                     {"filter": {"doggo": True}}}]}) == (
        "invalid_settings_filterable_attributes",
        "Unknown field `doggo` inside `.filterableAttributes[0].features.filter`: expected one of `equality`, `comparison`")


# 11 -----------------------------------------------------------------------------------------------
def test_null_resets():
    stored = apply_patch(default_settings(), validate_settings_patch(
        {"stopWords": ["a"], "searchCutoffMs": 50, "pagination": {"maxTotalHits": 5},
         "typoTolerance": {"enabled": False, "minWordSizeForTypos": {"oneTypo": 2, "twoTypos": 6}}}))
    assert validate_setting_value("stop-words", None) is None
    stored = apply_patch(stored, {"stopWords": None, "searchCutoffMs": None})
    stored = apply_patch(stored, validate_settings_patch(
        {"pagination": {"maxTotalHits": None}, "typoTolerance": {"minWordSizeForTypos": {"oneTypo": None}}}))
    assert stored["stopWords"] == [] and stored["searchCutoffMs"] is None
    assert stored["pagination"] == {"maxTotalHits": 1000}
    assert stored["typoTolerance"]["minWordSizeForTypos"] == {"oneTypo": 5, "twoTypos": 6}
    assert stored["typoTolerance"]["enabled"] is False
    assert settings_view(apply_patch(stored, reset_all())) == DEFAULT_VIEW


# 12 -----------------------------------------------------------------------------------------------
def test_enum_values():
    assert error(validate_settings_patch, {"proximityPrecision": "doggo"}) == (
        "invalid_settings_proximity_precision",
        "Unknown value `doggo` at `.proximityPrecision`: expected one of `byWord`, `byAttribute`")
    assert error(validate_setting_value, "prefixSearch", "doggo") == (
        "invalid_settings_prefix_search", "Unknown value `doggo`: expected one of `indexingTime`, `disabled`")
    assert error(validate_settings_patch, {"faceting": {"sortFacetValuesBy": {"genre": "up"}}}) == (
        "invalid_settings_faceting",
        "Unknown value `up` at `.faceting.sortFacetValuesBy.genre`: expected one of `alpha`, `count`")


# 13 -----------------------------------------------------------------------------------------------
def test_gated_settings_need_their_feature():
    code, message = error(validate_settings_patch, {"chat": {"description": "x"}})
    assert code == "feature_not_enabled"
    assert message == ("setting `chat` in the index settings requires enabling the `chat completions` experimental "
                       "feature. See https://github.com/orgs/meilisearch/discussions/835")
    assert error(validate_setting_value, "foreign-keys", [])[0] == "feature_not_enabled"
    keys = [{"foreignIndexUid": "products", "fieldName": "productId"}]
    assert validate_setting_value("foreignKeys", keys, {"foreignKeys"}) == keys
    assert error(validate_setting_value, "foreignKeys", [{"fieldName": "x"}], {"foreignKeys"}) == (
        "invalid_settings_foreign_keys", "Missing field `foreignIndexUid` inside `[0]`")


# 14 -----------------------------------------------------------------------------------------------
EMB = "invalid_settings_embedders"


def test_embedder_field_unavailable_for_source():
    assert error(validate_settings_patch, {"embedders": {"test": {"source": "huggingFace", "apiKey": "k"}}}) == (
        EMB, "`.embedders.test`: Field `apiKey` unavailable for source `huggingFace`.\n"
             "  - note: `apiKey` is available for sources: `openAi`, `ollama`, `rest`\n"
             "  - note: available fields for source `huggingFace`: `source`, `model`, `revision`, `pooling`, "
             "`documentTemplate`, `documentTemplateMaxBytes`, `distribution`, `binaryQuantized`")
    assert error(validate_setting_value, "embedders",
                 {"test": {"source": "userProvided", "dimensions": 3, "model": "m"}})[1].startswith(
        "`.embedders.test`: Field `model` unavailable for source `userProvided`.")


def test_embedder_mandatory_fields_and_sizes():
    assert error(validate_settings_patch, {"embedders": {"test": {"source": "userProvided"}}}) == (
        EMB, "`.embedders.test`: Missing field `dimensions` (note: this field is mandatory for source `userProvided`)")
    assert error(validate_settings_patch, {"embedders": {"rest": {"source": "rest"}}}) == (
        EMB, "`.embedders.rest`: Missing field `url` (note: this field is mandatory for source `rest`)")
    assert error(validate_settings_patch, {"embedders": {"rest": {"source": "rest", "url": "kefir",
                                                                   "request": 42, "response": 42}}}) == (
        EMB, "`.embedders.rest.url`: could not parse `kefir`: relative URL without a base")
    assert error(validate_settings_patch, {"embedders": {"rest": {"source": "rest", "url": "http://x",
                                                                   "response": {"e": "{{embedding}}"}}}}) == (
        EMB, "`.embedders.rest`: Missing field `request` (note: this field is mandatory for source `rest`)")
    assert error(validate_settings_patch, {"embedders": {"t": {"source": "userProvided", "dimensions": 0}}}) == (
        EMB, "`.embedders.t.dimensions`: `dimensions` cannot be zero")
    assert error(validate_settings_patch, {"embedders": {"t": {"documentTemplateMaxBytes": 0}}}) == (
        EMB, "`.embedders.t.documentTemplateMaxBytes`: `documentTemplateMaxBytes` cannot be zero")


def test_embedder_shape_errors():
    assert error(validate_settings_patch, {"embedders": {"t": {"source": "doggo"}}}) == (
        EMB, "Unknown value `doggo` at `.embedders.t.source`: expected one of `openAi`, `huggingFace`, `ollama`, "
             "`userProvided`, `rest`, `composite`")
    assert error(validate_settings_patch, {"embedders": {"t": {"dimensions": "3"}}}) == (
        EMB, 'Invalid value type at `.embedders.t.dimensions`: expected a positive integer, but found a string: `"3"`')
    assert error(validate_setting_value, "embedders", {"t": {"doggo": 1}})[1].startswith(
        "Unknown field `doggo` inside `.t`: expected one of `source`, `model`, `revision`, `pooling`, `apiKey`,")
    assert error(validate_settings_patch, {"embedders": {"t": {"source": "composite"}}})[0] == "feature_not_enabled"


REST = {"source": "rest", "url": "http://localhost:8000/embed", "apiKey": "a-very-long-secret-key-0123456789",
        "request": {"input": "{{text}}"}, "response": {"data": "{{embedding}}"}}


def test_embedders_merge_by_name_and_mask_keys():
    # the SDK sends null for fields it does not set; null is accepted
    patch = validate_settings_patch({"embedders": {
        "rest": REST, "manual": {"source": "userProvided", "dimensions": 3, "documentTemplate": None}}})
    stored = apply_patch(default_settings(), patch)
    assert stored["embedders"]["rest"]["apiKey"] == REST["apiKey"]  # stored in clear
    view = settings_view(stored)["embedders"]
    assert list(view) == ["manual", "rest"]
    assert view["manual"] == {"source": "userProvided", "dimensions": 3}
    assert view["rest"]["apiKey"] == "a-verXXXXXX..."
    assert view["rest"]["headers"] == {} and view["rest"]["documentTemplateMaxBytes"] == 400
    assert task_details(patch)["embedders"]["rest"]["apiKey"] == "a-verXXXXXX..."
    stored = apply_patch(stored, sub_route_patch("embedders", {"manual": {"binaryQuantized": True},
                                                                      "rest": None}))
    assert stored["embedders"] == {"manual": {"source": "userProvided", "dimensions": 3, "binaryQuantized": True}}
    code, message = error(apply_patch, stored, sub_route_patch("embedders", {"manual": {"binaryQuantized": False}}))
    assert code == EMB and message.startswith("`.embedders.manual.binaryQuantized`: Cannot disable the binary quantization.")


def test_merged_embedder_is_checked_against_its_source():
    stored = apply_patch(default_settings(), validate_settings_patch(
        {"embedders": {"m": {"source": "userProvided", "dimensions": 3}}}))
    patch = validate_settings_patch({"embedders": {"m": {"url": "http://x"}}})  # no source: accepted at 400-time
    assert error(apply_patch, stored, patch)[1].startswith("`.embedders.m`: Field `url` unavailable for source `userProvided`.")


def test_hide_secret_lengths():
    assert hide_secret("short") == "XXX..."
    assert hide_secret("0123456789") == "01XXXX..."
    assert hide_secret("01234567890123456789") == "012XXXXX..."
    assert hide_secret("0" * 30) == "00000XXXXXX..."


# 15 -----------------------------------------------------------------------------------------------
def test_task_details_only_sent_keys_in_registry_order():
    patch = validate_settings_patch({"stopWords": None, "displayedAttributes": None, "searchableAttributes": ["b", "*"],
                                     "typoTolerance": {"minWordSizeForTypos": {"oneTypo": None}}})
    details = task_details(patch)
    assert details == {"displayedAttributes": ["*"], "searchableAttributes": ["b", "*"], "stopWords": None,
                       "typoTolerance": {"minWordSizeForTypos": {"oneTypo": None}}}
    assert list(details) == ["displayedAttributes", "searchableAttributes", "stopWords", "typoTolerance"]


def test_full_reset_details_list_every_setting():
    details = task_details(reset_all())
    assert list(details) == list(SETTING_NAMES)
    assert details["displayedAttributes"] == ["*"] and details["searchableAttributes"] == ["*"]
    assert all(v is None for k, v in details.items() if k not in ("displayedAttributes", "searchableAttributes"))


# 16 -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body, kinds", [
    ({"searchableAttributes": ["title"]}, {"search"}),
    ({"stopWords": ["a"]}, {"search"}),
    ({"proximityPrecision": "byAttribute"}, {"search"}),
    ({"typoTolerance": {"disableOnAttributes": ["id"]}}, {"search"}),
    ({"typoTolerance": {"enabled": False, "minWordSizeForTypos": {"oneTypo": 3}}}, set()),
    ({"filterableAttributes": ["genre"]}, {"facets"}),
    ({"rankingRules": ["words", "price:asc"]}, {"facets"}),
    ({"rankingRules": ["typo", "words"]}, set()),
    ({"synonyms": {"a": ["b"]}, "displayedAttributes": ["a"], "searchCutoffMs": 9}, set()),
    ({"embedders": {"m": {"source": "userProvided", "dimensions": 2}}}, {"vectors"}),
])
def test_reindex_needed(body, kinds):
    old = default_settings()
    assert reindex_needed(old, apply_patch(old, validate_settings_patch(body))) == kinds
