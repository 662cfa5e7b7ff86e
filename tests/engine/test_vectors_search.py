"""Semantic and hybrid search on small userProvided corpora whose geometry is checked by hand
(hybrid.md §3.1, §4, §5, §8.11–§8.17), through `Index.search` (the Meilisearch dialect, in process).

Properties:
1. Similarity is §8.12's float32 arithmetic: query [1, 0] vs [2, 3] scores 0.7773500680923462; the
   binary-quantized distance of §8.13 gives 0.96875; a distribution shifts scores (§4.2).
2. Semantic search ranks every filtered document, the ones without embedding last with
   `similarity: null` and score 0.0; `semanticHitCount` counts the hits; `queryVector` appears
   only with `retrieveVectors` and prints the shortest f32 form.
3. vectorSort buckets by raw distance: equal distances go to the next rule (sort), then docid.
4. The search kind table: ratio 0.0 is keyword only (no semanticHitCount, embedder unchecked);
   no q and no vector is a placeholder search; ratio 1.0 embeds q (userProvided: error).
5. Hybrid merges follow §5 for ratios 0, 0.3, 0.5, 0.8, 1: the expected order is computed by hand
   from the two lists' scores (ties to semantic, first occurrence wins, unweighted scores shown).
6. The §5.3 worked example and §8.17's weights, on the merge function itself.
7. The good-enough shortcut skips the semantic search; an embedding failure falls back to keyword
   hits with the wrap-around of §8.15.
8. Filters, facets, sort, offset/limit, threshold and estimatedTotalHits work on semantic results.
9. Without a textual ranking rule there is no vectorSort (scores 1.0); a shifted score at or below
   0 is f32::EPSILON, printed `1.1920928955078125e-7`.
10. §5.1's comparison: weighted numbers within f64 epsilon are equal, sorts compare by value, a
    number beats a sort unless it is 0, the longer sequence wins when the other runs out.
11. Hybrid with distinct: a shared value excludes documents in the merge, and offset-skipped
    documents lower estimatedTotalHits (§8.16).
"""
import pytest

from engine.engine import Engine
from engine.search.hybrid import merge, ratio_weights
from engine.search.rules.base import Score
from support import index_documents

MANUAL = {"source": "userProvided", "dimensions": 2}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = Engine(tmp_path_factory.mktemp("vector-search") / "db", worker="thread")
    index_documents(engine, "plane", [
        {"id": 1, "title": "red fox", "price": 30, "colour": "red", "_vectors": {"manual": [1, 0]}},
        {"id": 2, "title": "red fox jumping", "price": 10, "colour": "red", "_vectors": {"manual": [2, 3]}},
        {"id": 3, "title": "blue whale", "price": 20, "colour": "blue", "_vectors": {"manual": [0, 1]}},
        {"id": 4, "title": "fox", "price": 5, "colour": "blue", "_vectors": {"manual": [-1, 0]}},
        {"id": 5, "title": "grey wolf", "price": 5, "colour": "grey", "_vectors": {"manual": None}},
        {"id": 6, "title": "blue fox", "price": 40, "colour": "blue", "_vectors": {"manual": [0, 2]}},
    ], {"embedders": {"manual": MANUAL}, "filterableAttributes": ["colour"], "sortableAttributes": ["price"]})
    index_documents(engine, "binary", [{"id": 1, "_vectors": {"manual": [-1.2, -2.3, 3.2]}}],
                    {"embedders": {"manual": {"source": "userProvided", "dimensions": 3, "binaryQuantized": True}}})
    index_documents(engine, "shifted", [{"id": 1, "_vectors": {"manual": [2, 3]}}],
                    {"embedders": {"manual": {**MANUAL, "distribution": {"mean": 0.7, "sigma": 0.3}}}})
    yield engine
    engine.close()


def search(engine, uid="plane", **params):
    return engine.index(uid).search(**params)


def ids(body):
    return [hit["id"] for hit in body["hits"]]


def scores(body):
    return [hit["_rankingScore"] for hit in body["hits"]]


SEM = {"embedder": "manual", "semanticRatio": 1.0}


# 1 -------------------------------------------------------------------------------------------------

