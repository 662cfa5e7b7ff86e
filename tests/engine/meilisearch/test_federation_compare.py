"""How federated search compares two hits (engine/meilisearch/federation.py, notes/federation.md
§2.1–§2.2), on hand-made scores.

Properties:
1. Score groups: consecutive ranking rules fold into one weighted score, a sort rule and a geo sort
   each make their own group, a vector similarity is a weighted number; the weighted ranking score
   is the global score times the weight.
2. Numbers compare within f64 epsilon, larger first; a hit with groups left beats one without.
3. Sort values: a missing value last, numbers before strings in both directions, the smaller first
   ascending, the larger first descending; equal values go on to the next group.
4. Geo distances: missing last, the nearer first ascending, the farther first descending.
5. Pairs that cannot be compared (a number against a sort, opposite sort directions): more groups
   left wins, then the larger weighted ranking score, else equal.
"""
from __future__ import annotations

import sys

from engine.search.query import Hit
from engine.search.rules.base import Score
from engine.meilisearch.federation import GEO, NUMBER, SORT, Ranked, compare, score_values


def words(rank, max_rank):
    return Score("words", rank, max_rank)


def typo(rank, max_rank):
    return Score("typo", rank, max_rank)


def sort(value, ascending=True, field="price"):
    return Score(f"{field}:{'asc' if ascending else 'desc'}", 0, 0, (("value", value),), in_score=False)


def geo(distance, ascending=True):
    return Score(f"_geoPoint(0, 0):{'asc' if ascending else 'desc'}", 0, 0,
                 (("value", None), ("distance", distance)), in_score=False)


def ranked(*scores, weight=1.0, position=0):
    return Ranked(Hit(0, b"{}", tuple(scores)), "i", position, weight, None)


def test_score_groups():
    hit = ranked(words(2, 3), typo(3, 4), sort(12.0), Score("exactness", 1, 3), geo(5.0, ascending=False), weight=0.5)
    # words+typo fold: (2-1)*4+3 = 7 of 12
    assert hit.score_values == [(NUMBER, 7 / 12 * 0.5), (SORT, True, 12.0), (NUMBER, 1 / 3 * 0.5), (GEO, False, 5.0)]
    assert hit.weighted_score == hit.hit.score * 0.5
    vector = Score("vectorSort", 0, 0, similarity=0.8, is_vector=True)
    assert score_values((vector,), 2.0) == [(NUMBER, 1.6)]
    assert score_values((Score("vectorSort", 0, 0, is_vector=True),), 2.0) == [(NUMBER, 0.0)]


def test_numbers():
    assert compare(ranked(words(2, 3)), ranked(words(1, 3))) == 1
    assert compare(ranked(words(1, 3), weight=3.0), ranked(words(2, 3))) == 1
    almost = ranked(words(1, 3))
    almost.__dict__["score_values"] = [(NUMBER, 1 / 3 + sys.float_info.epsilon / 2)]
    assert compare(almost, ranked(words(1, 3))) == 0
    assert compare(ranked(words(1, 10)), ranked()) == 1
    assert compare(ranked(), ranked(words(1, 10))) == -1
    assert compare(ranked(words(1, 1), sort(3.0)), ranked(words(1, 1))) == 1


def test_sort_values():
    assert compare(ranked(sort(1.0)), ranked(sort(2.0))) == 1
    assert compare(ranked(sort(1.0, False)), ranked(sort(2.0, False))) == -1
    assert compare(ranked(sort("b")), ranked(sort("a"))) == -1
    assert compare(ranked(sort("b", False)), ranked(sort("a", False))) == 1
    for ascending in (True, False):
        assert compare(ranked(sort(5.0, ascending)), ranked(sort("a", ascending))) == 1
        assert compare(ranked(sort(None, ascending)), ranked(sort("a", ascending))) == -1
        assert compare(ranked(sort(None, ascending)), ranked(sort(None, ascending))) == 0
    assert compare(ranked(sort("a"), words(1, 2)), ranked(sort("a", field="name"), words(2, 2))) == -1


def test_geo():
    assert compare(ranked(geo(10.0)), ranked(geo(20.0))) == 1
    assert compare(ranked(geo(10.0, False)), ranked(geo(20.0, False))) == -1
    assert compare(ranked(geo(None)), ranked(geo(20.0))) == -1
    assert compare(ranked(geo(None), words(2, 2)), ranked(geo(None), words(1, 2))) == 1


def test_not_comparable():
    # a number against a sort: more groups left wins
    assert compare(ranked(words(1, 2), words(1, 2)), ranked(sort(1.0), words(1, 2), typo(1, 2))) == -1
    assert compare(ranked(sort(1.0), Score("exactness", 1, 3)), ranked(words(1, 2))) == 1
    # as many: the larger weighted ranking score
    assert compare(ranked(words(1, 2)), ranked(sort(1.0))) == -1
    assert compare(ranked(words(1, 2), weight=4.0), ranked(sort(1.0))) == 1
    # opposite directions
    assert compare(ranked(sort(1.0), words(1, 2)), ranked(sort(1.0, False), words(2, 2))) == -1
    assert compare(ranked(sort(1.0)), ranked(sort(1.0, False))) == 0
