"""Index settings through the official client against a real `loupe` process (api.md §4).

Properties:
1. every setting of `engine.settings.SETTINGS` that no experimental feature gates has a row in
   the table below (so a new setting cannot be left untested);
2. for each: the client's dedicated update method enqueues a `settingsUpdate` whose details are
   exactly the sent value, the sub-route GET then returns Meilisearch's normalised value (sets sorted
   and deduplicated, typo tolerance merged, faceting with `*`), the client's getter parses it, and
   the dedicated reset method brings the default back (task details `null`, or `["*"]` for
   displayed/searchable attributes);
3. one invalid value per setting is refused synchronously with 400 and the setting's own code, both
   on its sub-route and inside the whole-object PATCH;
4. the whole object: `update_settings` with every setting at once, `get_settings` returns exactly
   the 20 keys in Meilisearch's order, `reset_settings` gives back the default object;
   value rules: a list containing `*` reads back `["*"]`, 2-letter locales read back as ISO-639-3,
   `sortFacetValuesBy` replaces the map, an unknown key inside an object setting uses the setting's
   code on both routes, mixed attribute ranking rules are refused;
5. the client's falsy-body quirk: `update_stop_words([])` arrives as `null` and resets;
6. a settings update on a missing index creates it; a reset on a missing index fails the task
   with `index_not_found`.
"""
from __future__ import annotations

import pytest
import requests
from meilisearch.errors import MeilisearchApiError

from engine.settings import SETTINGS

DEFAULTS = {
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
    "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
                      "disableOnWords": [], "disableOnAttributes": [], "disableOnNumbers": False},
    "faceting": {"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "alpha"}},
    "pagination": {"maxTotalHits": 1000},
    "embedders": {},
    "searchCutoffMs": None,
    "localizedAttributes": None,
    "facetSearch": True,
    "prefixSearch": "indexingTime",
}

FILTERABLE_OBJECT = {"attributePatterns": ["year", "*_id"],
                     "features": {"facetSearch": True, "filter": {"equality": True, "comparison": True}}}

# name: (sdk suffix of update_/reset_/get_, value sent, value read back, invalid value)
CASES: dict[str, tuple[str, object, object, object]] = {
    "displayedAttributes": ("displayed_attributes", ["title", "id"], ["title", "id"], [1]),
    "searchableAttributes": ("searchable_attributes", ["title", "overview"], ["title", "overview"], "title"),
    "filterableAttributes": ("filterable_attributes", ["genre", FILTERABLE_OBJECT], ["genre", FILTERABLE_OBJECT],
                             [1]),
    "sortableAttributes": ("sortable_attributes", ["year", "genre", "year"], ["genre", "year"], [True]),
    "rankingRules": ("ranking_rules", ["typo", "words", "year:desc", "proximity", "attribute", "sort", "exactness"],
                     ["typo", "words", "year:desc", "proximity", "attribute", "sort", "exactness"], ["custom"]),
    "stopWords": ("stop_words", ["the", "a", "the"], ["a", "the"], "the"),
    "nonSeparatorTokens": ("non_separator_tokens", ["@", "#"], ["#", "@"], [1]),
    "separatorTokens": ("separator_tokens", ["|", "&"], ["&", "|"], {"a": 1}),
    "dictionary": ("dictionary", ["W. E. B.", "J. R. R."], ["J. R. R.", "W. E. B."], [1]),
    "synonyms": ("synonyms", {"wolverine": ["xmen", "logan"], "logan": ["wolverine"]},
                 {"logan": ["wolverine"], "wolverine": ["xmen", "logan"]}, {"a": "b"}),
    "distinctAttribute": ("distinct_attribute", "genre", "genre", ["genre"]),
    "proximityPrecision": ("proximity_precision", "byAttribute", "byAttribute", "byChar"),
    "typoTolerance": ("typo_tolerance",
                      {"enabled": False, "minWordSizeForTypos": {"oneTypo": 4}, "disableOnWords": ["b", "a"],
                       "disableOnAttributes": ["title"], "disableOnNumbers": True},
                      {"enabled": False, "minWordSizeForTypos": {"oneTypo": 4, "twoTypos": 9},
                       "disableOnWords": ["a", "b"], "disableOnAttributes": ["title"], "disableOnNumbers": True},
                      {"minWordSizeForTypos": {"oneTypo": 10, "twoTypos": 5}}),
    "faceting": ("faceting_settings", {"maxValuesPerFacet": 5, "sortFacetValuesBy": {"genre": "count"}},
                 {"maxValuesPerFacet": 5, "sortFacetValuesBy": {"*": "alpha", "genre": "count"}},
                 {"maxValuesPerFacet": -1}),
    "pagination": ("pagination_settings", {"maxTotalHits": 42}, {"maxTotalHits": 42}, {"maxTotalHits": 0}),
    "embedders": ("embedders", {"default": {"source": "userProvided", "dimensions": 3}},
                  {"default": {"source": "userProvided", "dimensions": 3}},
                  {"default": {"source": "userProvided"}}),
    "searchCutoffMs": ("search_cutoff_ms", 150, 150, -5),
    "localizedAttributes": ("localized_attributes", [{"attributePatterns": ["*_ja"], "locales": ["jpn"]}],
                            [{"attributePatterns": ["*_ja"], "locales": ["jpn"]}],
                            [{"attributePatterns": ["*"], "locales": ["klingon"]}]),
    "facetSearch": ("facet_search_settings", False, False, "yes"),
    "prefixSearch": ("prefix_search", "disabled", "disabled", "sometimes"),
}

