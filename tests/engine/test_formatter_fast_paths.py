"""engine.formatter's token-free paths for plain ASCII text answer exactly what the general path
(every value tokenized) answers.

Properties:
1. On random ASCII texts (soft and hard separators, repeated words, matches at both ends) and
   random queries (prefix, typo, phrase, several words), `_formatted` with highlight, crop of
   several lengths and markers, and `_matchesPosition`, are identical with the fast paths on
   and off (the whole document read at once, each value on its own, every value tokenized).
2. The same on texts that are not ASCII: accented words read through their ASCII stand-ins
   (`Tokenizer.ascii_stand_in`), non-ASCII separators, words of other scripts and symbols read
   through a placeholder (``豆腐``, ``μεγάλο``, ``10°C``, ``ab®cd``), and chars that send a value
   to the general path (``Ł``, a lone combining mark, ``ß``, a change of script inside a word,
   ``™``), with queries that may read placeholders and queries that may not (a Greek word, a
   word holding the placeholder char ``~``).
"""
import random

import orjson

from engine import Query
from engine.formatter import Formatter

WORDS = ["dog", "dogs", "lazy", "fox", "quick", "brown", "sleeps", "the", "sun", "sunflower", "flower",
         "doggo", "laser", "brawn", "in", "a"]
SEPARATORS = [" ", " ", " ", ", ", ". ", "-", "!", " (", ") ", "'", "; "]


ACCENTED = ["dóg", "Lázy", "fóx", "sün", "Sunflöwer", "flower’s", "Łazy", "dog\u0301", "straße", "日本",
            "豆腐", "μεγάλο", "10°C", "dog®s", "©lazy", "λαfox", "fox™", "do~g", "dog~", "Σun"]
NON_ASCII_SEPARATORS = [" — ", "’", " «", "» ", "… ", "、"]


def random_text(rng: random.Random, words: list[str] = WORDS, separators: list[str] = SEPARATORS) -> str:
    parts = []
    for _ in range(rng.randint(1, 60)):
        parts += (rng.choice(words).capitalize() if rng.random() < 0.1 else rng.choice(words), rng.choice(separators))
    if rng.random() < 0.5:
        parts.pop()
    return "".join(parts)


def test_fast_paths_answer_like_the_general_path(make_index):
    compare(make_index, random.Random(13), WORDS, SEPARATORS, expected=500)


def test_texts_that_are_not_ascii_answer_like_the_general_path(make_index):
    compare(make_index, random.Random(14), WORDS * 3 + ACCENTED, SEPARATORS * 3 + NON_ASCII_SEPARATORS,
            expected=400)


def compare(make_index, rng: random.Random, words: list[str], separators: list[str], expected: int) -> None:
    docs = [{"id": i, "t": random_text(rng, words, separators),
             "u": [random_text(rng, words, separators), random_text(rng, words, separators)]} for i in range(60)]
    index = make_index(docs)
    queries = ["dog", "lazy dog", "lazzy", "the sun", '"lazy dog"', "sunflower", "sun flower", "fox do",
               "quick brown fox jumps", "brawn", '"the sun" dog', "sunflowers", "lazy fo"]
    if any(not w.isascii() for w in words):  # queries a placeholder may not stand in for
        queries += ["μεγάλο dog", "do~g", "10°", "dog 豆腐", "foxtm"]
    compared = 0
    for q in queries:
        result = index.execute(Query(text=q, limit=60))
        for crop in (1, 2, 3, 5, 10):
            options = dict(highlight=["t", "u"], crop=[("t", crop), ("u", crop + 1)], crop_marker="~",
                           matches_position=True)
            fast = Formatter.for_result(result, **options)
            per_value = Formatter.for_result(result, **options)
            per_value._flat_shape = None  # each value read on its own
            slow = Formatter.for_result(result, **options)
            slow._shape = slow._flat_shape = None  # the general path only
            for hit in result.hits:
                document = orjson.loads(hit.stored)
                expected_formatted = slow.formatted(document)
                assert fast.formatted(document) == expected_formatted, (q, crop, document)
                assert per_value.formatted(document) == expected_formatted, (q, crop, document)
                positions = slow.matches_positions(document)
                assert fast.matches_positions(document) == positions, (q, document)
                compared += 1
    assert compared > expected
