"""The official client's dynamic search rule calls against a real `loupe` (api.md §19): update
(PATCH, a `dsrUpdate` task), get one, list, delete; the rule pins a document in the client's search."""
import pytest
from meilisearch.errors import MeilisearchApiError


def test_search_rules_through_the_client(client):
    client.update_experimental_features({"dynamicSearchRules": True})
    try:
        index = client.index("movies")
        client.wait_for_task(index.add_documents([{"id": 1, "title": "Batman Returns"},
                                                  {"id": 2, "title": "Batman"}]).task_uid)
        task = client.update_dynamic_search_rule("batman", {
            "description": "Batman first", "precedence": 3, "conditions": {"query": {"words": "returns"}},
            "actions": [{"selector": {"indexUid": "movies", "id": "2"}, "action": {"type": "pin", "position": 0}}]},
            metadata="rules")
        assert (task.type, task.index_uid) == ("dsrUpdate", None)
        done = client.wait_for_task(task.task_uid)
        assert (done.status, done.custom_metadata) == ("succeeded", "rules")
        rule = client.get_dynamic_search_rule("batman")
        assert (rule.uid, rule.description, rule.precedence, rule.active) == ("batman", "Batman first", 3, True)
        assert rule.conditions == {"query": {"words": "returns"}}
        listed = client.get_dynamic_search_rules({"filter": {"query": "batman"}})
        assert ([r.uid for r in listed.results], listed.offset, listed.limit, listed.total) == (["batman"], 0, 20, 1)
        assert [h["id"] for h in index.search("batman returns")["hits"]] == [2, 1]
        assert [h["id"] for h in index.search("batman")["hits"]] == [2, 1]
        assert [h["id"] for h in index.search("returns")["hits"]] == [2, 1]
        client.wait_for_task(client.delete_dynamic_search_rule("batman").task_uid)
        with pytest.raises(MeilisearchApiError) as raised:
            client.get_dynamic_search_rule("batman")
        assert raised.value.code == "dynamic_search_rule_not_found"
        assert [h["id"] for h in index.search("returns")["hits"]] == [1]
    finally:
        client.update_experimental_features({"dynamicSearchRules": False})
