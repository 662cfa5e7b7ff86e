"""Text analysis (ranking.md §1).  Properties proved here:

1. Every separator match is its own token, leftmost-longest: "a. b" -> a | ". " (hard) | b, while
   "a.b" -> a | "." (soft) | b, and "  " is two separator tokens.
2. Apostrophes, hyphens and dots inside numbers are soft separators: can't, kebab-case, 32.3.
3. Offsets index the original text, even when normalization changes the length (ﬁ -> fi).
4. Normalization: NFKD, lowercase, accents dropped, æ/œ expanded, ligatures decomposed.
5. Stop words are compared before lowercasing: stop word "The" matches "The", not "the".
6. Hard separators are the sentence-level ones; ":", "-", "/", "." alone are soft.
7. Settings: nonSeparatorTokens make "#" a word char, separatorTokens add separators (soft unless
   in the hard list), dictionary entries stay one word even across separators.
8. ASCII math symbols "= < > | ~" are not separators (charabia's list), "+" and "×" are.
9. Script changes inside a run cut it into words; only Latin-like scripts lose their marks.
10. index_field positions: 0, +1 after soft, +8 after >= 1 hard separator; stop words take a
    position without being indexed; each further value starts 8 after the last indexed word.
11. index_field drops words of > 250 bytes and positions >= 65536 (max_position).
12. The fast indexing path and the general token walk agree on any text (differential, hypothesis)
    and on the Debian sample (opt-in, LOUPE_LARGE_TESTS=1).
13. normalized_char_counts maps lemma chars back to original chars.
14. Every token's char and UTF-8 byte offsets slice the original text back to what was typed
    (accents, capitals, ligatures, CJK, emoji, decomposed marks), and the tokens tile the text.
15. field_tokens gives each word the position index_field gives it, on the fast and the general
    path (differential, hypothesis), and keeps the offsets of the value it comes from.
"""
from __future__ import annotations

import os
from itertools import pairwise
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.limits import MAX_WORD_BYTES
from engine.tokenizer import (
    SEPARATOR,
    STOP_WORD,
    WORD,
    IndexedField,
    Tokenizer,
    normalize_word,
    normalized_char_counts,
    tokenizer_for,
)

W, S, SW = "W", "S", "SW"
_KIND = {WORD: W, SEPARATOR: S, STOP_WORD: SW}


def toks(text: str, tokenizer: Tokenizer | None = None) -> list[tuple]:
    """(kind, lemma, hard?) triples; hard only printed for separators."""
    out = []
    for t in (tokenizer or Tokenizer()).tokenize(text):
        if t.kind == SEPARATOR:
            out.append((S, t.lemma, t.hard))
        else:
            out.append((_KIND[t.kind], t.lemma))
    return out


# 1 ------------------------------------------------------------------------------------------------
def test_dot_space_is_one_hard_separator():
    assert toks("a. b") == [(W, "a"), (S, ". ", True), (W, "b")]


def test_dot_alone_is_soft():
    assert toks("a.b") == [(W, "a"), (S, ".", False), (W, "b")]


def test_each_space_is_its_own_token():
    assert toks("  ") == [(S, " ", False), (S, " ", False)]


def test_comma_space_then_space():
    assert toks("a,  b") == [(W, "a"), (S, ", ", True), (S, " ", False), (W, "b")]


# 2 ------------------------------------------------------------------------------------------------
def test_apostrophe_splits():
    assert toks("can't") == [(W, "can"), (S, "'", False), (W, "t")]


def test_curly_apostrophe_splits_and_normalizes():
    assert toks("can’t") == [(W, "can"), (S, "'", False), (W, "t")]


def test_hyphen_splits():
    assert toks("kebab-case") == [(W, "kebab"), (S, "-", False), (W, "case")]


def test_number_splits_on_dot():
    assert toks("32.3") == [(W, "32"), (S, ".", False), (W, "3")]


def test_charabia_reference_sentence():
    text = "The quick (\"brown\") fox can’t jump 32.3 feet, right? Brr, it's 29.3°F!"
    lemmas = [t.lemma for t in Tokenizer().tokenize(text)]
    assert lemmas == [
        "the", " ", "quick", " ", "(", '"', "brown", '"', ")", " ", "fox", " ", "can", "'", "t",
        " ", "jump", " ", "32", ".", "3", " ", "feet", ", ", "right", "?", " ", "brr", ", ", "it",
        "'", "s", " ", "29", ".", "3°f", "!",
    ]


