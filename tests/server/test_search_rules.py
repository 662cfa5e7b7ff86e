"""/dynamic-search-rules (api.md §19, the `dynamicSearchRules` feature) through the HTTP routes.

The expected bodies are Meilisearch's own (crates/meilisearch/tests/dynamic_search_rules/mod.rs and
its snapshots), reproduced case by case.

Properties:
1. Every route is behind the feature, with upstream's sentence per route.
2. Writes are tasks (`dsrUpdate`, `dsrClear`, `indexUid: null`, 202): PATCH creates or patches
   (absent fields kept, `null` resets, `conditions`/`actions` replaced whole), DELETE removes one
   (an unknown uid still succeeds), DELETE on the collection removes them all; `customMetadata`
   is kept on the task.
3. GET shows a rule (`description`/`precedence` left out when unset, `active` true by default,
   `conditions` `{}`, `actions` `[]`); an unknown uid is a 404 `dynamic_search_rule_not_found`.
4. The list pages rules in creation order, filtered by `active` and by `query` (words of the
   description or of the query-words condition).
5. Bodies are checked with upstream's messages and codes before the feature is.
6. Search: while the feature is on, an applicable rule pins its documents at their positions (kept
   when they miss the query, dropped when the filter excludes them), counted in the totals and the
   facets; pins past the organic hits follow them; conditions on the query's words, its emptiness
   and the time are honoured; precedence orders the rules; multi-search applies them per query and
   federated search puts pinned hits first.
"""
from __future__ import annotations

import os
from typing import Any

import orjson
import pytest
from support import index_documents, pop_request_uid

from engine.engine import Engine
from server.app import create_app

KEY = "dynamic-search-rules-master-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
FEATURE_LINK = "https://github.com/orgs/meilisearch/discussions/884"


@pytest.fixture
def engine(tmp_path):
    engine = Engine(tmp_path / "db", worker="thread")
    yield engine
    engine.close()


@pytest.fixture
async def http(engine, aiohttp_client):
    return await aiohttp_client(create_app(engine, master_key=KEY))


async def call(http, method: str, path: str, body: Any = None, raw: bytes | None = None,
               key: str = KEY) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {key}"}
    data = raw if raw is not None else (orjson.dumps(body) if body is not None else None)
    if data is not None:
        headers["Content-Type"] = "application/json"
    response = await http.request(method, path, data=data, headers=headers)
    text = await response.read()
    return response.status, orjson.loads(text) if text else None


def error(code: str, message: str, status: int = 400, kind: str = "invalid_request") -> tuple[int, dict]:
    return status, {"message": message, "code": code, "type": kind,
                    "link": f"https://docs.meilisearch.com/errors#{code}"}


async def enable(http) -> None:
    status, body = await call(http, "PATCH", "/experimental-features", {"dynamicSearchRules": True})
    assert status == 200 and body["dynamicSearchRules"] is True


async def patch_rule(http, engine, uid: str, body: dict) -> dict:
    """PATCH a rule and wait for its task, which must succeed; the finished task's view."""
    status, task = await call(http, "PATCH", f"/dynamic-search-rules/{uid}", body)
    assert status == 202, task
    assert task["type"] == "dsrUpdate" and task["indexUid"] is None and task["status"] == "enqueued"
    return await finished(http, engine, task["taskUid"])


async def finished(http, engine, uid: int) -> dict:
    engine.wait_for_task(uid)
    status, view = await call(http, "GET", f"/tasks/{uid}")
    assert status == 200 and view["status"] == "succeeded", view
    return view


async def simple_rule(http, engine, uid: str, active: bool, doc_id: str) -> None:
    await patch_rule(http, engine, uid, {"description": uid, "active": active, "actions": [
        {"selector": {"id": doc_id}, "action": {"type": "pin", "position": 0}}]})


def pin(doc_id: str, position: int, index_uid: str | None = None) -> dict:
    selector = {"indexUid": index_uid, "id": doc_id} if index_uid else {"id": doc_id}
    return {"selector": selector, "action": {"type": "pin", "position": position}}


async def hits(http, index: str, body: dict) -> list[dict]:
    status, answer = await call(http, "POST", f"/indexes/{index}/search", body)
    assert status == 200, answer
    return answer["hits"]


# -- 1. the feature gate --------------------------------------------------------------------------