def test_similarity_arithmetic(engine):
    body = search(engine, vector=[1, 0], hybrid=SEM, show_ranking_score_details=True, show_ranking_score=True)
    by_id = {hit["id"]: hit for hit in body["hits"]}
    assert by_id[2]["_rankingScore"] == 0.7773500680923462
    assert by_id[2]["_rankingScoreDetails"] == {"vectorSort": {"order": 0, "similarity": 0.7773500680923462}}
    assert by_id[1]["_rankingScore"] == 1.0          # same direction
    assert by_id[3]["_rankingScore"] == 0.5          # orthogonal
    assert by_id[4]["_rankingScore"] == 0.0          # opposite
    binary = search(engine, "binary", vector=[1, 1, 1], hybrid=SEM, show_ranking_score=True)
    assert scores(binary) == [0.96875]               # hamming 2 over 64 bits
    shifted = search(engine, "shifted", vector=[1, 0], hybrid=SEM, show_ranking_score=True)
    # factor 0.4/0.3, offset 0.5 - factor*0.7, in float32
    assert scores(shifted) == [0.6031334400177002]


# 2 -------------------------------------------------------------------------------------------------

def test_semantic_ranks_every_document(engine):
    body = search(engine, vector=[1, 0], hybrid={"embedder": "manual"}, show_ranking_score=True,
                  show_ranking_score_details=True)
    assert ids(body) == [1, 2, 3, 6, 4, 5]
    assert body["hits"][-1] == {"id": 5, "title": "grey wolf", "price": 5, "colour": "grey", "_rankingScore": 0.0,
                                "_rankingScoreDetails": {"vectorSort": {"order": 0, "similarity": None}}}
    assert body["semanticHitCount"] == 6 and body["estimatedTotalHits"] == 6
    assert "queryVector" not in body and "_vectors" not in body["hits"][0]
    assert list(body) == ["hits", "query", "processingTimeMs", "limit", "offset", "estimatedTotalHits",
                          "requestUid", "semanticHitCount"]
    body = search(engine, vector=[0.8, 0.1], hybrid=SEM, retrieve_vectors=True, limit=1)
    assert body["queryVector"] == [0.8, 0.1]
    assert list(body)[:3] == ["hits", "query", "queryVector"]
    assert body["hits"] == [{"id": 1, "title": "red fox", "price": 30, "colour": "red",
                             "_vectors": {"manual": {"embeddings": [[1.0, 0.0]], "regenerate": False}}}]


# 3 -------------------------------------------------------------------------------------------------

def test_equal_distances_go_to_the_next_rule(engine):
    # ids 3 and 6 point the same way ([0, 1] and [0, 2]): one bucket, sorted by price desc
    body = search(engine, vector=[0, 1], hybrid=SEM, sort=["price:desc"], limit=2, show_ranking_score_details=True)
    assert ids(body) == [6, 3]
    assert body["hits"][0]["_rankingScoreDetails"] == {
        "vectorSort": {"order": 0, "similarity": 1.0}, "price:desc": {"order": 1, "value": 40}}
    assert ids(search(engine, vector=[0, 1], hybrid=SEM, sort=["price:asc"], limit=2)) == [3, 6]


# 4 -------------------------------------------------------------------------------------------------

def test_search_kinds(engine):
    keyword = search(engine, q="fox", hybrid={"embedder": "nope", "semanticRatio": 0.0})
    assert "semanticHitCount" not in keyword and ids(keyword) == [4, 1, 2, 6]
    placeholder = search(engine, hybrid={"embedder": "manual", "semanticRatio": 0.7})
    assert "semanticHitCount" not in placeholder and ids(placeholder) == [1, 2, 3, 4, 5, 6]
    from engine.errors import LoupeError
    with pytest.raises(LoupeError) as err:
        search(engine, q="Captain", hybrid=SEM)
    assert (err.value.code, err.value.message) == (
        "vector_embedding_error", "Error while generating embeddings: user error: attempt to embed the following "
        "text in a configuration where embeddings must be user provided:\n  - `Captain`")
    with pytest.raises(LoupeError) as err:
        search(engine, vector=[1, 0], hybrid={"embedder": "nope"})
    assert err.value.code == "invalid_search_embedder"


# 5 -------------------------------------------------------------------------------------------------

