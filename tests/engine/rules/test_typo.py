"""`typo` rule and derivations (ranking.md §3, §7.3).

Properties:
1. 0 typos before 1 before 2; the typo count is in the details;
2. words shorter than 5 chars get no typo; 5–8 one; 9+ two;
3. a typo on the first letter counts as two;
4. the last word is a prefix; a trailing space turns prefix off;
5. typoTolerance.enabled = false disables typos;
6. under disableOnNumbers, words of numbers and ASCII punctuation only (no digit needed) are
   found exactly, never through a typo; other words keep their typos;
7. the first rule sees the whole query graph: with matchingStrategy "all" the 2-gram `helloworld`
   counts in maxTypoCount even when no document has it;
8. a typo bucket hands the next rule only the derivations its paths used: `alpho` (one typo from
   `alpha`) does not make `alpho brava` close when `alpha` is what the bucket's path matched.
"""


def ids(result):
    return [hit["id"] for hit in result["hits"]]


def test_typo_buckets(make_index):
    index = make_index([{"id": 1, "t": "computer"}, {"id": 2, "t": "compuetr"}, {"id": 3, "t": "comptuer"},
                        {"id": 4, "t": "computers"}])
    result = index.search("computer ", show_ranking_score_details=True)
    assert ids(result)[0] == 1
    counts = {h["id"]: h["_rankingScoreDetails"]["typo"]["typoCount"] for h in result["hits"]}
    assert counts[1] == 0 and counts[2] == 1 and counts[3] == 1 and counts[4] == 1


def test_budgets_by_length(make_index):
    index = make_index([{"id": 1, "t": "cat"}, {"id": 2, "t": "house"}, {"id": 3, "t": "beautiful"}])
    assert ids(index.search("cot ")) == []
    assert ids(index.search("hause ")) == [2]
    assert ids(index.search("beaotifol ")) == [3]
    assert ids(index.search("haase ")) == []


def test_first_letter_typo_counts_double(make_index):
    index = make_index([{"id": 1, "t": "keyboards"}, {"id": 2, "t": "heyboards"}])
    result = index.search("keyboards ", show_ranking_score_details=True)
    assert ids(result) == [1, 2]
    assert result["hits"][1]["_rankingScoreDetails"]["typo"]["typoCount"] == 2


def test_prefix_only_on_last_word(make_index):
    index = make_index([{"id": 1, "t": "american"}, {"id": 2, "t": "americ"}])
    assert sorted(ids(index.search("americ"))) == [1, 2]
    assert ids(index.search("americ ")) == [2]


def test_typos_disabled(make_index):
    index = make_index([{"id": 1, "t": "house"}], {"typoTolerance": {"enabled": False}})
    assert ids(index.search("hause ")) == []


def test_disable_on_numbers(make_index):
    docs = [{"id": 1, "t": "123456"}, {"id": 2, "t": "12-34-56"}, {"id": 3, "t": "#@#@#"}, {"id": 4, "t": "house1"}]
    settings = {"nonSeparatorTokens": ["#", "@"], "typoTolerance": {"disableOnNumbers": True}}
    index = make_index(docs, settings)
    assert ids(index.search("123457 ")) == []
    assert ids(index.search("123456 ")) == [1]
    assert ids(index.search("#@#@@ ")) == []
    assert ids(index.search("#@#@# ")) == [3]
    assert ids(index.search("hause1 ")) == [4]
    tolerant = make_index(docs, {"nonSeparatorTokens": ["#", "@"]})
    assert ids(tolerant.search("123457 ")) == [1]
    assert ids(tolerant.search("#@#@@ ")) == [3]


def test_max_typo_count_with_matching_all(make_index):
    index = make_index([{"id": 1, "t": "hello world"}, {"id": 2, "t": "helo world"}], {"rankingRules": ["typo"]})
    hits = index.search("hello world ", matching_strategy="all", show_ranking_score_details=True)["hits"]
    assert [h["_rankingScoreDetails"]["typo"] for h in hits] == [
        {"order": 0, "typoCount": 0, "maxTypoCount": 3, "score": 1.0},
        {"order": 0, "typoCount": 1, "maxTypoCount": 3, "score": 0.75}]


def test_typo_bucket_narrows_derivations_for_proximity(make_index):
    docs = [{"id": 1, "t": "alpho brava x x x x alpha"}, {"id": 2, "t": "alpha x x brava"}]
    index = make_index(docs, {"rankingRules": ["words", "typo", "proximity"]})
    hits = index.search("alpha bravo ", show_ranking_score_details=True)["hits"]
    assert [(h["id"], h["_rankingScoreDetails"]["typo"]["typoCount"], h["_rankingScoreDetails"]["proximity"]["score"])
            for h in hits] == [(2, 1, 0.5), (1, 1, 0.25)]
