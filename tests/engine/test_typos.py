"""Typo derivations and the lexicon (ranking.md §3.1, §3.2, §3.3).

Properties proved here:

1. The brute-force reference counts an adjacent swap as one edit (OSA) and takes, for a prefix
   term, the best prefix of the candidate word.
2. For exact terms, budgets 1 and 2, `typo_derivations` equals the brute-force reference over the
   whole vocabulary (random vocabularies and queries), caps included.
3. Same for prefix terms (`chevol*` reaches `cheval` and `chevalier`).
4. With the real caps, a vocabulary with more matches than allowed yields exactly the first 150
   one-typo and the first 50 two-typo words in lexicographic order.
5. A typo on the first letter counts as two typos: refused with budget 1, accepted with budget 2
   only one edit away.
6. The query word itself and, for a prefix term, its plain extensions are never typo derivations.
7. Budget 0, an empty word and words over 250 bytes have no typo derivation; budget 3 acts as 2.
8. `typo_budget` follows minWordSizeForTypos counted in chars, `enabled`, `disableOnWords` and
   the 250-byte limit.
9. The lexicon answers membership, prefix ranges (also for U+10FFFF and the empty prefix) and
   bounded prefix listings in lexicographic order, and refuses unsorted or duplicated input.
10. The worked examples in the module docstrings hold, and `Lexicon.typo_derivations` is the
    same function.
11. Search-as-you-type: the one-typo derivations of a prefix term narrowed from those of the
    previous keystroke (`one_typo_after_keystroke`) equal the reference whenever they are
    given, and they are refused when the previous keystroke's list reached its cap.
12. `warm_prefix_candidates` cuts ahead of time every candidate array the first keystrokes with
    a typo read, for the index's own minWordSizeForTypos.
"""
from __future__ import annotations

import doctest
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.search import typos
from engine.search.lexicon import Lexicon
from engine.limits import MAX_ONE_TYPO_COUNT, MAX_TWO_TYPOS_COUNT
from engine.search.typos import (Derivations, one_typo_after_keystroke, typo_budget, typo_derivations,
                                 warm_prefix_candidates)


# -- brute-force reference ---------------------------------------------------------------------