# 3 ------------------------------------------------------------------------------------------------
def test_offsets_point_into_the_original_text():
    text = "ﬁne Gläss—ok"
    tokens = Tokenizer().tokenize(text)
    assert [(t.lemma, text[t.char_start:t.char_end]) for t in tokens] == [
        ("fine", "ﬁne"), (" ", " "), ("glass", "Gläss"), ("—", "—"), ("ok", "ok"),
    ]


# 4 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, lemma",
    [("Gläss", "glass"), ("ﬁ", "fi"), ("Œuvre", "oeuvre"), ("Æsir", "aesir"), ("①", "1"),
     ("ＡＢＣ", "abc"), ("Ŵôřlḑôle", "worldole"), ("Westfália", "westfalia"), ("a\x01b", "ab")],
)
def test_normalize_word(raw, lemma):
    assert normalize_word(raw) == lemma
    assert Tokenizer().words(raw) == [lemma]


# 5 ------------------------------------------------------------------------------------------------
def test_stop_words_are_case_sensitive():
    tokenizer = Tokenizer(stop_words=["The"])
    assert toks("The the", tokenizer) == [(SW, "the"), (S, " ", False), (W, "the")]


def test_stop_words_are_compared_decomposed():
    tokenizer = Tokenizer(stop_words=["é"])  # saved NFKD, so the precomposed form matches too
    assert toks("\u00e9 e\u0301", tokenizer) == [(SW, "e"), (S, " ", False), (SW, "e")]


# 6 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sep, lemma",
    [("!", "!"), ("?", "?"), (";", ";"), ("¡", "¡"), ("¿", "¿"), ("§", "§"), ("¶", "¶"),
     ("…", "..."), ("‼", "!!"), ("。", "。"), ("、", "、"), ("！", "!"), ("．", "."), ("\0", "\0")],
)
def test_hard_separators(sep, lemma):
    assert toks(f"a{sep}b") == [(W, "a"), (S, lemma, True), (W, "b")]


@pytest.mark.parametrize("sep", [":", "-", "/", ".", ",", "'", '"', "(", "\n", "\t", "_", "@"])
def test_soft_separators(sep):
    assert toks(f"a{sep}b") == [(W, "a"), (S, sep, False), (W, "b")]


# 7 ------------------------------------------------------------------------------------------------
def test_non_separator_tokens_join_words():
    assert toks("C# rocks", Tokenizer(non_separator_tokens=["#"])) == [
        (W, "c#"), (S, " ", False), (W, "rocks"),
    ]
    assert toks("C# rocks") == [(W, "c"), (S, "#", False), (S, " ", False), (W, "rocks")]


def test_separator_tokens_split_words_softly():
    tokenizer = Tokenizer(separator_tokens=["&&", "x"])
    assert toks("a&&b", tokenizer) == [(W, "a"), (S, "&&", False), (W, "b")]
    assert toks("axb", tokenizer) == [(W, "a"), (S, "x", False), (W, "b")]


def test_dictionary_keeps_separators_inside_one_word():
    tokenizer = Tokenizer(dictionary=["J. R. R."])
    assert toks("J. R. R. Tolkien", tokenizer) == [
        (W, "j. r. r."), (S, " ", False), (W, "tolkien"),
    ]
    assert toks("J. R. R. Tolkien") == [
        (W, "j"), (S, ". ", True), (W, "r"), (S, ". ", True), (W, "r"), (S, ". ", True),
        (W, "tolkien"),
    ]


def test_non_separator_dot_keeps_dot_space_hard():
    tokenizer = Tokenizer(non_separator_tokens=["."])
    assert toks("a.b a. b", tokenizer) == [
        (W, "a.b"), (S, " ", False), (W, "a"), (S, ". ", True), (W, "b"),
    ]
    assert tokenizer.index_field(["a.b a. b"]) == IndexedField(["a.b", "a", "b"], [0, 1, 9])


# 8 ------------------------------------------------------------------------------------------------
def test_ascii_math_symbols_stay_in_words():
    assert toks("a=b x|y") == [(W, "a=b"), (S, " ", False), (W, "x|y")]
    assert toks("a+b×c") == [(W, "a"), (S, "+", False), (W, "b"), (S, "×", False), (W, "c")]


