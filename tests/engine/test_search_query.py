"""The engine's typed search API: `Index.execute(Query) -> SearchResult`, no Meilisearch dict in sight.

Properties proved here:
1. A typed query returns hits as (docid, stored JSON, typed scores) in rank order, with the global
   score of ranking.md §8.1; candidates, total and the ranked window come back as values.
2. The typed answer and the Meilisearch-shaped in-process answer (`Index.search`) agree on order,
   scores and totals: the dialect only renders.
3. A filter may be an AST (already parsed) or Meilisearch text; both select the same documents.
4. Facet counts come back as a typed `FacetCounts`; an exhaustive query counts distinct hits exactly.
5. The result carries the query's matching terms with their derivations by typo class (the word,
   its prefix extensions, its one-typo words; n-grams of consecutive words too), computed on demand.
6. `ranking_rules` and `max_total_hits` override the index's settings for one query.
7. Refusals the index decides: an unknown embedder for a semantic or hybrid search is
   `invalid_search_embedder` (also on an index without embedders), a vector of the wrong length
   `invalid_vector_dimensions`; a ratio of 0.0, or neither text nor vector, never looks at the embedder.
8. Scores may be floats: a vector rule's similarity replaces the whole global score and shows as
   `vectorSort: {order, similarity}` in the details (room for the vector rule).
9. The ranking-rule registry names every rule of the settings; `build_rules` keeps the list's rules
   (words first, placeholder drops textual rules, one sort per field, `sort` expands the parameter).
10. `engine` exports the typed API by name (`from engine import Engine, Query`), loaded on first use.
11. `Index.snapshot()` pins one read snapshot: searches, facet counts and settings through it see
    the index as it was, while the writer commits meanwhile.
"""
from __future__ import annotations

import orjson
import pytest

from engine.errors import LoupeError
from engine.filters import parse_filter
from engine.search.query import FacetCounts, Query, Semantic
from engine.search.rules import RULES, SORT_RULES, GeoSortRule, RulePlan, SortRule, build_rules
from engine.search.rules.base import Score
from engine.search.scores import global_score, score_details
from engine.search.sort_spec import GeoSortSpec, SortSpec

DOCS = [
    {"id": 1, "title": "the quick brown fox", "genre": "tale", "year": 2001},
    {"id": 2, "title": "quick brown dogs", "genre": "tale", "year": 1999},
    {"id": 3, "title": "a quack brown fox", "genre": "poem", "year": 2010},
    {"id": 4, "title": "slow green turtle", "genre": "poem", "year": 2020},
]
SETTINGS = {"filterableAttributes": ["genre", "year"], "sortableAttributes": ["year"]}


@pytest.fixture
def index(make_index):
    return make_index(DOCS, SETTINGS)


def ids(result):
    return [orjson.loads(hit.stored)["id"] for hit in result.hits]


# 1 ------------------------------------------------------------------------------------------------

def test_typed_hits_scores_and_totals(index):
    result = index.execute(Query(text="quick fox", scores=True))
    assert ids(result) == [1, 3, 2]
    assert [type(hit.docid) for hit in result.hits] == [int, int, int]
    assert [s.key for s in result.hits[0].scores] == ["words", "typo", "proximity", "attributeRank",
                                                      "wordPosition", "exactness"]
    assert [hit.score for hit in result.hits] == [0.951058201058201, 0.7841710758377425, 0.49242424242424243]
    assert result.total == 3 and len(result.candidates) == 3
    assert (result.offset, result.limit) == (0, 20)
    assert not result.degraded


def test_without_scores_hits_carry_none(index):
    result = index.execute(Query(text="quick fox", limit=1))
    assert ids(result) == [1] and result.hits[0].scores == ()


# 2 ------------------------------------------------------------------------------------------------