def osa(a: str, b: str) -> int:
    """Optimal string alignment distance, textbook dynamic programming."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def distance(query: str, word: str, is_prefix: bool) -> int:
    if is_prefix:
        return min(osa(query, word[:length]) for length in range(len(word) + 1))
    return osa(query, word)


def reference(words: list[str], query: str, budget: int, is_prefix: bool,
              max_one: int = MAX_ONE_TYPO_COUNT, max_two: int = MAX_TWO_TYPOS_COUNT) -> Derivations:
    """ranking.md §3.2 read literally, one word at a time over the whole sorted vocabulary."""
    one: list[str] = []
    two: list[str] = []
    for word in sorted(words):
        d = distance(query, word, is_prefix)
        if word[0] == query[0]:
            if d == 1:
                one.append(word)
            elif d == 2 and budget >= 2:
                two.append(word)
        elif budget >= 2 and d <= 1:
            two.append(word)
    return Derivations(one[:max_one], two[:max_two])


ALPHABET = "abcé\U0010ffff"
word_st = st.text(alphabet=ALPHABET, min_size=1, max_size=7)
vocab_st = st.sets(word_st, min_size=1, max_size=80).map(sorted)


@st.composite
def vocab_and_query(draw: st.DrawFn) -> tuple[list[str], str]:
    """A vocabulary and a query that is often a mutation of one of its words."""
    words = draw(vocab_st)
    if draw(st.booleans()):
        return words, draw(st.text(alphabet=ALPHABET, min_size=1, max_size=9))
    query = list(draw(st.sampled_from(words)))
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from("isdt"))
        at = draw(st.integers(0, len(query)))
        char = draw(st.sampled_from(ALPHABET))
        if op == "i":
            query.insert(at, char)
        elif op == "s" and at < len(query):
            query[at] = char
        elif op == "d" and at < len(query) and len(query) > 1:
            del query[at]
        elif op == "t" and at + 1 < len(query):
            query[at], query[at + 1] = query[at + 1], query[at]
    return words, "".join(query)


# -- 1. the reference ----------------------------------------------------------------------------

def test_reference_counts_a_swap_as_one_edit_and_takes_the_best_prefix() -> None:
    assert osa("ab", "ba") == 1
    assert osa("ca", "abc") == 3  # OSA, not unrestricted Damerau-Levenshtein (which says 2)
    assert osa("chevol", "cheval") == 1
    assert distance("chevol", "chevalier", is_prefix=True) == 1
    assert distance("chevol", "chevalier", is_prefix=False) == 4


# -- 2., 3. differential tests against the reference --------------------------------------------

@settings(max_examples=400, deadline=None)
@given(vocab_and_query(), st.sampled_from([1, 2]), st.booleans())
def test_matches_brute_force_reference(data: tuple[list[str], str], budget: int,
                                       is_prefix: bool) -> None:
    words, query = data
    got = typo_derivations(Lexicon(words), query, budget, is_prefix)
    assert got == reference(words, query, budget, is_prefix)


@settings(max_examples=300, deadline=None)
@given(vocab_and_query(), st.sampled_from([1, 2]), st.booleans(), st.integers(1, 4),
       st.integers(1, 4))
def test_matches_brute_force_reference_with_small_caps(data: tuple[list[str], str], budget: int,
                                                       is_prefix: bool, max_one: int,
                                                       max_two: int) -> None:
    words, query = data
    got = typo_derivations(Lexicon(words), query, budget, is_prefix, max_one, max_two)
    assert got == reference(words, query, budget, is_prefix, max_one, max_two)


@settings(max_examples=200, deadline=None)
@given(vocab_and_query(), st.sampled_from([1, 2]), st.integers(1, 4), st.integers(1, 4))
def test_prefix_verification_stops_early_only_after_the_caps(data: tuple[list[str], str],
                                                            budget: int, max_one: int,
                                                            max_two: int) -> None:
    words, query = data
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(typos, "VERIFY_BATCH", 1)  # verify one candidate at a time, stop ASAP
        got = typo_derivations(Lexicon(words), query, budget, True, max_one, max_two)
    assert got == reference(words, query, budget, True, max_one, max_two)


@settings(max_examples=400, deadline=None)
@given(vocab_and_query(), st.integers(1, 6))
def test_keystroke_narrowing_matches_reference(data: tuple[list[str], str], max_one: int) -> None:
    words, query = data
    if len(query) < 2:
        query += words[0][:1]
    lex = Lexicon(words)
    previous = typo_derivations(lex, query[:-1], 1, True, max_one, 0).one_typo
    got = one_typo_after_keystroke(lex, query, previous, max_one)
    if len(previous) >= max_one:
        assert got is None  # the previous list may have been cut: not a safe superset
    else:
        assert got == reference(words, query, 1, True, max_one, 0)


def test_keystroke_narrowing_keeps_the_extensions_of_the_shorter_prefix() -> None:
    lex = Lexicon(["chev", "cheval", "chevalier", "chevol", "chevre", "chien", "chvre"])
    previous = typo_derivations(lex, "chev", 1, True).one_typo
    assert previous == ["chvre"]  # `chv`: one deletion from `chev` (chien is two edits away)
    # `chevo`: the words under `chev` that do not extend `chevo` (deletion or substitution of the
    # last char), while chvre, re-checked, is two edits from every prefix of `chevo`
    assert one_typo_after_keystroke(lex, "chevo", previous) == Derivations(
        ["chev", "cheval", "chevalier", "chevre"], [])
    assert one_typo_after_keystroke(lex, "chevo", previous) == typo_derivations(lex, "chevo", 1, True)


@pytest.mark.parametrize("one, two", [(5, 9), (3, 6)])
def test_warmed_candidates_serve_the_first_keystrokes_with_a_typo(one: int, two: int) -> None:
    rng = random.Random(3)
    words = sorted({"".join(rng.choice("abcde") for _ in range(rng.randint(1, 12))) for _ in range(400)})
    lex = Lexicon(words)
    warm_prefix_candidates(lex, one, two)
    warmed = len(lex._cache)
    assert warmed > 0
    for first in "abcde":
        typo_derivations(lex, first + "abcdeabcde"[:one - 1], 1, True)  # a word entering one typo
        typo_derivations(lex, first + "abcdeabcde"[:two - 1], 2, True)  # ... entering two typos
        typo_derivations(lex, first + "abcdeabcde"[:two - 1], 1, True)  # a 2-gram entering one typo
    assert len(lex._cache) == warmed  # nothing new was cut


def test_prefix_term_reaches_words_whose_prefix_has_a_typo() -> None:
    lex = Lexicon(["cheval", "chevalier", "chevaux", "chevol", "chevolet", "chien"])
    assert typo_derivations(lex, "chevol", 1, is_prefix=True) == Derivations(
        ["cheval", "chevalier"], [])  # chevaux: every prefix is 2 edits away
    assert typo_derivations(lex, "chevol", 1, is_prefix=False) == Derivations(["cheval"], [])


# -- 4. caps on a large vocabulary ---------------------------------------------------------------

def test_real_caps_keep_the_first_words_in_lexicographic_order() -> None:
    rng = random.Random(7)
    base = "parameters"
    words = set()
    while len(words) < 3000:
        w = list(base)
        for _ in range(rng.randint(0, 3)):
            at = rng.randrange(len(w))
            w[at] = rng.choice("abcdefghijklmnopqrstuvwxyz")
        if rng.random() < 0.3:
            w.append(rng.choice("xyz"))
        words.add("".join(w))
    vocabulary = sorted(words)
    for is_prefix in (False, True):
        got = typo_derivations(Lexicon(vocabulary), base, 2, is_prefix)
        assert len(got.one_typo) == MAX_ONE_TYPO_COUNT == 150
        assert len(got.two_typos) == MAX_TWO_TYPOS_COUNT == 50
        assert got == reference(vocabulary, base, 2, is_prefix)


# -- 5. first-letter rule ------------------------------------------------------------------------

def test_typo_on_first_letter_counts_as_two() -> None:
    lex = Lexicon(["bonjour", "bonjours", "honjour", "hunjour", "onjour", "xbonjour"])
    assert typo_derivations(lex, "bonjour", 1, False) == Derivations(["bonjours"], [])
    assert typo_derivations(lex, "bonjour", 2, False) == Derivations(
        ["bonjours"], ["honjour", "onjour", "xbonjour"])  # not hunjour: 2 edits, first changed
    assert typo_derivations(lex, "obnjour", 2, False) == Derivations(
        ["onjour"], ["bonjour"])  # the swap of the first two letters is one edit, counted as two


# -- 6. the word itself and its extensions --------------------------------------------------------

def test_word_itself_and_plain_extensions_are_not_typo_derivations() -> None:
    lex = Lexicon(["chevex", "chevol", "chevola", "chevolet"])
    assert typo_derivations(lex, "chevol", 2, False) == Derivations(["chevola"], ["chevex", "chevolet"])
    assert typo_derivations(lex, "chevol", 2, True) == Derivations([], ["chevex"])


# -- 7. no derivation at all ------------------------------------------------------------------------

def test_budget_zero_empty_and_overlong_words_have_no_derivation() -> None:
    lex = Lexicon(["a" * 251, "a" * 252, "cheval"])
    assert typo_derivations(lex, "chevol", 0, True) == Derivations([], [])
    assert typo_derivations(lex, "", 2, True) == Derivations([], [])
    assert typo_derivations(lex, "a" * 251, 2, False) == Derivations([], [])
    assert typo_derivations(lex, "é" * 126, 2, False) == Derivations([], [])  # 252 bytes
    assert typo_derivations(lex, "chevol", 3, False) == typo_derivations(lex, "chevol", 2, False)


# -- 8. typo budget ------------------------------------------------------------------------------

def test_typo_budget_follows_min_word_sizes_in_chars() -> None:
    assert [typo_budget("a" * n) for n in (1, 4, 5, 8, 9, 40)] == [0, 0, 1, 1, 2, 2]
    assert typo_budget("éééé") == 0 and typo_budget("ééééé") == 1  # chars, not bytes
    assert typo_budget("ééééééééé") == 2
    assert typo_budget("chevalier", enabled=False) == 0
    assert typo_budget("chevalier", disable_on_words={"chevalier"}) == 0
    assert typo_budget("cheval", one_typo=2, two_typos=6) == 2
    assert typo_budget("chev", one_typo=2, two_typos=6) == 1
    assert typo_budget("a" * 250) == 2 and typo_budget("a" * 251) == 0
    assert typo_budget("é" * 125) == 2 and typo_budget("é" * 126) == 0  # 250 vs 252 bytes


# -- 9. lexicon ----------------------------------------------------------------------------------

def test_lexicon_lookups() -> None:
    lex = Lexicon(["a", "ab", "abc", "abd", "b", "b\U0010ffff", "b\U0010ffffa", "c"])
    assert lex.contains("abc") and "abd" in lex and not lex.contains("abe") and len(lex) == 8
    assert lex.prefix_range("ab") == (1, 4)
    assert lex.prefix_range("b\U0010ffff") == (5, 7)
    assert lex.prefix_range("") == (0, 8)
    assert lex.prefix_range("zz") == (8, 8)
    assert lex.with_prefix("a") == ["a", "ab", "abc", "abd"]
    assert lex.with_prefix("a", limit=2) == ["a", "ab"]
    assert lex.with_prefix("abz") == []
    assert lex.first_chars == ("a", "b", "c")
    assert lex.first_char_range("b") == (4, 7)


@pytest.mark.parametrize("words", [["b", "a"], ["a", "a"], [""]])
def test_lexicon_refuses_unsorted_or_duplicated_words(words: list[str]) -> None:
    with pytest.raises(ValueError):
        Lexicon(words)


# -- 10. docstring examples ------------------------------------------------------------------------

def test_docstring_examples_hold() -> None:
    from engine.search import lexicon

    assert doctest.testmod(typos).failed == 0 and doctest.testmod(typos).attempted == 3
    assert doctest.testmod(lexicon).failed == 0 and doctest.testmod(lexicon).attempted == 3
    lex = Lexicon(["cheval", "chevalier", "jhevol"])
    assert lex.typo_derivations("chevol", 2, True) == Derivations(["cheval", "chevalier"], ["jhevol"])
