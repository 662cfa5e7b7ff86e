"""`words` rule and matchingStrategy (ranking.md §4, §7.2).

Properties:
1. documents matching all words come before those matching fewer, with `last` removing from the end;
2. with `last`, a document lacking the first word is never returned;
3. `all` returns only documents with every word and shows no `words` detail;
4. `frequency` removes the most frequent word first;
5. matchingWords is the length of the matched query prefix; a phrase adds its extra words to the max;
6. phrases match by the spec's pair rule (ranking.md §2.3): a stop word is a wildcard slot, adjacent
   real words must be 1 apart and words one slot apart 1 or 2 apart, per window of 3 slots, checked
   per document; the same documents whichever word is rarest;
7. with `frequency`, an n-gram goes with the one of its words removed last (ranking.md §4), so a
   document may match only through an n-gram that joins a removed word; every later rule then
   ranks it on that path: the n-gram's width counts in the maxima and its occurrences in the costs.
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


def test_frequency_ngram_joining_a_removed_word(make_index):
    # `y` (4 documents) goes first, then `x` (2); `z` (1, through `yz`) stays, and so does the
    # 2-gram `yz` with it: document 3 matches the path START -> yz -> END.
    index = make_index([{"id": 0, "t": "x y"}, {"id": 1, "t": "x y"}, {"id": 2, "t": "y"}, {"id": 3, "t": "yz"}])
    result = index.search("x y z ", matching_strategy="frequency", show_ranking_score=True,
                          show_ranking_score_details=True)
    assert ids(result) == [3]
    hit = result["hits"][0]
    assert hit["_rankingScoreDetails"] == {
        "words": {"order": 0, "matchingWords": 1, "maxMatchingWords": 3, "score": 1 / 3},
        # the 2-gram costs 2 typos, its dearest path 2 + 1
        "typo": {"order": 1, "typoCount": 2, "maxTypoCount": 3, "score": 0.5},
        # entering a 2-gram costs 1
        "proximity": {"order": 2, "score": 0.5},
        "attributeRank": {"order": 3, "score": 1.0},
        # `yz` at 0 for query position 1: f(1) + f(2) = 3 of 2 x 10
        "wordPosition": {"order": 4, "score": 18 / 21},
        # no exact term left (`x`, `y` removed, `z` in no document); the 2-gram is never exact
        "exactness": {"order": 5, "matchType": "noExactMatch", "matchingWords": 0, "maxMatchingWords": 2,
                      "score": 1 / 9},
    }
    # (1, 3) (2, 4) (1, 2) (1, 1) (18, 21), exact-attribute (1, 3), exact-words (1, 3) folded (ranking.md §8.1)
    assert hit["_rankingScore"] == 532 / 4536


def test_frequency_ngram_joining_a_removed_word_after_a_kept_one(make_index):
    # `bb` and `cc` (3 documents each) go together; `aa` and `dd` (1 each) stay.  Document 3 matches
    # `aa`, then, across the removed `bb`, the 2-gram `ccdd` (kept with `dd`), in the weaker field.
    index = make_index([{"id": 0, "title": "bb cc"}, {"id": 1, "title": "bb cc"}, {"id": 2, "title": "bb"},
                        {"id": 3, "title": "aa", "body": "zz ccdd"}],
                       {"searchableAttributes": ["title", "body"]})
    result = index.search("aa bb cc dd ", matching_strategy="frequency", show_ranking_score=True,
                          show_ranking_score_details=True)
    assert ids(result) == [3]
    hit = result["hits"][0]
    assert hit["_rankingScoreDetails"] == {
        "words": {"order": 0, "matchingWords": 1, "maxMatchingWords": 3, "score": 1 / 3},
        # aa (0 of 1) + ccdd (2 of 2 + 1)
        "typo": {"order": 1, "typoCount": 2, "maxTypoCount": 4, "score": 0.6},
        # aa and ccdd are not adjacent in the query (bb between): only the 2-gram's 1
        "proximity": {"order": 2, "score": 0.5},
        # aa in title (0), ccdd in body (1 x 2 words) of at most 1 x 3 term indexes
        "attributeRank": {"order": 3, "score": 0.5},
        # aa: 0; ccdd at 1 for query position 2: f(1) + f(2) = 3; of 3 x 10
        "wordPosition": {"order": 4, "score": 28 / 31},
        # `aa` alone is the exact term, and the title is exactly `aa`
        "exactness": {"order": 5, "matchType": "exactMatch", "score": 1.0},
    }
    # (1, 3) (3, 5) (1, 2) (2, 4) (28, 31), exact-attribute (3, 3), exact-words (2, 4) folded
    assert hit["_rankingScore"] == 6658 / 44640
