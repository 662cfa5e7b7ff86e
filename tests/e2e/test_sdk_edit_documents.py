"""Edit documents by function through the official client (`update_documents_by_function`).

Properties:
1. With `editDocumentsByFunction` off, the client raises Meilisearch's `feature_not_enabled`.
2. The client's own scenario (meilisearch-python's test): a function with string ids that deletes
   one document and decorates the others' titles, answered 202 as a `documentEdition` task.
3. A filter and a context reach the function; the task's details are upstream's; the edit is
   searchable at once.
4. A function that does not compile raises `bad_request`; one that fails at run time fails the task.
"""
import pytest
from meilisearch.errors import MeilisearchApiError

MOVIES = [
    {"id": "522681", "title": "Escape Room", "genre": "horror"},
    {"id": "450465", "title": "Glass", "genre": "thriller"},
    {"id": "299537", "title": "Captain Marvel", "genre": "action"},
]


@pytest.fixture
def editing(client):
    client.update_experimental_features({"editDocumentsByFunction": True})
    yield client
    client.update_experimental_features({"editDocumentsByFunction": False})


def _load(client, uid: str):
    index = client.index(uid)
    assert client.wait_for_task(index.add_documents(MOVIES).task_uid).status == "succeeded"
    assert client.wait_for_task(index.update_filterable_attributes(["genre"]).task_uid).status == "succeeded"
    return index


def test_feature_must_be_enabled(client):
    client.update_experimental_features({"editDocumentsByFunction": False})
    with pytest.raises(MeilisearchApiError) as caught:
        client.update_documents_by_function("movies", {"function": "doc.a = 1"})
    assert caught.value.status_code == 400 and caught.value.code == "feature_not_enabled"
    assert caught.value.message == ("Using the documents edit route requires enabling the `edit documents by "
                                    "function` experimental feature. See https://github.com/orgs/meilisearch/discussions/762")


def test_the_clients_own_scenario(editing):
    client = editing
    _load(client, "movies")
    function = 'if doc.id == "522681" {doc = () } else {doc.title = `* ${doc.title} *`}'
    response = client.update_documents_by_function("movies", {"function": function})
    assert isinstance(response["taskUid"], int) and response["indexUid"] == "movies"
    assert (response["type"], response["status"]) == ("documentEdition", "enqueued")
    task = client.wait_for_task(response["taskUid"])
    assert task.status == "succeeded", task.error
    assert task.details == {"deletedDocuments": 3, "editedDocuments": 3, "originalFilter": None, "context": None,
                            "function": function}
    docs = sorted((dict(d) for d in client.index("movies").get_documents({"limit": 10}).results),
                  key=lambda d: d["id"])
    assert docs == [{"id": "299537", "title": "* Captain Marvel *", "genre": "action"},
                    {"id": "450465", "title": "* Glass *", "genre": "thriller"}]


def test_filter_and_context(editing):
    client = editing
    index = _load(client, "ctx")
    response = client.update_documents_by_function("ctx", {
        "function": "doc.title = `${doc.title.to_upper()} ${context.suffix}`; doc.seen = true",
        "filter": "genre = horror OR genre = action", "context": {"suffix": "(edited)"}})
    task = client.wait_for_task(response["taskUid"])
    assert task.status == "succeeded", task.error
    assert task.details["originalFilter"] == '"genre = horror OR genre = action"'
    assert task.details["context"] == {"suffix": "(edited)"}
    assert (task.details["editedDocuments"], task.details["deletedDocuments"]) == (2, 2)
    hits = index.search("edited")["hits"]
    assert sorted(h["id"] for h in hits) == ["299537", "522681"]
    assert dict(index.get_document("450465")) == MOVIES[1]


def test_errors(editing):
    client = editing
    _load(client, "errs")
    with pytest.raises(MeilisearchApiError) as caught:
        client.update_documents_by_function("errs", {"function": "doc.title = "})
    assert (caught.value.code, caught.value.message) == ("bad_request", "Script is incomplete (line 1, position 13)")
    with pytest.raises(MeilisearchApiError) as caught:
        client.update_documents_by_function("errs", {"function": "doc.a = 1", "context": [1]})
    assert (caught.value.code, caught.value.message) == ("invalid_document_edition_context",
                                                         "The context must be an object")
    response = client.update_documents_by_function("errs", {"function": "doc.id = \"other\""})
    task = client.wait_for_task(response["taskUid"])
    assert task.status == "failed"
    assert task.error == {"message": "Index `errs`: Document editions cannot modify a document's primary key",
                          "code": "edit_documents_by_function_error", "type": "invalid_request",
                          "link": "https://docs.meilisearch.com/errors#edit_documents_by_function_error"}
    assert (task.details["editedDocuments"], task.details["deletedDocuments"]) == (0, 0)
