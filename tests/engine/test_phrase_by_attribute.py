"""Phrase search under `proximityPrecision: byAttribute` (issue 15 §7).

Upstream keeps no word distances in byAttribute mode: milli's word-pair lookup forces every
proximity to 0 and answers "both words in one searchable field", so a phrase matches the documents
holding all its words in one field, in any order and at any distance; byWord keeps the adjacency.

Documents (hand-checkable): 1 "big red dog"; 2 "red big"; 3 title "big", desc "red";
4 "big blue red"; 5 title "big", tags ["red", "small"].
"""
import pytest
from support import index_documents

from engine.engine import Engine

DOCS = [{"id": 1, "title": "big red dog"}, {"id": 2, "title": "red big"}, {"id": 3, "title": "big", "desc": "red"},
        {"id": 4, "title": "big blue red"}, {"id": 5, "title": "big", "tags": ["red", "small"]}]


@pytest.fixture(scope="module", params=["byWord", "byAttribute"])
def index(request, tmp_path_factory):
    engine = Engine(tmp_path_factory.mktemp(request.param) / "db", worker="thread")
    index_documents(engine, "p", DOCS, {"proximityPrecision": request.param})
    yield request.param, engine.index("p")
    engine.close()


@pytest.mark.parametrize("q, by_word, by_attribute", [
    ('"big red"', [1], [1, 2, 4]),          # same field, any order or distance; 3 and 5 split it
    ('"red big"', [2], [1, 2, 4]),
    ('"big red" blue', [1], [1, 2, 4]),     # `blue` may be dropped (matchingStrategy last)
    ('-"big red"', [2, 3, 4, 5], [3, 5]),   # a negated phrase excludes alike
])
def test_phrases(index, q, by_word, by_attribute):
    precision, idx = index
    result = idx.search(q)
    expected = by_word if precision == "byWord" else by_attribute
    assert (sorted(hit["id"] for hit in result["hits"]), result["estimatedTotalHits"]) == (expected, len(expected))


def test_phrases_respect_attributes_to_search_on(index):
    precision, idx = index
    assert idx.search('"big red"', attributes_to_search_on=["desc"])["hits"] == []
    found = sorted(hit["id"] for hit in idx.search('"big red"', attributes_to_search_on=["title"])["hits"])
    assert found == ([1] if precision == "byWord" else [1, 2, 4])