def test_typed_and_meilisearch_answers_agree(index):
    typed = index.execute(Query(text="quick fox", scores=True, offset=1, limit=2))
    meili = index.search("quick fox", show_ranking_score=True, offset=1, limit=2)
    assert [h["id"] for h in meili["hits"]] == ids(typed)
    assert [h["_rankingScore"] for h in meili["hits"]] == [hit.score for hit in typed.hits]
    assert meili["estimatedTotalHits"] == typed.total


# 3 ------------------------------------------------------------------------------------------------

def test_filter_as_ast_or_text(index):
    text = index.execute(Query(filter="genre = poem AND year > 2000"))
    ast = index.execute(Query(filter=parse_filter("genre = poem AND year > 2000")))
    assert ids(text) == ids(ast) == [3, 4]


def test_bad_filter_text_is_the_search_filter_error(index):
    with pytest.raises(LoupeError) as info:
        index.execute(Query(filter="genre ="))
    assert info.value.code == "invalid_search_filter"


# 4 ------------------------------------------------------------------------------------------------

def test_facet_counts_are_typed(index):
    result = index.execute(Query(text="brown", facets=("genre", "year")))
    assert result.facets == FacetCounts(
        distribution={"genre": {"poem": 1, "tale": 2}, "year": {"1999": 1, "2001": 1, "2010": 1}},
        stats={"year": {"min": 1999.0, "max": 2010.0}})


def test_exhaustive_distinct_counts_exactly(index):
    result = index.execute(Query(distinct="genre", exhaustive=True))
    assert result.total == 2 and ids(result) == [1, 3]


# 5 ------------------------------------------------------------------------------------------------

def test_matching_terms_with_derivations(index):
    result = index.execute(Query(text="quick fo"))
    quick, fo, joined = result.terms
    assert (quick.words, quick.is_prefix, quick.max_typos) == (("quick",), False, 1)
    assert quick.derivations[0] == (("quick",),)
    assert ("quack",) in quick.derivations[1]
    assert (fo.words, fo.is_prefix) == (("fo",), True)
    assert ("fox",) in fo.derivations[0] and ("fo",) not in fo.derivations[0]  # `fo` is no indexed word
    # the 2-gram `quickfo` is no indexed word and nothing extends it: nothing to highlight
    assert (joined.words, joined.ngram, joined.derivations[0]) == (("quick", "fo"), 2, ())


def test_placeholder_has_no_terms(index):
    assert index.execute(Query()).terms == ()


# 6 ------------------------------------------------------------------------------------------------

def test_ranking_rules_and_max_total_hits_per_query(index):
    by_year = index.execute(Query(text="brown", ranking_rules=("year:desc",), scores=True))
    assert ids(by_year) == [3, 1, 2]
    assert [s.key for s in by_year.hits[0].scores] == ["year:desc"]
    capped = index.execute(Query(max_total_hits=2))
    assert capped.total == 2 and len(capped.hits) == 2


def test_sort_parameter(index):
    result = index.execute(Query(sort=(SortSpec("year", ascending=True),)))
    assert ids(result) == [2, 1, 3, 4]


# 7 ------------------------------------------------------------------------------------------------

def error(index, query):
    with pytest.raises(LoupeError) as info:
        index.execute(query)
    return info.value.code, info.value.message


def test_unknown_embedder_is_refused(index):
    assert error(index, Query(text="fox", semantic=Semantic("nope"))) == (
        "invalid_search_embedder", "Cannot find embedder with name `nope`.")
    assert error(index, Query(semantic=Semantic("nope", vector=(0.1, 0.2)))) == (
        "invalid_search_embedder", "Cannot find embedder with name `nope`.")


def test_embedder_not_looked_at_without_a_semantic_part(index):
    assert ids(index.execute(Query(text="fox", semantic=Semantic("nope", ratio=0.0)))) == [1, 3]
    assert len(index.execute(Query(text="  ", semantic=Semantic("nope"))).hits) == 4