async def test_routes_are_disabled_by_default(http):
    def gate(action):
        return error("feature_not_enabled", f"{action} requires enabling the `dynamic search rules` experimental "
                                            f"feature. See {FEATURE_LINK}")
    assert await call(http, "POST", "/dynamic-search-rules", {}) == gate(
        "Calling the `POST /dynamic-search-rules` route")
    assert await call(http, "GET", "/dynamic-search-rules/a") == gate(
        "Calling the `GET /dynamic-search-rules/{:ruleUid}` route")
    for method, path, body in (("PATCH", "/dynamic-search-rules/a", {}), ("DELETE", "/dynamic-search-rules/a", None),
                               ("DELETE", "/dynamic-search-rules", None)):
        assert await call(http, method, path, body) == gate("Using the `/dynamic-search-rules` routes")


# -- 2-4. rules and their list --------------------------------------------------------------------

async def test_list_empty(http):
    await enable(http)
    assert await call(http, "POST", "/dynamic-search-rules", {}) == (
        200, {"results": [], "offset": 0, "limit": 20, "total": 0})


def listed(uid: str, active: bool, doc_id: str) -> dict:
    return {"uid": uid, "description": uid, "active": active, "conditions": {}, "actions": [
        {"selector": {"id": doc_id}, "action": {"type": "pin", "position": 0}}]}


async def test_list_supports_pagination_and_filters(http, engine):
    await enable(http)
    await simple_rule(http, engine, "rule-a", False, "0")
    await simple_rule(http, engine, "rule-b", True, "1")
    await simple_rule(http, engine, "rule-c", False, "2")
    assert await call(http, "POST", "/dynamic-search-rules", {"offset": 1, "limit": 1}) == (
        200, {"results": [listed("rule-b", True, "1")], "offset": 1, "limit": 1, "total": 3})
    await simple_rule(http, engine, "promo-active", True, "1")
    await simple_rule(http, engine, "promo-inactive", False, "2")
    await simple_rule(http, engine, "standard-active", True, "3")
    assert await call(http, "POST", "/dynamic-search-rules", {"filter": {"query": "promo"}}) == (
        200, {"results": [listed("promo-active", True, "1"), listed("promo-inactive", False, "2")],
              "offset": 0, "limit": 20, "total": 2})
    assert await call(http, "POST", "/dynamic-search-rules", {"filter": {"active": True}, "offset": 1}) == (
        200, {"results": [listed("promo-active", True, "1"), listed("standard-active", True, "3")],
              "offset": 1, "limit": 20, "total": 3})
    assert await call(http, "POST", "/dynamic-search-rules", {"filter": {"query": "promo", "active": True}}) == (
        200, {"results": [listed("promo-active", True, "1")], "offset": 0, "limit": 20, "total": 1})
    # the last query word may be a prefix; the query-words condition is searched too
    await patch_rule(http, engine, "words-only", {"conditions": {"query": {"words": "batman returns"}}})
    status, page = await call(http, "POST", "/dynamic-search-rules", {"filter": {"query": "batman ret"}})
    assert (status, [r["uid"] for r in page["results"]], page["total"]) == (200, ["words-only"], 1)


async def test_list_keeps_creation_order_and_reuses_freed_places(http, engine):
    await enable(http)
    for n in range(25):
        status, task = await call(http, "PATCH", f"/dynamic-search-rules/dsr-number-{n}",
                                  {"description": "Some DSR rule", "active": False})
        assert status == 202
    await finished(http, engine, task["taskUid"])
    status, page = await call(http, "POST", "/dynamic-search-rules", {"filter": {"query": "DSR"}, "offset": 24})
    assert (status, page) == (200, {"results": [{"uid": "dsr-number-24", "description": "Some DSR rule",
                                                 "active": False, "conditions": {}, "actions": []}],
                                    "offset": 24, "limit": 20, "total": 25})
    status, task = await call(http, "DELETE", "/dynamic-search-rules/dsr-number-3")
    await finished(http, engine, task["taskUid"])
    await patch_rule(http, engine, "newcomer", {})
    status, page = await call(http, "POST", "/dynamic-search-rules", {"limit": 5})
    assert [r["uid"] for r in page["results"]] == ["dsr-number-0", "dsr-number-1", "dsr-number-2", "newcomer",
                                                   "dsr-number-4"]


