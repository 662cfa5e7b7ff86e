"""Formatting over HTTP: `_formatted` and `_matchesPosition` in every search door, to the char.

Properties:
1. POST and GET (comma-separated lists, `attr:N` crops) answer the same formatted hits; extra keys
   come after the document fields in Meilisearch's order (`_formatted`, `_matchesPosition`,
   `_rankingScore`).
2. Every query of /multi-search is formatted with its own options.
3. Federated hits are formatted per query, with `_federation` between the document fields and
   `_formatted`.
4. `_formatted` never holds `_geoDistance`; attributesToRetrieve narrows the hit but not the
   highlighted fields of `_formatted`.
"""
import pytest

from engine.engine import Engine
from server.app import create_app
from support import index_documents, post_json

KEY = "a-master-key-of-16-bytes"
DOCS = [{"id": 1, "title": "Le Café <b>bleu</b> & crème", "n": 1.5, "_geo": {"lat": 1, "lng": 2}},
        {"id": 2, "title": "The quick brown fox jumps over the lazy dog. The dog sleeps all day long in the sun."}]


@pytest.fixture
async def http(tmp_path, aiohttp_client):
    engine = Engine(tmp_path / "db", worker="thread")
    index_documents(engine, "a", DOCS, {"sortableAttributes": ["_geo"]})
    index_documents(engine, "b", [{"id": 9, "title": "café noir"}])
    client = await aiohttp_client(create_app(engine, master_key=KEY))
    yield client
    engine.close()


async def search(http, body, uid="a"):
    answer = await post_json(http, f"/indexes/{uid}/search", body, KEY)
    return answer["hits"]


# 1 ------------------------------------------------------------------------------------------------

async def test_post_and_get_format_alike(http):
    body = {"q": "cafe", "attributesToHighlight": ["title"], "attributesToCrop": ["title:3"],
            "highlightPreTag": "<mark>", "highlightPostTag": "</mark>", "showMatchesPosition": True,
            "showRankingScore": True}
    posted = await search(http, body)
    response = await http.get("/indexes/a/search?q=cafe&attributesToHighlight=title&attributesToCrop=title:3"
                              "&highlightPreTag=%3Cmark%3E&highlightPostTag=%3C/mark%3E&showMatchesPosition=true"
                              "&showRankingScore=true", headers={"Authorization": f"Bearer {KEY}"})
    got = (await response.json())["hits"]
    assert posted == got
    assert list(posted[0]) == ["id", "title", "n", "_geo", "_formatted", "_matchesPosition", "_rankingScore"]
    # `<` and `>` are not separators: `<b>bleu<` is one word of the three kept
    assert posted[0]["_formatted"] == {"id": "1", "title": "Le <mark>Café</mark> <b>bleu<…", "n": "1.5",
                                       "_geo": {"lat": "1", "lng": "2"}}
    assert posted[0]["_matchesPosition"] == {"title": [{"start": 3, "length": 5}]}


# 2 ------------------------------------------------------------------------------------------------

async def test_multi_search_formats_each_query(http):
    body = {"queries": [
        {"indexUid": "a", "q": "lazy dog", "attributesToCrop": ["title"], "cropLength": 5,
         "attributesToHighlight": ["title"], "attributesToRetrieve": ["id"]},
        {"indexUid": "b", "q": "noir", "attributesToHighlight": ["*"], "highlightPreTag": "[",
         "highlightPostTag": "]"},
    ]}
    answer = await post_json(http, "/multi-search", body, KEY)
    first, second = (r["hits"] for r in answer["results"])
    assert first == [{"id": 2, "_formatted": {"id": "2", "title": "…the <em>lazy</em> <em>dog</em>. The <em>dog</em>…"}}]
    assert second == [{"id": 9, "title": "café noir", "_formatted": {"id": "9", "title": "café [noir]"}}]


# 3 ------------------------------------------------------------------------------------------------

async def test_federated_hits_are_formatted_per_query(http):
    body = {"federation": {}, "queries": [
        {"indexUid": "a", "q": "cafe", "attributesToHighlight": ["title"], "attributesToRetrieve": ["id"]},
        {"indexUid": "b", "q": "cafe", "attributesToHighlight": ["title"], "highlightPreTag": "<i>",
         "highlightPostTag": "</i>", "attributesToRetrieve": ["id"]},
    ]}
    answer = await post_json(http, "/multi-search", body, KEY)
    by_index = {hit["_federation"]["indexUid"]: hit for hit in answer["hits"]}
    assert list(by_index["a"]) == ["id", "_federation", "_formatted"]
    assert by_index["a"]["_formatted"] == {"id": "1", "title": "Le <em>Café</em> <b>bleu</b> & crème"}
    assert by_index["b"]["_formatted"] == {"id": "9", "title": "<i>café</i> noir"}


# 4 ------------------------------------------------------------------------------------------------

async def test_geo_distance_is_not_formatted(http):
    hits = await search(http, {"q": "cafe", "sort": ["_geoPoint(1, 2):asc"], "attributesToHighlight": ["title"],
                               "attributesToRetrieve": ["id", "_geo"]})
    assert hits[0] == {"id": 1, "_geo": {"lat": 1, "lng": 2}, "_geoDistance": 0,
                       "_formatted": {"id": "1", "title": "Le <em>Café</em> <b>bleu</b> & crème",
                                      "_geo": {"lat": "1", "lng": "2"}}}
