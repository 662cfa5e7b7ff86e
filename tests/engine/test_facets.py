"""Facet distribution, facet stats and facet search (engine/facets/, filters-facets.md §5, §6).

Properties proved:
 1. facetDistribution / facetStats equal a brute-force count over the documents, for generated
    corpora, candidate sets, orders and maxValuesPerFacet (hypothesis).
 2. Distribution keys are the selected fields sorted by name; a field without values among the
    candidates is `{}`; facetStats lists only fields with a numeric value among the candidates.
 3. Per field, numbers come before strings, and maxValuesPerFacet caps the total (numbers first).
 4. alpha: strings by normalized value, bytewise; numbers numerically (our documented choice).
 5. count: decreasing count, equal counts in reverse key order (numbers and strings).
 6. Number keys: shortest decimal, no exponent, no trailing `.0`.
 7. String keys: one original spelling per normalized value (lowest docid); `Blue`/`  blue` merge;
    when the lowest document loses the value (deleted, replaced without it, in one batch or
    several), the spelling becomes the next holder's, as on an index built afresh.
 8. facetStats: JSON floats, min/max among the candidates only, numeric-looking strings ignored.
 9. sort_by_for: exact field name first, else `*`, else alpha.
10. Facet search errors: disabled setting, and the three `invalid_facet_search_facet_name` texts.
11. Facet search without a query lists every string value with a non-zero count (numbers never),
    in alpha order cut at maxValuesPerFacet, or in count order (ties by value descending; when
    full, later equal counts replace earlier ones).
12. Facet search matching: accents/ligatures removed on both sides; prefix of the whole value
    (multi-word); typo budget from the normalized query's *byte* length; no first-letter rule;
    typos disabled / disableOnAttributes -> starts-with; disableOnWords -> equal only.
13. prefix_distances equals a brute-force min over prefixes of an OSA DP (hypothesis), and
    facet_search equals a brute-force facet search over generated values (hypothesis).
14. Over the stored LMDB facet table (FacetIndexer + LmdbFacetSource) both functions give the
    brute-force answers too (hypothesis).
"""
from __future__ import annotations

from collections import defaultdict
import itertools
from typing import Any, Iterable, Iterator

import pytest
from hypothesis import example, given, settings as hsettings, strategies as st
from pyroaring import BitMap

from engine.errors import LoupeError
from engine.facets.distribution import facet_distribution, sort_by_for
from engine.facets.filterable import FilterableRules
from engine.facets.memory import MemoryFacetSource
from engine.facets.search import facet_search, prefix_distances, search_normalize, typo_budget
from engine.facets.source import LmdbFacetSource
from engine.facets.values import flatten_facet_values, format_facet_number, normalize_facet_string
from engine.indexer.facets import FacetIndexer
from engine.store import Store


class Source(MemoryFacetSource):
    """MemoryFacetSource plus the two reads facets need (ascending numbers, display spelling)."""

    def number_values(self, field: str) -> Iterable[tuple[float, BitMap]]:
        index = self.fields.get(field)
        if index is None or index.number_keys is None:
            return ()
        return zip(index.number_keys.tolist(), index.number_bitmaps)

    def display_value(self, field: str, normalized: str) -> str:
        docid = self.fields[field].strings[normalized].min()
        return next(o for o in self.originals[field][docid] if normalize_facet_string(o) == normalized)


def everyone(docs: list) -> BitMap:
    return BitMap(range(len(docs)))


def dist(docs: list, fields: list[str], max_values: int = 100, sort_by: dict | None = None,
         candidates: BitMap | None = None) -> tuple[dict, dict]:
    return facet_distribution(Source(docs), everyone(docs) if candidates is None else candidates, fields,
                              max_values, sort_by or {"*": "alpha"})


# -- 1. brute force ---------------------------------------------------------------------------------