# Task details carry the value as Meilisearch deserialises it: sets (BTreeSet) sorted and deduplicated,
# partial objects as sent; everything else is the sent value.
DETAILS = {
    "sortableAttributes": ["genre", "year"],
    "stopWords": ["a", "the"],
    "nonSeparatorTokens": ["#", "@"],
    "separatorTokens": ["&", "|"],
    "dictionary": ["J. R. R.", "W. E. B."],
    "typoTolerance": {"enabled": False, "minWordSizeForTypos": {"oneTypo": 4}, "disableOnWords": ["a", "b"],
                      "disableOnAttributes": ["title"], "disableOnNumbers": True},
}

UNGATED = [s for s in SETTINGS if s.feature is None]


def _code(setting_name: str) -> str:
    return next(s.code for s in SETTINGS if s.name == setting_name)


def _route(setting_name: str) -> str:
    return next(s.route for s in SETTINGS if s.name == setting_name)


def _get(client, path: str):
    return client.http.get(path)


@pytest.fixture
def index(client):
    client.wait_for_task(client.index("settings").add_documents([{"id": 1, "title": "one", "genre": "a"}]).task_uid)
    return client.index("settings")


# 1 ---------------------------------------------------------------------------------------------

def test_table_covers_every_ungated_setting():
    assert [s.name for s in UNGATED] == list(DEFAULTS)
    assert list(CASES) == list(DEFAULTS)
    assert {s.default_value().__repr__() for s in UNGATED if s.name == "rankingRules"} == \
        {repr(DEFAULTS["rankingRules"])}


# 2 ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CASES))
def test_update_get_reset_each_setting(client, index, name):
    suffix, sent, expected, _ = CASES[name]
    path = f"indexes/settings/settings/{_route(name)}"
    assert _get(client, path) == DEFAULTS[name]

    task = getattr(index, f"update_{suffix}")(sent)
    done = client.wait_for_task(task.task_uid)
    assert done.status == "succeeded", done.error
    assert done.type == "settingsUpdate" and done.index_uid == "settings"
    assert done.details == {name: DETAILS.get(name, sent)}
    assert _get(client, path) == expected
    assert client.http.get("indexes/settings/settings")[name] == expected
    getattr(index, f"get_{suffix}")()  # the client's model accepts what we return

    done = client.wait_for_task(getattr(index, f"reset_{suffix}")().task_uid)
    assert done.status == "succeeded", done.error
    reset_detail = ["*"] if name in ("displayedAttributes", "searchableAttributes") else None
    assert done.details == {name: reset_detail}
    assert _get(client, path) == DEFAULTS[name]