async def test_create_and_get(http, engine):
    await enable(http)
    await patch_rule(http, engine, "rule-1", {"actions": [pin("42", 1)]})
    assert await call(http, "GET", "/dynamic-search-rules/rule-1") == (
        200, {"uid": "rule-1", "active": True, "conditions": {}, "actions": [pin("42", 1)]})
    assert await call(http, "GET", "/dynamic-search-rules/no-such-rule") == error(
        "dynamic_search_rule_not_found", "Dynamic search rule `no-such-rule` not found.", 404)


async def test_create_full_rule(http, engine):
    await enable(http)
    actions = [pin("123", 1, "products"), pin("456", 0, "products"), pin("789", 3), pin("999", 8)]
    await patch_rule(http, engine, "black-friday", {
        "description": "Black Friday 2025 rules", "precedence": 10, "active": True,
        "conditions": {"query": {"isEmpty": True},
                       "time": {"start": "2025-11-28T00:00:00Z", "end": "2025-11-28T23:59:59Z"}},
        "actions": actions})
    assert await call(http, "GET", "/dynamic-search-rules/black-friday") == (200, {
        "uid": "black-friday", "description": "Black Friday 2025 rules", "precedence": 10, "active": True,
        "conditions": {"time": {"start": "2025-11-28T00:00:00Z", "end": "2025-11-28T23:59:59Z"},
                       "query": {"isEmpty": True}},
        "actions": actions})


async def test_patch_updates_field_by_field(http, engine):
    await enable(http)
    await patch_rule(http, engine, "updatable", {"actions": [pin("42", 1)]})

    async def shown():
        status, page = await call(http, "POST", "/dynamic-search-rules", {})
        assert status == 200 and page["total"] == 1
        return page["results"][0]

    await patch_rule(http, engine, "updatable", {"description": "Updated", "precedence": 10})
    assert await shown() == {"uid": "updatable", "description": "Updated", "precedence": 10, "active": True,
                             "conditions": {}, "actions": [pin("42", 1)]}
    await patch_rule(http, engine, "updatable", {"active": False})
    await patch_rule(http, engine, "updatable", {"conditions": {"query": {"isEmpty": True}}})
    await patch_rule(http, engine, "updatable", {"actions": [pin("99", 7)]})
    assert await shown() == {"uid": "updatable", "description": "Updated", "precedence": 10, "active": False,
                             "conditions": {"query": {"isEmpty": True}}, "actions": [pin("99", 7)]}
    await patch_rule(http, engine, "updatable", {})
    assert (await shown())["actions"] == [pin("99", 7)]
    # null resets: description and precedence left out, active back to true, no conditions, no actions
    await patch_rule(http, engine, "updatable", {"description": None, "precedence": None, "active": None,
                                                 "conditions": None, "actions": None})
    assert await shown() == {"uid": "updatable", "active": True, "conditions": {}, "actions": []}
    # conditions are replaced whole
    await patch_rule(http, engine, "updatable", {"conditions": {"query": {"words": "a"}}})
    await patch_rule(http, engine, "updatable", {"conditions": {"time": {"start": "2025-01-01T10:00:00.500+02:00"}}})
    assert (await shown())["conditions"] == {"time": {"start": "2025-01-01T10:00:00.5+02:00"}}


async def test_patch_creates_missing_rules_and_delete_removes_them(http, engine):
    await enable(http)
    await patch_rule(http, engine, "foobar", {"actions": [pin("1", 0)]})
    assert await call(http, "GET", "/dynamic-search-rules/foobar") == (
        200, {"uid": "foobar", "active": True, "conditions": {}, "actions": [pin("1", 0)]})
    await patch_rule(http, engine, "no-actions", {})
    assert await call(http, "GET", "/dynamic-search-rules/no-actions") == (
        200, {"uid": "no-actions", "active": True, "conditions": {}, "actions": []})
    status, task = await call(http, "DELETE", "/dynamic-search-rules/foobar?customMetadata=bye")
    assert status == 202 and {k: task[k] for k in ("indexUid", "status", "type", "customMetadata")} == {
        "indexUid": None, "status": "enqueued", "type": "dsrUpdate", "customMetadata": "bye"}
    view = await finished(http, engine, task["taskUid"])
    assert (view["customMetadata"], view["error"], "details" in view) == ("bye", None, False)
    assert (await call(http, "GET", "/dynamic-search-rules/foobar"))[0] == 404
    status, task = await call(http, "DELETE", "/dynamic-search-rules/phantom")
    assert status == 202
    await finished(http, engine, task["taskUid"])


