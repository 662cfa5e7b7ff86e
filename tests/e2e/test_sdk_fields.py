"""`Index.get_fields` of the official client against a real `loupe` (POST /indexes/{uid}/fields).

Properties:
1. The client reads the page of field descriptions: names sorted, each field's capabilities as the
   settings make them, `total` counting the filtered fields.
2. Its `filter` argument reaches the server; a bad one comes back as MeilisearchApiError with
   the `invalid_index_fields_filter_*` code.
"""
import pytest
from meilisearch.errors import MeilisearchApiError


@pytest.fixture
def recipes(client):
    index = client.index("recipes-fields")
    task = client.wait_for_task(index.update_settings({"searchableAttributes": ["title"],
                                                       "sortableAttributes": ["minutes"]}).task_uid)
    assert task.status == "succeeded"
    task = client.wait_for_task(index.add_documents(
        [{"id": 1, "title": "Flan", "minutes": 50}, {"id": 2, "title": "Soup", "minutes": 30}], "id").task_uid)
    assert task.status == "succeeded"
    return index


def test_get_fields(recipes):
    page = recipes.get_fields()
    assert (page.offset, page.limit, page.total) == (0, 20, 3)
    assert [f["name"] for f in page.results] == ["id", "minutes", "title"]
    minutes = page.results[1]
    assert minutes == {"name": "minutes", "displayed": {"enabled": True}, "searchable": {"enabled": False},
                       "sortable": {"enabled": True}, "distinct": {"enabled": False},
                       "rankingRule": {"enabled": False},
                       "filterable": {"enabled": False, "sortBy": "alpha", "facetSearch": False,
                                      "equality": False, "comparison": False},
                       "localized": {"locales": []}}
    page = recipes.get_fields(limit=1, filter={"searchable": True})
    assert ([f["name"] for f in page.results], page.total) == (["title"], 1)


def test_bad_filter(recipes):
    with pytest.raises(MeilisearchApiError) as raised:
        recipes.get_fields(filter={"sortable": "yes"})
    assert raised.value.code == "invalid_index_fields_filter_sortable"
