"""`proximity` rule (ranking.md §7.4).

Properties:
1. words next to each other in query order come first, then reversed or one apart, then far;
2. the cost table gives the documented score for `train dragon` on `How to Train Your Dragon` (0.75);
3. words in different fields are never close;
4. an n-gram is a path of its own: entering it costs (terms joined - 1), and in a typo bucket only
   the nodes that bucket's cost can pay for take part (`sun flower` on `sunflower`: typo 2, then
   proximity 1 of 2; `sunflower` does not shorten the path of a typo-0 document).
"""


def ids(result):
    return [hit["id"] for hit in result["hits"]]


def test_closer_first(make_index):
    index = make_index([
        {"id": 1, "t": "dragon far far far far train"},
        {"id": 2, "t": "train dragon"},
        {"id": 3, "t": "dragon train"},
        {"id": 4, "t": "How to Train Your Dragon"},
    ])
    result = index.search("train dragon", show_ranking_score_details=True)
    assert ids(result) == [2, 3, 4, 1]
    scores = {h["id"]: h["_rankingScoreDetails"]["proximity"]["score"] for h in result["hits"]}
    assert scores == {2: 1.0, 3: 0.75, 4: 0.75, 1: 0.25}


def test_different_fields_are_far(make_index):
    index = make_index([{"id": 1, "a": "train", "b": "dragon"}, {"id": 2, "a": "train dragon"}])
    assert ids(index.search("train dragon")) == [2, 1]


def test_ngram_paths(make_index):
    index = make_index([{"id": 1, "t": "sunflower seeds"}, {"id": 2, "t": "sun flower seeds"},
                        {"id": 3, "t": "sunflower oil and sun and more and flower"}])
    result = index.search("sun flower", show_ranking_score_details=True)
    assert ids(result) == [2, 3, 1]
    details = {h["id"]: h["_rankingScoreDetails"] for h in result["hits"]}
    assert details[2]["proximity"]["score"] == 1.0
    # typo 0 bucket: sun and flower apart; the 2-gram (2 typos) is not part of this bucket's paths
    assert details[3]["typo"]["typoCount"] == 0 and details[3]["proximity"]["score"] == 0.25
    # typo 2 bucket: only the 2-gram path, which costs 1 out of 1
    assert details[1]["typo"]["typoCount"] == 2 and details[1]["proximity"]["score"] == 0.5