async def test_clear_removes_every_rule(http, engine):
    await enable(http)
    await simple_rule(http, engine, "a", True, "1")
    await simple_rule(http, engine, "b", True, "2")
    status, task = await call(http, "DELETE", "/dynamic-search-rules?customMetadata=all")
    assert status == 202
    assert {k: task[k] for k in ("indexUid", "status", "type", "customMetadata")} == {
        "indexUid": None, "status": "enqueued", "type": "dsrClear", "customMetadata": "all"}
    await finished(http, engine, task["taskUid"])
    assert await call(http, "POST", "/dynamic-search-rules", {}) == (
        200, {"results": [], "offset": 0, "limit": 20, "total": 0})
    status, tasks = await call(http, "GET", "/tasks?types=dsrUpdate,dsrClear")
    assert [t["type"] for t in tasks["results"]] == ["dsrClear", "dsrUpdate", "dsrUpdate"]


# -- 5. refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize("body, expected", [
    ({"bogusField": 42}, error("bad_request", "Unknown field `bogusField`: expected one of `description`, "
                                              "`precedence`, `active`, `conditions`, `actions`")),
    ([], error("bad_request", "Invalid value type: expected an object, but found an array: `[]`")),
    ({"conditions": {"query": {"isEmpty": True, "words": "batman"}}, "actions": [pin("42", 0)]},
     error("bad_request", "Invalid value at `.conditions.query`: either `isEmpty` or `words` can be used, "
                          "not both at once")),
    ({"conditions": {"time": {"start": "2025-11-29T00:00:00Z", "end": "2025-11-28T23:59:59Z"}}},
     error("bad_request", "Invalid value at `.conditions.time`: `end` (`2025-11-28 23:59:59.0 +00:00:00`) should "
                          "be later than `start` (`2025-11-29 0:00:00.0 +00:00:00`)")),
    ({"description": 1}, error("invalid_dynamic_search_rule_description",
                               "Invalid value type at `.description`: expected a string, but found a positive "
                               "integer: `1`")),
    ({"precedence": -1}, error("invalid_dynamic_search_rule_priority",
                               "Invalid value type at `.precedence`: expected a positive integer, but found a "
                               "negative integer: `-1`")),
    ({"active": "yes"}, error("invalid_dynamic_search_rule_active",
                              "Invalid value type at `.active`: expected a boolean, but found a string: `\"yes\"`")),
    ({"conditions": {"when": 1}}, error("invalid_dynamic_search_rule_conditions",
                                        "Unknown field `when` inside `.conditions`: expected one of `time`, "
                                        "`query`")),
    # v1.50 has no filter condition (it came with v1.51)
    ({"conditions": {"filter": {"values": {"a": 1}}}}, error(
        "invalid_dynamic_search_rule_conditions",
        "Unknown field `filter` inside `.conditions`: expected one of `time`, `query`")),
    ({"conditions": {"time": {"start": "tomorrow"}}}, error(
        "invalid_dynamic_search_rule_conditions", "Invalid value at `.conditions.time.start`: `tomorrow` is an "
        "invalid date-time. It should follow the YYYY-MM-DD or RFC 3339 date-time format.")),
    ({"actions": {}}, error("invalid_dynamic_search_rule_actions",
                            "Invalid value type at `.actions`: expected an array, but found an object: `{}`")),
    ({"actions": [{"selector": {}, "action": {"type": "pin", "position": 0}}]}, error(
        "invalid_dynamic_search_rule_actions", "Missing field `.actions[0].selector.id`")),
    ({"actions": [{"selector": {"id": "1"}, "action": {"type": "boost", "score": 2.0}}]}, error(
        "invalid_dynamic_search_rule_actions",
        "Unknown value `boost` at `.actions[0].action.type`: expected one of `pin`")),
    ({"actions": [{"selector": {"id": "1", "indexUid": "a b"}, "action": {"type": "pin", "position": 0}}]}, error(
        "invalid_dynamic_search_rule_actions",
        "Invalid value at `.actions[0].selector.indexUid`: `a b` is not a valid index uid. Index uid can be an "
        "integer or a string containing only alphanumeric characters, hyphens (-) and underscores (_), and can "
        "not be more than 512 bytes.")),
    ({"actions": [{"selector": {"id": "1"}, "action": {"type": "pin", "position": 1.5}}]}, error(
        "invalid_dynamic_search_rule_actions",
        "Invalid value type at `.actions[0].action.position`: expected a positive integer, but found a number: "
        "`1.5`")),
])
async def test_patch_refusals(http, body, expected):
    # the body is checked before the feature
    assert await call(http, "PATCH", "/dynamic-search-rules/rule-y", body) == expected


