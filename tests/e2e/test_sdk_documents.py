"""Documents through the official client, in all three payload formats.

Properties:
1. JSON, NDJSON and CSV (typed headers, custom delimiter) payloads are indexed, in insertion order;
2. POST replaces a document, PUT merges its top-level fields;
3. primary key inference, the `primaryKey` parameter, and the per-task failures of a missing or
   invalid id;
4. get one (with fields), list (offset/limit/fields), fetch by ids;
5. delete one, delete a batch, delete all; counts in task details;
6. malformed payloads and wrong content types get Meilisearch's error objects synchronously.
"""
import pytest
from meilisearch.errors import MeilisearchApiError


def test_formats_and_order(client):
    index = client.index("formats")
    t1 = index.add_documents([{"id": 1, "title": "Carol"}, {"id": 2, "title": "Wonder Woman"}])
    t2 = index.add_documents_ndjson(b'{"id": 3, "title": "Life of Pi"}\n\n{"id": 4, "title": "Mad Max"}\n')
    t3 = index.add_documents_csv(b"id;title;price:number;seen:boolean\n5;Pride;12.5;true\n6;Ho;3;false\n",
                                 csv_delimiter=";")
    for t in (t1, t2, t3):
        done = client.wait_for_task(t.task_uid)
        assert done.status == "succeeded", done.error
        assert done.details["indexedDocuments"] == done.details["receivedDocuments"] == 2
    docs = index.get_documents({"limit": 10}).results
    assert [d.id for d in docs] == [1, 2, 3, 4, "5", "6"]
    assert dict(docs[4]) == {"id": "5", "title": "Pride", "price": 12.5, "seen": True}
    assert dict(docs[5])["price"] == 3


def test_replace_and_update(client):
    index = client.index("upd")
    client.wait_for_task(index.add_documents([{"id": 1, "a": 1, "b": 1}]).task_uid)
    client.wait_for_task(index.update_documents([{"id": 1, "b": 2, "c": 3}]).task_uid)
    assert dict(index.get_document(1)) == {"id": 1, "a": 1, "b": 2, "c": 3}
    client.wait_for_task(index.add_documents([{"id": 1, "z": 0}]).task_uid)
    assert dict(index.get_document(1)) == {"id": 1, "z": 0}


def test_primary_key_rules(client):
    index = client.index("pk")
    done = client.wait_for_task(index.add_documents([{"title": "no id"}]).task_uid)
    assert done.status == "failed" and done.error["code"] == "index_primary_key_no_candidate_found"
    done = client.wait_for_task(index.add_documents([{"id": 1, "movie_id": 2}]).task_uid)
    assert done.error["code"] == "index_primary_key_multiple_candidates_found"
    assert "'id' and 'movie_id'" in done.error["message"]
    done = client.wait_for_task(index.add_documents([{"key": "a b"}], primary_key="key").task_uid)
    assert done.error["code"] == "invalid_document_id"
    assert done.details == {"receivedDocuments": 1, "indexedDocuments": 0}
    done = client.wait_for_task(index.add_documents([{"key": "ok"}], primary_key="key").task_uid)
    assert done.status == "succeeded" and client.get_index("pk").primary_key == "key"
    done = client.wait_for_task(index.add_documents([{"other": 1}]).task_uid)
    assert done.error["code"] == "missing_document_id"
    assert done.error["message"] == 'Document doesn\'t have a `key` attribute: `{"other":1}`.'
    done = client.wait_for_task(index.add_documents([{"x": "y"}], primary_key="x").task_uid)
    assert done.error["code"] == "index_primary_key_already_exists"
    assert done.error["message"] == "Index `pk`: Index already has a primary key: `key`."


def test_get_list_fetch(client):
    index = client.index("read")
    client.wait_for_task(index.add_documents([{"id": i, "n": i, "s": str(i)} for i in range(30)]).task_uid)
    assert dict(index.get_document(7, {"fields": ["n"]})) == {"n": 7}
    page = index.get_documents({"offset": 25, "limit": 10, "fields": ["id"]})
    assert [dict(d) for d in page.results] == [{"id": i} for i in range(25, 30)]
    assert page.total == 30 and page.offset == 25 and page.limit == 10
    fetched = index.get_documents({"ids": ["3", "1", "99"]})
    assert [d.id for d in fetched.results] == [1, 3] and fetched.total == 2
    with pytest.raises(MeilisearchApiError) as err:
        index.get_document(99)
    assert err.value.code == "document_not_found" and err.value.status_code == 404