# 9 ------------------------------------------------------------------------------------------------
def test_script_change_cuts_words():
    assert toks("abcПривет") == [(W, "abc"), (W, "привет")]


def test_cyrillic_keeps_its_marks():
    assert Tokenizer().words("й") == ["и\u0306"]


# 10 -----------------------------------------------------------------------------------------------
def test_positions_soft_and_hard():
    assert Tokenizer().index_field(["a b. c! ! d"]) == IndexedField(["a", "b", "c", "d"], [0, 1, 9, 17])


def test_leading_hard_separator_is_ignored():
    assert Tokenizer().index_field([". a b"]) == IndexedField(["a", "b"], [0, 1])


def test_stop_words_take_a_position():
    tokenizer = Tokenizer(stop_words=["the"])
    assert tokenizer.index_field(["the cat and the dog"]) == IndexedField(
        ["cat", "and", "dog"], [1, 2, 4]
    )


def test_values_start_8_after_last_indexed_word():
    tokenizer = Tokenizer(stop_words=["the"])
    # value 1 ends with a stop word at 8: the next value starts from the last *indexed* word (0);
    # the empty value still moves the start by 8.
    result = tokenizer.index_field(["cat, the", "", "dog", "12.5", "true"])
    assert result == IndexedField(["cat", "dog", "12", "5", "true"], [0, 16, 24, 25, 32 + 1])
    assert result.word_count == 5


def test_word_count_ignores_stop_words():
    assert Tokenizer(stop_words=["a"]).index_field(["a b a c"]).word_count == 2


# 11 -----------------------------------------------------------------------------------------------
def test_long_words_are_dropped_but_take_a_position():
    long_word = "x" * 251
    assert Tokenizer().index_field([f"a {long_word} b", "ж" * 126 + " c"]) == IndexedField(
        ["a", "b", "c"], [0, 2, 11]
    )
    assert Tokenizer().index_field(["y" * 250]).words == ["y" * 250]


def test_positions_beyond_the_limit_are_dropped():
    assert Tokenizer().index_field(["a b c d", "e"], max_position=3) == IndexedField(
        ["a", "b", "c"], [0, 1, 2]
    )
    assert Tokenizer().index_field(["a. b", "c"], max_position=8) == IndexedField(["a"], [0])


# 12 -----------------------------------------------------------------------------------------------
def _general(tokenizer: Tokenizer) -> Tokenizer:
    slow = Tokenizer()
    slow.__dict__.update(tokenizer.__dict__)
    slow._word_cache = {}
    slow._fast = False  # force the token walk
    return slow


_ALPHABET = st.sampled_from(list("ab Zé.,;!-' \t\n\x01\x0b") + ["ﬁ", "—", "…", "\u00a0", "П", "’", "Œ"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(_ALPHABET, max_size=30), max_size=4))
def test_fast_path_equals_token_walk(values):
    for tokenizer in (Tokenizer(), Tokenizer(stop_words=["a", "Z"])):
        assert tokenizer._fast
        assert tokenizer.index_field(values) == _general(tokenizer).index_field(values)


DEBIAN = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "debian-packages"


@pytest.mark.large
@pytest.mark.skipif(os.environ.get("LOUPE_LARGE_TESTS") != "1", reason="opt-in large test")
def test_fast_path_equals_token_walk_on_debian_sample():
    tokenizer = Tokenizer()
    slow = _general(tokenizer)
    with open(DEBIAN / "packages-10k.ndjson", "rb") as f:
        for line in f:
            doc = orjson.loads(line)
            for key in ("name", "summary", "description"):
                if isinstance(doc.get(key), str):
                    assert tokenizer.index_field([doc[key]]) == slow.index_field([doc[key]])


# 13 -----------------------------------------------------------------------------------------------
def test_normalized_char_counts():
    assert normalized_char_counts("ﬁn") == [2, 1]
    assert normalized_char_counts("Ŵôřlḑôle") == [1] * 8
    assert normalized_char_counts("Œa") == [2, 1]


# 14 -----------------------------------------------------------------------------------------------
MULTI_BYTE = "Éléphant café 北京 🎉 naïve"


def _slices(text: str, tokenizer: Tokenizer | None = None) -> list[tuple[str, str]]:
    """(text at the char offsets, text at the byte offsets) of every token."""
    raw = text.encode()
    return [(text[t.char_start:t.char_end], raw[t.byte_start:t.byte_end].decode())
            for t in (tokenizer or Tokenizer()).tokenize(text)]