@pytest.mark.parametrize("body, expected", [
    ({"limit": -1}, error("invalid_dynamic_search_rule_limit",
                          "Invalid value type at `.limit`: expected a positive integer, but found a negative "
                          "integer: `-1`")),
    ({"offset": "1"}, error("invalid_dynamic_search_rule_offset",
                            "Invalid value type at `.offset`: expected a positive integer, but found a string: "
                            "`\"1\"`")),
    ({"filter": {"attributePatterns": ["a"]}}, error(
        "invalid_dynamic_search_rule_filter",
        "Unknown field `attributePatterns` inside `.filter`: expected one of `query`, `active`")),
    ({"filter": {"query": 1}}, error("invalid_dynamic_search_rule_filter_query",
                                     "Invalid value type at `.filter.query`: expected a string, but found a positive "
                                     "integer: `1`")),
    ({"filter": {"active": 1}}, error("invalid_dynamic_search_rule_filter_active",
                                      "Invalid value type at `.filter.active`: expected a boolean, but found a "
                                      "positive integer: `1`")),
    ({"page": 1}, error("bad_request", "Unknown field `page`: expected one of `offset`, `limit`, `filter`")),
])
async def test_list_refusals(http, body, expected):
    assert await call(http, "POST", "/dynamic-search-rules", body) == expected


async def test_rule_uids_are_index_uids(http):
    await enable(http)
    status, body = await call(http, "GET", "/dynamic-search-rules/bad%20uid")
    assert (status, body["code"]) == (400, "invalid_index_uid")


async def test_api_key_actions(http, engine):
    await enable(http)
    status, key = await call(http, "POST", "/keys", {"actions": ["dynamicSearchRules.get"], "indexes": ["*"],
                                                     "expiresAt": None})
    assert status == 201
    assert (await call(http, "POST", "/dynamic-search-rules", {}, key=key["key"]))[0] == 200
    assert await call(http, "PATCH", "/dynamic-search-rules/x", {}, key=key["key"]) == error(
        "invalid_api_key", "The provided API key is invalid.", 403, "auth")
    status, key = await call(http, "POST", "/keys", {"actions": ["dynamicSearchRules.*"], "indexes": ["*"],
                                                     "expiresAt": None})
    assert (await call(http, "PATCH", "/dynamic-search-rules/x", {}, key=key["key"]))[0] == 202
    assert (await call(http, "DELETE", "/dynamic-search-rules", key=key["key"]))[0] == 202


# -- 6. search ------------------------------------------------------------------------------------

BATMAN = [{"id": "local", "title": "Batman Returns"}, {"id": "remote", "title": "Batman"}]


async def test_disabling_the_feature_stops_applying_rules(http, engine):
    await enable(http)
    index_documents(engine, "movies", BATMAN)
    await patch_rule(http, engine, "pin-remote", {"active": True, "actions": [pin("remote", 0)]})
    assert await hits(http, "movies", {"q": "batman returns"}) == [BATMAN[1], BATMAN[0]]
    status, body = await call(http, "PATCH", "/experimental-features", {"dynamicSearchRules": False})
    assert (status, body["dynamicSearchRules"]) == (200, False)
    assert await hits(http, "movies", {"q": "batman returns"}) == [BATMAN[0], BATMAN[1]]


async def test_query_words_condition(http, engine):
    await enable(http)
    index_documents(engine, "movies", BATMAN)
    await patch_rule(http, engine, "pin-when-returns", {"conditions": {"query": {"words": "returns"}},
                                                        "actions": [pin("remote", 0)]})
    assert await hits(http, "movies", {"q": "Batman Returns"}) == [BATMAN[1], BATMAN[0]]
    assert await hits(http, "movies", {"q": "Batman"}) == [BATMAN[1], BATMAN[0]]  # organic order
    assert await hits(http, "movies", {"q": "Batman Return"}) == [BATMAN[0], BATMAN[1]]  # no prefix match


