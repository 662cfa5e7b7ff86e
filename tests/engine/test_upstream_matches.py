"""milli's own formatter expectations, on Loupe's engine.formatter, to the char.

Transcribed (texts, queries and expected strings only) from meilisearch/meilisearch
`crates/milli/src/search/new/matches/mod.rs` (its `#[cfg(test)] mod tests`, later moved to
`matches/mod_test.rs` with the same expectations) and `matches/matching_words.rs` (`tests`).
Upstream builds a matcher from a query searched on a small index, then formats arbitrary texts
with it; here the query is executed on the same index (`Index.execute`) and the texts are
formatted by `Formatter.for_result` as the value of a field `x`.  The index is upstream's
`temp_index_with_documents` (no stop words, no settings), or, for the phrase cases, one
document holding the text itself.

Properties (each test names its upstream test):
1. Without highlight or crop a text comes back unchanged; highlighting marks every word of the
   query (the last one a prefix), phrases as one span, prefixes for as many chars as typed.
2. Cropping keeps N words around the best interval (most distinct query words, then closest,
   then in query order), from the start when nothing matches, a phrase longer than N cut to its
   first N words; crop 0 keeps the whole text.
3. The matching words of `split this world`: `split` and `world` match whole, `worlded` by its
   prefix `world`, `nyc` and `thisnew` not at all.
"""
import orjson
import pytest

from engine import Query
from engine.engine import Engine
from engine.formatter import Formatter
from support import index_documents

# matches/matching_words.rs, `temp_index_with_documents`
TEMP_INDEX = [{"id": 1, "name": "split this world westfali westfalia the Ŵôřlḑôle"},
              {"id": 2, "name": "Westfália"},
              {"id": 3, "name": "Ŵôřlḑôle"}]
# matches/mod.rs, `format_highlight_crop_phrase_query`
PHRASE_TEXT = ("The groundbreaking invention had the power to split the world between those who embraced "
               "progress and those who resisted change!")

NO_MATCH = "A quick brown fox can not jump 32 feet, right? Brr, it is cold!"
ALL_MATCHES = ("Natalie risk her future to build a world with the boy she loves. Emily Henry: The Love That Split "
               "The World.")
SOME_MATCHES = "Natalie risk her future to build a world with the boy she loves."


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = Engine(tmp_path_factory.mktemp("upstream-matches") / "db", worker="thread")
    index_documents(engine, "temp", TEMP_INDEX)
    index_documents(engine, "phrase", [{"id": 1, "text": PHRASE_TEXT}])
    yield engine
    engine.close()


def matcher(engine, query, uid="temp", **options):
    """A formatter of arbitrary texts with the matching words of ``query`` searched on ``uid``."""
    result = engine.index(uid).execute(Query(text=query))
    return Formatter.for_result(result, fields=None, **options)


def format_text(engine, query, text, *, highlight, crop=None, uid="temp", **options):
    """milli's `Matcher::format` with `FormatOptions { highlight, crop }`."""
    formatter = matcher(engine, query, uid, highlight=["x"] if highlight else [],
                        crop=[("x", crop)] if crop is not None else [], **options)
    formatted = formatter.formatted({"x": text})
    return text if formatted is None else formatted["x"]


# 1 ------------------------------------------------------------------------------------------------

def test_format_identity(engine):
    """mod.rs `format_identity`: neither highlight nor crop returns the text."""
    for text in (NO_MATCH, ALL_MATCHES, SOME_MATCHES):
        assert format_text(engine, "split the world", text, highlight=False) == text


def test_format_highlight(engine):
    """mod.rs `format_highlight`."""
    def highlighted(text):
        return format_text(engine, "split the world", text, highlight=True)

    assert highlighted("") == ""
    assert highlighted(":-)") == ":-)"
    assert highlighted(NO_MATCH) == NO_MATCH
    assert highlighted(ALL_MATCHES) == (
        "Natalie risk her future to build a <em>world</em> with <em>the</em> boy she loves. Emily Henry: "
        "<em>The</em> Love That <em>Split</em> <em>The</em> <em>World</em>.")
    assert highlighted(SOME_MATCHES) == \
        "Natalie risk her future to build a <em>world</em> with <em>the</em> boy she loves."


def test_highlight_unicode(engine):
    """mod.rs `highlight_unicode`: a prefix marks as many original chars as were typed."""
    assert format_text(engine, "world", "Ŵôřlḑôle", highlight=True) == "<em>Ŵôřlḑ</em>ôle"
    assert format_text(engine, "world", "Ŵôřlḑ", highlight=True) == "<em>Ŵôřlḑ</em>"
    assert format_text(engine, "westfali", "Westfália", highlight=True) == "<em>Westfáli</em>a"


