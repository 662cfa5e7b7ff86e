"""Vectors through the official client against a real `loupe` process (hybrid.md §2–§6).

Properties:
1. `search(q, {"hybrid": …, "vector": …})`: semantic-only and hybrid answers with
   `semanticHitCount`, scores as upstream prints them, `queryVector` with `retrieveVectors`.
2. `get_similar_documents` returns the neighbours of a document, nearest first.
3. `retrieveVectors` on documents (get, list/fetch) shows `_vectors` in Meilisearch's shape.
4. An unknown embedder is refused with `invalid_search_embedder`.
5. `render_template` renders a template against a stored document once `renderRoute` is on, and
   `_vectors` filters work once `multimodal` is on (both refused before).
"""
import pytest
from meilisearch.errors import MeilisearchApiError

FILMS = [
    {"id": "287947", "title": "Shazam!", "_vectors": {"manual": [0.8, 0.4, -0.5]}},
    {"id": "299537", "title": "Captain Marvel", "_vectors": {"manual": [0.6, 0.8, -0.2]}},
    {"id": "522681", "title": "Escape Room", "_vectors": {"manual": [0.1, 0.6, 0.8]}},
    {"id": "166428", "title": "How to Train Your Dragon: The Hidden World", "_vectors": {"manual": [0.7, 0.7, -0.4]}},
    {"id": "143", "title": "All Quiet on the Western Front", "_vectors": {"manual": [-0.5, 0.3, 0.85]}},
]


@pytest.fixture
def films(client):
    index = client.index("films")
    task = client.wait_for_task(index.update_settings(
        {"embedders": {"manual": {"source": "userProvided", "dimensions": 3}}, "filterableAttributes": ["id"]}).task_uid)
    assert task.status == "succeeded"
    task = client.wait_for_task(index.add_documents(FILMS, primary_key="id").task_uid)
    assert task.status == "succeeded", task.error
    return index


def test_semantic_and_hybrid_search(films):
    result = films.search("", {"vector": [-0.5, 0.3, 0.85], "hybrid": {"embedder": "manual"},
                               "showRankingScore": True, "limit": 2})
    assert [(h["id"], h["_rankingScore"]) for h in result["hits"]] == [("143", 1.0), ("522681", 0.890957772731781)]
    assert result["semanticHitCount"] == 2
    result = films.search("captain", {"vector": [0.8, 0.4, -0.5], "retrieveVectors": True,
                                      "hybrid": {"embedder": "manual", "semanticRatio": 0.5}, "limit": 2})
    # Shazam! is its own vector (similarity 1.0 × 0.5) and ties Captain Marvel's keyword 1.0 × 0.5: semantic first
    assert [h["id"] for h in result["hits"]] == ["287947", "299537"]
    assert result["semanticHitCount"] == 1
    assert result["queryVector"] == [0.8, 0.4, -0.5]
    assert result["hits"][0]["_vectors"] == {"manual": {"embeddings": [[0.800000011920929, 0.4000000059604645, -0.5]],
                                                        "regenerate": False}}


def test_similar_documents(films):
    result = films.get_similar_documents({"id": 143, "embedder": "manual", "showRankingScore": True})
    assert [(h["id"], h["_rankingScore"]) for h in result["hits"]] == [
        ("522681", 0.890957772731781), ("299537", 0.39060014486312866), ("166428", 0.2819308042526245),
        ("287947", 0.1662663221359253)]
    assert result["id"] == "143" and result["estimatedTotalHits"] == 4


def test_retrieve_vectors_on_documents(films):
    # query-string booleans are spelled `true` (the client would send Python's `True`, refused as upstream does)
    document = films.get_document("143", {"retrieveVectors": "true"})
    assert dict(document)["_vectors"] == {"manual": {"embeddings": [[-0.5, 0.30000001192092896, 0.8500000238418579]],
                                                     "regenerate": False}}
    assert "_vectors" not in dict(films.get_document("143"))
    listed = films.get_documents({"retrieveVectors": True, "limit": 1})  # the client POSTs /documents/fetch
    assert dict(listed.results[0])["_vectors"]["manual"]["embeddings"] == [
        [0.800000011920929, 0.4000000059604645, -0.5]]
    fetched = films.get_documents({"filter": "id = 299537", "retrieveVectors": True})
    assert [dict(d)["_vectors"]["manual"]["embeddings"] for d in fetched.results] == [
        [[0.6000000238418579, 0.800000011920929, -0.20000000298023224]]]
    assert [dict(d) for d in films.get_documents({"filter": "id = 299537"}).results] == [
        {"id": "299537", "title": "Captain Marvel"}]


def test_unknown_embedder(films):
    with pytest.raises(MeilisearchApiError) as err:
        films.search("captain", {"hybrid": {"embedder": "nope"}})
    assert err.value.code == "invalid_search_embedder"


def test_render_template_and_vector_filters(client, films):
    template = {"kind": "inlineDocumentTemplate", "inline": "{{ doc.title }} ({{ doc.id }})"}
    given = {"kind": "indexDocument", "indexUid": "films", "id": "143"}
    with pytest.raises(MeilisearchApiError) as refused:
        client.render_template(template, given)
    assert refused.value.code == "feature_not_enabled"
    with pytest.raises(MeilisearchApiError) as refused:
        films.search("", {"filter": "_vectors.manual EXISTS"})
    assert refused.value.code == "feature_not_enabled"
    client.update_experimental_features({"renderRoute": True, "multimodal": True})
    try:
        assert client.render_template(template, given) == {
            "template": "{{ doc.title }} ({{ doc.id }})", "rendered": "All Quiet on the Western Front (143)"}
        assert client.render_template(template) == {"template": "{{ doc.title }} ({{ doc.id }})", "rendered": None}
        result = films.search("", {"filter": "_vectors.manual.userProvided EXISTS AND id != 143"})
        assert result["estimatedTotalHits"] == 4
    finally:
        client.update_experimental_features({"renderRoute": False, "multimodal": False})
