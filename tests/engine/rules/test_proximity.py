"""`proximity` rule (ranking.md §7.4).

Properties:
1. words next to each other in query order come first, then reversed or one apart, then far;
2. the cost table gives the documented score for `train dragon` on `How to Train Your Dragon` (0.75);
3. words in different fields are never close, even at a field's last position (65535) and the
   next field's first;
4. an n-gram is a path of its own: entering it costs (terms joined - 1), and in a typo bucket only
   the nodes that bucket's cost can pay for take part (`sun flower` on `sunflower`: typo 2, then
   proximity 1 of 2; `sunflower` does not shorten the path of a typo-0 document).
5. the costs of a pair, found from each right occurrence's closest left occurrences, equal the
   pair table looked up once per distance (equal keys and the last positions of a field included);
6. a prefix term is costed through every one of its derivations (up to 1,000), in proximity and
   in wordPosition: `bravozz`, the 70th word of `bravo*`, still makes `alpha bravozz` adjacent;
7. a phrase derivation (a split word) takes part only where the phrase matches, and never in
   reversed order: `sun flower` matching `sunflower` is not "right before" the next term `sun`.
"""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.search.rules.proximity import _pair_costs


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


def _costs_by_shifts(left: np.ndarray, right: np.ndarray, reversible: bool) -> np.ndarray:
    """The pair table read literally: look every right key up at each distance, in its own field."""
    costs = np.full(len(right), 3, dtype=np.int64)
    checks = [(1, 0), (2, 1), (3, 2)] + ([(-1, 1), (-2, 2)] if reversible else [])
    for shift, cost in checks:
        close = np.isin(right - shift, left) & ((right - shift) >> 16 == right >> 16)
        costs[close] = np.minimum(costs[close], cost)
    return costs


_POSITIONS = st.sampled_from([*range(13), 65533, 65534, 65535])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), _POSITIONS), max_size=40),
       st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), _POSITIONS), max_size=40),
       st.booleans())
def test_pair_costs_equal_one_lookup_per_distance(left, right, reversible):
    """Closest-neighbour costs equal the per-distance lookups, equal keys and field edges included."""
    def keys(triples):
        return np.array(sorted({d << 32 | f << 16 | p for d, f, p in triples}), dtype=np.int64)
    lk, rk = keys(left), keys(right)
    assert _pair_costs(lk, rk, reversible).tolist() == _costs_by_shifts(lk, rk, reversible).tolist()


def test_prefix_term_uses_all_its_derivations(make_index):
    filler = " ".join(f"bravoa{i:02d}" for i in range(69))
    docs = [{"id": 1, "t": "alpha bravozz"}, {"id": 2, "t": "alpha x x bravoa00"}, {"id": 3, "t": filler}]
    index = make_index(docs, {"rankingRules": ["words", "proximity"]})
    hits = index.search("alpha bravo", show_ranking_score_details=True)["hits"]
    assert [(h["id"], h["_rankingScoreDetails"]["proximity"]["score"]) for h in hits] == [(1, 1.0), (2, 0.5)]
    docs = [{"id": 1, "t": "x x x x bravoa00"}, {"id": 2, "t": "bravozz"}, {"id": 3, "t": filler}]
    index = make_index(docs, {"rankingRules": ["words", "wordPosition"]})
    hits = index.search("bravo", show_ranking_score_details=True)["hits"]
    assert [(h["id"], h["_rankingScoreDetails"]["wordPosition"]["score"]) for h in hits] == [
        (2, 1.0), (3, 1.0), (1, 9 / 11)]


def test_last_position_of_a_field_is_not_next_to_the_next_field(make_index):
    far = ". ".join(["w"] * 8192) + " z z z z z z xray"  # xray lands on position 8191 * 8 + 7 = 65535 of `a`
    docs = [{"id": 1, "a": "xray", "b": "q yankee"}, {"id": 2, "a": far, "b": "yankee"}]
    index = make_index(docs, {"searchableAttributes": ["a", "b"], "rankingRules": ["words", "proximity"]})
    hits = index.search("xray yankee ", show_ranking_score_details=True)["hits"]
    assert [(h["id"], h["_rankingScoreDetails"]["proximity"]["score"]) for h in hits] == [(1, 0.25), (2, 0.25)]
    assert ids(index.search('"xray yankee"')) == []


def test_phrase_derivations_in_proximity(make_index):
    index = make_index([{"id": 1, "t": "tea x book bookshelves"}, {"id": 2, "t": "run book shelf"}])
    hits = index.search("tea bookshelf", show_ranking_score_details=True)["hits"]
    assert hits[0]["id"] == 1 and hits[0]["_rankingScoreDetails"]["proximity"]["score"] == 0.5
    index = make_index([{"id": 1, "t": "sun flower"}])
    for q in ("sunflower sun ", "flower sunflower "):
        details = index.search(q, matching_strategy="all", show_ranking_score_details=True)["hits"][0]["_rankingScoreDetails"]
        assert details["proximity"]["score"] == 0.25, q