def test_offsets_slice_multi_byte_text_back():
    tokens = Tokenizer().tokenize(MULTI_BYTE)
    words = [(t.lemma, MULTI_BYTE[t.char_start:t.char_end],
              MULTI_BYTE.encode()[t.byte_start:t.byte_end].decode()) for t in tokens if t.is_word]
    assert words == [("elephant", "Éléphant", "Éléphant"), ("cafe", "café", "café"), ("北京", "北京", "北京"),
                     ("🎉", "🎉", "🎉"), ("naive", "naïve", "naïve")]
    assert [(t.char_start, t.byte_start) for t in tokens if t.is_word] == [(0, 0), (9, 11), (14, 17),
                                                                          (17, 24), (19, 29)]


def test_offsets_of_decomposed_and_ligature_text():
    text = "Cafe\u0301 ﬁn ÆON"  # e + combining acute: two chars, three bytes
    assert _slices(text) == [(s, s) for s in ["Cafe\u0301", " ", "ﬁn", " ", "ÆON"]]
    assert [t.byte_end for t in Tokenizer().tokenize(text)] == [6, 7, 11, 12, 16]


_ANY_TEXT = st.text(st.one_of(_ALPHABET, st.sampled_from(list("東京🎉ïÉ\u0301\u200b#")),
                              st.characters(exclude_categories=["Cs"])),
                    max_size=40)


@settings(max_examples=300, deadline=None)
@given(_ANY_TEXT)
def test_offsets_tile_the_original_text(text):
    for tokenizer in (Tokenizer(), Tokenizer(stop_words=["a"], dictionary=["J. R."], separator_tokens=["é"])):
        slices = _slices(text, tokenizer)
        assert all(chars == from_bytes for chars, from_bytes in slices)
        assert "".join(chars for chars, _ in slices) == text
        raw = text.encode()
        assert b"".join(raw[t.byte_start:t.byte_end] for t in tokenizer.tokenize(text)) == raw


# 15 -----------------------------------------------------------------------------------------------
def _indexable(lemma: str) -> bool:
    return bool(lemma.strip()) and len(lemma.strip().encode()) <= MAX_WORD_BYTES


_PIECES = st.one_of(_ALPHABET, st.sampled_from(["東京", "🎉", "x" * 251, "the", "\u0301"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_PIECES, max_size=30).map("".join), max_size=4))
def test_field_tokens_carry_the_index_positions(values):
    for tokenizer in (Tokenizer(), Tokenizer(stop_words=["a", "Z", "the"])):
        assert tokenizer._fast  # index_field takes the fast path, field_tokens the token walk
        placed = tokenizer.field_tokens(values)
        indexed = [(t.token.lemma.strip(), t.position) for t in placed
                   if t.token.kind == WORD and _indexable(t.token.lemma)]
        assert list(zip(*tokenizer.index_field(values))) == indexed
        for before, after in pairwise(placed):  # a stop-word-only value may start lower
            assert before.value < after.value or before.position < after.position
        for t in placed:
            assert values[t.value][t.token.char_start:t.token.char_end]
            assert t.token.kind in (WORD, STOP_WORD)


def test_field_tokens_positions_and_offsets():
    placed = Tokenizer(stop_words=["the"]).field_tokens(["the Éléphant. café", "北京 🎉"])
    assert [(t.value, t.position, t.token.lemma, t.token.byte_start) for t in placed] == [
        (0, 0, "the", 0), (0, 1, "elephant", 4), (0, 9, "cafe", 16), (1, 17, "北京", 0), (1, 18, "🎉", 7),
    ]


def test_field_tokens_stop_at_the_position_limit():
    placed = Tokenizer().field_tokens(["a b c", "d"], max_position=2)
    assert [(t.position, t.token.lemma) for t in placed] == [(0, "a"), (1, "b")]


def test_tokenizer_for_reads_the_settings():
    tokenizer = tokenizer_for({"stopWords": ["the"], "separatorTokens": ["&"], "nonSeparatorTokens": ["#"],
                               "dictionary": ["J. R."]})
    assert toks("the C#&J. R.", tokenizer) == [(SW, "the"), (S, " ", False), (W, "c#"), (S, "&", False),
                                                (W, "j. r.")]
