"""`words` rule and matchingStrategy (ranking.md §4, §7.2).

Properties:
1. documents matching all words come before those matching fewer, with `last` removing from the end;
2. with `last`, a document lacking the first word is never returned;
3. `all` returns only documents with every word and shows no `words` detail;
4. `frequency` removes the most frequent word first;
5. matchingWords is the length of the matched query prefix; a phrase adds its extra words to the max.
"""


def ids(result):
    return [hit["id"] for hit in result["hits"]]

DOCS = [
    {"id": 1, "t": "blue"},
    {"id": 2, "t": "blue sky"},
    {"id": 3, "t": "blue sky ocean"},
    {"id": 4, "t": "sky ocean"},
]


def test_last_strategy_orders_by_matched_prefix(make_index):
    index = make_index(DOCS)
    result = index.search("blue sky ocean", show_ranking_score_details=True)
    assert ids(result) == [3, 2, 1]
    details = [h["_rankingScoreDetails"]["words"] for h in result["hits"]]
    assert [(d["matchingWords"], d["maxMatchingWords"]) for d in details] == [(3, 3), (2, 3), (1, 3)]
    assert result["estimatedTotalHits"] == 3


def test_all_strategy(make_index):
    index = make_index(DOCS)
    result = index.search("blue sky", matching_strategy="all", show_ranking_score_details=True)
    assert ids(result) == [2, 3]
    assert "words" not in result["hits"][0]["_rankingScoreDetails"]


def test_frequency_strategy_drops_the_most_frequent_word(make_index):
    index = make_index(DOCS)
    # blue: 3 docs, ocean: 2 docs -> blue is removed first, ocean (rarest) stays
    assert ids(index.search("blue ocean", matching_strategy="frequency")) == [3, 4]


def test_phrase_is_mandatory_and_counts(make_index):
    index = make_index([{"id": 1, "t": "big fat liar"}, {"id": 2, "t": "big fat"}, {"id": 3, "t": "fat big liar"}])
    result = index.search('"big fat" liar', show_ranking_score_details=True)
    assert ids(result) == [1, 2]
    words = [h["_rankingScoreDetails"]["words"] for h in result["hits"]]
    assert [(w["matchingWords"], w["maxMatchingWords"]) for w in words] == [(3, 3), (2, 3)]
