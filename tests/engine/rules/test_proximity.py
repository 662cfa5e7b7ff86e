"""`proximity` rule (ranking.md §7.4).

Properties:
1. words next to each other in query order come first, then reversed or one apart, then far;
2. the cost table gives the documented score for `train dragon` on `How to Train Your Dragon` (0.75);
3. words in different fields are never close.
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
