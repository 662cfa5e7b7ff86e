"""`exactness` (ranking.md §7.7).

Properties:
1. a field equal to the query (exactMatch) beats one starting with it (matchesStart) beats the rest;
2. in noExactMatch, documents with more words exactly as typed come first;
3. the scores are 1.0, 0.6666666666666666 and (matchingWords + 1) / (3 (n + 1)).
"""


def ids(result):
    return [hit["id"] for hit in result["hits"]]


def test_exact_attribute_buckets(make_index):
    index = make_index([
        {"id": 1, "t": "the dark knight returns"},
        {"id": 2, "t": "dark knight"},
        {"id": 3, "t": "dark knight rises"},
    ])
    result = index.search("dark knight", show_ranking_score_details=True)
    assert ids(result) == [2, 3, 1]
    exactness = [h["_rankingScoreDetails"]["exactness"] for h in result["hits"]]
    assert exactness[0] == {"order": 5, "matchType": "exactMatch", "score": 1.0}
    assert exactness[1] == {"order": 5, "matchType": "matchesStart", "score": 0.6666666666666666}
    assert exactness[2] == {"order": 5, "matchType": "noExactMatch", "matchingWords": 2, "maxMatchingWords": 2,
                            "score": 0.3333333333333333}
