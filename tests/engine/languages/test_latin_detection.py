"""Latin text under several locales, as charabia reads it: whatlang's detector restricted to the
allowed languages (engine/languages/detection.py).  Properties:

1. With one allowed Latin language (``["swe", "jpn"]``) Latin text is read in it, detector or not.
2. With several (``["swe", "deu"]``) each text is read in the language whatlang finds: Swedish text
   keeps å/ä/ö, German text has its compounds cut; text whatlang reads as a language that is not
   allowed (``"Ärger im Büro"``: Turkmen) has no language (Loupe cannot tell which allowed one
   charabia would rank first) and folds its marks.
3. A text with Latin runs of two languages reads each run in its own, offsets kept.
4. Several locales none of which Loupe reads differently (``["eng", "fra"]``) read as plain Latin.
5. Search: a field's rule and the ``locales`` parameter detect per document value and per query;
   hits and highlights follow from the words so cut.
6. Without the ``detect`` extra, several locales read as plain Latin, as before it.

Texts and whatlang 0.16.4's verdicts: "Blåbär och äpple", "blåbär": swe; "Die
Fußballweltmeisterschaft beginnt", "weltmeisterschaft": deu; "Ärger im Büro": tuk; "buro": sna.
"""
import os

import pytest

from engine.languages import detection
from engine.tokenizer import Tokenizer


@pytest.fixture(autouse=True)
def detector():
    if detection._whatlang() is None:
        if os.environ.get("LOUPE_REQUIRE_LANGUAGES"):
            raise AssertionError("whatlang-pyo3 is missing: pip install '.[detect]'")
        pytest.skip("whatlang-pyo3 is missing: pip install '.[detect]'")


def words(text, locales=None):
    return Tokenizer().with_locales(locales).words(text)


def marked(index, q, **params):
    return [(h["id"], h["_formatted"]["t"]) for h in index.search(q, attributesToHighlight=["t"], **params)["hits"]]


def test_one_allowed_latin_language_is_taken_as_is():
    assert words("Gå till Örebro", ["swe", "jpn"]) == ["gå", "till", "örebro"]
    assert words("Ärger im Büro", ["swe", "jpn"]) == ["ärger", "im", "buro"]  # Swedish: ä stays, ü goes


def test_several_allowed_languages_detect_each_text():
    both = ["swe", "deu"]
    assert words("Blåbär och äpple", both) == ["blåbär", "och", "äpple"]
    assert words("Die Fußballweltmeisterschaft beginnt", both) == [
        "die", "fuß", "ball", "welt", "meisterschaft", "beginnt"]
    assert words("Ärger im Büro", both) == ["arger", "im", "buro"]
    assert words("Blåbär och äpple", ["sv", "de"]) == ["blåbär", "och", "äpple"]  # ISO-639-1 codes


def test_runs_of_two_languages_in_one_text():
    tokens = [t for t in Tokenizer().with_locales(["swe", "deu"]).tokenize(
        "Fußballweltmeisterschaft 東京 blåbär och äpple") if t.is_word]
    assert [(t.lemma, t.char_start, t.char_end, t.byte_start, t.byte_end) for t in tokens] == [
        ("fuß", 0, 3, 0, 4), ("ball", 3, 7, 4, 8), ("welt", 7, 11, 8, 12), ("meisterschaft", 11, 24, 12, 25),
        ("東京", 25, 27, 26, 32), ("blåbär", 28, 34, 33, 41), ("och", 35, 38, 42, 45), ("äpple", 39, 44, 46, 52)]


def test_languages_read_alike_need_no_detection():
    assert words("Gå till Örebro", ["eng", "fra"]) == ["ga", "till", "orebro"]


DOCS = [{"id": 1, "t": "Blåbär och äpple"}, {"id": 2, "t": "Die Fußballweltmeisterschaft beginnt"},
        {"id": 3, "t": "Ärger im Büro"}]


def test_a_fields_rule_detects_per_value_and_per_query(make_index):
    index = make_index(DOCS, {"localizedAttributes": [{"attributePatterns": ["t"], "locales": ["swe", "deu"]}]})
    assert marked(index, "blåbär") == [(1, "<em>Blåbär</em> och äpple")]
    assert marked(index, "weltmeisterschaft") == [(2, "Die Fußball<em>welt</em><em>meisterschaft</em> beginnt")]
    assert marked(index, "buro") == [(3, "Ärger im <em>Büro</em>")]


def test_the_locales_parameter_detects_the_query(make_index):
    index = make_index(DOCS)  # documents read as plain Latin: "blabar", "fußballweltmeisterschaft"
    assert marked(index, "blåbär") == [(1, "<em>Blåbär</em> och äpple")]
    assert marked(index, "blåbär", locales=["swe", "deu"]) == []  # the query keeps its å/ä
    assert marked(index, "blåbär", locales=["eng", "fra"]) == [(1, "<em>Blåbär</em> och äpple")]


def test_without_the_detector_several_locales_read_as_plain_latin(monkeypatch):
    monkeypatch.setattr(detection, "_whatlang", lambda: None)
    assert words("Blåbär och äpple", ["swe", "deu"]) == ["blabar", "och", "apple"]
    assert words("Die Fußballweltmeisterschaft", ["swe", "deu"]) == ["die", "fußballweltmeisterschaft"]
    assert words("Gå till", ["swe", "jpn"]) == ["gå", "till"]  # one Latin language needs no detector
