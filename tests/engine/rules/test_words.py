"""`words` rule and matchingStrategy (ranking.md §4, §7.2).

Properties:
1. documents matching all words come before those matching fewer, with `last` removing from the end;
2. with `last`, a document lacking the first word is never returned;
3. `all` returns only documents with every word and shows no `words` detail;
4. `frequency` removes the most frequent word first;
5. matchingWords is the length of the matched query prefix; a phrase adds its extra words to the max;
6. phrases match by the spec's pair rule (ranking.md §2.3): a stop word is a wildcard slot, adjacent
   real words must be 1 apart and words one slot apart 1 or 2 apart, per window of 3 slots, checked
   per document; the same documents whichever word is rarest.
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


def test_phrase_pair_rule(make_index):
    def found(result):  # which documents match (their order is the other rules' business)
        return sorted(ids(result))

    index = make_index([{"id": 1, "t": "something else"}, {"id": 2, "t": "quick fox"},
                        {"id": 3, "t": "a quick fox"}, {"id": 4, "t": "quick brown fox"},
                        {"id": 5, "t": "fox quick"}, {"id": 6, "t": "quick big brown fox"},
                        {"id": 7, "t": "red quick. then quick fox. and red dog fox"}],
                       {"stopWords": ["the"]})
    # a leading wildcard constrains nothing: only (quick, fox) at distance 1 is checked
    assert found(index.search('"the quick fox"')) == [2, 3, 7]
    # one wildcard slot between: distance 1 or 2
    assert found(index.search('"quick the fox"')) == [2, 3, 4, 7]
    assert found(index.search('"quick fox"')) == [2, 3, 7]
    # per document, not per occurrence: document 7 never says "red quick fox", but it has
    # (red, quick) at 1, (quick, fox) at 1 and (red, fox) at 2, each in another place
    assert found(index.search('"red quick fox"')) == [7]
    assert found(index.search('"red dog fox"')) == [7]
    # order matters: pairs are forward only
    assert found(index.search('"fox quick"')) == [5]


def test_phrase_anchor_does_not_change_matches(make_index):
    docs = [{"id": i, "t": f"common word{i % 5} common rare{i % 2} common"} for i in range(40)]
    index = make_index(docs)
    # `common` occurs three times per document, `rare1` in half of them, `word3` in an eighth
    assert ids(index.search('"common rare1"', limit=50)) == [i for i in range(40) if i % 2 == 1]
    assert ids(index.search('"word3 common rare1"', limit=50)) == [3, 13, 23, 33]
    assert ids(index.search('"rare1 common"', limit=50)) == [i for i in range(40) if i % 2 == 1]
    assert ids(index.search('"common common"', limit=50)) == []
