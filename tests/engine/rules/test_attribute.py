"""`attributeRank` and `wordPosition` (ranking.md §7.5, §7.6).

Properties:
1. with an explicit searchableAttributes list, a match in an earlier field ranks first;
2. with the default `["*"]` every field weighs the same (score 1.0);
3. wordPosition gives the documented 0.8095238095238095 for `train dragon` on `How to Train Your Dragon`;
4. an n-gram node is a path of its own for both rules: `sun flower` on `sunflower seeds` costs
   f(0) + f(1) = 1 of 20 in wordPosition and the weight of `sunflower`'s field twice in attributeRank;
5. a phrase is one term index, however many words it has: it is costed once, at its first word;
6. a phrase derivation (the split `note book` of `notebook`) counts only in the documents where the
   phrase matches: `note` next to `notebooks` does not put `notebook` at position 0 or in field a.
"""


def ids(result):
    return [hit["id"] for hit in result["hits"]]


def test_attribute_rank(make_index):
    docs = [{"id": 1, "title": "other", "body": "galaxy"}, {"id": 2, "title": "galaxy", "body": "other"}]
    index = make_index(docs, {"searchableAttributes": ["title", "body"]})
    result = index.search("galaxy", show_ranking_score_details=True)
    assert ids(result) == [2, 1]
    assert [h["_rankingScoreDetails"]["attributeRank"]["score"] for h in result["hits"]] == [1.0, 0.5]
    index = make_index(docs)
    result = index.search("galaxy", show_ranking_score_details=True)
    assert ids(result) == [1, 2]
    assert {h["_rankingScoreDetails"]["attributeRank"]["score"] for h in result["hits"]} == {1.0}


def test_word_position_score(make_index):
    index = make_index([{"id": 1, "title": "How to Train Your Dragon"}])
    details = index.search("train dragon", show_ranking_score_details=True)["hits"][0]["_rankingScoreDetails"]
    assert details["wordPosition"]["score"] == 0.8095238095238095
    assert details["proximity"]["score"] == 0.75


def test_ngram_paths(make_index):
    index = make_index([{"id": 1, "t": "x", "u": "sunflower seeds"}, {"id": 2, "t": "sun flower seeds"}],
                       {"searchableAttributes": ["t", "u"]})
    result = index.search("sun flower", show_ranking_score_details=True)
    assert ids(result) == [2, 1]
    details = result["hits"][1]["_rankingScoreDetails"]
    assert details["typo"]["typoCount"] == 2
    assert details["wordPosition"]["score"] == 20 / 21
    # field u has weight 1, times the 2 words of the n-gram: cost 2 of max_rank 1 + 1 * 2
    assert details["attributeRank"]["score"] == 1 / 3


def test_phrase_counts_as_one_term(make_index):
    index = make_index([{"id": 1, "t": "x y fox jumps"}])
    details = index.search('"fox jumps"', show_ranking_score_details=True)["hits"][0]["_rankingScoreDetails"]
    assert details["wordPosition"]["score"] == 9 / 11  # f(2) = 2 of 1 + 10
    index = make_index([{"id": 1, "t": "big fat liar"}])
    details = index.search('"big fat" liar', show_ranking_score_details=True)["hits"][0]["_rankingScoreDetails"]
    assert details["wordPosition"]["score"] == 1.0  # liar sits at query position 2 (the phrase covers 0-1)
    index = make_index([{"id": 1, "a": "x", "b": "big fat"}], {"searchableAttributes": ["a", "b"]})
    details = index.search('"big fat"', show_ranking_score_details=True)["hits"][0]["_rankingScoreDetails"]
    assert details["attributeRank"]["score"] == 0.5  # weight 1 of 1 + 1 x one term


def test_phrase_width_orders_documents(make_index):
    docs = [{"id": "Y", "t": "red fox a b c d e jumps"}, {"id": "X", "t": "big red fox jumps"}]
    index = make_index(docs, {"rankingRules": ["words", "wordPosition"]})
    result = index.search('"red fox" jumps', show_ranking_score_details=True)
    assert ids(result) == ["X", "Y"]
    assert [h["_rankingScoreDetails"]["wordPosition"]["score"] for h in result["hits"]] == [19 / 21, 18 / 21]


def test_split_phrase_counts_only_where_it_matches(make_index):
    index = make_index([{"id": 1, "t": "note tower notebooks"}, {"id": 2, "t": "note book"}])
    hits = index.search("notebook ", show_ranking_score_details=True)["hits"]
    assert [(h["id"], h["_rankingScoreDetails"]["wordPosition"]["score"]) for h in hits] == [(2, 1.0), (1, 9 / 11)]
    docs = [{"id": 1, "a": "note tower", "b": "notebooks"}, {"id": 2, "a": "rain coat", "b": "note book"}]
    index = make_index(docs, {"searchableAttributes": ["a", "b"]})
    hits = index.search("notebook ", show_ranking_score_details=True)["hits"]
    assert [h["_rankingScoreDetails"]["attributeRank"]["score"] for h in hits] == [0.5, 0.5]