# 3 ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CASES))
def test_invalid_value_on_sub_route(client, index, name):
    suffix, _, _, invalid = CASES[name]
    with pytest.raises(MeilisearchApiError) as err:
        getattr(index, f"update_{suffix}")(invalid)
    assert (err.value.status_code, err.value.code) == (400, _code(name))
    assert err.value.type == "invalid_request"
    assert _get(client, f"indexes/settings/settings/{_route(name)}") == DEFAULTS[name]


@pytest.mark.parametrize("name", list(CASES))
def test_invalid_value_in_whole_object(client, index, name):
    invalid = CASES[name][3]
    with pytest.raises(MeilisearchApiError) as err:
        index.update_settings({"pagination": {"maxTotalHits": 7}, name: invalid})
    assert (err.value.status_code, err.value.code) == (400, _code(name))
    assert client.http.get("indexes/settings/settings")["pagination"] == {"maxTotalHits": 1000}


def test_invalid_ranking_rule_messages(index):
    tail = ("`custom` ranking rule is invalid. Valid ranking rules are words, typo, sort, proximity, attribute, "
            "exactness and custom ranking rules.")
    with pytest.raises(MeilisearchApiError) as err:
        index.update_settings({"rankingRules": ["custom"]})
    assert err.value.message == "Invalid value at `.rankingRules[0]`: " + tail
    with pytest.raises(MeilisearchApiError) as err:
        index.update_ranking_rules(["words", "custom"])
    assert err.value.message == "Invalid value at `[1]`: " + tail


def test_unknown_setting_is_bad_request(index):
    with pytest.raises(MeilisearchApiError) as err:
        index.update_settings({"colour": "blue"})
    assert (err.value.status_code, err.value.code) == (400, "bad_request")
    assert err.value.message.startswith("Unknown field `colour`: expected one of `displayedAttributes`, ")


# 4 ---------------------------------------------------------------------------------------------

def test_whole_object_update_get_reset(client, index, loupe_server):
    assert client.http.get("indexes/settings/settings") == DEFAULTS
    assert list(client.http.get("indexes/settings/settings")) == list(DEFAULTS)
    body = {name: case[1] for name, case in CASES.items()}
    task = client.wait_for_task(index.update_settings(body).task_uid)
    assert task.status == "succeeded", task.error
    assert task.type == "settingsUpdate"
    assert list(task.details) == list(DEFAULTS)
    assert task.details["rankingRules"] == body["rankingRules"]
    assert task.details["embedders"] == body["embedders"]

    raw = requests.get(f"{loupe_server.url}/indexes/settings/settings",
                       headers={"Authorization": f"Bearer {loupe_server.master_key}"}, timeout=10).json()
    assert list(raw) == list(DEFAULTS)
    assert raw == {name: case[2] for name, case in CASES.items()}
    sdk = index.get_settings()
    assert sdk["rankingRules"] == body["rankingRules"] and sdk["embedders"]["default"].dimensions == 3

    task = client.wait_for_task(index.reset_settings().task_uid)
    assert task.status == "succeeded", task.error
    assert set(DEFAULTS) <= set(task.details)
    assert task.details["displayedAttributes"] == ["*"] and task.details["searchableAttributes"] == ["*"]
    assert task.details["rankingRules"] is None and task.details["embedders"] is None
    assert client.http.get("indexes/settings/settings") == DEFAULTS


def test_partial_update_leaves_other_settings(client, index):
    client.wait_for_task(index.update_settings({"stopWords": ["a"], "typoTolerance": {"enabled": False}}).task_uid)
    client.wait_for_task(index.update_settings({"typoTolerance": {"disableOnNumbers": True}}).task_uid)
    settings = client.http.get("indexes/settings/settings")
    assert settings["stopWords"] == ["a"]
    assert settings["typoTolerance"]["enabled"] is False and settings["typoTolerance"]["disableOnNumbers"] is True
    task = client.wait_for_task(index.update_settings({"stopWords": None}).task_uid)
    assert task.details == {"stopWords": None}
    assert client.http.get("indexes/settings/settings")["stopWords"] == []