def test_partial_matches(engine):
    """mod.rs `partial_matches`: phrases match consecutive words only, custom tags."""
    got = format_text(engine, 'the "t he" door "do or"', "the do or die can't be he do and or isn't he",
                      highlight=True, pre_tag="_", post_tag="_")
    assert got == "_the_ _do or_ die can't be he do and or isn'_t he_"


# 2 ------------------------------------------------------------------------------------------------

def test_format_crop(engine):
    """mod.rs `format_crop` (crop 10, no highlight)."""
    def cropped(text):
        return format_text(engine, "split the world", text, highlight=False, crop=10)

    assert cropped("") == ""
    assert cropped(":-)") == ":-)"
    assert cropped(NO_MATCH) == "A quick brown fox can not jump 32 feet, right…"
    assert cropped("(" + NO_MATCH[:-1] + "!)") == "(A quick brown fox can not jump 32 feet, right…"
    assert cropped("Natalie risk her future. Split The World is a book written by Emily Henry. I never read it.") == \
        "…Split The World is a book written by Emily Henry…"
    assert cropped(SOME_MATCHES) == "…future to build a world with the boy she loves…"
    assert cropped(ALL_MATCHES) == "…she loves. Emily Henry: The Love That Split The World."
    tail = "…void void void void void split the world void void"
    assert cropped("The world split void void void void void void void void void split the world void void") == tail
    assert cropped("split void the void void world void void void void void void void void void void split the "
                   "world void void") == tail
    assert cropped("split split split split split split void void void void void void void void void void split "
                   "the world void void") == tail


def test_format_highlight_crop(engine):
    """mod.rs `format_highlight_crop` (crop 10, highlight)."""
    def both(text):
        return format_text(engine, "split the world", text, highlight=True, crop=10)

    assert both("") == ""
    assert both(":-)") == ":-)"
    assert both(NO_MATCH) == "A quick brown fox can not jump 32 feet, right…"
    assert both(SOME_MATCHES) == "…future to build a <em>world</em> with <em>the</em> boy she loves…"
    assert both(ALL_MATCHES) == \
        "…she loves. Emily Henry: <em>The</em> Love That <em>Split</em> <em>The</em> <em>World</em>."
    assert both("The world split void void void void void void void void void split the world void void") == \
        "…void void void void void <em>split</em> <em>the</em> <em>world</em> void void"


@pytest.mark.parametrize("query, expected", [
    ('"the world"', "…the power to split <em>the world</em> between those who embraced…"),
    ('those "and those"', "…world between <em>those</em> who embraced progress <em>and those</em> who resisted…"),
    ('"The groundbreaking invention had the power to split the world"',
     "<em>The groundbreaking invention had the power to split the world</em>…"),
    ('"The groundbreaking invention had the power to split the world between those"',
     "<em>The groundbreaking invention had the power to split the world</em>…"),
    ('"The groundbreaking invention" "embraced progress and those who resisted change!"',
     "…between those who <em>embraced progress and those who resisted change</em>…"),
    ('"groundbreaking invention" "split the world between"',
     "…<em>groundbreaking invention</em> had the power to <em>split the world between</em>…"),
    ('"groundbreaking invention" "had the power to split the world between those"',
     "…<em>invention</em> <em>had the power to split the world between those</em>…"),
])
def test_format_highlight_crop_phrase_query(engine, query, expected):
    """mod.rs `format_highlight_crop_phrase_query` (meilisearch issue 3975): phrases in a crop
    of 10 words, one longer than the crop cut to its first 10 words."""
    assert format_text(engine, query, PHRASE_TEXT, highlight=True, crop=10, uid="phrase") == expected


def test_smaller_crop_size(engine):
    """mod.rs `smaller_crop_size`: a crop smaller than the query's words, and crop 0."""
    text = "void void split the world void void."
    assert format_text(engine, "split the world", text, highlight=False, crop=2) == "…split the…"
    assert format_text(engine, "split the world", text, highlight=False, crop=1) == "…split…"
    assert format_text(engine, "split the world", text, highlight=False, crop=0) == text


# 3 ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lemma, expected", [
    ("split", [{"start": 0, "length": 5}]),
    ("nyc", None),
    ("world", [{"start": 0, "length": 5}]),
    ("worlded", [{"start": 0, "length": 5}]),
    ("thisnew", None),
])
def test_matching_words(engine, lemma, expected):
    """matching_words.rs `matching_words`: `MatchType::Full { char_count: 5, byte_len: 5 }` or
    no match for a token, seen here as its `_matchesPosition`."""
    positions = matcher(engine, "split this world", matches_position=True).matches_positions({"x": lemma})
    assert orjson.dumps(positions) == orjson.dumps({"x": expected} if expected else {})