async def test_query_words_are_cut_with_the_searchs_locales(http, engine):
    # the query's words are the search's, cut with its locales; the condition's are cut without
    await enable(http)
    index_documents(engine, "shop", [{"id": "pinned"}, {"id": "other", "t": "x"}])
    await patch_rule(http, engine, "swedish", {"conditions": {"query": {"words": "blåbär"}},
                                               "actions": [pin("pinned", 0)]})
    assert await hits(http, "shop", {"q": "blåbär"}) == [{"id": "pinned"}]  # both read "blabar"
    assert await hits(http, "shop", {"q": "blåbär", "locales": ["swe"]}) == []  # "blåbär" is not "blabar"


@pytest.fixture
def german_compounds():
    """German compounds are split by the `german` extra: CI's language pass runs these tests with
    it (LOUPE_REQUIRE_LANGUAGES); without it they skip, as the other language tests do."""
    from engine.languages.segmenters import MissingLanguageSupport, require
    try:
        require("deu")
    except MissingLanguageSupport as missing:
        if os.environ.get("LOUPE_REQUIRE_LANGUAGES"):
            raise
        pytest.skip(str(missing))


async def test_query_words_are_cut_as_german_compounds_under_deu(http, engine, german_compounds):
    await enable(http)
    index_documents(engine, "shop", [{"id": "pinned"}, {"id": "other", "t": "x"}])
    await patch_rule(http, engine, "german", {"conditions": {"query": {"words": "welt"}},
                                              "actions": [pin("pinned", 0)]})
    assert await hits(http, "shop", {"q": "Weltmeisterschaft"}) == []  # one word
    assert await hits(http, "shop", {"q": "Weltmeisterschaft", "locales": ["deu"]}) == [{"id": "pinned"}]


async def test_query_words_follow_the_searched_fields_rule(http, engine, german_compounds):
    await enable(http)
    index_documents(engine, "shop", [{"id": "pinned"}, {"id": "other", "t": "x", "u": "y"}],
                    {"localizedAttributes": [{"attributePatterns": ["t"], "locales": ["deu"]}]})
    await patch_rule(http, engine, "german", {"conditions": {"query": {"words": "welt"}},
                                              "actions": [pin("pinned", 0)]})
    assert await hits(http, "shop", {"q": "Weltmeisterschaft"}) == [{"id": "pinned"}]  # t's rule cuts it
    assert await hits(http, "shop", {"q": "Weltmeisterschaft", "attributesToSearchOn": ["u"]}) == []


async def test_duplicated_word_constraints(http, engine):
    await enable(http)
    index_documents(engine, "movies", [{"id": "pinned"}, {"id": "mario"}])
    await patch_rule(http, engine, "double-words-constraints", {"conditions": {"query": {"words": "Mario Luigi"}},
                                                                "actions": [pin("pinned", 1)]})
    assert await hits(http, "movies", {"q": "mario luigi"}) == [{"id": "mario"}, {"id": "pinned"}]
    assert await hits(http, "movies", {"q": "mario"}) == [{"id": "mario"}]
    assert await hits(http, "movies", {"q": "mario mario"}) == [{"id": "mario"}]


async def test_is_empty_and_time_conditions(http, engine):
    await enable(http)
    index_documents(engine, "movies", BATMAN)
    await patch_rule(http, engine, "empty", {"conditions": {"query": {"isEmpty": True}}, "actions": [pin("remote", 0)]})
    assert await hits(http, "movies", {}) == [BATMAN[1], BATMAN[0]]
    assert await hits(http, "movies", {"q": "returns"}) == [BATMAN[0]]
    await patch_rule(http, engine, "empty", {"conditions": {"query": {"isEmpty": False}}})
    assert await hits(http, "movies", {"q": "returns"}) == [BATMAN[1], BATMAN[0]]
    assert await hits(http, "movies", {}) == [BATMAN[0], BATMAN[1]]
    await patch_rule(http, engine, "empty", {"conditions": {"time": {"end": "2020-01-01T00:00:00Z"}}})
    assert await hits(http, "movies", {}) == [BATMAN[0], BATMAN[1]]
    await patch_rule(http, engine, "empty", {"conditions": {"time": {"start": "2999-01-01T00:00:00Z"}}})
    assert await hits(http, "movies", {}) == [BATMAN[0], BATMAN[1]]
    await patch_rule(http, engine, "empty", {"conditions": {"time": {"start": "2020-01-01T00:00:00Z",
                                                                     "end": "2999-01-01T00:00:00+01:00"}}})
    assert await hits(http, "movies", {}) == [BATMAN[1], BATMAN[0]]
    await patch_rule(http, engine, "empty", {"active": False})
    assert await hits(http, "movies", {}) == [BATMAN[0], BATMAN[1]]


