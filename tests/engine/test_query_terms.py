"""From q to query terms (ranking.md §2).  Properties proved here:

1. The §2.5 worked example: 'le "petit prince" -rose, aviateur' with stop word `le`.
2. Placeholder: q None, empty or blank; only stop words followed by a separator; only separators;
   only negative words (which are still returned).
3. The last token is a prefix term (even a stop word); a trailing space disables the prefix;
   prefix_search=False disables it everywhere.
4. Positions: +1 per word or stop word (dropped stop words still consume one), +7 per hard
   separator, soft separators add nothing.
5. Term limit 10: the 10th of 12 words is not a prefix; negative words do not count; a phrase
   counts as one; an unfinished phrase at the cut is discarded.
6. Phrases: quotes toggle; a hard separator inside closes and reopens; an unclosed quote runs to
   the end; stop words are wildcards (None); a stop-word-only phrase is dropped.
7. Negative operator: `-` armed only after whitespace or at the start; `foo-bar` and `- foo` are
   not negations; `-"a b"` is a negative phrase, also when split by a hard separator.
8. Only the first 1000 tokens are read.
9. Terms keep their lemma (normalized) and the original query text.
"""
from __future__ import annotations

from engine.search.query_terms import ParsedQuery, Term, parse_query
from engine.tokenizer import Tokenizer

T = Tokenizer()
STOP = Tokenizer(stop_words=["the", "le", "of"])


def word(w: str, pos: int, prefix: bool = False, original: str | None = None) -> Term:
    return Term((w,), False, prefix, pos, pos, original if original is not None else w)


def phrase(words: tuple, start: int, end: int, original: str) -> Term:
    return Term(words, True, False, start, end, original)


# 1 ------------------------------------------------------------------------------------------------
def test_worked_example():
    parsed = parse_query('le "petit prince" -rose, aviateur', Tokenizer(stop_words=["le"]))
    assert parsed == ParsedQuery(
        terms=[phrase(("petit", "prince"), 1, 2, "petit prince"), word("aviateur", 11, True)],
        negative_words=["rose"],
        negative_phrases=[],
        is_placeholder=False,
    )


# 2 ------------------------------------------------------------------------------------------------
def test_placeholder_when_absent_or_blank():
    for q in (None, "", "   ", "\t\n"):
        assert parse_query(q, T) == ParsedQuery([], [], [], True)


def test_placeholder_when_only_stop_words_then_separator():
    assert parse_query("the ", STOP) == ParsedQuery([], [], [], True)
    assert parse_query("the of ", STOP).is_placeholder


def test_placeholder_when_only_separators():
    assert parse_query("... !!", T) == ParsedQuery([], [], [], True)


def test_placeholder_with_only_negative_words_keeps_them():
    assert parse_query("-foo -bar", T) == ParsedQuery([], ["foo", "bar"], [], True)


# 3 ------------------------------------------------------------------------------------------------
def test_last_word_is_prefix_unless_followed_by_space():
    assert parse_query("americ", T).terms == [word("americ", 0, True)]
    assert parse_query("americ ", T).terms == [word("americ", 0, False)]


def test_last_stop_word_is_a_prefix_term():
    assert parse_query("the", STOP).terms == [word("the", 0, True)]
    assert parse_query("the cat of", STOP).terms == [word("cat", 1), word("of", 2, True)]


def test_prefix_search_disabled():
    assert parse_query("hello wor", T, prefix_search=False).terms == [word("hello", 0), word("wor", 1)]


# 4 ------------------------------------------------------------------------------------------------
def test_positions_with_stop_words_and_hard_separators():
    parsed = parse_query("the cat! dog;; bird-fly", STOP)
    assert parsed.terms == [
        word("cat", 1), word("dog", 9), word("bird", 24), word("fly", 25, True),
    ]


# 5 ------------------------------------------------------------------------------------------------
def test_term_limit_ten():
    parsed = parse_query("a b c d e f g h i j k l", T)
    assert [t.words[0] for t in parsed.terms] == list("abcdefghij")
    assert parsed.terms[-1] == word("j", 9, False)


def test_negative_words_do_not_count_toward_the_limit():
    parsed = parse_query("-x a b c d e f g h i j", T)
    assert len(parsed.terms) == 10 and parsed.negative_words == ["x"]
    assert parsed.terms[-1] == word("j", 10, True)


def test_phrase_counts_as_one_and_unfinished_phrase_is_discarded():
    parsed = parse_query('"a b" c d e f g h i j k', T)
    assert len(parsed.terms) == 10 and parsed.terms[0] == phrase(("a", "b"), 0, 1, "a b")
    parsed = parse_query('a b c d e f g h i "j k', T)
    assert [t.words for t in parsed.terms][-1] == ("j", "k")
    parsed = parse_query('a b c d e f g h i j "k l', T)
    assert len(parsed.terms) == 10 and not any(t.is_phrase for t in parsed.terms)


# 6 ------------------------------------------------------------------------------------------------
def test_hard_separator_inside_a_phrase_splits_it():
    assert parse_query('"Octavia. Butler"', T).terms == [
        phrase(("octavia",), 0, 0, "Octavia"), phrase(("butler",), 8, 8, "Butler"),
    ]


def test_unclosed_quote_runs_to_the_end():
    assert parse_query('foo "bar baz', T).terms == [word("foo", 0), phrase(("bar", "baz"), 1, 2, "bar baz")]


def test_stop_words_in_phrases_are_wildcards():
    parsed = parse_query('"the lord of the rings"', STOP)
    assert parsed.terms == [
        phrase((None, "lord", None, None, "rings"), 1, 4, "the lord of the rings"),
    ]


def test_stop_word_only_phrase_is_dropped():
    assert parse_query('"the of" cat', STOP).terms == [word("cat", 2, True)]


def test_quote_glued_to_words():
    assert parse_query('a"b c"d', T).terms == [word("a", 0), phrase(("b", "c"), 1, 2, "b c"), word("d", 3, True)]


# 7 ------------------------------------------------------------------------------------------------
def test_dash_without_whitespace_before_is_not_negation():
    assert parse_query("foo-bar", T) == ParsedQuery([word("foo", 0), word("bar", 1, True)], [], [], False)


def test_dash_followed_by_space_is_not_negation():
    assert parse_query("- foo", T) == ParsedQuery([word("foo", 0, True)], [], [], False)


def test_negative_word_may_be_a_stop_word():
    assert parse_query("cat -the", STOP) == ParsedQuery([word("cat", 0)], ["the"], [], False)


def test_negative_phrase():
    assert parse_query('-"a b" c', T) == ParsedQuery([word("c", 2, True)], [], [("a", "b")], False)


def test_negative_phrase_split_by_hard_separator_stays_negative():
    assert parse_query('-"a. b" c', T) == ParsedQuery([word("c", 9, True)], [], [("a",), ("b",)], False)


# 8 ------------------------------------------------------------------------------------------------
def test_only_first_thousand_tokens_are_read():
    # "-x " is 3 tokens: 333 of them + "y" is exactly 1000 tokens, so "y" is read (a prefix).
    q = "-x " * 333 + "y"
    assert parse_query(q, T).terms == [word("y", 333, True)]
    # One more "-x " pushes "y" (and the 334th "x") out of the window.
    q = "-x " * 334 + "y"
    assert parse_query(q, T) == ParsedQuery([], ["x"] * 333, [], True)


# 9 ------------------------------------------------------------------------------------------------
def test_terms_keep_lemma_and_original_text():
    assert parse_query("Gläss ﬁne", T).terms == [word("glass", 0, False, "Gläss"), word("fine", 1, True, "ﬁne")]