def test_deletions(client):
    index = client.index("del")
    client.wait_for_task(index.add_documents([{"id": i} for i in range(10)]).task_uid)
    done = client.wait_for_task(index.delete_document(0).task_uid)
    assert done.details == {"providedIds": 1, "deletedDocuments": 1, "originalFilter": None}
    done = client.wait_for_task(index.delete_documents(ids=["1", "2", "42"]).task_uid)
    assert done.details == {"providedIds": 3, "deletedDocuments": 2, "originalFilter": None}
    done = client.wait_for_task(index.delete_all_documents().task_uid)
    assert done.details == {"deletedDocuments": 7}
    assert index.get_documents().total == 0


def test_payload_errors(client):
    index = client.index("errors")
    with pytest.raises(MeilisearchApiError) as err:
        index.add_documents("")
    assert (err.value.code, err.value.type, err.value.status_code) == ("missing_payload", "invalid_request", 400)
    with pytest.raises(MeilisearchApiError) as err:
        index.add_documents_raw("[1, 2]", content_type="application/json")
    assert err.value.code == "malformed_payload"
    assert err.value.message == ("The `json` payload provided is malformed. `Couldn't serialize document value: "
                                 "data are neither an object nor a list of objects`.")
    with pytest.raises(MeilisearchApiError) as err:
        index.add_documents_raw("{", content_type="application/json")
    assert err.value.code == "malformed_payload"
    with pytest.raises(MeilisearchApiError) as err:
        index.add_documents_raw("id\n1", content_type="text/plain")
    assert err.value.code == "invalid_content_type" and err.value.status_code == 415
    with pytest.raises(MeilisearchApiError) as err:
        index.add_documents_csv(b"id,title\n1\n")
    assert err.value.code == "malformed_payload"


def test_documents_by_filter(client):
    index = client.index("byfilter")
    client.wait_for_task(index.update_filterable_attributes(["genre", "year"]).task_uid)
    docs = [{"id": 1, "genre": "drama", "year": 1990}, {"id": 2, "genre": "comedy", "year": 2001},
            {"id": 3, "genre": "drama", "year": 2010}]
    client.wait_for_task(index.add_documents(docs).task_uid)
    fetched = index.get_documents({"filter": "genre = drama AND year > 2000"})
    assert [d.id for d in fetched.results] == [3] and fetched.total == 1
    fetched = index.get_documents({"filter": ["genre = drama", ["year = 1990", "year = 2001"]]})
    assert [d.id for d in fetched.results] == [1]
    task = client.wait_for_task(index.delete_documents(filter="genre = drama").task_uid)
    assert task.status == "succeeded"
    assert task.details == {"providedIds": 0, "deletedDocuments": 2, "originalFilter": '"genre = drama"'}
    assert [d.id for d in index.get_documents().results] == [2]
    task = client.wait_for_task(index.delete_documents(filter="title = x").task_uid)
    assert task.status == "failed" and task.error["code"] == "invalid_document_filter"
    assert task.error["message"].startswith("Index `byfilter`: Attribute `title` is not filterable.")


def test_sorted_listing_through_the_client(client):
    """`get_documents` with `sort` (a list or a comma-separated string) reaches POST
    /documents/fetch and comes back ordered; an unsortable field is MeilisearchApiError."""
    index = client.index("listing-sorted")
    assert client.wait_for_task(index.update_sortable_attributes(["year"]).task_uid).status == "succeeded"
    docs = [{"id": 1, "year": 2001}, {"id": 2}, {"id": 3, "year": 1999}]
    assert client.wait_for_task(index.add_documents(docs, "id").task_uid).status == "succeeded"
    page = index.get_documents({"sort": "year:asc", "fields": ["id"]})
    assert [d.id for d in page.results] == [3, 1, 2] and page.total == 3
    page = index.get_documents({"sort": ["year:desc"], "limit": 1})
    assert [d.id for d in page.results] == [1]
    with pytest.raises(MeilisearchApiError) as refused:
        index.get_documents({"sort": ["id:asc"]})
    assert refused.value.code == "invalid_document_sort"