def expected_merge(keyword, semantic, ratio, limit=20):
    """By hand: the heads compared by weighted score, ties to semantic, duplicates skipped."""
    w_sem, w_kw = ratio_weights(ratio)
    out, seen, i, j = [], set(), 0, 0
    while (i < len(semantic) or j < len(keyword)) and len(out) < limit:
        if j >= len(keyword) or (i < len(semantic) and semantic[i][1] * w_sem >= keyword[j][1] * w_kw - 1e-16):
            doc, score, source = *semantic[i], "S"
            i += 1
        else:
            doc, score, source = *keyword[j], "K"
            j += 1
        if doc not in seen:
            seen.add(doc)
            out.append((doc, score, source))
    return out


@pytest.mark.parametrize("ratio", [0.0, 0.3, 0.5, 0.8, 1.0])
def test_hybrid_blends(engine, ratio):
    keyword = [(h["id"], h["_rankingScore"]) for h in search(engine, q="fox", show_ranking_score=True)["hits"]]
    semantic = [(h["id"], h["_rankingScore"])
                for h in search(engine, vector=[0.6, 0.8], hybrid=SEM, show_ranking_score=True)["hits"]]
    # the two lists: "fox" alone first, the others tied by their rules (docid order); cosines with
    # [0.6, 0.8] by hand: [2, 3] 3.6/3.606 -> 0.99923, [0, 1] 0.8 -> 0.9, [1, 0] 0.6 -> 0.8, [-1, 0] -> 0.2
    assert keyword == [(4, 1.0), (1, 0.9242424242424242), (2, 0.9242424242424242), (6, 0.9242424242424242)]
    assert semantic == [(2, 0.9992302060127258), (3, 0.8999999761581421), (6, 0.8999999761581421),
                        (1, 0.800000011920929), (4, 0.19999998807907104), (5, 0.0)]
    body = search(engine, q="fox", vector=[0.6, 0.8], hybrid={"embedder": "manual", "semanticRatio": ratio},
                  show_ranking_score=True)
    if ratio == 0.0:
        want = [(d, s, "K") for d, s in keyword]
    elif ratio == 1.0:
        want = [(d, s, "S") for d, s in semantic]
    else:
        want = expected_merge(keyword, semantic, ratio)
    assert [(h["id"], h["_rankingScore"]) for h in body["hits"]] == [(d, s) for d, s, _ in want]
    if ratio == 0.0:
        assert "semanticHitCount" not in body
    else:
        assert body["semanticHitCount"] == sum(1 for *_x, source in want if source == "S")
    assert body["estimatedTotalHits"] == (4 if ratio == 0.0 else 6)


def test_hybrid_half_by_hand(engine):
    body = search(engine, q="fox", vector=[0.6, 0.8], hybrid={"embedder": "manual"}, show_ranking_score=True)
    # S 2 .4996 vs K 4 .5 -> 4 (K); S 2 .4996 vs K 1 .462 -> 2 (S); S 3 .45 vs K 1 .462 -> 1 (K);
    # K 2 .462 taken already; S 3 .45 vs K 6 .462 -> 6 (K); then S: 3, 6 1 4 taken, 5
    assert ids(body) == [4, 2, 1, 6, 3, 5]
    assert body["semanticHitCount"] == 3


# 6 -------------------------------------------------------------------------------------------------

def kw(doc, score):
    return doc, [Score("words", round(score * 100), 100)]


def sem(doc, similarity):
    return doc, [Score("vectorSort", 1, 1, similarity=similarity, is_vector=True)]


def test_worked_example():
    keyword = [kw("d2", 0.98), kw("d3", 0.95), kw("d1", 0.90)]
    semantic = [sem("d3", 0.99), sem("d1", 0.97), sem("d2", 0.80)]
    # docids: d3 = 0, d1 = 1, d2 = 2
    names = {0: "d3", 1: "d1", 2: "d2"}
    semantic_ids = [(i, s) for i, (_d, s) in enumerate(semantic)]          # d3=0, d1=1, d2=2
    keyword_ids = [(2, keyword[0][1]), (0, keyword[1][1]), (1, keyword[2][1])]
    hits, from_semantic, _taken, _excluded = merge(semantic_ids, keyword_ids, *ratio_weights(0.5), 0, 20)
    assert [names[d] for d, _s in hits] == ["d3", "d2", "d1"]
    assert from_semantic == 2
    hits, from_semantic, _taken, _excluded = merge(semantic_ids, keyword_ids, *ratio_weights(0.2), 0, 20)
    assert [names[d] for d, _s in hits] == ["d2", "d3", "d1"] and from_semantic == 0


