"""Indexes through the official client against a real `loupe` process.

Properties:
1. create/get/list/update/delete an index; the task objects have Meilisearch's shape;
2. creating an existing index fails the task (HTTP 202) with `index_already_exists`;
3. a missing index answers 404 `index_not_found`;
4. listing paginates in uid byte order with offset/limit/total;
5. swap-indexes exchanges contents; rename moves an index;
6. stats report numberOfDocuments, fieldDistribution, isIndexing.
"""
import pytest
from meilisearch.errors import MeilisearchApiError


def test_create_get_update_delete(client):
    task = client.create_index("movies", {"primaryKey": "id"})
    assert task.status == "enqueued" and task.type == "indexCreation" and task.index_uid == "movies"
    done = client.wait_for_task(task.task_uid)
    assert done.status == "succeeded" and done.details == {"primaryKey": "id"}
    assert done.duration.startswith("PT") and done.finished_at >= done.started_at
    index = client.get_index("movies")
    assert index.uid == "movies" and index.primary_key == "id"
    raw = client.get_raw_index("movies")
    assert list(raw) == ["uid", "createdAt", "updatedAt", "primaryKey"]
    done = client.wait_for_task(client.index("movies").update(primary_key="key").task_uid)
    assert done.status == "succeeded" and client.get_index("movies").primary_key == "key"
    done = client.wait_for_task(client.delete_index("movies").task_uid)
    assert done.status == "succeeded" and done.details == {"deletedDocuments": 0}
    with pytest.raises(MeilisearchApiError) as err:
        client.get_index("movies")
    assert err.value.code == "index_not_found" and err.value.status_code == 404
    assert err.value.message == "Index `movies` not found."


def test_create_existing_index_fails_in_task(client):
    client.wait_for_task(client.create_index("dup").task_uid)
    task = client.wait_for_task(client.create_index("dup").task_uid)
    assert task.status == "failed"
    assert task.error == {"message": "Index `dup` already exists.", "code": "index_already_exists",
                          "type": "invalid_request", "link": "https://docs.meilisearch.com/errors#index_already_exists"}


def test_list_indexes_paginated_in_byte_order(client):
    for uid in ("b", "a", "C"):
        client.wait_for_task(client.create_index(uid).task_uid)
    page = client.get_raw_indexes()
    assert [i["uid"] for i in page["results"]] == ["C", "a", "b"]
    assert (page["offset"], page["limit"], page["total"]) == (0, 20, 3)
    page = client.get_raw_indexes({"offset": 1, "limit": 1})
    assert [i["uid"] for i in page["results"]] == ["a"] and page["total"] == 3


def test_invalid_uid_is_rejected_synchronously(client):
    with pytest.raises(MeilisearchApiError) as err:
        client.create_index("bad uid!")
    assert err.value.status_code == 400 and err.value.code == "invalid_index_uid"


def test_swap_and_rename(client):
    client.wait_for_task(client.index("left").add_documents([{"id": 1, "side": "left"}]).task_uid)
    client.wait_for_task(client.index("right").add_documents([{"id": 1, "side": "right"}]).task_uid)
    task = client.wait_for_task(client.swap_indexes([{"indexes": ["left", "right"]}]).task_uid)
    assert task.status == "succeeded" and task.details == {"swaps": [{"indexes": ["left", "right"], "rename": False}]}
    assert client.index("left").get_document(1).side == "right"
    task = client.wait_for_task(client.swap_indexes([{"indexes": ["left", "renamed"], "rename": True}]).task_uid)
    assert task.status == "succeeded"
    assert client.index("renamed").get_document(1).side == "right"
    with pytest.raises(MeilisearchApiError):
        client.get_index("left")


def test_stats(client):
    index = client.index("stats")
    client.wait_for_task(index.add_documents([{"id": 1, "a": 1}, {"id": 2, "b": 2}]).task_uid)
    stats = index.get_stats()
    assert stats.number_of_documents == 2 and stats.is_indexing is False
    assert index.get_stats().field_distribution.__dict__["_FieldDistribution__dict"] == {"a": 1, "b": 1, "id": 2}
    all_stats = client.get_all_stats()
    assert all_stats["indexes"]["stats"]["numberOfDocuments"] == 2
    assert isinstance(all_stats["databaseSize"], int)