async def test_pins_honour_the_filter_and_count(http, engine):
    await enable(http)
    index_documents(engine, "products", [{"id": "organic-1", "kind": "keep"}, {"id": "filtered-pin", "kind": "drop"},
                                         {"id": "organic-2", "kind": "keep"}], {"filterableAttributes": ["kind"]})
    await patch_rule(http, engine, "pin-filtered", {"actions": [pin("filtered-pin", 0)]})
    assert await hits(http, "products", {"filter": "kind = keep", "limit": 10}) == [
        {"id": "organic-1", "kind": "keep"}, {"id": "organic-2", "kind": "keep"}]


MOVIES = [{"id": "organic-match", "title": "Batman Returns", "kind": "keep", "color": "red"},
          {"id": "pinned-query-miss", "title": "The Matrix", "kind": "keep", "color": "blue"},
          {"id": "filtered-pin", "title": "Batman Returns", "kind": "drop", "color": "green"}]


async def test_pins_that_miss_the_query_are_kept_counted_and_faceted(http, engine):
    await enable(http)
    index_documents(engine, "movies", MOVIES, {"filterableAttributes": ["kind", "color"]})
    await patch_rule(http, engine, "pin-query-miss-but-filtered", {
        "conditions": {"query": {"words": "returns"}}, "actions": [pin("pinned-query-miss", 0), pin("filtered-pin", 1)]})
    status, body = await call(http, "POST", "/indexes/movies/search",
                              {"q": "Batman Returns", "filter": "kind = keep", "facets": ["color"]})
    body.pop("processingTimeMs")
    pop_request_uid(body)
    assert (status, body) == (200, {"hits": [MOVIES[1], MOVIES[0]], "query": "Batman Returns", "limit": 20,
                                    "offset": 0, "estimatedTotalHits": 2,
                                    "facetDistribution": {"color": {"blue": 1, "red": 1}}, "facetStats": {}})
    status, body = await call(http, "POST", "/indexes/movies/search",
                              {"q": "Batman Returns", "filter": "kind = keep", "page": 2, "hitsPerPage": 1})
    body.pop("processingTimeMs")
    pop_request_uid(body)
    assert body == {"hits": [MOVIES[0]], "query": "Batman Returns", "hitsPerPage": 1, "page": 2, "totalPages": 2,
                    "totalHits": 2}


async def test_hybrid_search_keeps_pins(http, engine):
    await enable(http)
    vectors = [[1.0, 1.0], [-1.0, -1.0], [1.0, 1.0]]
    docs = [{**doc, "_vectors": {"default": vector}} for doc, vector in zip(MOVIES, vectors)]
    index_documents(engine, "movies", docs, {"filterableAttributes": ["kind"],
                                             "embedders": {"default": {"source": "userProvided", "dimensions": 2}}})
    await patch_rule(http, engine, "hybrid", {
        "conditions": {"query": {"words": "returns"}}, "actions": [pin("pinned-query-miss", 0), pin("filtered-pin", 1)]})
    status, body = await call(http, "POST", "/indexes/movies/search", {
        "q": "Batman Returns", "filter": "kind = keep", "vector": [1.0, 1.0],
        "hybrid": {"embedder": "default", "semanticRatio": 0.5}})
    assert status == 200, body
    body.pop("processingTimeMs")
    pop_request_uid(body)
    strip = [{k: v for k, v in doc.items() if k != "color"} for doc in (MOVIES[1], MOVIES[0])]
    assert [{k: v for k, v in hit.items() if k != "color"} for hit in body.pop("hits")] == strip
    assert body == {"query": "Batman Returns", "limit": 20, "offset": 0, "estimatedTotalHits": 2,
                    "semanticHitCount": 1}