def test_ratio_weights():
    assert ratio_weights(0.1) == (0.10000000149011612, 0.8999999761581421)
    assert 0.5 * ratio_weights(0.1)[1] < 0.45


# 7 -------------------------------------------------------------------------------------------------

def test_shortcut_and_fallback(engine):
    # "fox" alone scores 1.0: with limit 1 and ratio 0.5 the keyword hit is good enough
    body = search(engine, q="fox", vector=[0.6, 0.8], hybrid={"embedder": "manual"}, limit=1,
                  retrieve_vectors=True, show_ranking_score=True)
    assert ids(body) == [4] and body["semanticHitCount"] == 0 and "queryVector" not in body
    assert body["estimatedTotalHits"] == 4
    # ratio 0.6: 1.0 × 0.4 < 0.45, the semantic search runs and its best hit wins
    body = search(engine, q="fox", vector=[0.6, 0.8], hybrid={"embedder": "manual", "semanticRatio": 0.6}, limit=1,
                  retrieve_vectors=True)
    assert ids(body) == [2] and body["semanticHitCount"] == 1 and body["queryVector"] == [0.6, 0.8]
    # no vector: embedding q fails for userProvided -> keyword hits, wrapped around past the offset
    body = search(engine, q="fox", hybrid={"embedder": "manual"}, offset=1, limit=5)
    assert ids(body) == [1, 2, 6, 4] and body["semanticHitCount"] == 0 and body["estimatedTotalHits"] == 4
    assert ids(search(engine, q="fox", hybrid={"embedder": "manual"}, offset=4, limit=5)) == []


# 8 -------------------------------------------------------------------------------------------------

def test_filters_facets_pagination_threshold(engine):
    body = search(engine, vector=[1, 0], hybrid=SEM, filter="colour = blue", facets=["colour"],
                  show_ranking_score=True)
    assert ids(body) == [3, 6, 4] and body["estimatedTotalHits"] == 3
    assert body["facetDistribution"] == {"colour": {"blue": 3}}
    assert ids(search(engine, vector=[1, 0], hybrid=SEM, offset=1, limit=2)) == [2, 3]
    body = search(engine, vector=[1, 0], hybrid=SEM, ranking_score_threshold=0.6)
    assert ids(body) == [1, 2] and body["estimatedTotalHits"] == 2
    paged = search(engine, vector=[1, 0], hybrid=SEM, hits_per_page=2, page=2)
    assert ids(paged) == [3, 6] and paged["totalHits"] == 6 and paged["semanticHitCount"] == 2
    body = search(engine, q="fox -jumping", vector=[1, 0], hybrid={"embedder": "manual", "semanticRatio": 0.5})
    assert 2 not in ids(body)


def test_formatted_without_highlight_and_without_vectors(engine):
    body = search(engine, q="fox", vector=[1, 0], hybrid=SEM, attributes_to_highlight=["*"], limit=1,
                  retrieve_vectors=True)
    assert body["hits"][0]["_formatted"] == {"id": "1", "title": "red fox", "price": "30", "colour": "red"}
    body = search(engine, q="fox", vector=[1, 0], hybrid={"embedder": "manual", "semanticRatio": 0.9},
                  attributes_to_highlight=["*"], limit=2)
    assert body["hits"][0]["_formatted"]["title"] == "red <em>fox</em>"


# 9 -------------------------------------------------------------------------------------------------

def test_no_textual_rule_means_no_vector_rule(tmp_path):
    """§8.11: ranking rules without any textual rule give a semantic search no vectorSort: it ranks
    by the sort rules alone and every score is 1.0."""
    engine = Engine(tmp_path / "db", worker="thread")
    try:
        index_documents(engine, "sorted", [
            {"id": 1, "price": 30, "_vectors": {"manual": [1, 0]}},
            {"id": 2, "price": 10, "_vectors": {"manual": [-1, 0]}},
        ], {"embedders": {"manual": MANUAL}, "rankingRules": ["price:asc"], "sortableAttributes": ["price"]})
        body = search(engine, "sorted", vector=[1, 0], hybrid=SEM, show_ranking_score=True,
                      show_ranking_score_details=True)
        assert ids(body) == [2, 1] and scores(body) == [1.0, 1.0]
        assert body["hits"][0]["_rankingScoreDetails"] == {"price:asc": {"order": 0, "value": 10}}
    finally:
        engine.close()


