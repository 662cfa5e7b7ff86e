"""Highlighting, cropping and match positions through the official client against a real `loupe`.

Properties:
1. The InstantSearch request (`attributesToHighlight: ["*"]`, custom tags, `attributesToCrop`
   with a length) answers `_formatted` to the char, numbers as strings, multi-byte text kept.
2. `showMatchesPosition` answers UTF-8 byte offsets with `indices` for arrays; cropMarker "" and a
   typo'd word work through the client too.
3. multi-search formats each query with its own options.
"""
import pytest

DOCS = [
    {"id": 1, "title": "Crème brûlée à la française", "year": 1999,
     "description": "A rich custard base topped with a layer of hardened caramelized sugar, served cold.",
     "tags": ["dessert", "crème"]},
    {"id": 2, "title": "Tarte Tatin", "year": 2001, "description": "An upside-down pastry with caramelized apples.",
     "tags": ["pastry"]},
]


@pytest.fixture
def desserts(client):
    index = client.index("desserts")
    task = client.wait_for_task(index.add_documents(DOCS, primary_key="id").task_uid)
    assert task.status == "succeeded"
    return index


def test_instantsearch_request(desserts):
    result = desserts.search("creme", {"attributesToHighlight": ["*"], "highlightPreTag": "__ais-highlight__",
                                       "highlightPostTag": "__/ais-highlight__",
                                       "attributesToCrop": ["description:5"]})
    assert [h["id"] for h in result["hits"]] == [1]
    assert result["hits"][0]["_formatted"] == {
        "id": "1", "title": "__ais-highlight__Crème__/ais-highlight__ brûlée à la française", "year": "1999",
        "description": "A rich custard base topped…",
        "tags": ["dessert", "__ais-highlight__crème__/ais-highlight__"]}


def test_matches_position_and_crop_marker(desserts):
    result = desserts.search("caramelised sugar", {"showMatchesPosition": True, "attributesToCrop": ["description:3"],
                                                   "cropMarker": "", "attributesToRetrieve": ["id"]})
    hit = result["hits"][0]
    assert hit["id"] == 1
    # ", " is a hard separator: the window grows to the left, and "" adds no marker
    assert hit["_formatted"] == {"id": "1", "description": "hardened caramelized sugar"}
    assert hit["_matchesPosition"] == {"description": [{"start": 52, "length": 11}, {"start": 64, "length": 5}]}
    result = desserts.search("creme", {"showMatchesPosition": True, "attributesToRetrieve": ["id"]})
    assert result["hits"][0]["_matchesPosition"] == {"tags": [{"start": 0, "length": 6, "indices": [1]}],
                                                     "title": [{"start": 0, "length": 6}]}


def test_multi_search(client, desserts):
    result = client.multi_search([
        {"indexUid": "desserts", "q": "tatin", "attributesToHighlight": ["title"], "attributesToRetrieve": ["id"]},
        {"indexUid": "desserts", "q": "apples", "attributesToCrop": ["description:2"], "attributesToRetrieve": []},
    ])
    first, second = (r["hits"] for r in result["results"])
    assert first == [{"id": 2, "_formatted": {"id": "2", "title": "Tarte <em>Tatin</em>"}}]
    assert second == [{"_formatted": {"description": "…caramelized apples…"}}]