async def test_pins_past_the_organic_hits_follow_them(http, engine):
    await enable(http)
    index_documents(engine, "products", [{"id": "organic-1"}, {"id": "late-pin-1"}, {"id": "organic-2"},
                                         {"id": "late-pin-2"}])
    await patch_rule(http, engine, "pump-pins", {"actions": [pin("late-pin-1", 10), pin("late-pin-2", 20)]})
    assert await hits(http, "products", {"limit": 10}) == [
        {"id": "organic-1"}, {"id": "organic-2"}, {"id": "late-pin-1"}, {"id": "late-pin-2"}]
    assert await hits(http, "products", {"offset": 2, "limit": 2}) == [{"id": "late-pin-1"}, {"id": "late-pin-2"}]


async def test_precedence_orders_rules_and_score_details(http, engine):
    await enable(http)
    index_documents(engine, "movies", BATMAN)
    await patch_rule(http, engine, "pin-with-precedence", {"actions": [pin("remote", 0)], "precedence": 10})
    await patch_rule(http, engine, "pin-without-precedence", {"actions": [pin("local", 1)]})
    assert await hits(http, "movies", {"q": "Missing", "showRankingScoreDetails": True}) == [
        {**BATMAN[1], "_rankingScoreDetails": {"pin": {"order": 0, "position": 0}}},
        {**BATMAN[0], "_rankingScoreDetails": {"pin": {"order": 0, "position": 1}}}]
    # one document pinned by two rules: the lower precedence wins; the rule without one comes last
    await patch_rule(http, engine, "pin-without-precedence", {"actions": [pin("remote", 1), pin("local", 0)]})
    assert await hits(http, "movies", {"q": "Missing", "showRankingScoreDetails": True}) == [
        {**BATMAN[1], "_rankingScoreDetails": {"pin": {"order": 0, "position": 0}}},
        {**BATMAN[0], "_rankingScoreDetails": {"pin": {"order": 0, "position": 0}}}]
    # a selector naming another index selects nothing here
    await patch_rule(http, engine, "pin-with-precedence", {"actions": [pin("remote", 0, "elsewhere")]})
    assert await hits(http, "movies", {"q": "Missing", "showRankingScoreDetails": True}) == [
        {**BATMAN[0], "_rankingScoreDetails": {"pin": {"order": 0, "position": 0}}},
        {**BATMAN[1], "_rankingScoreDetails": {"pin": {"order": 0, "position": 1}}}]


async def test_multi_search_and_federated_search_apply_the_rules(http, engine):
    await enable(http)
    index_documents(engine, "movies", BATMAN)
    index_documents(engine, "books", [{"id": "b1", "title": "Batman Returns"}, {"id": "b2", "title": "Dune"}])
    await patch_rule(http, engine, "pins", {"actions": [pin("remote", 0, "movies"), pin("b2", 1, "books")]})
    status, body = await call(http, "POST", "/multi-search", {"queries": [
        {"indexUid": "movies", "q": "batman returns"}, {"indexUid": "books", "q": "batman returns"}]})
    assert status == 200
    assert [r["hits"] for r in body["results"]] == [[BATMAN[1], BATMAN[0]],
                                                    [{"id": "b1", "title": "Batman Returns"},
                                                     {"id": "b2", "title": "Dune"}]]
    assert [r["estimatedTotalHits"] for r in body["results"]] == [2, 2]
    status, body = await call(http, "POST", "/multi-search", {"federation": {}, "queries": [
        {"indexUid": "movies", "q": "batman returns"}, {"indexUid": "books", "q": "batman returns"}]})
    assert status == 200
    assert [(h["_federation"]["indexUid"], h["id"]) for h in body["hits"]] == [
        ("movies", "remote"), ("books", "b2"), ("movies", "local"), ("books", "b1")]
    assert body["estimatedTotalHits"] == 4


async def test_limits_of_upstream_fuel(http, engine):
    """milli's DSR fuel: at most 100 documents pinned per search."""
    await enable(http)
    index_documents(engine, "many", [{"id": n} for n in range(120)])
    await patch_rule(http, engine, "lots", {"actions": [pin(str(n), 0) for n in range(119, -1, -1)]})
    status, body = await call(http, "POST", "/indexes/many/search", {"limit": 120})
    assert status == 200
    # the first hundred actions pin documents 119..20 (all at position 0, in action order); 19..0 follow
    assert [hit["id"] for hit in body["hits"]] == list(range(119, 19, -1)) + list(range(20))
    assert body["estimatedTotalHits"] == 120