def test_shift_clamps_to_epsilon(tmp_path):
    """§4.2/§8.14: a shifted score at or below 0 becomes f32::EPSILON, printed 1.1920928955078125e-7."""
    import orjson
    engine = Engine(tmp_path / "db", worker="thread")
    try:
        index_documents(engine, "low", [{"id": 1, "_vectors": {"manual": [-1, 0]}}],
                        {"embedders": {"manual": {**MANUAL, "distribution": {"mean": 0.9, "sigma": 0.1}}}})
        body = search(engine, "low", vector=[1, 0], hybrid=SEM, show_ranking_score=True)
        assert scores(body) == [1.1920928955078125e-07]
        assert b'"_rankingScore":1.1920928955078125e-7' in orjson.dumps(body)
    finally:
        engine.close()


# 10 ------------------------------------------------------------------------------------------------

def test_compare_values():
    from engine.search.hybrid import compare, score_values
    price = lambda v: Score("price:asc", 0, 0, (("order", 1), ("value", v)), in_score=False)  # noqa: E731
    keyword = score_values([Score("words", 1, 1), Score("typo", 1, 1), price(10), Score("exactness", 1, 2)], 0.5)
    semantic = score_values([Score("vectorSort", 1, 1, similarity=1.0, is_vector=True), price(20)], 0.5)
    assert keyword == [(0, 0.5), (1, True, 10), (0, 0.25)] and semantic == [(0, 0.5), (1, True, 20)]
    assert compare(semantic, keyword) < 0          # equal numbers, then price 10 sorts first
    assert compare(keyword, semantic) > 0
    assert compare([(0, 0.5)], [(0, 0.5 + 1e-17)]) == 0
    assert compare([(0, 0.3)], [(1, True, 5)]) > 0  # a number beats a sort ...
    assert compare([(0, 0.0)], [(1, True, 5)]) < 0  # ... unless it is 0
    assert compare([(0, 0.5), (1, True, 5)], [(0, 0.5)]) > 0


# 11 ------------------------------------------------------------------------------------------------

def test_hybrid_distinct_candidates(tmp_path):
    """§8.16: with distinct, candidates are ((K ∪ S) − E) ∪ hits, E being every document the merge
    consumed up to the last kept hit (offset-skipped ones included) and those sharing their value."""
    engine = Engine(tmp_path / "db", worker="thread")
    try:
        index_documents(engine, "d", [
            {"id": 1, "title": "fox", "group": "a", "_vectors": {"manual": [-1, 0]}},
            {"id": 2, "title": "fox", "group": "a", "_vectors": {"manual": [-1, 0]}},
            {"id": 3, "title": "red fox", "group": "b", "_vectors": {"manual": [0, 1]}},
            {"id": 4, "title": "wolf", "group": "c", "_vectors": {"manual": [1, 0]}},
        ], {"embedders": {"manual": MANUAL}, "filterableAttributes": ["group"], "distinctAttribute": "group"})
        # ratio 0.6: keyword weights 0.4, so no keyword hit is good enough for the shortcut (1.0 × 0.4 < 0.45)
        hybrid = {"embedder": "manual", "semanticRatio": 0.6}
        # K = 1 (1.0), 3 (0.92); S = 4 (1.0), 3 (0.5), 1 (0.0); 2 shares 1's group.
        # S4 .6 > K1 .4 -> 4; S3 .3 < K1 .4 -> 1; S3 .3 < K3 .37 -> 3
        body = search(engine, "d", q="fox", vector=[1, 0], hybrid=hybrid)
        assert ids(body) == [4, 1, 3] and body["semanticHitCount"] == 1 and body["estimatedTotalHits"] == 3
        body = search(engine, "d", q="fox", vector=[1, 0], hybrid=hybrid, offset=1, limit=1)
        assert ids(body) == [1] and body["semanticHitCount"] == 0
        assert body["estimatedTotalHits"] == 2  # {1, 3, 4} minus the consumed 4 and 1 (and 2), plus the hit 1
    finally:
        engine.close()