def test_vector_of_the_wrong_length(make_index):
    index = make_index([{**DOCS[0], "_vectors": {"manual": None}}],
                       {"embedders": {"manual": {"source": "userProvided", "dimensions": 2}}})
    assert error(index, Query(semantic=Semantic("manual", vector=(0.1, 0.2, 0.3)))) == (
        "invalid_vector_dimensions", "Invalid vector dimensions: expected: `2`, found: `3`.")


# 8 ------------------------------------------------------------------------------------------------

def test_a_vector_similarity_is_the_global_score():
    words = Score("words", 2, 3)
    vector = Score("vectorSort", 0, 0, in_score=False, similarity=0.8125, is_vector=True)
    assert global_score([words, vector]) == 0.8125
    assert global_score([vector.__class__("vectorSort", 0, 0, in_score=False, is_vector=True)]) == 0.0
    assert score_details([vector, Score("year:asc", 0, 0, (("value", 3.0),), in_score=False)]) == {
        "vectorSort": {"order": 0, "similarity": 0.8125}, "year:asc": {"order": 1, "value": 3.0}}


def test_float_ranks_fold_like_integers():
    assert global_score([Score("a", 1.0, 2.0), Score("b", 3, 4)]) == global_score([Score("a", 1, 2), Score("b", 3, 4)])


# 9 ------------------------------------------------------------------------------------------------

def test_registry_names_every_rule():
    assert set(RULES) == {"words", "typo", "proximity", "attribute", "attributeRank", "wordPosition",
                          "exactness", "sort"}
    assert SORT_RULES == {SortSpec: SortRule, GeoSortSpec: GeoSortRule}
    geo = build_rules(["sort"], RulePlan("last", 0, placeholder=True, sort=(GeoSortSpec(48.8, 2.3, True),)))
    assert [type(r).__name__ for r in geo] == ["GeoSortRule"] and geo[0].key == "_geoPoint(48.8, 2.3):asc"


def test_build_rules_follows_the_list():
    plan = RulePlan("last", 2, sort=(SortSpec("year", False), SortSpec("price", True)))
    names = ["typo", "sort", "words", "typo", "year:asc", "attributeRank", "attribute", "exactness", "price:desc"]
    rules = build_rules(names, plan)
    assert [type(r).__name__ for r in rules] == ["WordsRule", "TypoRule", "SortRule", "SortRule",
                                                 "AttributeRankRule", "ExactnessRule"]
    assert [r.key for r in rules if r.sorted_field] == ["year:desc", "price:asc"]
    placeholder = build_rules(names, RulePlan("all", 0, placeholder=True, sort=plan.sort))
    assert [r.key for r in placeholder] == ["year:desc", "price:asc"]


# 10 -----------------------------------------------------------------------------------------------

def test_public_surface(index):
    import engine
    assert engine.Query is Query and engine.SearchResult is type(index.execute(engine.Query()))
    assert sorted(engine.__all__) == ["Engine", "Index", "LoupeError", "Query", "SearchResult", "Semantic"]
    with pytest.raises(AttributeError):
        engine.Nope  # noqa: B018


# 11 -----------------------------------------------------------------------------------------------

def test_snapshot_pins_one_version(index):
    engine = index.engine
    with index.snapshot() as pinned:
        done = engine.wait_for_task(engine.add_documents(index.uid, [{"id": 5, "title": "quick"}])["uid"])
        assert done["status"] == "succeeded"
        after = index.execute(Query(text="quick"))
        assert after.total == 4 and 5 in ids(after)
        before = pinned.execute(Query(text="quick", facets=("genre",)))
        assert before.total == 3 and sorted(ids(before)) == [1, 2, 3]
        assert pinned.facet_counts(after.candidates, ("genre",)).distribution == {"genre": {"poem": 1, "tale": 2}}
        assert pinned.settings() == index.settings()
    with index.snapshot() as fresh:
        assert fresh.execute(Query(text="quick")).total == 4