def brute_distribution(docs: list, candidates: set[int], fields: list[str], max_values: int,
                       sort_by: dict) -> tuple[dict, dict]:
    out: dict[str, dict[str, int]] = {}
    stats: dict[str, dict[str, float]] = {}
    for field in sorted(set(fields)):
        numbers: dict[float, set[int]] = defaultdict(set)
        strings: dict[str, set[int]] = defaultdict(set)
        display: dict[str, str] = {}
        for docid, doc in enumerate(docs):
            facets = flatten_facet_values(doc).get(field)
            if facets is None:
                continue
            for number in facets.numbers:
                numbers[number].add(docid)
            for original, normalized in facets.strings:
                strings[normalized].add(docid)
                display.setdefault(normalized, original)
        ncount = {n: len(d & candidates) for n, d in numbers.items() if d & candidates}
        scount = {s: len(d & candidates) for s, d in strings.items() if d & candidates}
        if ncount:
            stats[field] = {"min": float(min(ncount)), "max": float(max(ncount))}
        order = sort_by.get(field, sort_by.get("*", "alpha"))
        if order == "alpha":
            nlist, slist = sorted(ncount.items()), sorted(scount.items())
        else:
            nlist = sorted(ncount.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
            slist = sorted(scount.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        values: dict[str, int] = {}
        for key, count in [(format_facet_number(n), c) for n, c in nlist] + [(display[s], c) for s, c in slist]:
            if len(values) >= max_values:
                break
            values[key] = count
        out[field] = values
    return out, stats


_STRINGS = ["Blue", "  blue", "BLUE", "red", "Réd", "réd", "2", "10", "é", "Z", "a", "zz", "true"]
_NUMBERS = [0, 1, 2, 2.0, 10, 4.5, -3, 0.1, 1e21, 7, 100]
_leaf = st.one_of(st.sampled_from(_STRINGS), st.sampled_from(_NUMBERS), st.booleans(), st.none(), st.just(""))
_value = st.one_of(_leaf, st.lists(_leaf, max_size=4), st.fixed_dictionaries({"sub": _leaf}))
_doc = st.dictionaries(st.sampled_from(["a", "b", "c"]), _value, max_size=3)


@hsettings(max_examples=300, deadline=None)
@given(
    docs=st.lists(_doc, max_size=25),
    picks=st.lists(st.integers(0, 24), max_size=25),
    max_values=st.integers(0, 12),
    orders=st.fixed_dictionaries({"*": st.sampled_from(["alpha", "count"])},
                                 optional={"a": st.sampled_from(["alpha", "count"])}),
)
def test_distribution_matches_brute_force(docs: list, picks: list[int], max_values: int, orders: dict) -> None:
    candidates = {p for p in picks if p < len(docs)}
    fields = ["a", "b", "c.sub", "c", "missing"]
    got = facet_distribution(Source(docs), BitMap(candidates), fields, max_values, orders)
    expected = brute_distribution(docs, candidates, fields, max_values, orders)
    assert got == expected
    for field in got[0]:  # dict order is part of the JSON output
        assert list(got[0][field].items()) == list(expected[0][field].items())


# -- 2. field keys, {} and stats presence -----------------------------------------------------------

def test_keys_sorted_missing_field_empty_and_stats_only_numeric() -> None:
    docs = [{"genres": "Action", "rating": 3}, {"genres": "Drama", "tags": []}]
    distribution, stats = dist(docs, ["tags", "rating", "genres", "nope"])
    assert list(distribution) == ["genres", "nope", "rating", "tags"]
    assert distribution == {"genres": {"Action": 1, "Drama": 1}, "nope": {}, "rating": {"3": 1}, "tags": {}}
    assert stats == {"rating": {"min": 3.0, "max": 3.0}}


def test_field_without_candidate_values_is_empty() -> None:
    docs = [{"genres": "Action", "rating": 3}, {"genres": "Drama"}]
    assert dist(docs, ["genres", "rating"], candidates=BitMap([1])) == ({"genres": {"Drama": 1}, "rating": {}}, {})
    assert dist(docs, ["genres"], candidates=BitMap()) == ({"genres": {}}, {})


# -- 3. numbers first, cap in total -----------------------------------------------------------------

def test_numbers_first_then_strings_and_total_cap() -> None:
    docs = [{"v": "apple"}, {"v": 5}, {"v": "banana"}, {"v": 1}, {"v": "cherry"}]
    assert list(dist(docs, ["v"])[0]["v"].items()) == [("1", 1), ("5", 1), ("apple", 1), ("banana", 1), ("cherry", 1)]
    assert list(dist(docs, ["v"], max_values=3)[0]["v"]) == ["1", "5", "apple"]
    assert list(dist(docs, ["v"], max_values=1)[0]["v"]) == ["1"]
    assert dist(docs, ["v"], max_values=0) == ({"v": {}}, {"v": {"min": 1.0, "max": 5.0}})
    docs += [{"v": "banana"}, {"v": "banana"}, {"v": 5}]
    # count order keeps numbers first even when a string is more frequent
    assert list(dist(docs, ["v"], 3, {"*": "count"})[0]["v"].items()) == [("5", 2), ("1", 1), ("banana", 3)]


# -- 4. alpha order ---------------------------------------------------------------------------------

def test_alpha_strings_bytewise_on_normalized_value() -> None:
    docs = [{"v": "zebra"}, {"v": "Éclair"}, {"v": "apple"}, {"v": "Banana"}, {"v": "éclat"}, {"v": "Zulu"}]
    # normalized: "e\u0301clair" sorts among the e's; uppercase folded
    assert list(dist(docs, ["v"])[0]["v"]) == ["apple", "Banana", "Éclair", "éclat", "zebra", "Zulu"]
    docs2 = [{"v": "ß"}, {"v": "z"}, {"v": "ø"}]
    assert list(dist(docs2, ["v"])[0]["v"]) == ["z", "ß", "ø"]  # U+00DF < U+00F8, both after ASCII


def test_alpha_numbers_are_numeric_not_by_string_key() -> None:
    # upstream sorts by string key ("10" < "2") below 3 000 candidates; we pick numeric order
    docs = [{"n": 10}, {"n": 2}, {"n": -1.5}, {"n": 100}, {"n": 9}]
    assert list(dist(docs, ["n"])[0]["n"]) == ["-1.5", "2", "9", "10", "100"]
    assert list(dist(docs, ["n"], max_values=2)[0]["n"]) == ["-1.5", "2"]


# -- 5. count order ---------------------------------------------------------------------------------

def test_count_order_desc_ties_reverse_key() -> None:
    docs = [{"v": ["b", "a", "c", 1, 3]}, {"v": ["b", "d", 2, 3]}, {"v": ["a", "b", 1]}]
    distribution, _ = dist(docs, ["v"], sort_by={"v": "count", "*": "alpha"})
    assert list(distribution["v"].items()) == [("3", 2), ("1", 2), ("2", 1), ("b", 3), ("a", 2), ("d", 1), ("c", 1)]
    capped, _ = dist(docs, ["v"], max_values=5, sort_by={"*": "count"})
    assert list(capped["v"].items()) == [("3", 2), ("1", 2), ("2", 1), ("b", 3), ("a", 2)]


# -- 6. number keys ---------------------------------------------------------------------------------

@pytest.mark.parametrize("number, key", [
    (2, "2"), (2.0, "2"), (4.5, "4.5"), (10, "10"), (0.1, "0.1"), (1e21, "1000000000000000000000"),
    (1e-7, "0.0000001"), (-3.25, "-3.25"), (123456789012, "123456789012"),
])
def test_number_keys(number: float, key: str) -> None:
    assert dist([{"n": number}], ["n"])[0] == {"n": {key: 1}}


# -- 7. display spelling ----------------------------------------------------------------------------

def test_display_spelling_merges_normalized_values() -> None:
    docs = [{"c": "  blue"}, {"c": "Blue"}, {"c": "BLUE "}, {"c": "Bleu"}]
    assert dist(docs, ["c"])[0] == {"c": {"Bleu": 1, "  blue": 3}}
    assert dist([{"c": True}, {"c": "TRUE"}], ["c"])[0] == {"c": {"true": 2}}


# -- 8. stats ---------------------------------------------------------------------------------------

def test_stats_floats_among_candidates_ignore_numeric_strings() -> None:
    docs = [{"p": 1}, {"p": [7, 3]}, {"p": "1000"}, {"p": -2.5}, {"s": "9"}]
    assert dist(docs, ["p", "s"])[1] == {"p": {"min": -2.5, "max": 7.0}}
    _, stats = dist(docs, ["p", "s"], candidates=BitMap([1, 2]))
    assert stats == {"p": {"min": 3.0, "max": 7.0}}
    assert type(stats["p"]["min"]) is float and type(stats["p"]["max"]) is float
    assert dist(docs, ["p"], candidates=BitMap([2]))[1] == {}


# -- 9. sort_by_for ---------------------------------------------------------------------------------

def test_sort_by_for() -> None:
    assert sort_by_for("genres", {"genres": "count", "*": "alpha"}) == "count"
    assert sort_by_for("genre", {"genres": "count", "*": "alpha"}) == "alpha"
    assert sort_by_for("x", {"*": "count"}) == "count"
    assert sort_by_for("x", {"y": "count"}) == "alpha"
    assert sort_by_for("x", None) == "alpha"


# -- facet search helpers ---------------------------------------------------------------------------

GENRES = [
    {"g": "Action"}, {"g": ["Adventure", "Action"]}, {"g": "àdventure"}, {"g": "Drama"},
    {"g": "Jane Austen"}, {"g": "Æsir"}, {"g": 42}, {"g": "Comedy"}, {"g": "Adventure"},
]


def search(query: str | None, docs: list = GENRES, settings: dict | None = None,
           rules: Any = ("g",), candidates: BitMap | None = None, facet: str = "g") -> list[tuple[str, int]]:
    hits = facet_search(Source(docs), everyone(docs) if candidates is None else candidates, facet, query,
                        settings or {}, FilterableRules(list(rules)))
    return [(hit["value"], hit["count"]) for hit in hits]


def error_of(**kwargs: Any) -> tuple[str, str]:
    with pytest.raises(LoupeError) as info:
        search("a", **kwargs)
    return info.value.code, info.value.message


# -- 10. errors -------------------------------------------------------------------------------------

def test_facet_search_disabled() -> None:
    assert error_of(settings={"facetSearch": False}) == (
        "facet_search_disabled", "The facet search is disabled for this index")


def test_not_facet_searchable_messages() -> None:
    assert error_of(rules=["genres", "title"], facet="invalid") == (
        "invalid_facet_search_facet_name",
        "Attribute `invalid` is not facet-searchable. Available facet-searchable attributes patterns are: "
        "`genres, title`. To make it facet-searchable add it to the `filterableAttributes` index settings.")
    assert error_of(rules=[], facet="g") == (
        "invalid_facet_search_facet_name",
        "Attribute `g` is not facet-searchable. This index does not have configured facet-searchable "
        "attributes. To make it facet-searchable add it to the `filterableAttributes` index settings.")
    assert error_of(rules=[{"attributePatterns": ["genres"]}], facet="genres") == (
        "invalid_facet_search_facet_name",
        "Attribute `genres` is not facet-searchable. Note: this attribute matches rule #0 in filterableAttributes, "
        "but this rule does not enable facetSearch.\nHint: enable facetSearch in rule #0 by adding "
        "`\"facetSearch\": true` to the rule.\nHint: prepend another rule matching genres with facetSearch: "
        "true before rule #0")
    # the first matching rule decides, even when a later rule would allow facet search
    code, message = error_of(rules=["x", {"attributePatterns": ["g*"]}, "g"], facet="g")
    assert code == "invalid_facet_search_facet_name" and "matches rule #1 in" in message
    # a rule without facetSearch elsewhere does not count as an available pattern
    assert error_of(rules=[{"attributePatterns": ["a"]}, "b"], facet="z")[1].startswith(
        "Attribute `z` is not facet-searchable. Available facet-searchable attributes patterns are: `b`.")


def test_granular_rule_with_facet_search_is_searchable() -> None:
    rules = [{"attributePatterns": ["g"], "features": {"facetSearch": True, "filter": {"equality": False}}}]
    assert search("dra", rules=rules) == [("Drama", 1)]


# -- 11. no query, ordering, max --------------------------------------------------------------------

def test_no_query_lists_string_values_in_key_order() -> None:
    # stored keys are NFKD: "a\u0300dventure" sorts right after "adventure"; "æ" after ASCII
    assert search(None) == [("Action", 2), ("Adventure", 2), ("àdventure", 1), ("Comedy", 1), ("Drama", 1),
                            ("Jane Austen", 1), ("Æsir", 1)]
    assert search(None, candidates=BitMap([0, 3])) == [("Action", 1), ("Drama", 1)]
    assert search(None, settings={"faceting": {"maxValuesPerFacet": 2}}) == [("Action", 2), ("Adventure", 2)]
    assert search(None, settings={"faceting": {"maxValuesPerFacet": 0}}) == []


def test_count_order_ties_by_value_descending() -> None:
    count = {"faceting": {"sortFacetValuesBy": {"g": "count"}}}
    assert search(None, settings=count) == [("Adventure", 2), ("Action", 2), ("àdventure", 1), ("Æsir", 1),
                                            ("Jane Austen", 1), ("Drama", 1), ("Comedy", 1)]
    assert search("adv", settings=count) == [("Adventure", 2), ("àdventure", 1)]
    # full heap: a later equal count replaces the current worst hit
    docs = [{"g": "a"}, {"g": "b"}, {"g": "c"}, {"g": "b"}, {"g": "d"}]
    small = {"faceting": {"maxValuesPerFacet": 2, "sortFacetValuesBy": {"*": "count"}}}
    assert search(None, docs=docs, settings=small) == [("b", 2), ("d", 1)]
    assert search(None, docs=docs, settings={"faceting": {"maxValuesPerFacet": 2}}) == [("a", 1), ("b", 2)]


# -- 12. matching -----------------------------------------------------------------------------------

def test_accents_ligatures_and_case_removed_on_both_sides() -> None:
    # "Adventure" and "àdventure" are distinct stored keys sharing one search form: both hits
    assert search("ÀDVENT") == [("Adventure", 2), ("àdventure", 1)]
    assert search("aes") == [("Æsir", 1)]
    assert search_normalize("  Æsir") == "  aesir"


def test_whole_value_prefix_multi_word() -> None:
    assert search("jane aus") == [("Jane Austen", 1)]
    assert search("austen") == []
    assert search("42") == []  # numbers are never facet-search hits


def test_typo_budget_from_byte_length() -> None:
    assert typo_budget("adve", 5, 9) == 0
    assert typo_budget("adven", 5, 9) == 1
    assert typo_budget("adventur", 5, 9) == 1
    assert typo_budget("adventur3", 5, 9) == 2
    assert typo_budget("東京", 5, 9) == 1  # 2 chars, 6 bytes
    assert search("acto") == []  # 4 bytes: no typo
    assert search("actoi") == [("Action", 2)]  # 5 bytes: one typo (substitution of the last prefix char)
    assert search("avdenture") == [("Adventure", 2), ("àdventure", 1)]  # swap = 1 typo
    assert search("acxtion") == [("Action", 2)] and search("acxtoin") == []  # 7 bytes: 1 typo only
    assert search("axventurz") == [("Adventure", 2), ("àdventure", 1)]  # 9 bytes: two typos
    docs = [{"g": "東京タワー"}, {"g": "大阪"}, {"g": "ab"}]
    assert search("東都", docs=docs) == [("東京タワー", 1)]  # 6 bytes: one typo although 2 chars
    assert search("xb", docs=docs) == []


def test_no_first_letter_rule() -> None:
    assert search("xction") == [("Action", 2)]


def test_min_word_size_settings() -> None:
    loose = {"typoTolerance": {"minWordSizeForTypos": {"oneTypo": 1, "twoTypos": 3}}}
    assert search("dx", settings=loose) == [("Drama", 1)]
    assert search("xyr", settings=loose) == [("Drama", 1)]  # "dra" at two substitutions
    assert search("xyr", settings={"typoTolerance": {"minWordSizeForTypos": {"oneTypo": 1, "twoTypos": 4}}}) == []


def test_typos_disabled_or_attribute_exact_means_starts_with() -> None:
    assert search("actoin") == [("Action", 2)]
    assert search("actoin", settings={"typoTolerance": {"enabled": False}}) == []
    assert search("actio", settings={"typoTolerance": {"enabled": False}}) == [("Action", 2)]
    assert search("actoin", settings={"typoTolerance": {"disableOnAttributes": ["g"]}}) == []
    assert search("actoin", settings={"typoTolerance": {"disableOnAttributes": ["gg"]}}) == [("Action", 2)]


def test_disable_on_words_means_equal_value_only() -> None:
    words = {"typoTolerance": {"disableOnWords": ["Drama", "actio"]}}
    assert search("drama", settings=words) == [("Drama", 1)]
    assert search("actio", settings=words) == []  # no value equals "actio", no prefix either
    assert search("dráma", settings=words) == [("Drama", 1)]


def test_zero_counts_skipped() -> None:
    assert search("adv", candidates=BitMap([2])) == [("àdventure", 1)]
    assert search("", candidates=BitMap([3, 6])) == [("Drama", 1)]


# -- 13. differential tests -------------------------------------------------------------------------

def osa(a: str, b: str) -> int:
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def prefix_osa(query: str, value: str) -> int:
    return min(osa(query, value[:length]) for length in range(len(value) + 1))


_word = st.text(alphabet="abcé ", max_size=7)


@hsettings(max_examples=300, deadline=None)
@given(query=_word, values=st.lists(_word, max_size=8), budget=st.integers(1, 2))
def test_prefix_distances_match_dp(query: str, values: list[str], budget: int) -> None:
    got = prefix_distances(query, values, budget).tolist()
    assert got == [min(prefix_osa(query, value), budget + 1) for value in values]


def brute_facet_search(docs: list, candidates: set[int], query: str | None, max_values: int, order: str) -> list:
    keys: dict[str, set[int]] = defaultdict(set)
    display: dict[str, str] = {}
    for docid, doc in enumerate(docs):
        for original, normalized in flatten_facet_values(doc).get("g", flatten_facet_values({"g": []})["g"]).strings:
            keys[normalized].add(docid)
            display.setdefault(normalized, original)
    hits = []
    for key in sorted(keys, key=lambda k: (search_normalize(k), k) if query is not None else k):
        value = search_normalize(key)
        if query is not None:
            q = search_normalize(query)
            budget = typo_budget(q, 5, 9)
            if prefix_osa(q, value) > budget:
                continue
        count = len(keys[key] & candidates)
        if count:
            hits.append((display[key], count))
    if order == "alpha":
        return hits[:max_values]
    kept: list[tuple[int, str]] = []
    for value, count in hits:  # upstream heap semantics, spelled out with a sorted list
        if len(kept) < max_values:
            kept.append((count, value))
        elif max_values and min(kept)[0] <= count:
            kept.remove(min(kept))
            kept.append((count, value))
    return [(value, count) for count, value in sorted(kept, reverse=True)]


_fs_values = st.sampled_from(["Action", "action ", "Àction", "Actor", "acton", "Bacon", "Drama", "dram",
                              "Jane Austen", "jane", "Æsir", "aesir", "Adventure", "adventures", "x"])


@hsettings(max_examples=200, deadline=None)
@given(
    docs=st.lists(st.fixed_dictionaries({"g": st.one_of(_fs_values, st.lists(_fs_values, max_size=3))}), max_size=15),
    picks=st.lists(st.integers(0, 14), max_size=15),
    query=st.one_of(st.none(), st.sampled_from(["", "act", "actoin", "àction", "jane a", "dramma", "aes",
                                                "advnture", "bacn", "x", "zzzzzz"])),
    max_values=st.integers(0, 6),
    order=st.sampled_from(["alpha", "count"]),
)
def test_facet_search_matches_brute_force(docs: list, picks: list[int], query: str | None, max_values: int,
                                          order: str) -> None:
    candidates = {p for p in picks if p < len(docs)}
    settings = {"faceting": {"maxValuesPerFacet": max_values, "sortFacetValuesBy": {"*": order}}}
    got = search(query, docs=docs, settings=settings, candidates=BitMap(candidates))
    assert got == brute_facet_search(docs, candidates, query, max_values, order)


# -- 14. the LMDB facet table -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = Store(tmp_path_factory.mktemp("facets"))
    yield opened
    opened.close()


_iids = itertools.count(1)


@hsettings(max_examples=60, deadline=None)
@given(
    docs=st.lists(_doc, max_size=15),
    picks=st.lists(st.integers(0, 14), max_size=15),
    max_values=st.integers(1, 8),
    order=st.sampled_from(["alpha", "count"]),
    query=st.one_of(st.none(), st.sampled_from(["blu", "rde", "réd", "z"])),
)
# one document spelling a value twice: the first spelling is displayed, on the flat-array path too
@example(docs=[{}] * 10 + [{"a": ["Blue", "  blue"]}], picks=[10], max_values=1, order="alpha", query=None)
@example(docs=[{"a": ["  blue", "Blue", {"sub": 1}]}], picks=[0], max_values=2, order="alpha", query="blu")
def test_lmdb_source_matches_brute_force(store: Store, docs: list, picks: list[int], max_values: int, order: str,
                                         query: str | None) -> None:
    iid = next(_iids)
    settings = {"filterableAttributes": ["a", "b", "c"],
                "faceting": {"maxValuesPerFacet": max_values, "sortFacetValuesBy": {"*": order}}}
    with store.index_env.begin(write=True) as txn:
        indexer = FacetIndexer(store, txn, iid, settings)
        for docid, doc in enumerate(docs):
            indexer.on_change(docid, None, doc)
        indexer.finish()
    candidates = {p for p in picks if p < len(docs)}
    fields = ["a", "b", "c", "c.sub"]
    with store.index_env.begin() as txn:
        source = LmdbFacetSource(store, txn, iid, everyone(docs))
        got = facet_distribution(source, BitMap(candidates), fields, max_values, {"*": order})
        hits = facet_search(source, BitMap(candidates), "a", query, settings, FilterableRules(["a", "b", "c"]))
    expected = brute_distribution(docs, candidates, fields, max_values, {"*": order})
    assert got == expected
    assert [list(v.items()) for v in got[0].values()] == [list(v.items()) for v in expected[0].values()]
    renamed = [{"g": doc["a"]} if "a" in doc else {} for doc in docs]
    assert [(h["value"], h["count"]) for h in hits] == brute_facet_search(renamed, candidates, query, max_values, order)


def test_display_spelling_follows_the_lowest_remaining_document(tmp_path) -> None:
    from engine.engine import Engine
    from engine.settings import task_details, validate_settings_patch

    patch = validate_settings_patch({"filterableAttributes": ["color"]})
    steps = {
        "delete": [("add", [{"id": 1, "color": "Red"}, {"id": 2, "color": "red"}, {"id": 3, "color": "RED"}]),
                   ("delete", ["1"])],
        "replace": [("add", [{"id": 1, "color": "Red"}, {"id": 2, "color": "red"}]), ("add", [{"id": 1}])],
        "same batch": [("add", [{"id": 1, "color": "Red"}]), ("add", [{"id": 1}, {"id": 2, "color": "red"}])],
        "lower comes back": [("add", [{"id": 1, "color": "Red"}, {"id": 2, "color": "red"}]), ("add", [{"id": 1}]),
                             ("add", [{"id": 1, "color": "rED"}])],
    }
    expected = {"delete": {"red": 2}, "replace": {"red": 1}, "same batch": {"red": 1}, "lower comes back": {"rED": 2}}
    for n, (name, operations) in enumerate(steps.items()):
        engine = Engine(tmp_path / f"db{n}")
        try:
            task = engine.update_settings("t", patch, task_details(patch))
            assert engine.wait_for_task(task["uid"])["status"] == "succeeded"
            for kind, arg in operations:
                task = (engine.add_documents("t", arg, primary_key="id") if kind == "add"
                        else engine.delete_documents("t", arg))
                assert engine.wait_for_task(task["uid"])["status"] == "succeeded"
            assert engine.index("t").search(q=None, facets=["color"])["facetDistribution"] == {"color": expected[name]}, name
        finally:
            engine.close()