def test_value_rules(client, index):
    client.wait_for_task(index.update_displayed_attributes(["title", "*"]).task_uid)
    assert index.get_displayed_attributes() == ["*"]
    client.wait_for_task(index.update_localized_attributes(
        [{"attributePatterns": ["*"], "locales": ["en", "fr"]}]).task_uid)
    assert client.http.get("indexes/settings/settings/localized-attributes") == [
        {"attributePatterns": ["*"], "locales": ["eng", "fra"]}]
    client.wait_for_task(index.update_faceting_settings({"sortFacetValuesBy": {"a": "count"}}).task_uid)
    client.wait_for_task(index.update_faceting_settings({"sortFacetValuesBy": {"b": "count"}}).task_uid)
    assert client.http.get("indexes/settings/settings/faceting") == {
        "maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "alpha", "b": "count"}}


@pytest.mark.parametrize("name,message", [
    ("typoTolerance", "expected one of `enabled`, `minWordSizeForTypos`, `disableOnWords`, `disableOnAttributes`, "
                      "`disableOnNumbers`"),
    ("faceting", "expected one of `maxValuesPerFacet`, `sortFacetValuesBy`"),
    ("pagination", "expected one of `maxTotalHits`"),
])
def test_unknown_key_inside_object_setting(index, name, message):
    suffix = CASES[name][0]
    with pytest.raises(MeilisearchApiError) as err:
        getattr(index, f"update_{suffix}")({"foo": 1})
    assert (err.value.code, err.value.message) == (_code(name), f"Unknown field `foo`: {message}")
    with pytest.raises(MeilisearchApiError) as err:
        index.update_settings({name: {"foo": 1}})
    assert (err.value.code, err.value.message) == (_code(name), f"Unknown field `foo` inside `.{name}`: {message}")


def test_mixed_attribute_ranking_rules(index):
    with pytest.raises(MeilisearchApiError) as err:
        index.update_ranking_rules(["words", "attribute", "wordPosition"])
    assert err.value.code == "invalid_settings_ranking_rules"
    assert err.value.message == (
        "Mixed usage of the attribute, attributeRank, and wordPosition ranking rules. You must either use the "
        "attribute ranking rule alone or the attributeRank and wordPosition ranking rules.")


# 5 ---------------------------------------------------------------------------------------------

def test_falsy_body_resets(client, index):
    client.wait_for_task(index.update_stop_words(["a"]).task_uid)
    task = client.wait_for_task(index.update_stop_words([]).task_uid)
    assert task.status == "succeeded" and task.details == {"stopWords": None}
    assert index.get_stop_words() == []
    client.wait_for_task(index.update_search_cutoff_ms(10).task_uid)
    client.wait_for_task(index.update_search_cutoff_ms(0).task_uid)
    assert index.get_search_cutoff_ms() is None


# 6 ---------------------------------------------------------------------------------------------

def test_update_creates_missing_index_and_reset_does_not(client):
    task = client.wait_for_task(client.index("fresh").update_ranking_rules(["words"]).task_uid)
    assert task.status == "succeeded"
    assert client.get_index("fresh").uid == "fresh"
    assert client.index("fresh").get_ranking_rules() == ["words"]
    task = client.wait_for_task(client.index("ghost").reset_ranking_rules().task_uid)
    assert task.status == "failed" and task.error["code"] == "index_not_found"
    task = client.wait_for_task(client.index("ghost").reset_settings().task_uid)
    assert task.status == "failed" and task.error["code"] == "index_not_found"
    with pytest.raises(MeilisearchApiError) as err:
        client.index("ghost").get_settings()
    assert (err.value.status_code, err.value.code) == (404, "index_not_found")
