"""A formatted hit sent as its stored JSON with the search's keys appended (`HitRenderer`'s
fragments, what the HTTP route serialises) is byte for byte the hit built as a dict.

Properties:
1. For highlight, crop, matches positions and ranking scores, alone and together, the fragment
   and the dict serialise to the same bytes: document fields in stored order, then
   `_formatted`, `_matchesPosition`, `_rankingScore`, `_rankingScoreDetails`.
2. A document with a key of its own named like one the search adds (`_formatted`), or with
   `_vectors` not asked for, is still answered right (as a dict).
"""
import orjson
import pytest

from engine.meilisearch.search import run_search
from engine.meilisearch.search_params import parse_search_body

DOCS = [
    {"id": 1, "title": "The lazy dog sleeps", "tags": ["dog", "cat"], "n": 3},
    {"id": 2, "title": "a dog", "_formatted": "mine", "n": 1.5},
    {"id": 3, "title": "dog days", "_vectors": {"x": [0.5, 0.5]}},
    {"id": 4},
]
REQUESTS = [
    {"q": "dog", "attributesToHighlight": ["*"]},
    {"q": "dog", "attributesToCrop": ["title:2"], "showMatchesPosition": True},
    {"q": "dog", "attributesToHighlight": ["title"], "showRankingScore": True, "showRankingScoreDetails": True},
    {"q": "dog", "showMatchesPosition": True, "retrieveVectors": True},
    {"q": "", "attributesToHighlight": ["*"], "showRankingScore": True},
]


@pytest.mark.parametrize("body", REQUESTS)
def test_fragments_serialise_like_dicts(make_index, body):
    index = make_index(DOCS)
    params = parse_search_body(body)
    fragments = run_search(index, params, as_fragments=True, request_uid="r")
    dicts = run_search(index, params, as_fragments=False, request_uid="r")
    fragments["processingTimeMs"] = dicts["processingTimeMs"] = 0
    assert orjson.dumps(fragments) == orjson.dumps(dicts)
    assert len(dicts["hits"]) == (4 if body["q"] == "" else 3)


def test_documents_with_keys_the_search_adds(make_index):
    index = make_index(DOCS)
    answer = orjson.loads(orjson.dumps(run_search(index, parse_search_body(
        {"q": "", "attributesToHighlight": ["*"], "showRankingScore": True}), as_fragments=True)))
    by_id = {hit.get("id"): hit for hit in answer["hits"]}
    assert by_id[2]["_formatted"] == {"id": "2", "title": "a dog", "_formatted": "mine", "n": "1.5"}
    assert "_vectors" not in by_id[3] and "_vectors" not in by_id[3]["_formatted"]
    assert by_id[4] == {"id": 4, "_formatted": {"id": "4"}, "_rankingScore": 1.0}
