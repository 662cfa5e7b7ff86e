"""`exactness` (ranking.md §7.7).

Properties:
1. a field equal to the query (exactMatch) beats one starting with it (matchesStart) beats the rest;
2. in noExactMatch, documents with more words exactly as typed come first;
3. the details' scores are 1.0, 0.6666666666666666 and (matchingWords + 1) / (3 (n + 1)); the
   exact-words rank folds into _rankingScore for exactMatch and matchesStart documents too;
4. a term whose word is not in the index (an unfinished prefix, a misspelling) or that its typo
   bucket matched only through typos is no exact term: the terms before it decide, so
   `hello wor` on `hello world` matches the start of the field.
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


def test_terms_without_exact_word_leave_a_hole(make_index):
    index = make_index([{"id": 1, "t": "hello world"}])
    hit = index.search("hello wor", show_ranking_score=True, show_ranking_score_details=True)["hits"][0]
    assert hit["_rankingScoreDetails"]["exactness"] == {"order": 5, "matchType": "matchesStart",
                                                        "score": 0.6666666666666666}
    # words 2/2, typo 3/3, proximity 4/4, attributeRank 1/1, wordPosition 21/21, exact-attribute 2/3,
    # exact-words 2/3 (`wor` is not found as typed): exact-words folds in for every match type
    assert hit["_rankingScore"] == 4532 / 4536
    index = make_index([{"id": "B", "t": "world hello"}, {"id": "A", "t": "hello world"}],
                       {"rankingRules": ["words", "exactness"]})
    assert ids(index.search("hello wor")) == ["A", "B"]


def test_typo_bucket_drops_the_exact_word(make_index):
    index = make_index([{"id": 1, "t": "hello wordl"}, {"id": 2, "t": "hello world"}])
    hits = index.search("hello world", show_ranking_score=True, show_ranking_score_details=True)["hits"]
    assert ids({"hits": hits}) == [2, 1]
    assert hits[1]["_rankingScoreDetails"]["exactness"]["matchType"] == "matchesStart"
    assert hits[1]["_rankingScore"] == 3776 / 4536  # typo 2/3, exact-attribute 2/3, exact-words 2/3
